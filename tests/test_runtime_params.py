"""``kedro run --params``: a name that nothing reads fails, naming the closest known one."""

from __future__ import annotations

from pathlib import Path

import pytest

from arxiv_pipeline.runtime_params import UnknownParameterError
from tests.conftest import load_dataset, run_pipelines


def test_a_mistyped_parameter_fails_naming_the_closest_known_name(project: Path):
    """``predict_inptu=mine.jsonl`` ran the bundled example file and exited 0."""
    closest = r"'predict_inptu' .*did you mean 'predict_input'\?"
    with pytest.raises(UnknownParameterError, match=closest):
        run_pipelines(project, ["predict"], predict_inptu="mine.jsonl")
    closest = r"'topic_tunning' .*did you mean 'topic_tuning'\?"
    with pytest.raises(UnknownParameterError, match=closest):
        run_pipelines(project, ["topic_tuning"], topic_tunning={"n_trials": 2})
    # Nothing close: every known name is listed.
    with pytest.raises(UnknownParameterError, match=r"'zzz' .*known: .*snapshot_path"):
        run_pipelines(project, ["ingestion"], zzz=1)


def test_parameters_and_names_the_catalog_reads_are_known(project: Path):
    (project / "conf/local/parameters_extra.yml").write_text("my_setting: 1\n")
    given = {
        "predict": {"top_k": 5},  # a parameters file's key
        "my_setting": 2,  # one of the run environment's own files
        "predict_input": "mine.jsonl",  # read by the catalog through ${runtime_params:...}
        "predict_output": "out.jsonl",
        "snapshot_path": "snapshot.json",
        "demo": True,
    }
    assert load_dataset(project, "params:my_setting", **given) == 2
