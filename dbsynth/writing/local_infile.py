"""``LOAD DATA LOCAL``: the client sends only the file of the LOAD it is running.

With LOCAL enabled the *server* names the file the client sends, and PyMySQL opens whatever it
is asked for: a hostile or compromised target could answer any statement with a request for
``~/.pgpass`` or an SSH key. The MySQL sink marks its connections (:func:`allow`); on a marked
connection a request for any file but the one its current LOAD wrote is refused with an error,
and nothing is read. Connections dbsynth did not mark behave as PyMySQL's own.
"""

from __future__ import annotations

from typing import Any

import pymysql
import pymysql.connections

_MARK = "_dbsynth_local_file"
_send_local_file = pymysql.connections._send_local_file  # type: ignore[attr-defined]


def _send_only_the_loads_file(filename: str | bytes, conn: Any) -> None:
    if not hasattr(conn, _MARK):
        _send_local_file(filename, conn)
        return
    name = filename.decode(errors="replace") if isinstance(filename, bytes) else str(filename)
    if getattr(conn, _MARK) != name:
        raise pymysql.err.OperationalError(
            2068, f"the server asked for the local file {name!r}, which is not the one dbsynth is loading"
        )
    _send_local_file(filename, conn)


def allow(connection: Any, path: str | None) -> None:
    """Let ``connection`` (a PyMySQL connection) send ``path`` alone; None: no file at all."""
    setattr(connection, _MARK, path)


pymysql.connections._send_local_file = _send_only_the_loads_file  # type: ignore[attr-defined]

__all__ = ["allow"]
