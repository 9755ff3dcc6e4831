"""Where a project keeps its files, below its root folder in its storage connection.

These names are part of the product (the README documents them): people browse them in the
file manager and drop batch files into them.
"""

from datetime import UTC, datetime

TRAINING_BATCHES = "training_batches"
PREDICTION_BATCHES = "prediction_batches"
QUARANTINE = "quarantine"
MODELS = "models"
PREDICTIONS = "predictions"
HELD_PREDICTIONS = "predictions_held"  # drifted batches kept back until an admin decides
REPORTS = "reports"
LOGS = "logs"

PROJECT_FOLDERS = (
    TRAINING_BATCHES,
    PREDICTION_BATCHES,
    QUARANTINE,
    MODELS,
    PREDICTIONS,
    REPORTS,
    LOGS,
)

# What the platform writes below a project's root; the batch folders are the team's.
PLATFORM_FOLDERS = (MODELS, PREDICTIONS, HELD_PREDICTIONS, REPORTS, LOGS, QUARANTINE)

BATCH_FOLDER = {"training": TRAINING_BATCHES, "prediction": PREDICTION_BATCHES}


def project_path(root, *parts):
    """Join a project's root and the given parts into one storage path ('' root allowed)."""
    pieces = [p.strip("/") for p in (root, *parts) if p and p.strip("/")]
    return "/".join(pieces)


def models_folder(project):
    """Where a project's model versions live (``v<n>/model.pkl`` and its manifest)."""
    return project_path(project.root, MODELS)


def log_path(project, run):
    """The archived log of a run: ``logs/<kind>_<created>_<run id>.log``."""
    stamp = (run.created_at or datetime.now(UTC)).strftime("%Y%m%d_%H%M%S")
    return project_path(project.root, LOGS, f"{run.kind}_{stamp}_{run.id}.log")


def report_path(project, version):
    """The shareable HTML report of a model version: ``reports/model_v<n>.html``."""
    return project_path(project.root, REPORTS, f"model_v{int(version)}.html")
