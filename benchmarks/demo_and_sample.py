"""The docs' figures of the demo corpus and the real sample, by one command: ``make figures``.

Runs :mod:`real_corpus` (the whole default ``kedro run``, pipeline by pipeline, timed)
twice, prints its tables for each, and writes both to ``docs/figures/demo_and_sample.md``:

1. the bundled synthetic demo corpus (``kedro run --params demo=true``, what ``make run``
   does without a snapshot), in ``data/benchmarks/demo``;
2. the 2,000 real papers of ``../shared/data/arxiv_sample_2007.jsonl``, in
   ``data/benchmarks/arxiv_sample_2007`` (skipped, with a note in the file, where that
   file is absent).

Both work folders are kept: a second ``make figures`` rewrites the tables without
rerunning anything (delete a folder to measure again). From scratch it runs the default
pipelines twice: minutes per corpus on a laptop-class CPU.

What varies across machines
---------------------------
On one machine every figure but the times is the same from run to run: the splits,
UMAP, HDBSCAN, LDA, the MLP and Optuna's samplers are all seeded. Across machines:

- wall times and peak memory (tables a and d) depend on the CPUs, their number,
  and what else runs: compare them within one run, never across machines;
- every quality figure (tables b and c, the final topic model's line) passes through
  floating point whose last bits depend on the CPU's instruction set and the BLAS
  build (MiniLM's encoding, UMAP's optimisation, PCA/SVD, the MLP's training). Small
  differences in embeddings change UMAP's layout and HDBSCAN's clusters, so topic
  counts, outlier shares and coherence can differ visibly, and so can the trial Optuna
  chooses; classifier metrics typically move in the second or third decimal;
- the data (papers per split, labels) does not vary: ingestion is exact.
"""

from __future__ import annotations

import _figures
import real_corpus
from _project import SAMPLE


def main() -> None:
    """Run (or resume) both corpora and write their tables to the docs."""
    sections, machines = [], set()
    text, measured_on = real_corpus.main(["--demo"], level=4)
    sections += ["### The synthetic demo corpus (3,000 papers)", text]
    machines.add(measured_on)
    if SAMPLE.is_file():
        text, measured_on = real_corpus.main(["--snapshot", str(SAMPLE)], level=4)
        sections += ["### The real sample (2,000 papers)", text]
        machines.add(measured_on)
    else:
        note = f"No real sample at {SAMPLE}: its figures were not measured."
        print(note)
        sections += ["### The real sample (2,000 papers)", note]
    _figures.write("demo_and_sample", "\n\n".join(sections), measured_on=" and ".join(sorted(machines)))


if __name__ == "__main__":
    main()
