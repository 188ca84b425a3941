"""Stored procedure tasks: ``ctx.execute_procedure(conn, "dbo", "Greet")``.

The procedure's parameters are read from the database's catalog each time it runs (add a
parameter to the procedure and the job supplies it, no code change), bound by fuzzy name
(``@JobExecutionID`` ← ``job execution id``), and passed as bound values to a call with
quoted names. The job manages its own connection; see
:mod:`jobsmith.tasks.procedure_catalog` for the databases and drivers understood, and for how
transactions are handled on connections that are not in autocommit mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobsmith.params import bind_names
from jobsmith.tasks.base import TaskExecution
from jobsmith.tasks.procedure_catalog import ProcedureCatalog, Routine


class ProcedureExecution(TaskExecution):
    """Call one stored procedure (or function) over a DB-API connection.

    ``schema`` None means the connection's current schema (database, for MariaDB).
    ``database`` (``postgresql``, ``mysql``, ``sqlserver``) is needed only for a driver
    jobsmith does not recognise. The result is the OUT values or the rows the routine
    returned (None when it returns nothing).
    """

    def __init__(
        self,
        connection: Any,
        schema: str | None,
        procedure: str,
        *,
        database: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name or (f"{schema}.{procedure}" if schema else procedure))
        self.connection = connection
        self.schema = schema
        self.procedure = procedure
        self.catalog = ProcedureCatalog(connection, database)
        self.routine: Routine | None = None

    def bind_parameters(self, context_parameters: Mapping[str, Any]) -> None:
        self.routine = self.catalog.find(self.schema, self.procedure)
        self.parameters = bind_names(self.routine.bindable(), context_parameters, self.name)

    def execute(self) -> list[Any] | None:
        assert self.routine is not None, "bind_parameters() finds the routine"
        result = self.catalog.call(self.routine, self.parameters)
        self.output = result.statement
        return result.rows
