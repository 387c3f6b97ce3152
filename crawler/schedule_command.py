"""``newsarchive schedule``: crawl every scheduled site when it is due, for as long as it runs."""

from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url

from crawler.output import format_option
from crawler.profile import SiteProfile
from crawler.schedule import ScheduleError, consecutive_failures
from crawler.schedule_config import SchedulerConfig, load_config


def spider_classes() -> dict[str, Any]:
    """Every spider of the project, by name (as ``scrapy list`` shows them)."""
    import os

    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    loader = SpiderLoader.from_settings(get_project_settings())
    return {name: loader.load(name) for name in sorted(loader.list())}


def default_state_dir(url: str) -> Path:
    """``<name>-schedule/`` beside a SQLite archive, else ``./newsarchive-schedule``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(str(parsed.database))
        return path.with_name(f"{path.stem}-schedule")
    return Path("newsarchive-schedule")


def configure(config_path: Path | None, sites: tuple[str, ...]) -> SchedulerConfig:
    spiders = spider_classes()
    profiles = [
        p for p in (getattr(cls, "profile", None) for cls in spiders.values())
        if isinstance(p, SiteProfile)
    ]  # fmt: skip
    try:
        config = load_config(config_path, profiles, spiders)
    except ScheduleError as exc:
        raise click.ClickException(str(exc)) from None
    known = [job.site for job in config.jobs]
    unknown = [site for site in sites if site not in known]
    if unknown:
        raise click.ClickException(
            f"{unknown[0]!r} is not scheduled (scheduled: {', '.join(known) or 'none'})"
        )
    if sites:
        config = SchedulerConfig(
            **{**vars(config), "jobs": tuple(job for job in config.jobs if job.site in sites)}
        )
    if not config.jobs:
        raise click.ClickException("no site to schedule: give one a schedule in --config")
    return config


PLAN_COLUMNS = [
    ("site", 10),
    ("schedule", 24),
    ("interval", 9),
    ("last_run", 25),
    ("last_outcome", 12),
    ("failures", 8),
    ("next_run", 25),
]


@click.command("schedule")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    envvar="ARCHIVE_SCHEDULE_CONFIG",
    help="A TOML file of schedule overrides and extra sites ($ARCHIVE_SCHEDULE_CONFIG).",
)
@click.option("--site", "sites", multiple=True, help="Only this site (repeat for more).")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Crawl state (JOBDIR) and crawl logs (default: archive-schedule/ beside archive.db).",
)
@click.option("--once", is_flag=True, help="Crawl the sites that are due now, then exit.")
@click.option("--dry-run", is_flag=True, help="Show each site's next run; crawl nothing.")
@format_option("json", "table")
@click.option("--db", metavar="URL", envvar="ARCHIVE_DATABASE_URL", help="The archive.")
def schedule_command(
    config_path: Path | None,
    sites: tuple[str, ...],
    state_dir: Path | None,
    once: bool,
    dry_run: bool,
    fmt: str,
    db: str | None,
) -> None:
    """Crawl each scheduled site when it is due, each crawl a `scrapy crawl` process.

    Every site profile with a schedule is scheduled, plus the sites in --config. Never two
    crawls of one site at once; a run missed while this was not running runs once; after failed
    runs the next is delayed (doubling, capped); an adaptive schedule visits a busy site more
    often and a quiet one less often. SIGTERM or Ctrl-C stops running crawls cleanly (they
    resume next time) and exits 0. Runs are listed by `newsarchive runs`.

    \b
    Example:
        newsarchive schedule                       # runs until stopped
        newsarchive schedule --dry-run --format table
        newsarchive schedule --once --site netease # from cron or a systemd timer
    """
    from datetime import UTC, datetime

    from crawler.cli import emit_rows, opened
    from crawler.scheduler import CrawlRunner, SiteScheduler, Stopper, run_due, state_lock

    config = configure(config_path, sites)
    with opened(db) as archive:
        state = state_dir or config.state_dir or default_state_dir(archive.url)
        runner = CrawlRunner(config, archive, state.resolve())
        if dry_run:
            rows = []
            now = datetime.now(UTC)
            for job in config.jobs:
                runs = runner.past_runs(job.site)
                when, interval = runner.plan(job, now)
                rows.append({
                    "site": job.site,
                    "spider": job.spider,
                    "schedule": job.schedule.describe(),
                    "interval": str(interval),
                    "jitter": str(job.jitter),
                    "last_run": runs[0].started.isoformat(timespec="seconds") if runs else None,
                    "last_outcome": runs[0].outcome if runs else None,
                    "failures": consecutive_failures(runs),
                    "next_run": when.isoformat(timespec="seconds"),
                    "command": shlex.join(job.command(runner.jobdir(job.site))),
                })  # fmt: skip
            emit_rows(rows, fmt, PLAN_COLUMNS if fmt == "table" else None)
            return
        logging.basicConfig(
            level=logging.INFO,
            format="%(asctime)s [%(name)s] %(levelname)s: %(message)s",
            stream=sys.stderr,
        )
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        stopper = Stopper()
        stopper.install()
        try:
            with state_lock(state):
                code = (
                    run_due(config, runner, stopper)
                    if once
                    else SiteScheduler(config, runner).serve(stopper)
                )
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from None
    sys.exit(code)
