"""Reading a sample's text values: their text, the letter case most of them are written in, and
whether one holds a personal value found elsewhere (:func:`withheld`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import pandas as pd

_DIGIT_OR_AT = re.compile(r"[\d@]")
MAX_PHRASE_WORDS = 6  # personal values of more words are not looked for inside other values


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


def normal_text(text: str) -> str:
    """How personal values are compared: case-folded, runs of whitespace as one space."""
    return " ".join(text.casefold().split())


def withheld(value: object, personal: frozenset[str]) -> bool:
    """Whether a category value must not be kept because it holds personal data found in a
    personal-data column (``FitContext.withheld``): it *is* such a value, or it contains one
    that betrays its source inside other text (two or more words, a digit or an ``@``, or 20
    characters: ``'Antonio Moreno Taquería'`` holds a contact's name). A single common word
    inside a longer value (``'Edward'`` in a list of composers) is a coincidence."""
    if not personal or not isinstance(value, str):
        return False
    words = normal_text(value).split()
    if " ".join(words) in personal:
        return True
    for size in range(1, min(len(words), MAX_PHRASE_WORDS) + 1):
        for start in range(len(words) - size + 1):
            phrase = " ".join(words[start : start + size])
            if phrase in personal and (size >= 2 or len(phrase) >= 20 or _DIGIT_OR_AT.search(phrase)):
                return True
    return False
