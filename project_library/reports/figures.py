"""Every figure of a model version's report, drawn from its held-out rows.

``build_figures(held_out, importance, candidates, chosen)`` returns, in this order:
classification ``confusion_matrix``, ``roc``, ``precision_recall``, ``calibration``;
regression ``predicted_vs_actual``, ``residuals``; then for every version
``permutation_importance`` (left out when ``importance`` is None) and ``candidates``. Each is
a ``Figure``: SVG text (text kept as text, ids scoped to the figure's name), a title, alt text
in words, and ``data``, the JSON-safe points it draws so an API client can redraw it.
"""

from project_library.reports.calibration import calibration_figure
from project_library.reports.candidates import candidates_figure
from project_library.reports.canvas import Figure
from project_library.reports.confusion import confusion_figure
from project_library.reports.curves import precision_recall_figure, roc_figure
from project_library.reports.importance import importance_figure
from project_library.reports.regression import predicted_vs_actual_figure, residuals_figure
from project_library.training import metrics as metric_defs

__all__ = ["Figure", "build_figures"]

CLASSIFICATION = (confusion_figure, roc_figure, precision_recall_figure, calibration_figure)
REGRESSION = (predicted_vs_actual_figure, residuals_figure)


def build_figures(held_out, importance, candidates, chosen):
    """The version's figures; ``candidates`` are ``CandidateScore.to_dict()`` dicts and
    ``chosen`` the name of the candidate that became the model."""
    classify = metric_defs.is_classification(held_out.task)
    figures = [draw(held_out) for draw in (CLASSIFICATION if classify else REGRESSION)]
    shuffled = importance_figure(importance)
    if shuffled is not None:
        figures.append(shuffled)
    figures.append(candidates_figure(candidates or [], chosen, held_out.metric))
    return figures
