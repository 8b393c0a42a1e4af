"""Which model a column gets: the dispatch from a column and its sampled values to a ColumnModel.

The decision, per logical type (a table, not an ``if`` chain, so a plugin type can join it):

* numbers: categories when the values are a few frequent exact values (ratings, price points),
  else the numeric model (point masses + quantile grid);
* strings and text: personal data first (a strong detector match always wins, so a column of
  e-mails never becomes a category of e-mails), then categories for low cardinality, then
  codes/free text (:func:`dbsynth.columns.text.choose_text_model`);
* dates, times, timestamps, intervals: the temporal model; enums: categories; and one model each
  for booleans, UUIDs, JSON, arrays, SETs and bytes;
* anything else: a constant model (the engine writes NULL when the column allows it), with the
  reason recorded so ``--explain`` shows it.

Models are looked up by their registered kind, so the built-ins are replaceable like plugins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from dbsynth.columns.base import ColumnModel, FitContext, registered_kinds
from dbsynth.columns.categorical import choose_categorical
from dbsynth.columns.pii import QUASI_KINDS, PiiKind, detect_pii
from dbsynth.columns.text import FakerModel, text_model_for
from dbsynth.schema import Column, LogicalType

# Kinds whose values carry an order the copula can use; the others (Faker, free text, UUIDs,
# bytes, JSON) map to independent noise and only add dimensions.
COPULA_KINDS = frozenset({"numeric", "categorical", "temporal", "boolean", "set"})


@dataclass(frozen=True)
class Choice:
    model: ColumnModel
    pii: PiiKind | None = None


def _kind(name: str) -> type[ColumnModel]:
    return registered_kinds()[name]


def _by_kind(name: str) -> Callable[[Column, pd.Series, FitContext], Choice]:
    def choose(column: Column, values: pd.Series, ctx: FitContext) -> Choice:
        return Choice(_kind(name).fit(values, column, ctx))

    return choose


def _number(column: Column, values: pd.Series, ctx: FitContext) -> Choice:
    if choose_categorical(values, column, ctx):
        return Choice(_kind("categorical").fit(values, column, ctx))
    return Choice(_kind("numeric").fit(values, column, ctx))


def _text(column: Column, values: pd.Series, ctx: FitContext) -> Choice:
    match = detect_pii(column, values, ctx.table, ctx.min_count)
    if match is not None and match.kind not in QUASI_KINDS:
        # Names, e-mails, phones...: never stored, whatever their cardinality.
        model: ColumnModel = FakerModel.for_kind(match.kind, values, column, ctx)
        return Choice(model, match.kind)
    if choose_categorical(values, column, ctx):
        return Choice(_kind("categorical").fit(values, column, ctx))
    model = text_model_for(column, values, ctx, match)
    if isinstance(model, FakerModel):
        return Choice(model, model.pii)
    return Choice(model, match.kind if match is not None else None)


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


# SQL type name (lower case, without arguments: ``vector`` for ``vector(3)``, ``geometry``) ->
# registered model kind. Type plugins add entries (``dbsynth.plugins``); it is consulted before
# the logical type, so a type dbsynth itself only knows as OTHER can still get a real model.
SQL_TYPE_MODELS: dict[str, str] = {}


def sql_type_name(sql_type: str) -> str:
    base = sql_type.split("(", 1)[0].strip().lower()
    return base.rsplit(".", 1)[-1].strip('"')


def choose_model(column: Column, values: pd.Series, ctx: FitContext) -> Choice:
    """The model for ``column`` fitted on its non-null sampled ``values``."""
    kind = SQL_TYPE_MODELS.get(sql_type_name(column.sql_type))
    if kind is not None:
        return Choice(_kind(kind).fit(values, column, ctx))
    chooser = CHOOSERS.get(column.logical, _by_kind("constant"))
    return chooser(column, values, ctx)
