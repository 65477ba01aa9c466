"""``predict.top_k`` and ``--top-k``: fewer than one category per abstract is refused."""

from __future__ import annotations

import pytest
from kedro.validation.exceptions import ParameterValidationError

from arxiv_pipeline.classifier.settings import PredictParams
from arxiv_pipeline.pipelines.predict.__main__ import main
from tests.conftest import run_pipelines


@pytest.mark.parametrize("top_k", [-1, 0, 2.5, "3", True])
def test_top_k_below_one_or_not_a_whole_number_is_refused(top_k):
    refusal = rf"predict\.top_k must be a whole number of 1 or more.*got {top_k!r}"
    with pytest.raises(ValueError, match=refusal):
        PredictParams(top_k=top_k)


def test_a_run_with_top_k_minus_one_stops_before_any_node(project):
    """``--params predict.top_k=-1`` listed every label but one."""
    # The project holds no trained model: the run fails on the parameter, not on a model.
    with pytest.raises(ParameterValidationError, match=r"predict\.top_k must be .*got -1"):
        run_pipelines(project, ["predict"], predict={"top_k": -1})


@pytest.mark.parametrize("value", ["-1", "0", "two"])
def test_the_command_line_refuses_top_k_below_one(value, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--top-k", value, "An abstract."])
    assert exited.value.code == 2
    assert f"--top-k: must be a whole number of 1 or more; got '{value}'" in capsys.readouterr().err
