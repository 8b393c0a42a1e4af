"""The config's formula language (``generator: expression``), a front end of the one engine.

    full_name: {generator: expression, expression: "first_name + ' ' + last_name"}
    total:     {generator: expression, expression: "round(price * quantity * 1.19, 2)"}

A small language of its own, parsed here into a sqlglot tree and compiled by the engine
(``dbsynth.expr.compile``) under the :data:`~dbsynth.expr.dialects.FORMULA` rules. It is never
Python's ``eval``: names are only column names, calls only the functions of :data:`FUNCTIONS`.

* values: numbers (``12``, ``0.5``), text in single quotes (``'it''s'``), ``null``, ``true``,
  ``false``; column names bare (``first_name``) or double-quoted (``"First Name"``);
* ``+ - * / %`` on numbers; ``+`` with text on either side, and ``||``, concatenate (the other
  side as text); comparisons ``= != <> < <= > >=``; ``and``, ``or``, ``not``;
* functions: ``upper lower trim length substr(s, start[, n]) replace(s, from, to) concat(...)
  coalesce(...) round(x[, digits]) floor ceil abs str(x) if(cond, then, else)``.

Functions behave as PostgreSQL's: ``trim`` removes blanks, ``substr`` counts from 1,
``replace(s, '', x)`` leaves ``s`` as it is.

NULL follows SQL: an operation with a NULL operand is NULL, comparisons with NULL are NULL,
``and``/``or`` use three-valued logic; ``concat`` skips NULLs and ``coalesce`` picks the first
non-NULL argument. Division or modulo by zero is NULL rather than an error, because generated
data must not stop a load over one row. Types are checked at compile time, with no implicit
conversion: ``price - name`` is an error naming the operator and both types.

Errors are :class:`FormulaError` with the 0-based character ``position``: the parser records
each node's position and how to name it (``'-'``, ``coalesce()``) in the node's ``meta``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

from sqlglot import exp

from dbsynth.errors import did_you_mean
from dbsynth.expr.compile import Compiler
from dbsynth.expr.dialects import FORMULA
from dbsynth.expr.values import Kind, KindError, Node, Unsupported


class FormulaError(ValueError):
    """A syntax or type error; ``position`` is the 0-based character offset in the formula."""

    def __init__(self, message: str, position: int, hint: str = ""):
        super().__init__(f"{message} at character {position + 1}" + (f".{hint}" if hint else ""))
        self.position = position


# -- tokens ------------------------------------------------------------------------------------

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
            raise FormulaError(f"unexpected '{text[j]}'", j)
        tokens.append(Token(m.lastgroup, m.group(m.lastgroup), m.start(m.lastgroup)))
        i = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# -- the tree ------------------------------------------------------------------------------------

_BINARY = {  # operator -> (precedence, canonical spelling)
    "or": (1, "or"), "and": (2, "and"),
    "=": (4, "="), "!=": (4, "!="), "<>": (4, "!="), "<": (4, "<"), "<=": (4, "<="), ">": (4, ">"),
    ">=": (4, ">="),
    "+": (5, "+"), "-": (5, "-"), "||": (5, "||"), "*": (6, "*"), "/": (6, "/"), "%": (6, "%"),
}  # fmt: skip
_NODE: dict[str, type[exp.Expression]] = {
    "or": exp.Or, "and": exp.And, "=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT,
    ">=": exp.GTE, "+": exp.Add, "-": exp.Sub, "||": exp.DPipe, "*": exp.Mul, "/": exp.Div, "%": exp.Mod,
}  # fmt: skip
_COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})


def _at(node: exp.Expression, pos: int, name: str) -> exp.Expression:
    node.meta["position"] = pos
    node.meta["name"] = name
    return node


def _cast(node: exp.Expression, to: str, pos: int, name: str) -> exp.Expression:
    return _at(exp.Cast(this=node, to=exp.DataType.build(to)), pos, name)


def _round(args: list[exp.Expression], pos: int) -> exp.Expression:
    """``round(x)`` is a whole number, ``round(x, 2)`` a decimal, whatever ``x`` is."""
    if len(args) == 1:
        return _cast(_at(exp.Round(this=args[0]), pos, "round()"), "bigint", pos, "round()")
    digits = args[1]
    if not (isinstance(digits, exp.Literal) and not digits.is_string and str(digits.this).isdigit()):
        raise FormulaError("round()'s digits must be a whole number such as 2", digits.meta["position"])
    return _cast(_at(exp.Round(this=args[0], decimals=digits), pos, "round()"), "double", pos, "round()")


def _whole(
    kind: Callable[..., exp.Expression], name: str
) -> Callable[[list[exp.Expression], int], exp.Expression]:
    """``floor``/``ceil``: a whole number, as the language always gave."""
    return lambda a, pos: _cast(_at(kind(this=a[0]), pos, name), "bigint", pos, name)


Builder = Callable[[list[exp.Expression], int], exp.Expression]
FUNCTIONS: dict[str, tuple[int, int, Builder]] = {
    "upper": (1, 1, lambda a, pos: exp.Upper(this=a[0])),
    "lower": (1, 1, lambda a, pos: exp.Lower(this=a[0])),
    "trim": (1, 1, lambda a, pos: exp.Trim(this=a[0])),
    "length": (1, 1, lambda a, pos: exp.Length(this=a[0])),
    "str": (1, 1, lambda a, pos: exp.Cast(this=a[0], to=exp.DataType.build("text"))),
    "substr": (
        2,
        3,
        lambda a, pos: exp.Substring(this=a[0], start=a[1], length=a[2] if len(a) > 2 else None),
    ),
    "replace": (3, 3, lambda a, pos: exp.Replace(this=a[0], expression=a[1], replacement=a[2])),
    "concat": (1, 99, lambda a, pos: exp.Concat(expressions=a)),
    "coalesce": (1, 99, lambda a, pos: exp.Coalesce(this=a[0], expressions=a[1:])),
    "round": (1, 2, _round),
    "floor": (1, 1, _whole(exp.Floor, "floor()")),
    "ceil": (1, 1, _whole(exp.Ceil, "ceil()")),
    "abs": (1, 1, lambda a, pos: exp.Abs(this=a[0])),
    "if": (3, 3, lambda a, pos: exp.If(this=a[0], true=a[1], false=a[2])),
}


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its sqlglot tree, and the column names it reads with their positions."""

    text: str
    tree: exp.Expression
    columns: tuple[tuple[str, int], ...]


class _Parser:
    """Precedence climbing: or < and < not < comparisons < + - || < * / % < unary minus."""

    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0
        self.columns: list[tuple[str, int]] = []

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> Token:
        tok = self.take()
        if tok.text != text:
            raise FormulaError(f"expected '{text}', found {_shown(tok)}", tok.pos)
        return tok

    def parse(self) -> exp.Expression:
        tree = self.binary(1)
        if self.peek().kind != "end":
            raise FormulaError(f"unexpected {_shown(self.peek())}", self.peek().pos)
        return tree

    def binary(self, level: int) -> exp.Expression:
        left = self.unary(level)
        while True:
            tok = self.peek()
            key = tok.text.lower() if tok.kind == "name" else tok.text if tok.kind == "op" else None
            if key not in _BINARY or _BINARY[key][0] < level:
                return left
            prec, op = _BINARY[key]
            self.take()
            right = self.binary(prec + 1)
            name = f"the comparison '{op}'" if op in _COMPARISONS else f"'{op}'"
            left = _at(_NODE[op](this=left, expression=right), tok.pos, name)

    def unary(self, level: int) -> exp.Expression:
        tok = self.peek()
        if tok.kind == "name" and tok.text.lower() == "not" and level <= 3:
            self.take()
            return _at(exp.Not(this=self.binary(3)), tok.pos, "'not'")
        if tok.text == "-" and tok.kind == "op":
            self.take()
            return _at(exp.Neg(this=self.unary(7)), tok.pos, "'-'")
        return self.primary()

    def primary(self) -> exp.Expression:
        tok = self.take()
        if tok.kind == "number":
            return _at(exp.Literal.number(tok.text), tok.pos, tok.text)
        if tok.kind == "string":
            return _at(exp.Literal.string(tok.text[1:-1].replace("''", "'")), tok.pos, tok.text)
        if tok.kind == "quoted":
            return self.column(tok.text[1:-1].replace('""', '"'), tok)
        if tok.text == "(":
            inner = self.binary(1)
            self.expect(")")
            return inner
        if tok.kind == "name":
            word = tok.text.lower()
            if word == "null":
                return _at(exp.Null(), tok.pos, word)
            if word in ("true", "false"):
                return _at(exp.Boolean(this=word == "true"), tok.pos, word)
            if word in _KEYWORDS:
                raise FormulaError(f"unexpected '{tok.text}'", tok.pos)
            if self.peek().text == "(":
                return self.call(word, tok)
            return self.column(tok.text, tok)
        raise FormulaError(f"unexpected {_shown(tok)}", tok.pos)

    def column(self, name: str, tok: Token) -> exp.Expression:
        self.columns.append((name, tok.pos))
        return _at(exp.Column(this=exp.Identifier(this=name, quoted=True)), tok.pos, name)

    def call(self, name: str, tok: Token) -> exp.Expression:
        self.take()
        args: list[exp.Expression] = []
        if self.peek().text != ")":
            args.append(self.binary(1))
            while self.peek().text == ",":
                self.take()
                args.append(self.binary(1))
        self.expect(")")
        spec = FUNCTIONS.get(name)
        if spec is None:
            raise FormulaError(f"unknown function '{name}'", tok.pos, did_you_mean(name, FUNCTIONS))
        low, high, build = spec
        if not low <= len(args) <= high:
            count = f"{low}" if low == high else f"{low} to {high}" if high < 99 else f"at least {low}"
            raise FormulaError(f"{name}() takes {count} argument(s), got {len(args)}", tok.pos)
        node = build(args, tok.pos)
        return node if "position" in node.meta else _at(node, tok.pos, f"{name}()")


def _shown(tok: Token) -> str:
    return "end of the expression" if tok.kind == "end" else f"'{tok.text}'"


@cache
def parse_formula(text: str) -> Formula:
    """The parsed formula; raises :class:`FormulaError` with the position. Cached: the tree is
    shared, and nothing may change it."""
    if not text.strip():
        raise FormulaError("the expression is empty", 0)
    parser = _Parser(text)
    tree = parser.parse()
    return Formula(text, tree, tuple(parser.columns))


def _located(node: exp.Expression | None) -> exp.Expression | None:
    while node is not None and "position" not in node.meta:
        parent = node.parent
        node = parent if isinstance(parent, exp.Expression) else None
    return node


def compile_formula(formula: Formula, kinds: Mapping[str, Kind]) -> Node:
    """The formula compiled over columns of ``kinds``; a :class:`FormulaError` names the first
    operation whose operands do not fit, where it stands."""
    try:
        return Compiler(kinds, FORMULA).compile(formula.tree)
    except Unsupported as err:
        at = _located(err.node)
        pos = at.meta["position"] if at is not None else 0
        if isinstance(err, KindError) and at is not None:
            raise FormulaError(err.sentence(at.meta["name"]), pos) from None
        raise FormulaError(f"cannot compute {err}", pos) from None
