"""Casts to a type whose name sqlglot reads as a keyword (earthdistance's ``'(0)'::cube``)."""

from __future__ import annotations

import pytest

from dbsynth.sqltext import SqlTextError, render


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("x::cube IS NOT NULL", 'x::"cube" IS NOT NULL'),
        ("CAST(x AS CUBE) IS NOT NULL", 'CAST(x AS "cube") IS NOT NULL'),
        ("x::public.cube IS NOT NULL", "x::public.cube IS NOT NULL"),
        ("x::int4 > 0", "x::int4 > 0"),
        ("x::timestamp with time zone", "x::timestamp with time zone"),
    ],
)
def test_cast_to_keyword_type_is_accepted(text: str, rendered: str) -> None:
    assert render(text, "expression", "postgresql") == rendered


@pytest.mark.parametrize("text", ["x::cube; DROP TABLE t", "x::select * from t"])
def test_cast_to_keyword_does_not_open_a_statement(text: str) -> None:
    with pytest.raises(SqlTextError, match="is not a single SQL expression"):
        render(text, "expression", "postgresql")
