"""The two entry points: :func:`schema_ddl` (the script, for ``--dry-run`` and for tests) and
:func:`create_schema` (the script run on a connection, in the caller's transaction)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dbsynth.errors import SchemaError, TargetError, UnsupportedDatabase, UsageError
from dbsynth.schema import Schema
from dbsynth.sqltext import schema_problem
from dbsynth.writing.ddl.builder import Builder, DdlScript
from dbsynth.writing.ddl.dialects import DIALECTS, target_dialect_name


def schema_ddl(schema: Schema, target_dialect: str) -> DdlScript:
    """The DDL that creates ``schema`` in an empty ``target_dialect`` database (see the module
    docstring for the order and the rules)."""
    target = target_dialect_name(target_dialect)
    if schema.dialect not in DIALECTS:
        raise UnsupportedDatabase(
            f"cannot create tables from a '{schema.dialect}' schema; dbsynth reads " + ", ".join(DIALECTS)
        )
    # A Schema's SQL text may come from an edited model file: refuse it before writing any of it.
    problem = schema_problem(schema)
    if problem:
        raise SchemaError(problem)
    return Builder(schema, target).build()


def create_schema(conn: Any, schema: Schema, *, target_dialect: str) -> DdlScript:
    """Run :func:`schema_ddl` on ``conn`` (a SQLAlchemy ``Connection`` or a psycopg 3
    ``Connection``) and return the script it ran.

    Nothing is committed here: the statements run in the caller's transaction. PostgreSQL DDL is
    transactional, so a rollback undoes all of it. MySQL/MariaDB commit each DDL statement
    implicitly: after a failure the statements before it stay applied (the error says how many).
    SQLite DDL is transactional when the caller has begun a transaction; the pysqlite driver does
    not begin one for DDL by itself.
    """
    script = schema_ddl(schema, target_dialect)
    run, connected, errors = _runner(conn)
    if connected != script.dialect:
        raise UsageError(
            f"the target dialect is '{script.dialect}' but the connection is to a {connected} database"
        )
    for number, statement in enumerate(script.statements, 1):
        try:
            run(statement)
        except errors as exc:
            kept = (
                ""
                if script.dialect != "mysql" or number == 1
                else (f"; MySQL committed the {number - 1} statement(s) before it")
            )
            first = " ".join(statement.split())[:120]
            message = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
            raise TargetError(
                f"creating the target schema failed at statement {number} of {len(script.statements)} "
                f"({first}): {message}{kept}"
            ) from None
    return script


def _runner(conn: Any) -> tuple[Callable[[str], object], str, tuple[type[BaseException], ...]]:
    """How to run one statement on ``conn``, the dialect it speaks, and its driver's errors."""
    if type(conn).__module__.split(".")[0] == "psycopg":
        import psycopg

        # No parameters: psycopg sends the text as is, so a '%' in a CHECK needs no escaping.
        return conn.execute, "postgresql", (psycopg.Error,)
    from sqlalchemy.engine import Connection
    from sqlalchemy.exc import DBAPIError

    if not isinstance(conn, Connection):
        raise UsageError(f"create_schema needs a SQLAlchemy or psycopg connection, not {type(conn).__name__}")
    options = {"no_parameters": True}  # the driver gets the text as is ('%' in a LIKE pattern)
    name = conn.dialect.name
    return (
        lambda s: conn.exec_driver_sql(s, execution_options=options),
        "mysql" if name == "mariadb" else name,
        (DBAPIError,),
    )
