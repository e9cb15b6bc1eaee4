"""Business-hours arithmetic for the SLA clocks on client requests.

A :class:`WorkingCalendar` says when a service team is working: which weekdays, which local wall-clock hours, which
local dates are holidays, all in one IANA time zone. From that it answers the questions an SLA clock asks: is this
instant inside working hours, how much working time lies between two instants, and when will a budget of working
seconds that starts now be used up (the due time).

Model
    Every working local date ``d`` (its weekday is in ``weekdays`` and it is not in ``holidays``) contributes one
    half-open interval ``[d day_start, d day_end)`` of real time. Working time is the real (UTC) length of the overlap
    with those intervals, so an interval that a DST change cuts into is shorter or longer than its wall-clock length,
    while a DST change between two working days changes nothing (09:00-17:00 is 8 h either side of it).
    ``around_the_clock`` calendars count every instant: working time is plain elapsed real time.

Local times that do not exist or occur twice
    A wall-clock time is placed at the *first instant at which the local clocks read that time or later*:

    * a time that occurs twice (autumn fall-back) means its first occurrence (zoneinfo's ``fold=0``);
    * a time that does not exist (spring-forward gap) means the instant the clocks jump, i.e. the first instant after
      the gap. In Europe/Berlin on 2026-03-29 both 02:00 and 02:30 mean 03:00 CEST (01:00 UTC).

    zoneinfo's own ``fold=0`` reading of a gap time would move it forward by the gap's length (02:30 -> 03:30 CEST);
    that can put a 02:30 opening after a 03:10 closing. The rule above is monotonic, so every day's interval is well
    formed and the intervals never overlap; a day whose hours lie wholly inside a gap simply has no working time.

Precision
    Instants keep their microseconds throughout. Budgets (``seconds`` arguments) are whole seconds, and
    :meth:`WorkingCalendar.working_seconds_between` rounds the exact working time *down* to whole seconds, so a
    paused clock is never charged for time it did not run.

Invariants (tests/servicelevels/test_calendar.py checks them with Hypothesis)
    * a due time ``add_working_seconds(start, s)`` is inside working hours or exactly at the close of a working
      interval (a budget used up at 17:00 is due at 17:00, not at the next opening);
    * ``working_seconds_between(start, add_working_seconds(start, s)) == s``;
    * more seconds never gives an earlier due time, and pausing a clock never brings its due time forward.

Every datetime accepted must be timezone-aware; every datetime returned is in UTC.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["WorkingCalendar"]

UTC = dt.UTC
ONE_SECOND = dt.timedelta(seconds=1)
ONE_DAY = dt.timedelta(days=1)
ONE_MICROSECOND = dt.timedelta(microseconds=1)
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class WorkingCalendar:
    """When a team works, in one time zone. See the module docstring for the model and its invariants."""

    time_zone: str
    weekdays: frozenset[int]
    day_start: dt.time
    day_end: dt.time
    holidays: frozenset[dt.date]
    around_the_clock: bool = False

    def __post_init__(self) -> None:
        # Accept any iterable for the sets, but store frozensets: the dataclass is frozen and hashable, and a
        # caller's mutable set must not be able to change the calendar afterwards.
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        object.__setattr__(self, "holidays", frozenset(self.holidays))

        if not isinstance(self.time_zone, str):
            raise ValueError(f"time_zone must be an IANA time zone name, not {self.time_zone!r}")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, OSError) as error:
            raise ValueError(f"Unknown time zone {self.time_zone!r}: {error}") from error

        for name in ("day_start", "day_end"):
            value = getattr(self, name)
            if not isinstance(value, dt.time):
                raise ValueError(f"{name} must be a datetime.time, not {value!r}")
            # The hours are wall-clock times in time_zone; a time carrying its own zone would be ambiguous.
            if value.tzinfo is not None:
                raise ValueError(f"{name} must be a naive local time (it is read in {self.time_zone}), not {value!r}")
        if self.day_end <= self.day_start:
            raise ValueError(
                f"day_end ({self.day_end}) must be after day_start ({self.day_start}); "
                "overnight shifts are not supported"
            )

        invalid_weekdays = sorted(
            repr(day) for day in self.weekdays if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6
        )
        if invalid_weekdays:
            raise ValueError(f"weekdays must be integers 0 (Monday) to 6 (Sunday); got {', '.join(invalid_weekdays)}")
        if not self.weekdays and not self.around_the_clock:
            raise ValueError("weekdays is empty: a calendar without working days would never finish a clock")

        # datetime is a subclass of date, and a datetime never equals a date, so it would silently never match.
        invalid_holidays = sorted(
            repr(day) for day in self.holidays if not isinstance(day, dt.date) or isinstance(day, dt.datetime)
        )
        if invalid_holidays:
            raise ValueError(f"holidays must be datetime.date values; got {', '.join(invalid_holidays)}")

    @classmethod
    def twenty_four_seven(cls) -> WorkingCalendar:
        """A calendar in which every instant is working time (real elapsed time)."""
        return cls(
            time_zone="UTC",
            weekdays=frozenset(range(7)),
            day_start=dt.time.min,
            day_end=dt.time.max,
            holidays=frozenset(),
            around_the_clock=True,
        )

    @property
    def working_day_seconds(self) -> int:
        """The wall-clock length of a working day in whole seconds (86400 around the clock).

        This is the nominal length; on a day when the clocks change inside working hours the real length differs.
        """
        if self.around_the_clock:
            return SECONDS_PER_DAY
        reference_date = dt.date(2000, 1, 1)
        length = dt.datetime.combine(reference_date, self.day_end) - dt.datetime.combine(reference_date, self.day_start)
        return length // ONE_SECOND

    def is_working_instant(self, instant: dt.datetime) -> bool:
        """Whether ``instant`` lies inside working hours (opening inclusive, closing exclusive)."""
        instant_utc = _to_utc(instant, "instant")
        if self.around_the_clock:
            return True
        opening, closing = next(self._working_intervals_from(instant_utc))
        return opening <= instant_utc < closing

    def next_working_instant(self, instant: dt.datetime) -> dt.datetime:
        """``instant`` itself (in UTC) if it is working time, otherwise the next opening."""
        instant_utc = _to_utc(instant, "instant")
        if self.around_the_clock:
            return instant_utc
        opening, _closing = next(self._working_intervals_from(instant_utc))
        return max(opening, instant_utc)

    def working_seconds_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Whole seconds of working time in ``[start, end)``, rounded down; 0 if ``end <= start``."""
        start_utc = _to_utc(start, "start")
        end_utc = _to_utc(end, "end")
        if end_utc <= start_utc:
            return 0
        if self.around_the_clock:
            return (end_utc - start_utc) // ONE_SECOND
        worked = dt.timedelta(0)
        for opening, closing in self._working_intervals_from(start_utc):
            if opening >= end_utc:
                break
            worked += min(closing, end_utc) - max(opening, start_utc)
        return worked // ONE_SECOND

    def add_working_seconds(self, start: dt.datetime, seconds: int) -> dt.datetime:
        """The instant (UTC) at which exactly ``seconds`` of working time have elapsed since ``start``.

        With ``seconds == 0`` this is :meth:`next_working_instant`: a clock started outside working hours starts at
        the next opening. A budget that runs out exactly at a closing is due at that closing, not at the next opening.
        """
        start_utc = _to_utc(start, "start")
        try:
            seconds = operator.index(seconds)
        except TypeError as error:
            raise TypeError(f"seconds must be an int, not {type(seconds).__name__}") from error
        if seconds < 0:
            raise ValueError(f"seconds must not be negative, got {seconds}")
        if self.around_the_clock:
            return start_utc + dt.timedelta(seconds=seconds)

        remaining = dt.timedelta(seconds=seconds)
        for opening, closing in self._working_intervals_from(start_utc):
            clock_start = max(opening, start_utc)
            # Checking before consuming (rather than after) is what makes a zero budget mean "the next opening".
            if remaining <= closing - clock_start:
                return clock_start + remaining
            remaining -= closing - clock_start
        raise AssertionError("unreachable: the working intervals never run out")  # pragma: no cover

    @cached_property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def _is_working_date(self, local_date: dt.date) -> bool:
        return local_date.weekday() in self.weekdays and local_date not in self.holidays

    def _working_intervals_from(self, instant_utc: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The working intervals ``(opening, closing)`` in UTC that close after ``instant_utc``, in order.

        Endless (past holidays there is always another working weekday); the caller stops iterating. Intervals are
        non-empty, ordered and disjoint because placing local times is monotonic (see the module docstring).
        """
        # Earlier dates need no look: the instant's clocks read its local date, so it is at or after the first
        # instant they read that date's midnight, which is where every earlier date's interval has already closed.
        local_date = instant_utc.astimezone(self._zone).date()
        while True:
            if self._is_working_date(local_date):
                opening = self._local_to_utc(local_date, self.day_start)
                closing = self._local_to_utc(local_date, self.day_end)
                # A day whose hours fall wholly inside a spring-forward gap has no working time.
                if opening < closing and closing > instant_utc:
                    yield opening, closing
            local_date += ONE_DAY

    def _local_to_utc(self, local_date: dt.date, wall_time: dt.time) -> dt.datetime:
        """The first instant (UTC) at which the clocks in time_zone read ``local_date wall_time`` or later.

        For an ordinary time that is the time itself; for a repeated time its first occurrence; for a time in a
        spring-forward gap the instant the clocks jump.
        """
        naive = dt.datetime.combine(local_date, wall_time.replace(fold=0))
        first_reading = naive.replace(tzinfo=self._zone).astimezone(UTC)  # fold=0: the first of a repeated time
        if first_reading.astimezone(self._zone).replace(tzinfo=None) == naive:
            return first_reading
        # ``naive`` falls in a gap. Reading it with the offsets from either side of the gap gives one instant before
        # the jump (its clocks read earlier than ``naive``) and one after (they read later); bisect for the jump.
        other_reading = naive.replace(tzinfo=self._zone, fold=1).astimezone(UTC)
        before, after = sorted((first_reading, other_reading))

        def reads_at_least_naive(instant: dt.datetime) -> bool:
            return instant.astimezone(self._zone).replace(tzinfo=None) >= naive

        if reads_at_least_naive(before) or not reads_at_least_naive(after):
            raise AssertionError(f"unexpected time zone data around {naive} in {self.time_zone}")  # pragma: no cover
        while after - before > ONE_MICROSECOND:
            middle = before + (after - before) // 2
            if reads_at_least_naive(middle):
                after = middle
            else:
                before = middle
        return after


def _to_utc(instant: dt.datetime, name: str) -> dt.datetime:
    """``instant`` in UTC. Arithmetic on UTC datetimes is real elapsed time, unlike on two datetimes sharing a
    ZoneInfo, which Python subtracts as wall-clock times."""
    if not isinstance(instant, dt.datetime):
        raise ValueError(f"{name} must be a datetime, not {instant!r}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {instant.isoformat()}")
    return instant.astimezone(UTC)
