"""When each site is crawled: schedules, their overrides, and the rules that move the next run.

A schedule is an interval (``every 30m``, ``interval 2h``, ``every 1h30m``) or a 5-field cron
expression (``*/20 6-23 * * *``). An interval schedule with bounds (``min_interval``,
``max_interval``) is *adaptive*: a site that published much in its recent runs is visited more
often, a quiet one less often, never outside the bounds. After failed runs the next run is
delayed exponentially (capped); after downtime a missed run runs once. Everything here is a pure
function of a site's schedule and its past runs, so the scheduler can be restarted at any time
and picks up where the archive says it is.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger

# Outcomes of a crawl run (Scrapy's close reasons) that count as a successful visit.
SUCCESS = ("finished",)
# A crawl stopped on purpose (it resumes next time), or one still running (or whose scheduler
# died): neither says anything about the site's health.
NEUTRAL = ("shutdown", "running")
# Runs read when adapting the interval: enough to smooth out one busy hour.
ADAPT_WINDOW = 10

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_INTERVAL = re.compile(r"^(?:every|interval)\s+(.+)$", re.I)
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class ScheduleError(ValueError):
    """A schedule or a schedule setting that cannot be used (the message says why)."""


def parse_duration(text: str) -> timedelta:
    """``"90s"``, ``"30m"``, ``"1h30m"``, ``"2d"`` as a duration (``"0s"`` is allowed)."""
    cleaned = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(cleaned)
    if not parts or "".join(n + u for n, u in parts) != cleaned:
        raise ScheduleError(f"not a duration (like 90s, 30m, 1h30m, 2d): {text!r}")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


def _cron_weekdays(field: str) -> str:
    """Cron's weekday numbers (0 and 7 Sunday) as names: APScheduler 3 counts from Monday."""
    days: list[str] = []
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base.isalpha() or (not any(c.isdigit() for c in base) and base != "*"):
            days.append(part)  # names (mon-fri) mean the same to both
            continue
        if base == "*":
            first, last = 0, 6
        else:
            start, _, end = base.partition("-")
            first, last = int(start), int(end or (6 if step else start))
        days.extend(_WEEKDAYS[d % 7] for d in range(first, last + 1, int(step or 1)))
    return ",".join(dict.fromkeys(days))


def cron_trigger(expression: str, **options: Any) -> CronTrigger:
    """APScheduler's trigger for a standard 5-field cron expression."""
    fields = expression.split()
    if len(fields) != 5:
        raise ScheduleError(f"a cron expression has 5 fields, not {len(fields)}: {expression!r}")
    minute, hour, day, month, weekday = fields
    try:
        if weekday != "*":
            weekday = _cron_weekdays(weekday)
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=weekday, **options
        )
    except (ValueError, IndexError) as exc:
        raise ScheduleError(f"not a cron expression ({exc}): {expression!r}") from None


@dataclass(frozen=True)
class Schedule:
    """A site's schedule: an interval (adaptive within its bounds) or a cron expression."""

    expression: str
    interval: timedelta | None = None
    cron: str | None = None
    min_interval: timedelta | None = None
    max_interval: timedelta | None = None
    # The time zone of a cron expression's hours (None: the machine's).
    timezone: str | None = None

    @property
    def adaptive(self) -> bool:
        return self.min_interval is not None and self.min_interval != self.max_interval

    @property
    def period(self) -> timedelta:
        """The interval, or for cron the shortest gap between two of its times in a week."""
        if self.interval is not None:
            return self.interval
        assert self.cron is not None
        trigger = cron_trigger(self.cron, timezone=UTC)
        start = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
        times = [trigger.get_next_fire_time(None, start)]
        while times[-1] is not None and times[-1] < start + timedelta(days=7) and len(times) < 60:
            times.append(trigger.get_next_fire_time(times[-1], times[-1] + timedelta(seconds=1)))
        gaps = [b - a for a, b in itertools.pairwise(times) if a and b]
        return min(gaps, default=timedelta(days=7))

    def describe(self) -> str:
        if not self.adaptive:
            return self.expression
        return f"{self.expression} ({_short(self.min_interval)}..{_short(self.max_interval)})"


def _short(value: timedelta | None) -> str:
    seconds = int(value.total_seconds()) if value else 0
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def is_interval(text: str) -> bool:
    """Whether ``text`` is an interval schedule (``every 30m``) rather than a cron expression."""
    return _INTERVAL.match(text.strip()) is not None


def parse_schedule(
    text: str,
    min_interval: str | None = None,
    max_interval: str | None = None,
    timezone: str | None = None,
) -> Schedule:
    """A schedule from its text and optional bounds, or :class:`ScheduleError`.

    Bounds apply to interval schedules only; they are widened to include the interval itself,
    so that overriding a profile's interval keeps its bounds meaningful.
    """
    text = " ".join(text.split())
    match = _INTERVAL.match(text)
    if match is None and (min_interval or max_interval):
        raise ScheduleError(
            f"min_interval and max_interval need an interval schedule (every 30m), not {text!r}"
        )
    if match is None:
        cron_trigger(text, timezone=timezone)  # validates both
        return Schedule(text, cron=text, timezone=timezone)
    interval = parse_duration(match[1])
    if interval < timedelta(seconds=1):
        raise ScheduleError(f"an interval of at least 1s, not {text!r}")
    low = parse_duration(min_interval) if min_interval else None
    high = parse_duration(max_interval) if max_interval else None
    if low is None and high is None:
        return Schedule(text, interval=interval)
    low, high = min(low or interval, interval), max(high or interval, interval)
    return Schedule(text, interval=interval, min_interval=low, max_interval=high)


@dataclass(frozen=True)
class PastRun:
    """What the scheduler needs to know of one past crawl run of a site."""

    started: datetime
    outcome: str
    new_articles: int = 0
    pages: int = 0
    failures: int = 0
    finished: datetime | None = None


def failed(run: PastRun) -> bool:
    """A run that ended badly, or whose every fetch failed (the site was down or blocking us)."""
    if run.outcome in NEUTRAL:
        return False
    if run.outcome not in SUCCESS and not run.outcome.startswith("closespider_"):
        return True
    return run.failures > 0 and run.failures >= run.pages


def consecutive_failures(runs: Sequence[PastRun]) -> int:
    """Failed runs since the last good one (``runs`` newest first); stopped runs don't count."""
    count = 0
    for run in runs:
        if run.outcome in NEUTRAL:
            continue
        if not failed(run):
            break
        count += 1
    return count


def backoff(base: timedelta, failures: int, cap: timedelta) -> timedelta:
    """The wait after ``failures`` failed runs in a row: ``base`` doubled each time, capped."""
    if failures <= 0:
        return base
    doubled: timedelta = base * 2 ** min(failures, 30)
    return min(doubled, max(cap, base))


def adapted_interval(schedule: Schedule, runs: Sequence[PastRun], target: float) -> timedelta:
    """The interval that should find about ``target`` new articles per visit, within bounds.

    The site's publishing rate is estimated from its recent good runs (``runs`` newest first):
    the new articles each found, over the time they span, with the schedule's own interval
    counted as one visit that found ``target``. So a site without history keeps its interval,
    and the estimate moves towards what the site does as runs accumulate.
    """
    assert schedule.interval is not None
    if not schedule.adaptive:
        return schedule.interval
    good = [run for run in runs if run.outcome in SUCCESS][:ADAPT_WINDOW]
    span = good[0].started - good[-1].started if len(good) > 1 else timedelta(0)
    found = sum(run.new_articles for run in good[:-1])  # the oldest run's finds predate the span
    rate = (found + target) / (span + schedule.interval).total_seconds()
    interval = timedelta(seconds=target / rate)
    assert schedule.min_interval is not None and schedule.max_interval is not None
    bounded: timedelta = min(max(interval, schedule.min_interval), schedule.max_interval)
    return bounded


def next_run(
    schedule: Schedule,
    runs: Sequence[PastRun],
    now: datetime,
    *,
    target: float,
    max_backoff: timedelta,
) -> tuple[datetime, timedelta]:
    """When the site is due next (never before ``now``), and the interval that applies.

    ``runs`` are the site's past runs, newest first. A site never crawled is due now, and so is
    one whose last crawl was stopped by a shutdown (it resumes). A run missed while the
    scheduler was down is due now, once, however many were missed. After failed runs the wait
    is the backoff from the last one's start.
    """
    interval = adapted_interval(schedule, runs, target) if schedule.interval else schedule.period
    if not runs or runs[0].outcome == "shutdown":
        return now, interval  # never crawled, or stopped by a shutdown: it resumes now
    last = runs[0].started
    failures = consecutive_failures(runs)
    earliest = last + (backoff(interval, failures, max_backoff) if failures else interval)
    if schedule.cron is not None:
        # The cron time after the last run (after its backoff, if it failed).
        after = earliest if failures else last + timedelta(seconds=1)
        trigger = cron_trigger(schedule.cron, timezone=schedule.timezone or now.tzinfo)
        earliest = trigger.get_next_fire_time(None, after) or earliest
    return max(earliest, now), interval
