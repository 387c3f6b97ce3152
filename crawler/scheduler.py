"""The long-lived ``newsarchive schedule`` process: APScheduler starts each site's crawl when due.

Each crawl is its own ``scrapy crawl`` process, in its own session (so a terminal's Ctrl-C
reaches only the scheduler, which then stops each crawl with exactly one SIGTERM), with a
``JOBDIR`` per site: a crawl stopped that way resumes where it stopped on its next run. A crawl
that ended otherwise leaves no state behind, so the next one starts from the entry points.

What the scheduler knows between runs it reads from the archive's ``crawl_runs``: when each site
was last crawled, how it ended, what it found. So it can be stopped and started at any time.
"""

from __future__ import annotations

import fcntl
import logging
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor as JobExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from crawler.schedule import ADAPT_WINDOW, PastRun, cron_trigger, failed, next_run
from crawler.schedule_config import SchedulerConfig, SiteJob
from storage.archive import ensure_site, finish_run, start_run
from storage.database import Archive
from storage.models import CrawlRun
from storage.report import recent_runs

logger = logging.getLogger(__name__)

# Crawl logs kept per site, newest first.
KEEP_LOGS = 50
# After a forced stop (a second SIGTERM), how long a crawl gets before SIGKILL.
KILL_AFTER = timedelta(seconds=30)


def _now() -> datetime:
    return datetime.now(UTC)


def _past(run: CrawlRun) -> PastRun:
    """What the schedule needs to know of a recorded run."""
    return PastRun(
        started=run.started_at,
        outcome=run.outcome,
        new_articles=run.new_articles,
        pages=run.pages_fetched,
        failures=run.failures,
        finished=run.finished_at,
    )


class Stopper:
    """Counts SIGTERM and SIGINT; the main thread polls it (a handler does nothing else)."""

    def __init__(self) -> None:
        self.signals = 0
        self.event = threading.Event()

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signals += 1
        self.event.set()

    def wait(self, seconds: float) -> bool:
        return self.event.wait(seconds)


class CrawlRunner:
    """Starts a site's crawl as a subprocess (one per site at a time), records how it ended."""

    def __init__(self, config: SchedulerConfig, archive: Archive, state_dir: Path) -> None:
        self.config = config
        self.archive = archive
        self.state_dir = state_dir
        self.stopping = False
        self._lock = threading.Lock()
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._active = 0

    def past_runs(self, site: str) -> list[PastRun]:
        with self.archive.session() as session:
            return [_past(run) for run in recent_runs(session, site, limit=2 * ADAPT_WINDOW)]

    def plan(self, job: SiteJob, now: datetime) -> tuple[datetime, timedelta]:
        """When ``job`` is due next, and the interval that applies (see ``next_run``)."""
        return next_run(
            job.schedule,
            self.past_runs(job.site),
            now,
            target=self.config.target_new_articles,
            max_backoff=self.config.max_backoff,
        )

    def jobdir(self, site: str) -> Path:
        return self.state_dir / "jobs" / site

    def crawl(self, job: SiteJob) -> PastRun | None:
        """Run one crawl of ``job`` to its end: its run, or None if it was not started."""
        started = _now()
        log_dir = self.state_dir / "logs" / job.site
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / f"{started:%Y%m%dT%H%M%S}.log"
        env = {**os.environ, "ARCHIVE_DATABASE_URL": self.archive.url}
        env.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
        resumed = self.jobdir(job.site).is_dir()
        with self._lock:
            if self.stopping or job.site in self._children:
                return None
            with log_path.open("wb") as log:
                child = subprocess.Popen(
                    job.command(self.jobdir(job.site)),
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                    start_new_session=True,
                )  # fmt: skip
            self._children[job.site] = child
            self._active += 1
        try:
            logger.info(
                "crawl of %s started%s (pid %s, log %s)",
                job.site, " (resuming)" if resumed else "", child.pid, log_path,
            )  # fmt: skip
            code = child.wait()
            return self._finished(job, started, code, log_path)
        finally:
            with self._lock:
                del self._children[job.site]
                self._active -= 1
            _prune(log_dir)

    def _finished(self, job: SiteJob, started: datetime, code: int, log_path: Path) -> PastRun:
        with self.archive.transaction() as session:
            found = recent_runs(session, job.site, limit=1, since=started)
            if not found:  # the crawl never opened the archive: bad arguments, a crash
                run_id = start_run(session, job.spider, site_id=ensure_site(session, job.site))
                finish_run(session, run_id, f"failed: exit {code}")
            elif found[0].outcome == "running":  # killed before it could close its run
                run_id = found[0].id
                finish_run(session, run_id, "killed" if code < 0 else f"failed: exit {code}")
            else:
                run_id = found[0].id
            row = session.get(CrawlRun, run_id)
            assert row is not None
            session.refresh(row)
            run = _past(row)
            new_versions = row.new_versions
        if run.outcome != "shutdown" and code >= 0:
            shutil.rmtree(self.jobdir(job.site), ignore_errors=True)  # done: start afresh
        logger.log(
            logging.WARNING if failed(run) else logging.INFO,
            "crawl of %s ended: %s (exit %s), %s pages, %s new articles, %s new versions, "
            "%s failures (log %s)",
            job.site, run.outcome, code, run.pages, run.new_articles, new_versions,
            run.failures, log_path,
        )  # fmt: skip
        return run

    def stop(self) -> None:
        """Start no more crawls; ask each running one to stop cleanly (one SIGTERM)."""
        with self._lock:
            self.stopping = True
            children = list(self._children.items())
        for site, child in children:
            logger.info("stopping the crawl of %s (pid %s)", site, child.pid)
            _signal(child, signal.SIGTERM)

    def wait(self, timeout: timedelta, stopper: Stopper) -> None:
        """Wait for the crawls to end: forced after ``timeout`` or a second signal, then killed."""
        deadline = time.monotonic() + timeout.total_seconds()
        forced_at: float | None = None
        while True:
            with self._lock:
                if self._active == 0:
                    return
                children = list(self._children.values())
            now = time.monotonic()
            if forced_at is None and (stopper.signals > 1 or now > deadline):
                logger.warning("forcing %d crawl(s) to stop", len(children))
                for child in children:
                    _signal(child, signal.SIGTERM)  # Scrapy's second signal: stop now
                forced_at = now
            elif forced_at is not None and now > forced_at + KILL_AFTER.total_seconds():
                for child in children:
                    _signal(child, signal.SIGKILL)
            time.sleep(0.1)


def _signal(child: subprocess.Popen[bytes], signum: int) -> None:
    with suppress(ProcessLookupError):  # it has just ended
        child.send_signal(signum)


def _prune(log_dir: Path) -> None:
    for old in sorted(log_dir.glob("*.log"), reverse=True)[KEEP_LOGS:]:
        old.unlink(missing_ok=True)


@contextmanager
def state_lock(state_dir: Path) -> Iterator[None]:
    """One scheduler per state directory: a second one would crawl the same sites at once."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / "scheduler.lock").open("w") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(
                f"another newsarchive schedule is running with state directory {state_dir}"
            ) from None
        yield


def _trigger(job: SiteJob, start: datetime, interval: timedelta) -> Any:
    jitter = int(job.jitter.total_seconds()) or None
    if job.schedule.cron is not None:
        return cron_trigger(
            job.schedule.cron, timezone=job.schedule.timezone, start_date=start, jitter=jitter
        )
    return IntervalTrigger(
        seconds=interval.total_seconds(), start_date=start, jitter=jitter, timezone=UTC
    )


def _jittered(job: SiteJob, when: datetime) -> datetime:
    return when + timedelta(seconds=random.uniform(0, job.jitter.total_seconds()))


class SiteScheduler:
    """APScheduler with one job per site: never two crawls of a site, a missed run runs once."""

    def __init__(self, config: SchedulerConfig, runner: CrawlRunner) -> None:
        self.config = config
        self.runner = runner
        self.jobs = {job.site: job for job in config.jobs}
        self.scheduler = BackgroundScheduler(
            executors={"default": JobExecutor(max(1, config.max_crawls))},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
            timezone=UTC,
        )

    def _schedule(self, job: SiteJob, *, first: bool) -> None:
        when, interval = self.runner.plan(job, _now())
        run_at = _jittered(job, when)
        trigger = _trigger(job, when, interval)
        if first:
            self.scheduler.add_job(
                self._run, trigger, args=[job.site], id=job.site, name=f"crawl {job.site}",
                next_run_time=run_at,
            )  # fmt: skip
        else:
            self.scheduler.modify_job(job.site, trigger=trigger, next_run_time=run_at)
        logger.info(
            "next crawl of %s at %s (%s, interval now %s)",
            job.site, run_at.isoformat(timespec="seconds"), job.schedule.describe(), interval,
        )  # fmt: skip

    def _run(self, site: str) -> None:
        job = self.jobs[site]
        try:
            self.runner.crawl(job)
        except Exception:
            logger.exception("crawl of %s could not be run", site)
        if self.runner.stopping:
            return
        try:
            self._schedule(job, first=False)
        except Exception:
            logger.exception("cannot plan the next crawl of %s: retrying in its interval", site)
            retry = _now() + job.schedule.period
            self.scheduler.modify_job(site, next_run_time=retry)

    def serve(self, stopper: Stopper) -> int:
        """Crawl every site on its schedule until SIGTERM or SIGINT; then stop cleanly, exit 0."""
        for job in self.jobs.values():
            self._schedule(job, first=True)
        self.scheduler.start()
        logger.info("scheduling %d site(s); SIGTERM or Ctrl-C stops", len(self.jobs))
        while not stopper.wait(0.5):
            pass
        logger.info("stopping: running crawls finish cleanly and resume next time")
        self.scheduler.pause()
        self.runner.stop()
        self.runner.wait(self.config.stop_timeout, stopper)
        self.scheduler.shutdown(wait=False)
        logger.info("stopped")
        return 0


def run_due(config: SchedulerConfig, runner: CrawlRunner, stopper: Stopper) -> int:
    """``--once``: crawl every site that is due now, at once, and return 1 if any failed."""
    now = _now()
    due = [job for job in config.jobs if runner.plan(job, now)[0] <= now]
    logger.info("due now: %s", ", ".join(job.site for job in due) or "none")
    with ThreadPoolExecutor(max(1, config.max_crawls)) as pool:
        futures = [pool.submit(runner.crawl, job) for job in due]
        while not all(f.done() for f in futures):
            if stopper.wait(0.2) and not runner.stopping:
                runner.stop()
                runner.wait(config.stop_timeout, stopper)
        runs = [f.result() for f in futures]
    return 1 if any(run is not None and failed(run) for run in runs) else 0
