"""``fit --holdout F`` and the report's membership tests against the held-out rows.

The model keeps keyed hashes of the held-out rows, never their values; those rows reach no part
of the fit; dbsynth's own clone passes the membership tests, and a target made of the training
rows themselves fails them (AUC near 1, exact repeats of training rows only, exit status 1).
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import dbsynth
from dbsynth.cli import cli
from dbsynth.errors import UsageError
from dbsynth.examples.shop import build_shop
from dbsynth.introspection import introspect
from dbsynth.model import Model
from dbsynth.report.membership import auc, held_rows
from dbsynth.sampling.sampler import sample_database


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shop(tmp_path_factory.mktemp("shop") / "shop.sqlite", seed=0, customers=500)


@pytest.fixture(scope="module")
def shop_model(shop: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "shop.model.json"
    dbsynth.fit(f"sqlite:///{shop}", holdout=0.2).save(path)
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), prog_name="dbsynth", terminal_width=200)
    return result.exit_code, result.output


def _held_keys(url: str, model: Model) -> dict[str, list[tuple[int, ...]]]:
    """The keys of the rows ``model`` held out, found in the database at ``url`` by hash."""
    assert model.holdout is not None
    sample = sample_database(url, introspect(url), sample_rows=1_000_000)
    out = {}
    for record in model.holdout.tables:
        frame = sample.frames[record.table]
        mask = held_rows(frame, record, model.holdout.salt)
        assert mask is not None
        rows = frame.loc[mask, list(record.key)].astype(object).itertuples(index=False)
        out[record.table] = [tuple(int(v) for v in row) for row in rows]
    return out


# -- the model file -----------------------------------------------------------------------------


def test_the_model_file_holds_keyed_hashes_of_the_held_out_rows_not_their_values(
    shop: Path, shop_model: Path
) -> None:
    url = f"sqlite:///{shop}"
    model = Model.load(shop_model)
    holdout = model.holdout
    assert holdout is not None and holdout.fraction == 0.2
    assert re.fullmatch(r"[0-9a-f]{32}", holdout.salt)
    customers = holdout.table("customers")
    assert customers is not None and customers.key == ("customer_id",)
    # A fifth of the root rows, and every hash a 128-bit hex digest.
    assert customers.rows_held_out == 100 and customers.rows_fitted == 400
    assert all(re.fullmatch(r"[0-9a-f]{32}", h) for h in customers.hashes)
    # Each held-out row is found again by its hash; descendants follow their owner.
    keys = _held_keys(url, model)
    assert len(keys["customers"]) == 100
    held_ids = sorted(k for (k,) in keys["customers"])
    marks = ",".join("?" * len(held_ids))
    with sqlite3.connect(shop) as db:
        owned = {
            o for (o,) in db.execute(f"SELECT order_id FROM orders WHERE customer_id IN ({marks})", held_ids)
        }
        emails = [
            e for (e,) in db.execute(f"SELECT email FROM customers WHERE customer_id IN ({marks})", held_ids)
        ]
    assert {o for (o,) in keys["orders"]} == owned
    # No value of a held-out row is in the file: not its key, not its e-mail.
    text = shop_model.read_text()
    assert not any(e in text for e in emails)
    hashes = set(customers.hashes)
    # Keyed: another salt gives other hashes for the same keys.
    other = dbsynth.fit(url, holdout=0.2).holdout
    assert other is not None and other.salt != holdout.salt
    assert set(other.table("customers").hashes).isdisjoint(hashes)  # type: ignore[union-attr]


def test_held_out_rows_reach_no_part_of_the_fit(make_sqlite: Callable[[str], str]) -> None:
    """A plan and an invoice status that only held-out accounts have are not in the model; they
    are in it without --holdout (so the test can fail)."""
    rows = ["CREATE TABLE accounts (id INTEGER PRIMARY KEY, plan TEXT NOT NULL, balance REAL);"]
    rows.append(
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL "
        "REFERENCES accounts(id), status TEXT NOT NULL, amount REAL);"
    )
    rng = np.random.default_rng(3)
    for i in range(1, 301):
        rows.append(
            f"INSERT INTO accounts VALUES ({i}, '{['basic', 'plus'][i % 2]}', {rng.gamma(2, 50):.2f});"
        )
        for j in range(3):
            rows.append(f"INSERT INTO invoices VALUES ({i * 10 + j}, {i}, 'paid', {rng.gamma(2, 20):.2f});")
    url = make_sqlite("\n".join(rows))
    first = dbsynth.fit(url, holdout=0.25, seed=7)
    held = _held_keys(url, first)
    assert len(held["accounts"]) == 75 and len(held["invoices"]) == 225
    # The draw depends on the seed and the keys only: mark the held-out rows, fit again.
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.executemany("UPDATE accounts SET plan = 'platinum' WHERE id = ?", held["accounts"])
        db.executemany("UPDATE invoices SET status = 'disputed' WHERE id = ?", held["invoices"])
    with_holdout = dbsynth.fit(url, holdout=0.25, seed=7)
    assert _held_keys(url, with_holdout) == held
    text = with_holdout.to_json()
    assert "platinum" not in text and "disputed" not in text
    assert with_holdout.table("accounts").row_count == 300  # the source's size is still generated
    without = dbsynth.fit(url, seed=7).to_json()
    assert "platinum" in without and "disputed" in without


def test_bad_holdout_values_are_one_line_errors(shop: Path, shop_model: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{shop}"
    for value in ("0", "1", "-0.2", "1.5", "nan"):
        code, out = run("fit", url, "--holdout", value, "-o", str(tmp_path / "m.json"))
        assert code == 1, out
        assert out.strip().splitlines() == [f"Error: --holdout must be above 0 and below 1, got {value}"]
    code, out = run("clone", url, f"sqlite:///{tmp_path / 'c.db'}", "--holdout", "2", "--create-schema")
    assert code == 1 and "--holdout must be above 0 and below 1" in out
    assert not (tmp_path / "c.db").exists()
    with pytest.raises(UsageError, match="--holdout"):
        dbsynth.fit(url, holdout=1.0)
    # A model file is untrusted: a salt that is not hex is refused when it is loaded.
    data = json.loads(Path(shop_model).read_text())
    data["holdout"]["salt"] = "not hex"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    code, out = run("report", url, url, "--model", str(broken), "-q")
    assert code == 1 and out.strip().splitlines() == [
        f"Error: model file '{broken}': holdout.salt: is not hex bytes"
    ]
    # A model fitted without --holdout has nothing to test against.
    plain = tmp_path / "plain.json"
    dbsynth.fit(url).save(plain)
    code, out = run("report", url, url, "--model", str(plain), "-q")
    assert code == 1 and out.strip().splitlines() == [
        f"Error: --model: '{plain}' was fitted without --holdout: no held-out rows to test against"
    ]


# -- the membership tests -----------------------------------------------------------------------


def test_auc_is_the_mann_whitney_probability() -> None:
    assert auc(np.array([3.0, 4.0]), np.array([1.0, 2.0])) == 1.0
    assert auc(np.array([1.0, 2.0]), np.array([3.0, 4.0])) == 0.0
    assert auc(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == 0.5


def test_a_clone_with_holdout_passes_the_membership_tests(shop: Path, tmp_path: Path) -> None:
    """``clone --holdout`` keeps the model's holdout and tests against it in its report; the
    shop's clone is no closer to training rows than to holdout rows."""
    target, model_out, report = tmp_path / "clone.db", tmp_path / "m.json", tmp_path / "r.json"
    code, out = run(
        "clone", f"sqlite:///{shop}", f"sqlite:///{target}", "--holdout", "0.2", "--create-schema",
        "--model-out", str(model_out), "--json", str(report), "-q",
    )  # fmt: skip
    assert code == 0, out
    assert Model.load(model_out).holdout is not None
    privacy = json.loads(report.read_text())["privacy"]
    assert privacy["model_holdout"] == 0.2 and set(privacy["membership_figures"]) >= {"auc", "exact_holdout"}
    tested = [m for m in privacy["membership"] if m["auc"] is not None]
    assert {m["table"] for m in tested} >= {"customers", "orders", "order_items", "payments", "reviews"}
    for m in tested:
        assert m["verdict"] == "ok", m
        assert abs(m["auc"] - 0.5) < 0.1, m
        assert abs(m["closer_to_training"] - m["expected_closer"]) < 0.1, m
        assert m["exact_training"] - m["exact_holdout"] < m["exact_gap_limit"], m
    # The stand-alone report says the same and exits 0 with the model.
    code, out = run("report", f"sqlite:///{shop}", f"sqlite:///{target}", "--model", str(model_out), "-q")
    assert code == 0, out
    assert "membership tests against the model's 20% holdout pass" in " ".join(out.split())


def test_a_target_holding_the_training_rows_fails_the_membership_tests(
    shop: Path, shop_model: Path, tmp_path: Path
) -> None:
    """The target is the source without its held-out rows: every training row has an exact
    twin, no holdout row has. The report flags it and exits 1; against the whole source
    (training and holdout rows alike) the same report passes: it is membership that fails."""
    model = Model.load(shop_model)
    copy = tmp_path / "training.db"
    shutil.copy(shop, copy)
    held = _held_keys(f"sqlite:///{shop}", model)
    with sqlite3.connect(copy) as db:
        db.execute("PRAGMA foreign_keys = OFF")
        for record in model.holdout.tables:  # type: ignore[union-attr]
            where = " AND ".join(f"{c} = ?" for c in record.key)
            db.executemany(f"DELETE FROM {record.table} WHERE {where}", held[record.table])
    report = tmp_path / "r.json"
    code, out = run(
        "report",
        f"sqlite:///{shop}",
        f"sqlite:///{copy}",
        "--model",
        str(shop_model),
        "-q",
        "--json",
        str(report),
    )
    assert code == 1, out
    assert (
        "membership tests fail: synthetic rows give away which rows the model was fitted on in"
        in " ".join(out.split())
    )
    privacy = json.loads(report.read_text())["privacy"]
    assert privacy["verdict"] == "leak"
    by_table = {m["table"]: m for m in privacy["membership"]}
    for name in ("customers", "orders", "payments", "reviews"):
        m = by_table[name]
        assert m["verdict"] == "leak", m
        assert m["auc"] > 0.9 and m["closer_to_training"] > 0.9, m
        assert m["exact_training"] == 1.0 and m["exact_holdout"] < 0.05, m
    # The whole source as the target: holdout rows are repeated as much as training rows.
    code, out = run("report", f"sqlite:///{shop}", f"sqlite:///{shop}", "--model", str(shop_model), "-q")
    assert "membership tests fail" not in out and "holdout pass" in " ".join(out.split())
