"""``newsarchive schedule``: schedules, backoff, adaptive intervals, missed runs (unit), and the
real scheduler process crawling the demo site, never twice at once, stopped by SIGTERM."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from crawler.cli import cli
from crawler.schedule import (
    PastRun,
    ScheduleError,
    adapted_interval,
    backoff,
    consecutive_failures,
    cron_trigger,
    failed,
    next_run,
    parse_duration,
    parse_schedule,
)
from crawler.schedule_command import spider_classes
from crawler.schedule_config import load_config
from crawler.spiders.netease import PROFILE as NETEASE
from crawler.spiders.qilu import PROFILE as QILU
from storage.archive import ensure_site, finish_run, start_run
from storage.database import open_archive
from storage.models import CrawlRun, Site

NEWSARCHIVE = Path(sys.executable).with_name("newsarchive")
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
M = timedelta(minutes=1)


def run(minutes_ago: float, outcome: str = "finished", new: int = 0, **kw: Any) -> PastRun:
    return PastRun(started=NOW - minutes_ago * M, outcome=outcome, new_articles=new, **kw)


# -- schedules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        ("every 30m", 30 * M),
        ("interval 2h", 120 * M),
        ("every 1h30m", 90 * M),
        ("EVERY  90s", timedelta(seconds=90)),
        ("every 1d", timedelta(days=1)),
    ],
)
def test_interval_schedules(text: str, interval: timedelta) -> None:
    schedule = parse_schedule(text)
    assert schedule.interval == schedule.period == interval
    assert schedule.cron is None and not schedule.adaptive


def test_cron_schedules_use_crons_weekday_numbers() -> None:
    schedule = parse_schedule("*/20 6-23 * * *")
    assert schedule.cron == "*/20 6-23 * * *" and schedule.period == 20 * M
    # In cron 0 is Sunday (APScheduler 3 alone would take it for Monday).
    sunday = cron_trigger("0 6 * * 0", timezone=UTC).get_next_fire_time(None, NOW)
    assert sunday == datetime(2026, 3, 8, 6, 0, tzinfo=UTC)
    weekdays = cron_trigger("0 6 * * 1-5", timezone=UTC).get_next_fire_time(None, NOW)
    assert weekdays == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    assert parse_schedule("0 6 * * 6,7").period == timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "bounds", "message"),
    [
        ("every 0s", (None, None), "at least 1s"),
        ("every soon", (None, None), "not a duration"),
        ("hourly", (None, None), "5 fields"),
        ("61 * * * *", (None, None), "not a cron expression"),
        ("*/5 * * * *", ("1m", None), "need an interval schedule"),
        ("every 1h", ("10 minutes", None), "not a duration"),
    ],
)
def test_bad_schedules_say_why(text: str, bounds: tuple[Any, Any], message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(text, *bounds)


def test_bounds_are_widened_to_include_the_interval() -> None:
    schedule = parse_schedule("every 5m", "10m", "3h")
    assert (schedule.min_interval, schedule.max_interval) == (5 * M, 180 * M)
    assert schedule.adaptive and schedule.describe() == "every 5m (5m..3h)"
    assert parse_duration("1h30m") == 90 * M


def test_the_profiles_schedules_parse() -> None:
    for profile in (NETEASE, QILU):
        assert profile.schedule is not None
        schedule = parse_schedule(profile.schedule, profile.min_interval, profile.max_interval)
        assert schedule.adaptive


# -- failures and backoff ---------------------------------------------------------------------


def test_what_counts_as_a_failed_run() -> None:
    assert not failed(run(1, pages=10, failures=2))
    assert failed(run(1, pages=3, failures=3))  # every fetch failed: the site is down
    assert failed(run(1, pages=0, failures=1))
    assert failed(run(1, "failed: exit 2"))
    assert failed(run(1, "killed"))
    assert not failed(run(1, "shutdown"))
    assert not failed(run(1, "closespider_timeout", pages=5))


def test_backoff_doubles_and_is_capped() -> None:
    cap = timedelta(hours=6)
    assert [backoff(30 * M, n, cap) for n in range(5)] == [
        30 * M, 60 * M, 120 * M, 240 * M, 360 * M,
    ]  # fmt: skip
    assert backoff(30 * M, 1000, cap) == cap
    assert backoff(10 * timedelta(hours=1), 1, cap) == 10 * timedelta(hours=1)  # never shorter


def test_consecutive_failures_skip_stopped_runs() -> None:
    runs = [
        run(1, "killed"),
        run(2, "shutdown"),
        run(3, "failed: exit 1"),
        run(4),
        run(5, "killed"),
    ]
    assert consecutive_failures(runs) == 2
    assert consecutive_failures([run(1)]) == 0 and consecutive_failures([]) == 0


def test_after_failures_the_next_run_waits_longer() -> None:
    schedule = parse_schedule("every 30m")
    options: dict[str, Any] = {"target": 10, "max_backoff": timedelta(hours=6)}
    ok = [run(10), run(40)]
    assert next_run(schedule, ok, NOW, **options)[0] == NOW + 20 * M
    one = [run(10, "failed: exit 1"), *ok]
    assert next_run(schedule, one, NOW, **options)[0] == NOW + 50 * M  # 10 min ago + 2 × 30
    two = [run(10, "killed"), run(20, "failed: exit 1"), *ok]
    assert next_run(schedule, two, NOW, **options)[0] == NOW + 110 * M  # + 4 × 30
    cron = parse_schedule("0 * * * *", timezone="UTC")
    # 11:50 + 2 × 1h is 13:50: the next cron time is 14:00
    assert next_run(cron, one, NOW, **options)[0] == NOW + 120 * M


# -- missed runs ------------------------------------------------------------------------------


def test_a_site_never_crawled_or_stopped_by_a_shutdown_is_due_now() -> None:
    schedule = parse_schedule("every 30m")
    options: dict[str, Any] = {"target": 10, "max_backoff": timedelta(hours=6)}
    assert next_run(schedule, [], NOW, **options) == (NOW, 30 * M)
    assert next_run(schedule, [run(1, "shutdown"), run(20)], NOW, **options)[0] == NOW


@pytest.mark.parametrize("text", ["every 30m", "*/30 * * * *"])
def test_runs_missed_while_down_run_once(text: str) -> None:
    schedule = parse_schedule(text, timezone="UTC")
    options: dict[str, Any] = {"target": 10, "max_backoff": timedelta(hours=6)}
    down = [run(600)]  # ten hours without a run: twenty were missed
    assert next_run(schedule, down, NOW, **options)[0] == NOW
    # and once that one has run, the next is one interval later, not another missed one
    after = [PastRun(started=NOW, outcome="finished"), *down]
    assert next_run(schedule, after, NOW + M, **options)[0] == NOW + 30 * M


def test_cron_not_missed_waits_for_its_time() -> None:
    schedule = parse_schedule("0 */2 * * *", timezone="UTC")
    later = NOW + 30 * M  # 12:30, the 12:00 run done
    when, _ = next_run(schedule, [run(0)], later, target=10, max_backoff=timedelta(hours=6))
    assert when == NOW + 120 * M


# -- adaptivity -------------------------------------------------------------------------------


def history(every_minutes: float, new: int, count: int = 8) -> list[PastRun]:
    return [run(i * every_minutes, new=new) for i in range(count)]


def test_a_busy_site_is_visited_more_often_a_quiet_one_less() -> None:
    schedule = parse_schedule("every 30m", "10m", "3h")
    base = adapted_interval(schedule, [], target=10)
    assert base == 30 * M
    busy = adapted_interval(schedule, history(30, new=30), target=10)
    steady = adapted_interval(schedule, history(30, new=10), target=10)
    quiet = adapted_interval(schedule, history(30, new=1), target=10)
    silent = adapted_interval(schedule, history(30, new=0, count=10), target=10)
    assert 10 * M <= busy < 20 * M
    assert steady == 30 * M
    assert 60 * M < quiet <= 180 * M
    assert silent == 180 * M  # clamped to max_interval
    flood = adapted_interval(schedule, history(30, new=1000), target=10)
    assert flood == 10 * M  # clamped to min_interval


def test_adaptivity_reads_only_good_runs_and_needs_bounds() -> None:
    schedule = parse_schedule("every 30m", "10m", "3h")
    failures = [run(i * 30, "failed: exit 1") for i in range(8)]
    assert adapted_interval(schedule, failures, target=10) == 30 * M
    fixed = parse_schedule("every 30m")
    assert adapted_interval(fixed, history(30, new=100), target=10) == 30 * M


# -- configuration ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spiders() -> dict[str, Any]:
    return spider_classes()


def config_of(tmp_path: Path, spiders: dict[str, Any], text: str) -> Any:
    path = tmp_path / "schedule.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, [NETEASE, QILU], spiders)


def test_profiles_are_scheduled_and_overridden(tmp_path: Path, spiders: dict[str, Any]) -> None:
    default = load_config(None, [NETEASE, QILU], spiders)
    assert [(j.site, j.schedule.expression) for j in default.jobs] == [
        ("netease", "every 30m"),
        ("qilu", "every 1h"),
    ]
    config = config_of(
        tmp_path,
        spiders,
        """
        [scheduler]
        max_backoff = "2h"
        settings = { DOWNLOAD_DELAY = 1 }
        [sites.netease]
        schedule = "every 20m"
        jitter = "30s"
        settings = { LOG_LEVEL = "WARNING" }
        [sites.qilu]
        enabled = false
        [sites.county]
        spider = "news"
        args = { url = "https://county.example/" }
        schedule = "0 6 * * *"
        """,
    )
    netease, county = config.jobs
    assert config.max_backoff == 120 * M
    assert netease.schedule.describe() == "every 20m (10m..3h)"  # the profile's bounds stay
    assert netease.jitter == timedelta(seconds=30)
    assert netease.settings == {"DOWNLOAD_DELAY": "1", "LOG_LEVEL": "WARNING"}
    assert county.args == {"url": "https://county.example/", "site": "county"}
    assert county.command(Path("/state/county"))[-8:] == [
        "-a", "url=https://county.example/", "-a", "site=county",
        "-s", "DOWNLOAD_DELAY=1", "-s", "JOBDIR=/state/county",
    ]  # fmt: skip
    assert county.jitter == timedelta(minutes=5)  # a tenth of a day, capped


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sites.x]\nspider = 'news'\nschedule = 'every 1h'", "needs a start URL"),
        ("[sites.x]\nspider = 'nope'\nschedule = 'every 1h'", "no spider 'nope'"),
        ("[sites.mine]\nspider = 'netease'", r"name the entry \[sites.netease\]"),
        ("[sites.netease]\nschedul = 'every 1h'", "unknown key 'schedul'"),
        ("[sites.netease]\nschedule = 'every day'", r"\[sites.netease\]: not a duration"),
        ("[scheduler]\nmax_backof = '1h'", "unknown key 'max_backof'"),
        ("[sites.x]\nspider = 'news'\nargs = { url = 'https://x.example/' }", "no schedule"),
        ("[scheduler", "not valid TOML"),
    ],
)
def test_config_mistakes_are_one_clear_line(
    tmp_path: Path, spiders: dict[str, Any], text: str, message: str
) -> None:
    with pytest.raises(ScheduleError, match=message):
        config_of(tmp_path, spiders, text)


def test_dry_run_shows_the_plan_and_mistakes_are_errors(tmp_path: Path, sqlite_url: str) -> None:
    archive = open_archive(sqlite_url)
    with archive.transaction() as session:
        run_id = start_run(session, "netease", site_id=ensure_site(session, "netease"))
        finish_run(session, run_id, "failed: exit 1")
    archive.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["schedule", "--dry-run", "--db", sqlite_url, "--site", "netease"])
    assert result.exit_code == 0, result.output
    assert '"failures": 1' in result.output and '"last_outcome": "failed: exit 1"' in result.output
    assert "scrapy crawl netease -s JOBDIR=" in result.output
    result = runner.invoke(cli, ["schedule", "--dry-run", "--db", sqlite_url, "--site", "nope"])
    assert result.exit_code == 1 and "'nope' is not scheduled" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[sites.netease]\nschedule = 'sometimes'\n", encoding="utf-8")
    result = runner.invoke(cli, ["schedule", "--dry-run", "--db", sqlite_url, "--config", str(bad)])
    assert result.exit_code == 1 and "5 fields" in result.output


# -- the scheduler process against the demo site ------------------------------------------------


def write_config(
    tmp_path: Path, base_url: str, schedule: str, name: str = "schedule", **settings: Any
) -> Path:
    settings = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": "False", **settings}
    table = ", ".join(
        f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in settings.items()
    )
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f"""
        [scheduler]
        profiles = false
        state_dir = "{tmp_path / "state"}"
        settings = {{ {table} }}
        [sites.demo]
        spider = "news"
        args = {{ url = "{base_url}/" }}
        schedule = "{schedule}"
        jitter = "0s"
        """,
        encoding="utf-8",
    )
    return path


@pytest.fixture
def scheduler(sqlite_url: str) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def start(config: Path, *args: str) -> subprocess.Popen[str]:
        env = {**os.environ, "ARCHIVE_DATABASE_URL": sqlite_url}
        process = subprocess.Popen(
            [str(NEWSARCHIVE), "schedule", "--config", str(config), *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def runs_of(sqlite_url: str) -> list[CrawlRun]:
    archive = open_archive(sqlite_url)
    try:
        with archive.session() as session:
            return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    finally:
        archive.close()


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    return output


@pytest.mark.crawl
def test_the_scheduler_crawls_repeatedly_never_twice_at_once(
    demo_site: tuple[Any, str], sqlite_url: str, tmp_path: Path, scheduler: Callable[..., Any]
) -> None:
    # Every second, but a crawl takes longer than that: runs must queue, not overlap.
    process = scheduler(write_config(tmp_path, demo_site[1], "every 1s"))
    wait_for(lambda: sum(r.outcome == "finished" for r in runs_of(sqlite_url)) >= 2, 40, "2 runs")
    output = stop(process)
    runs = runs_of(sqlite_url)
    assert all(r.spider == "news" and r.finished_at is not None for r in runs)
    assert runs[0].new_articles > 0 and runs[0].pages_fetched > 0
    for earlier, later in itertools.pairwise(runs):
        assert earlier.finished_at is not None and earlier.finished_at <= later.started_at
    assert "crawl of demo ended: finished" in output and "stopped" in output


@pytest.mark.crawl
def test_sigterm_stops_a_crawl_cleanly_and_it_resumes(
    demo_site: tuple[Any, str], sqlite_url: str, tmp_path: Path, scheduler: Callable[..., Any]
) -> None:
    # One request at a time, slowly: the crawl is surely running when SIGTERM comes, and
    # stops soon after (Scrapy finishes the requests in flight).
    slow = write_config(
        tmp_path, demo_site[1], "every 1h", "slow", DOWNLOAD_DELAY=0.2, CONCURRENT_REQUESTS=1
    )
    process = scheduler(slow)
    wait_for(
        lambda: any(r.pages_fetched or r.outcome == "running" for r in runs_of(sqlite_url)),
        30,
        "a running crawl",
    )
    time.sleep(1.0)
    output = stop(process)
    (run,) = runs_of(sqlite_url)
    assert run.outcome == "shutdown" and run.finished_at is not None, output
    jobdir = tmp_path / "state" / "jobs" / "demo"
    assert (jobdir / "requests.queue").is_dir(), "the stopped crawl keeps its state"
    # Stopped on purpose: not a failure, so the site is due again at once, and resumes.
    fast = write_config(tmp_path, demo_site[1], "every 1h")
    result = subprocess.run(
        [str(NEWSARCHIVE), "schedule", "--config", str(fast), "--once"],
        env={**os.environ, "ARCHIVE_DATABASE_URL": sqlite_url},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "(resuming)" in result.stderr
    first, second = runs_of(sqlite_url)
    assert second.outcome == "finished"
    assert first.new_articles + second.new_articles == len(demo_site[0].articles)
    assert not jobdir.exists(), "a finished crawl leaves no state: the next one starts afresh"


@pytest.mark.crawl
def test_after_downtime_a_missed_run_runs_once(
    demo_site: tuple[Any, str], sqlite_url: str, tmp_path: Path, scheduler: Callable[..., Any]
) -> None:
    archive = open_archive(sqlite_url)
    with archive.transaction() as session:
        run_id = start_run(session, "news", site_id=ensure_site(session, "demo"))
        finish_run(session, run_id, "finished")
        long_ago = datetime.now(UTC) - timedelta(hours=5)  # five hourly runs missed
        session.execute(update(CrawlRun).values(started_at=long_ago, finished_at=long_ago))
    archive.close()
    process = scheduler(write_config(tmp_path, demo_site[1], "every 1h"))
    wait_for(
        lambda: len(runs_of(sqlite_url)) == 2 and runs_of(sqlite_url)[1].finished_at is not None,
        30,
        "the missed run",
    )
    time.sleep(1.5)
    stop(process)
    assert [r.outcome for r in runs_of(sqlite_url)] == ["finished", "finished"]


@pytest.mark.crawl
def test_a_failing_site_is_backed_off(sqlite_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9", "every 10m", RETRY_TIMES=0)
    env = {**os.environ, "ARCHIVE_DATABASE_URL": sqlite_url}
    once = [str(NEWSARCHIVE), "schedule", "--config", str(config), "--once"]
    result = subprocess.run(once, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stderr  # the crawl failed: cron and systemd see it
    (run,) = runs_of(sqlite_url)
    assert run.failures > 0 and run.pages_fetched == 0
    # Not due again for 2 × 10 minutes; --once now crawls nothing.
    again = subprocess.run(once, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0 and "due now: none" in again.stderr
    plan = CliRunner().invoke(
        cli, ["schedule", "--config", str(config), "--dry-run", "--db", sqlite_url]
    )
    assert '"failures": 1' in plan.output
    archive = open_archive(sqlite_url)
    with archive.session() as session:
        assert session.scalar(select(Site.name)) == "demo"
    archive.close()


def test_a_cron_override_drops_the_profiles_bounds(tmp_path: Path, spiders: dict[str, Any]) -> None:
    config = config_of(tmp_path, spiders, "[sites.qilu]\nschedule = '15 * * * *'\n")
    qilu = next(job for job in config.jobs if job.site == "qilu")
    assert qilu.schedule.cron == "15 * * * *" and not qilu.schedule.adaptive
