"""A model file is validated when it is loaded: each broken field is refused with its path in
the document (one line, a ModelError), and every model fitted from the sample datasets loads.
Each edit below was accepted before (generation ran with exit 0 or crashed mid-way)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import dbsynth
from dbsynth.errors import ModelError
from dbsynth.examples import build_shop
from dbsynth.model import Model

from conftest import DATASET_INFO

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Doc:
    path = build_shop(tmp_path_factory.mktemp("shop") / "shop.sqlite", customers=80)
    data: Doc = json.loads(dbsynth.fit(f"sqlite:///{path}").to_json())
    return data


def table(doc: Doc, name: str) -> Doc:
    found: Doc = next(t for t in doc["tables"] if t["table"] == name)
    return found


def column(doc: Doc, name: str, col: str) -> Doc:
    found: Doc = next(c for c in table(doc, name)["columns"] if c["name"] == col)
    return found


def model(doc: Doc, name: str, col: str) -> Doc:
    found: Doc = column(doc, name, col)["model"]
    return found


def relationship(doc: Doc, rid: str) -> Doc:
    found: Doc = next(r for r in doc["relationships"] if r["id"] == rid)
    return found


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


def _swap_grid(d: Doc) -> None:
    grid = model(d, "orders", "total")["grid"]
    grid[5], grid[6] = grid[6], grid[5]


def _empty_grid(d: Doc) -> None:
    model(d, "orders", "total")["grid"] = []


def _lower_above_upper(d: Doc) -> None:
    m = model(d, "orders", "total")
    m["lower"] = m["upper"] + 1


def _atoms_sum_to_3(d: Doc) -> None:
    model(d, "reviews", "rating")["atom_probs"] = [1.0, 1.0, 0.910448]


def _negative_children(d: Doc) -> None:
    relationship(d, "orders(customer_id)")["children"]["lower"] = -5


def _nan_children(d: Doc) -> None:
    relationship(d, "orders(customer_id)")["mean_children"] = float("nan")


def _huge_children(d: Doc) -> None:
    children = relationship(d, "orders(customer_id)")["children"]
    children["upper"] = 1e15
    children["grid"][-1] = 1e15


def _no_column_model(d: Doc) -> None:
    del column(d, "orders", "total")["model"]


def _no_column(d: Doc) -> None:
    t = table(d, "orders")
    t["columns"] = [c for c in t["columns"] if c["name"] != "total"]


def _duplicate_table(d: Doc) -> None:
    d["tables"].append(copy.deepcopy(d["tables"][0]))


def _null_row_count(d: Doc) -> None:
    table(d, "customers")["row_count"] = None


def _deep(d: Doc) -> None:
    d["warnings"] = nested(80)


def _text_null_rate(d: Doc) -> None:
    column(d, "customers", "tier")["null_rate"] = "0.1"


def _bool_seed(d: Doc) -> None:
    d.setdefault("settings", {})["seed"] = True


def _unknown_logical(d: Doc) -> None:
    orders = next(t for t in d["schema"]["tables"] if t["name"] == "orders")
    next(c for c in orders["columns"] if c["name"] == "status")["logical"] = "textual"


def _unknown_kind(d: Doc) -> None:
    model(d, "orders", "total")["kind"] = "numerc"


def _copula_dim(d: Doc) -> None:
    table(d, "orders")["copula"]["names"][0] = "nope"


def _fk_to_nowhere(d: Doc) -> None:
    orders = next(t for t in d["schema"]["tables"] if t["name"] == "orders")
    orders["foreign_keys"][0]["ref_table"] = "clients"


def _weekday_shares(d: Doc) -> None:
    model(d, "orders", "created_at")["weekday"] = [0.5] * 7


def _unknown_field(d: Doc) -> None:
    column(d, "orders", "total")["model"]["mean"] = 3


# edit -> the message after "model file '<path>': "
BROKEN: dict[str, tuple[Callable[[Doc], None], str]] = {
    "unsorted grid": (_swap_grid, "tables[5].columns.total.model.grid: not sorted (item 6 is"),
    "empty grid": (_empty_grid, "tables[5].columns.total.model.grid: is empty, but continuous is 1.0"),
    "lower above upper": (
        _lower_above_upper,
        "tables[5].columns.total.model.lower: 7528.312000000002 is above",
    ),
    "atoms sum to 3": (_atoms_sum_to_3, "tables[9].columns.rating.model.atom_probs: sum to 3, not 1"),
    "negative children": (_negative_children, "relationships[5].children.lower: -5 children is negative"),
    "NaN children": (_nan_children, "relationships[5].mean_children: nan is not a finite number"),
    "1e15 children": (
        _huge_children,
        "relationships[5].children.upper: 1e+15 children is more than the child table's 187 rows",
    ),
    "missing column model": (
        _no_column_model,
        "tables[5].columns.total.model: missing: a value column needs a column model",
    ),
    "missing column": (_no_column, "tables[5].columns: no column model for total (every column has one)"),
    "duplicate table": (_duplicate_table, "tables[10].table: addresses appears twice (also tables[0])"),
    "row_count null": (_null_row_count, "tables[2].row_count: expected an integer, got null"),
    "deeply nested": (_deep, "warnings[0][0]: nested more than 64 levels deep"),
    "text for a number": (_text_null_rate, "tables[2].columns.tier.null_rate: expected a number, got '0.1'"),
    "true for a seed": (_bool_seed, "settings.seed: expected an integer, got true"),
    "unknown logical type": (
        _unknown_logical,
        "schema.tables.orders.columns.status.logical: 'textual' is not one of 'integer',",
    ),
    "unknown model kind": (
        _unknown_kind,
        "tables[5].columns.total.model.kind: unknown column model kind 'numerc'. Did you mean 'numeric'?",
    ),
    "copula dimension": (_copula_dim, "tables[5].copula.names[0]: 'nope' is no dimension of orders"),
    "foreign key to no table": (
        _fk_to_nowhere,
        "schema.tables.orders.foreign_keys[0].ref_table: 'clients' is not a table of the schema",
    ),
    "weekday shares": (_weekday_shares, "tables[5].columns.created_at.model.weekday: sum to 3.5, not 1"),
    "unknown field": (
        _unknown_field,
        "tables[5].columns.total.model: unknown field(s) for NumericModel: mean",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_model_file_is_refused_with_the_path(shop: Doc, tmp_path: Path, case: str) -> None:
    edit, expected = BROKEN[case]
    doc = copy.deepcopy(shop)
    edit(doc)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelError) as refused:
        Model.load(path)
    message = str(refused.value)
    assert message.startswith(f"model file '{path}': {expected}"), message
    assert "\n" not in message


def test_the_messages_are_one_line_and_exact(shop: Doc, tmp_path: Path) -> None:
    doc = copy.deepcopy(shop)
    _swap_grid(doc)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelError) as refused:
        Model.load(path)
    grid = model(shop, "orders", "total")["grid"]
    assert str(refused.value) == (
        f"model file '{path}': tables[5].columns.total.model.grid: not sorted (item 6 is {grid[5]})"
    )


def test_a_file_too_deep_for_the_json_parser_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ModelError) as refused:
        Model.load(path)
    assert str(refused.value) == f"model file '{path}' is nested too deeply to be a model file"


def test_the_cli_refuses_it_in_one_line(shop: Doc, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dbsynth.cli import cli

    doc = copy.deepcopy(shop)
    _null_row_count(doc)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(cli, ["generate", str(path), f"sqlite:///{tmp_path / 'out.sqlite'}"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: model file '{path}': tables[2].row_count: expected an integer, got null"
    )
    assert not (tmp_path / "out.sqlite").exists()


@pytest.mark.parametrize("name", list(DATASET_INFO))
def test_every_model_fitted_from_the_datasets_loads(dataset_url: Callable[[str], str], name: str) -> None:
    fitted = dbsynth.fit(dataset_url(name), sample_rows=5_000)
    again = Model.from_data(json.loads(fitted.to_json()))
    assert again.to_json() == fitted.to_json()


EVERY_KIND = """
CREATE TABLE thing (
    id int PRIMARY KEY, doc jsonb, tags text[], token uuid, blob bytea, price numeric(8, 2),
    flag boolean, seen timestamptz, took interval, code text, note text
);
INSERT INTO thing
SELECT i, jsonb_build_object('a', i %% 7, 'b', ARRAY[i %% 3, i %% 5], 'c', 'x' || (i %% 4)),
       ARRAY['t' || (i %% 5), 't' || (i %% 3)], md5(i::text)::uuid, decode(md5(i::text), 'hex'),
       (i %% 97) * 1.25, i %% 3 = 0, timestamptz '2024-01-01' + i * interval '37 minutes',
       i * interval '1 second', 'AB-' || lpad((i %% 900)::text, 4, '0'),
       repeat('word ', 3 + i %% 9)
FROM generate_series(1, 600) i;
"""


def test_a_model_of_every_kind_loads(make_pg: Callable[[str], str]) -> None:
    fitted = dbsynth.fit(make_pg(EVERY_KIND), sample_rows=5_000)
    kinds = {(c.model or {}).get("kind") for t in fitted.tables for c in t.columns}
    assert {"json", "array", "uuid", "bytes", "temporal", "numeric", "boolean", "shape"} <= kinds
    assert Model.from_data(json.loads(fitted.to_json())).to_json() == fitted.to_json()
