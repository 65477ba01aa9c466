"""Project pipelines."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

#: Pipelines that need input a fresh run does not have: run them by name.
ON_DEMAND = {"predict", "topic_update"}


def register_pipelines() -> dict[str, Pipeline]:
    """Register every pipeline under ``arxiv_pipeline.pipelines``.

    The default (``kedro run``) runs them all but ``predict``, which classifies a file
    the user names (``kedro run --pipelines predict --params predict_input=new.jsonl``),
    and ``topic_update``, which places a new snapshot on the saved topic map instead of
    fitting a new one (``kedro run --pipelines ingestion,embeddings,topic_update,topic_views``).
    """
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(
        (pipeline for name, pipeline in pipelines.items() if name not in ON_DEMAND), Pipeline([])
    )
    return pipelines
