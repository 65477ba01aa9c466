"""The evaluation pipeline: metrics of the tuned models and baselines, a report, figures."""

from kedro.pipeline import Node, Pipeline

from arxiv_pipeline.corpus.splitting import SPLITS
from arxiv_pipeline.reporting.evaluation import (
    plot_per_category_f1,
    plot_threshold_curves,
    plot_topic_sizes,
    render_report,
)

from .nodes import (
    build_evaluation_targets,
    collect_metrics,
    evaluate_classifiers,
    evaluate_topic_models,
    fit_topic_baselines,
    score_with_classifier,
    score_with_label_prior,
    score_with_tfidf_logreg,
)

TEXTS = {f"{split}_texts": f"{split}_texts" for split in SPLITS}
EMBEDDINGS = {f"{split}_embeddings": f"{split}_embeddings" for split in SPLITS}


def create_pipeline(**kwargs) -> Pipeline:
    classifier_nodes = [
        Node(
            build_evaluation_targets,
            inputs=["papers", "paper_splits", "label_vocabulary"],
            outputs="evaluation_targets",
            name="build_evaluation_targets",
        ),
        Node(
            score_with_classifier,
            inputs={
                "classifier": "classifier",
                "evaluation_targets": "evaluation_targets",
                "paper_splits": "paper_splits",
                "label_vocabulary": "label_vocabulary",
                **EMBEDDINGS,
            },
            outputs="classifier_scores",
            name="score_with_classifier",
        ),
        Node(
            score_with_tfidf_logreg,
            inputs={
                "evaluation_targets": "evaluation_targets",
                "paper_splits": "paper_splits",
                **TEXTS,
                "evaluation": "params:evaluation",
            },
            outputs="tfidf_logreg_scores",
            name="score_with_tfidf_logreg",
        ),
        Node(
            score_with_label_prior,
            inputs="evaluation_targets",
            outputs="label_prior_scores",
            name="score_with_label_prior",
        ),
        Node(
            evaluate_classifiers,
            inputs={
                "evaluation_targets": "evaluation_targets",
                "label_vocabulary": "label_vocabulary",
                "classifier": "classifier_scores",
                "tfidf_logreg": "tfidf_logreg_scores",
                "label_prior": "label_prior_scores",
            },
            outputs="classifier_evaluation",
            name="evaluate_classifiers",
        ),
    ]
    topic_nodes = [
        Node(
            fit_topic_baselines,
            inputs={
                "topic_model": "topic_model",
                "topic_assignments": "topic_assignments",
                "coarse_topic_table": "coarse_topic_table",
                "final_topic_metrics": "final_topic_metrics",
                "papers": "papers",
                "paper_splits": "paper_splits",
                **TEXTS,
                **EMBEDDINGS,
                "topic_tuning": "params:topic_tuning",
                "evaluation": "params:evaluation",
                "embeddings": "params:embeddings",
            },
            outputs="topic_baselines",
            name="fit_topic_baselines",
        ),
        Node(
            evaluate_topic_models,
            inputs={
                "topic_baselines": "topic_baselines",
                "final_topic_metrics": "final_topic_metrics",
                "papers": "papers",
                "paper_splits": "paper_splits",
                **TEXTS,
                "topic_tuning": "params:topic_tuning",
                "evaluation": "params:evaluation",
            },
            outputs="topic_evaluation",
            name="evaluate_topic_models",
        ),
    ]
    report_nodes = [
        Node(
            collect_metrics,
            inputs=[
                "classifier_evaluation",
                "topic_evaluation",
                "evaluation_targets",
                "paper_splits",
                "classifier",
            ],
            outputs="evaluation_metrics",
            name="collect_metrics",
        ),
        Node(
            render_report,
            inputs="evaluation_metrics",
            outputs="evaluation_report",
            name="render_report",
        ),
        Node(
            plot_per_category_f1,
            inputs="evaluation_metrics",
            outputs="per_category_f1_figure",
            name="plot_per_category_f1",
        ),
        Node(
            plot_threshold_curves,
            inputs="evaluation_metrics",
            outputs="threshold_curve_figure",
            name="plot_threshold_curves",
        ),
        Node(
            plot_topic_sizes,
            inputs="evaluation_metrics",
            outputs="topic_sizes_figure",
            name="plot_topic_sizes",
        ),
    ]
    return Pipeline(classifier_nodes + topic_nodes + report_nodes)
