"""Reading a sample's text values: their text, and the letter case most of them are written in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pandas as pd


def letter_case(values: Sequence[str]) -> Literal["as_is", "upper", "lower"]:
    """``upper``/``lower`` when at least 90% of the values with letters are written so."""
    # map(str.isalpha, ...) rather than a generator: the same test, several times faster per value.
    lettered = [v for v in values if any(map(str.isalpha, v))]
    if not lettered:
        return "as_is"
    if sum(v == v.upper() for v in lettered) >= 0.9 * len(lettered):
        return "upper"
    if sum(v == v.lower() for v in lettered) >= 0.9 * len(lettered):
        return "lower"
    return "as_is"


def text_values(values: pd.Series) -> list[str]:
    """``str()`` of every non-NULL value, in order (``tolist`` instead of iterating: iterating an
    arrow-backed string column costs a Python call per value)."""
    items = values.dropna().tolist()
    return items if isinstance(values.dtype, pd.StringDtype) else [str(v) for v in items]
