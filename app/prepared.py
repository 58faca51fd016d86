"""Statements run on the driver's cursor, for the few that every call makes.

SQLAlchemy's way from ``Connection.execute`` to the cursor (the compiled-cache
lookup, the execution context, events, the result's wrapping) costs several
times what the database spends on a one-row lookup or a one-row insert: 104 µs
against 16 for the session check of every call. A ``Prepared`` statement
is compiled once per dialect and then run straight on the connection's DBAPI
cursor, in the connection's transaction; the values in and out still pass
through the columns' own type conversions (a flag, a JSON list), so its rows
read as ``Connection.execute``'s do. ``tests/test_prepared.py`` proves it for
every prepared statement of the code, on SQLite and PostgreSQL.

Whenever something listens to the engine's statements (the tests' statement
counters, ``echo``), a prepared statement goes SQLAlchemy's way, so that it is
seen like any other. Database errors are SQLAlchemy's, as from ``execute``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Insert, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError


class PreparedRow(tuple):
    """A row of a prepared statement: a tuple whose items are also its columns'
    attributes (as SQLAlchemy's ``Row``)."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))


@dataclass
class _Plan:
    """A statement compiled for one dialect: its SQL and how to bind and read it."""

    sql: str
    #: Bind names in the order of the SQL's placeholders (``None``: by name).
    positions: tuple[str, ...] | None
    #: Every bind's value when the call gives none (a literal's, else ``None``).
    defaults: dict[str, Any]
    #: The binds a call must give (a ``SELECT``'s parameters; an ``INSERT``'s columns
    #: default to their Python default, else NULL).
    required: frozenset[str]
    #: Values computed per row of an ``INSERT`` for the columns not given (Python defaults).
    column_defaults: tuple[tuple[str, Callable[[], Any]], ...]
    binders: tuple[tuple[str, Callable[[Any], Any]], ...]
    #: The result's columns, whose conversions need the driver's type codes.
    columns: tuple
    row_type: type[PreparedRow]
    #: Each column's conversion (``None``: as the driver answers), known from the
    #: first execution's cursor.
    readers: tuple[Callable[[Any], Any] | None, ...] | None = None


class Prepared:
    """A ``SELECT`` or ``INSERT … RETURNING`` run on the driver's cursor (see the module)."""

    def __init__(self, statement: Select | Insert) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, str, str], _Plan] = {}

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[PreparedRow]:
        """Every row the statement answers for ``params``."""
        plan = self._plan(connection.dialect)
        if not plan.required.issubset(params):
            missing = ", ".join(sorted(plan.required.difference(params)))
            raise ValueError(f"no value for the bind parameters {missing}: {self.statement}")
        if _watched(connection):
            return [plan.row_type(row) for row in connection.execute(self.statement, dict(params))]
        values = dict(plan.defaults)
        values.update(params)
        for key, default in plan.column_defaults:
            if key not in params:
                values[key] = default()
        for key, bind in plan.binders:
            values[key] = bind(values[key])
        arguments: Any = values if plan.positions is None else [values[k] for k in plan.positions]
        found, description = _run(connection, plan.sql, arguments)
        readers = plan.readers
        if readers is None:
            readers = plan.readers = _readers(plan.columns, description, connection.dialect)
        make = plan.row_type
        if any(readers):
            return [
                make(
                    value if read is None else read(value)
                    for read, value in zip(readers, row, strict=True)
                )
                for row in found
            ]
        return [make(row) for row in found]

    def one(self, connection: Connection, params: Mapping[str, Any]) -> PreparedRow:
        found = self.rows(connection, params)
        if len(found) != 1:
            raise LookupError(f"expected one row, got {len(found)}: {self.statement}")
        return found[0]

    def first(self, connection: Connection, params: Mapping[str, Any]) -> PreparedRow | None:
        found = self.rows(connection, params)
        return found[0] if found else None

    def _plan(self, dialect: Dialect) -> _Plan:
        # The SQL differs by database, driver and the driver's parameter style.
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _compile(self.statement, dialect)
        return plan


def _compile(statement: Select | Insert, dialect: Dialect) -> _Plan:
    is_insert = isinstance(statement, Insert)
    if is_insert:
        # Every column but a generated key is a bind: given by the call, else its
        # Python default, else NULL.
        table = statement.table
        bound = [column.key for column in table.columns if not _generated_key(column)]
        compiled = statement.compile(dialect=dialect, column_keys=bound)
    else:
        compiled = statement.compile(dialect=dialect)
    if "POSTCOMPILE" in compiled.string or any(b.expanding for b in compiled.bind_names):
        raise ValueError(f"a prepared statement has no expanding binds (IN lists): {statement}")
    # Each bind by the name the SQL gives it.
    binds = {name: bind for bind, name in compiled.bind_names.items()}
    column_defaults = []
    if is_insert:
        for column in statement.table.columns:
            if column.server_default is not None:
                raise ValueError(
                    f"{column}: a prepared insert binds every column (no server defaults)"
                )
            default = column.default
            if default is None or _generated_key(column):
                continue
            if default.is_scalar:
                column_defaults.append((column.key, lambda value=default.arg: value))
            elif default.is_callable:
                column_defaults.append((column.key, lambda arg=default.arg: arg(None)))
            else:
                raise ValueError(f"{column}: a prepared insert needs Python-side defaults")
    binders = []
    for name, bind in binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            binders.append((name, process))
    columns = list(statement.exported_columns)
    names = tuple(column.key for column in columns)
    row_type = type("Row", (PreparedRow,), {"__slots__": (), "_fields": names})
    for index, name in enumerate(names):
        if name.isidentifier() and names.index(name) == index:
            setattr(row_type, name, property(itemgetter(index)))
    return _Plan(
        sql=compiled.string,
        positions=tuple(compiled.positiontup) if dialect.positional else None,
        defaults={
            name: None if bind.required else bind.effective_value for name, bind in binds.items()
        },
        required=frozenset(
            () if is_insert else (name for name, bind in binds.items() if bind.required)
        ),
        column_defaults=tuple(column_defaults),
        binders=tuple(binders),
        columns=tuple(columns),
        row_type=row_type,
    )


def _generated_key(column) -> bool:
    """An integer primary key the database numbers itself."""
    return column.primary_key and column.autoincrement in (True, "auto") and column.default is None


def _watched(connection: Connection) -> bool:
    """Whether anything listens to this connection's statements (or logs them)."""
    dispatch = connection.dispatch
    return bool(
        dispatch.before_cursor_execute or dispatch.after_cursor_execute or connection.engine.echo
    )


def _readers(columns: tuple, description, dialect: Dialect) -> tuple:
    """How each column's value is converted, as SQLAlchemy does (by the column's
    type and the type code the driver gives it)."""
    codes = [entry[1] for entry in description or ()] or [None] * len(columns)
    return tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, code)
        for column, code in zip(columns, codes, strict=True)
    )


def _run(connection: Connection, sql: str, arguments: Any) -> tuple[list[tuple], Any]:
    """The rows ``sql`` answers, and the cursor's description of them."""
    dbapi_connection = connection.connection.dbapi_connection
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql, arguments)
        description = cursor.description
        return (cursor.fetchall() if description is not None else []), description
    except connection.dialect.loaded_dbapi.Error as error:
        dialect = connection.dialect
        lost = dialect.is_disconnect(error, dbapi_connection, cursor)
        wrapped = DBAPIError.instance(
            sql,
            arguments,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=lost,
            dialect=dialect,
        )
        if lost:
            connection.invalidate(error)
        raise wrapped from error
    finally:
        cursor.close()
