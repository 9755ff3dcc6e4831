"""The train and predict pipelines, as plain functions over injected dependencies.

``RunContext`` (``context``) carries everything a pipeline touches: the project, its
storage, a logger, repositories, a ``progress(step, percent, message)`` callable, a
``cancel()`` callable and the signing secret. Each pipeline (``training``, ``prediction``)
returns the fields to record on the finished run; ``steps`` holds what they share.
"""

from project_library.pipelines.context import RunContext
from project_library.pipelines.prediction import run_prediction
from project_library.pipelines.training import run_training, training_options

__all__ = [
    "PIPELINES",
    "RunContext",
    "run_prediction",
    "run_training",
    "training_options",
]

PIPELINES = {"train": run_training, "predict": run_prediction}
