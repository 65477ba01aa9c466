"""Benchmark: the topic study as the pipeline runs it vs a naive loop, on the real sample.

Both arms run the same 30-trial Optuna study (TPE, same seed, the project's default
search space) on the 2,000 real abstracts of ``../shared/data``:

- ``pipeline``: the project's objective: reductions shared across trials through the
  cache, coherence from counts built once (``arxiv_pipeline.topics.coherence``);
- ``naive``: BERTopic fit with a fresh UMAP/PCA in every trial, scored by gensim's
  ``CoherenceModel`` on the same topic words.

It prints the wall time per trial broken down into reduction / clustering / c-TF-IDF
(the rest of BERTopic's fit) / coherence, trials per minute, both best values, and the
ceiling of the speed-up: the naive loop's time over the pipeline's distinct reductions
alone (what the pipeline would take if every other stage were free).

The table and those lines are also written to ``docs/figures/topic_trials.md``
(``--figures`` names another file).

Run: ``.venv/bin/python benchmarks/topic_trials.py [--trials 30]`` (ingests the sample
and computes its embeddings first, in a temporary copy of the project).
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections import defaultdict
from pathlib import Path

import _figures
import hdbscan
import numpy as np
import optuna
from _project import SAMPLE, project_copy
from gensim.corpora import Dictionary
from gensim.models.coherencemodel import CoherenceModel
from kedro.framework.session import KedroSession

from arxiv_pipeline.embedding.selection import used_models
from arxiv_pipeline.topics.corpus import TopicCorpus
from arxiv_pipeline.topics.model import (
    TopicMetrics,
    analyzer,
    coherence_reference,
    fit_topic_model,
    scorable_topics,
    score_topics,
    topic_words,
)
from arxiv_pipeline.topics.objective import TopicObjective
from arxiv_pipeline.topics.reduction import ReductionCache, make_reducer
from arxiv_pipeline.topics.settings import TopicTuning
from arxiv_pipeline.tuning.components import TRIAL_ERRORS

STAGES = ("reduction", "clustering", "c-TF-IDF", "coherence")

# Stage timings of the trial being run; HDBSCAN's fit is timed where BERTopic calls it.
timings: dict[str, float] = defaultdict(float)
_hdbscan_fit = hdbscan.HDBSCAN.fit


def _timed_hdbscan_fit(self, *args, **kwargs):
    start = time.perf_counter()
    try:
        return _hdbscan_fit(self, *args, **kwargs)
    finally:
        timings["clustering"] += time.perf_counter() - start


hdbscan.HDBSCAN.fit = _timed_hdbscan_fit


def prepare_project() -> Path:
    """Ingest the sample and embed it in a temporary project."""
    project = project_copy("topic-bench-")
    with KedroSession.create(project, runtime_params={"snapshot_path": str(SAMPLE)}) as session:
        session.run(pipeline_names=["ingestion", "embeddings"])
    return project


def load_inputs(project: Path, trials: int):
    with KedroSession.create(project) as session:
        context = session.load_context()
        catalog, params = context.catalog, context.params
        # A session's params are the yml's (Kedro builds TopicTuning only for a node's input).
        settings = TopicTuning(**{**params["topic_tuning"], "n_trials": trials})
        splits = catalog.load("paper_splits")
        corpus = TopicCorpus(
            splits,
            {split: catalog.load(f"{split}_texts") for split in ("train", "validation")},
            {"train": catalog.load("train_embeddings")},
            {"train": settings.trial_fraction(splits)},
        )
    return corpus, settings


class TimedObjective(TopicObjective):
    """The pipeline's objective, with each stage's time recorded."""

    def reduce(self, key: str, params: dict, seed: int) -> np.ndarray:
        return self.cache.get(key, self.embeddings[key], params, seed)[1]

    def score(self, model) -> TopicMetrics:
        return score_topics(model, self.scorer, self.config.topn, 0.0)

    def fit_and_score(self, params, seed):
        key = params["embedding_model"]
        start = time.perf_counter()
        reduced = self.reduce(key, params, seed)
        timings["reduction"] += time.perf_counter() - start
        start = time.perf_counter()
        model = fit_topic_model(self.documents, self.embeddings[key], reduced, params, seed)
        timings["c-TF-IDF"] += time.perf_counter() - start
        start = time.perf_counter()
        metrics = self.score(model)
        timings["coherence"] += time.perf_counter() - start
        return metrics.as_dict()


class NaiveObjective(TimedObjective):
    """A fresh reducer for every trial, and gensim's CoherenceModel on the same topic words."""

    def __init__(self, *args, validation_tokens, **kwargs):
        super().__init__(*args, **kwargs)
        self.tokens = validation_tokens
        self.dictionary = Dictionary(validation_tokens)

    def reduce(self, key: str, params: dict, seed: int) -> np.ndarray:
        reduced = make_reducer(params, seed).fit_transform(self.embeddings[key])
        return np.nan_to_num(reduced).astype(np.float32)

    def score(self, model) -> TopicMetrics:
        metrics = super().score(model)
        topics = scorable_topics(list(topic_words(model).values()), self.scorer, self.config.topn)
        if len(topics) < 2:
            return metrics
        value = CoherenceModel(
            topics=topics,
            texts=self.tokens,
            dictionary=self.dictionary,
            coherence=self.config.measure,
            topn=self.config.topn,
            processes=1,
        ).get_coherence()
        return TopicMetrics(**{**metrics.as_dict(), self.config.measure: value})


def run_arm(
    name: str, corpus, settings: TopicTuning
) -> tuple[optuna.Study, dict[str, float], float, ReductionCache]:
    train = corpus.vectors_by_model(
        "train", used_models(settings.space, settings.fixed.get("embedding_model"))
    )
    common = {
        "documents": corpus.documents("train"),
        "embeddings": train,
        "scorer": coherence_reference(corpus.documents("validation"), "validation"),
        # Both arms score coherence only: held-out assignment is not part of this comparison.
        "held_out": None,
        "space": settings.space,
        "config": settings.objective_config(),
        "cache": ReductionCache(settings.reduction_cache_size),
    }
    if name == "naive":
        tokenize = analyzer()
        objective = NaiveObjective(
            **common, validation_tokens=[tokenize(text) for text in corpus.documents("validation")]
        )
    else:
        objective = TimedObjective(**common)
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=settings.seed, multivariate=True),
    )
    timings.clear()
    start = time.perf_counter()
    # As run_study does: a trial whose settings cannot be fitted is FAIL, the study goes on.
    study.optimize(objective, n_trials=settings.n_trials, catch=TRIAL_ERRORS)
    seconds = time.perf_counter() - start
    stages = dict(timings)
    stages["c-TF-IDF"] -= stages.get("clustering", 0.0)  # BERTopic's fit minus HDBSCAN
    return study, stages, seconds, common["cache"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--figures", type=Path, help="default: docs/figures/topic_trials.md")
    args = parser.parse_args()
    if not SAMPLE.is_file():
        raise SystemExit(f"needs the real sample at {SAMPLE}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    project = prepare_project()
    corpus, settings = load_inputs(project, args.trials)
    results = {name: run_arm(name, corpus, settings) for name in ("naive", "pipeline")}
    shutil.rmtree(project)

    n = args.trials
    lines = [
        f"The same {n}-trial study (TPE, seed {settings.seed}, the default search space) on "
        f"{len(corpus.documents('train'))} train / {len(corpus.documents('validation'))} "
        "validation abstracts of the real sample, by the pipeline's objective and by a naive "
        "loop (a fresh UMAP/PCA fit per trial, gensim's CoherenceModel). Both arms score "
        "coherence only.",
        "",
        "| arm | " + " | ".join(f"{stage} s/trial" for stage in STAGES)
        + " | total s/trial | trials/min | best value |",
        "|---|" + "---:|" * (len(STAGES) + 3),
    ]
    for name, (study, stages, seconds, _) in results.items():
        cells = " | ".join(f"{stages.get(stage, 0.0) / n:.3f}" for stage in STAGES)
        lines.append(
            f"| {name} | {cells} | {seconds / n:.2f} | {60 * n / seconds:.1f} | {study.best_value:.6f} |"
        )
    speedup = results["naive"][2] / results["pipeline"][2]
    # A failed trial has no value: the arms agree when the same trials fail.
    naive, pipeline = (
        [np.nan if trial.value is None else trial.value for trial in result[0].trials]
        for result in results.values()
    )
    same = np.allclose(naive, pipeline, rtol=0, atol=1e-9, equal_nan=True)
    # The pipeline fits each distinct reduction once: even if every other stage cost
    # nothing, it could not run faster than those fits allow.
    _, stages, _, cache = results["pipeline"]
    ceiling = results["naive"][2] / stages["reduction"]
    lines += [
        "",
        f"Trials per minute: {speedup:.1f}x the naive loop's; the same trial values "
        f"(to 1e-9): {same}. Distinct reductions the pipeline fitted: {cache.misses} in "
        f"{n} trials; the ceiling of the ratio with every other stage free: {ceiling:.1f}x.",
    ]
    print("\n" + "\n".join(lines))
    _figures.write("topic_trials", "\n".join(lines), path=args.figures)

if __name__ == "__main__":
    main()
