"""Pattern matching: ``LIKE``/``ILIKE`` (with ``ESCAPE``) and regular expressions (``~``, ``REGEXP``).

Patterns must be constants; they are translated to Python ``re`` once. A regex feature Python
spells differently (``\\m``, ``\\y``) makes ``re.compile`` fail, and the expression is left to
the database. A blank-padded ``char(n)`` is matched as stored, blanks included, as PostgreSQL does.
"""

from __future__ import annotations

import re

import numpy as np
from sqlglot import exp

from dbsynth.expr.handler import Compiling, Handler
from dbsynth.expr.logic import not_
from dbsynth.expr.values import Env, Kind, Node, Unsupported, Vec, vec

_POSIX_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": r"\s",
    "blank": r" \t",
    "xdigit": "0-9A-Fa-f",
    "word": r"\w",
    "punct": r"!-/:-@\[-`{-~",
}


def like_regex(pattern: str, escape: str | None) -> str:
    """A LIKE pattern as an anchored Python regex: ``%`` any run, ``_`` one character."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if escape and ch == escape and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return "".join(out)


def posix_regex(pattern: str) -> str:
    """PostgreSQL/MySQL regex text in Python's dialect: POSIX classes ``[[:digit:]]`` spelled out.
    What remains different (``\\m``, ``\\y``) makes ``re.compile`` fail: left to the database."""
    return re.sub(r"\[:(\w+):\]", lambda m: _POSIX_CLASSES.get(m[1], m[0]), pattern)


def _matcher(c: Compiling, subject: Node, regex: str | None, flags: int, fullmatch: bool) -> Node:
    if regex is None:
        return c.const(Kind.BOOL, None)
    try:
        rx = re.compile(regex, flags)
    except re.error as err:
        raise Unsupported(f"the regular expression '{regex}' ({err})") from None
    test = rx.fullmatch if fullmatch else rx.search
    stored = subject.padded or subject.fn

    def run(env: Env) -> Vec:
        v = stored(env)
        hit = np.fromiter((test(s) is not None for s in v.values), dtype=bool, count=env.n)
        return vec(Kind.BOOL, hit, v.null)

    return Node(Kind.BOOL, run, subject.columns)


def _like(c: Compiling, e: exp.Like | exp.ILike, escape: str | None = None) -> Node:
    pattern = c.constant_text(e.expression, "LIKE")
    esc = escape if escape is not None else c.rules.like_escape
    ignore_case = isinstance(e, exp.ILike) or c.rules.like_ignores_case
    regex = None if pattern is None else like_regex(pattern, esc)
    node = _matcher(c, c.text(e.this), regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0), True)
    return c.map(Kind.BOOL, not_, node) if e.args.get("negate") else node


def _escape(c: Compiling, e: exp.Escape) -> Node:
    if not isinstance(e.this, exp.Like | exp.ILike):
        raise Unsupported(f"ESCAPE on {c.describe(e.this)}")
    return _like(c, e.this, c.constant_text(e.expression, "ESCAPE") or "")


def _regex(c: Compiling, e: exp.RegexpLike | exp.RegexpILike) -> Node:
    flag = e.args.get("flag")
    flags = str(flag.name) if isinstance(flag, exp.Literal) else ""
    ignore_case = (isinstance(e, exp.RegexpILike) or c.rules.regex_ignores_case or "i" in flags) and (
        "c" not in flags
    )
    pattern = c.constant_text(e.expression, "regular expression")
    regex = None if pattern is None else posix_regex(pattern)
    return _matcher(c, c.text(e.this), regex, re.IGNORECASE if ignore_case else 0, False)


HANDLERS: dict[type[exp.Expression], Handler] = {
    exp.Like: _like,
    exp.ILike: _like,
    exp.Escape: _escape,
    exp.RegexpLike: _regex,
    exp.RegexpILike: _regex,
}
