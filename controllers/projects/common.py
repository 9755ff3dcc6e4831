"""What the project pages share: labels, the batch kinds in URLs, the sample-size limit."""

from entity.validation import BATCHES
from exception_layer.errors import NotFound

TASK_LABELS = {
    "binary": "Binary classification",
    "multiclass": "Multiclass classification",
    "regression": "Regression",
}
SAMPLE_BYTES = 2 * 1024 * 1024


def kind_or_404(batch):
    if batch not in BATCHES:
        raise NotFound("Batches and schemas are 'training' or 'prediction'.")
    return batch
