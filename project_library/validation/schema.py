"""The classic data contract: ``schema_training.json`` / ``schema_prediction.json``.

A classic schema names a sample file (whose prefix every batch file shares), the lengths of
the date and time stamps in batch file names, the number of columns and, in order, each
column's name and type. Columns are mapped BY POSITION: the n-th entry of ``ColName`` is the
n-th column of every batch file, whatever the file's header says.
"""

import json
import math
import re
from dataclasses import dataclass, field

from entity import validators
from exception_layer.errors import PayloadTooLarge, ValidationError

# A project document holds each schema twice (the classic dict and the text as uploaded), for
# training and for prediction, within the database's 16 MB document limit.
MAX_SCHEMA_BYTES = 1024 * 1024
MAX_STAMP_DIGITS = 32
TYPES = ("float", "integer", "string")
_TYPE_SPELLINGS = {
    "float": "float",
    "double": "float",
    "real": "float",
    "decimal": "float",
    "numeric": "float",
    "number": "float",
    "float64": "float",
    "integer": "integer",
    "int": "integer",
    "int64": "integer",
    "bigint": "integer",
    "smallint": "integer",
    "varchar": "string",
    "char": "string",
    "text": "string",
    "string": "string",
    "str": "string",
    "category": "string",
    "categorical": "string",
    "object": "string",
}
CLASSIC_TYPE = {"float": "float", "integer": "Integer", "string": "varchar"}
STAMPED_NAME = re.compile(r"^(?P<prefix>.+?)_(?P<date>\d+)_(?P<time>\d+)\.csv$", re.IGNORECASE)
_KEYS = (
    "SampleFileName",
    "LengthOfDateStampInFile",
    "LengthOfTimeStampInFile",
    "NumberofColumns",
    "ColName",
)


class SchemaError(ValidationError):
    code = "invalid_schema"

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(
            "The schema has problems: " + " ".join(self.problems),
            details={"problems": self.problems},
        )


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    position: int  # 1-based, as people count
    spelled: str = ""  # the type as the file spelt it

    def to_dict(self):
        return {"name": self.name, "type": self.type, "position": self.position}


@dataclass
class Schema:
    sample_file_name: str
    date_length: int
    time_length: int
    columns: list[Column]
    source_text: str | None = field(default=None, compare=False, repr=False)

    @property
    def names(self):
        return [c.name for c in self.columns]

    @property
    def prefix(self):
        return file_prefix(self.sample_file_name)

    def column(self, name):
        for col in self.columns:
            if col.name == name:
                return col
        return None

    def to_classic(self):
        """The classic dict, keeping each column's original type spelling."""
        return {
            "SampleFileName": self.sample_file_name,
            "LengthOfDateStampInFile": self.date_length,
            "LengthOfTimeStampInFile": self.time_length,
            "NumberofColumns": len(self.columns),
            "ColName": {c.name: c.spelled or CLASSIC_TYPE[c.type] for c in self.columns},
        }

    def export(self):
        """The classic JSON text: the uploaded text itself while the schema is unchanged."""
        if self.source_text is not None:
            try:
                if parse_schema(self.source_text) == self:
                    return self.source_text
            except SchemaError:
                pass
        return json.dumps(self.to_classic(), indent=4, ensure_ascii=False) + "\n"

    def file_pattern(self):
        prefix = self.prefix or "batch"
        return f"{prefix}_{'D' * self.date_length}_{'T' * self.time_length}.csv"


def normalise_type(spelled):
    key = str(spelled).strip().lower()
    key = re.sub(r"\(.*\)$", "", key).strip()  # varchar(20), decimal(10,2)
    return _TYPE_SPELLINGS.get(key)


def file_prefix(sample_file_name):
    match = STAMPED_NAME.match(sample_file_name or "")
    if match:
        return match.group("prefix")
    stem = re.sub(r"\.csv$", "", sample_file_name or "", flags=re.IGNORECASE)
    return stem


class _Object(dict):
    """A JSON object as parsed, remembering the keys it held more than once."""

    duplicates = ()


def _object_keeping_duplicates(pairs):
    result, duplicates = _Object(), []
    for key, value in pairs:
        if key in result:
            duplicates.append(key)
        result[key] = value
    result.duplicates = duplicates
    return result


def schema_too_large():
    return PayloadTooLarge(
        f"A schema can be at most {MAX_SCHEMA_BYTES // 1024} KB of JSON; this one is larger. "
        "A schema lists column names and types: check that this is the right file."
    )


def _check_size(source):
    """413 for a schema over MAX_SCHEMA_BYTES, whether it came as text, bytes or a dict."""
    if isinstance(source, bytes):
        size = len(source)
    else:
        text = (
            source
            if isinstance(source, str)
            else json.dumps(source, ensure_ascii=False, default=str)
        )
        size = len(text) if len(text) * 4 <= MAX_SCHEMA_BYTES else len(_utf8(text))
    if size > MAX_SCHEMA_BYTES:
        raise schema_too_large()


def _utf8(text):
    return text.encode("utf-8", "surrogatepass")


def _decode(source):
    """(data, text) of a schema given as JSON text, bytes or an already parsed dict."""
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SchemaError(["The schema file is not UTF-8 text."]) from exc
    if not isinstance(source, str):
        return source, None
    try:
        data = validators.json_document(
            source, "The schema", object_pairs_hook=_object_keeping_duplicates
        )
    except ValidationError as exc:
        raise SchemaError([exc.message]) from None
    return data, source


def _whole_number(values, key, problems, high=validators.INT64_MAX):
    """``values[key]`` as a whole number from 0 to ``high`` (a float like 8.0 or text like
    "8" too), or None with the problem in words."""
    value = values[key]
    if isinstance(value, float) and value.is_integer() and abs(value) <= high:
        value = int(value)
    try:
        return validators.whole_number(value, f"'{key}'", high=high)
    except ValidationError as exc:
        problems.append(f"{exc.message[:-1]}, not {_shown(value)}.")
        return None


def _shown(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def parse_schema(source):
    """Parse a classic schema from JSON text, bytes or a dict; raise SchemaError in words
    (PayloadTooLarge for one over MAX_SCHEMA_BYTES)."""
    _check_size(source)
    data, text = _decode(source)
    if not isinstance(data, dict):
        raise SchemaError(["A schema is a JSON object with SampleFileName, ColName, ..."])
    problems = []
    # Accept keys whatever their case or spacing, as a person would.
    by_key = {re.sub(r"[\s_]", "", str(k)).lower(): k for k in data}
    values = {}
    for key in _KEYS:
        original = by_key.get(key.lower())
        if original is None:
            problems.append(f"'{key}' is missing.")
        else:
            values[key] = data[original]
    sample = values.get("SampleFileName")
    if "SampleFileName" in values and (not isinstance(sample, str) or not sample.strip()):
        problems.append("'SampleFileName' must be a file name such as data_01012024_120000.csv.")
    lengths = {}
    for key in ("LengthOfDateStampInFile", "LengthOfTimeStampInFile"):
        if key in values:
            lengths[key] = _whole_number(values, key, problems, high=MAX_STAMP_DIGITS)
    columns = []
    col_names = values.get("ColName")
    duplicates = getattr(col_names, "duplicates", ())
    if "ColName" in values:
        if not isinstance(col_names, dict):
            problems.append("'ColName' must map each column name to its type.")
        else:
            for name in duplicates:
                problems.append(f"Column '{name}' appears more than once in ColName.")
            for position, (name, spelled) in enumerate(col_names.items(), start=1):
                kind = normalise_type(spelled) if isinstance(spelled, str) else None
                if not str(name).strip():
                    problems.append(f"Column {position} has an empty name.")
                if kind is None:
                    problems.append(
                        f"Column '{name}' has type {_shown(spelled)}; "
                        "use float, integer or varchar."
                    )
                    continue
                columns.append(Column(str(name), kind, position, spelled))
            if not col_names:
                problems.append("'ColName' lists no columns.")
    if values.get("NumberofColumns") is not None:
        count = _whole_number(values, "NumberofColumns", problems)
        if count is not None and isinstance(col_names, dict) and count != len(col_names):
            problems.append(
                f"'NumberofColumns' says {count} but ColName lists "
                f"{len(col_names) + len(duplicates)} columns."
            )
    if problems:
        raise SchemaError(problems)
    return Schema(
        sample_file_name=sample.strip(),
        date_length=lengths["LengthOfDateStampInFile"],
        time_length=lengths["LengthOfTimeStampInFile"],
        columns=columns,
        source_text=text,
    )


def schema_from_columns(sample_file_name, date_length, time_length, rows):
    """Build a schema from table rows [{'name','type','position'}] as edited on a page."""
    problems = []
    cleaned = []
    for row in rows:
        name = str(row.get("name", "")).strip()
        if not name:
            continue
        kind = normalise_type(row.get("type", ""))
        if kind is None:
            problems.append(f"Column '{name}' has type {row.get('type')!r}.")
            continue
        try:
            position = int(row.get("position") or 0)
        except (TypeError, ValueError):
            position = 0
        cleaned.append((position or len(cleaned) + 1, name, kind))
    cleaned.sort(key=lambda item: item[0])
    names = [name for _, name, _ in cleaned]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(f"Column '{name}' appears more than once.")
    classic = {
        "SampleFileName": sample_file_name,
        "LengthOfDateStampInFile": date_length,
        "LengthOfTimeStampInFile": time_length,
        "NumberofColumns": len(cleaned),
        "ColName": {name: CLASSIC_TYPE[kind] for _, name, kind in cleaned},
    }
    if problems:
        raise SchemaError(problems)
    return parse_schema(classic)


def infer_target(training, prediction):
    """The column the training schema has and the prediction schema lacks, or None."""
    if training is None or prediction is None:
        return None
    missing = [name for name in training.names if name not in set(prediction.names)]
    return missing[0] if len(missing) == 1 else None


def infer_task(column_type, values=None):
    """Return (task, explanation) from the target's type and, when given, some of its values."""
    distinct = None
    if values is not None:
        distinct = {v for v in values if v is not None and not _is_nan(v) and str(v) != ""}
    if column_type == "string":
        if distinct is None:
            return "multiclass", "the target is text, so this is classification"
        if len(distinct) <= 2:
            return "binary", f"the text target has {len(distinct)} distinct values"
        return "multiclass", f"the text target has {len(distinct)} distinct values"
    if column_type == "float" and distinct is None:
        return "regression", "the target is a decimal number"
    if distinct is None:
        return None, "an integer target can be classes or amounts; look at its values"
    numbers = [float(v) for v in distinct if _is_number(v)]
    if len(distinct) <= 2:
        return "binary", f"the target has {len(distinct)} distinct values"
    if numbers and all(n.is_integer() for n in numbers) and len(distinct) <= 20:
        return "multiclass", f"the target has {len(distinct)} distinct whole-number values"
    return "regression", f"the target has {len(distinct)} distinct numeric values"


def _is_nan(value):
    return isinstance(value, float) and math.isnan(value)


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
