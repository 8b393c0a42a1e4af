"""Text column models: which one a STRING/TEXT column gets.

:func:`choose_text_model` is the decision for a STRING/TEXT column that the caller has already
found not to be a category (no value repeats ``min_count`` times, or the column is unique, or
personal data):

1. **Personal data** (:func:`dbsynth.columns.pii.detect_pii` matches) -> :class:`FakerModel`
   (``dbsynth.columns.faker_model``), except ``free_text`` (comments, notes, reviews) ->
   :class:`FreeTextModel`.
2. **Codes** and 3. anything else: :func:`dbsynth.columns.shape.codes_or_prose`, a
   :class:`ShapeModel` (``dbsynth.columns.shape``) when at least ``CODE_COVERAGE`` of the values
   fall into at most ``MAX_SHAPES`` shapes, each seen at least ``min_count`` times, the median
   value has at most 64 characters, and every such shape is code-like (:func:`is_code_like`): it
   has digits (``SKU-000123``, ``tt0111161``, ``INV2023/0042``) or hex runs (UUIDs), or it has no
   whitespace and only fixed-length letter runs (``JFK``, ``AB-CD``). Titles such as
   ``ACADEMY DINOSAUR`` (words of varying length) are not codes; they get a
   :class:`FreeTextModel` (``dbsynth.columns.free_text``).

The same choice generates the pooled remainder of a category (values seen fewer than
``min_count`` times, :class:`~dbsynth.columns.categorical.CategoricalModel`).

**Unique columns.** ``from_uniform`` only receives uniforms and an RNG stream per chunk, so
it cannot promise uniqueness across chunks. The text models also implement
``from_index(index, rng)`` (:class:`~dbsynth.columns.base.IndexedModel`): the engine passes the
global row indexes of the chunk, and the values are unique by construction because an injective
image of the index (``dbsynth.columns.permute``) sits at a fixed place in every value
(``user1234@example.org``, the last digits of a phone number, the digit runs of a code).
"""

from __future__ import annotations

import pandas as pd

from dbsynth.columns.base import ColumnModel, FitContext
from dbsynth.columns.faker_model import FakerModel
from dbsynth.columns.free_text import FreeTextModel
from dbsynth.columns.pii import (
    TEXT_TYPES,
    PiiKind,
    PiiMatch,
    detect_pii,
)
from dbsynth.columns.shape import codes_or_prose
from dbsynth.schema import Column


def choose_text_model(column: Column, values: pd.Series, ctx: FitContext) -> ColumnModel | None:
    """The model for a STRING/TEXT column that is not a low-cardinality category (see the
    module docstring for the criteria); ``None`` for other logical types and for columns
    without a single non-null value."""
    if column.logical not in TEXT_TYPES or values.dropna().empty:
        return None
    match = detect_pii(column, values.dropna(), ctx.table, ctx.min_count, key=ctx.key)
    return text_model_for(column, values, ctx, match)


def text_model_for(
    column: Column, values: pd.Series, ctx: FitContext, match: PiiMatch | None
) -> ColumnModel | None:
    """:func:`choose_text_model` for a caller that already ran :func:`detect_pii` on ``values``
    (``match`` is its result): the same model, without detecting twice."""
    if column.logical not in TEXT_TYPES:
        return None
    values = values.dropna()
    if values.empty:
        return None
    if match is not None:
        if match.kind is PiiKind.FREE_TEXT:
            return FreeTextModel.fit(values, column, ctx)
        return FakerModel.for_kind(match.kind, values, column, ctx)
    return codes_or_prose(values, column, ctx)
