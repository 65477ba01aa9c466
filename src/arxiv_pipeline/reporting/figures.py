"""Helpers shared by the report figures: what a study measures, and a figure that explains its emptiness."""

from __future__ import annotations

import optuna
import plotly.graph_objects as go


def objective_name(study: optuna.Study) -> str:
    """What the first objective measures, as the study's provenance records it."""
    provenance = study.user_attrs.get("provenance", {})
    return provenance.get("measure") or provenance.get("objective") or "objective"


def note_figure(title: str, note: str) -> go.Figure:
    """An empty figure that says why there is nothing to draw."""
    figure = go.Figure()
    figure.update_layout(
        title=title,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {"text": note, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}
        ],
    )
    return figure
