"""The evaluation report (markdown) and its plotly figures, drawn from ``metrics.json`` alone."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from arxiv_pipeline.classifier.metrics import ANY_TRUE_THRESHOLDS

CLASSIFIER_NAMES = {
    "classifier": "MLP classifier (tuned)",
    "tfidf_logreg": "TF-IDF + one-vs-rest logistic regression",
    "label_prior": "Label prior",
}
TOPIC_NAMES = {
    "tuned_bertopic": "BERTopic (tuned), fine level",
    "tuned_bertopic_coarse": "BERTopic (tuned), coarse level",
    "default_bertopic": "BERTopic (defaults)",
    "lda": "gensim LDA (same n_topics)",
    "kmeans_categories": "k-means (k = categories)",
    "kmeans_archives": "k-means (k = archives)",
}
CLASSIFIER_COLUMNS = {
    "micro_f1": "micro-F1",
    "macro_f1": "macro-F1",
    "samples_f1": "samples-F1",
    "precision_at_1": "P@1",
    "precision_at_3": "P@3",
    "lrap": "LRAP",
    "map": "mAP",
}
TOPIC_COLUMNS = {
    "c_npmi": "c_npmi",
    "c_v": "c_v",
    "diversity": "diversity",
    "n_topics": "n_topics",
    "outlier_share": "outlier share",
    "nmi_primary": "NMI category",
    "ari_primary": "ARI category",
    "nmi_archive": "NMI archive",
    "ari_archive": "ARI archive",
}


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _number(value: float) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _classifier_section(data: dict[str, Any], classifier: dict[str, Any]) -> list[str]:
    models = classifier["models"]
    used = data["classifier_papers"]
    rows = [
        [CLASSIFIER_NAMES.get(name, name), _number(metrics["threshold"])]
        + [_number(metrics[column]) for column in CLASSIFIER_COLUMNS]
        for name, metrics in models.items()
    ]
    any_true_rows = [
        [CLASSIFIER_NAMES.get(name, name)]
        + [_number(metrics["any_true_above"][str(t)]) for t in ANY_TRUE_THRESHOLDS]
        for name, metrics in models.items()
    ]
    return [
        "## Classifier (test split)",
        f"Embeddings: `{classifier['embedding_model']}` (trial {classifier['trial']}). "
        f"Papers with at least one vocabulary label: train {used['train']}, "
        f"validation {used['validation']}, test {used['test']} (the others have no target "
        "and are left out). Each predictor's threshold maximises micro-F1 on validation; "
        "macro-F1 and mAP average the labels present in test.",
        _table(["model", "threshold", *CLASSIFIER_COLUMNS.values()], rows),
        *[
            f"{CLASSIFIER_NAMES.get(name, name)}: trained on {metrics['train_papers']} of "
            f"the {used['train']} training papers (a nested subset of train)."
            for name, metrics in models.items()
            if metrics.get("train_papers", used["train"]) != used["train"]
        ],
        *[
            f"{CLASSIFIER_NAMES.get(name, name)}: "
            + ", ".join(f"{key}={value}" for key, value in metrics["params"].items())
            + " (chosen on validation)."
            for name, metrics in models.items()
            if metrics["params"]
        ],
        "For comparison with earlier research only: the share of test papers with at least "
        "one true label scored above a threshold. Predicting every label scores 1.0, so it "
        "is no measure of quality.",
        _table(["model", *(f"> {t}" for t in ANY_TRUE_THRESHOLDS)], any_true_rows),
    ]


def _spread(topics: dict[str, Any], name: str, split: str, column: str) -> str:
    """``mean ± std`` over the seeds; with one seed, its value as it is."""
    if len(topics["seeds"]) == 1:
        return _number(topics["models"][name][split][column])
    mean, std = topics["mean"][name][split][column], topics["std"][name][split][column]
    return f"{mean:.3f} ± {std:.3f}"


def topic_seed_table(topics: dict[str, Any], splits: tuple[str, ...] | None = None) -> str:
    """The topic models' metrics as mean ± std over the seeds, one row per model and split.

    ``topics`` is the ``topics`` entry of ``metrics.json``; ``splits`` restricts the rows
    (default: every split).
    """
    rows = [
        [TOPIC_NAMES.get(name, name), split]
        + [_spread(topics, name, split, column) for column in TOPIC_COLUMNS]
        for name, by_split in topics["mean"].items()
        for split in by_split
        if splits is None or split in splits
    ]
    return _table(["model", "split", *TOPIC_COLUMNS.values()], rows)


def _coherence_reference(topics: dict[str, Any]) -> str:
    """Which texts coherence was measured against, where a split's were capped."""
    # Reports written before the cap have no coherence_documents: every text counted.
    counted = topics.get("coherence_documents", topics["documents"])
    capped = [f"{split} {counted[split]} of {n}" for split, n in topics["documents"].items() if counted[split] < n]
    if not capped:
        return ""
    return (
        f" Coherence is measured against a nested subset of at most {topics['coherence_max_papers']} "
        f"papers per split (`evaluation.coherence_max_papers`): {', '.join(capped)}."
    )


def _topic_section(topics: dict[str, Any]) -> list[str]:
    documents = ", ".join(f"{split} {n}" for split, n in topics["documents"].items())
    seeds = ", ".join(map(str, topics["seeds"]))
    return [
        "## Topic models",
        f"Embeddings: `{topics['embedding_model']}`; documents per split: {documents}. "
        f"Coherence of each model's top {topics['topn']} words on that split's texts "
        "(train: the texts the models were fitted on; validation and test: held out)."
        f"{_coherence_reference(topics)} "
        "LDA and k-means assign no outliers. NMI (arithmetic) and ARI compare each paper's "
        "topic with its primary category and its archive (`math.CO` -> `math`), every paper "
        "counted and the outliers as one more cluster; metrics.json also holds them with the "
        "outliers left out (`*_assigned`).",
        f"Each model fitted once per seed ({seeds}) on the same papers: the tuned "
        "configuration refitted from the chosen trial's parameters (under the final model's "
        f"seed {topics['final_model_seed']}, the final model itself), BERTopic defaults, "
        "LDA, and the embedding literature's yardstick: k-means on the same embeddings with "
        "k = the number of primary categories, and k = the number of archives, of the training "
        "papers (MTEB's arXiv clustering protocol; its V-measure is the NMI here). Cells are "
        "mean ± standard deviation (population) over the seeds; metrics.json holds each "
        "seed's numbers (`per_seed`) and the first seed's as `models`.",
        topic_seed_table(topics),
    ]


def render_report(evaluation_metrics: dict[str, Any]) -> str:
    """The evaluation as markdown: data sizes, the classifier table, the topic table."""
    data = evaluation_metrics["data"]
    sizes = data["papers_per_split"]
    sections = [
        "# Evaluation",
        f"Papers per split: train {sizes['train']}, validation {sizes['validation']}, "
        f"test {sizes['test']}; {data['labels']} labels.",
        *_classifier_section(data, evaluation_metrics["classifier"]),
        *_topic_section(evaluation_metrics["topics"]),
    ]
    return "\n\n".join(sections) + "\n"


def plot_per_category_f1(evaluation_metrics: dict[str, Any]) -> go.Figure:
    """Test F1 of every label present in test, per predictor, labels by test frequency."""
    classifier = evaluation_metrics["classifier"]
    counts = classifier["test_label_counts"]
    labels = sorted(
        (label for label, n in counts.items() if n > 0), key=lambda label: -counts[label]
    )
    figure = go.Figure(
        [
            go.Bar(
                name=CLASSIFIER_NAMES.get(name, name), x=labels, y=[f1[label] for label in labels]
            )
            for name, f1 in classifier["per_label_f1"].items()
        ]
    )
    figure.update_layout(
        title="F1 per category on test (categories by test frequency)",
        barmode="group",
        xaxis_title="category",
        yaxis_title="F1",
    )
    return figure


def plot_threshold_curves(evaluation_metrics: dict[str, Any]) -> go.Figure:
    """Validation micro-F1 by decision threshold, with each predictor's chosen threshold."""
    classifier = evaluation_metrics["classifier"]
    figure = go.Figure()
    for name, curve in classifier["threshold_curves"].items():
        label = CLASSIFIER_NAMES.get(name, name)
        figure.add_trace(
            go.Scatter(x=curve["thresholds"], y=curve["micro_f1"], mode="lines", name=label)
        )
        chosen = classifier["models"][name]
        figure.add_trace(
            go.Scatter(
                x=[chosen["threshold"]],
                y=[chosen["validation_micro_f1"]],
                mode="markers",
                name=f"{label}: chosen",
                showlegend=False,
            )
        )
    figure.update_layout(
        title="Micro-F1 on validation by threshold", xaxis_title="threshold", yaxis_title="micro-F1"
    )
    return figure


def plot_topic_sizes(evaluation_metrics: dict[str, Any]) -> go.Figure:
    """Training documents per topic, largest first, for each topic model."""
    sizes = evaluation_metrics["topics"]["train_topic_sizes"]
    figure = go.Figure(
        [
            go.Bar(name=TOPIC_NAMES.get(name, name), x=list(range(len(values))), y=values)
            for name, values in sizes.items()
        ]
    )
    figure.update_layout(
        title="Topic sizes on train (outliers excluded)",
        barmode="group",
        xaxis_title="topic rank",
        yaxis_title="documents",
    )
    return figure
