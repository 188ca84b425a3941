"""Stored procedures in a user's database: read one's parameters from the catalog, call it.

This talks to the job's own DB-API connection, not to the jobsmith store. The database is
told from the driver (psycopg/psycopg2/pg8000: PostgreSQL; PyMySQL/mysqlclient/
mysql-connector/mariadb: MariaDB and MySQL; pyodbc: asks the server, SQL Server above all).
The SQL is in ``sql/procedures.sql`` beside this module; here it only gets quoted names
and the driver's
placeholders. Values are always bound, never put into the text.

- PostgreSQL: procedures by ``CALL``, functions by ``SELECT * FROM``; arguments are cast to
  the declared types (so ``"42"`` reaches an ``integer``, ``2**40`` a ``bigint``), positional
  up to the first one left to its default, named (``name => …``) after it; OUT parameters
  of procedures are passed as NULL and come back as the result row.
- MariaDB/MySQL: ``CALL`` (or ``SELECT`` for functions), positional; OUT and INOUT
  parameters go through session variables and come back as the result row.
- SQL Server: ``EXEC [schema].[name] @Name = ?, …``; written from the documentation of
  ``sys.parameters`` and not tested here (no SQL Server on the test machine).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jobsmith.errors import ProcedureError
from jobsmith.store.sql import parse
from jobsmith.tasks.dbapi import (
    DATABASES,
    Arguments,
    autocommit,
    bind_query,
    database_of,
    first_result,
    paramstyle_of,
    quote,
)

_PSEUDO_TYPES = {"record", "cstring", "internal", "void", "trigger", "unknown"}


@dataclass(frozen=True)
class RoutineParameter:
    """One parameter of a routine, as the catalog describes it."""

    name: str | None
    mode: str
    """``IN``, ``OUT``, ``INOUT``, ``VARIADIC`` or ``TABLE`` (a function's result column)."""
    data_type: str | None = None
    has_default: bool = False

    @property
    def is_input(self) -> bool:
        return self.mode in ("IN", "INOUT", "VARIADIC")


@dataclass(frozen=True)
class Routine:
    """A procedure or function found in the catalog."""

    database: str
    schema: str
    name: str
    kind: str
    """``procedure`` or ``function``."""
    parameters: tuple[RoutineParameter, ...]

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def signature(self) -> str:
        """``schema.name(mode name type, …)``, for messages."""
        described = (
            " ".join(part for part in (p.mode, p.name, p.data_type) if part)
            for p in self.parameters
        )
        return f"{self.qualified_name}({', '.join(described)})"

    def bindable(self) -> list[tuple[str, bool]]:
        """The parameters a caller supplies, as ``(name, optional)``, in order.

        SQL Server's OUTPUT parameters are optional: its catalog does not tell OUT (which
        the caller leaves out) from INOUT (which the caller may give).
        """
        found = []
        for position, parameter in enumerate(self.parameters, 1):
            if not parameter.is_input:
                continue
            if not parameter.name:
                raise ProcedureError(
                    f"{self.kind} {self.qualified_name}: parameter {position} has no name, "
                    "so it cannot be bound by name"
                )
            optional = parameter.has_default or (
                self.database == "sqlserver" and parameter.mode == "INOUT"
            )
            found.append((parameter.name, optional))
        return found


@dataclass(frozen=True)
class CallResult:
    """What a call ran and returned."""

    statement: str
    """The SQL sent, with placeholders (never values)."""
    rows: list[Any] | None
    """The OUT values (one row), or the rows the routine returned, or None."""


@cache
def external_queries(database: str) -> dict[str, str]:
    """The procedure queries for one database, with ``:name`` placeholders."""
    if database not in DATABASES:
        raise ProcedureError(f"unknown database {database!r}; expected one of {DATABASES}")
    file = resources.files("jobsmith.tasks") / "sql" / "procedures.sql"
    parsed = parse(file.read_text(encoding="utf-8"), "tasks/sql/procedures.sql")
    return {name: sql for (name, variant), sql in parsed.items() if variant == database}


_Statement = tuple[str, Arguments]
"""One statement to run and the values bound to it."""


class ProcedureCatalog:
    """The stored procedures of the database a DB-API connection is open on.

    On a connection that is not in autocommit mode, a successful :meth:`call` commits
    and any failure rolls back, so the connection stays usable after a failed task.
    """

    def __init__(self, connection: Any, database: str | None = None) -> None:
        self.connection = connection
        self.database = database or database_of(connection)
        self.paramstyle = paramstyle_of(connection)
        self.queries = external_queries(self.database)

    def find(self, schema: str | None, name: str) -> Routine:
        """The routine ``schema.name`` (any case; an exact match wins); ``schema`` None
        means the connection's current schema."""
        sql, values = bind_query(
            self.queries["procedure_catalog"], {"schema": schema, "name": name}, self.paramstyle
        )
        with self._unit_of_work(f"cannot read the catalog for {schema}.{name}", commit=False):
            rows = self._fetch(sql, values)
        routines = _routines(self.database, rows or [])
        if len(routines) > 1:
            exact = [r for r in routines if (r.schema, r.name) == (schema or r.schema, name)]
            routines = exact or routines
        if not routines:
            raise ProcedureError(
                f"procedure {schema + '.' if schema else ''}{name} not found in the "
                f"{self.database} database (looked in the catalog for a procedure or "
                "function of that name, in any case)"
            )
        if len(routines) > 1:
            raise ProcedureError(
                f"{schema + '.' if schema else ''}{name} matches {len(routines)} routines: "
                + "; ".join(r.signature for r in routines)
                + ". jobsmith cannot tell which one to call (spell the name exactly as created, "
                "or give overloaded routines names of their own)"
            )
        return routines[0]

    def call(self, routine: Routine, values: Mapping[str, Any]) -> CallResult:
        """Call ``routine`` with ``values`` (keyed by parameter name; a missing optional
        one is left to its default)."""
        build: Callable[[Routine, Mapping[str, Any]], list[_Statement]]
        build = getattr(self, f"_{self.database}")  # _postgresql, _mysql, _sqlserver
        statements = build(routine, values)
        rows = None
        with self._unit_of_work(f"{routine.kind} {routine.qualified_name} failed", commit=True):
            for sql, arguments in statements:
                found = self._fetch(sql, arguments)
                rows = found if found is not None else rows
        return CallResult("; ".join(sql for sql, _ in statements), rows)

    # -- statements per database --------------------------------------------------------
    def _postgresql(self, routine: Routine, values: Mapping[str, Any]) -> list[_Statement]:
        arguments = Arguments(self.paramstyle)
        parts, named = [], False
        for parameter in routine.parameters:
            if routine.kind == "function" and not parameter.is_input:
                continue
            if parameter.mode == "OUT":
                value = "NULL"
            elif parameter.name is not None and parameter.name in values:
                value = arguments.add(values[parameter.name]) + _cast(parameter.data_type)
                value = ("VARIADIC " if parameter.mode == "VARIADIC" else "") + value
            else:
                named = True  # left to its default: name the ones after it
                continue
            if named:
                value = f"{arguments.text(quote('postgresql', parameter.name or ''))} => {value}"
            parts.append(value)
        kind = "call_procedure" if routine.kind == "procedure" else "call_function"
        return [(self._statement(kind, routine, arguments, arguments=", ".join(parts)), arguments)]

    def _mysql(self, routine: Routine, values: Mapping[str, Any]) -> list[_Statement]:
        setup, call, reads = Arguments(self.paramstyle), Arguments(self.paramstyle), []
        assignments, parts = [], []
        for position, parameter in enumerate(routine.parameters, 1):
            if parameter.mode == "IN":
                parts.append(call.add(values[parameter.name or ""]))
                continue
            variable = f"@_jobsmith_{position}"
            parts.append(variable)
            reads.append(f"{variable} AS {call.text(quote('mysql', parameter.name or ''))}")
            if parameter.mode == "INOUT":
                assignments.append(f"{variable} = {setup.add(values[parameter.name or ''])}")
        kind = "call_procedure" if routine.kind == "procedure" else "call_function"
        statements = [(self._statement(kind, routine, call, arguments=", ".join(parts)), call)]
        if assignments:
            text = self.queries["set_variables"].format(assignments=", ".join(assignments))
            statements.insert(0, (text, setup))
        if reads:
            text = self.queries["read_variables"].format(columns=", ".join(reads))
            statements.append((text, Arguments(self.paramstyle)))
        return statements

    def _sqlserver(self, routine: Routine, values: Mapping[str, Any]) -> list[_Statement]:
        arguments = Arguments(self.paramstyle)
        parts = [
            f"{parameter.name} = {arguments.add(values[parameter.name])}"
            for parameter in routine.parameters
            if parameter.name is not None and parameter.name in values
        ]
        return [
            (
                self._statement("call_procedure", routine, arguments, arguments=", ".join(parts)),
                arguments,
            )
        ]

    def _statement(self, query: str, routine: Routine, binder: Arguments, **parts: str) -> str:
        """A call statement: ``query``'s text with the routine's quoted name and ``parts``."""
        name = f"{quote(self.database, routine.schema)}.{quote(self.database, routine.name)}"
        return self.queries[query].format(routine=binder.text(name), **parts).strip()

    # -- running them ---------------------------------------------------------------------
    def _fetch(self, sql: str, arguments: Any) -> list[Any] | None:
        if isinstance(arguments, Arguments):
            arguments = arguments.values()
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, arguments)
            return first_result(cursor, drain=self.database != "postgresql")
        finally:
            cursor.close()

    @contextmanager
    def _unit_of_work(self, failure: str, *, commit: bool) -> Iterator[None]:
        managed = not autocommit(self.connection)
        try:
            yield
        except ProcedureError:
            raise
        except Exception as exc:
            if managed:
                with suppress(Exception):  # the original error is the one worth raising
                    self.connection.rollback()
            raise ProcedureError(f"{failure}: {_message(exc)}") from exc
        if managed and commit:
            self.connection.commit()


def _routines(database: str, rows: list[Any]) -> list[Routine]:
    """Rows of ``procedure_catalog`` grouped into routines."""
    grouped: dict[Any, list[Any]] = {}
    for row in rows:
        grouped.setdefault(_column(row, 0), []).append(row)
    routines = []
    for group in grouped.values():
        first = group[0]
        parameters = [
            RoutineParameter(_column(r, 5), str(_column(r, 6)).upper(), _column(r, 7))
            for r in group
            if _column(r, 6) is not None
        ]
        routines.append(
            Routine(
                database=database,
                schema=str(_column(first, 1)),
                name=str(_column(first, 2)),
                kind=str(_column(first, 3)),
                parameters=_with_defaults(parameters, int(_column(first, 8) or 0)),
            )
        )
    return routines


def _with_defaults(
    parameters: list[RoutineParameter], default_count: int
) -> tuple[RoutineParameter, ...]:
    """Mark the last ``default_count`` input parameters as having defaults."""
    inputs = [i for i, p in enumerate(parameters) if p.is_input]
    defaulted = set(inputs[len(inputs) - default_count :]) if default_count else set()
    return tuple(
        RoutineParameter(p.name, p.mode, p.data_type, i in defaulted)
        for i, p in enumerate(parameters)
    )


_COLUMNS = (
    "routine_id",
    "schema_name",
    "routine_name",
    "routine_kind",
    "ordinal",
    "parameter_name",
    "parameter_mode",
    "data_type",
    "default_count",
)


def _column(row: Any, index: int) -> Any:
    """A column of a catalog row, whether the user's row factory makes tuples or dicts."""
    if isinstance(row, Mapping):
        return row[_COLUMNS[index]]
    return row[index]


def _cast(data_type: str | None) -> str:
    if not data_type or data_type.startswith("any") or data_type in _PSEUDO_TYPES:
        return ""
    return f"::{data_type}"


def _message(exc: BaseException) -> str:
    return str(exc).strip() or type(exc).__name__
