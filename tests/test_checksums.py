"""Generation is unchanged unless a change means it to be: fixed-seed clones of the bundled shop and
of pagila into memory are compared, table by table, with checksums recorded in
``fixtures/checksums/seed7.json``.

A change that alters generation on purpose (a fidelity fix, a new model) re-records the file with
``DBSYNTH_RECORD_CHECKSUMS=1 pytest tests/test_checksums.py`` and says so in its commit; a
refactoring must leave it alone.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import dbsynth
from dbsynth.examples import build_shop
from dbsynth.writing.memory import MemoryTarget

RECORDED = Path(__file__).parent / "fixtures" / "checksums" / "seed7.json"
SEED = 7


def table_digests(frames: dict[str, pd.DataFrame]) -> dict[str, str]:
    """A checksum per table that ignores row and column order (the contract is the rows)."""
    out = {}
    for name, frame in sorted(frames.items()):
        frame = frame.reindex(sorted(frame.columns), axis=1)
        text = frame.astype(str).sort_values(list(frame.columns)).to_csv(index=False)
        out[name] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return out


def clone_digests(source: str) -> dict[str, str]:
    target = MemoryTarget()
    model = dbsynth.fit(source, seed=SEED)
    dbsynth.generate(model, target, seed=SEED, scale=1.0)
    return table_digests(target.frames())


def check(name: str, source: str) -> None:
    got = clone_digests(source)
    if os.environ.get("DBSYNTH_RECORD_CHECKSUMS") == "1":
        recorded = json.loads(RECORDED.read_text()) if RECORDED.exists() else {}
        recorded[name] = got
        RECORDED.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
        return
    assert got == json.loads(RECORDED.read_text())[name]


def test_shop_clone_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    build_shop(path)
    check("shop", f"sqlite:///{path}")


@pytest.mark.postgres
def test_pagila_clone_is_unchanged(dataset_url: Callable[[str], str]) -> None:
    check("pagila", dataset_url("pagila"))
