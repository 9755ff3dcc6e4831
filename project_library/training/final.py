"""The final fit: the selected candidate, with the decision rule cross-validation preferred,
fitted on the whole training split."""

from dataclasses import dataclass

from project_library.training.candidates import PriorCorrected
from project_library.training.problem import threads_for


@dataclass
class Fitted:
    """A fitted estimator and how the result names it, plus the scores that chose it."""

    estimator: object
    name: str
    label: str
    params: dict
    scores: list


def build_final(problem, best, scores):
    """The chosen candidate, unfitted, with the decision rule cross-validation preferred."""
    estimator = best.build(problem.numeric, problem.categorical, problem.options.n_jobs)
    chosen = next((s for s in scores if s.name.endswith(best.name) and s.status == "scored"), None)
    if chosen is not None and chosen.decision == "prior":
        return PriorCorrected(estimator)
    return estimator


def fit_final(problem, best, scores):
    """Fit the chosen candidate on the whole training split."""
    estimator = build_final(problem, best, scores)
    with threads_for(len(problem.y)):
        estimator.fit(problem.X, problem.y)
    params = public_params(estimator)
    if isinstance(estimator, PriorCorrected):
        params["decision_rule"] = "prior-corrected argmax"
    return Fitted(estimator, best.name, best.label, params, scores)


def public_params(pipeline):
    model = pipeline.named_steps["model"] if hasattr(pipeline, "named_steps") else pipeline
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    return {k: v for k, v in params.items() if v is None or isinstance(v, (bool, int, float, str))}
