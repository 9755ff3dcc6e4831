from exception_layer.errors import (
    AppError,
    Conflict,
    DatabaseUnavailable,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ServiceUnavailable,
    StorageError,
    Unauthorized,
    UnprocessableEntity,
    ValidationError,
    as_app_error,
)

__all__ = [
    "AppError",
    "Conflict",
    "DatabaseUnavailable",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "ServiceUnavailable",
    "StorageError",
    "Unauthorized",
    "UnprocessableEntity",
    "ValidationError",
    "as_app_error",
]
