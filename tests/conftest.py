"""Fixtures: a real SQLite archive per test, the real PostgreSQL where configured, the demo site.

PostgreSQL tests run when ``ARCHIVE_TEST_POSTGRES_URL`` names a server (each test gets a new
database on it, dropped afterwards); elsewhere they skip with the reason. Redis tests use
``ARCHIVE_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379``), each under a key prefix of its
own, deleted afterwards; without a server they skip. With
``ARCHIVE_TEST_REQUIRE_SERVICES=1`` (set by ``.ci/run``) a missing service fails instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.database import Archive, open_archive

PROJECT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("ARCHIVE_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("ARCHIVE_TEST_REDIS_URL", "redis://127.0.0.1:6379")
REQUIRE_SERVICES = os.environ.get("ARCHIVE_TEST_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (ARCHIVE_TEST_REQUIRE_SERVICES=1: no skipping)")
    pytest.skip(reason)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'archive.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test."""
    if not POSTGRES_URL:
        skip_or_fail("PostgreSQL tests need ARCHIVE_TEST_POSTGRES_URL=postgresql+psycopg://…")
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"newsarchive_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        skip_or_fail(f"PostgreSQL at {POSTGRES_URL} is unreachable: {str(exc).splitlines()[0]}")
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_url() -> str:
    """The Redis server of ``ARCHIVE_TEST_REDIS_URL``, checked to answer."""
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except RedisError as exc:
        skip_or_fail(f"Redis at {REDIS_URL} is unreachable: {exc}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own (``DISTRIBUTED_KEY_PREFIX``); its keys go afterwards."""
    from redis import Redis

    prefix = f"newsarchive-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
    finally:
        client.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def archive_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The storage suite runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'archive.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def archive(archive_url: str, tmp_path: Path) -> Iterator[Archive]:
    opened = open_archive(archive_url, warc_dir=tmp_path / "warc")
    yield opened
    opened.close()


@pytest.fixture
def demo_site() -> Iterator[tuple[Any, str]]:
    """The bundled demo news site on a free port: ``(site, base_url)``."""
    from crawler.demo.server import DemoSite

    site = DemoSite()
    with site.serve("127.0.0.1", 0) as base_url:
        yield site, base_url


def run_crawl(
    start_url: str, db_url: str, *extra: str, site: str = "demo", warc_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """A real ``scrapy crawl news`` in a subprocess, fast settings for a local server."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},  # a crawl of its own
        "ARCHIVE_DATABASE_URL": db_url,
        "SCRAPY_SETTINGS_MODULE": "crawler.settings",
    }
    if warc_dir is not None:
        env["ARCHIVE_WARC_DIR"] = str(warc_dir)
    command = [
        sys.executable, "-m", "scrapy", "crawl", "news",
        "-a", f"url={start_url}", "-a", f"site={site}",
        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "LOG_LEVEL=INFO", *extra,
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"scrapy crawl failed:\n{result.stderr[-5000:]}"
    return result
