"""What a pipeline touches, injected: the run, its project and storage, a logger, the
repositories it records into, and the caller's progress, cancel and promotion callables."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from cloud_storage.base import CloudStorage
from entity.model_version import ModelVersionRepository
from entity.project import Project
from entity.run import Run
from entity.validation import ValidationRepository
from project_library.cancellation import check_cancel


class NothingToDo(Exception):  # noqa: N818 - an outcome, not an error
    """The run found nothing to do (e.g. no new prediction files): it ends ``skipped``."""


@dataclass
class RunContext:
    run: Run
    project: Project
    storage: CloudStorage
    log: logging.Logger | logging.LoggerAdapter
    secret: str
    models: ModelVersionRepository
    validations: ValidationRepository
    set_production: Callable[[int], None]
    # progress(step, percent, message, **extra): the caller marks the step in the run log
    progress: Callable[..., None] | None = None
    cancel: Callable[[], bool] | None = None
    # covered(model_version) -> {(file name, sha256)} already predicted with that model
    covered: Callable[[int], set] | None = None
    extra: dict = field(default_factory=dict)

    def step(self, name: str, percent: float, message: str) -> None:
        """Report the step to ``progress`` (which marks it in the run log), log it, then stop
        here if the run was cancelled."""
        if self.progress:
            self.progress(name, percent, message)
        self.log.info("step=%s %s", name, message)
        check_cancel(self.cancel)
