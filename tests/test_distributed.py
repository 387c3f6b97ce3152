"""Distributed crawling against the real Redis and PostgreSQL: several processes, one crawl.

Three ``scrapy crawl`` processes with ``REDIS_URL`` crawl one local site of 2,000 articles into
one PostgreSQL archive; one of them is killed (SIGKILL, with its extraction workers) mid-crawl
and started again. Every article must be archived exactly once, no URL fetched twice except
those the killed process held, and every process must end by itself.
"""

from __future__ import annotations

import os
import pickle
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from redis import Redis
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select

from crawler.distributed import RedisScheduler
from crawler.spiders.news import NewsSpider
from storage.database import open_archive
from storage.models import Article, ArticleVersion, CrawlRun
from tests.bigsite import BigSite
from tests.conftest import PROJECT

pytestmark = pytest.mark.crawl

ARTICLES = 2000
KEYS = "news:big"  # <prefix>:<spider>:<site>


@dataclass
class Crawls:
    """``scrapy crawl news`` processes against one site, archive and Redis."""

    base_url: str
    db_url: str
    redis_url: str
    prefix: str
    tmp_path: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *extra: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "ARCHIVE_DATABASE_URL": self.db_url,
            "ARCHIVE_WARC_DIR": str(self.tmp_path / "warc"),  # one directory: names carry the pid
            "REDIS_URL": self.redis_url,
            "SCRAPY_SETTINGS_MODULE": "crawler.settings",
        }
        command = [
            sys.executable, "-m", "scrapy", "crawl", "news",
            "-a", f"url={self.base_url}/", "-a", "site=big",
            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "LOG_LEVEL=INFO",
            "-s", f"DISTRIBUTED_KEY_PREFIX={self.prefix}",
            "-s", "DISTRIBUTED_WORKER_TIMEOUT=3", "-s", "EXTRACT_WORKERS=1",
            "-s", f"USER_AGENT=newsarchive-test ({name})",
            *extra,
        ]  # fmt: skip
        # A session of its own: killing its process group kills its extraction workers too.
        with (self.tmp_path / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def stat(self, name: str, key: str) -> int:
        found = re.search(rf"'{re.escape(key)}': (\d+)", self.log(name))
        return int(found.group(1)) if found else 0

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for name, process in self.processes.items():
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pytest.fail(f"{name} did not end by itself:\n{self.log(name)[-3000:]}")

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def crawls(postgres_url: str, redis_url: str, redis_prefix: str, tmp_path: Path) -> Iterator[Any]:
    """``crawls(base_url)``: crawl processes for a site served there; killed if still running."""
    made: list[Crawls] = []

    def make(base_url: str) -> Crawls:
        made.append(Crawls(base_url, postgres_url, redis_url, redis_prefix, tmp_path))
        return made[-1]

    # The archive is created once, before the crawlers start (`newsarchive db upgrade`).
    open_archive(postgres_url).close()
    yield make
    for crawl in made:
        crawl.stop_all()


def worker_of(client: Redis, prefix: str, pid: int) -> str:
    """The worker name (``host-pid-random``) of process ``pid``, once it has registered."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for member in client.smembers(f"{prefix}:{KEYS}:workers"):
            name = member.decode() if isinstance(member, bytes) else member
            if f"-{pid}-" in name:
                return name
        time.sleep(0.05)
    pytest.fail(f"process {pid} never registered as a worker")


def archived_paths(db_url: str) -> list[str]:
    archive = open_archive(db_url)
    try:
        with archive.session() as session:
            return [urlsplit(url).path for url in session.scalars(select(Article.canonical_url))]
    finally:
        archive.close()


def test_the_redis_url_setting_switches_to_the_shared_scheduler(redis_url: str) -> None:
    from crawler import settings as project

    base = {k: v for k, v in vars(project).items() if k.isupper()} | {"REDIS_URL": None}
    alone = get_crawler(NewsSpider, base)
    assert alone.settings.get("SCHEDULER") == "scrapy.core.scheduler.Scheduler"
    shared = get_crawler(NewsSpider, base | {"REDIS_URL": redis_url})
    assert shared.settings.get("SCHEDULER") == "crawler.distributed.RedisScheduler"
    assert shared.settings.get("DUPEFILTER_CLASS") == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert shared.settings.getbool("SCHEDULER_PERSIST")
    assert isinstance(RedisScheduler.from_crawler(shared), RedisScheduler)


def test_an_unreachable_redis_is_one_line_and_exit_code_1(tmp_path: Path) -> None:
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "url=http://127.0.0.1:9/",
         "-s", f"ARCHIVE_DATABASE_URL=sqlite:///{tmp_path / 'a.db'}",
         "-s", "REDIS_URL=redis://:secret@127.0.0.1:1/0"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
    assert errors[0].startswith("Error: cannot reach Redis at redis://127.0.0.1:1/0: ")
    assert "secret" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.postgres
@pytest.mark.redis
def test_three_processes_share_one_crawl_and_a_killed_one_loses_nothing(
    crawls: Any, redis_url: str, redis_prefix: str
) -> None:
    site = BigSite(ARTICLES)
    client = Redis.from_url(redis_url)
    started = time.monotonic()
    with site.serve() as base_url:
        run: Crawls = crawls(base_url)
        for name in ("one", "two", "three"):
            run.start(name)
        victim = run.processes["one"]
        worker = worker_of(client, redis_prefix, victim.pid)
        inflight = f"{redis_prefix}:{KEYS}:inflight:{worker}"
        # Mid-crawl: a third of the articles fetched, a hundred by the victim, which holds
        # a few requests right now.
        agent = "newsarchive-test (one)"
        while (
            sum(1 for path, _ in site.log if path.startswith("/news/")) < ARTICLES // 3
            or sum(1 for path, ua in site.log if ua == agent and path.startswith("/news/")) < 100
        ):
            assert time.monotonic() - started < 120, "the crawl is not getting anywhere"
            time.sleep(0.05)
        deadline = time.monotonic() + 5
        while client.hlen(inflight) < 4 and time.monotonic() < deadline:
            time.sleep(0.005)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        entries = client.hvals(inflight)
        held = {urlsplit(pickle.loads(cast(bytes, data))["url"]).path for data in entries}
        assert held, "the killed process held no request: nothing was tested"
        time.sleep(0.5)
        run.start("one-again")
        run.wait(timeout=150)
        elapsed = time.monotonic() - started

    for name in ("two", "three", "one-again"):
        assert run.processes[name].returncode == 0, run.log(name)[-3000:]
        assert "crawl finished" in run.log(name)
        assert "given up for dead" not in run.log(name), "a live worker missed its heartbeats"
    # The killed worker's requests went back to the queue, all of them, once.
    recovered = sum(run.stat(n, "distributed/recovered") for n in ("two", "three", "one-again"))
    assert recovered == len(entries)
    # The restarted process joined the crawl instead of seeding a new one.
    assert run.stat("one-again", "distributed/start/already_seeded") >= 1

    # Every article archived exactly once.
    paths = archived_paths(run.db_url)
    assert len(paths) == ARTICLES
    assert set(paths) == site.article_paths
    archive = open_archive(run.db_url)
    with archive.session() as session:
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == ARTICLES
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
    archive.close()
    assert len(runs) == 4
    assert sorted(r.outcome for r in runs) == ["finished", "finished", "finished", "running"]

    # No URL fetched twice, except what the killed process held: those once more, at most.
    fetches = site.fetches
    assert site.article_paths <= set(fetches)
    repeated = {path: n for path, n in fetches.items() if n > 1 and path != "/robots.txt"}
    assert set(repeated) <= held, f"fetched twice, not held by the killed process: {repeated}"
    assert all(n == 2 for n in repeated.values()), repeated
    # robots.txt: read by each process for itself (RobotsTxtMiddleware) and once as a start URL.
    assert fetches["/robots.txt"] <= len(run.processes) + 1

    # The finished crawl leaves nothing behind in Redis: the next one starts afresh.
    assert list(client.scan_iter(match=f"{redis_prefix}:*")) == []
    client.close()
    print(f"distributed crawl of {ARTICLES} articles: {elapsed:.1f} s, {len(held)} held at kill")


@pytest.mark.postgres
@pytest.mark.redis
def test_a_crawl_whose_only_process_was_killed_resumes_on_restart(
    crawls: Any, redis_url: str, redis_prefix: str
) -> None:
    site = BigSite(300)
    client = Redis.from_url(redis_url)
    with site.serve() as base_url:
        run: Crawls = crawls(base_url)
        alone = run.start("alone")
        inflight = f"{redis_prefix}:{KEYS}:inflight:{worker_of(client, redis_prefix, alone.pid)}"
        deadline = time.monotonic() + 60
        while sum(1 for path, _ in site.log if path.startswith("/news/")) < 100:
            assert time.monotonic() < deadline, "the crawl is not getting anywhere"
            time.sleep(0.02)
        while not client.hlen(inflight):
            time.sleep(0.005)
        os.killpg(alone.pid, signal.SIGKILL)
        alone.wait()
        entries = client.hvals(inflight)
        held = {urlsplit(pickle.loads(cast(bytes, data))["url"]).path for data in entries}
        run.start("again")
        run.wait(timeout=60)
    assert run.processes["again"].returncode == 0, run.log("again")[-3000:]
    # The restarted process took the dead one's requests back after its heartbeat expired.
    assert run.stat("again", "distributed/recovered") == len(entries)
    assert sorted(archived_paths(run.db_url)) == sorted(site.article_paths)
    repeated = {path for path, n in site.fetches.items() if n > 1 and path != "/robots.txt"}
    assert repeated <= held
    # Resumed, not started again: the entry page is fetched again only if the killed process
    # still held it (its links were not all queued yet).
    assert site.fetches["/"] == 1 + ("/" in held), (held, site.fetches["/"])
    assert list(client.scan_iter(match=f"{redis_prefix}:*")) == []
    client.close()


@pytest.mark.postgres
@pytest.mark.redis
def test_a_finished_crawl_starts_afresh_and_an_empty_one_ends(
    crawls: Any, redis_url: str, redis_prefix: str
) -> None:
    site = BigSite(40)
    with site.serve() as base_url:
        run: Crawls = crawls(base_url)
        run.start("first")
        run.wait(timeout=60)
        run.processes.clear()
        run.start("second")  # the next crawl: entry points again, and nothing new to fetch
        run.wait(timeout=60)
    assert run.stat("first", "archive/article/new") == 40
    assert run.stat("second", "archive/article/new") == 0
    assert run.stat("second", "distributed/start/already_seeded") == 0
    assert site.fetches["/"] == 2
    assert all(site.fetches[path] == 1 for path in site.article_paths)
    assert sorted(archived_paths(run.db_url)) == sorted(site.article_paths)
    client = Redis.from_url(redis_url)
    assert list(client.scan_iter(match=f"{redis_prefix}:*")) == []
    client.close()
