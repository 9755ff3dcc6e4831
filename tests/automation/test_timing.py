"""The time arithmetic of run schedules: validation, next runs, DST days, words, catch-up."""

import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from exception_layer.errors import ValidationError
from project_library.automation.timing import (
    ScheduleError,
    describe,
    latest_due,
    local_iso,
    next_run,
    next_runs,
    normalise,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def locals_of(runs, zone):
    return [local_iso(run, zone) for run in runs]


def daily(time_of_day, zone):
    return normalise({"every": "day", "time": time_of_day, "timezone": zone})


def cron(expr, zone="UTC"):
    return normalise({"cron": expr, "timezone": zone})


# --- normalise ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"at": "2027-01-05T06:00:00", "timezone": BERLIN},
            {"type": "once", "timezone": BERLIN, "at": "2027-01-05T06:00"},
        ),
        (
            {"every": "day", "time": "6:00", "timezone": BERLIN},
            {"type": "daily", "timezone": BERLIN, "time": "06:00"},
        ),
        (
            {"every": "weekday", "time": "06:00", "timezone": BERLIN},
            {"type": "weekdays", "timezone": BERLIN, "time": "06:00"},
        ),
        (
            {"every": "week", "days": ["thu", "Mon", "thu"], "time": "06:00", "timezone": BERLIN},
            {"type": "weekly", "timezone": BERLIN, "days": ["mon", "thu"], "time": "06:00"},
        ),
        (
            {"every": "hours", "hours": 6, "timezone": BERLIN},
            {"type": "hours", "timezone": BERLIN, "hours": 6},
        ),
        (
            {"cron": "  30  2 * *\t1-5 ", "timezone": BERLIN},
            {"type": "cron", "timezone": BERLIN, "cron": "30 2 * * 1-5"},
        ),
    ],
)
def test_normalise_gives_the_canonical_form_and_accepts_it_back(spec, expected):
    assert normalise(spec) == expected
    assert normalise(expected) == expected


def test_schedule_error_is_a_validation_error():
    with pytest.raises(ValidationError) as caught:
        normalise({"every": "day", "time": "25:00", "timezone": BERLIN})
    assert isinstance(caught.value, ScheduleError)
    assert caught.value.status_code == 400


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"cron": "0 0 * * * *"}, "Use 5 fields: minute hour day-of-month month day-of-week"),
        ({"cron": "0 0 * * * * 2027"}, "has 7 (seconds and years are not supported)"),
        ({"cron": "0 0 * *"}, "Use 5 fields"),
        ({"cron": "@daily"}, "nicknames such as @daily are not supported"),
        ({"cron": "0 0 L * *"}, "'L' in the day-of-month field is a non-standard cron extension"),
        ({"cron": "0 0 ? * *"}, "'?' in the day-of-month field is a non-standard"),
        ({"cron": "0 0 15W * *"}, "'15W' in the day-of-month field is a non-standard"),
        ({"cron": "0 0 * * 5#2"}, "'5#2' in the day-of-week field is a non-standard"),
        ({"cron": "0 0 * * 5L"}, "non-standard cron extension"),
        ({"cron": "H * * * *"}, "'H' in the minute field is a non-standard"),
        ({"cron": "61 * * * *"}, "61 is out of range for the minute field (0-59)"),
        ({"cron": "0 24 * * *"}, "24 is out of range for the hour field (0-23)"),
        ({"cron": "0 0 0 * *"}, "0 is out of range for the day-of-month field (1-31)"),
        ({"cron": "0 0 * 13 *"}, "13 is out of range for the month field (1-12)"),
        ({"cron": "0 0 * * 8"}, "8 is out of range for the day-of-week field (0-7)"),
        ({"cron": "0 0 * mon *"}, "'mon' is not valid in the month field"),
        ({"cron": "5/15 * * * *"}, "write '*/15' or '5-59/15'"),
        ({"cron": "*/0 * * * *"}, "must be a whole number from 1 to 59"),
        ({"cron": "0 0 * * 5-1"}, "runs backwards"),
        ({"cron": "0 0 30 2 *"}, "never matches a real date"),
        ({"cron": "9" * 5000 + " * * * *"}, "at most 512 characters; this one has 5,008"),
        ({"cron": ",".join(["5"] * 300) + " * * * *"}, "at most 512 characters"),
        ({"cron": "00005 * * * *"}, "'00005' is out of range for the minute field (0-59)"),
        ({"cron": ""}, "Give a cron expression"),
        ({"cron": "   "}, "Give a cron expression"),
        ({"cron": 5}, "Give a cron expression"),
        ({"every": "hours", "hours": 0}, "whole number from 1 to 168"),
        ({"every": "hours", "hours": 169}, "whole number from 1 to 168"),
        ({"every": "hours", "hours": True}, "whole number from 1 to 168"),
        ({"every": "hours", "hours": "6"}, "whole number from 1 to 168"),
        ({"every": "day", "time": "25:00"}, "Give 'time' as HH:MM in 24-hour form"),
        ({"every": "day", "time": "06:60"}, "Give 'time' as HH:MM"),
        ({"every": "day"}, "Give 'time' as HH:MM"),
        ({"every": "week", "days": ["mo"], "time": "06:00"}, "Unknown day 'mo'; use mon, tue"),
        ({"every": "week", "days": [], "time": "06:00"}, "at least one"),
        ({"every": "week", "days": "mon", "time": "06:00"}, "list"),
        ({"every": "month", "time": "06:00"}, "Unknown 'every' value 'month'"),
        ({"every": "day", "time": "06:00", "days": ["mon"]}, "Unknown field 'days'"),
        ({"every": "day", "time": "06:00", "colour": "red"}, "Unknown field 'colour'"),
        ({"at": "2027-01-05T06:00+01:00"}, "Leave the offset out of 'at'"),
        ({"at": "2027-01-05T06:00Z"}, "Leave the offset out of 'at'"),
        ({"at": "2027-02-30T06:00"}, "not a real date and time"),
        ({"at": "tomorrow"}, "like 2027-01-05T06:00"),
        ({"at": "2027-01-05T06:00:30"}, "whole minutes"),
        ({"at": "2027-01-05T06:00", "cron": "0 6 * * *"}, "not 'at' and 'cron'"),
        ({"every": "day", "time": "06:00", "cron": "0 6 * * *"}, "Give only one of"),
        ({}, "Give the schedule as one of 'at', 'every' or 'cron'"),
        ({"type": "monthly"}, "Unknown schedule type 'monthly'"),
        ({"type": "once", "cron": "0 6 * * *"}, "Give either 'type' or 'cron', not both"),
        ({"type": "daily", "every": "week", "time": "06:00"}, "Give either 'type' or 'every'"),
    ],
)
def test_invalid_specs_are_rejected_with_a_message_a_person_can_act_on(spec, message):
    with pytest.raises(ScheduleError) as caught:
        normalise({**spec, "timezone": BERLIN})
    assert message in str(caught.value)
    assert "Traceback" not in str(caught.value) and "CronSim" not in str(caught.value)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "europe/berlin", "localtime", "../etc/passwd"])
def test_an_unknown_time_zone_is_rejected(zone):
    with pytest.raises(ScheduleError) as caught:
        normalise({"every": "day", "time": "06:00", "timezone": zone})
    assert str(caught.value) == (
        f"Unknown time zone '{zone}'; use an IANA name such as Europe/Berlin."
    )


@pytest.mark.parametrize("spec", [{"every": "day", "time": "06:00"}, "0 6 * * *", None])
def test_a_missing_time_zone_or_a_non_object_is_rejected(spec):
    with pytest.raises(ScheduleError):
        normalise(spec)


# --- next_run for every preset -------------------------------------------------------------


def test_daily_runs_at_the_local_time_each_day():
    runs = next_runs(daily("06:00", BERLIN), utc("2027-01-05T04:59"), count=3)
    assert runs == [utc("2027-01-05T05:00"), utc("2027-01-06T05:00"), utc("2027-01-07T05:00")]
    assert local_iso(runs[0], BERLIN) == "2027-01-05T06:00:00+01:00"


def test_next_run_is_strictly_after():
    spec = daily("06:00", BERLIN)
    assert next_run(spec, utc("2027-01-05T05:00")) == utc("2027-01-06T05:00")
    assert next_run(spec, utc("2027-01-05T04:59:59.999")) == utc("2027-01-05T05:00")


def test_weekdays_skip_the_weekend():
    spec = normalise({"every": "weekday", "time": "06:00", "timezone": BERLIN})
    # 2027-01-08 is a Friday.
    runs = next_runs(spec, utc("2027-01-07T12:00"), count=3)
    assert locals_of(runs, BERLIN) == [
        "2027-01-08T06:00:00+01:00",
        "2027-01-11T06:00:00+01:00",
        "2027-01-12T06:00:00+01:00",
    ]


def test_weekly_runs_on_the_chosen_days():
    spec = normalise(
        {"every": "week", "days": ["thu", "mon", "sun"], "time": "18:15", "timezone": BERLIN}
    )
    runs = next_runs(spec, utc("2027-01-05T00:00"), count=4)  # a Tuesday
    assert locals_of(runs, BERLIN) == [
        "2027-01-07T18:15:00+01:00",
        "2027-01-10T18:15:00+01:00",
        "2027-01-11T18:15:00+01:00",
        "2027-01-14T18:15:00+01:00",
    ]


def test_once_runs_once_and_then_never():
    spec = normalise({"at": "2027-01-05T06:00", "timezone": BERLIN})
    assert next_runs(spec, utc("2027-01-01T00:00")) == [utc("2027-01-05T05:00")]
    assert next_run(spec, utc("2027-01-05T05:00")) is None
    assert next_run(spec, utc("2030-01-01T00:00")) is None


def test_every_hours_counts_from_the_anchor_or_from_after():
    spec = normalise({"every": "hours", "hours": 6, "timezone": BERLIN})
    anchor = utc("2027-01-01T03:00")
    assert next_run(spec, utc("2027-01-05T10:00"), anchor=anchor) == utc("2027-01-05T15:00")
    assert next_run(spec, utc("2027-01-05T15:00"), anchor=anchor) == utc("2027-01-05T21:00")
    assert next_run(spec, utc("2026-12-31T00:00"), anchor=anchor) == anchor
    runs = next_runs(spec, utc("2027-01-05T10:07:42"), count=3)
    assert runs == [utc("2027-01-05T16:07"), utc("2027-01-05T22:07"), utc("2027-01-06T04:07")]


def test_next_runs_gives_count_runs_and_nothing_for_zero():
    spec = cron("*/15 * * * *")
    assert len(next_runs(spec, utc("2027-01-01T00:00"))) == 5
    assert next_runs(spec, utc("2027-01-01T00:00"), count=0) == []


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        next_run(daily("06:00", BERLIN), datetime(2027, 1, 1))


# --- cron ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        ("*/15 * * * *", "2027-01-05T10:07", ["10:15", "10:30", "10:45", "11:00"]),
        ("0 9-11 * * *", "2027-01-05T00:00", ["09:00", "10:00", "11:00", "09:00"]),
        ("0 8,12,18 * * *", "2027-01-05T10:00", ["12:00", "18:00", "08:00", "12:00"]),
        ("5-59/20 9 * * *", "2027-01-05T00:00", ["09:05", "09:25", "09:45", "09:05"]),
        ("0 */8 * * *", "2027-01-05T01:00", ["08:00", "16:00", "00:00", "08:00"]),
    ],
)
def test_cron_steps_ranges_and_lists(expr, after, expected):
    runs = next_runs(cron(expr), utc(after), count=4)
    assert [f"{run:%H:%M}" for run in runs] == expected


def test_cron_day_of_month_and_day_of_week_both_set_means_either():
    runs = next_runs(cron("0 9 13 * 5"), utc("2027-01-01T10:00"), count=5)
    # Fridays in January 2027 are the 1st, 8th, 15th, 22nd, 29th; the 13th is a Wednesday.
    assert [run.day for run in runs] == [8, 13, 15, 22, 29]
    assert all(run.hour == 9 for run in runs)


def test_the_longest_sensible_cron_expression_is_accepted():
    every = " ".join(
        ",".join(str(value) for value in range(low, high + 1))
        for low, high in ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
    )
    assert normalise({"cron": every, "timezone": BERLIN})["cron"] == every


def test_cron_names_are_case_insensitive():
    runs = next_runs(cron("0 6 * JAN Mon", BERLIN), utc("2026-12-01T00:00"), count=5)
    assert locals_of(runs, BERLIN) == [
        "2027-01-04T06:00:00+01:00",
        "2027-01-11T06:00:00+01:00",
        "2027-01-18T06:00:00+01:00",
        "2027-01-25T06:00:00+01:00",
        "2028-01-03T06:00:00+01:00",
    ]
    assert next_runs(cron("0 6 * * mon-fri"), utc("2027-01-08T12:00"), 1) == [
        utc("2027-01-11T06:00")
    ]


@pytest.mark.parametrize("sunday", ["0", "7", "sun", "SUN"])
def test_cron_sunday_is_0_7_or_sun(sunday):
    runs = next_runs(cron(f"0 0 * * {sunday}"), utc("2027-01-01T00:00"), count=2)
    assert runs == [utc("2027-01-03T00:00"), utc("2027-01-10T00:00")]


# --- daylight saving -----------------------------------------------------------------------


def runs_on(spec, zone, day):
    """The runs whose local date is `day`, out of those around it."""
    start = utc(f"{day}T00:00") - timedelta(days=2)
    return [run for run in next_runs(spec, start, count=6) if local_iso(run, zone)[:10] == day]


def test_spring_forward_berlin_a_skipped_0230_runs_once_at_0300():
    runs = runs_on(daily("02:30", BERLIN), BERLIN, "2027-03-28")
    assert runs == [utc("2027-03-28T01:00")]
    assert locals_of(runs, BERLIN) == ["2027-03-28T03:00:00+02:00"]
    assert next_run(daily("02:30", BERLIN), runs[0]) == utc("2027-03-29T00:30")


def test_spring_forward_new_york_a_skipped_0230_runs_once_at_0300():
    runs = runs_on(daily("02:30", NEW_YORK), NEW_YORK, "2027-03-14")
    assert runs == [utc("2027-03-14T07:00")]
    assert locals_of(runs, NEW_YORK) == ["2027-03-14T03:00:00-04:00"]


def test_fall_back_berlin_a_repeated_0230_runs_once_at_the_first_one():
    runs = runs_on(daily("02:30", BERLIN), BERLIN, "2027-10-31")
    assert runs == [utc("2027-10-31T00:30")]
    assert locals_of(runs, BERLIN) == ["2027-10-31T02:30:00+02:00"]
    assert next_run(daily("02:30", BERLIN), runs[0]) == utc("2027-11-01T01:30")


def test_fall_back_new_york_a_repeated_0130_runs_once_at_the_first_one():
    runs = runs_on(daily("01:30", NEW_YORK), NEW_YORK, "2027-11-07")
    assert runs == [utc("2027-11-07T05:30")]
    assert locals_of(runs, NEW_YORK) == ["2027-11-07T01:30:00-04:00"]
    assert next_run(daily("01:30", NEW_YORK), runs[0]) == utc("2027-11-08T06:30")


@pytest.mark.parametrize(
    ("zone", "inside_repeat", "following"),
    [
        (BERLIN, "2027-10-31T01:15", "2027-11-01T01:30"),  # 02:15 CET, the second pass
        (NEW_YORK, "2027-11-07T06:15", "2027-11-08T06:30"),  # 01:15 EST, the second pass
    ],
)
def test_a_start_inside_the_repeated_hour_does_not_run_the_repeat(zone, inside_repeat, following):
    spec = daily("02:30" if zone == BERLIN else "01:30", zone)
    assert next_run(spec, utc(inside_repeat)) == utc(following)


def test_a_cron_job_at_a_fixed_time_also_runs_once_on_both_days():
    spec = cron("30 2 * * *", BERLIN)
    assert runs_on(spec, BERLIN, "2027-03-28") == [utc("2027-03-28T01:00")]
    assert runs_on(spec, BERLIN, "2027-10-31") == [utc("2027-10-31T00:30")]


def test_a_once_time_the_clock_skips_runs_right_after_the_change_and_a_repeat_at_the_first():
    skipped = normalise({"at": "2027-03-28T02:30", "timezone": BERLIN})
    assert local_iso(next_run(skipped, utc("2027-01-01T00:00")), BERLIN) == (
        "2027-03-28T03:00:00+02:00"
    )
    repeated = normalise({"at": "2027-11-07T01:30", "timezone": NEW_YORK})
    assert next_run(repeated, utc("2027-01-01T00:00")) == utc("2027-11-07T05:30")


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        (BERLIN, "2027-03-27T18:00"),  # the clocks change at 01:00 UTC
        (BERLIN, "2027-10-30T18:00"),
        (NEW_YORK, "2027-03-14T00:00"),  # at 07:00 UTC
        (NEW_YORK, "2027-11-06T23:00"),  # at 06:00 UTC
    ],
)
def test_every_6_hours_stays_6_hours_apart_across_a_transition(zone, start):
    spec = normalise({"every": "hours", "hours": 6, "timezone": zone})
    runs = next_runs(spec, utc(start), count=6, anchor=utc(start))
    assert all(later - earlier == timedelta(hours=6) for earlier, later in pairwise(runs))
    assert runs[0] == utc(start) + timedelta(hours=6)
    offsets = {local_iso(run, zone)[-6:] for run in runs}
    assert len(offsets) == 2  # the local offset changed in between, the interval did not


def test_berlin_every_6_hours_in_local_time_across_fall_back():
    spec = normalise({"every": "hours", "hours": 6, "timezone": BERLIN})
    runs = next_runs(spec, utc("2027-10-30T20:00"), count=3, anchor=utc("2027-10-30T22:00"))
    assert locals_of(runs, BERLIN) == [
        "2027-10-31T00:00:00+02:00",
        "2027-10-31T05:00:00+01:00",
        "2027-10-31T11:00:00+01:00",
    ]


# --- independence from the server's zone ---------------------------------------------------


@pytest.fixture
def server_zone(monkeypatch):
    def set_zone(name):
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


SPECS = [
    {"every": "day", "time": "02:30", "timezone": BERLIN},
    {"every": "weekday", "time": "06:00", "timezone": "Asia/Tokyo"},
    {"every": "week", "days": ["sun"], "time": "02:30", "timezone": "Australia/Sydney"},
    {"cron": "*/20 1-3 * * *", "timezone": NEW_YORK},
    {"at": "2027-10-03T02:30", "timezone": "Australia/Sydney"},
]


@pytest.mark.parametrize("server", ["Asia/Tokyo", "Australia/Sydney", "America/Los_Angeles"])
def test_results_do_not_depend_on_the_server_zone(server_zone, server):
    after = utc("2027-10-01T00:00")
    server_zone("UTC")
    expected = [next_runs(spec, after, count=8) for spec in SPECS]
    server_zone(server)
    assert time.localtime(0).tm_gmtoff != 0
    assert [next_runs(spec, after, count=8) for spec in SPECS] == expected


def test_schedules_in_tokyo_and_sydney_pin_their_utc_times(server_zone):
    server_zone("America/New_York")
    tokyo = daily("06:00", "Asia/Tokyo")
    assert next_run(tokyo, utc("2027-01-05T00:00")) == utc("2027-01-05T21:00")
    # Sydney springs forward on 2027-10-03 at 02:00 (AEST +10 to AEDT +11).
    sydney = daily("02:30", "Australia/Sydney")
    runs = next_runs(sydney, utc("2027-10-01T00:00"), count=3)
    assert locals_of(runs, "Australia/Sydney") == [
        "2027-10-02T02:30:00+10:00",
        "2027-10-03T03:00:00+11:00",
        "2027-10-04T02:30:00+11:00",
    ]
    assert runs[1] == utc("2027-10-02T16:00")


# --- describe and local_iso ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"every": "day", "time": "06:00"}, "Every day at 06:00 (Europe/Berlin)"),
        ({"every": "weekday", "time": "06:00"}, "On weekdays at 06:00 (Europe/Berlin)"),
        (
            {"every": "week", "days": ["thu", "mon"], "time": "06:00"},
            "Every Monday and Thursday at 06:00 (Europe/Berlin)",
        ),
        (
            {"every": "week", "days": ["fri", "mon", "wed"], "time": "18:30"},
            "Every Monday, Wednesday and Friday at 18:30 (Europe/Berlin)",
        ),
        (
            {"every": "week", "days": ["sun"], "time": "23:05"},
            "Every Sunday at 23:05 (Europe/Berlin)",
        ),
        ({"every": "hours", "hours": 6}, "Every 6 hours"),
        ({"every": "hours", "hours": 1}, "Every hour"),
        ({"at": "2027-01-05T06:00"}, "Once, on 5 January 2027 at 06:00 (Europe/Berlin)"),
        ({"cron": "30 2 * * 1-5"}, "At 02:30, Monday through Friday (Europe/Berlin)"),
        ({"cron": "0 18 * * *"}, "At 18:00 (Europe/Berlin)"),
        ({"cron": "*/15 * * * *"}, "Every 15 minutes (Europe/Berlin)"),
    ],
)
def test_describe(spec, words):
    assert describe({**spec, "timezone": BERLIN}) == words


def test_local_iso_includes_the_offset_and_seconds():
    assert local_iso(utc("2027-01-05T05:00"), BERLIN) == "2027-01-05T06:00:00+01:00"
    assert local_iso(utc("2027-07-05T04:00:07.5"), BERLIN) == "2027-07-05T06:00:07+02:00"
    assert local_iso(utc("2027-01-05T05:00"), "UTC") == "2027-01-05T05:00:00+00:00"
    with pytest.raises(ScheduleError):
        local_iso(utc("2027-01-05T05:00"), "Nowhere/Special")


# --- latest_due ----------------------------------------------------------------------------


def test_latest_due_after_three_days_down_gives_the_latest_slot_and_two_passed_over():
    spec = daily("06:00", BERLIN)
    started = time.perf_counter()
    latest, passed = latest_due(spec, utc("2027-01-05T05:00"), utc("2027-01-07T09:30"))
    assert time.perf_counter() - started < 0.5
    assert (latest, passed) == (utc("2027-01-07T05:00"), 2)


def test_latest_due_when_only_the_stored_slot_is_due():
    spec = daily("06:00", BERLIN)
    assert latest_due(spec, utc("2027-01-05T05:00"), utc("2027-01-05T05:00")) == (
        utc("2027-01-05T05:00"),
        0,
    )
    once = normalise({"at": "2027-01-05T06:00", "timezone": BERLIN})
    assert latest_due(once, utc("2027-01-05T05:00"), utc("2027-02-01T00:00")) == (
        utc("2027-01-05T05:00"),
        0,
    )


def test_latest_due_refuses_a_due_time_in_the_future():
    with pytest.raises(ValueError):
        latest_due(daily("06:00", BERLIN), utc("2027-01-06T05:00"), utc("2027-01-05T05:00"))


def test_latest_due_for_hours_is_arithmetic():
    spec = normalise({"every": "hours", "hours": 6, "timezone": BERLIN})
    due = utc("2027-01-05T03:00")
    now = due + timedelta(days=10_000, hours=7)
    assert latest_due(spec, due, now) == (due + timedelta(days=10_000, hours=6), 40_001)
    anchor = utc("2027-01-01T03:00")
    assert latest_due(spec, due, utc("2027-01-06T02:59"), anchor=anchor) == (
        utc("2027-01-05T21:00"),
        3,
    )


def test_latest_due_on_a_dense_schedule_stays_quick_and_exact_enough():
    spec = cron("* * * * *", BERLIN)
    started = time.perf_counter()
    latest, passed = latest_due(spec, utc("2027-01-01T00:00"), utc("2027-03-01T12:34:56"))
    assert time.perf_counter() - started < 2
    assert latest == utc("2027-03-01T12:34")
    assert passed == (59 * 24 * 60) + 12 * 60 + 34
