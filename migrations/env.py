"""Alembic environment: the engine comes from the application (``mockarray.migrate``),
or, when ``alembic`` is run by hand, from ``MOCKARRAY_DATABASE_URL``."""

from alembic import context

from mockarray import config as mockarray_config
from mockarray.array.models import Base
from mockarray.database import Database
from mockarray.lab import models as _lab_models  # noqa: F401 (registers the lab tables)

target_metadata = Base.metadata


def run_migrations() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        engine = Database(str(mockarray_config.from_env()["DATABASE_URL"])).engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
