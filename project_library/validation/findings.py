"""What a check found in one batch file: reasons to reject, warnings, and their evidence."""

from dataclasses import dataclass, field

MAX_EXAMPLES = 5
MAX_COLUMN_REASONS = 10


@dataclass
class Reason:
    code: str
    message: str
    evidence: dict = field(default_factory=dict)

    def to_dict(self):
        return {"code": self.code, "message": self.message, "evidence": self.evidence}

    @classmethod
    def from_dict(cls, data):
        return cls(data["code"], data["message"], data.get("evidence") or {})


@dataclass
class FileCheck:
    size: int = 0
    rows: int = 0
    sha256: str | None = None
    reasons: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def accepted(self):
        return not self.reasons


def marker_set(missing_markers):
    """The missing markers as written, wrapped in single quotes, and without spaces."""
    markers = {str(m) for m in missing_markers}
    markers |= {m.strip() for m in markers}
    return markers | {f"'{m}'" for m in markers}


def clean_cell(value):
    """What a person reads in a cell: no surrounding spaces, no wrapping single quotes."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        value = value[1:-1].strip()
    return value


def record_counts(check, schema, non_missing, decimals, required=()):
    empty = [
        {"name": c.name, "position": c.position}
        for c, count in zip(schema.columns, non_missing, strict=True)
        if count == 0
    ]
    if check.rows:
        blocking = [c for c in empty if c["name"] in required]
        others = [c for c in empty if c["name"] not in required]
        if blocking:
            check.reasons.append(all_missing(blocking, check.rows, "the file cannot be used"))
        if others:
            check.warnings.append(all_missing(others, check.rows, "they carry nothing here"))
    for i, found in sorted(decimals.items()):
        col = schema.columns[i]
        check.warnings.append(
            Reason(
                "integer_has_decimals",
                f"Column '{col.name}' is declared integer but {found['count']} value(s) have "
                "decimals; they are kept as decimal numbers.",
                {"column": col.name, "position": col.position, **found},
            )
        )


def all_missing(columns, rows, consequence):
    listed = ", ".join(f"'{c['name']}'" for c in columns[:MAX_EXAMPLES])
    more = f" and {len(columns) - MAX_EXAMPLES} more" if len(columns) > MAX_EXAMPLES else ""
    return Reason(
        "column_all_missing",
        f"{len(columns)} column(s) hold no value in any of the {rows} rows "
        f"({listed}{more}); {consequence}.",
        {"columns": columns[: MAX_EXAMPLES * 4], "count": len(columns), "rows": rows},
    )
