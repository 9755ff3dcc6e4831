"""Drift of prediction batches from the data a model version was trained on.

``build_profile`` summarises the training features once, at training time; ``check_batch``
compares each prediction batch with that profile and returns a ``DriftReport``.
``reference_predictions`` and ``batch_predictions`` put predictions in the format both take.
"""

from project_library.drift.check import check_batch
from project_library.drift.predictions import batch_predictions, reference_predictions
from project_library.drift.profile import build_profile
from project_library.drift.report import DriftReport

__all__ = [
    "DriftReport",
    "batch_predictions",
    "build_profile",
    "check_batch",
    "reference_predictions",
]
