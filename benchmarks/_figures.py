"""Where a benchmark writes its tables: ``docs/figures/<name>.md``, which the docs include.

Measured figures live in those files only. Each file says which command wrote it and on
what machine, so a table is never read without the CPU it came from; prose in the docs
refers to the tables instead of copying their numbers.
"""

from __future__ import annotations

import datetime
import os
import platform
import sys
from pathlib import Path

from arxiv_pipeline.embedding.cpu_runtime import BF16_FLAGS, current_cpu

REPO_ROOT = Path(__file__).resolve().parents[1]
FIGURES = REPO_ROOT / "docs" / "figures"


def machine() -> str:
    """One sentence: the CPU's model, its cores, its bf16 units, memory, Python and OS."""
    cpu = current_cpu()
    if not cpu.flags:
        bf16 = "bf16 units unknown"
    elif cpu.bf16_units:
        bf16 = "bf16 units (" + ", ".join(cpu.bf16_units) + ")"
    else:
        bf16 = "no bf16 units (neither " + " nor ".join(BF16_FLAGS) + ")"
    try:
        memory = f", {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB"
    except (AttributeError, ValueError, OSError):
        memory = ""
    return (
        f"{cpu.model} ({platform.machine()}), {os.cpu_count()} cores, {bf16}{memory}; "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def write(
    name: str, body: str, *, measured_on: str | None = None, path: Path | None = None
) -> Path:
    """Write ``body`` (markdown) to ``docs/figures/<name>.md`` under a line naming the machine.

    ``measured_on`` is the machine of the measurement when it was recorded earlier (a
    resumed benchmark); by default, this one. Returns the file written.
    """
    path = path or FIGURES / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/" + Path(sys.argv[0]).name
    if len(sys.argv) > 1:
        command += " " + " ".join(sys.argv[1:])
    header = (
        f"<!-- Written by `{command}` on {datetime.date.today()}: rerun it, do not edit. -->\n\n"
        f"Measured on: {measured_on or machine()}.\n\n"
    )
    path.write_text(header + body.strip() + "\n", encoding="utf-8")
    try:
        shown = path.relative_to(REPO_ROOT)
    except ValueError:
        shown = path
    print(f"wrote {shown}", flush=True)
    return path
