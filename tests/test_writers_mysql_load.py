"""The MariaDB target's LOAD DATA LOCAL, against the real server: with LOCAL the server would skip
or clamp a bad row with only a warning, so every LOAD is checked (rows taken, warnings) and a bad
row still fails the whole load, naming the table; a server that refuses LOCAL gets INSERTs."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dbsynth.db import parse_url
from dbsynth.errors import TargetError
from dbsynth.introspection import introspect
from dbsynth.writing import Batch

from helpers_sinks import load, rows_of, spec_for

pytestmark = pytest.mark.mysql

SHOP_SQL = (
    "CREATE TABLE shop (id int PRIMARY KEY, name varchar(20) NOT NULL);"
    "CREATE TABLE item (id int PRIMARY KEY, shop_id int NOT NULL, qty tinyint NOT NULL,"
    " note text, FOREIGN KEY (shop_id) REFERENCES shop (id))"
)
ROLLED_BACK = "the load was rolled back and the target is unchanged"


def _items(**changes: list[object]) -> list[Batch]:
    shops = pd.DataFrame({"id": [1, 2], "name": ["a", "b"]})
    items = {"id": [1, 2, 3], "shop_id": [1, 2, 1], "qty": [1, 2, 3], "note": ["x\ty", None, "\\N"]}
    items.update(changes)
    return [Batch("shop", shops), Batch("item", pd.DataFrame(items))]


def _fails(url: str, batches: list[Batch]) -> str:
    spec = spec_for(introspect(url), {"shop": 2, "item": 3})
    with pytest.raises(TargetError) as err:
        load(url, spec, batches)
    assert rows_of(url, "SELECT (SELECT count(*) FROM shop), (SELECT count(*) FROM item)") == [(0, 0)]
    return str(err.value)


def _load_files() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("dbsynth-load-*"))


def test_good_rows_load_and_text_survives(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql(SHOP_SQL)
    before = _load_files()
    _fails(url, _items(id=[1, 2, 2]))
    result = load(url, spec_for(introspect(url), {"shop": 2, "item": 3}), _items())
    assert result.committed and result.notes == ()
    assert rows_of(url, "SELECT id, note FROM item ORDER BY id") == [(1, "x\ty"), (2, None), (3, "\\N")]
    assert _load_files() <= before  # each batch's file is gone once the server has read it


def test_a_duplicate_key_fails_the_load(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql(SHOP_SQL)
    assert _fails(url, _items(id=[1, 2, 2])) == (
        f"writing item failed: (1062) Duplicate entry '2' for key 'PRIMARY'; {ROLLED_BACK}"
    )


def test_an_out_of_range_value_fails_the_load(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql(SHOP_SQL)
    assert _fails(url, _items(qty=[1, 300, 3])) == (
        f"writing item failed: (1264) Out of range value for column 'qty' at row 2; {ROLLED_BACK}"
    )


def test_null_in_a_not_null_column_fails_the_load(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql(SHOP_SQL)
    message = _fails(url, _items(qty=pd.array([1, None, 3], dtype="Int64")))
    assert message.startswith("writing item failed: (1263) ") and "'qty'" in message


def test_a_missing_parent_fails_the_load(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql(SHOP_SQL)
    message = _fails(url, _items(shop_id=[1, 9, 1]))
    assert message.startswith("writing item failed: (1452) Cannot add or update a child row")


@pytest.fixture
def local_infile_off(mysql_url: str) -> Iterator[None]:
    """The server refuses LOAD DATA LOCAL for the test, and allows it again after."""
    engine = sa.create_engine(parse_url(mysql_url), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        before = conn.exec_driver_sql("SELECT @@GLOBAL.local_infile").scalar_one()
        conn.exec_driver_sql("SET GLOBAL local_infile = 0")
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SET GLOBAL local_infile = {int(before)}")
    engine.dispose()


@pytest.mark.serial  # SET GLOBAL: another test's load at the same time would fall back too
def test_a_server_refusing_local_gets_inserts(
    make_mysql: Callable[[str], str], local_infile_off: None
) -> None:
    url = make_mysql(SHOP_SQL)
    # the fallback keeps the guarantee: a bad row still fails the load
    assert _fails(url, _items(id=[1, 2, 2])).startswith("writing item failed: (1062) Duplicate entry")
    result = load(url, spec_for(introspect(url), {"shop": 2, "item": 3}), _items())
    assert result.committed
    assert len(result.notes) == 1
    assert result.notes[0].startswith("MariaDB refused LOAD DATA LOCAL (")
    assert result.notes[0].endswith(": rows written with INSERT")
    assert rows_of(url, "SELECT id, shop_id, qty, note FROM item ORDER BY id") == [
        (1, 1, 1, "x\ty"),
        (2, 2, 2, None),
        (3, 1, 3, "\\N"),
    ]


def test_a_truncating_load_checks_foreign_keys_at_close(make_mysql: Callable[[str], str]) -> None:
    """Tables the load empties are written with the checks off and checked by one anti-join per
    key: a missing parent still fails the load, counted and named, and nothing is left."""
    url = make_mysql(SHOP_SQL)
    spec = spec_for(introspect(url), {"shop": 2, "item": 3}, if_exists="truncate")
    with pytest.raises(TargetError) as err:
        load(url, spec, _items(shop_id=[1, 9, 8]))
    assert str(err.value) == (
        "foreign key item.shop_id -> shop (item_ibfk_1) does not hold after the load: "
        f"2 row(s) of item reference no row of shop; {ROLLED_BACK}"
    )
    assert rows_of(url, "SELECT (SELECT count(*) FROM shop), (SELECT count(*) FROM item)") == [(0, 0)]
    result = load(url, spec, _items())
    assert result.committed and result.notes == ("truncated shop, item",)


def test_a_marked_connection_sends_only_the_file_of_its_own_load(fresh_mysql: str, tmp_path: Path) -> None:
    """With LOCAL the server names the file the client sends: a hostile target could ask for any
    file. A connection the sink marked refuses every file but the one its LOAD wrote."""
    import pymysql

    from dbsynth.writing.local_infile import allow

    url = parse_url(fresh_mysql)
    secret = tmp_path / "secret.txt"
    secret.write_text("hunter2\n")
    conn = pymysql.connect(
        host=url.host,
        port=url.port or 3306,
        user=url.username,
        password=url.password or "",
        database=url.database,
        local_infile=True,
        autocommit=True,
    )
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE t (line varchar(100))")
            allow(conn, None)
            with pytest.raises(pymysql.err.OperationalError, match="not the one dbsynth is loading"):
                cur.execute("LOAD DATA LOCAL INFILE %s INTO TABLE t", (str(secret),))
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM t")
            assert cur.fetchone() == (0,)
            allow(conn, str(secret))
            cur.execute("LOAD DATA LOCAL INFILE %s INTO TABLE t", (str(secret),))
            cur.execute("SELECT line FROM t")
            assert cur.fetchall() == (("hunter2",),)
    finally:
        conn.close()
