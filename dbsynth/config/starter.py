"""``dbsynth config init``: a commented starting ``dbsynth.yaml`` written from a live database.

:func:`survey` reads the schema and a small sample (read-only, through the sampler, so row
counts and values come from one snapshot); :func:`starter_config` turns the survey into text.
The text is a valid config (a test loads and binds it) that lists:

* every table with its row count as a comment;
* ``copy: true`` for reference tables: at most ``SMALL_TABLE`` rows, no personal data detected,
  referenced by another table, and referencing only tables that are copied too (copied rows keep
  the source's keys), each with the reason as a comment;
* ``pii: <kind>`` for each column the detector finds personal data in, with its reason, so the
  review of what is treated as personal data happens in the file (commented out for areas and
  free text, whose treatment the detector's cardinality rule decides at fit time, and left out
  for a column suggested as a virtual foreign key);
* the virtual foreign keys the fit will infer from the data (``dbsynth.config.inferred``:
  ``countrycode`` → ``country.code``), commented out with their evidence, and how to reject
  one (``reject: true``) or turn inference off;
* commented-out examples of every key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.engine import URL

from dbsynth.columns.pii import DATE_TYPES, QUASI_KINDS, TEXT_TYPES, PiiKind, detect_pii
from dbsynth.config.bind import filled_by_dbsynth
from dbsynth.config.inferred import infer_keys
from dbsynth.schema import Schema, Table

SMALL_TABLE = 1000  # rows: at most this many for a table to be suggested as reference data
INIT_SAMPLE_ROWS = 2000  # rows read per table to detect personal data and suggest relations
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.$-]*")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


@dataclass(frozen=True)
class PiiFinding:
    column: str
    kind: PiiKind
    reason: str


@dataclass(frozen=True)
class TableSurvey:
    """One table as ``config init`` sees it."""

    key: str
    rows: int
    exact: bool
    pii: tuple[PiiFinding, ...] = ()
    referenced_by: tuple[str, ...] = ()  # "child(columns)" of every FK pointing here
    copy_reason: str | None = None


@dataclass(frozen=True)
class RelationGuess:
    table: str
    column: str
    references: str
    ref_column: str
    evidence: str = ""


@dataclass(frozen=True)
class Survey:
    source: str
    schema: Schema
    tables: dict[str, TableSurvey]
    relations: tuple[RelationGuess, ...] = field(default_factory=tuple)


def survey(
    url: str | URL, schemas: Sequence[str] | None = None, sample_rows: int = INIT_SAMPLE_ROWS
) -> Survey:
    """Introspect and sample ``url`` read-only and survey every table (see the module doc)."""
    from dbsynth.db import display_url
    from dbsynth.introspection import introspect
    from dbsynth.sampling.sampler import sample_database

    schema = introspect(url, schemas)
    sample = sample_database(url, schema, sample_rows=sample_rows)
    counts = {k: (i.rows_total, i.rows_total_exact) for k, i in sample.info.items()}
    return survey_sample(display_url(url), schema, sample.frames, counts)


def survey_sample(
    source: str, schema: Schema, frames: dict[str, pd.DataFrame], counts: dict[str, tuple[int, bool]]
) -> Survey:
    """:func:`survey` on frames already read (no I/O): ``counts`` maps a table key to its row
    count and whether that count is exact."""
    referenced: dict[str, list[str]] = {k: [] for k in schema.table_keys}
    for t in schema.tables:
        for fk in t.foreign_keys:
            if fk.ref_table != t.key:
                referenced[fk.ref_table].append(f"{t.key}({', '.join(fk.columns)})")
    tables: dict[str, TableSurvey] = {}
    for t in schema.tables:
        frame = frames.get(t.key, pd.DataFrame())
        rows, exact = counts.get(t.key, (len(frame), False))
        tables[t.key] = TableSurvey(t.key, rows, exact, _pii(t, frame), tuple(referenced[t.key]))
    copies = _copy_candidates(schema, tables)
    for key, reason in copies.items():
        tables[key] = TableSurvey(**{**tables[key].__dict__, "copy_reason": reason})
    return Survey(source, schema, tables, _relations(schema, frames, counts))


def _pii(table: Table, frame: pd.DataFrame) -> tuple[PiiFinding, ...]:
    found = []
    for col in table.columns:
        if (
            col.logical not in (*TEXT_TYPES, *DATE_TYPES)
            or filled_by_dbsynth(table, col) is not None
            or col.name not in frame
        ):
            continue
        values = frame[col.name].dropna()
        if values.empty:
            continue
        match = detect_pii(col, values.reset_index(drop=True), table.key)
        if match is not None:
            found.append(PiiFinding(col.name, match.kind, match.reason))
    return tuple(found)


def _copy_candidates(schema: Schema, tables: dict[str, TableSurvey]) -> dict[str, str]:
    """Reference tables (see the module doc) with the reason for each."""
    candidates = {
        k for k, s in tables.items() if s.rows <= SMALL_TABLE and not s.pii and s.referenced_by and s.rows > 0
    }
    changed = True
    while changed:  # a copied table's parents must be copied too: drop candidates until stable
        changed = False
        for key in sorted(candidates):
            parents = {fk.ref_table for fk in schema.table(key).foreign_keys if fk.ref_table != key}
            if not parents <= candidates:
                candidates.discard(key)
                changed = True
    out = {}
    for key in candidates:
        s = tables[key]
        refs = ", ".join(s.referenced_by[:3]) + (
            f" and {len(s.referenced_by) - 3} more" if len(s.referenced_by) > 3 else ""
        )
        out[key] = f"reference data: {s.rows:,} rows, no personal data found, referenced by {refs}"
    return out


def _relations(
    schema: Schema, frames: dict[str, pd.DataFrame], counts: dict[str, tuple[int, bool]]
) -> tuple[RelationGuess, ...]:
    # Only a parent read whole can show that every value has a match.
    whole = {k for k, f in frames.items() if len(f) >= counts.get(k, (0, False))[0]}
    return tuple(
        RelationGuess(k.table, k.column, k.ref_table, k.ref_column, k.evidence())
        for k in infer_keys(schema, frames, whole)
    )


# -- the text ----------------------------------------------------------------------------------


def yaml_name(name: str) -> str:
    """``name`` as a YAML key: plain when YAML reads it back as the same text, else quoted."""
    if _PLAIN.fullmatch(name) and name.lower() not in _YAML_WORDS:
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


_HEADER = """\
# dbsynth.yaml: starting configuration for {source}
# Written by `dbsynth config init`; review it before use. Tables marked copy: true are copied
# verbatim from the source (reference data); every other table is synthetic. Columns marked
# pii are generated as fake personal data; change a kind, or say pii: false, where detection
# is wrong. All keys: the JSON Schema printed by `dbsynth config schema`.

# seed: 7                 # the same seed gives the same rows
# locale: en_US           # Faker locale of generated personal data
# min_count: 5            # a value seen fewer times never enters the model
# sample_rows: 100000     # rows read per table at most
"""

_EXAMPLES = """\

# Column settings, for any table's columns: mapping:
#   status:  {generator: choice, values: {new: 3, paid: 5, shipped: 2}}
#   code:    {generator: regex, pattern: "[A-Z]{3}-[0-9]{4}", unique: true}
#   score:   {generator: range, min: 0, max: 100, distribution: normal}   # or uniform, lognormal
#   country: {generator: constant, value: DE}
#   invoice: {generator: sequence, start: 1000, step: 1, format: "INV-{:06d}"}
#   name:    {generator: expression, expression: "first_name + ' ' + last_name"}
#   phone:   {generator: faker, provider: phone_number, args: {}}
#   note:    {null_rate: 0.3}
#   email:   {pii: false}
# Table settings: rows: 1000 | scale: 5 | where: "<SQL predicate>" | copy: true | exclude: true
"""


_RELATIONS = """\
# Relations the database does not declare. The fit infers those below from the data and generates
# them like foreign keys (never as constraints in the target); to refuse one, uncomment it and
# add reject: true; infer_foreign_keys: false infers none. Declare a missing one the same way.
# infer_foreign_keys: true"""


def starter_config(survey: Survey) -> str:
    """The commented starting config for ``survey`` (see the module doc)."""
    lines = [_HEADER.format(source=survey.source), "tables:"]
    for key in survey.schema.table_keys:
        s = survey.tables[key]
        count = f"{s.rows:,} rows" if s.exact else f"~{s.rows:,} rows (estimate)"
        name = yaml_name(key)
        if s.copy_reason is not None:
            lines.append(f"  {name}: {{copy: true}}   # {s.copy_reason}")
            continue
        lines.append(f"  {name}:   # {count}")
        lines.append(f"    # rows: {s.rows}   # or scale: 2")
        guessed = {r.column for r in survey.relations if r.table == key}
        findings = [f for f in s.pii if f.column not in guessed]
        if findings:
            # Direct identifiers are listed as settings, so a later sample that misses one still
            # generates it as fake data; areas and free text (QUASI_KINDS) follow the detector's
            # cardinality rule when fitting, so forcing them is left to the reader.
            active = any(f.kind not in QUASI_KINDS for f in findings)
            lines.append("    columns:" if active else "    # columns:")
            for f in findings:
                setting = f"{yaml_name(f.column)}: {{pii: {f.kind.value}}}"
                if f.kind in QUASI_KINDS:
                    prefix = "      # " if active else "    #   "
                    lines.append(f"{prefix}{setting}   # detected, uncomment to force: {_one_line(f.reason)}")
                else:
                    lines.append(f"      {setting}   # detected: {_one_line(f.reason)}")
    lines.append(_EXAMPLES)
    lines.append(_RELATIONS)
    lines.append("# foreign_keys:")
    if survey.relations:
        for r in survey.relations:
            lines.append(
                f"#   - {{table: {yaml_name(r.table)}, columns: [{yaml_name(r.column)}], "
                f"references: {yaml_name(r.references)}, ref_columns: [{yaml_name(r.ref_column)}]}}"
                f"   # inferred: {_one_line(r.evidence)}"
            )
    else:
        lines.append("#   - {table: city, columns: [countrycode], references: country, ref_columns: [code]}")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())
