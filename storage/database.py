"""Opening an archive: the database URL, engine settings, migrations, the WARC directory."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storage.warc import WarcStore

logger = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite:///archive.db"
MIGRATIONS = Path(__file__).with_name("migrations")
# The Alembic head this code needs. Opening an archive checks it without importing Alembic (a
# test keeps it equal to the newest migration); bump it with each new migration.
SCHEMA_REVISION = "0007"


class ArchiveError(Exception):
    """A problem with the archive that the user can fix (bad URL, old schema, unreachable)."""


def database_url(url: str | None = None) -> str:
    """The archive to use: an explicit URL, else ``ARCHIVE_DATABASE_URL``, else ``archive.db``."""
    return url or os.environ.get("ARCHIVE_DATABASE_URL") or DEFAULT_DATABASE_URL


# A crawl's batch writer copies the write-ahead log into the database in a thread of its own
# after each batch (``storage.writer``); a connection does it itself at commit only once the log
# holds this many pages (64 MB), not at SQLite's default 1,000.
WAL_AUTOCHECKPOINT = 16384


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the CLI, a web page) work while a crawl writes; foreign keys are off by
    # default in SQLite; the busy timeout makes a second writer wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_archive_engine(url: str) -> Engine:
    """An engine for ``url`` with the settings the archive relies on."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ArchiveError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            directory = Path(database).expanduser().resolve().parent
            if not directory.is_dir():
                raise ArchiveError(f"no such directory for the SQLite archive: {directory}")
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except NoSuchModuleError:
        raise ArchiveError(
            f"unknown database type {parsed.drivername!r}: "
            "use sqlite:///FILE or postgresql+psycopg://USER@HOST/DB"
        ) from None
    except Exception as exc:  # a missing driver, bad options: all user-fixable
        raise ArchiveError(f"cannot use database URL {display_url(url)}: {exc}") from exc


def display_url(url: str) -> str:
    """``url`` with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def default_warc_dir(url: str) -> Path:
    """``ARCHIVE_WARC_DIR``, else ``<name>-warc/`` beside a SQLite file, else ``./warc``."""
    configured = os.environ.get("ARCHIVE_WARC_DIR")
    if configured:
        return Path(configured)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(str(parsed.database))
        return path.with_name(f"{path.stem}-warc")
    return Path("warc")


def _alembic_config(engine: Engine) -> Any:
    # Alembic is imported only where migrations run: it costs most of a CLI command's start-up.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The archive's schema revision; None for an empty database."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (creates a new archive from nothing)."""
    # Alembic narrates every plugin and step at INFO; a crawl log needs none of it.
    alembic_logger = logging.getLogger("alembic")
    level = alembic_logger.level
    alembic_logger.setLevel(max(level, logging.WARNING))
    from alembic import command

    try:
        command.upgrade(_alembic_config(engine), revision)
    finally:
        alembic_logger.setLevel(level)


@dataclass
class Archive:
    """An open archive: the database and the WARC files beside it."""

    url: str
    engine: Engine
    warc_dir: Path
    _sessions: sessionmaker[Session] = field(init=False, repr=False)
    _warc: WarcStore | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @property
    def warc(self) -> WarcStore:
        if self._warc is None:
            self._warc = WarcStore(self.warc_dir)
        return self._warc

    def close(self) -> None:
        if self._warc is not None:
            self._warc.close()
            self._warc = None
        self.engine.dispose()


# Any fixed number: PostgreSQL advisory locks are named by integers.
_CREATION_LOCK = 0x6E657773


@contextmanager
def _creation_lock(engine: Engine) -> Iterator[None]:
    """On PostgreSQL, one process at a time checks for and creates the schema, so crawlers
    starting together on an empty database do not race; SQLite's own locks do that there."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _CREATION_LOCK})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _CREATION_LOCK})
            connection.commit()


def open_archive(
    url: str | None = None, *, warc_dir: Path | None = None, create: bool = True
) -> Archive:
    """Open the archive at ``url``; a new, empty database is created at the latest revision.

    An existing archive at an older revision is not changed behind the user's back: it raises
    :class:`ArchiveError` asking for ``newsarchive db upgrade``.
    """
    url = database_url(url)
    shown = display_url(url)
    engine = create_archive_engine(url)
    try:
        with _creation_lock(engine):
            revision = current_revision(engine)
            if revision is None:
                if inspect(engine).get_table_names() and not create:
                    raise ArchiveError(f"{shown} is not a newsarchive database")
                if not create:
                    raise ArchiveError(f"no archive at {shown}")
                if inspect(engine).get_table_names():
                    raise ArchiveError(f"{shown} holds other tables and no newsarchive schema")
                logger.info("creating a new archive: %s", shown)
                upgrade(engine)
                revision = current_revision(engine)
        if revision != SCHEMA_REVISION:
            raise ArchiveError(
                f"the archive is at schema revision {revision}, this version needs "
                f"{SCHEMA_REVISION}: run `newsarchive db upgrade`"
            )
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ArchiveError(f"cannot open the archive at {shown}: {reason}") from exc
    except ArchiveError:
        engine.dispose()
        raise
    return Archive(url=url, engine=engine, warc_dir=warc_dir or default_warc_dir(url))
