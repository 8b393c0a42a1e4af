"""``generator: expression``: a column computed from the row's other columns.

    full_name: {generator: expression, expression: "first_name + ' ' + last_name"}
    total:     {generator: expression, expression: "round(price * quantity * 1.19, 2)"}

A small language of its own, parsed here and evaluated column-wise with numpy. It is never
Python's ``eval``: names are only column names, calls only the functions of :data:`FUNCTIONS`.

* values: numbers (``12``, ``0.5``), text in single quotes (``'it''s'``), ``null``, ``true``,
  ``false``; column names bare (``first_name``) or double-quoted (``"First Name"``);
* ``+ - * / %`` on numbers; ``+`` with text on either side, and ``||``, concatenate (the other
  side as text); comparisons ``= != <> < <= > >=``; ``and``, ``or``, ``not``;
* functions: ``upper lower trim length substr(s, start[, n]) replace(s, from, to) concat(...)
  coalesce(...) round(x[, digits]) floor ceil abs str(x) if(cond, then, else)``.

NULL follows SQL: an operation with a NULL operand is NULL, comparisons with NULL are NULL,
``and``/``or`` use three-valued logic; ``concat`` skips NULLs and ``coalesce`` picks the first
non-NULL argument. Division or modulo by zero is NULL rather than an error, because generated
data must not stop a load over one row.

Types are checked when the config is bound to the schema (``price + name`` on a number and a
text column is text; ``price - name`` is an error naming the operator and both types).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from dbsynth.columns.base import FitContext
from dbsynth.columns.generators.base import (
    GeneratorModel,
    Param,
    ParamProblems,
    Problem,
    describe_type,
    register_generator,
)
from dbsynth.errors import GenerationError, did_you_mean
from dbsynth.schema import Column, LogicalType, Table


class ExpressionError(ValueError):
    """A syntax or type error; ``position`` is the 0-based character offset in the expression."""

    def __init__(self, message: str, position: int, hint: str = ""):
        super().__init__(f"{message} at character {position + 1}" + (f".{hint}" if hint else ""))
        self.position = position


# -- syntax ------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|(?P<string>'(?:[^']|'')*')"
    r"|(?P<quoted>\"(?:[^\"]|\"\")*\")|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\|\||<=|>=|<>|!=|[-+*/%(),=<>]))"
)
_KEYWORDS = frozenset({"and", "or", "not", "null", "true", "false"})


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, quoted, name, op, end
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        if text[i:].strip() == "":
            break
        m = _TOKEN.match(text, i)
        if m is None or m.lastgroup is None:
            j = i + len(text[i:]) - len(text[i:].lstrip())
            raise ExpressionError(f"unexpected '{text[j]}'", j)
        tokens.append(Token(m.lastgroup, m.group(m.lastgroup), m.start(m.lastgroup)))
        i = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


@dataclass(frozen=True)
class Lit:
    value: Any  # int, float, str, bool or None
    pos: int


@dataclass(frozen=True)
class Col:
    name: str
    pos: int


@dataclass(frozen=True)
class Op:
    op: str  # + - * / % || = != < <= > >= and or not neg
    args: tuple[Expr, ...]
    pos: int


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    pos: int


Expr = Lit | Col | Op | Call

_BINARY = {  # operator -> (precedence, canonical name)
    "or": (1, "or"), "and": (2, "and"),
    "=": (4, "="), "!=": (4, "!="), "<>": (4, "!="), "<": (4, "<"), "<=": (4, "<="), ">": (4, ">"),
    ">=": (4, ">="),
    "+": (5, "+"), "-": (5, "-"), "||": (5, "||"), "*": (6, "*"), "/": (6, "/"), "%": (6, "%"),
}  # fmt: skip


class _Parser:
    """Precedence climbing: or < and < not < comparisons < + - || < * / % < unary minus."""

    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> Token:
        tok = self.take()
        if tok.text != text:
            raise ExpressionError(f"expected '{text}', found {_shown(tok)}", tok.pos)
        return tok

    def parse(self) -> Expr:
        expr = self.binary(1)
        if self.peek().kind != "end":
            raise ExpressionError(f"unexpected {_shown(self.peek())}", self.peek().pos)
        return expr

    def binary(self, level: int) -> Expr:
        left = self.unary(level)
        while True:
            tok = self.peek()
            key = tok.text.lower() if tok.kind == "name" else tok.text if tok.kind == "op" else None
            if key not in _BINARY or _BINARY[key][0] < level:
                return left
            prec, op = _BINARY[key]
            self.take()
            right = self.binary(prec + 1)
            left = Op(op, (left, right), tok.pos)

    def unary(self, level: int) -> Expr:
        tok = self.peek()
        if tok.kind == "name" and tok.text.lower() == "not" and level <= 3:
            self.take()
            return Op("not", (self.binary(3),), tok.pos)
        if tok.text == "-" and tok.kind == "op":
            self.take()
            return Op("neg", (self.unary(7),), tok.pos)
        return self.primary()

    def primary(self) -> Expr:
        tok = self.take()
        if tok.kind == "number":
            return Lit(float(tok.text) if re.search(r"[.eE]", tok.text) else int(tok.text), tok.pos)
        if tok.kind == "string":
            return Lit(tok.text[1:-1].replace("''", "'"), tok.pos)
        if tok.kind == "quoted":
            return Col(tok.text[1:-1].replace('""', '"'), tok.pos)
        if tok.text == "(":
            inner = self.binary(1)
            self.expect(")")
            return inner
        if tok.kind == "name":
            word = tok.text.lower()
            if word in ("null", "true", "false"):
                return Lit({"null": None, "true": True, "false": False}[word], tok.pos)
            if word in _KEYWORDS:
                raise ExpressionError(f"unexpected '{tok.text}'", tok.pos)
            if self.peek().text == "(":
                self.take()
                args: list[Expr] = []
                if self.peek().text != ")":
                    args.append(self.binary(1))
                    while self.peek().text == ",":
                        self.take()
                        args.append(self.binary(1))
                self.expect(")")
                return Call(word, tuple(args), tok.pos)
            return Col(tok.text, tok.pos)
        raise ExpressionError(f"unexpected {_shown(tok)}", tok.pos)


def _shown(tok: Token) -> str:
    return "end of the expression" if tok.kind == "end" else f"'{tok.text}'"


@cache
def parse_expression(text: str) -> Expr:
    """The syntax tree of ``text``; raises :class:`ExpressionError` with the position."""
    if not text.strip():
        raise ExpressionError("the expression is empty", 0)
    return _Parser(text).parse()


def column_names(expr: Expr) -> list[tuple[str, int]]:
    """The column names ``expr`` reads, with their positions, in order."""
    if isinstance(expr, Col):
        return [(expr.name, expr.pos)]
    if isinstance(expr, Lit):
        return []
    return [c for a in expr.args for c in column_names(a)]


# -- types and evaluation ----------------------------------------------------------------------


class Kind(StrEnum):
    INT = "integer"
    FLOAT = "number"
    STR = "text"
    BOOL = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"
    NULL = "null"


NUMERIC = frozenset({Kind.INT, Kind.FLOAT})
TIMES = frozenset({Kind.DATE, Kind.TIMESTAMP})
COLUMN_KIND: dict[LogicalType, Kind] = {
    LogicalType.INTEGER: Kind.INT,
    LogicalType.DECIMAL: Kind.FLOAT,
    LogicalType.FLOAT: Kind.FLOAT,
    LogicalType.STRING: Kind.STR,
    LogicalType.TEXT: Kind.STR,
    LogicalType.ENUM: Kind.STR,
    LogicalType.UUID: Kind.STR,
    LogicalType.BOOLEAN: Kind.BOOL,
    LogicalType.DATE: Kind.DATE,
    LogicalType.TIMESTAMP: Kind.TIMESTAMP,
    LogicalType.TIMESTAMPTZ: Kind.TIMESTAMP,
}
# What an expression of each kind may fill: text columns take anything (as text).
FILLS: dict[Kind, frozenset[Kind]] = {
    Kind.INT: frozenset({Kind.INT, Kind.FLOAT}),
    Kind.FLOAT: frozenset({Kind.INT, Kind.FLOAT}),
    Kind.STR: frozenset(Kind),
    Kind.BOOL: frozenset({Kind.BOOL}),
    Kind.DATE: frozenset({Kind.DATE, Kind.TIMESTAMP}),
    Kind.TIMESTAMP: frozenset({Kind.DATE, Kind.TIMESTAMP}),
}
_DTYPE: dict[Kind, Any] = {
    Kind.INT: np.int64, Kind.FLOAT: np.float64, Kind.STR: object, Kind.BOOL: np.bool_,
    Kind.DATE: "datetime64[us]", Kind.TIMESTAMP: "datetime64[us]", Kind.NULL: np.bool_,
}  # fmt: skip
_FILL: dict[Kind, Any] = {
    Kind.INT: 0, Kind.FLOAT: 0.0, Kind.STR: "", Kind.BOOL: False,
    Kind.DATE: np.datetime64(0, "us"), Kind.TIMESTAMP: np.datetime64(0, "us"), Kind.NULL: False,
}  # fmt: skip


@dataclass(frozen=True)
class Vec:
    """Values of one kind and a NULL mask; under the mask the value is the kind's filler."""

    kind: Kind
    values: np.ndarray
    null: np.ndarray


Fn = Callable[[Mapping[str, Vec], int], Vec]


def _vec(kind: Kind, values: Any, null: np.ndarray) -> Vec:
    arr = np.asarray(values, dtype=_DTYPE[kind]).copy()
    arr[null] = _FILL[kind]
    return Vec(kind, arr, null)


def _full(kind: Kind, n: int, value: Any) -> Vec:
    if value is None:
        return Vec(kind, np.full(n, _FILL[kind], dtype=_DTYPE[kind]), np.ones(n, dtype=bool))
    arr = np.empty(n, dtype=object) if kind is Kind.STR else np.full(n, value, dtype=_DTYPE[kind])
    if kind is Kind.STR:
        arr[:] = value
    return Vec(kind, arr, np.zeros(n, dtype=bool))


def as_text(v: Vec) -> np.ndarray:
    """The text of each value ('' under NULL): numbers as Python prints them, booleans as
    true/false, dates ISO, timestamps ``YYYY-MM-DD HH:MM:SS[.ffffff]``."""
    if v.kind is Kind.STR:
        return v.values
    if v.kind is Kind.DATE:
        text = np.datetime_as_string(v.values, unit="D").astype(object)
    elif v.kind is Kind.TIMESTAMP:
        text = np.array(
            [s.replace("T", " ") for s in np.datetime_as_string(v.values, unit="auto")], dtype=object
        )
        text = np.array([s if len(s) > 10 else s + " 00:00:00" for s in text], dtype=object)
    elif v.kind is Kind.BOOL:
        text = np.where(v.values, "true", "false").astype(object)
    else:
        text = np.array([str(x) for x in v.values.tolist()], dtype=object)
    text[v.null] = ""
    return text


def read_column(series: pd.Series, kind: Kind) -> Vec:
    """A generated frame column (``dbsynth.generation.values.coerce_column`` types) as a Vec of ``kind``."""
    null = series.isna().to_numpy(dtype=bool)
    if kind in NUMERIC:
        numbers = pd.to_numeric(series, errors="coerce")
        return _vec(kind, numbers.fillna(0).to_numpy(dtype=_DTYPE[kind]), null)
    if kind in TIMES:
        stamps = pd.to_datetime(series, errors="coerce", utc=True).dt.tz_localize(None)
        values = stamps.to_numpy(dtype="datetime64[us]")
        return _vec(kind, np.where(null, np.datetime64(0, "us"), values), null)
    if kind is Kind.BOOL:
        return _vec(kind, series.fillna(False).to_numpy(dtype=bool), null)
    raw = series.to_numpy(dtype=object)
    return _vec(
        kind, np.array(["" if m else str(x) for x, m in zip(raw, null, strict=True)], dtype=object), null
    )


class TypeProblem(ExpressionError):
    pass


def _numeric_result(a: Kind, b: Kind) -> Kind:
    return Kind.INT if a is Kind.INT and b is Kind.INT else Kind.FLOAT


def _unify(kinds: list[Kind], what: str, pos: int) -> Kind:
    real = {k for k in kinds if k is not Kind.NULL}
    if not real:
        return Kind.NULL
    if real <= NUMERIC:
        return Kind.FLOAT if Kind.FLOAT in real else Kind.INT
    if real <= TIMES:
        return Kind.TIMESTAMP if Kind.TIMESTAMP in real else Kind.DATE
    if len(real) == 1:
        return real.pop()
    raise TypeProblem(f"{what} mixes {' and '.join(sorted(real))}", pos)


class Compiler:
    """Type-checks a syntax tree against the table's column kinds and builds the evaluator."""

    def __init__(self, kinds: Mapping[str, Kind]):
        self.kinds = dict(kinds)

    def compile(self, e: Expr) -> tuple[Kind, Fn]:
        if isinstance(e, Lit):
            return self._literal(e)
        if isinstance(e, Col):
            if e.name not in self.kinds:
                raise TypeProblem(f"unknown column '{e.name}'", e.pos, did_you_mean(e.name, self.kinds))
            name, kind = e.name, self.kinds[e.name]
            return kind, lambda env, n: env[name]
        if isinstance(e, Call):
            return self._call(e)
        return self._op(e)

    @staticmethod
    def _literal(e: Lit) -> tuple[Kind, Fn]:
        v = e.value
        kind = (
            Kind.NULL if v is None else Kind.BOOL if isinstance(v, bool) else Kind.INT if isinstance(v, int)
            else Kind.FLOAT if isinstance(v, float) else Kind.STR
        )  # fmt: skip
        return kind, lambda env, n: _full(kind, n, v)

    def _op(self, e: Op) -> tuple[Kind, Fn]:
        parts = [self.compile(a) for a in e.args]
        kinds = [k for k, _ in parts]
        fns = [f for _, f in parts]
        op = e.op
        if op == "neg":
            if kinds[0] not in NUMERIC | {Kind.NULL}:
                raise TypeProblem(f"'-' needs a number, got {kinds[0]}", e.pos)
            kind = kinds[0] if kinds[0] is not Kind.NULL else Kind.INT
            return kind, lambda env, n: (lambda v: _vec(kind, -v.values, v.null))(fns[0](env, n))
        if op == "not":
            if kinds[0] not in (Kind.BOOL, Kind.NULL):
                raise TypeProblem(f"'not' needs a condition, got {kinds[0]}", e.pos)
            return Kind.BOOL, lambda env, n: (lambda v: _vec(Kind.BOOL, ~v.values, v.null))(fns[0](env, n))
        a, b = kinds
        if op == "||" or (op == "+" and Kind.STR in (a, b)):
            return Kind.STR, _binary(
                fns, lambda x, y: _vec(Kind.STR, as_text(x) + as_text(y), x.null | y.null)
            )
        if op in ("and", "or"):
            if not {a, b} <= {Kind.BOOL, Kind.NULL}:
                raise TypeProblem(f"'{op}' needs conditions, got {a} and {b}", e.pos)
            return Kind.BOOL, _binary(fns, _and if op == "and" else _or)
        if op in ("=", "!=", "<", "<=", ">", ">="):
            _unify([a, b], f"the comparison '{op}'", e.pos)
            return Kind.BOOL, _binary(fns, _comparison(op))
        if not {a, b} <= NUMERIC | {Kind.NULL}:
            raise TypeProblem(f"'{op}' needs numbers, got {a} and {b}", e.pos)
        result: Kind = (
            Kind.FLOAT
            if op == "/"
            else _numeric_result(a if a is not Kind.NULL else Kind.INT, b if b is not Kind.NULL else Kind.INT)
        )
        return result, _binary(fns, _arithmetic(op, result))

    def _call(self, e: Call) -> tuple[Kind, Fn]:
        spec = FUNCTIONS.get(e.name)
        if spec is None:
            raise TypeProblem(f"unknown function '{e.name}'", e.pos, did_you_mean(e.name, FUNCTIONS))
        low, high, build = spec
        if not low <= len(e.args) <= high:
            count = f"{low}" if low == high else f"{low} to {high}" if high < 99 else f"at least {low}"
            raise TypeProblem(f"{e.name}() takes {count} argument(s), got {len(e.args)}", e.pos)
        parts = [self.compile(a) for a in e.args]
        return build(e, [k for k, _ in parts], [f for _, f in parts])


def _binary(fns: list[Fn], f: Callable[[Vec, Vec], Vec]) -> Fn:
    return lambda env, n: f(fns[0](env, n), fns[1](env, n))


def _and(x: Vec, y: Vec) -> Vec:
    false = (~x.values & ~x.null) | (~y.values & ~y.null)
    true = x.values & y.values & ~x.null & ~y.null
    return _vec(Kind.BOOL, true, ~false & ~true)


def _or(x: Vec, y: Vec) -> Vec:
    true = (x.values & ~x.null) | (y.values & ~y.null)
    false = ~x.values & ~y.values & ~x.null & ~y.null
    return _vec(Kind.BOOL, true, ~false & ~true)


def _comparison(op: str) -> Callable[[Vec, Vec], Vec]:
    ops = {"=": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater,
           ">=": np.greater_equal}  # fmt: skip

    def run(x: Vec, y: Vec) -> Vec:
        null = x.null | y.null
        if Kind.NULL in (x.kind, y.kind):
            return _full(Kind.BOOL, len(null), None)
        left, right = x.values, y.values
        if x.kind is Kind.STR:
            result = np.array([bool(ops[op](p, q)) for p, q in zip(left, right, strict=True)], dtype=bool)
        else:
            result = ops[op](left, right)
        return _vec(Kind.BOOL, result, null)

    return run


def _arithmetic(op: str, kind: Kind) -> Callable[[Vec, Vec], Vec]:
    def run(x: Vec, y: Vec) -> Vec:
        null = x.null | y.null
        p, q = x.values.astype(_DTYPE[kind]), y.values.astype(_DTYPE[kind])
        if op in ("/", "%"):
            zero = q == 0
            null = null | zero  # division by zero is NULL: see the module docstring
            q = np.where(zero, 1, q)
        with np.errstate(over="ignore", invalid="ignore"):
            result = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "%": np.fmod}[op](p, q)
        return _vec(kind, result, null)

    return run


# -- functions ---------------------------------------------------------------------------------

Builder = Callable[[Call, list[Kind], list[Fn]], tuple[Kind, Fn]]


def _text_map(f: Callable[[str], Any], out: Kind = Kind.STR) -> Builder:
    def build(e: Call, kinds: list[Kind], fns: list[Fn]) -> tuple[Kind, Fn]:
        def run(env: Mapping[str, Vec], n: int) -> Vec:
            v = fns[0](env, n)
            return _vec(out, [f(s) for s in as_text(v)], v.null)

        return out, run

    return build


def _numeric_map(f: Callable[[np.ndarray], np.ndarray], out: Kind | None = None) -> Builder:
    def build(e: Call, kinds: list[Kind], fns: list[Fn]) -> tuple[Kind, Fn]:
        if kinds[0] not in NUMERIC | {Kind.NULL}:
            raise TypeProblem(f"{e.name}() needs a number, got {kinds[0]}", e.pos)
        kind = out or (kinds[0] if kinds[0] is not Kind.NULL else Kind.INT)

        def run(env: Mapping[str, Vec], n: int) -> Vec:
            v = fns[0](env, n)
            return _vec(kind, f(v.values.astype(np.float64)), v.null)

        return kind, run

    return build


def _round(e: Call, kinds: list[Kind], fns: list[Fn]) -> tuple[Kind, Fn]:
    if kinds[0] not in NUMERIC | {Kind.NULL}:
        raise TypeProblem(f"round() needs a number, got {kinds[0]}", e.pos)
    digits = 0
    if len(e.args) == 2:
        arg = e.args[1]
        if not isinstance(arg, Lit) or not isinstance(arg.value, int) or isinstance(arg.value, bool):
            raise TypeProblem("round()'s digits must be a whole number such as 2", arg.pos)
        digits = arg.value
    kind = Kind.FLOAT if len(e.args) == 2 else Kind.INT
    scale = 10.0**digits

    def run(env: Mapping[str, Vec], n: int) -> Vec:
        v = fns[0](env, n)
        x = v.values.astype(np.float64)
        # Half away from zero, as SQL rounds (numpy's round is half to even: 2.5 -> 2).
        return _vec(kind, np.sign(x) * np.floor(np.abs(x) * scale + 0.5) / scale, v.null)

    return kind, run


def _substr(e: Call, kinds: list[Kind], fns: list[Fn]) -> tuple[Kind, Fn]:
    for k in kinds[1:]:
        if k not in (Kind.INT, Kind.NULL):
            raise TypeProblem(f"substr() positions must be whole numbers, got {k}", e.pos)

    def run(env: Mapping[str, Vec], n: int) -> Vec:
        vs = [f(env, n) for f in fns]
        text = as_text(vs[0])
        start = vs[1].values.astype(np.int64)
        count = vs[2].values.astype(np.int64) if len(vs) == 3 else np.full(n, 10**9)
        null = np.logical_or.reduce([v.null for v in vs])
        # 1-based like SQL; a start below 1 eats into the count, as PostgreSQL's substr does.
        out = [
            s[max(b, 1) - 1 : max(b + c - 1, 0)] if c >= 0 else ""
            for s, b, c in zip(text, start, count, strict=True)
        ]
        return _vec(Kind.STR, out, null)

    return Kind.STR, run


def _replace(e: Call, kinds: list[Kind], fns: list[Fn]) -> tuple[Kind, Fn]:
    def run(env: Mapping[str, Vec], n: int) -> Vec:
        vs = [f(env, n) for f in fns]
        texts = [as_text(v) for v in vs]
        out = [s.replace(a, b) for s, a, b in zip(*texts, strict=True)]
        return _vec(Kind.STR, out, np.logical_or.reduce([v.null for v in vs]))

    return Kind.STR, run


def _concat(e: Call, kinds: list[Kind], fns: list[Fn]) -> tuple[Kind, Fn]:
    def run(env: Mapping[str, Vec], n: int) -> Vec:
        out = np.full(n, "", dtype=object)
        for f in fns:  # NULL arguments add nothing, as in PostgreSQL and MySQL's concat_ws
            out = out + as_text(f(env, n))
        return _vec(Kind.STR, out, np.zeros(n, dtype=bool))

    return Kind.STR, run


def _coalesce(e: Call, kinds: list[Kind], fns: list[Fn]) -> tuple[Kind, Fn]:
    kind = _unify(kinds, "coalesce()", e.pos)

    def run(env: Mapping[str, Vec], n: int) -> Vec:
        values = np.full(n, _FILL[kind], dtype=_DTYPE[kind])
        null = np.ones(n, dtype=bool)
        for f in fns:
            v = f(env, n)
            take = null & ~v.null
            values[take] = v.values[take]
            null &= v.null
        return _vec(kind, values, null)

    return kind, run


def _if(e: Call, kinds: list[Kind], fns: list[Fn]) -> tuple[Kind, Fn]:
    if kinds[0] not in (Kind.BOOL, Kind.NULL):
        raise TypeProblem(f"if() needs a condition first, got {kinds[0]}", e.pos)
    kind = _unify(kinds[1:], "if()", e.pos)

    def run(env: Mapping[str, Vec], n: int) -> Vec:
        cond, yes, no = (f(env, n) for f in fns)
        pick = cond.values & ~cond.null  # NULL counts as false, as in SQL's CASE
        values = np.where(pick, yes.values.astype(_DTYPE[kind]), no.values.astype(_DTYPE[kind]))
        return _vec(kind, values, np.where(pick, yes.null, no.null))

    return kind, run


FUNCTIONS: dict[str, tuple[int, int, Builder]] = {
    "upper": (1, 1, _text_map(str.upper)),
    "lower": (1, 1, _text_map(str.lower)),
    "trim": (1, 1, _text_map(str.strip)),
    "length": (1, 1, _text_map(len, Kind.INT)),
    "str": (1, 1, _text_map(str)),
    "substr": (2, 3, _substr),
    "replace": (3, 3, _replace),
    "concat": (1, 99, _concat),
    "coalesce": (1, 99, _coalesce),
    "round": (1, 2, _round),
    "floor": (1, 1, _numeric_map(np.floor, Kind.INT)),
    "ceil": (1, 1, _numeric_map(np.ceil, Kind.INT)),
    "abs": (1, 1, _numeric_map(np.abs)),
    "if": (3, 3, _if),
}


@cache
def _compiled(expression: str, inputs: tuple[tuple[str, Kind], ...]) -> tuple[Kind, Fn]:
    return Compiler(dict(inputs)).compile(parse_expression(expression))


# -- the model ---------------------------------------------------------------------------------


@register_generator("expression")
@dataclass(frozen=True)
class ExpressionGenerator(GeneratorModel):
    """``expression`` over the row's columns ``inputs`` (name → logical type), written to a
    column of type ``logical``. ``derived``: the engine calls :meth:`derive` once the chunk's
    other columns exist; ``from_uniform`` cannot be used (there is no row to compute from)."""

    summary = "computed from other columns of the row: expression: \"first_name + ' ' + last_name\""
    params = (Param("expression", ("string",), required=True, doc="the formula over the row's columns"),)
    derived = True

    expression: str
    logical: LogicalType
    inputs: dict[str, LogicalType]

    @classmethod
    def check_params(cls, params: Mapping[str, Any], ctx: FitContext) -> list[Problem]:
        try:
            parse_expression(params["expression"])
        except ExpressionError as exc:
            return [("expression", f"expression '{params['expression']}': {exc}")]
        return []

    @classmethod
    def for_column(
        cls, params: Mapping[str, Any], column: Column, ctx: FitContext, table: Table
    ) -> ExpressionGenerator:
        text = params["expression"]
        out = COLUMN_KIND.get(column.logical)
        if out is None:
            raise ParamProblems([(None, f"generator expression cannot fill {column.logical} columns; "
                                  f"{describe_type(column)}")])  # fmt: skip
        readable = {
            c.name: COLUMN_KIND[c.logical]
            for c in table.columns
            if c.logical in COLUMN_KIND and c.generated is None and c.name != column.name
        }
        problems: list[Problem] = []
        used: dict[str, LogicalType] = {}
        seen: set[str] = set()
        for name, pos in column_names(parse_expression(text)):
            if name in seen:
                continue
            seen.add(name)
            at = f"at character {pos + 1}"
            if name == column.name:
                problems.append(
                    ("expression", f"expression '{text}': a column cannot be computed from itself {at}")
                )
            elif name not in table.column_names:
                hint = did_you_mean(name, table.column_names)
                problems.append(
                    (
                        "expression",
                        f"expression '{text}': unknown column '{name}' {at}" + (f".{hint}" if hint else ""),
                    )
                )
            elif table.column(name).generated is not None:
                problems.append(
                    (
                        "expression",
                        f"expression '{text}': {name} is a generated column, which dbsynth does not write",
                    )
                )
            elif name not in readable:
                problems.append(
                    (
                        "expression",
                        f"expression '{text}': an expression cannot read {describe_type(table.column(name))}",
                    )
                )
            else:
                used[name] = table.column(name).logical
        if problems:
            raise ParamProblems(problems)
        try:
            kind, _ = Compiler(readable).compile(parse_expression(text))
        except ExpressionError as exc:
            raise ParamProblems([("expression", f"expression '{text}': {exc}")]) from None
        if kind is not Kind.NULL and kind not in FILLS[out]:
            raise ParamProblems(
                [("expression", f"expression '{text}' gives {kind}; {describe_type(column)}")]
            )
        return cls(text, column.logical, used)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        raise GenerationError(
            f"expression '{self.expression}' is computed from the row: "
            "the engine must call derive(frame, rng)"
        )

    def derive(self, frame: pd.DataFrame, rng: np.random.Generator) -> Any:
        """The expression's value for every row of ``frame`` (which holds the input columns),
        with None/NaN/NaT where it is NULL; values are of the output column's type."""
        inputs = tuple(sorted((name, COLUMN_KIND[lt]) for name, lt in self.inputs.items()))
        _, fn = _compiled(self.expression, inputs)
        n = len(frame)
        missing = [name for name, _ in inputs if name not in frame.columns]
        if missing:
            raise GenerationError(f"expression '{self.expression}' needs column(s) {', '.join(missing)}")
        env = {name: read_column(frame[name].reset_index(drop=True), k) for name, k in inputs}
        v = fn(env, n)
        return _output(v, COLUMN_KIND[self.logical], n)

    def describe(self) -> str:
        return f"computed: {self.expression} (config)"


def _output(v: Vec, out: Kind, n: int) -> Any:
    if v.kind is Kind.NULL:
        return np.full(n, None, dtype=object)
    if out is Kind.STR:
        text = as_text(v).astype(object)
        text[v.null] = None
        return text
    if out in NUMERIC:
        if v.kind is Kind.INT and out is Kind.INT:
            return pd.Series(pd.arrays.IntegerArray(v.values.astype(np.int64), v.null.copy()))
        return np.where(v.null, np.nan, v.values.astype(np.float64))
    if out is Kind.BOOL:
        flags = v.values.astype(object)
        flags[v.null] = None
        return flags
    stamps = v.values.astype("datetime64[us]").copy()
    stamps[v.null] = np.datetime64("NaT")
    return pd.Series(stamps)
