"""Plotly figures of the final topic model, for kedro-viz and the reporting folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go

if TYPE_CHECKING:
    from bertopic import BERTopic


def _figure_or_note(draw, title: str) -> go.Figure:
    """BERTopic's figure, or an empty one saying why it cannot be drawn."""
    try:
        return draw()
    except (ValueError, TypeError) as error:
        # BERTopic's layouts need a few topics (the distance map runs UMAP on them).
        figure = go.Figure()
        figure.update_layout(
            title=title,
            annotations=[{"text": f"Not drawn: {error}", "showarrow": False, "x": 0.5, "y": 0.5}],
        )
        return figure


def plot_topic_model(topic_model: BERTopic) -> tuple[go.Figure, go.Figure, go.Figure]:
    """Top words per topic, the intertopic distance map, and the topic hierarchy."""
    n_topics = len([topic for topic in topic_model.get_topics() if topic != -1])
    return (
        _figure_or_note(lambda: topic_model.visualize_barchart(top_n_topics=min(n_topics, 16)), "Topic words"),
        _figure_or_note(topic_model.visualize_topics, "Intertopic distance map"),
        _figure_or_note(topic_model.visualize_hierarchy, "Topic hierarchy"),
    )
