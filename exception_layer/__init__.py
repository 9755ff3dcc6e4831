from exception_layer.errors import (
    AppError,
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    StorageError,
    Unauthorized,
    ValidationError,
)

__all__ = [
    "AppError",
    "Conflict",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "StorageError",
    "Unauthorized",
    "ValidationError",
]
