"""Load the sample shop into an existing, empty database.

    python load.py postgresql://postgres@127.0.0.1:5432/shop
    python load.py mysql://root@127.0.0.1:3306/shop

Picks postgres.sql or mariadb.sql (next to this file) by the URL's scheme and runs it statement by
statement in one session (mariadb.sql keeps a temporary table between statements). URLs are
written as for dbsynth: without a driver, this script picks the ones dbsynth installs (psycopg,
PyMySQL). It needs only SQLAlchemy and those drivers, not dbsynth itself, and never prints the
password.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

HERE = Path(__file__).resolve().parent
# URL scheme -> (driver dbsynth uses, script).
DIALECTS = {
    "postgresql": ("psycopg", HERE / "postgres.sql"),
    "postgres": ("psycopg", HERE / "postgres.sql"),
    "mysql": ("pymysql", HERE / "mariadb.sql"),
    "mariadb": ("pymysql", HERE / "mariadb.sql"),
}


class LoadError(Exception):
    """A one-line reason the shop could not be loaded."""


def statements(script: str) -> list[str]:
    """The statements of ``script``: the files end every statement with ``;`` at the end of a
    line and never put one there inside a statement, so no SQL parser is needed."""
    parts = re.split(r";[ \t]*$", script, flags=re.MULTILINE)
    return [part.strip() for part in parts if _has_code(part)]


def _has_code(part: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in part.splitlines())


def resolve(text: str) -> tuple[URL, Path]:
    """The SQLAlchemy URL (driver filled in) and the script for the database ``text`` names."""
    scheme, sep, rest = text.partition("://")
    backend, _, driver = scheme.partition("+")
    if not sep or backend.lower() not in DIALECTS:
        raise LoadError(
            f"the sample shop is written for PostgreSQL and MariaDB/MySQL URLs, not '{scheme}'; "
            "for SQLite, `dbsynth demo --workdir DIR` builds the bundled example shop"
        )
    default_driver, script = DIALECTS[backend.lower()]
    name = "postgresql" if script.name == "postgres.sql" else "mysql"
    return make_url(f"{name}+{driver or default_driver}://{rest}"), script


def load(text: str) -> list[tuple[str, int]]:
    """Run the script for the database at ``text``; returns (table, rows) of what it holds."""
    url, script = resolve(text)
    shown = url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        try:
            conn = engine.connect()
        except sa.exc.DBAPIError as exc:
            raise LoadError(f"cannot connect to {shown}: {_reason(exc, url)}") from None
        with conn, conn.begin():
            # The driver's own cursor: SQLAlchemy would treat the '%' of LIKE 'SKU-%' as a
            # parameter marker even with no parameters.
            cursor = conn.connection.cursor()
            for statement in statements(script.read_text(encoding="utf-8")):
                try:
                    cursor.execute(statement)
                except engine.dialect.loaded_dbapi.Error as exc:
                    # Typically "relation ... already exists": the database was not empty.
                    reason = _reason(exc, url)
                    raise LoadError(f"loading the sample shop into {shown} failed: {reason}") from None
            cursor.close()
            return [
                (table, conn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar_one())
                for table in sorted(sa.inspect(conn).get_table_names())
            ]
    finally:
        engine.dispose()


def _reason(exc: BaseException, url: URL) -> str:
    text = " ".join(str(getattr(exc, "orig", exc)).split())
    if url.password:
        text = text.replace(str(url.password), "***")
    return text[:300]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load the sample shop into an existing, empty database.")
    parser.add_argument("url", help="database URL, e.g. postgresql://postgres@127.0.0.1:5432/shop")
    args = parser.parse_args(argv)
    try:
        loaded = load(args.url)
    except LoadError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    total = sum(rows for _, rows in loaded)
    tables = ", ".join(f"{table} {rows}" for table, rows in loaded)
    print(f"Loaded the sample shop: {total} rows ({tables})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
