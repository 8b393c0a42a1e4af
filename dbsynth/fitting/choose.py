"""Which model a column gets: the dispatch from a column and its sampled values to a ColumnModel.

The decision, per logical type (a table, not an ``if`` chain, so a plugin type can join it):

* numbers: categories when the values are a few frequent exact values (ratings, price points),
  else the numeric model (point masses + quantile grid);
* strings and text: personal data first (a strong detector match always wins, so a column of
  e-mails never becomes a category of e-mails), then categories for low cardinality, then
  codes/free text (:func:`dbsynth.columns.text.choose_text_model`). In a key column
  (:func:`key_columns`: primary key, UNIQUE, referenced by an FK) areas and organisations are
  not personal data: ``countries.country_code`` is a code, made unique as a code shape;
* dates, times, timestamps, intervals: the temporal model; enums: categories; and one model each
  for booleans, UUIDs, JSON, arrays, SETs and bytes;
* anything else: a constant model (the engine writes NULL when the column allows it), with the
  reason recorded so ``--explain`` shows it.

A column whose personal-data detection the config corrects (``pii:``) goes through
:func:`choose_with_pii` instead:

* ``pii: false`` — not personal data, whatever the detector says: a text column is then a
  category, a code shape or free text by the usual rules, only without the personal-data route;
* ``pii: <kind>`` (``email``, ``phone`` ...) — personal data of that kind: Faker for the kind
  (length-matched nonsense for ``free_text``), so no source value enters the model;
* ``pii: true`` — personal data, kind unknown to the user: the detector's kind if it has one,
  else the column name's hint, else ``free_text``.

Text columns take any kind; date and timestamp columns only ``date_of_birth`` (the config
refuses other combinations before a fit starts).

Models are looked up by their registered kind, so the built-ins are replaceable like plugins,
and a SQL type claimed by a type plugin (:mod:`dbsynth.plugins`) gets the plugin's model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from dbsynth.columns.base import ColumnModel, FitContext, model_class
from dbsynth.columns.categorical import choose_categorical
from dbsynth.columns.pii import DATE_TYPES, QUASI_KINDS, TEXT_TYPES, PiiKind, PiiMatch, detect_pii, name_hint
from dbsynth.columns.special import choose_special
from dbsynth.columns.text import FakerModel, text_model_for
from dbsynth.errors import ModelError
from dbsynth.plugins import sql_type_model
from dbsynth.schema import Column, LogicalType, Schema, Table

# Kinds whose values carry an order the copula can use; the others (Faker, free text, UUIDs,
# bytes, JSON) map to independent noise and only add dimensions.
COPULA_KINDS = frozenset({"numeric", "categorical", "temporal", "boolean", "set"})


@dataclass(frozen=True)
class Choice:
    model: ColumnModel
    pii: PiiKind | None = None


def _kind(name: str) -> type[ColumnModel]:
    return model_class(name)


def _by_kind(name: str) -> Callable[[Column, pd.Series, FitContext], Choice]:
    def choose(column: Column, values: pd.Series, ctx: FitContext) -> Choice:
        return Choice(_kind(name).fit(values, column, ctx))

    return choose


def _number(column: Column, values: pd.Series, ctx: FitContext) -> Choice:
    if choose_categorical(values, column, ctx):
        return Choice(_kind("categorical").fit(values, column, ctx))
    return Choice(_kind("numeric").fit(values, column, ctx))


def _text(column: Column, values: pd.Series, ctx: FitContext) -> Choice:
    match = detect_pii(column, values, ctx.table, ctx.min_count, key=ctx.key)
    if match is not None and match.kind not in QUASI_KINDS:
        # Names, e-mails, phones...: never stored, whatever their cardinality.
        model: ColumnModel = FakerModel.for_kind(match.kind, values, column, ctx)
        return Choice(model, match.kind)
    # A fine-grained area or organisation (a quasi-identifier) stays a category only when its
    # frequent values cover nearly every row; anything else keeps what repeats (partial pooling).
    if choose_categorical(values, column, ctx, pooling=match is None):
        return Choice(_kind("categorical").fit(values, column, ctx))
    found = text_model_for(column, values, ctx, match)
    if found is None:
        raise ModelError(f"column '{column.name}' has no value to fit")
    if isinstance(found, FakerModel):
        return Choice(found, found.pii)
    return Choice(found, match.kind if match is not None else None)


CHOOSERS: dict[LogicalType, Callable[[Column, pd.Series, FitContext], Choice]] = {
    LogicalType.INTEGER: _number,
    LogicalType.DECIMAL: _number,
    LogicalType.FLOAT: _number,
    LogicalType.STRING: _text,
    LogicalType.TEXT: _text,
    LogicalType.BOOLEAN: _by_kind("boolean"),
    LogicalType.ENUM: _by_kind("categorical"),
    LogicalType.DATE: _by_kind("temporal"),
    LogicalType.TIME: _by_kind("temporal"),
    LogicalType.TIMESTAMP: _by_kind("temporal"),
    LogicalType.TIMESTAMPTZ: _by_kind("temporal"),
    LogicalType.INTERVAL: _by_kind("temporal"),
    LogicalType.UUID: _by_kind("uuid"),
    LogicalType.JSON: _by_kind("json"),
    LogicalType.ARRAY: _by_kind("array"),
    LogicalType.SET: _by_kind("set"),
    LogicalType.BYTES: _by_kind("bytes"),
}


def key_columns(table: Table, schema: Schema) -> set[str]:
    """The columns of ``table`` that identify rows: members of its primary key or of a UNIQUE
    constraint, and the columns an FK references (MySQL lets an FK reference a plain index)."""
    keys = set(table.primary_key.columns) if table.primary_key else set()
    keys.update(c for u in table.uniques for c in u.columns)
    for other in schema.tables:
        keys.update(c for fk in other.foreign_keys if fk.ref_table == table.key for c in fk.ref_columns)
    return keys


def choose_model(column: Column, values: pd.Series, ctx: FitContext) -> Choice:
    """The model for ``column`` fitted on its non-null sampled ``values``."""
    kind = sql_type_model(column.sql_type)
    if kind is not None:
        return Choice(_kind(kind).fit(values, column, ctx))
    special = choose_special(column, values, ctx)  # inet, ranges, points...: their own syntax
    if special is not None:
        return Choice(special)
    chooser = CHOOSERS.get(column.logical, _by_kind("constant"))
    return chooser(column, values, ctx)


def choose_with_pii(column: Column, values: pd.Series, ctx: FitContext, pii: PiiKind | bool) -> Choice:
    """The model for ``column`` fitted on its non-null ``values``, with detection overridden."""
    if pii is False:
        if column.logical not in TEXT_TYPES:
            return Choice(choose_model(column, values, ctx).model)
        if choose_categorical(values, column, ctx):
            return Choice(_kind("categorical").fit(values, column, ctx))
        model = text_model_for(column, values, ctx, None)
        if model is None:
            raise ModelError(f"column '{column.name}' has no value to fit")
        return Choice(model)
    kind = pii if isinstance(pii, PiiKind) else _kind_for(column, values, ctx)
    if column.logical in DATE_TYPES:
        if kind is not PiiKind.DATE_OF_BIRTH:
            raise ModelError(
                f"column '{column.name}' is a date: the only personal-data kind it can be is date_of_birth"
            )
        return Choice(FakerModel.for_kind(kind, values, column, ctx), kind)
    if column.logical not in TEXT_TYPES:
        raise ModelError(f"column '{column.name}' ({column.sql_type}) cannot be generated as personal data")
    match = PiiMatch(kind, 1.0, "set in the config")
    model = text_model_for(column, values, ctx, match)
    if model is None:
        raise ModelError(f"column '{column.name}' has no value to fit")
    return Choice(model, kind)


def _kind_for(column: Column, values: pd.Series, ctx: FitContext) -> PiiKind:
    if column.logical in DATE_TYPES:
        return PiiKind.DATE_OF_BIRTH
    match = detect_pii(column, values, ctx.table, ctx.min_count, key=ctx.key)
    if match is not None:
        return match.kind
    return name_hint(column.name, ctx.table) or PiiKind.FREE_TEXT
