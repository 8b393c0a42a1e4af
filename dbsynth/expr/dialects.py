"""How each language the engine reads evaluates the few things languages disagree on.

Dialect differences are data here, not branches in the compiler: the three SQL dialects whose
CHECKs dbsynth evaluates, and :data:`FORMULA`, the config's ``expression`` generator language
(``dbsynth.expr.formula``), which is typed (no implicit conversions) and never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class DialectRules:
    """One language's rules. The fields after ``date_plus_integer`` have defaults, so a rule
    added for one language leaves the others as they were."""

    sqlglot: str
    int_division: bool  # integer / integer truncates (PostgreSQL, SQLite); MySQL's / is exact
    division_by_zero: Literal["error", "null"]
    # MySQL's default collations compare case- and trailing-space-insensitively ('g' = 'G  ')
    fold_strings: bool
    like_ignores_case: bool  # SQLite (ASCII) and MySQL's default collations
    like_escape: str | None  # the default LIKE escape character; SQLite has none
    regex_ignores_case: bool  # MariaDB's REGEXP follows the collation too
    length_counts_bytes: bool  # MySQL's length() is octet_length(); char_length() counts characters
    date_plus_integer: bool  # PostgreSQL: date + 3 is three days later (MySQL makes a number of it)
    # PostgreSQL's char(n) (bpchar): trailing blanks are insignificant to comparisons and
    # functions ('M '::char(2) = 'M', upper() gives 'M'), but not to LIKE, regexes, octet_length
    blank_padded_char: bool = False
    concat_skips_null: bool = True  # concat('a', NULL) is 'a'; MySQL's is NULL
    # Where substr() starts when start < 1: PostgreSQL counts the positions before the string
    # against the length; MySQL and SQLite count a negative start from the end (and differ after)
    substr_style: Literal["postgresql", "mysql", "sqlite"] = "postgresql"
    raises: bool = True  # a bad row is an error (the database refuses it); the formula's never is
    # The formula language's typing: operands must already have the kinds an operation takes
    # (no string constant read as a number, no number as a condition, arithmetic on numbers only)
    typed: bool = False
    plus_joins_text: bool = False  # the formula's 'a' + 1 is 'a1'
    python_text: bool = False  # numbers and timestamps become text as Python prints them (2.0)


DIALECTS: dict[str, DialectRules] = {
    "postgresql": DialectRules(
        "postgres", True, "error", False, False, "\\", False, False, True, blank_padded_char=True
    ),
    # MariaDB's default sql_mode (STRICT_TRANS_TABLES, ERROR_FOR_DIVISION_BY_ZERO) refuses an
    # INSERT whose CHECK divides by zero; without it the quotient is NULL and the row passes.
    "mysql": DialectRules(
        "mysql",
        False,
        "error",
        True,
        True,
        "\\",
        True,
        True,
        False,
        concat_skips_null=False,
        substr_style="mysql",
    ),
    "sqlite": DialectRules(
        "sqlite", True, "null", False, True, None, False, False, False, substr_style="sqlite"
    ),
}
DIALECT_ALIASES = {"postgres": "postgresql", "mariadb": "mysql", "sqlite3": "sqlite"}

# The config's formula language: exact division, and NULL rather than an error on a zero
# divisor, because generated data must not stop a load over one row.
FORMULA = DialectRules(
    "postgres", False, "null", False, False, "\\", False, False, False, raises=False, typed=True,
    plus_joins_text=True, python_text=True,
)  # fmt: skip

_BPCHAR = re.compile(r"\s*(?:bpchar|char|character)\s*(?:\(\s*(\d+)\s*\))?\s*", re.IGNORECASE)


def blank_padded_length(sql_type: str) -> int | Literal[False] | None:
    """For PostgreSQL type text: the ``n`` of ``character(n)``/``char(n)`` (1 when omitted, as
    PostgreSQL reads ``character``), None for ``bpchar`` (padded to no length), False for any
    other type (``character varying`` included)."""
    m = _BPCHAR.fullmatch(sql_type)
    if m is None:
        return False
    if m[1]:
        return int(m[1])
    return None if sql_type.strip().lower() == "bpchar" else 1
