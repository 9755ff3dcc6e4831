"""Checks of what people type or send, shared by the pages, the JSON API and the repositories.

One rule, one function: texts (length, invisible characters), email addresses and lists of
them, whole numbers (ASCII digits, in range), and JSON documents (nesting and numbers
bounded before anything is stored).
"""

import json
import math
import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from exception_layer.errors import ValidationError

MAX_EMAIL = 254
MIN_PASSWORD = 8
MAX_PASSWORD = 256
MAX_NAME = 80
MAX_DESCRIPTION = 2000
MAX_EMAILS = 20
# MongoDB stores integers in at most 8 bytes; a larger one fails the insert.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_DIGITS = len(str(INT64_MAX))
MAX_JSON_DEPTH = 32

# Characters that reorder how text is shown without being seen (``\u202egnp.exe`` reads as
# ``exe.png``): the bidirectional embeddings, overrides, isolates and marks.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Control characters and the line and paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"')
_JSON_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_JSON_INNERMOST = re.compile(r"\[\]|\{\}")
_JSON_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def hidden_character(value):
    """The first control or text-direction character of ``value`` as ``U+XXXX``, or None."""
    for char in value:
        if char in _BIDI_CONTROLS or unicodedata.category(char) in _HIDDEN_CATEGORIES:
            return f"U+{ord(char):04X}"
    return None


def refuse_hidden_characters(value, field):
    """Raise when ``value`` holds a character people cannot see or that reorders the text."""
    found = hidden_character(value)
    if found:
        raise ValidationError(
            f"{field} cannot contain control characters or text-direction marks ({found}).",
            details={"field": field},
        )


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
    refuse_hidden_characters(value, field)
    return value


def description(value, field="Description"):
    """Free text of a few paragraphs: line breaks and tabs are fine, other controls are not."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text.", details={"field": field})
    value = value.strip()
    if len(value) > MAX_DESCRIPTION:
        raise ValidationError(
            f"{field} can be at most {MAX_DESCRIPTION} characters.", details={"field": field}
        )
    refuse_hidden_characters(re.sub(r"\r?\n|\t", " ", value), field)
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


def email_list(values, field):
    """A list of email addresses, each one checked on its own (a CRLF never reaches a header),
    normalised, without duplicates, and at most MAX_EMAILS of them."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError(
            f"{field} must be a list of email addresses.", details={"field": field}
        )
    if len(values) > MAX_EMAILS:
        raise ValidationError(
            f"{field} can hold at most {MAX_EMAILS} addresses.", details={"field": field}
        )
    cleaned = []
    for value in values:
        address = email(value, f"{field}: {value.strip()[:60]!r}")
        if address not in cleaned:
            cleaned.append(address)
    return cleaned


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


def whole_number(value, field, *, low=0, high=INT64_MAX):
    """An integer from ``low`` to ``high``, given as an int or as ASCII digits.

    ``str.isdigit`` accepts '²' and other digits ``int`` refuses, and ``int`` refuses more than
    4,300 digits: text is read only when it is at most MAX_DIGITS ASCII digits (a sign allowed
    when ``low`` is negative).
    """
    refused = ValidationError(
        f"{field} must be a whole number from {low} to {high}.", details={"field": field}
    )
    if isinstance(value, str):
        digits = value.strip()
        unsigned = digits[1:] if low < 0 and digits[:1] in "+-" else digits
        if not (unsigned.isascii() and unsigned.isdigit()) or len(unsigned) > MAX_DIGITS:
            raise refused
        value = int(digits)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise refused
    return value


def _json_too_deep(text, limit):
    """True when arrays and objects nest more than ``limit`` levels (strings skipped).

    Each pass removes the innermost empty pairs, one level of nesting, at the regex engine's
    speed, so a wide document costs ``limit`` scans rather than a Python loop per bracket.
    """
    brackets = _JSON_NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    for _ in range(limit):
        brackets, removed = _JSON_INNERMOST.subn("", brackets)
        if not removed:
            return False
    return _JSON_INNERMOST.search(brackets) is not None


def _json_integer(digits):
    if len(digits.lstrip("-")) > MAX_DIGITS or not INT64_MIN <= int(digits) <= INT64_MAX:
        raise ValidationError(
            f"The number {digits[:24]}{'…' if len(digits) > 24 else ''} is too large: whole "
            f"numbers range from {INT64_MIN} to {INT64_MAX}.",
            code="invalid_json",
        )
    return int(digits)


def _json_decimal(digits):
    number = float(digits)
    if not math.isfinite(number):
        raise ValidationError(
            f"The number {digits[:24]} is too large to be a decimal number.", code="invalid_json"
        )
    return number


def _json_constant(name):
    raise ValidationError(
        f"{name} is not JSON; send null for a missing value.", code="invalid_json"
    )


def json_document(data, what="The request body", object_pairs_hook=None):
    """Decode JSON text or bytes people sent, refusing in words what the platform cannot keep:
    nesting deeper than MAX_JSON_DEPTH (checked before parsing, so the parser never recurses
    out of stack), integers beyond 64 bits, infinite decimals, NaN and Infinity."""
    if isinstance(data, bytes):
        try:
            data = data.decode(json.detect_encoding(data))
        except UnicodeDecodeError:
            raise ValidationError(f"{what} is not UTF-8 text.", code="invalid_json") from None
    if _json_too_deep(data, MAX_JSON_DEPTH):
        raise ValidationError(
            f"{what} nests lists and objects more than {MAX_JSON_DEPTH} levels deep.",
            code="invalid_json",
        )
    try:
        value = json.loads(
            data,
            parse_int=_json_integer,
            parse_float=_json_decimal,
            parse_constant=_json_constant,
            object_pairs_hook=object_pairs_hook,
        )
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{what} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            code="invalid_json",
        ) from None
    if _JSON_SURROGATE_ESCAPE.search(data) and not _encodable(value):
        raise ValidationError(
            f"{what} holds a \\u escape of half a character (a lone surrogate).",
            code="invalid_json",
        )
    return value


def _encodable(value):
    """True when every text in ``value`` can be written as UTF-8 (the database's encoding)."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is None
    if isinstance(value, dict):
        return all(_encodable(k) and _encodable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_encodable(item) for item in value)
    return True
