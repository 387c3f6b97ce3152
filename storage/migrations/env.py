"""Alembic environment: migrations run on the engine the archive opened (see storage.database)."""

from alembic import context
from sqlalchemy import Engine

from storage.models import Base

target_metadata = Base.metadata


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Autogenerate leaves the full-text index alone: it is not a mapped table (storage.search)."""
    return not (type_ == "table" and name is not None and name.startswith("article_search"))


def run_migrations() -> None:
    engine = context.config.attributes.get("engine")
    if not isinstance(engine, Engine):
        raise RuntimeError("run migrations through `newsarchive db upgrade`")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
        )
        context.run_migrations()


run_migrations()
