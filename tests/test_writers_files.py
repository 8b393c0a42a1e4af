"""Files and memory targets, and ``open_target``'s scheme table."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dbsynth.errors import TargetError, UnsupportedDatabase, UsageError
from dbsynth.schema import Column, LogicalType, Schema, Table
from dbsynth.writing import Batch, LoadResult, LoadSpec, TableLoad, Update, open_target
from dbsynth.writing.files import FilesTarget
from dbsynth.writing.memory import MemoryTarget, Record
from dbsynth.writing.mysql import MySQLTarget
from dbsynth.writing.postgres import PostgresTarget
from dbsynth.writing.safety import same_address
from dbsynth.writing.sqlite import SQLiteTarget

L = LogicalType
SCHEMA = Schema(
    "postgresql",
    (
        Table(
            "staff",
            (
                Column("id", "integer", L.INTEGER, nullable=False),
                Column("store_id", "integer", L.INTEGER),
                Column("name", "text", L.TEXT),
                Column("pay", "numeric(6,2)", L.DECIMAL, precision=6, scale=2),
                Column("hired", "timestamp", L.TIMESTAMP),
                Column("tags", "text[]", L.ARRAY, element=L.TEXT, element_sql_type="text"),
            ),
            schema="public",
        ),
    ),
)
COLUMNS = ("id", "store_id", "name", "pay", "hired", "tags")
KEYS = {"public.staff": ("id",)}


def spec(rows: int = 3, **kwargs: object) -> LoadSpec:
    return LoadSpec(SCHEMA, (TableLoad("public.staff", COLUMNS, rows),), key_columns=KEYS, **kwargs)  # type: ignore[arg-type]


def batch(ids: list[int], store: list[int | None] | None = None) -> Batch:
    n = len(ids)
    return Batch(
        "public.staff",
        pd.DataFrame(
            {
                "id": ids,
                "store_id": pd.array(store or [None] * n, dtype="Int64"),
                "name": (['a "quoted", name', "", None] * n)[:n],
                "pay": ([12.5, None, 3.0] * n)[:n],
                "hired": pd.Series([pd.Timestamp("2024-01-02 03:04:05")] * n, dtype="datetime64[us]"),
                "tags": ([["x", None], None, []] * n)[:n],
            }
        ),
    )


def run(target: object, load: LoadSpec, *items: Batch | Update) -> LoadResult:
    sink = target.open(load)  # type: ignore[attr-defined]
    for item in items:
        sink.write(item)
    return sink.close(True)  # type: ignore[no-any-return]


def test_csv_is_copy_text_with_a_header(tmp_path: Path) -> None:
    target = open_target(str(tmp_path / "out"))
    assert isinstance(target, FilesTarget) and target.describe() == f"{tmp_path / 'out'} (csv files)"
    result = run(target, spec(), batch([1, 2]), batch([3]))
    assert result == LoadResult(rows={"public.staff": 3}, committed=True)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["public.staff.csv"]
    assert (tmp_path / "out" / "public.staff.csv").read_text() == (
        '"id","store_id","name","pay","hired","tags"\n'
        '1,,"a ""quoted"", name",12.5,2024-01-02 03:04:05.000000,"{""x"",NULL}"\n'
        '2,,"",,2024-01-02 03:04:05.000000,\n'
        '3,,"a ""quoted"", name",12.5,2024-01-02 03:04:05.000000,"{""x"",NULL}"\n'
    )


def test_existing_files_are_refused_replaced_or_appended(tmp_path: Path) -> None:
    run(FilesTarget(tmp_path), spec(), batch([1, 2]))
    with pytest.raises(TargetError) as err:
        FilesTarget(tmp_path).open(spec())
    assert str(err.value) == (
        f"file public.staff.csv already exists in {tmp_path}; pass --if-exists truncate to replace it "
        "or --if-exists append to add rows to it"
    )
    sink = FilesTarget(tmp_path).open(spec(if_exists="append"))
    assert sink.key_start == {("public.staff", "id"): 3}
    sink.write(batch([3]))
    sink.close(True)
    lines = (tmp_path / "public.staff.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines] == ['"id"', "1", "2", "3"]

    run(FilesTarget(tmp_path), spec(if_exists="truncate"), batch([7]))
    assert (tmp_path / "public.staff.csv").read_text().splitlines()[1].startswith("7,")

    (tmp_path / "public.staff.csv").write_text('"id","name"\n1,"x"\n')
    with pytest.raises(TargetError) as err:
        FilesTarget(tmp_path).open(spec(if_exists="append"))
    assert str(err.value) == (
        "file public.staff.csv has columns (id, name), not the (id, store_id, name, pay, hired, tags) "
        "this load writes for public.staff; it cannot be appended to"
    )


def test_a_failed_load_writes_no_file(tmp_path: Path) -> None:
    (tmp_path / "public.staff.csv").write_text("keep me\n")
    sink = FilesTarget(tmp_path).open(spec(if_exists="truncate"))
    sink.write(batch([1, 2]))
    assert sink.close(False) == LoadResult(rows={}, committed=False, notes=("no file was written",))
    assert [p.name for p in tmp_path.iterdir()] == ["public.staff.csv"]
    assert (tmp_path / "public.staff.csv").read_text() == "keep me\n"


def test_parquet_is_typed_and_cannot_be_appended(tmp_path: Path) -> None:
    target = open_target(f"file://{tmp_path}", file_format="parquet")
    run(target, spec(), batch([1, 2]), batch([3], store=[9]))
    table = pq.read_table(tmp_path / "public.staff.parquet")
    assert table.schema.types == [
        pa.int64(),
        pa.int64(),
        pa.string(),
        pa.decimal128(6, 2),
        pa.timestamp("us"),
        pa.string(),
    ]
    assert table.to_pylist()[:2] == [
        {
            "id": 1,
            "store_id": None,
            "name": 'a "quoted", name',
            "pay": decimal.Decimal("12.50"),
            "hired": dt.datetime(2024, 1, 2, 3, 4, 5),
            "tags": '["x", null]',
        },
        {
            "id": 2,
            "store_id": None,
            "name": "",
            "pay": None,
            "hired": dt.datetime(2024, 1, 2, 3, 4, 5),
            "tags": None,
        },
    ]
    with pytest.raises(TargetError) as err:
        target.open(spec(if_exists="append"))
    assert str(err.value) == (
        f"cannot append to Parquet file public.staff.parquet in {tmp_path}; pass --if-exists truncate "
        "to replace it, or write CSV"
    )


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_updates_are_applied_in_a_second_pass(tmp_path: Path, file_format: str) -> None:
    target = FilesTarget(tmp_path, file_format=file_format)  # type: ignore[arg-type]
    assert target.supports_updates is False
    update = Update(
        "public.staff", ("id",), ("store_id",), pd.DataFrame({"id": [3, 1], "store_id": [30, 10]})
    )
    run(target, spec(), batch([1, 2]), batch([3]), update)
    if file_format == "csv":
        assert (tmp_path / "public.staff.csv").read_text() == (
            '"id","store_id","name","pay","hired","tags"\n'
            '1,10,"a ""quoted"", name",12.5,2024-01-02 03:04:05.000000,"{""x"",NULL}"\n'
            '2,,"",,2024-01-02 03:04:05.000000,\n'
            '3,30,"a ""quoted"", name",12.5,2024-01-02 03:04:05.000000,"{""x"",NULL}"\n'
        )
    else:
        assert pq.read_table(tmp_path / "public.staff.parquet").column("store_id").to_pylist() == [
            10,
            None,
            30,
        ]

    bad = Update("public.staff", ("id",), ("store_id",), pd.DataFrame({"id": [8], "store_id": [1]}))
    sink = target.open(spec(if_exists="truncate"))
    sink.write(batch([1]))
    sink.write(bad)
    with pytest.raises(TargetError) as err:
        sink.close(True)
    assert str(err.value) == (
        "applying updates failed: the UPDATEs of public.staff matched 0 of 1 rows by their keys; "
        "no file was written"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"public.staff.{file_format}"]


def test_memory_target_keeps_frames_applies_updates_and_records(tmp_path: Path) -> None:
    target = open_target("memory://")
    assert isinstance(target, MemoryTarget) and target.describe() == "memory://"
    update = Update(
        "public.staff", ("id",), ("store_id",), pd.DataFrame({"id": [3, 1], "store_id": [30, 10]})
    )
    assert run(target, spec(), batch([1, 2]), batch([3]), update) == LoadResult(
        rows={"public.staff": 3}, committed=True
    )
    frame = target.frames()["public.staff"]
    assert frame["id"].tolist() == [1, 2, 3]
    assert frame["store_id"].tolist() == [10, pd.NA, 30]
    assert target.loads[0].items == [
        Record("batch", "public.staff", 2, COLUMNS),
        Record("batch", "public.staff", 1, COLUMNS),
        Record("update", "public.staff", 2, ("id", "store_id")),
    ]

    with pytest.raises(TargetError) as err:
        target.open(spec())
    assert str(err.value).startswith("target table is not empty: public.staff;")
    sink = target.open(spec(if_exists="append"))
    assert sink.key_start == {("public.staff", "id"): 4}
    sink.write(batch([4]))
    assert sink.close(False).committed is False
    assert len(target.frame("public.staff")) == 3
    run(target, spec(if_exists="append"), batch([4]))
    assert target.frame("public.staff")["id"].tolist() == [1, 2, 3, 4]
    run(target, spec(if_exists="truncate"), batch([9]))
    assert target.frame("public.staff")["id"].tolist() == [9]

    sink = target.open(spec(if_exists="truncate"))
    with pytest.raises(TargetError) as err:
        sink.write(Batch("public.staf", batch([1]).frame))
    assert (
        str(err.value)
        == "a batch for table public.staf, which is not part of this load. Did you mean 'public.staff'?"
    )
    with pytest.raises(TargetError) as err:
        sink.write(Batch("public.staff", batch([1]).frame.drop(columns="pay")))
    assert str(err.value) == "a batch for public.staff has no column 'pay'."


def test_open_target_picks_the_target_from_the_scheme(tmp_path: Path) -> None:
    pg = open_target("postgres://u:secret@db.example:5433/app")
    assert isinstance(pg, PostgresTarget) and pg.describe() == "postgresql://u:***@db.example:5433/app"
    assert isinstance(open_target("mariadb://root@h/db"), MySQLTarget)
    assert isinstance(open_target("mysql+pymysql://root@h/db"), MySQLTarget)
    assert isinstance(open_target(str(tmp_path / "x.sqlite")), SQLiteTarget)
    assert isinstance(open_target(f"sqlite:///{tmp_path}/x.db"), SQLiteTarget)
    assert isinstance(open_target(str(tmp_path)), FilesTarget)
    with pytest.raises(UnsupportedDatabase) as err:
        open_target("oracle://scott@h/db")
    assert str(err.value) == (
        "unsupported target scheme 'oracle'; dbsynth writes to postgresql://, mysql://, mariadb://, "
        "sqlite://, file://, memory://"
    )
    with pytest.raises(UsageError) as err:
        open_target("postgresql://u@h/db", file_format="csv")
    assert str(err.value) == "a file format (csv) applies to a directory target, not to postgresql://"
    (tmp_path / "plain").write_text("x")
    with pytest.raises(TargetError) as err:
        FilesTarget(tmp_path / "plain").open(spec())
    assert (
        str(err.value)
        == f"{tmp_path / 'plain'} is a file, not a directory; name a directory for the table files"
    )


def test_same_address_normalises_hosts_ports_and_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert same_address("postgresql://a@localhost/x", "postgres://b:pw@127.0.0.1:5432/x")
    assert same_address("mysql://root@[::1]/x", "mariadb://root@localhost:3306/x")
    assert same_address(f"sqlite:///{tmp_path}/a.db", "a.db")
    assert not same_address("postgresql://a@localhost/x", "postgresql://a@localhost:5433/x")
    assert not same_address("postgresql://a@db1/x", "postgresql://a@db2/x")
    assert not same_address("mysql://r@h/x", "postgresql://r@h/x")
    assert not same_address("sqlite:///:memory:", "sqlite:///:memory:")
    assert not same_address("memory://", "memory://")
    assert not same_address(str(tmp_path), str(tmp_path))
