"""The final fit: the chosen candidate (or blend), with its calibrator and the decision rule
cross-validation preferred, fitted on the rows it is given."""

from dataclasses import dataclass

from project_library.training.candidates import PriorCorrected
from project_library.training.ensemble import Blend, Calibrated
from project_library.training.oof import PRIOR_POWERS
from project_library.training.problem import threads_for


@dataclass
class Fitted:
    """A fitted estimator and how the result names it, plus the scores that chose it."""

    estimator: object
    name: str
    label: str
    params: dict
    scores: list
    choice: object = None  # the selection's Choice, to refit on every row (None: clustered)


def build_final(problem, choice):
    """The chosen model, unfitted: one candidate or a blend, with the prior-corrected rule
    when cross-validation preferred it, its probabilities calibrated when selection kept a
    calibrator (its decisions stay the rule's)."""
    members = [
        c.build(problem.numeric, problem.categorical, problem.options.n_jobs)
        for c in choice.members
    ]
    estimator = members[0] if len(members) == 1 else Blend(members)
    if choice.decision in PRIOR_POWERS:
        estimator = PriorCorrected(estimator, power=PRIOR_POWERS[choice.decision])
    if choice.calibrator is not None:
        estimator = Calibrated(estimator, choice.calibrator, problem.classes)
    return estimator


def fit_final(problem, choice, scores, X=None, y=None):
    """Fit the chosen model on ``X``, ``y`` (the problem's training split by default)."""
    X, y = (problem.X, problem.y) if X is None else (X, y)
    estimator = build_final(problem, choice)
    with threads_for(len(y)):
        estimator.fit(X, y)
    predict_in_one_thread(estimator)
    return Fitted(estimator, choice.name, choice.label, public_params(estimator), scores, choice)


def pipelines_in(estimator):
    """The fitted pipelines inside the wrappers (decision rule, calibration, blend)."""
    while isinstance(estimator, (PriorCorrected, Calibrated)):
        estimator = estimator.estimator
    return list(estimator.members) if isinstance(estimator, Blend) else [estimator]


def predict_in_one_thread(estimator):
    """Forests fit in parallel but predict in one thread: threads add the trees' predictions
    in any order, so a row alone and the same row in a batch would differ in the last digit."""
    for pipeline in pipelines_in(estimator):
        model = pipeline.named_steps["model"] if hasattr(pipeline, "named_steps") else None
        if model is not None and "n_jobs" in model.get_params(deep=False):
            model.set_params(n_jobs=1)


def public_params(estimator):
    """The chosen model's simple settings, and how it was wrapped."""
    params = {}
    if isinstance(estimator, Calibrated):
        params["calibration"] = "logistic on out-of-fold probabilities"
        estimator = estimator.estimator
    if isinstance(estimator, PriorCorrected):
        params["decision_rule"] = f"prior-corrected argmax (power {estimator.power:g})"
        estimator = estimator.estimator
    if isinstance(estimator, Blend):
        params["blend"] = " + ".join(
            type(m.named_steps["model"]).__name__ for m in estimator.members
        )
        estimator = estimator.members[0]
    model = estimator.named_steps["model"] if hasattr(estimator, "named_steps") else estimator
    own = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    own = {k: v for k, v in own.items() if v is None or isinstance(v, (bool, int, float, str))}
    return {**own, **params}
