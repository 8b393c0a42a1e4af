"""JSON documents, arrays, MySQL SETs, UUIDs and byte strings (fixed seeds; tolerances per test)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from scipy import stats

from dbsynth.columns.base import ColumnModel, FitContext, decode, encode
from dbsynth.columns.categorical import CategoricalModel
from dbsynth.columns.numeric import NumericModel
from dbsynth.columns.simple import BytesModel, UuidModel
from dbsynth.columns.structured import MAX_DEPTH, ArrayModel, JsonModel, SetModel
from dbsynth.schema import Column, LogicalType

CTX = FitContext(min_count=5, seed=2)
JSONB = Column("profile", "jsonb", LogicalType.JSON)
TAGS = Column(
    "tags", "text[]", LogicalType.ARRAY, element=LogicalType.TEXT, element_sql_type="text", array_dims=1
)
SCORES = Column(
    "scores", "integer[]", LogicalType.ARRAY, element=LogicalType.INTEGER, element_sql_type="integer"
)
FEATURES = ("Trailers", "Commentaries", "Deleted Scenes", "Behind the Scenes")
SET = Column("special_features", "set('Trailers',…)", LogicalType.SET, enum_labels=FEATURES)
SECRET = "Jane Q. Customer, 12 Secret Lane"


def json_roundtrip(model: ColumnModel) -> ColumnModel:
    return decode(json.loads(json.dumps(encode(model))))


def sample(model: ColumnModel, n: int, seed: int = 1) -> Any:
    rng = np.random.default_rng(seed)
    return model.from_uniform(rng.random(n), rng)


def planted_documents(n: int = 5000, seed: int = 0) -> list[dict[str, Any]]:
    """Keys with planted presence: plan 100 %, tags 60 %, address 30 % (city, zip), active 50 %."""
    rng = np.random.default_rng(seed)
    docs: list[dict[str, Any]] = []
    for _ in range(n):
        doc: dict[str, Any] = {
            "id": int(rng.integers(1, 10_000)),
            "plan": str(rng.choice(["free", "pro", "team"])),
        }
        if rng.random() < 0.6:
            doc["tags"] = [str(t) for t in rng.choice(["a", "b", "c"], size=int(rng.integers(0, 4)))]
        if rng.random() < 0.3:
            doc["address"] = {
                "city": str(rng.choice(["Paris", "Oslo"])),
                "zip": f"{rng.integers(10_000, 99_999)}",
            }
        if rng.random() < 0.5:
            doc["active"] = bool(rng.random() < 0.8)
        docs.append(doc)
    docs[0]["plan"] = SECRET  # a rare string value
    docs[1]["ssn-of-bob"] = "123-45-6789"  # a rare key
    return docs


def test_json_keys_presence_and_value_types_are_recovered() -> None:
    source = planted_documents()
    model = JsonModel.fit(pd.Series(source, dtype=object), JSONB, CTX)
    text = json.dumps(encode(model))
    assert SECRET not in text and "ssn-of-bob" not in text and "123-45-6789" not in text
    out = list(sample(model, 20_000))
    assert all(isinstance(d, dict) for d in out)

    def presence(docs: list[dict[str, Any]], key: str) -> float:
        return sum(key in d for d in docs) / len(docs)

    for key in ("id", "plan", "tags", "address", "active"):
        assert abs(presence(out, key) - presence(source, key)) < 0.02  # tolerance ±2 points
    assert all(isinstance(d["id"], int) and 1 <= d["id"] < 10_000 for d in out)
    plans = Counter(d["plan"] for d in out)
    assert SECRET not in plans and {"free", "pro", "team"} <= set(plans)
    # the pooled 0.02 % comes back as new strings shaped like the kept plans
    assert sum(c for p, c in plans.items() if p not in ("free", "pro", "team")) < 20
    assert all(p.isalpha() and p.islower() and 3 <= len(p) <= 4 for p in plans)
    addresses = [d["address"] for d in out if "address" in d]
    assert {a["city"] for a in addresses} == {"Paris", "Oslo"}
    assert all(len(a["zip"]) == 5 and a["zip"].isdigit() for a in addresses)  # a shape, not a value
    actives = [d["active"] for d in out if "active" in d]
    assert abs(np.mean(actives) - 0.8) < 0.02
    lengths = Counter(len(d["tags"]) for d in out if "tags" in d)
    assert set(lengths) == {0, 1, 2, 3}
    assert model.describe() == (
        "json: object 100%; keys id (100%), plan (100%), tags (59%), address (30%), active (52%)"
    )


def test_json_text_from_mysql_and_sqlite_is_parsed_and_depth_is_bounded() -> None:
    deep: Any = 1
    for _ in range(MAX_DEPTH + 3):
        deep = {"next": deep}
    model = JsonModel.fit(pd.Series([json.dumps(deep)] * 10 + ["[1, 2, 3]"] * 10), JSONB, CTX)
    out = list(sample(model, 200))
    assert {type(d) for d in out} == {dict, list}
    nested = next(d for d in out if isinstance(d, dict))
    depth = 0
    while isinstance(nested, dict) and "next" in nested:
        nested, depth = nested["next"], depth + 1
    assert depth == MAX_DEPTH and nested == {}
    assert all(set(d) <= {1, 2, 3} for d in out if isinstance(d, list))


def test_arrays_keep_length_distribution_empty_share_and_elements() -> None:
    rng = np.random.default_rng(3)
    lengths = np.where(rng.random(8000) < 0.25, 0, rng.integers(1, 6, 8000))
    arrays = [list(rng.choice(["red", "green", "blue"], size=k, p=[0.5, 0.3, 0.2])) for k in lengths]
    arrays[0] = ["a-rare-tag"]
    model = ArrayModel.fit(pd.Series(arrays, dtype=object), TAGS, CTX)
    assert "a-rare-tag" not in json.dumps(encode(model))
    assert isinstance(model.element_model(), CategoricalModel)
    out = sample(model, 20_000)
    out_lengths = np.array([len(a) for a in out])
    assert abs(np.mean(out_lengths == 0) - np.mean(lengths == 0)) < 0.02
    assert stats.ks_2samp(out_lengths, lengths, method="asymp").statistic < 0.03
    flat = Counter(e for a in out for e in a)
    total = sum(flat.values())
    assert abs(flat["red"] / total - 0.5) < 0.02 and "a-rare-tag" not in flat
    assert all(type(e) is str for a in out[:100] for e in a)


def test_integer_arrays_with_null_elements_and_text_literals() -> None:
    rng = np.random.default_rng(4)
    arrays = [[int(v) if rng.random() > 0.1 else None for v in rng.poisson(50, 4)] for _ in range(3000)]
    literal = pd.Series(["{1,2,3}", "{}", "[4, 5]"] * 5)
    model = ArrayModel.fit(pd.Series(arrays, dtype=object), SCORES, CTX)
    assert isinstance(model.element_model(), NumericModel)
    out = sample(model, 5000)
    flat = [e for a in out for e in a]
    assert abs(sum(e is None for e in flat) / len(flat) - 0.1) < 0.02
    assert all(type(e) is int for e in flat if e is not None)
    from_text = ArrayModel.fit(literal, SCORES, CTX)
    assert sorted({len(a) for a in sample(from_text, 500)}) == [0, 2, 3]
    assert model.describe().startswith("array, length: integer, 4–4")


def test_untyped_arrays_infer_their_element_type_from_the_values() -> None:
    days = [[dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in range(k)] for k in range(1, 6)] * 20
    model = ArrayModel.fit(pd.Series(days, dtype=object), Column("days", "date[]", LogicalType.ARRAY), CTX)
    assert model.element["kind"] == "temporal"
    assert all(type(e) is dt.date for a in sample(model, 100) for e in a)


def test_set_labels_come_from_the_data_when_the_schema_has_none() -> None:
    model = SetModel.fit(pd.Series([{"b", "a"}] * 6 + [{"c"}] * 2), Column("s", "set", LogicalType.SET), CTX)
    assert model.labels == ("a", "b") and model.combos == (3,)
    out = pd.Series(sample(model, 4000)).value_counts(normalize=True)
    assert set(out.index) <= {"", "a", "b", "a,b"}  # the rare label 'c' is never written
    assert abs(out["a,b"] - (0.75 + 0.25 * 0.75**2)) < 0.03  # kept combination + pooled draws


def test_set_combinations_and_label_order() -> None:
    values = ["Trailers,Commentaries"] * 300 + ["Deleted Scenes"] * 200 + ["Trailers"] * 100 + [""] * 50
    values += ["Commentaries,Behind the Scenes"] * 3  # a rare combination
    model = SetModel.fit(pd.Series(values), SET, CTX)
    assert model.combos == (0, 1, 3, 4)  # bitmasks: '', Trailers, Trailers+Commentaries, Deleted Scenes
    out = pd.Series(sample(model, 20_000)).value_counts(normalize=True)
    assert abs(out["Trailers,Commentaries"] - 300 / 653) < 0.02
    assert abs(out[""] - 50 / 653) < 0.01
    for value in out.index:  # labels in declaration order, each at most once
        labels = [x for x in value.split(",") if x]
        assert labels == [f for f in FEATURES if f in labels]
    u = model.to_uniform(
        pd.Series(["", "Trailers", "Trailers,Commentaries", "Deleted Scenes"]), np.random.default_rng(5)
    )
    assert np.all(np.diff(u) > 0)  # MySQL's own order: the bitmask value
    assert model.describe() == (
        "set of 4 labels (Trailers 61%, Commentaries 46%, Deleted Scenes 31%, Behind the Scenes 0%); "
        "4 frequent combinations"
    )


def test_uuids_are_fresh_unique_and_keep_version_and_form() -> None:
    native = pd.Series([uuid.uuid4() for _ in range(200)])
    model = UuidModel.fit(native, Column("id", "uuid", LogicalType.UUID), CTX)
    assert model.version == 4 and model.form == "uuid"
    out = sample(model, 100_000)
    assert len({u.int for u in out}) == 100_000
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 for u in out[:1000])
    assert not {u.int for u in native} & {u.int for u in out}
    u = model.to_uniform(pd.Series(out[:5000]), np.random.default_rng(6))
    assert stats.kstest(u, "uniform").statistic < 0.03
    again = model.from_uniform(np.sort(u), np.random.default_rng(7))
    assert [x.int for x in again] == sorted(x.int for x in again)  # monotone in the uniform

    upper = UuidModel.fit(
        pd.Series([str(uuid.uuid4()).upper() for _ in range(20)]),
        Column("id", "char(36)", LogicalType.STRING),
        CTX,
    )
    assert upper.form == "upper" and all(v == v.upper() and len(v) == 36 for v in sample(upper, 10))
    hexed = UuidModel.fit(
        pd.Series([uuid.uuid4().hex for _ in range(20)]), Column("id", "char(32)", LogicalType.STRING), CTX
    )
    assert hexed.form == "hex" and all(len(v) == 32 for v in sample(hexed, 10))
    random_ids = UuidModel.fit(
        pd.Series([uuid.UUID(int=int(i) << 64) for i in range(1, 40)]),
        Column("id", "uuid", LogicalType.UUID),
        CTX,
    )
    assert random_ids.version == 0 and random_ids.describe() == "uuid, random unversioned (uuid)"


def test_bytes_keep_their_length_distribution_not_their_content() -> None:
    rng = np.random.default_rng(8)
    blobs = [rng.bytes(int(k)) for k in np.where(rng.random(3000) < 0.2, 16, rng.integers(0, 200, 3000))]
    model = BytesModel.fit(pd.Series(blobs, dtype=object), Column("picture", "bytea", LogicalType.BYTES), CTX)
    out = sample(model, 10_000)
    assert all(isinstance(b, bytes) for b in out)
    lengths = np.array([len(b) for b in out])
    assert abs(np.mean(lengths == 16) - np.mean([len(b) == 16 for b in blobs])) < 0.02
    assert not set(blobs) & set(out.tolist())
    assert model.describe().startswith("bytes, random content, length: integer, ")


def test_encode_decode_round_trips_exactly() -> None:
    models: list[ColumnModel] = [
        JsonModel.fit(pd.Series(planted_documents(800), dtype=object), JSONB, CTX),
        JsonModel.fit(pd.Series([], dtype=object), JSONB, CTX),
        ArrayModel.fit(pd.Series([["x", "y"], [], ["x"]] * 10, dtype=object), TAGS, CTX),
        ArrayModel.fit(pd.Series([[1, 2], [3]] * 10, dtype=object), SCORES, CTX),
        SetModel.fit(pd.Series(["Trailers"] * 9 + [""] * 9), SET, CTX),
        UuidModel.fit(
            pd.Series([uuid.uuid4() for _ in range(10)]), Column("id", "uuid", LogicalType.UUID), CTX
        ),
        BytesModel.fit(pd.Series([b"ab", b"abc"] * 5), Column("b", "bytea", LogicalType.BYTES), CTX),
    ]
    for model in models:
        assert json_roundtrip(model) == model
    assert models[1].describe() == "json: no documents"


@pytest.mark.postgres
def test_fits_postgres_jsonb_uuid_and_bytea_as_psycopg_returns_them(make_pg) -> None:  # type: ignore[no-untyped-def]
    url = make_pg(
        """
        CREATE TABLE doc (
            id uuid NOT NULL DEFAULT gen_random_uuid(), body jsonb NOT NULL, blob bytea NOT NULL
        );
        INSERT INTO doc (body, blob)
        SELECT jsonb_build_object('n', mod(i, 7), 'kind', CASE WHEN mod(i, 3) = 0 THEN 'a' ELSE 'b' END)
               || CASE WHEN mod(i, 2) = 0 THEN '{"flag": true}'::jsonb ELSE '{}'::jsonb END,
               decode(repeat('ab', mod(i, 5)), 'hex')
        FROM generate_series(1, 600) AS i;
        """
    )
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, body, blob FROM doc").fetchall()
    engine.dispose()
    ids, bodies, blobs = (pd.Series(list(col), dtype=object) for col in zip(*rows, strict=True))
    assert isinstance(ids[0], uuid.UUID) and isinstance(bodies[0], dict) and isinstance(blobs[0], bytes)
    body = JsonModel.fit(bodies, JSONB, CTX)
    assert body.describe() == "json: object 100%; keys n (100%), kind (100%), flag (50%)"
    docs = list(sample(body, 3000))
    assert {d["kind"] for d in docs} == {"a", "b"} and {d["n"] for d in docs} <= set(range(7))
    ident = UuidModel.fit(ids, Column("id", "uuid", LogicalType.UUID), CTX)
    assert ident.version == 4 and isinstance(sample(ident, 1)[0], uuid.UUID)
    blob = BytesModel.fit(blobs, Column("blob", "bytea", LogicalType.BYTES), CTX)
    assert {len(b) for b in sample(blob, 2000)} == {0, 1, 2, 3, 4}


@pytest.mark.postgres
def test_fits_pagila_special_features_arrays(dataset_url) -> None:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(dataset_url("pagila"), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        arrays = pd.Series(
            [r[0] for r in conn.exec_driver_sql("SELECT special_features FROM film")], dtype=object
        )
    engine.dispose()
    assert isinstance(arrays[0], list)
    model = ArrayModel.fit(
        arrays, Column("special_features", "text[]", LogicalType.ARRAY, element=LogicalType.TEXT), CTX
    )
    out = sample(model, 5000)
    assert {e for a in out for e in a} == set(FEATURES)
    src = Counter(len(a) for a in arrays)
    got = Counter(len(a) for a in out)
    for k, c in src.items():
        assert abs(got[k] / 5000 - c / len(arrays)) < 0.03


@pytest.mark.mysql
def test_fits_sakila_mysql_special_features_set_and_mariadb_json(dataset_url, make_mysql) -> None:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(dataset_url("sakila_mysql"), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        features = pd.Series([r[0] for r in conn.exec_driver_sql("SELECT special_features FROM film")])
    engine.dispose()
    assert isinstance(features[0], str)
    model = SetModel.fit(features, SET, CTX)
    source = features.value_counts(normalize=True)
    out = pd.Series(sample(model, 20_000)).value_counts(normalize=True)
    assert (source - out.reindex(source.index, fill_value=0.0)).abs().max() < 0.02

    url = make_mysql(
        "CREATE TABLE ev (payload JSON NOT NULL);"
        + "INSERT INTO ev VALUES "
        + ", ".join(
            f'(\'{{"level": "{"warn" if i % 4 else "error"}", "code": {i % 3}}}\')' for i in range(40)
        )
    )
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        payloads = pd.Series([r[0] for r in conn.exec_driver_sql("SELECT payload FROM ev")])
    engine.dispose()
    assert isinstance(payloads[0], str)
    docs = list(sample(JsonModel.fit(payloads, JSONB, CTX), 400))
    assert {d["level"] for d in docs} == {"warn", "error"} and {d["code"] for d in docs} == {0, 1, 2}
