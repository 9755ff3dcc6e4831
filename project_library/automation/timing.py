"""The time arithmetic of run schedules: validate a spec, find its run times, describe it.

Pure functions over plain dicts and aware datetimes; every instant going in or out is UTC.
Calendar schedules (daily, weekdays, weekly, cron) are evaluated in their IANA zone with
cronsim, which follows Debian cron on daylight-saving days: a fixed-time job whose local time
is skipped runs once, right after the change; one whose local time repeats runs once, at the
first occurrence. "Every N hours" counts elapsed time from an anchor, so no transition ever
shortens or stretches an interval.
"""

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cron_descriptor import FormatError, MissingFieldError, Options, WrongArgumentError
from cron_descriptor import get_description as _cron_words
from cronsim import CronSim, CronSimError

from exception_layer.errors import ValidationError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August")
_MONTHS += ("September", "October", "November", "December")
_MONTH_ABBR = tuple(name[:3].lower() for name in _MONTHS)
_DOW_ABBR = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, lowest, highest, names whose position is the value minus `offset`, offset)
_FIELDS = (
    ("minute", 0, 59, (), 0),
    ("hour", 0, 23, (), 0),
    ("day-of-month", 1, 31, (), 0),
    ("month", 1, 12, _MONTH_ABBR, 1),
    ("day-of-week", 0, 7, _DOW_ABBR, 0),
)
_FIVE = "Use 5 fields: minute hour day-of-month month day-of-week"
_EXTENSION = re.compile(r".*[#?].*|\d*L|\d+W|LW|H(\(\d+-\d+\))?(/\d+)?", re.IGNORECASE)
_AT = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}(?::?\d{2})?)?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_EVERY = {"day": ("daily", {"time"}), "weekday": ("weekdays", {"time"})}
_EVERY |= {"week": ("weekly", {"days", "time"}), "hours": ("hours", {"hours"})}
_TYPE_TO_EVERY = {kind: every for every, (kind, _) in _EVERY.items()}
_NOT_IANA = {"localtime", "posixrules"}
MAX_STEPS = 10_000


class ScheduleError(ValidationError):
    """A schedule spec that cannot be used; the message says how to fix it."""


@lru_cache(maxsize=1)
def _zone_names():
    return frozenset(available_timezones()) - _NOT_IANA


def _zone(name):
    if not isinstance(name, str) or not name.strip():
        raise ScheduleError("Give a 'timezone', an IANA name such as Europe/Berlin.")
    if name in _zone_names():
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise ScheduleError(f"Unknown time zone {name!r}; use an IANA name such as Europe/Berlin.")


def normalise(spec) -> dict:
    """Validate a schedule spec (input or canonical form) and return its canonical dict."""
    if not isinstance(spec, dict):
        raise ScheduleError("A schedule must be an object with 'at', 'every' or 'cron'.")
    if "type" in spec:
        spec = _from_canonical(spec)
    forms = [key for key in ("at", "every", "cron") if key in spec]
    if not forms:
        raise ScheduleError("Give the schedule as one of 'at', 'every' or 'cron'.")
    if len(forms) > 1:
        named = " and ".join(repr(form) for form in forms)
        raise ScheduleError(f"Give only one of 'at', 'every' or 'cron', not {named}.")
    form = forms[0]
    kind, allowed = {"at": ("once", set()), "cron": ("cron", set())}.get(form, (None, None))
    if form == "every":
        if not isinstance(spec["every"], str) or spec["every"] not in _EVERY:
            raise ScheduleError(
                f"Unknown 'every' value {spec['every']!r}; use day, weekday, week or hours."
            )
        kind, allowed = _EVERY[spec["every"]]
    unknown = sorted(set(spec) - allowed - {form, "timezone"}, key=str)
    if unknown:
        fields = ", ".join(repr(key) for key in unknown)
        raise ScheduleError(f"Unknown field {fields} for a {kind} schedule.")
    _zone(spec.get("timezone"))
    result = {"type": kind, "timezone": spec["timezone"]}
    if kind == "once":
        result["at"] = _parse_at(spec["at"])
    elif kind == "cron":
        result["cron"] = _check_cron(spec["cron"])
    elif kind == "hours":
        result["hours"] = _parse_hours(spec.get("hours"))
    else:
        if kind == "weekly":
            result["days"] = _parse_days(spec.get("days"))
        result["time"] = _parse_time(spec.get("time"))
    return result


def _from_canonical(spec):
    kind = spec["type"]
    if not isinstance(kind, str) or kind not in ("once", "cron", *_TYPE_TO_EVERY):
        raise ScheduleError(
            f"Unknown schedule type {kind!r}; use once, daily, weekdays, weekly, hours or cron."
        )
    rest = {key: value for key, value in spec.items() if key != "type"}
    own = {"once": "at", "cron": "cron"}.get(kind)  # the every-types have no key of their own
    clash = [form for form in ("at", "every", "cron") if form in rest and form != own]
    if clash:
        raise ScheduleError(f"Give either 'type' or {clash[0]!r}, not both.")
    return rest if own else {"every": _TYPE_TO_EVERY[kind], **rest}


def _parse_at(value):
    match = _AT.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ScheduleError(
            f"'at' must be a local date and time like 2027-01-05T06:00, not {value!r}."
        )
    day, hour, minute, second, offset = match.groups()
    if offset:
        raise ScheduleError(
            f"Leave the offset out of 'at' ({value!r}); the 'timezone' says where the time is."
        )
    try:
        datetime.fromisoformat(f"{day}T{hour}:{minute}:{second or '00'}")
    except ValueError:
        raise ScheduleError(f"'at' {value!r} is not a real date and time.") from None
    if second not in (None, "00"):
        raise ScheduleError(f"Schedules run on whole minutes; give 'at' as {day}T{hour}:{minute}.")
    return f"{day}T{hour}:{minute}"


def _parse_time(value):
    match = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        shown = "" if value is None else f", not {value!r}"
        raise ScheduleError(f"Give 'time' as HH:MM in 24-hour form, e.g. 06:00{shown}.")
    return f"{int(match[1]):02d}:{match[2]}"


def _parse_days(value):
    if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
        raise ScheduleError("Give 'days' as a list of at least one of mon, tue, ..., sun.")
    chosen = set()
    for day in value:
        if not isinstance(day, str) or day.strip().lower() not in DAYS:
            raise ScheduleError(f"Unknown day {day!r}; use mon, tue, wed, thu, fri, sat or sun.")
        chosen.add(day.strip().lower())
    return [day for day in DAYS if day in chosen]


def _parse_hours(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 168:
        raise ScheduleError(
            f"'hours' must be a whole number from 1 to 168 (one week), not {value!r}."
        )
    return value


# Every minute listed one by one, with every hour, day and month, is about 400 characters.
MAX_CRON_LENGTH = 512


def _check_cron(expr):
    if not isinstance(expr, str) or not expr.strip():
        raise ScheduleError(f"Give a cron expression such as '30 2 * * 1-5'. {_FIVE}.")
    if len(expr) > MAX_CRON_LENGTH:
        raise ScheduleError(
            f"A cron expression is at most {MAX_CRON_LENGTH} characters; this one has "
            f"{len(expr):,}."
        )
    fields = expr.split()
    if fields[0].startswith("@"):
        raise ScheduleError(
            f"Cron nicknames such as {fields[0]} are not supported. {_FIVE}, "
            "e.g. '0 0 * * *' for every day at midnight."
        )
    if len(fields) != 5:
        extra = " (seconds and years are not supported)" if len(fields) in (6, 7) else ""
        raise ScheduleError(f"{_FIVE}; {expr.strip()!r} has {len(fields)}{extra}.")
    for text, field in zip(fields, _FIELDS, strict=True):
        for term in text.split(","):
            _check_term(term, field)
    canonical = " ".join(fields)
    try:
        next(CronSim(canonical, datetime(2000, 1, 1)))
    except (CronSimError, StopIteration):
        raise ScheduleError(
            f"The cron expression {canonical!r} never matches a real date."
        ) from None
    return canonical


def _check_term(term, field):
    name, low, high, _, _ = field
    if _EXTENSION.fullmatch(term):
        raise ScheduleError(
            f"{term!r} in the {name} field is a non-standard cron extension; L, W, #, ? and H "
            "are not supported. Use numbers, *, ranges (1-5), steps (*/15), lists (1,3) and names."
        )
    base, slash, step = term.partition("/")
    if slash and (not step.isascii() or not step.isdigit() or not 1 <= int(step) <= high):
        raise ScheduleError(
            f"The step in {term!r} ({name}) must be a whole number from 1 to {high}."
        )
    if base == "*":
        return
    first, dash, last = base.partition("-")
    if slash and not dash:
        raise ScheduleError(
            f"A step needs a range: write '*/{step}' or '{base}-{high}/{step}' "
            f"in the {name} field, not {term!r}."
        )
    values = [_field_value(text, field, term) for text in ((first, last) if dash else (first,))]
    if values[0] > values[-1]:
        hint = " (Sunday is 0 or 7: 1-7 is Monday to Sunday)" if name == "day-of-week" else ""
        raise ScheduleError(f"The range {base!r} in the {name} field runs backwards{hint}.")


def _field_value(text, field, term):
    name, low, high, names, offset = field
    if text.isascii() and text.isdigit():
        if len(text) > 4:
            raise ScheduleError(f"{term!r} is out of range for the {name} field ({low}-{high}).")
        value = int(text)
    elif text.lower() in names:
        value = names.index(text.lower()) + offset
    else:
        hint = f" or a name ({names[0]}..{names[-1]})" if names else ""
        raise ScheduleError(f"{term!r} is not valid in the {name} field; use {low}-{high}{hint}.")
    if not low <= value <= high:
        raise ScheduleError(f"{value} is out of range for the {name} field ({low}-{high}).")
    return value


def _cron_of(spec):
    """The cron expression behind a calendar schedule."""
    if spec["type"] == "cron":
        return spec["cron"]
    hour, minute = (int(part) for part in spec["time"].split(":"))
    days = {"daily": "*", "weekdays": "1-5"}.get(spec["type"])
    if days is None:
        days = ",".join(str(DAYS.index(day) + 1) for day in spec["days"])
    return f"{minute} {hour} * * {days}"


def _aware_utc(value, name):
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")
    return value.astimezone(UTC)


def _once_utc(spec):
    """The UTC instant of the once-time: its first occurrence if the clock repeats it, the
    first minute after the change if the clock skips it."""
    zone = ZoneInfo(spec["timezone"])
    wall = datetime.fromisoformat(spec["at"])
    for _ in range(2 * 24 * 60):
        moment = wall.replace(tzinfo=zone)
        if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
            return moment.astimezone(UTC)
        wall += timedelta(minutes=1)
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _slots(spec, after, anchor):
    """Yield the run times strictly after `after`, in UTC and in order."""
    if spec["type"] == "hours":
        step = timedelta(hours=spec["hours"])
        base = anchor if anchor is not None else after.replace(second=0, microsecond=0)
        k = 0 if after < base else (after - base) // step + 1
        while True:
            yield base + k * step
            k += 1
    if spec["type"] == "once":
        moment = _once_utc(spec)
        if moment > after:
            yield moment
        return
    last = after
    # cronsim computes fixed-time jobs on the local wall clock, so a start inside a repeated
    # hour can give the repeated hour's first pass again: skip anything not after `last`.
    for local in CronSim(_cron_of(spec), after.astimezone(ZoneInfo(spec["timezone"]))):
        moment = local.astimezone(UTC)
        if moment > last:
            last = moment
            yield moment


def _prepared(spec, after, anchor):
    spec = normalise(spec)
    anchor = None if anchor is None else _aware_utc(anchor, "anchor")
    return spec, _aware_utc(after, "after"), anchor


def next_run(spec, after, anchor=None) -> datetime | None:
    """The first run time strictly after `after` (UTC), or None if there is none."""
    return next(_slots(*_prepared(spec, after, anchor)), None)


def next_runs(spec, after, count=5, anchor=None) -> list[datetime]:
    """Up to `count` successive run times strictly after `after`, in UTC."""
    return list(islice(_slots(*_prepared(spec, after, anchor)), max(count, 0)))


def latest_due(spec, due_at, now, anchor=None) -> tuple[datetime, int]:
    """The last slot at or before `now`, counting from `due_at`, and how many were passed over.

    Exact for "hours" (arithmetic) and up to MAX_STEPS passed slots otherwise; beyond that the
    latest slot is still exact but the count is extrapolated from the rate of the first ones.
    """
    spec, due_at, anchor = _prepared(spec, due_at, anchor)
    now = _aware_utc(now, "now")
    if due_at > now:
        raise ValueError("due_at is later than now: nothing is due yet")
    if spec["type"] == "hours":
        return _latest_hours(timedelta(hours=spec["hours"]), due_at, now, anchor)
    latest, passed = due_at, 0
    for moment in _slots(spec, due_at, None):
        if moment > now:
            return latest, passed
        latest, passed = moment, passed + 1
        if passed >= MAX_STEPS:
            return _jump(spec, due_at, latest, passed, now)
    return latest, passed


def _latest_hours(step, due_at, now, anchor):
    base = due_at if anchor is None else anchor
    last_k = (now - base) // step
    latest = base + last_k * step
    if last_k < 0 or latest < due_at:
        return due_at, 0
    first_k = max(0, -((base - due_at) // step))
    unaligned = base + first_k * step != due_at
    return latest, last_k - first_k + unaligned


def _jump(spec, due_at, reached, passed, now):
    """Finish `latest_due` for a dense schedule: find the last slot by searching back from now."""
    start = now.replace(microsecond=0) + timedelta(seconds=1)
    try:
        local = next(CronSim(_cron_of(spec), start.astimezone(ZoneInfo(spec["timezone"])), True))
        guess = local.astimezone(UTC)
    except (CronSimError, StopIteration):
        guess = reached
    latest = reached
    # Walk forward from a little before the guess, so DST quirks of the reverse search vanish.
    for moment in _slots(spec, max(reached, guess - timedelta(hours=3)), None):
        if moment > now:
            break
        latest = moment
    rate = passed / (reached - due_at).total_seconds()
    return latest, passed + round((latest - reached).total_seconds() * rate)


def describe(spec) -> str:
    """The schedule in words, with 24-hour times and its time zone."""
    spec = normalise(spec)
    kind = spec["type"]
    if kind == "hours":
        return "Every hour" if spec["hours"] == 1 else f"Every {spec['hours']} hours"
    if kind == "once":
        at = datetime.fromisoformat(spec["at"])
        text = f"Once, on {at.day} {_MONTHS[at.month - 1]} {at.year} at {at:%H:%M}"
    elif kind == "daily":
        text = f"Every day at {spec['time']}"
    elif kind == "weekdays":
        text = f"On weekdays at {spec['time']}"
    elif kind == "weekly":
        names = [_DAY_NAMES[DAYS.index(day)] for day in spec["days"]]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        text = f"Every {listed} at {spec['time']}"
    else:
        text = _describe_cron(spec["cron"])
    return f"{text} ({spec['timezone']})"


def _describe_cron(expr):
    options = Options(use_24hour_time_format=True, locale_code="en_US")
    try:
        return _cron_words(expr, options)
    except (FormatError, MissingFieldError, WrongArgumentError, ValueError, KeyError, IndexError):
        return f"Cron schedule '{expr}'"


def local_iso(moment, timezone) -> str:
    """ISO 8601 of an instant in a zone, with offset and seconds: 2027-01-05T06:00:00+01:00."""
    return _aware_utc(moment, "moment").astimezone(_zone(timezone)).isoformat(timespec="seconds")
