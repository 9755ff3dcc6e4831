"""What every training step needs, carried as one object instead of a dozen arguments.

``Problem`` holds the training split (features, target, duplicate groups), how its columns
are typed, the task, metric and classes, the caller's ``TrainingOptions``, the budget clock,
the cancel check and the logger. Selection, the final fit and clustering all read it.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

# Below this many rows OpenMP and BLAS threads cost more than they give (on a shared machine
# their busy-waiting makes HistGradientBoosting, and a logistic regression's BLAS calls,
# many times slower): fit single-threaded.
SINGLE_THREAD_ROWS = 20_000


def threads_for(n_rows):
    return threadpool_limits(limits=1 if n_rows < SINGLE_THREAD_ROWS else None)


DEFAULT_TIME_BUDGET_S = 120.0


@dataclass
class TrainingOptions:
    task: str
    target: str
    metric: str | None = None
    ignore_columns: tuple = ()
    id_columns: tuple = ()
    time_budget_s: float = DEFAULT_TIME_BUDGET_S
    strategy: str = "auto"
    test_size: float = 0.2
    cv_folds: int = 3
    max_cv_rows: int = 40_000
    random_state: int = 0
    n_jobs: int | None = -1
    candidates: tuple | None = None  # names to restrict to (tests, benchmarks)


class Clock:
    """Seconds since training started, and what is left of the time budget."""

    def __init__(self, budget_s):
        self.start = time.monotonic()
        self.budget = float(budget_s)

    @property
    def elapsed(self):
        return time.monotonic() - self.start

    @property
    def remaining(self):
        return self.budget - self.elapsed


@dataclass(frozen=True, eq=False)
class Problem:
    X: pd.DataFrame
    y: np.ndarray
    groups: np.ndarray
    numeric: list[str]
    categorical: list[str]
    task: str
    metric: str
    classes: list | None
    options: TrainingOptions
    clock: Clock
    cancel: Callable[[], bool] | None
    log: logging.Logger | logging.LoggerAdapter
    sources: np.ndarray | None = None  # each row's batch file, for validation by file

    def subset(self, rows):
        """The same problem restricted to ``rows`` (a boolean mask), e.g. one cluster."""
        sources = None if self.sources is None else np.asarray(self.sources)[rows]
        return replace(
            self,
            X=self.X[rows],
            y=np.asarray(self.y)[rows],
            groups=np.asarray(self.groups)[rows],
            sources=sources,
        )
