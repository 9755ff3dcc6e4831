from exception_layer.errors import (
    AppError,
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ServiceUnavailable,
    StorageError,
    Unauthorized,
    UnprocessableEntity,
    ValidationError,
)

__all__ = [
    "AppError",
    "Conflict",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "ServiceUnavailable",
    "StorageError",
    "Unauthorized",
    "UnprocessableEntity",
    "ValidationError",
]
