"""Held-out cases shared by the report tests, built once per session (fitting takes time)."""

import warnings

import pytest

from tests.reports import cases


def quietly(build, *args, **kwargs):
    # A class absent from the held-out rows makes sklearn's balanced accuracy warn inside
    # permutation importance; the reports themselves must not warn (tested separately).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return build(*args, **kwargs)


@pytest.fixture(scope="session")
def binary():
    return quietly(cases.classification_case, cases.BINARY_CLASSES)


@pytest.fixture(scope="session")
def multiclass():
    return quietly(cases.classification_case, cases.MULTICLASS_CLASSES, absent=cases.ABSENT)


@pytest.fixture(scope="session")
def regression():
    return quietly(cases.regression_case)


@pytest.fixture(scope="session")
def wide():
    return cases.wide_multiclass()
