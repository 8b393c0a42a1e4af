"""The dbsynth error tree.

Every error the library raises on purpose is a :class:`DbsynthError`; the CLI turns exactly
these into a one-line message and exit code 1 (anything else is a bug and shows a traceback
with ``--traceback``). Messages name the table, column or option at fault and never contain a
password.

    DbsynthError
    ├── UsageError              a bad option value or combination (``--scale -1``)
    ├── ConnectionFailed        host unreachable, authentication failed, unknown database
    ├── UnsupportedDatabase     a URL scheme / dialect dbsynth has no support for
    ├── SchemaError             an unknown schema, table or column ("did you mean ...?")
    │   └── CycleError          a foreign-key cycle no strategy can break
    ├── ModelError              a model file that is corrupted or from another version
    ├── TargetError             the target is the source, is not empty, or refuses writes
    └── GenerationError         a constraint that generation could not satisfy
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class DbsynthError(Exception):
    """Base of every error dbsynth raises on purpose; ``str(err)`` is the user-facing line."""


class UsageError(DbsynthError):
    """An option or argument has a value dbsynth cannot work with."""


class ConnectionFailed(DbsynthError):
    """A database could not be reached or refused the credentials."""


class UnsupportedDatabase(DbsynthError):
    """The URL names a database kind or driver dbsynth does not support."""


class SchemaError(DbsynthError):
    """A schema, table or column name does not exist or the schema cannot be used."""


class CycleError(SchemaError):
    """A foreign-key cycle that can be broken neither by NULLs nor by deferral."""


class ModelError(DbsynthError):
    """A model file cannot be read: corrupted, or written by an incompatible version."""


class TargetError(DbsynthError):
    """The target database cannot be written safely."""


class GenerationError(DbsynthError):
    """Generation could not satisfy a constraint of the schema."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest candidate, or ``""`` when none is close.

    Matching is case-insensitive because database identifiers often differ only in case
    (``Chinook.Album`` vs ``album``).
    """
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    if name.lower() in lowered and lowered[name.lower()] != name:
        return f" Did you mean '{lowered[name.lower()]}'?"
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return f" Did you mean '{lowered[match[0]]}'?" if match else ""
