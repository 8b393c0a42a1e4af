"""``generator: regex``: strings that match a regular expression.

The supported subset is what codes and identifiers use: literals and escapes (``\\.``, ``\\-``),
character classes with ranges and negation (``[A-Z0-9_]``, ``[^aeiou]``), ``\\d \\w \\s`` and
their negations, ``.``, groups (``(...)``, ``(?:...)``, ``(?P<name>...)``), alternation ``|``,
and the quantifiers ``?``, ``{m}``, ``{m,n}``, ``{m,}``, ``*`` and ``+``. Unbounded repeats are
bounded at ``STAR_LIMIT`` more than their minimum (a generator has to stop somewhere).
``^``/``$`` at the ends are accepted and ignored. Anything else (back-references, lookaround,
inline flags) is refused with its position, when the config is loaded.

Negated classes, ``.`` and ``\\D \\W \\S`` draw from printable ASCII (space to ``~``), so values
stay printable and single-byte.

**Unique values** (``from_index``): every value follows one fixed path through the pattern: the
longest repeat count and the alternative that allows the most strings. That path is a sequence
of character sets; the permuted row index is written in mixed radix over them, least significant
last, so distinct rows give distinct strings. Positions beyond what the index needs are drawn
freely. So ``[A-Z]{3}-[0-9]{4}`` gives ``26³·10⁴`` unique codes, all in that shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from dbsynth.columns.base import FitContext
from dbsynth.columns.generators.base import (
    TEXT_TYPES,
    GeneratorModel,
    Param,
    ParamProblems,
    Problem,
    describe_type,
    register_generator,
)
from dbsynth.columns.permute import MAX_KEY, permute
from dbsynth.schema import Column, Table

STAR_LIMIT = 8
PRINTABLE = "".join(chr(c) for c in range(32, 127))
DIGITS = "0123456789"
WORD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" + DIGITS + "_"
SPACE = " "
_CLASS_ESCAPES = {
    "d": DIGITS,
    "w": WORD,
    "s": SPACE,
    "D": "".join(c for c in PRINTABLE if c not in DIGITS),
    "W": "".join(c for c in PRINTABLE if c not in WORD),
    "S": "".join(c for c in PRINTABLE if c != " "),
}
_CONTROL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


class PatternError(ValueError):
    """A pattern outside the supported subset; ``position`` is the 0-based character offset."""

    def __init__(self, message: str, position: int):
        super().__init__(f"{message} at character {position + 1}")
        self.position = position


# -- the parsed pattern ------------------------------------------------------------------------


@dataclass(frozen=True)
class Chars:
    """One character from ``chars`` (distinct, in order)."""

    chars: str


@dataclass(frozen=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alt:
    options: tuple[Node, ...]


@dataclass(frozen=True)
class Repeat:
    node: Node
    low: int
    high: int


Node = Chars | Seq | Alt | Repeat


class _Parser:
    """Recursive descent over the subset in the module docstring."""

    def __init__(self, pattern: str):
        self.p = pattern
        self.i = 0

    def parse(self) -> Node:
        start, end = 0, len(self.p)
        if self.p.startswith("^"):
            self.i = start = 1
        if self.p.endswith("$") and not self.p.endswith("\\$") and end > start:
            end -= 1
        self.end = end
        node = self.alternation()
        if self.i < self.end:
            raise PatternError(f"unexpected '{self.p[self.i]}'", self.i)
        return node

    def peek(self) -> str | None:
        return self.p[self.i] if self.i < self.end else None

    def alternation(self) -> Node:
        options = [self.sequence()]
        while self.peek() == "|":
            self.i += 1
            options.append(self.sequence())
        return options[0] if len(options) == 1 else Alt(tuple(options))

    def sequence(self) -> Node:
        items: list[Node] = []
        while (c := self.peek()) is not None and c not in "|)":
            items.append(self.quantified(self.atom()))
        return items[0] if len(items) == 1 else Seq(tuple(items))

    def atom(self) -> Node:
        c = self.p[self.i]
        at = self.i
        self.i += 1
        if c == "(":
            if self.p.startswith("?:", self.i):
                self.i += 2
            elif self.p.startswith("?P<", self.i):
                close = self.p.find(">", self.i)
                if close < 0:
                    raise PatternError("unterminated group name", at)
                self.i = close + 1
            elif self.peek() == "?":
                raise PatternError("lookaround and inline flags are not supported", at)
            inner = self.alternation()
            if self.peek() != ")":
                raise PatternError("missing ')'", at)
            self.i += 1
            return inner
        if c == "[":
            return self.char_class(at)
        if c == ".":
            return Chars(PRINTABLE)
        if c == "\\":
            return Chars(self.escape(at, in_class=False))
        if c in "*+?{":
            raise PatternError(f"nothing to repeat before '{c}'", at)
        if c in "^$":
            raise PatternError(f"'{c}' is only supported at the start or end of the pattern", at)
        return Chars(c)

    def escape(self, at: int, in_class: bool) -> str:
        if self.i >= len(self.p):
            raise PatternError("the pattern ends with a lone backslash", at)
        c = self.p[self.i]
        self.i += 1
        if c in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[c]
        if c in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[c]
        if c.isalnum():
            what = "back-references are" if c.isdigit() else f"the escape \\{c} is"
            raise PatternError(f"{what} not supported", at)
        return c

    def char_class(self, at: int) -> Chars:
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        chars: list[str] = []
        first = True
        while True:
            if self.i >= len(self.p):
                raise PatternError("unterminated character class", at)
            c = self.p[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            self.i += 1
            if c == "\\":
                piece = self.escape(self.i - 1, in_class=True)
                if len(piece) > 1:
                    chars.extend(piece)
                    continue
                c = piece
            if self.peek() == "-" and self.i + 1 < len(self.p) and self.p[self.i + 1] != "]":
                self.i += 1
                hi = self.p[self.i]
                self.i += 1
                if hi == "\\":
                    hi = self.escape(self.i - 1, in_class=True)
                    if len(hi) > 1:
                        raise PatternError("a range cannot end in a class escape", self.i - 2)
                if ord(hi) < ord(c):
                    raise PatternError(f"the range {c}-{hi} is reversed", self.i - 3)
                chars.extend(chr(o) for o in range(ord(c), ord(hi) + 1))
            else:
                chars.append(c)
        if negate:
            chars = [c for c in PRINTABLE if c not in set(chars)]
        distinct = "".join(dict.fromkeys(chars))
        if not distinct:
            raise PatternError("the character class matches nothing printable", at)
        return Chars(distinct)

    def quantified(self, node: Node) -> Node:
        c = self.peek()
        at = self.i
        if c is None or c not in "?*+{":
            return node
        self.i += 1
        if c == "?":
            low, high = 0, 1
        elif c == "*":
            low, high = 0, STAR_LIMIT
        elif c == "+":
            low, high = 1, 1 + STAR_LIMIT
        else:
            close = self.p.find("}", self.i)
            body = self.p[self.i : close] if close >= 0 else ""
            low_text, comma, high_text = body.partition(",")
            if close < 0 or not low_text.isdigit() or (high_text and not high_text.isdigit()):
                raise PatternError("a repeat must look like {m}, {m,n} or {m,}", at)
            self.i = close + 1
            low = int(low_text)
            high = low if not comma else (int(high_text) if high_text else low + STAR_LIMIT)
            if high < low:
                raise PatternError(f"the repeat {{{body}}} has its maximum below its minimum", at)
        if self.peek() in ("?", "+"):  # lazy / possessive: the same strings
            self.i += 1
        following = self.peek()
        if following is not None and following in "*+?{":
            raise PatternError("a repeat cannot be repeated", self.i)
        return Repeat(node, low, high)


@cache
def parse_pattern(pattern: str) -> Node:
    """The parsed pattern; raises :class:`PatternError` outside the supported subset."""
    return _Parser(pattern).parse()


def max_length(node: Node) -> int:
    if isinstance(node, Chars):
        return 1
    if isinstance(node, Seq):
        return sum(max_length(i) for i in node.items)
    if isinstance(node, Alt):
        return max(max_length(o) for o in node.options)
    return node.high * max_length(node.node)


def skeleton(node: Node) -> list[str]:
    """The fixed path unique values take (see the module docstring): one char set per position."""
    if isinstance(node, Chars):
        return [node.chars]
    if isinstance(node, Seq):
        return [s for item in node.items for s in skeleton(item)]
    if isinstance(node, Alt):
        paths = [skeleton(o) for o in node.options]
        return max(paths, key=lambda p: sum(math.log(len(s)) for s in p))
    return skeleton(node.node) * node.high


# -- generation -------------------------------------------------------------------------------


def _draw(node: Node, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random matches of ``node`` as an object array of str (vectorised per node)."""
    if isinstance(node, Chars):
        pool = np.array(list(node.chars), dtype=object)
        return pool[rng.integers(0, len(pool), n)] if len(pool) > 1 else np.full(n, node.chars, dtype=object)
    out = np.full(n, "", dtype=object)
    if isinstance(node, Seq):
        for item in node.items:
            out = out + _draw(item, n, rng)
        return out
    if isinstance(node, Alt):
        which = rng.integers(0, len(node.options), n)
        for j, option in enumerate(node.options):
            rows = np.flatnonzero(which == j)
            if len(rows):
                out[rows] = _draw(option, len(rows), rng)
        return out
    counts = rng.integers(node.low, node.high + 1, n)
    for j in range(node.high):
        rows = np.flatnonzero(counts > j)
        if len(rows):
            out[rows] = out[rows] + _draw(node.node, len(rows), rng)
    return out


@register_generator("regex")
@dataclass(frozen=True)
class RegexGenerator(GeneratorModel):
    """Strings matching ``pattern`` (the subset of the module docstring); unique through
    ``from_index``."""

    summary = "strings matching a regular expression: pattern: '[A-Z]{3}-[0-9]{4}'"
    params = (Param("pattern", ("string",), required=True, doc="the regular expression values match"),)
    unique_capable = True

    pattern: str

    @classmethod
    def check_params(cls, params: Mapping[str, Any], ctx: FitContext) -> list[Problem]:
        try:
            parse_pattern(params["pattern"])
        except PatternError as exc:
            return [("pattern", f"pattern '{params['pattern']}': {exc}")]
        return []

    @classmethod
    def for_column(
        cls, params: Mapping[str, Any], column: Column, ctx: FitContext, table: Table
    ) -> RegexGenerator:
        if column.logical not in TEXT_TYPES:
            raise ParamProblems([(None, f"generator regex needs a text column; {describe_type(column)}")])
        pattern = params["pattern"]
        longest = max_length(parse_pattern(pattern))
        if column.length is not None and longest > column.length:
            raise ParamProblems(
                [("pattern", f"pattern '{pattern}' makes strings of up to {longest} characters; "
                  f"{describe_type(column)}")]
            )  # fmt: skip
        return cls(pattern)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        return _draw(parse_pattern(self.pattern), np.asarray(u).size, rng)

    def capacity(self) -> int:
        """How many distinct values ``from_index`` can make (capped at ``MAX_KEY``)."""
        total = 1
        for chars in skeleton(parse_pattern(self.pattern)):
            total = min(total * len(chars), MAX_KEY)
        return total

    def from_index(self, index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        path = skeleton(parse_pattern(self.pattern))
        cap = self.capacity()
        keys = np.array(permute(index, cap, f"values matching '{self.pattern}'"), dtype=np.uint64)
        n = len(keys)
        digits: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * len(path)
        covered = 1
        for pos in range(len(path) - 1, -1, -1):
            size = len(path[pos])
            if covered >= cap:  # the key is fully written: the rest is free
                digits[pos] = rng.integers(0, size, n)
                continue
            digits[pos] = (keys % np.uint64(size)).astype(np.int64)
            keys = keys // np.uint64(size)
            covered *= size
        out = np.full(n, "", dtype=object)
        for chars, d in zip(path, digits, strict=True):
            out = out + np.array(list(chars), dtype=object)[d]
        return out

    def describe(self) -> str:
        return f"strings matching '{self.pattern}' (config)"
