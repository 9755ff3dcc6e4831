"""Checks of what people type, shared by the pages and the JSON API."""

from email_validator import EmailNotValidError, validate_email

from exception_layer.errors import ValidationError

MAX_EMAIL = 254
MIN_PASSWORD = 8
MAX_PASSWORD = 256
MAX_NAME = 80


def text(value, field, *, max_len=MAX_NAME, required=True):
    """A string field: stripped, required unless told, and not longer than max_len."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text.", details={"field": field})
    value = value.strip()
    if required and not value:
        raise ValidationError(f"{field} is required.", details={"field": field})
    if len(value) > max_len:
        raise ValidationError(
            f"{field} can be at most {max_len} characters.", details={"field": field}
        )
    if any(ord(ch) < 32 for ch in value):
        raise ValidationError(
            f"{field} cannot contain control characters.", details={"field": field}
        )
    return value


def email(value, field="Email", required=True):
    value = text(value, field, max_len=MAX_EMAIL, required=required)
    if not value and not required:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError(
            f"{field} is not a valid email address.", details={"field": field}
        ) from exc


def password(value, field="Password"):
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{field} is required.", details={"field": field})
    if len(value) < MIN_PASSWORD:
        raise ValidationError(
            f"{field} must be at least {MIN_PASSWORD} characters.", details={"field": field}
        )
    if len(value) > MAX_PASSWORD:
        raise ValidationError(
            f"{field} can be at most {MAX_PASSWORD} characters.", details={"field": field}
        )
    return value
