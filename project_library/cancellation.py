"""Cooperative cancellation: long steps call ``check_cancel`` between units of work."""


class RunCancelled(Exception):
    """Raised inside a pipeline when its run was asked to stop."""

    def __init__(self, message="The run was cancelled."):
        super().__init__(message)


def check_cancel(cancel):
    """Raise RunCancelled when the ``cancel`` callable (or None) says the run should stop."""
    if cancel is not None and cancel():
        raise RunCancelled()
