"""Jobs yield the CPU to pages: a lower priority and fewer threads than the web.

On 2 cores a training that takes every core (OpenMP in HistGradientBoosting, BLAS, joblib's
worker processes) at the web's priority makes every page wait for it. A job thread therefore
runs at ``nice`` (``MLP_RUN_NICE``, 10: the scheduler gives a nice-0 thread about 10 times
its share) and its OpenMP pool is capped at ``threads`` (``MLP_RUN_THREADS``; default one
core less than the machine has, at least 1). Threads and processes a job starts inherit its
priority (Linux priorities are per thread); joblib's worker processes number at most
``LOKY_MAX_CPU_COUNT``, and they (and libraries loaded later) read ``OMP_NUM_THREADS`` /
``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS``. The BLAS pool of the web process itself
stays as it is (see ``lower_this_thread``); a Celery worker caps it too.
"""

import logging
import os
import threading

logger = logging.getLogger(__name__)

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "LOKY_MAX_CPU_COUNT",
)


def default_threads():
    return max(1, (os.cpu_count() or 1) - 1)


def cap_process_threads(threads):
    """Set the thread variables of this process (libraries not loaded yet, child
    processes), unless the operator set them."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(int(threads)))


def lower_this_thread(nice, threads, blas=False):
    """Lower the calling thread's CPU priority to ``nice`` and cap its OpenMP pool at
    ``threads`` (OpenMP's count is per thread); return what could be applied.

    ``blas``: cap the BLAS pool too. Its count is process-wide, so only a process that
    serves no pages does (a Celery worker): in the web process it would change the web
    threads' online predictions as well (a serving test's bit-exact comparison of one row
    against many saw it).
    """
    applied = {}
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), int(nice))
        applied["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    except (OSError, AttributeError) as error:  # not Linux, or not allowed
        logger.info("run_priority_unchanged reason=%s", error)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=int(threads), user_api=None if blas else "openmp")
        applied["threads"] = int(threads)
    except ImportError:
        pass
    return applied
