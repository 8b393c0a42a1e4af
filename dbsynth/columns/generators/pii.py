"""The model of a column whose personal-data detection the config corrects (``pii:``).

* ``pii: false`` — not personal data, whatever the detector says: a text column is then a
  category, a code shape or free text by the usual rules, only without the personal-data route;
* ``pii: <kind>`` (``email``, ``phone`` ...) — personal data of that kind: Faker for the kind
  (length-matched nonsense for ``free_text``), so no source value enters the model;
* ``pii: true`` — personal data, kind unknown to the user: the detector's kind if it has one,
  else the column name's hint, else ``free_text``.

Text columns take any kind; date and timestamp columns only ``date_of_birth`` (the config
refuses other combinations before a fit starts).
"""

from __future__ import annotations

import pandas as pd

from dbsynth.columns.base import FitContext, registered_kinds
from dbsynth.columns.categorical import choose_categorical
from dbsynth.columns.choose import Choice, choose_model
from dbsynth.columns.pii import DATE_TYPES, TEXT_TYPES, PiiKind, PiiMatch, detect_pii, name_hint
from dbsynth.columns.text import FakerModel, text_model_for
from dbsynth.errors import ModelError
from dbsynth.schema import Column


def choose_with_pii(column: Column, values: pd.Series, ctx: FitContext, pii: PiiKind | bool) -> Choice:
    """The model for ``column`` fitted on its non-null ``values``, with detection overridden."""
    if pii is False:
        if column.logical not in TEXT_TYPES:
            return Choice(choose_model(column, values, ctx).model)
        if choose_categorical(values, column, ctx):
            return Choice(registered_kinds()["categorical"].fit(values, column, ctx))
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
    match = detect_pii(column, values, ctx.table, ctx.min_count)
    if match is not None:
        return match.kind
    return name_hint(column.name, ctx.table) or PiiKind.FREE_TEXT
