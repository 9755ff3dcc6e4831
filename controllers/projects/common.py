"""What the project pages share: labels, the batch kinds in URLs, the sample-size limit."""

from exception_layer.errors import NotFound
from project_library.validation.batches import KINDS

TASK_LABELS = {
    "binary": "Binary classification",
    "multiclass": "Multiclass classification",
    "regression": "Regression",
}
SAMPLE_BYTES = 2 * 1024 * 1024


def kind_or_404(kind):
    if kind not in KINDS:
        raise NotFound("Batches and schemas are 'training' or 'prediction'.")
    return kind
