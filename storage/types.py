"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC.

    SQLite has no time zone type: values are stored as naive UTC there and come back aware, so
    that comparisons and sorting agree on both backends. The offset the publisher used is kept in
    a separate column (see ``Article.published_offset``).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime given to a UTC column: {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSON on SQLite, JSONB on PostgreSQL (indexable, compact).
JSONValue = JSON().with_variant(postgresql.JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def offset_minutes(value: datetime | None) -> int | None:
    """The UTC offset of an aware datetime in minutes (``+08:00`` -> 480)."""
    if value is None or value.utcoffset() is None:
        return None
    delta = value.utcoffset()
    assert delta is not None
    return int(delta.total_seconds() // 60)


def as_json(value: Any) -> Any:
    """Tuples become lists so JSON columns round-trip to the same value."""
    if isinstance(value, tuple | list):
        # no call per item: a page's images are dozens of plain strings
        return [as_json(v) if isinstance(v, tuple | list) else v for v in value]
    return value
