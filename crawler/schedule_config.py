"""Which sites ``newsarchive schedule`` crawls, how, and when: the profiles and a TOML file.

Every site profile with a ``schedule`` is scheduled as its profile says. A TOML file (``--config``
or ``ARCHIVE_SCHEDULE_CONFIG``) overrides any of it per site and adds sites the generic ``news``
spider crawls from a URL::

    [scheduler]
    max_backoff = "6h"              # the longest wait after failed runs
    target_new_articles = 10        # adaptive schedules aim at this many new articles a visit

    [sites.netease]
    schedule = "every 20m"
    max_interval = "1h"

    [sites.qilu]
    enabled = false

    [sites.example]
    spider = "news"
    args = { url = "https://example.com/" }
    schedule = "0 */2 * * *"
    settings = { DOWNLOAD_DELAY = 2 }
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from crawler.profile import SiteProfile
from crawler.schedule import Schedule, ScheduleError, is_interval, parse_duration, parse_schedule

SCHEDULER_KEYS = {
    "profiles": "also schedule every site profile with a schedule (default true)",
    "state_dir": "where crawl state (JOBDIR) and crawl logs go",
    "max_backoff": "the longest wait after failed runs (default 6h)",
    "target_new_articles": "new articles an adaptive schedule aims at per visit (default 10)",
    "max_crawls": "crawls running at once, at most (default 4)",
    "stop_timeout": "how long a crawl may take to stop cleanly on SIGTERM (default 2m)",
    "timezone": "the time zone of cron hours (default: the machine's)",
    "settings": "Scrapy settings (-s) for every crawl",
}
SITE_KEYS = {
    "enabled", "spider", "schedule", "min_interval", "max_interval", "jitter", "args", "settings",
}  # fmt: skip
# Never more random delay than this before a run, however long the interval.
MAX_DEFAULT_JITTER = timedelta(minutes=5)


@dataclass(frozen=True)
class SiteJob:
    """One scheduled site: the crawl to start and when."""

    site: str
    spider: str
    schedule: Schedule
    jitter: timedelta
    args: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)

    def command(self, jobdir: Path | None = None) -> list[str]:
        """``python -m scrapy crawl SPIDER -a … -s …``, resumable from ``jobdir``."""
        command = [sys.executable, "-m", "scrapy", "crawl", self.spider]
        for name, value in self.args.items():
            command += ["-a", f"{name}={value}"]
        for name, value in self.settings.items():
            command += ["-s", f"{name}={value}"]
        if jobdir is not None:
            command += ["-s", f"JOBDIR={jobdir}"]
        return command


@dataclass(frozen=True)
class SchedulerConfig:
    jobs: tuple[SiteJob, ...]
    state_dir: Path | None = None
    max_backoff: timedelta = timedelta(hours=6)
    target_new_articles: float = 10.0
    max_crawls: int = 4
    stop_timeout: timedelta = timedelta(minutes=2)


def _text(value: object, where: str) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, str | int | float):
        return str(value)
    raise ScheduleError(f"{where}: expected a string or number, not {value!r}")


def _table(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ScheduleError(f"{where}: expected a table such as {{ NAME = value }}")
    return {str(k): _text(v, f"{where}.{k}") for k, v in value.items()}


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as exc:
        raise ScheduleError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"{path} is not valid TOML: {exc}") from None


def _site_job(
    name: str,
    entry: Mapping[str, Any],
    profile: SiteProfile | None,
    spiders: Mapping[str, Any],
    common: Mapping[str, Any],
) -> SiteJob | None:
    where = f"[sites.{name}]"
    unknown = set(entry) - SITE_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise ScheduleError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(SITE_KEYS))})")
    if not entry.get("enabled", True):
        return None
    spider = str(entry.get("spider") or name)
    if spider not in spiders:
        raise ScheduleError(f"{where}: no spider {spider!r} (there are: {', '.join(spiders)})")
    own_profile = getattr(spiders[spider], "profile", None)
    if isinstance(own_profile, SiteProfile) and own_profile.name != name:
        raise ScheduleError(
            f"{where}: the {spider} spider archives as site {own_profile.name!r}: "
            f"name the entry [sites.{own_profile.name}]"
        )
    args = _table(entry.get("args", {}), f"{where} args")
    if not isinstance(own_profile, SiteProfile):
        args.setdefault("site", name)  # the generic spider archives under this name
    check = getattr(spiders[spider], "check_arguments", None)
    if check is not None:
        try:
            check(**args)
        except ValueError as exc:
            raise ScheduleError(f"{where}: {exc}") from None
    text = entry.get("schedule") or (profile.schedule if profile else None)
    if not text:
        raise ScheduleError(f'{where}: no schedule (e.g. schedule = "every 1h")')
    low, high = entry.get("min_interval"), entry.get("max_interval")
    if profile is not None and low is None and high is None and is_interval(str(text)):
        low, high = profile.min_interval, profile.max_interval  # a cron override drops them
    try:
        schedule = parse_schedule(str(text), low, high, common.get("timezone"))
        jitter = (
            parse_duration(str(entry["jitter"]))
            if "jitter" in entry
            else min(schedule.period / 10, MAX_DEFAULT_JITTER)
        )
    except ScheduleError as exc:
        raise ScheduleError(f"{where}: {exc}") from None
    settings = {**_table(common.get("settings", {}), "[scheduler] settings")}
    settings.update(_table(entry.get("settings", {}), f"{where} settings"))
    return SiteJob(name, spider, schedule, jitter, args, settings)


def load_config(
    path: Path | None, profiles: list[SiteProfile], spiders: Mapping[str, Any]
) -> SchedulerConfig:
    """The sites to schedule: the profiles with a schedule, overridden and extended by ``path``.

    ``spiders`` maps each spider name to its class. Raises :class:`ScheduleError` with a
    one-line reason for anything that cannot be used.
    """
    data = read_toml(path) if path is not None else {}
    unknown = set(data) - {"scheduler", "sites"}
    if unknown:
        section = sorted(unknown)[0]
        raise ScheduleError(f"{path}: unknown section [{section}] (use [scheduler], [sites.NAME])")
    common = data.get("scheduler", {})
    if set(common) - set(SCHEDULER_KEYS):
        key = sorted(set(common) - set(SCHEDULER_KEYS))[0]
        known = ", ".join(SCHEDULER_KEYS)
        raise ScheduleError(f"[scheduler]: unknown key {key!r} (known: {known})")
    sites: dict[str, Any] = data.get("sites", {})
    by_name = {p.name: p for p in profiles}
    names = list(sites)
    if common.get("profiles", True):
        names = [p.name for p in profiles if p.schedule and p.name not in sites] + names
    jobs = []
    for name in names:
        job = _site_job(name, sites.get(name, {}), by_name.get(name), spiders, common)
        if job is not None:
            jobs.append(job)
    try:
        return SchedulerConfig(
            jobs=tuple(jobs),
            state_dir=Path(common["state_dir"]) if "state_dir" in common else None,
            max_backoff=parse_duration(str(common.get("max_backoff", "6h"))),
            target_new_articles=float(common.get("target_new_articles", 10)),
            max_crawls=int(common.get("max_crawls", 4)),
            stop_timeout=parse_duration(str(common.get("stop_timeout", "2m"))),
        )
    except (TypeError, ValueError) as exc:
        raise ScheduleError(f"[scheduler]: {exc}") from None
