"""The bundled example shop: it builds, every key resolves, a seed fixes the bytes, and the
structure planted for the fit/report steps is really there."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from dbsynth.examples import SHOP_TABLES, build_shop, shop_sql


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path = build_shop(tmp_path_factory.mktemp("shop") / "shop.sqlite")
    conn = sqlite3.connect(path)
    yield conn
    conn.close()


def dump_digest(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def one(conn: sqlite3.Connection, sql: str) -> float:
    value = conn.execute(sql).fetchone()[0]
    assert value is not None, sql
    return float(value)


def test_builds_every_table_with_rows(shop: sqlite3.Connection) -> None:
    tables = [r[0] for r in shop.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    assert sorted(tables) == sorted(SHOP_TABLES)
    counts = {t: int(one(shop, f"SELECT count(*) FROM {t}")) for t in SHOP_TABLES}
    assert counts["customers"] == 500
    assert counts["categories"] == 13
    assert counts["employees"] == 12
    assert all(n > 0 for n in counts.values()), counts
    assert 3000 < sum(counts.values()) < 10000, counts


def test_every_foreign_key_resolves_and_checks_hold(shop: sqlite3.Connection) -> None:
    assert shop.execute("PRAGMA foreign_key_check").fetchall() == []
    assert shop.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    # The CHECKs are enforced by SQLite on insert; these re-read the planted orderings.
    assert one(shop, "SELECT count(*) FROM orders WHERE shipped_at < created_at") == 0
    assert (
        one(
            shop,
            "SELECT count(*) FROM orders WHERE (shipped_at IS NULL) = (status IN ('shipped', 'delivered'))",
        )
        == 0
    )
    assert (
        one(shop, "SELECT count(*) FROM products WHERE sku NOT GLOB 'SKU-[0-9][0-9][0-9][0-9][0-9][0-9]'")
        == 0
    )


def test_constraints_are_live(shop: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        shop.execute("UPDATE customers SET tier = 'platinum' WHERE customer_id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        shop.execute("UPDATE reviews SET rating = 6 WHERE review_id = 1")
    shop.rollback()


def test_order_totals_match_their_lines_and_payments(shop: sqlite3.Connection) -> None:
    mismatched = one(
        shop,
        "SELECT count(*) FROM orders o JOIN (SELECT order_id, round(sum(qty * unit_price), 2) AS s "
        "FROM order_items GROUP BY order_id) i USING (order_id) WHERE abs(o.total - i.s) > 0.005",
    )
    assert mismatched == 0
    unpaid = one(
        shop,
        "SELECT count(*) FROM orders o LEFT JOIN (SELECT order_id, sum(amount) AS paid FROM payments "
        "GROUP BY order_id) p USING (order_id) WHERE o.status IN ('paid', 'shipped', 'delivered') "
        "AND abs(o.total - coalesce(p.paid, 0)) > 0.005",
    )
    assert unpaid == 0


def test_planted_tier_structure(shop: sqlite3.Connection) -> None:
    def by_tier(sql: str) -> dict[str, float]:
        return {tier: float(v) for tier, v in shop.execute(sql)}

    orders = by_tier(
        "SELECT c.tier, count(o.order_id) * 1.0 / count(DISTINCT c.customer_id) "
        "FROM customers c LEFT JOIN orders o USING (customer_id) GROUP BY c.tier"
    )
    assert orders["basic"] < orders["premium"] < orders["gold"], orders
    qty = by_tier(
        "SELECT c.tier, avg(i.qty) FROM customers c JOIN orders o USING (customer_id) "
        "JOIN order_items i USING (order_id) GROUP BY c.tier"
    )
    assert qty["basic"] < qty["premium"] < qty["gold"], qty
    price = by_tier(
        "SELECT c.tier, avg(i.unit_price) FROM customers c JOIN orders o USING (customer_id) "
        "JOIN order_items i USING (order_id) GROUP BY c.tier"
    )
    assert price["basic"] < price["premium"] < price["gold"], price


def test_prices_are_right_skewed(shop: sqlite3.Connection) -> None:
    prices = sorted(p for (p,) in shop.execute("SELECT price FROM products"))
    median = prices[len(prices) // 2]
    assert sum(prices) / len(prices) > 1.5 * median
    assert all(round(p * 100) % 100 == 99 for p in prices)


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    a = build_shop(tmp_path / "a.sqlite", seed=7, customers=60)
    b = build_shop(tmp_path / "b.sqlite", seed=7, customers=60)
    c = build_shop(tmp_path / "c.sqlite", seed=8, customers=60)
    assert dump_digest(a) == dump_digest(b)
    assert a.read_bytes() == b.read_bytes()
    assert dump_digest(a) != dump_digest(c)


def test_rebuilding_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "shop.sqlite"
    build_shop(path, seed=1, customers=30)
    first = dump_digest(path)
    build_shop(path, seed=1, customers=30)
    assert dump_digest(path) == first


def test_rejects_an_empty_shop(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="customers must be at least 1"):
        build_shop(tmp_path / "x.sqlite", customers=0)


def test_schema_text_is_package_data() -> None:
    sql = shop_sql()
    assert [t for t in SHOP_TABLES if f"CREATE TABLE {t} (" not in sql] == []
