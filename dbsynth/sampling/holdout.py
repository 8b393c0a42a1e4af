"""Keep a share of the source out of the fit (``dbsynth fit --holdout F``): real rows the model
never saw, against which ``dbsynth report --model`` tests membership.

The unit held out is an *entity*: a row of a root table with the rows it owns, down the
foreign keys (a customer with its orders, their items and payments), so the model never sees
any part of it. Which rows, on the sample (the database is never written; see
:func:`hold_out`):

* a **lookup** table is one where a share ``F`` of its rows would be fewer than
  ``MIN_ENTITIES`` entities (``language``, ``category``, ``media_type``): holding one of six
  languages out would take a sixth of the films, their rentals and payments with it, and the
  split would be a coin toss. Lookup rows are never held out;
* every other table has at most one **owner**: the foreign key to a non-lookup parent that the
  fit drives it by (mostly set, NOT NULL, the parent with most rows; :func:`_owner`).
  Self-references and foreign keys that close a cycle are never owners (a chain of managers
  would take a whole hierarchy);
* a **root** table has no owner (``film`` under ``language``, ``customer`` under
  ``employee``): ``F`` of its rows are drawn, those with the smallest ``sha256(seed:table:key)``,
  so the choice depends on the seed and the keys only, not on the order rows were read in;
* a row whose owner is held out is held out, table by table in FK order.

Why one owner and not every parent: a row is then held out exactly when its owning entity is,
so every table loses about ``F`` of its rows. Following every foreign key compounds: in pagila a
rental sits below a film (through its inventory), a customer (through address, city, country),
a store and a member of staff, and holding out a fifth of each root held out 93% of the rentals.
The price: a row below a held-out row through a foreign key that does not own it stays in the fit
(an order item of a training customer whose product is held out), and may carry a value of that
parent (its unit price is the product's price).

A table with held-out rows is never copied verbatim as reference data (its sample is not the
whole table, :mod:`dbsynth.fitting.reference`); one the config copies (``copy: true``) is copied
whole at generation, held-out rows included, and the report leaves it out of the membership
tests.

What the model file keeps of the held-out rows: per table, an HMAC-SHA256 of each row's key
(the primary key, else a unique key, else every column) under a random salt of the model,
truncated to ``HASH_HEX`` hex digits (the table's name is hashed with the key, so equal keys of
two tables do not link). A key from a small, guessable domain (integers 1..N) can be
found again by whoever holds the model (the salt is in it); that reveals which keys were held
out, never a value of the row.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import numbers
import secrets
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from dbsynth.model import HeldOutTable, Holdout
from dbsynth.sampling.frames import key_index, known
from dbsynth.sampling.result import Sample
from dbsynth.schema import ForeignKey, Schema, Table

MIN_ENTITIES = 10  # a table whose held-out share would be fewer rows than this is a lookup
HASH_HEX = 32  # 128 bits: no two of a billion keys collide
SALT_BYTES = 16


def hashed_columns(table: Table, frame: pd.DataFrame) -> tuple[str, ...]:
    """The columns that identify a row of ``table``: its primary key, else its first unique key
    without NULLs in ``frame``, else every column."""
    if table.primary_key is not None and table.primary_key.columns:
        return tuple(table.primary_key.columns)
    for unique in table.uniques:
        cols = list(unique.columns)
        if all(c in frame.columns for c in cols) and frame[cols].notna().all().all():
            return tuple(cols)
    return tuple(c.name for c in table.columns if c.name in frame.columns)


def _text(value: object) -> str:
    """One key value in a form both the fit and the report derive alike from a sample frame:
    ``7``, ``7.0`` and ``np.int64(7)`` are one key."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "\x00"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return "\x00"
        if float(value).is_integer():
            return str(int(value))
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def key_texts(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """Each row's key as one string (columns joined by a unit separator)."""
    parts = [[_text(v) for v in frame[c].astype(object)] for c in columns]
    return ["\x1f".join(row) for row in zip(*parts, strict=True)] if parts else [""] * len(frame)


def key_hashes(frame: pd.DataFrame, table: str, columns: Sequence[str], salt: str) -> list[str]:
    """HMAC-SHA256 of each row's key under ``salt`` (hex), truncated to ``HASH_HEX`` digits. The
    table is hashed with the key, so key 7 of two tables gives two unrelated hashes."""
    key = bytes.fromhex(salt)
    return [
        hmac.new(key, f"{table}\x1e{text}".encode(), hashlib.sha256).hexdigest()[:HASH_HEX]
        for text in key_texts(frame, columns)
    ]


def _draw(texts: Sequence[str], seed: int, table: str) -> np.ndarray:
    """A uniform number per key, from the seed and the key only."""
    out = np.empty(len(texts))
    for i, text in enumerate(texts):
        digest = hashlib.sha256(f"{seed}:{table}:{text}".encode()).digest()
        out[i] = int.from_bytes(digest[:8], "big") / 2**64
    return out


def _owner(
    table: Table, frame: pd.DataFrame, sample: Sample, earlier: set[str], lookup: set[str]
) -> ForeignKey | None:
    """The foreign key whose parent owns a row of ``table``: the one the fit drives the table by
    (``dbsynth.fitting.fit``: mostly set, NOT NULL, the parent with most rows, the sampler's
    driver), among parents that are not lookups and come before it (no self-reference, no FK
    closing a cycle). None: the table is a root."""
    candidates = [
        fk for fk in table.foreign_keys
        if fk.ref_table in earlier and fk.ref_table != table.key and fk.ref_table not in lookup
    ]  # fmt: skip
    if not candidates:
        return None

    def rank(fk: ForeignKey) -> tuple[bool, bool, int, bool]:
        nullable = any(table.column(c).nullable for c in fk.columns)
        mostly_set = frame.empty or float(frame[list(fk.columns)].isna().any(axis=1).mean()) <= 0.5
        parents = sample.info[fk.ref_table].rows_total
        return (mostly_set, not nullable, parents, fk == sample.info[table.key].driver)

    return max(candidates, key=rank)


def hold_out(
    schema: Schema, sample: Sample, fraction: float, seed: int, salt: str | None = None
) -> tuple[Sample, Holdout]:
    """``sample`` without the held-out entities (module docstring), and the record of what was
    held out. ``salt`` (hex) is drawn at random unless given."""
    salt = salt if salt is not None else secrets.token_hex(SALT_BYTES)
    frames = sample.frames
    lookup = {key for key, frame in frames.items() if len(frame) * fraction < MIN_ENTITIES}
    held = {key: np.zeros(len(frame), dtype=bool) for key, frame in frames.items()}
    columns = {key: hashed_columns(schema.table(key), frame) for key, frame in frames.items()}
    roots = []
    earlier: set[str] = set()
    for key, frame in frames.items():  # FK order: an owner's held rows are final before its rows
        table = schema.table(key)
        owner = None if key in lookup else _owner(table, frame, sample, earlier, lookup)
        earlier.add(key)
        if key in lookup:
            continue
        if owner is not None:
            parent = frames[owner.ref_table][held[owner.ref_table]]
            if len(parent):
                held[key] = known(frame, owner.columns, key_index(parent, owner.ref_columns))
            continue
        roots.append(key)
        wanted = round(fraction * len(frame))
        texts = key_texts(frame, columns[key])
        held[key][np.argsort(_draw(texts, seed, key), kind="stable")[:wanted]] = True
    return _without(sample, held), _record(sample, held, columns, fraction, salt, roots)


def _without(sample: Sample, held: dict[str, np.ndarray]) -> Sample:
    """The sample minus the held rows, its bookkeeping kept true: own rows first, and the
    parents whose families are all here counted again over the kept rows."""
    frames, info = {}, {}
    for key, frame in sample.frames.items():
        keep = ~held[key]
        frames[key] = frame[keep].reset_index(drop=True)
        own = sample.info[key].rows_sampled
        info[key] = replace(
            sample.info[key], rows_sampled=int(keep[:own].sum()), rows_added=int(keep[own:].sum())
        )
    for key, i in info.items():
        if i.driver is not None and i.parents_covered:
            covered = int((~held[i.driver.ref_table][: i.parents_covered]).sum())
            info[key] = replace(i, parents_covered=covered)
    return Sample(frames, info)


def _record(
    sample: Sample,
    held: dict[str, np.ndarray],
    columns: dict[str, tuple[str, ...]],
    fraction: float,
    salt: str,
    roots: Sequence[str],
) -> Holdout:
    tables = []
    for key, frame in sample.frames.items():
        mask = held[key]
        if not mask.any():
            continue
        hashes = tuple(sorted(set(key_hashes(frame[mask], key, columns[key], salt))))
        tables.append(
            HeldOutTable(
                table=key,
                key=columns[key],
                rows_fitted=int((~mask).sum()),
                rows_held_out=int(mask.sum()),
                whole=sample.info[key].whole,
                hashes=hashes,
            )
        )
    return Holdout(fraction=fraction, salt=salt, roots=tuple(roots), tables=tuple(tables))


__all__ = ["HASH_HEX", "MIN_ENTITIES", "hashed_columns", "hold_out", "key_hashes", "key_texts"]
