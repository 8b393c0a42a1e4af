"""Checks every database target makes before it writes, with the messages the user sees.

The messages are interface (tests assert them): each names the table, column or constraint at
fault, says what to do about it, and shows URLs through :func:`dbsynth.db.display_url` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy.engine import URL

from dbsynth.db import backend, display_url, parse_url
from dbsynth.errors import DbsynthError, TargetError, did_you_mean
from dbsynth.writing.base import LoadSpec, Update
from dbsynth.writing.identity import identity, recorded

# Names that reach this machine's own server: a source given as localhost and a target given
# as 127.0.0.1 are the same database. No host at all means the local Unix socket.
_LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"})
DEFAULT_PORTS: dict[str, int] = {"postgresql": 5432, "mysql": 3306}


def shown(url: URL) -> str:
    """The URL as printed in messages: the backend without dbsynth's driver, no password."""
    return display_url(url.set(drivername=url.get_backend_name()))


def _where(url: URL) -> tuple[str, str, int | None, str]:
    kind = backend(url)
    if kind == "sqlite":
        path = url.database or ""
        resolved = str(Path(path).resolve()) if path not in ("", ":memory:") else path
        return (kind, "", None, resolved)
    host = (url.host or "").lower()
    host = "localhost" if host in _LOCAL_HOSTS else host
    return (kind, host, url.port or DEFAULT_PORTS.get(kind), url.database or "")


def _parsed(url: str | URL | None) -> URL | None:
    if url is None or isinstance(url, URL):
        return url
    try:
        return parse_url(url)
    except DbsynthError:
        return None  # a directory, memory://, or nothing dbsynth can read from


def same_address(a: str | URL | None, b: str | URL | None) -> bool:
    """True when ``a`` and ``b`` spell the same database (same backend, host, port and database;
    local host names and SQLite paths normalised). Symmetric; anything that is not a database
    URL (a directory, ``memory://``, None) is the same as nothing. URL text only: another host
    name for the same server is not seen here (see :func:`refuse_source`)."""
    first, second = _parsed(a), _parsed(b)
    if first is None or second is None:
        return False
    x, y = _where(first), _where(second)
    # An in-memory SQLite database is private to its connection: never the same as another.
    return x == y and not (x[0] == "sqlite" and x[3] in ("", ":memory:"))


def refuse_source(target: URL, source: str | URL | None) -> None:
    """Refuse a target that is the source, before anything is written: first by the URLs, then
    by what the servers say they are (:mod:`dbsynth.writing.identity`), so another host name,
    address or port forwarding, a symlink or a hard link is caught too."""
    origin = _parsed(source)
    if origin is None:
        return
    if same_address(target, origin):
        raise TargetError(f"the target is the source database ({shown(target)}); choose another target")
    if backend(target) != backend(origin):
        return
    mine = identity(target)
    if mine is not None and mine == identity(origin):
        raise TargetError(
            f"the target {shown(target)} is the source database {shown(origin)} under another name "
            f"(the same {mine.means}); choose another target"
        )


def refuse_recorded_source(target: URL, source: str | None, source_identity: tuple[str, ...]) -> None:
    """Refuse a target that is the source a model file records (its ``source_identity``, written
    at fit time), when no source was given: generate must not write into the database it was
    fitted on under any name. A model without an identity is compared by its source text."""
    if source_identity:
        if source_identity[0] == backend(target) and recorded(identity(target)) == source_identity:
            where = f" ({source})" if source else ""
            raise TargetError(
                f"the target {shown(target)} is the source database the model was fitted on{where}; "
                "choose another target"
            )
        return
    if source and same_address(target, source):
        raise TargetError(f"the target is the source database ({shown(target)}); choose another target")


def spec_tables(spec: LoadSpec) -> list[str]:
    """The table keys of the load, in load order, each once; an unknown key is a TargetError."""
    keys = []
    for load in spec.tables:
        if not spec.schema.has_table(load.table):
            raise TargetError(f"the load names table {load.table}, which is not in the schema")
        if load.table not in keys:
            keys.append(load.table)
    return keys


def missing_table(key: str, existing: Iterable[str], where: str) -> TargetError:
    return TargetError(
        f"table {key} does not exist in the target {where}.{did_you_mean(key, existing)} "
        "Create it first, or pass --create-schema to create the schema there"
    )


def missing_column(key: str, column: str, existing: Sequence[str]) -> TargetError:
    return TargetError(f"table {key} in the target has no column '{column}'.{did_you_mean(column, existing)}")


def check_columns(key: str, wanted: Sequence[str], existing: Sequence[str]) -> None:
    present = set(existing)
    for column in wanted:
        if column not in present:
            raise missing_column(key, column, existing)


def not_empty(keys: Sequence[str]) -> TargetError:
    which = ", ".join(keys)
    noun = "table is" if len(keys) == 1 else "tables are"
    return TargetError(
        f"target {noun} not empty: {which}; pass --if-exists truncate to replace the rows "
        "or --if-exists append to add to them"
    )


def blocked_truncate(key: str, referencing: str) -> TargetError:
    """Emptying ``key`` would orphan the rows of ``referencing``, a table outside the load (an
    empty one is no obstacle: the writers empty it along, or leave it alone)."""
    return TargetError(
        f"cannot truncate {key}: table {referencing} references it, holds rows and is not part of "
        "the load; empty it first, or load into an empty target"
    )


def no_privilege(privilege: str, what: str, role: str, kind: str = "role") -> TargetError:
    return TargetError(f"no {privilege} privilege on {what} for {kind} '{role}'")


def unknown_table(item_table: str, keys: Iterable[str]) -> TargetError:
    return TargetError(
        f"a batch for table {item_table}, which is not part of this load.{did_you_mean(item_table, keys)}"
    )


def orphans_message(label: str, ref_table: str, name: str | None, count: int, child: str) -> str:
    """The first half of a failed validation of a cut foreign key (the caller says what is left)."""
    named = f" ({name})" if name else ""
    return (
        f"foreign key {label} -> {ref_table}{named} does not hold after the load: "
        f"{count} row(s) of {child} reference no row of {ref_table}"
    )


def check_frame(key: str, frame_columns: Iterable[str], columns: Sequence[str]) -> None:
    """A batch must carry exactly the columns its TableLoad lists (in any order)."""
    have = set(frame_columns)
    for column in columns:
        if column not in have:
            raise TargetError(f"a batch for {key} has no column '{column}'.{did_you_mean(column, have)}")
    extra = sorted(have - set(columns))
    if extra:
        raise TargetError(f"a batch for {key} has column '{extra[0]}', which the load does not write")


ROLLED_BACK = "the load was rolled back and the target is unchanged"


def closed_load() -> TargetError:
    return TargetError("the load has already failed or been closed; nothing more can be written")


def unmatched(update: Update, matched: int) -> str:
    """An Update whose key found fewer (or more) rows than it carries: the engine's keys and the
    target's rows disagree, so the load cannot be trusted."""
    return (
        f"an UPDATE of {', '.join(update.set_columns)} matched {matched} of {len(update.frame)} rows "
        f"by ({', '.join(update.key_columns)})"
    )


def fk_label(key: str, columns: Sequence[str]) -> str:
    """``staff.store_id`` or ``orders.(a, b)``: a foreign key as the messages name it."""
    return f"{key}.{columns[0] if len(columns) == 1 else '(' + ', '.join(columns) + ')'}"


def orphans_sql(child: str, parent: str, columns: Sequence[str], ref_columns: Sequence[str]) -> str:
    """Count the child rows whose FK value has no parent (already quoted identifiers). A row with
    a NULL in any FK column is exempt, as under MATCH SIMPLE, the default of every backend."""
    present = " AND ".join(f"c.{col} IS NOT NULL" for col in columns)
    match = " AND ".join(f"p.{r} = c.{col}" for col, r in zip(columns, ref_columns, strict=True))
    missing = f"NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})"
    return f"SELECT count(*) FROM {child} c WHERE {present} AND {missing}"


class DatabaseTarget:
    """What every database target shares: its URL, the source it must not be, and how it is
    shown. ``open`` starts with :meth:`refuse` (subclasses implement the load itself)."""

    supports_updates = True

    def __init__(self, url: str | URL, *, source: str | URL | None = None) -> None:
        self.url = parse_url(url)
        self.source = source

    def describe(self) -> str:
        return shown(self.url)

    def refuse(self) -> None:
        refuse_source(self.url, self.source)
