"""Plotly figures of the final topic model, for kedro-viz and the reporting folder."""

from __future__ import annotations

import plotly.graph_objects as go

from arxiv_pipeline.topics.bundle import TopicModelBundle


def _figure_or_note(draw, title: str) -> go.Figure:
    """BERTopic's figure, or an empty one saying why it cannot be drawn."""
    try:
        return draw()
    except (ValueError, TypeError, IndexError) as error:
        # BERTopic's layouts need a few topics (the distance map runs UMAP on them; with
        # fewer topics than it expects it indexes its embeddings with an empty float array).
        figure = go.Figure()
        figure.update_layout(
            title=title,
            annotations=[{"text": f"Not drawn: {error}", "showarrow": False, "x": 0.5, "y": 0.5}],
        )
        return figure


def plot_topic_model(topic_model: TopicModelBundle) -> tuple[go.Figure, go.Figure, go.Figure]:
    """Top words per topic, the intertopic distance map, and the topic hierarchy."""
    model = topic_model.model
    n_topics = len([topic for topic in model.get_topics() if topic != -1])
    return (
        _figure_or_note(lambda: model.visualize_barchart(top_n_topics=min(n_topics, 16)), "Topic words"),
        _figure_or_note(model.visualize_topics, "Intertopic distance map"),
        _figure_or_note(model.visualize_hierarchy, "Topic hierarchy"),
    )
