"""Database URLs and engines: one place that knows drivers, hides passwords and names failures.

Users give SQLAlchemy URLs, with or without a driver (``postgresql://``, ``mysql://``,
``mariadb://``, ``sqlite:///file.db``) or a bare path to a SQLite file. dbsynth picks its own
drivers (psycopg 3 for COPY, PyMySQL because it needs no compiler) unless one is named.

A password never leaves this module in clear: :func:`display_url` masks it, and
:func:`connection_error` builds messages from driver errors with the password scrubbed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from dbsynth.errors import ConnectionFailed, UnsupportedDatabase, UsageError

# Backend name -> driver dbsynth uses when the URL names none.
DEFAULT_DRIVERS: dict[str, str] = {
    "postgresql": "psycopg",
    "mysql": "pymysql",
    "mariadb": "pymysql",
    "sqlite": "pysqlite",
}
# Aliases people type.
BACKEND_ALIASES: dict[str, str] = {"postgres": "postgresql", "pg": "postgresql", "sqlite3": "sqlite"}
SUPPORTED = ("postgresql", "mysql", "mariadb", "sqlite")


def parse_url(text: str | URL) -> URL:
    """Normalize a user-given URL: add dbsynth's default driver, accept a SQLite file path."""
    if isinstance(text, URL):
        url = text
    else:
        raw = text.strip()
        if "://" not in raw:
            if raw.endswith((".db", ".sqlite", ".sqlite3")) or Path(raw).is_file():
                return make_url(f"sqlite:///{raw}")
            raise UnsupportedDatabase(
                f"'{_printable(raw)}' is not a database URL; expected e.g. postgresql://user@host/db, "
                "mysql://user@host/db or sqlite:///file.db"
            )
        scheme, rest = raw.split("://", 1)
        backend, _, driver = scheme.partition("+")
        backend = BACKEND_ALIASES.get(backend.lower(), backend.lower())
        if backend not in SUPPORTED:
            raise UnsupportedDatabase(
                f"unsupported database URL scheme '{_printable(scheme)}'; dbsynth supports "
                + ", ".join(f"{s}://" for s in SUPPORTED)
            )
        driver = driver or DEFAULT_DRIVERS[backend]
        _check_authority(scheme, backend, rest)
        if backend == "sqlite" and rest.split("/", 1)[0]:
            # SQLAlchemy refuses it only when the engine is made, with the URL in the message.
            raise UsageError(
                f"a {scheme}:// URL names a file, not a user or host: write sqlite:///relative/path.db "
                "or sqlite:////absolute/path.db"
            )
        try:
            url = make_url(f"{backend}+{driver}://{rest}")
        except ArgumentError as exc:
            raise UnsupportedDatabase(f"cannot parse database URL: {_scrub(str(exc), raw)}") from None
        except ValueError:  # a port SQLAlchemy cannot read: the text may hold a password
            raise UsageError(f"cannot parse the {scheme}:// database URL: {ENCODE_HINT}") from None
    if url.get_backend_name() not in SUPPORTED:
        raise UnsupportedDatabase(f"unsupported database URL scheme '{url.drivername}'")
    _check_query(url)
    return url


def _printable(text: str, limit: int = 80) -> str:
    """``text`` for a one-line message: control characters escaped, long text cut."""
    shown = text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


ENCODE_HINT = (
    "percent-encode '@' as %40, ':' as %3A and '/' as %2F in the user name and password "
    "(Python: urllib.parse.quote(password, safe=''))"
)


def _check_authority(scheme: str, backend: str, rest: str) -> None:
    """Refuse a URL whose user:password@host:port part cannot be split one way only. An
    unencoded '@' or '/' in a password moves its tail into the host, which error messages then
    print; so the messages here say what is wrong and echo no part of the URL."""
    before_query = rest.split("?", 1)[0]
    authority, _, path = before_query.partition("/")
    if authority.count("@") > 1:
        raise UsageError(f"the {scheme}:// database URL has more than one '@' before the host: {ENCODE_HINT}")
    if backend != "sqlite" and "@" in path:
        # postgresql://u:pa/ss@host/db: the '/' ended the host part inside the password.
        raise UsageError(f"the {scheme}:// database URL has an '@' after the host: {ENCODE_HINT}")
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        _, bracket, after = hostport[1:].partition("]")
        if not bracket:
            raise UsageError(f"the {scheme}:// database URL has an IPv6 address without its closing ']'")
        port = after[1:] if after.startswith(":") else None
        if after and port is None:
            raise UsageError(f"the {scheme}:// database URL has text after the IPv6 address's ']'")
    else:
        port = hostport.partition(":")[2] if ":" in hostport else None
    if port is not None and port != "" and not port.isdigit():
        raise UsageError(
            f"the port of the {scheme}:// database URL is not a number; if a password holds "
            f"'@', ':' or '/', {ENCODE_HINT}"
        )


def _check_query(url: URL) -> None:
    """Options the driver would fail on with an internal error rather than a message."""
    if backend(url) != "mysql" or "charset" not in url.query:
        return
    import pymysql.charset  # the default MySQL driver; only when a charset is named

    value = url.query["charset"]
    names = [value] if isinstance(value, str) else list(value)
    for name in names:
        if pymysql.charset.charset_by_name(name) is None:
            raise UsageError(f"unknown MySQL character set '{name}' in the URL's charset option")


def display_url(url: str | URL) -> str:
    """The URL as it may be shown to a person: password replaced by ``***``."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(url))
    name = parsed.get_backend_name()
    if parsed.get_driver_name() == DEFAULT_DRIVERS.get(name):
        parsed = parsed.set(drivername=name)  # the driver dbsynth picked itself is noise
    return parsed.render_as_string(hide_password=True)


def _scrub(text: str, *urls: str | URL | None) -> str:
    """Remove every password of ``urls`` from ``text`` (driver messages sometimes echo DSNs)."""
    for url in urls:
        if url is None:
            continue
        password = None
        try:
            password = (url if isinstance(url, URL) else make_url(url)).password
        except ArgumentError:
            m = re.search(r"://[^:/@]*:([^@]*)@", str(url))
            password = m.group(1) if m else None
        if password:
            text = text.replace(str(password), "***")
    return re.sub(r"(password=)\S+", r"\1***", text, flags=re.IGNORECASE)


def backend(url: URL) -> str:
    """``postgresql``, ``mysql`` or ``sqlite`` (MariaDB is served by the MySQL code)."""
    name = url.get_backend_name()
    return "mysql" if name == "mariadb" else name


def create_engine(url: str | URL, **kwargs: object) -> Engine:
    """An engine for ``url`` with dbsynth's default drivers; a missing driver is a clear error."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    try:
        return sa.create_engine(parsed, **kwargs)  # type: ignore[arg-type]
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise UnsupportedDatabase(
            f"no driver for {parsed.drivername}: {exc}; install it, e.g. pip install psycopg[binary] pymysql"
        ) from None


def connection_error(exc: BaseException, url: str | URL) -> ConnectionFailed:
    """Translate a driver error raised while connecting into a one-line, password-free message."""
    parsed = url if isinstance(url, URL) else parse_url(url)
    where = display_url(parsed)
    orig = getattr(exc, "orig", exc)
    text = _scrub(" ".join(str(orig).split()), parsed)
    low = text.lower()
    if "password authentication failed" in low or "access denied" in low or "authentication" in low:
        user = parsed.username or "(default user)"
        return ConnectionFailed(f"authentication failed for user '{user}' at {where}")
    if ("database" in low and "does not exist" in low) or "unknown database" in low:
        return ConnectionFailed(f"database '{parsed.database}' does not exist at {where}")
    if "fatal:" in low:
        # The server answered and refused (role may not log in, no pg_hba entry, too many
        # connections): reachable, so say what it said rather than "cannot reach".
        reason = text[low.index("fatal:") + len("fatal:") :].strip()
        return ConnectionFailed(f"{where} refused the connection: {_first_line(reason)}")
    if "unable to open database file" in low:
        return ConnectionFailed(f"cannot open SQLite database file '{parsed.database}'")
    if any(
        s in low
        for s in (
            "connection refused",
            "could not translate host",
            "name or service not known",
            "can't connect",
            "timeout",
            "timed out",
            "no route to host",
            "connection failed",
            "failed to resolve",
            "nodename nor servname",
        )
    ):
        return ConnectionFailed(f"cannot reach database server at {where}: {_first_line(text)}")
    return ConnectionFailed(f"cannot connect to {where}: {_first_line(text)}")


def _first_line(text: str) -> str:
    text = re.sub(r"\(Background on this error at: [^)]*\)", "", text).strip()
    return text.splitlines()[0][:300] if text else "unknown error"


@contextmanager
def connect(url: str | URL, *, read_only: bool = False) -> Iterator[Connection]:
    """A connection to ``url``; with ``read_only`` the session cannot write (PostgreSQL:
    ``SET TRANSACTION READ ONLY``; MySQL: ``START TRANSACTION READ ONLY``; SQLite:
    ``PRAGMA query_only``), so a bug in dbsynth cannot touch a source database."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)  # type: ignore[arg-type]
        if not path.exists():
            # sqlite3 would silently create an empty file: refuse instead.
            raise ConnectionFailed(f"SQLite database file '{parsed.database}' does not exist")
    engine = create_engine(parsed, poolclass=sa.pool.NullPool)
    try:
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            raise connection_error(exc, parsed) from None
        with conn:
            if read_only:
                _begin_read_only(conn, backend(parsed))
            yield conn
    finally:
        engine.dispose()


def _begin_read_only(conn: Connection, kind: str) -> None:
    if kind == "postgresql":
        conn.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    elif kind == "mysql":
        conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
    elif kind == "sqlite":
        conn.exec_driver_sql("PRAGMA query_only = ON")
