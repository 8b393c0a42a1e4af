"""Checks on the files a command writes (``fit -o``, ``inspect -o``, ``clone --model-out``,
``report --html/--json``, a directory of CSV/Parquet files), made before any work starts.

Two things go wrong with an output path that nothing else catches: it names a database the same
command reads (``fit shop.sqlite -o shop.sqlite`` would replace the database by the model), and
its directory looks writable but is not (``/proc`` answers ``os.access`` with yes and every
create with ENOENT). Both are refused with one line naming the option and the path.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from dbsynth.db import backend, parse_url
from dbsynth.errors import DbsynthError, UsageError

SQLITE_MAGIC = b"SQLite format 3\x00"


def _database_file(url: str) -> Path | None:
    """The file of a SQLite URL (or path), else None."""
    try:
        parsed = parse_url(url)
    except DbsynthError:
        return None
    if backend(parsed) != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)  # device and inode: hard links and symlinks too
    except OSError:
        return a.resolve() == b.resolve()


def _is_sqlite_file(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def refuse_database_output(path: Path | None, option: str, *urls: str) -> None:
    """Refuse ``path`` when it is the database file of one of ``urls`` (same device and inode, or
    the same resolved path), or any existing SQLite database: writing there destroys it."""
    if path is None:
        return
    for url in urls:
        database = _database_file(url)
        if database is not None and _same_file(path, database):
            raise UsageError(
                f"{option}: '{path}' is the source database file; writing there would replace it, "
                "choose another file"
            )
    if path.is_file() and _is_sqlite_file(path):
        raise UsageError(
            f"{option}: '{path}' is a SQLite database; writing there would replace it, choose another file"
        )


def probe_directory(directory: Path, what: str) -> None:
    """Create and remove a file in ``directory``: the only test some file systems answer truly."""
    try:
        fd, name = tempfile.mkstemp(prefix=".dbsynth-probe-", dir=directory)
    except OSError as exc:
        raise UsageError(f"{what}: cannot write in '{directory}': {exc.strerror or exc}") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)


def check_output_file(path: Path | None, option: str, *urls: str) -> None:
    """Fail before any work when ``path`` cannot be written or is a database being read."""
    if path is None:
        return
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"{option}: directory '{directory}' does not exist")
    if path.is_dir():
        raise UsageError(f"{option}: '{path}' is a directory")
    refuse_database_output(path, option, *urls)
    probe_directory(directory, f"{option} '{path}'")


def check_output_tree(path: Path, what: str) -> None:
    """A directory of output files: the nearest existing ancestor must take a new file (nothing is
    created when it does not exist yet: a dry run leaves no trace)."""
    existing = path
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise UsageError(f"{what} '{path}': '{existing}' is not a directory")
    probe_directory(existing, f"{what} '{path}'")


__all__ = ["check_output_file", "check_output_tree", "probe_directory", "refuse_database_output"]
