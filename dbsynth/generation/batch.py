"""What the engine emits: rows to insert (:class:`Batch`) and values to set after the fact
(:class:`Update`, for foreign keys written NULL and filled once their parent exists).

They live with the engine that makes them, not with the sinks that consume them, so that
generation never imports the writers. The value types of a frame's columns are the writer
contract's (:mod:`dbsynth.writing.base`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Batch:
    """Rows of ``table``, one frame column per ``TableLoad.columns`` entry, in that order."""

    table: str
    frame: pd.DataFrame


@dataclass(frozen=True)
class Update:
    """``UPDATE table SET set_columns = ... WHERE key_columns = ...`` for every row of ``frame``."""

    table: str
    key_columns: tuple[str, ...]
    set_columns: tuple[str, ...]
    frame: pd.DataFrame


__all__ = ["Batch", "Update"]
