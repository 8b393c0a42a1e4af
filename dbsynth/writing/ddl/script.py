"""The two entry points: :func:`schema_ddl` (the script, for ``--dry-run`` and for tests) and
:func:`create_schema` (the script run on a connection, in the caller's transaction)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dbsynth.errors import SchemaError, TargetError, UnsupportedDatabase, UsageError
from dbsynth.schema import Schema
from dbsynth.sqltext import schema_problem, string_literal
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
    if script.dialect == "postgresql" and schema.dialect == "postgresql" and schema.extensions:
        _check_extensions(run, [e.name for e in schema.extensions], errors)
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


# Per extension the schema needs: is it available on the target's server, installed already,
# trusted (PostgreSQL 13+: a role with CREATE on the database may create it), and may this role
# create any extension (a superuser may).
_EXTENSIONS_SQL = """
SELECT n.name, a.name IS NOT NULL, a.installed_version IS NOT NULL, COALESCE(v.trusted, false),
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
       has_database_privilege(current_database(), 'CREATE'), current_user
FROM unnest(ARRAY[{names}]::text[]) WITH ORDINALITY AS n(name, i)
LEFT JOIN pg_available_extensions a ON a.name = n.name
LEFT JOIN pg_available_extension_versions v ON v.name = a.name AND v.version = a.default_version
ORDER BY n.i
"""


def _check_extensions(
    run: Callable[[str], Any], names: list[str], errors: tuple[type[BaseException], ...]
) -> None:
    """Stop before any DDL, with one message listing them, when extensions the schema needs are
    not available on the target or this role may not create them."""
    sql = _EXTENSIONS_SQL.format(names=", ".join(string_literal(n, "postgresql") for n in names))
    try:
        rows = list(run(sql))
    except errors as exc:
        raise TargetError(f"could not read the target's extensions: {' '.join(str(exc).split())}") from None
    problems = []
    for name, available, installed, trusted, superuser, may_create, role in rows:
        if installed:
            continue
        if not available:
            problems.append(f"{name} (not available on the target server)")
        elif not (superuser or (trusted and may_create)):
            problems.append(f"{name} (role {role} may not create it)")
    if problems:
        raise TargetError(
            "the schema needs PostgreSQL extensions that the target cannot create: "
            + ", ".join(problems)
            + "; install them in the target database first, then run again"
        )


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
