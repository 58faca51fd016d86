"""Alembic migrations of the database schema (installed as ``mockarray.migrations``)."""
