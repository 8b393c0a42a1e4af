"""Reference tables: small lookup tables copied verbatim by default instead of imitated.

Countries, currencies, genres and media types are the vocabulary of the rest of the database,
not data about people: an 8-row ``regions(name, currency)`` table pooled by the ``--min-count``
rule loses every value, and every table that references it loses what its rows mean. Such a
table is copied from the source at generation (the model file holds none of its rows) and is
not scaled by ``--scale``.

The detection rule (:func:`reference_tables`), every condition from the fitted table:

* **small**: 1 to ``MAX_REFERENCE_ROWS`` rows in the source, all of them sampled;
* **referenced**: another table points at it through a foreign key;
* **no personal data**: no column detected (or configured) as personal data, except places and
  organisations (city, state, country, company, URL: names of things, not of people);
* **no free text**: no column of prose (descriptions, comments: a median of ``PROSE_WORDS``
  words or more, or values that end like sentences); short unique labels (a genre's name, an
  album's title) are the vocabulary itself;
* **closed**: every table it references is a reference table too, since copied rows keep the
  source's keys and must find their parents; and it is on no cycle of foreign keys through
  other tables (those rows are loaded in two steps, which copying does not do);
* **not the only parents of a junction**: a key made only of foreign keys (``compatibility
  (primary_equipment_id, compatible_equipment_id)``) holds at most the product of its parents'
  rows, so when all of them would be copied (not scaled) they are generated instead.

``copy: false`` in the config (or any ``rows``, ``scale``, ``where`` or ``columns`` setting of
the table) keeps a table generated. A model generated without access to the source (``generate``
without ``--source``) generates these tables from their fitted models instead.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from dbsynth.columns.pii import PiiKind
from dbsynth.model import Model, TableModel
from dbsynth.schema import Schema

MAX_REFERENCE_ROWS = 1000
# Names of places and organisations: detected as personal data elsewhere (an address's city),
# but in a table of their own they are a list of things.
# A label detected as "free text" by its name (territory_description) is judged by its length.
NOT_PERSONAL = frozenset(
    {PiiKind.CITY, PiiKind.STATE, PiiKind.COUNTRY, PiiKind.COMPANY, PiiKind.URL, PiiKind.FREE_TEXT}
)
PROSE_WORDS = 8
REFERENCE_REASON = "reference data"


def _prose(model: Mapping[str, Any]) -> bool:
    words = model.get("word_quantiles") or (0.0,)
    return bool(model.get("period")) or float(words[len(words) // 2]) >= PROSE_WORDS


def _why_not(tm: TableModel) -> str | None:
    if not 0 < tm.row_count <= MAX_REFERENCE_ROWS:
        return "size"
    if tm.sampled_rows < tm.row_count:
        return "sample"
    for c in tm.columns:
        if c.pii is not None and c.pii not in NOT_PERSONAL:
            return "personal"
        if c.model is not None and c.model.get("kind") == "free_text" and _prose(c.model):
            return "free text"
    return None


def reference_tables(
    schema: Schema, tables: Mapping[str, TableModel], keep: Collection[str] = (), copied: Collection[str] = ()
) -> dict[str, str]:
    """The reference tables among ``tables`` (see the module doc), each with its reason in
    words; ``keep`` are tables the config keeps generated, ``copied`` those it copies."""
    referenced: dict[str, list[str]] = {}
    for t in schema.tables:
        for fk in t.foreign_keys:
            if fk.ref_table != t.key and t.key in tables:
                referenced.setdefault(fk.ref_table, []).append(t.key)
    cyclic = _in_cycles(schema)
    candidates = {
        key
        for key, tm in tables.items()
        if key not in keep
        and key not in cyclic
        and key not in copied
        and _why_not(tm) is None
        and key in referenced
    }
    changed = True
    while changed:  # a copied table's parents must be copied too: drop candidates until stable
        changed = False
        for key in sorted(candidates):
            parents = {fk.ref_table for fk in schema.table(key).foreign_keys if fk.ref_table != key}
            if not parents <= candidates | set(copied):
                candidates.discard(key)
                changed = True
        for parents in _junction_parents(schema):
            if parents <= candidates:
                candidates -= parents
                changed = True
    out = {}
    for key in sorted(candidates):
        users = sorted(set(referenced[key]))
        named = ", ".join(users[:3]) + (f" and {len(users) - 3} more" if len(users) > 3 else "")
        out[key] = (
            f"{REFERENCE_REASON}: {tables[key].row_count:,} rows, no personal data or free text, "
            f"referenced by {named}"
        )
    return out


def _junction_parents(schema: Schema) -> list[set[str]]:
    """For each key made only of foreign-key columns (a junction's ``(a_id, b_id)``), the tables
    its foreign keys reference. Such a table holds at most the product of its parents' rows
    (fewer still under a CHECK like ``a_id <> b_id``); when every one of those parents is copied,
    so not scaled, ``--scale`` would ask the junction for pairs that do not exist."""
    out = []
    for t in schema.tables:
        keys = [u.columns for u in t.uniques if u.where is None]
        if t.primary_key is not None:
            keys.append(t.primary_key.columns)
        for cols in keys:
            fks = [fk for fk in t.foreign_keys if set(fk.columns) <= set(cols)]
            if fks and set().union(*(fk.columns for fk in fks)) == set(cols):
                out.append({fk.ref_table for fk in fks})
    return out


def _in_cycles(schema: Schema) -> set[str]:
    """Tables on a cycle of foreign keys through other tables (self-references aside)."""
    parents = {t.key: {fk.ref_table for fk in t.foreign_keys if fk.ref_table != t.key} for t in schema.tables}
    out = set()
    for start in parents:
        seen, todo = set(), list(parents[start])
        while todo:
            key = todo.pop()
            if key == start:
                out.add(start)
                break
            if key not in seen:
                seen.add(key)
                todo.extend(parents.get(key, ()))
    return out


def without_reference_copies(model: Model) -> Model:
    """``model`` with its detected reference tables generated instead of copied (for a run
    without the source; tables the config copies stay copied and need it)."""
    if not any(t.copy and t.copy_reason for t in model.tables):
        return model
    tables = tuple(replace(t, copy=False) if t.copy and t.copy_reason else t for t in model.tables)
    return replace(model, tables=tables)
