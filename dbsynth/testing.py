"""Conformance checks for column models, for plugin authors (and dbsynth's own models).

    from dbsynth.schema import Column, LogicalType
    from dbsynth.testing import check_generator

    def test_my_model_conforms(pg_url_with_my_extension):
        column = Column("shape", "geometry(Point,4326)", LogicalType.OTHER, nullable=False)
        check_generator(MyModel, column, values_for_fit=sample_values, url=pg_url_with_my_extension)

:func:`check_generator` fits the model (when given a class), then checks what the engine relies
on, raising ``AssertionError`` with a message naming the failed rule:

1. the model is registered under its kind and survives the model file (``encode`` -> JSON ->
   ``decode`` gives an equal model);
2. ``to_uniform`` maps the fit values to as many floats strictly inside (0, 1);
3. ``from_uniform`` returns ``n`` values, and the same uniforms and the same ``rng`` seed give
   the same values (no hidden random state), while other seeds give other values whenever the
   model produces more than one value (it does not ignore the randomness it is handed);
4. no NULL for a NOT NULL column: NULLs are the engine's business (it applies the column's null
   rate), a model that returns one would break the constraint;
5. strings (and bytes) are no longer than ``column.length``;
6. every value passes ``validate`` (a callable returning False or raising for a bad value)
   and, with ``url``, is accepted by a real database: the values are encoded exactly as the
   writers encode them and loaded into a temporary table of ``column.sql_type``, in a transaction
   that is rolled back. The URL's database must speak the column's dialect and know its type
   (an extension type needs the extension installed there).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from dbsynth.columns.base import ColumnModel, FitContext, decode, encode, registered_kinds
from dbsynth.schema import Column

CHECK_TABLE = "dbsynth_conformance"
SHOWN = 80  # characters of a value shown in a failure message

Validator = Callable[[Any], object]


def check_generator(
    model_or_cls: ColumnModel | type[ColumnModel],
    column: Column,
    values_for_fit: Sequence[Any] | pd.Series | None = None,
    n: int = 1000,
    *,
    validate: Validator | None = None,
    url: str | None = None,
    seed: int = 0,
    ctx: FitContext | None = None,
) -> pd.Series:
    """Check a column model against dbsynth's contract (module doc) and return the ``n`` values
    it generated under ``seed``, for further assertions of the caller's own.

    ``model_or_cls`` is a fitted model, or a model class to fit on ``values_for_fit`` (no NULLs;
    an empty fit when None) with ``ctx`` (default ``FitContext()``).
    """
    fit_values = pd.Series([] if values_for_fit is None else list(values_for_fit), dtype=object)
    model = _fitted(model_or_cls, column, fit_values, ctx or FitContext())
    name = f"column model '{model.kind}' ({type(model).__name__}) for {column.name} {column.sql_type}"
    _check_registered(model, name)
    if len(fit_values):
        _check_to_uniform(model, fit_values, seed, name)
    values = _generate(model, n, seed)
    if len(values) != n:
        raise AssertionError(f"{name} returned {len(values)} values for {n} uniforms")
    again = _generate(model, n, seed)
    row = _first_difference(values, again)
    if row is not None:
        raise AssertionError(
            f"{name} is not deterministic: the same uniforms and rng seed gave {_show(values[row])} "
            f"then {_show(again[row])} at row {row} (hidden random state?)"
        )
    if (
        len({_key(v) for v in values}) > 1
        and _first_difference(values, _generate(model, n, seed + 1)) is None
    ):
        raise AssertionError(
            f"{name} gave the same values under seeds {seed} and {seed + 1}: it ignores the uniforms "
            "and the rng it is given"
        )
    _check_values(values, column, name, validate)
    if url is not None:
        load_into_database(url, column, values, name)
    return pd.Series(values, dtype=object)


def _fitted(
    model_or_cls: ColumnModel | type[ColumnModel], column: Column, values: pd.Series, ctx: FitContext
) -> ColumnModel:
    if isinstance(model_or_cls, ColumnModel):
        return model_or_cls
    if not (isinstance(model_or_cls, type) and issubclass(model_or_cls, ColumnModel)):
        raise TypeError(f"check_generator needs a ColumnModel or its class, not {model_or_cls!r}")
    model = model_or_cls.fit(values, column, ctx)
    if not isinstance(model, model_or_cls):
        raise AssertionError(f"{model_or_cls.__name__}.fit returned a {type(model).__name__}")
    return model


def _check_registered(model: ColumnModel, name: str) -> None:
    if registered_kinds().get(model.kind) is not type(model):
        raise AssertionError(
            f"{name} is not registered under its kind: decorate the class with "
            "@dbsynth.columns.base.register(kind) and declare it under the dbsynth.generators entry point"
        )
    text = json.dumps(encode(model), allow_nan=False)
    back = decode(json.loads(text))
    if back != model:
        raise AssertionError(f"{name} does not survive the model file: {text[:200]} reads back as {back!r}")


def _check_to_uniform(model: ColumnModel, values: pd.Series, seed: int, name: str) -> None:
    u = np.asarray(model.to_uniform(values, np.random.default_rng(seed)), dtype=np.float64)
    if u.shape != (len(values),):
        raise AssertionError(f"{name}: to_uniform returned shape {u.shape} for {len(values)} values")
    outside = np.flatnonzero(~((u > 0) & (u < 1)))
    if outside.size:
        i = int(outside[0])
        raise AssertionError(
            f"{name}: to_uniform sent {_show(values.iloc[i])} to {float(u[i])!r}, "
            "outside the open interval (0, 1)"
        )


def _generate(model: ColumnModel, n: int, seed: int) -> list[Any]:
    """``from_uniform`` under ``seed``: the uniforms and the model's rng both come from it, the way
    the engine derives every stream from the plan's seed."""
    streams = np.random.SeedSequence(seed).spawn(2)
    u = np.random.default_rng(streams[0]).random(n)
    return list(pd.Series(model.from_uniform(u, np.random.default_rng(streams[1])), dtype=object))


def _check_values(values: list[Any], column: Column, name: str, validate: Validator | None) -> None:
    for i, value in enumerate(values):
        if _is_null(value):
            if not column.nullable:
                raise AssertionError(
                    f"{name} returned NULL at row {i} for a NOT NULL column; NULLs are the engine's "
                    "business (the column's null rate), a model returns values only"
                )
            continue
        size = len(value) if isinstance(value, str | bytes) else None
        if column.length is not None and size is not None and size > column.length:
            unit = "characters" if isinstance(value, str) else "bytes"
            raise AssertionError(
                f"{name} returned a value of {size} {unit} at row {i}, longer than the column's length "
                f"{column.length}: {_show(value)}"
            )
        if validate is not None:
            try:
                ok = validate(value)
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                raise AssertionError(
                    f"{name} returned an invalid value at row {i}: {_show(value)} ({reason})"
                ) from None
            if ok is False:
                raise AssertionError(f"{name} returned an invalid value at row {i}: {_show(value)}")


def load_into_database(url: str, column: Column, values: Sequence[Any], name: str | None = None) -> None:
    """Load ``values`` into a temporary table of ``column.sql_type`` at ``url`` the way the
    writers would (PostgreSQL COPY text, MySQL/SQLite executemany values), then roll back.
    A value the database rejects raises ``AssertionError`` with the database's message."""
    from dbsynth.db import backend, connect, parse_url

    kind = backend(parse_url(url))
    loaders = {"postgresql": _load_postgres, "mysql": _load_mysql, "sqlite": _load_sqlite}
    col = replace(column, name="v", nullable=True, default=None, identity=None, generated=None)
    frame = pd.DataFrame({"v": pd.Series(list(values), dtype=object)})
    with connect(url) as conn:
        try:
            loaders[kind](conn, col, frame)
        except Exception as exc:
            orig = getattr(exc, "orig", None) or exc
            message = " ".join(str(orig).split())[:400]
            what = name or f"column {column.name}"
            raise AssertionError(
                f"the {kind} database did not accept the values of {what} ({column.sql_type}): {message}"
            ) from None
        finally:
            conn.rollback()


def _load_postgres(conn: Any, column: Column, frame: pd.DataFrame) -> None:
    from dbsynth.writing.encode import copy_csv

    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {CHECK_TABLE} (v {column.sql_type})")
    raw = conn.connection.driver_connection  # psycopg: COPY as the PostgreSQL writer sends it
    with raw.cursor() as cur, cur.copy(f"COPY {CHECK_TABLE} (v) FROM STDIN (FORMAT csv)") as copy:
        copy.write(copy_csv(frame, [column]))


def _load_mysql(conn: Any, column: Column, frame: pd.DataFrame) -> None:
    from dbsynth.writing.encode import MYSQL_VALUES, python_rows
    from dbsynth.writing.mysql import SESSION_SQL

    for statement in SESSION_SQL:  # strict mode: a bad value is an error, not a warning
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {CHECK_TABLE} (v {column.sql_type})")
    with conn.connection.driver_connection.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {CHECK_TABLE} (v) VALUES (%s)", python_rows(frame, [column], MYSQL_VALUES)
        )


def _load_sqlite(conn: Any, column: Column, frame: pd.DataFrame) -> None:
    from dbsynth.writing.encode import SQLITE_VALUES, python_rows

    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {CHECK_TABLE} (v {column.sql_type})")
    conn.connection.driver_connection.executemany(
        f"INSERT INTO {CHECK_TABLE} (v) VALUES (?)", python_rows(frame, [column], SQLITE_VALUES)
    )


def _is_null(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _key(value: Any) -> str:
    """A comparable form of a generated value (NaN equals NaN, lists and dicts by content)."""
    return "<NULL>" if _is_null(value) else f"{type(value).__name__}:{value!r}"


def _first_difference(a: list[Any], b: list[Any]) -> int | None:
    if len(a) != len(b):
        return min(len(a), len(b))
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=True)) if _key(x) != _key(y)), None)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


__all__ = ["check_generator", "load_into_database"]
