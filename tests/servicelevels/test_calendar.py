"""Business-hours arithmetic of kam.servicelevels.calendar: hand-computed cases, then Hypothesis properties.

Expected instants are written in UTC with the local reading alongside, so each case can be checked by hand.
2026 DST dates: Europe/Berlin springs forward Sun 29 Mar (02:00 CET -> 03:00 CEST) and falls back Sun 25 Oct
(03:00 CEST -> 02:00 CET); Australia/Sydney leaves DST Sun 5 Apr (03:00 AEDT -> 02:00 AEST) and enters it Sun 4 Oct
(02:00 AEST -> 03:00 AEDT); Pacific/Chatham springs forward Sun 27 Sep (02:45 -> 03:45, +12:45 -> +13:45).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kam.servicelevels.calendar import WorkingCalendar

UTC = dt.UTC
HOUR = 3600
WORKING_DAY = 8 * HOUR
MON_FRI = frozenset(range(5))
NINE = dt.time(9)
FIVE_PM = dt.time(17)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def local(zone: str, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(zone))


def office(zone: str, holidays=(), weekdays=MON_FRI, start=NINE, end=FIVE_PM) -> WorkingCalendar:
    return WorkingCalendar(
        time_zone=zone, weekdays=frozenset(weekdays), day_start=start, day_end=end, holidays=frozenset(holidays)
    )


BERLIN = office("Europe/Berlin")
SYDNEY = office("Australia/Sydney")
# Sunday-only night shift 01:00-05:00, so the working interval contains the Berlin clock change itself.
BERLIN_SUNDAY_NIGHT = office("Europe/Berlin", weekdays={6}, start=dt.time(1), end=dt.time(5))

# Sunday-only 02:10-02:50, which does not exist on the spring-forward Sunday.
BERLIN_SHIFT_IN_GAP = office("Europe/Berlin", weekdays={6}, start=dt.time(2, 10), end=dt.time(2, 50))

# (id, calendar, start, seconds, expected due in UTC). working_seconds_between(start, due) must give back seconds.
ADD_CASES = [
    ("berlin-within-day", BERLIN, local("Europe/Berlin", 2026, 1, 12, 10), 2 * HOUR, utc(2026, 1, 12, 11)),  # 12:00
    # Opening is inclusive, and a budget used up exactly at the close is due at the close, not the next morning.
    ("berlin-exactly-at-open", BERLIN, local("Europe/Berlin", 2026, 1, 12, 9), WORKING_DAY, utc(2026, 1, 12, 16)),
    ("berlin-exactly-at-close", BERLIN, local("Europe/Berlin", 2026, 1, 12, 17), HOUR, utc(2026, 1, 13, 9)),  # 10:00
    ("berlin-zero-at-close", BERLIN, local("Europe/Berlin", 2026, 1, 12, 17), 0, utc(2026, 1, 13, 8)),  # Tue 09:00
    ("berlin-zero-inside", BERLIN, local("Europe/Berlin", 2026, 1, 12, 11, 30), 0, utc(2026, 1, 12, 10, 30)),
    ("berlin-saturday-noon", BERLIN, local("Europe/Berlin", 2026, 1, 17, 12), HOUR, utc(2026, 1, 19, 9)),  # Mon 10:00
    ("berlin-sunday-late", BERLIN, local("Europe/Berlin", 2026, 1, 18, 23, 59), 1, utc(2026, 1, 19, 8, 0, 1)),
    (
        "berlin-holiday-monday",
        office("Europe/Berlin", holidays={dt.date(2026, 1, 19)}),
        local("Europe/Berlin", 2026, 1, 16, 16),  # Fri 16:00: one hour on Friday, the rest on Tuesday
        2 * HOUR,
        utc(2026, 1, 20, 9),  # Tue 10:00 CET
    ),
    (
        "berlin-spring-forward-weekend",
        BERLIN,
        local("Europe/Berlin", 2026, 3, 27, 16),  # Fri 16:00 CET
        2 * HOUR,
        utc(2026, 3, 30, 8),  # Mon 10:00 CEST
    ),
    (
        "berlin-fall-back-weekend",
        BERLIN,
        local("Europe/Berlin", 2026, 10, 23, 16),  # Fri 16:00 CEST
        2 * HOUR,
        utc(2026, 10, 26, 9),  # Mon 10:00 CET
    ),
    ("berlin-two-weeks", BERLIN, local("Europe/Berlin", 2026, 1, 5, 9), 10 * WORKING_DAY, utc(2026, 1, 16, 16)),
    (
        "berlin-three-weeks-across-spring-forward",  # every day is still 8 h: 15 working days, Mon 16 - Fri 3 Apr
        BERLIN,
        local("Europe/Berlin", 2026, 3, 16, 9),
        15 * WORKING_DAY,
        utc(2026, 4, 3, 15),  # Fri 17:00 CEST
    ),
    (
        "berlin-six-weeks-across-fall-back",  # 30 working days from Mon 12 Oct 09:00 CEST: Fri 20 Nov 17:00 CET
        BERLIN,
        local("Europe/Berlin", 2026, 10, 12, 9),
        30 * WORKING_DAY,
        utc(2026, 11, 20, 16),
    ),
    (
        "sydney-friday-evening",  # Fri 17:55 AEDT, clock starts Mon 09:00 AEST (DST ended on Sunday)
        SYDNEY,
        local("Australia/Sydney", 2026, 4, 3, 17, 55),
        WORKING_DAY,
        utc(2026, 4, 6, 7),  # Mon 17:00 AEST (+10)
    ),
    (
        "sydney-friday-evening-winter",
        SYDNEY,
        local("Australia/Sydney", 2026, 6, 12, 17, 55),
        WORKING_DAY,
        utc(2026, 6, 15, 7),  # Mon 17:00 AEST
    ),
    (
        "sydney-dst-starts",  # Fri 15:00 AEST: 2 h on Friday, 2 h on Monday from 09:00 AEDT (+11)
        SYDNEY,
        local("Australia/Sydney", 2026, 10, 2, 15),
        4 * HOUR,
        utc(2026, 10, 5, 0),  # Mon 11:00 AEDT
    ),
    (
        "berlin-night-shift-spring-forward",  # 01:00 CET (00:00Z) to 05:00 CEST (03:00Z): 3 real hours
        BERLIN_SUNDAY_NIGHT,
        local("Europe/Berlin", 2026, 3, 28, 12),
        3 * HOUR,
        utc(2026, 3, 29, 3),  # Sun 05:00 CEST, the close
    ),
    (
        "berlin-night-shift-spring-forward-overflow",  # the 4th hour is the first hour of the next Sunday
        BERLIN_SUNDAY_NIGHT,
        local("Europe/Berlin", 2026, 3, 28, 12),
        4 * HOUR,
        utc(2026, 4, 5, 0),  # Sun 5 Apr 02:00 CEST
    ),
    (
        "berlin-night-shift-fall-back",  # 01:00 CEST (23:00Z Sat) to 05:00 CET (04:00Z): 5 real hours
        BERLIN_SUNDAY_NIGHT,
        local("Europe/Berlin", 2026, 10, 24, 12),
        5 * HOUR,
        utc(2026, 10, 25, 4),
    ),
    (
        "berlin-opening-in-gap",  # 02:30 does not exist on 29 Mar: the shift opens when the clocks jump, 03:00 CEST
        office("Europe/Berlin", weekdays={6}, start=dt.time(2, 30), end=dt.time(4)),
        local("Europe/Berlin", 2026, 3, 28, 12),
        HOUR,
        utc(2026, 3, 29, 2),  # 04:00 CEST: 03:00-04:00 CEST is the whole (one-hour) shift
    ),
    (
        "berlin-hours-wholly-in-gap",  # 02:10-02:50 never happens on 29 Mar, so that Sunday has no working time
        BERLIN_SHIFT_IN_GAP,
        local("Europe/Berlin", 2026, 3, 28, 12),
        60,
        utc(2026, 4, 5, 0, 11),  # Sun 5 Apr 02:11 CEST
    ),
    (
        "berlin-opening-repeated",  # 02:30 occurs twice on 25 Oct: the first time (CEST) opens the shift
        office("Europe/Berlin", weekdays={6}, start=dt.time(2, 30), end=dt.time(5)),
        local("Europe/Berlin", 2026, 10, 24, 12),
        3 * HOUR + 30 * 60,
        utc(2026, 10, 25, 4),  # 00:30Z to 04:00Z (05:00 CET)
    ),
    (
        "chatham-opening-in-gap",  # 03:00 is in the 02:45-03:45 gap: open 03:45 CHADT (14:00Z), close 04:00 (14:15Z)
        office("Pacific/Chatham", weekdays={6}, start=dt.time(3), end=dt.time(4)),
        local("Pacific/Chatham", 2026, 9, 26, 12),
        15 * 60,
        utc(2026, 9, 26, 14, 15),
    ),
    (
        "around-the-clock-across-dst",  # 10:00+01:00 to 11:00+02:00 next day is 24 real hours
        WorkingCalendar.twenty_four_seven(),
        local("Europe/Berlin", 2026, 3, 28, 10),
        24 * HOUR,
        local("Europe/Berlin", 2026, 3, 29, 11),
    ),
    (
        "around-the-clock-ignores-hours",
        WorkingCalendar(
            time_zone="Europe/Berlin",
            weekdays=MON_FRI,
            day_start=NINE,
            day_end=FIVE_PM,
            holidays=frozenset({dt.date(2026, 1, 17)}),
            around_the_clock=True,
        ),
        local("Europe/Berlin", 2026, 1, 17, 12),  # a Saturday and a holiday
        HOUR,
        utc(2026, 1, 17, 12),
    ),
]


@pytest.mark.parametrize(
    ("calendar", "start", "seconds", "expected"), [case[1:] for case in ADD_CASES], ids=[case[0] for case in ADD_CASES]
)
def test_add_working_seconds(calendar, start, seconds, expected):
    due = calendar.add_working_seconds(start, seconds)
    assert due == expected
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("calendar", "start", "seconds", "expected"), [case[1:] for case in ADD_CASES], ids=[case[0] for case in ADD_CASES]
)
def test_working_seconds_between_inverts_add(calendar, start, seconds, expected):
    assert calendar.working_seconds_between(start, expected) == seconds


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [
        (BERLIN, local("Europe/Berlin", 2026, 1, 12, 8), local("Europe/Berlin", 2026, 1, 12, 18), WORKING_DAY),
        (BERLIN, local("Europe/Berlin", 2026, 1, 17, 0), local("Europe/Berlin", 2026, 1, 19, 0), 0),  # weekend
        (BERLIN, local("Europe/Berlin", 2026, 1, 12, 12), local("Europe/Berlin", 2026, 1, 12, 12), 0),
        (BERLIN, local("Europe/Berlin", 2026, 1, 12, 12), local("Europe/Berlin", 2026, 1, 12, 11), 0),  # reversed
        (BERLIN, local("Europe/Berlin", 2026, 3, 23), local("Europe/Berlin", 2026, 4, 6), 10 * WORKING_DAY),
        (BERLIN, local("Europe/Berlin", 2026, 10, 19), local("Europe/Berlin", 2026, 11, 2), 10 * WORKING_DAY),
        (BERLIN_SUNDAY_NIGHT, utc(2026, 3, 28), utc(2026, 3, 30), 3 * HOUR),
        (BERLIN_SUNDAY_NIGHT, utc(2026, 10, 24), utc(2026, 10, 26), 5 * HOUR),
        (BERLIN_SUNDAY_NIGHT, utc(2026, 3, 29, 1), utc(2026, 3, 29, 2), HOUR),  # 03:00-04:00 CEST
        (SYDNEY, local("Australia/Sydney", 2026, 3, 30), local("Australia/Sydney", 2026, 4, 13), 10 * WORKING_DAY),
        (SYDNEY, local("Australia/Sydney", 2026, 9, 28), local("Australia/Sydney", 2026, 10, 12), 10 * WORKING_DAY),
        # Whole seconds only, rounded down: a paused clock is never charged for time it did not run.
        (BERLIN, local("Europe/Berlin", 2026, 1, 12, 10), utc(2026, 1, 12, 9, 0, 1, 999_999), 1),
        (BERLIN_SHIFT_IN_GAP, utc(2026, 3, 28), utc(2026, 3, 30), 0),
        # Samoa skipped Friday 30 Dec 2011 (Thursday 23:59:59 -10:00 was followed by Saturday 00:00 +14:00).
        (
            office("Pacific/Apia", weekdays=range(7)),
            local("Pacific/Apia", 2011, 12, 29),
            local("Pacific/Apia", 2012, 1, 1),
            2 * WORKING_DAY,
        ),
        (
            WorkingCalendar.twenty_four_seven(),
            utc(2026, 1, 1, 10, 0, 0, 600_000),
            utc(2026, 1, 1, 10, 0, 1, 500_000),
            0,
        ),
        (
            WorkingCalendar.twenty_four_seven(),
            local("Europe/Berlin", 2026, 10, 24, 10),
            local("Europe/Berlin", 2026, 10, 25, 9),
            24 * HOUR,  # 10:00+02:00 to 09:00+01:00
        ),
    ],
)
def test_working_seconds_between(calendar, start, end, expected):
    assert calendar.working_seconds_between(start, end) == expected


def test_microseconds_are_kept():
    start = local("Europe/Berlin", 2026, 1, 12, 16, 59, 59, 500_000)
    due = BERLIN.add_working_seconds(start, 1)
    assert due == utc(2026, 1, 13, 8, 0, 0, 500_000)  # half a second on Monday, half on Tuesday
    assert BERLIN.working_seconds_between(start, due) == 1


@pytest.mark.parametrize(
    ("calendar", "instant", "working"),
    [
        (BERLIN, local("Europe/Berlin", 2026, 1, 12, 9), True),  # opening inclusive
        (BERLIN, local("Europe/Berlin", 2026, 1, 12, 8, 59, 59, 999_999), False),
        (BERLIN, local("Europe/Berlin", 2026, 1, 12, 16, 59, 59, 999_999), True),
        (BERLIN, local("Europe/Berlin", 2026, 1, 12, 17), False),  # closing exclusive
        (BERLIN, local("Europe/Berlin", 2026, 1, 17, 12), False),  # Saturday
        (office("Europe/Berlin", holidays={dt.date(2026, 1, 12)}), local("Europe/Berlin", 2026, 1, 12, 12), False),
        (BERLIN, utc(2026, 1, 12, 8, 30), True),  # 09:30 in Berlin; the instant's own zone does not matter
        (BERLIN_SUNDAY_NIGHT, utc(2026, 3, 29, 0, 59), True),  # 01:59 CET
        (BERLIN_SUNDAY_NIGHT, utc(2026, 3, 29, 1), True),  # 03:00 CEST
        (BERLIN_SUNDAY_NIGHT, utc(2026, 3, 29, 3), False),  # 05:00 CEST
        (BERLIN_SUNDAY_NIGHT, utc(2026, 10, 25, 3, 59), True),  # 04:59 CET, five real hours after opening
        (WorkingCalendar.twenty_four_seven(), local("Europe/Berlin", 2026, 1, 17, 3), True),
    ],
)
def test_is_working_instant(calendar, instant, working):
    assert calendar.is_working_instant(instant) is working


@pytest.mark.parametrize(
    ("calendar", "instant", "expected"),
    [
        (BERLIN, local("Europe/Berlin", 2026, 1, 12, 10), utc(2026, 1, 12, 9)),
        (BERLIN, local("Europe/Berlin", 2026, 1, 12, 17), utc(2026, 1, 13, 8)),
        (BERLIN, local("Europe/Berlin", 2026, 1, 16, 17), utc(2026, 1, 19, 8)),  # Friday close to Monday 09:00
        (BERLIN, local("Europe/Berlin", 2026, 3, 27, 18), utc(2026, 3, 30, 7)),  # Monday 09:00 CEST
        (BERLIN_SUNDAY_NIGHT, utc(2026, 3, 28), utc(2026, 3, 29)),
        (BERLIN_SHIFT_IN_GAP, utc(2026, 3, 28), utc(2026, 4, 5, 0, 10)),  # not 29 Mar: that shift never happens
        (WorkingCalendar.twenty_four_seven(), local("Europe/Berlin", 2026, 1, 17, 3), utc(2026, 1, 17, 2)),
    ],
)
def test_next_working_instant(calendar, instant, expected):
    found = calendar.next_working_instant(instant)
    assert found == expected
    assert found.tzinfo is UTC


def test_working_day_seconds():
    assert BERLIN.working_day_seconds == WORKING_DAY
    assert office("UTC", start=dt.time(8, 30), end=dt.time(12, 45, 30)).working_day_seconds == 4 * HOUR + 15 * 60 + 30
    assert WorkingCalendar.twenty_four_seven().working_day_seconds == 86_400


def test_long_spans_are_computed_day_by_day():
    calendar = office("UTC")
    start, end = utc(2021, 1, 1), utc(2026, 1, 1)
    days = (end - start).days
    weekdays = sum(1 for offset in range(days) if (start + dt.timedelta(days=offset)).weekday() < 5)
    assert calendar.working_seconds_between(start, end) == weekdays * WORKING_DAY

    # Two years of weekdays from Monday 09:00 ends on a Friday at 17:00.
    budget = 104 * 5 * WORKING_DAY
    assert office("Europe/Berlin").add_working_seconds(local("Europe/Berlin", 2026, 1, 5, 9), budget) == utc(
        2027, 12, 31, 16
    )


def test_calendar_is_hashable_and_copies_sets():
    weekdays = {0, 1}
    calendar = office("UTC", weekdays=weekdays)
    weekdays.add(2)
    assert calendar.weekdays == frozenset({0, 1})
    assert hash(calendar) == hash(office("UTC", weekdays={0, 1}))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "Unknown time zone"),
        ({"time_zone": "../../etc/passwd"}, "Unknown time zone"),
        ({"time_zone": ""}, "Unknown time zone"),
        ({"day_end": NINE}, "must be after day_start"),
        ({"day_start": FIVE_PM, "day_end": NINE}, "must be after day_start"),
        ({"weekdays": frozenset()}, "weekdays is empty"),
        ({"weekdays": frozenset({7})}, "weekdays must be integers"),
        ({"holidays": frozenset({dt.datetime(2026, 1, 1)})}, "holidays must be"),
        ({"day_start": dt.time(9, tzinfo=UTC)}, "naive local time"),
    ],
)
def test_invalid_calendars(changes, message):
    fields = {"time_zone": "Europe/Berlin", "weekdays": MON_FRI, "day_start": NINE, "day_end": FIVE_PM, "holidays": ()}
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(**(fields | changes))


def test_around_the_clock_needs_no_weekdays():
    calendar = WorkingCalendar("UTC", frozenset(), NINE, FIVE_PM, frozenset(), around_the_clock=True)
    assert calendar.add_working_seconds(utc(2026, 1, 17), 60) == utc(2026, 1, 17, 0, 1)


@pytest.mark.parametrize("calendar", [BERLIN, WorkingCalendar.twenty_four_seven()], ids=["office", "24x7"])
def test_invalid_arguments(calendar):
    naive = dt.datetime(2026, 1, 12, 10)
    aware = utc(2026, 1, 12, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.add_working_seconds(naive, 60)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.working_seconds_between(aware, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.is_working_instant(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.next_working_instant(naive)
    with pytest.raises(ValueError, match="must not be negative"):
        calendar.add_working_seconds(aware, -1)
    with pytest.raises(TypeError, match="must be an int"):
        calendar.add_working_seconds(aware, 1.5)


# --- Hypothesis properties ---------------------------------------------------------------------------------------

TIME_ZONES = ["Australia/Sydney", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "UTC"]
# Clock changes in 2026 for those zones (UTC). Start instants and holidays are drawn near them half of the time, so
# the properties see DST days instead of ordinary weeks only.
CLOCK_CHANGES = [
    utc(2026, 3, 8, 7),  # New York spring forward
    utc(2026, 3, 29, 1),  # Berlin spring forward
    utc(2026, 4, 4, 14),  # Chatham leaves DST
    utc(2026, 4, 4, 16),  # Sydney leaves DST
    utc(2026, 9, 26, 14),  # Chatham enters DST
    utc(2026, 10, 3, 16),  # Sydney enters DST
    utc(2026, 10, 25, 1),  # Berlin fall back
    utc(2026, 11, 1, 6),  # New York fall back
]
WEEK_IN_MICROSECONDS = 7 * 86_400 * 10**6


def _seconds_to_time(seconds: int) -> dt.time:
    return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60)


@st.composite
def calendars(draw) -> WorkingCalendar:
    # Hours are drawn in whole minutes, mostly in the small hours where the clocks change, sometimes anywhere.
    start_minute = draw(st.one_of(st.integers(0, 5 * 60), st.integers(0, 24 * 60 - 2)))
    end_minute = draw(st.integers(start_minute + 1, min(start_minute + 10 * 60, 24 * 60 - 1)))
    near_changes = st.builds(
        lambda change, days: (change + dt.timedelta(days=days)).date(),
        st.sampled_from(CLOCK_CHANGES),
        st.integers(-3, 3),
    )
    return WorkingCalendar(
        time_zone=draw(st.sampled_from(TIME_ZONES)),
        weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        day_start=_seconds_to_time(start_minute * 60),
        day_end=_seconds_to_time(end_minute * 60),
        holidays=draw(
            st.frozensets(st.one_of(st.dates(dt.date(2025, 12, 1), dt.date(2027, 3, 1)), near_changes), max_size=20)
        ),
    )


instants = st.one_of(
    st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31), timezones=st.just(UTC)),
    st.builds(
        lambda change, offset: change + dt.timedelta(microseconds=offset),
        st.sampled_from(CLOCK_CHANGES),
        st.integers(-WEEK_IN_MICROSECONDS, WEEK_IN_MICROSECONDS),
    ),
)


def budgets(calendar: WorkingCalendar):
    # Up to about six weeks of working days: long enough to cross several weekends, holidays and clock changes.
    return st.one_of(st.integers(0, 2 * HOUR), st.integers(0, 30 * calendar.working_day_seconds))


def is_due_time_shape(calendar: WorkingCalendar, due: dt.datetime) -> bool:
    """Inside working hours, or exactly at the (exclusive) close of a working interval."""
    just_before = due - dt.timedelta(microseconds=1)
    return calendar.is_working_instant(due) or calendar.is_working_instant(just_before)


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(), start=instants, data=st.data())
def test_due_time_is_inside_working_hours_or_at_a_close(calendar, start, data):
    seconds = data.draw(budgets(calendar))
    due = calendar.add_working_seconds(start, seconds)
    assert due >= start
    assert is_due_time_shape(calendar, due)
    if seconds == 0:
        assert due == calendar.next_working_instant(start)
        assert calendar.is_working_instant(due)


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(), start=instants, data=st.data())
def test_working_seconds_between_inverts_add_working_seconds(calendar, start, data):
    seconds = data.draw(budgets(calendar))
    assert calendar.working_seconds_between(start, calendar.add_working_seconds(start, seconds)) == seconds


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(), start=instants, data=st.data())
def test_more_seconds_never_give_an_earlier_due_time(calendar, start, data):
    smaller = data.draw(budgets(calendar))
    larger = smaller + data.draw(st.integers(0, 3 * calendar.working_day_seconds))
    assert calendar.add_working_seconds(start, smaller) <= calendar.add_working_seconds(start, larger)


@settings(max_examples=200, deadline=None)
@given(
    calendar=calendars(),
    started=instants,
    paused_after=st.timedeltas(dt.timedelta(0), dt.timedelta(days=10)),
    resumed_after=st.timedeltas(dt.timedelta(0), dt.timedelta(days=10)),
    data=st.data(),
)
def test_pausing_never_shortens_the_remaining_time(calendar, started, paused_after, resumed_after, data):
    budget = data.draw(budgets(calendar))
    paused = started + paused_after
    resumed = paused + resumed_after
    remaining = budget - calendar.working_seconds_between(started, paused)
    assume(remaining > 0)
    unpaused_due = calendar.add_working_seconds(started, budget)
    assert calendar.add_working_seconds(resumed, remaining) >= unpaused_due


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(), instant=instants)
def test_is_working_instant_matches_the_local_wall_clock(calendar, instant):
    """An independent reading of the calendar: look at the local clock. It holds for every instant except the second
    pass through a repeated hour (fold=1), where "the first instant the clocks read 17:00" has already gone by."""
    local_instant = instant.astimezone(ZoneInfo(calendar.time_zone))
    assume(local_instant.fold == 0)
    on_the_clock = (
        local_instant.weekday() in calendar.weekdays
        and local_instant.date() not in calendar.holidays
        and calendar.day_start <= local_instant.time() < calendar.day_end
    )
    assert calendar.is_working_instant(instant) is on_the_clock


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(), instant=instants)
def test_next_working_instant_skips_no_working_time(calendar, instant):
    found = calendar.next_working_instant(instant)
    assert found >= instant
    assert calendar.is_working_instant(found)
    assert calendar.working_seconds_between(instant, found) == 0
    assert (found == instant) is calendar.is_working_instant(instant)


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(), instants=st.lists(instants, min_size=3, max_size=3))
def test_working_seconds_add_up(calendar, instants):
    # Whole-second instants and whole-minute hours keep every interval whole, so rounding down loses nothing.
    first, middle, last = sorted(instant.replace(microsecond=0) for instant in instants)
    assert calendar.working_seconds_between(first, middle) + calendar.working_seconds_between(
        middle, last
    ) == calendar.working_seconds_between(first, last)
