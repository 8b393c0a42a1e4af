"""What every sink promises, checked the same way on PostgreSQL, MariaDB, SQLite, CSV and Parquet
files and memory: batches are written, updates applied, ``if_exists`` fail/truncate/append
honoured, ``close(ok=False)`` and any failure leave the target as it was, and every error is a
:class:`TargetError` that names the table. What only one target does lives in
``test_writers_<dialect>.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from dbsynth.errors import TargetError
from dbsynth.schema import Column, ForeignKey, LogicalType, PrimaryKey, Schema, Table
from dbsynth.writing import Batch, LoadSpec, Update, open_target
from dbsynth.writing.files import FilesTarget
from dbsynth.writing.memory import MemoryTarget

from helpers_sinks import load, rows_of, spec_for

L = LogicalType
SCHEMA = Schema(
    "postgresql",
    (
        Table(
            "author",
            (
                Column("id", "integer", L.INTEGER, nullable=False),
                Column("name", "text", L.TEXT, nullable=False),
            ),
            schema="public",
            primary_key=PrimaryKey(("id",)),
        ),
        Table(
            "book",
            (
                Column("id", "integer", L.INTEGER, nullable=False),
                Column("author_id", "integer", L.INTEGER, nullable=False),
                Column("title", "text", L.TEXT),
            ),
            schema="public",
            primary_key=PrimaryKey(("id",)),
            foreign_keys=(ForeignKey(("author_id",), "public.author", ("id",)),),
        ),
    ),
)
TABLES = {"public.author": ("id", "name"), "public.book": ("id", "author_id", "title")}
COLUMNS = {**TABLES, "public.staff": ("staff_id", "store_id")}  # what the readers read back
KEYS = {"public.author": ("id",), "public.book": ("id",)}
ROLLED_BACK = "the load was rolled back and the target is unchanged"


@dataclass
class Case:
    """One kind of target: a way to get it (the same place each time) and to read it back."""

    kind: str
    target: Callable[[], Any]  # a Target (the Protocol's mutable key_start trips mypy on files and memory)
    read: Callable[[str], list[tuple[Any, ...]]]

    @property
    def database(self) -> bool:
        return self.kind in ("postgres", "mariadb", "sqlite")

    def spec(self, rows: dict[str, int] | None = None, **kwargs: Any) -> LoadSpec:
        return spec_for(SCHEMA, rows or {"public.author": 2, "public.book": 2}, key_columns=KEYS, **kwargs)

    def create(self) -> None:
        """The tables, empty (databases only: files and memory need nothing)."""
        if self.database:
            load(self.target(), self.spec({"public.author": 0, "public.book": 0}, create_schema=True), [])

    def seed(self) -> None:
        """Two authors and two books, as a first load."""
        self.create()
        load(self.target(), self.spec(if_exists="append"), [authors(1, 2), books((1, 1), (2, 2))])

    def everything(self) -> dict[str, list[tuple[Any, ...]]]:
        return {key: self.read(key) for key in TABLES}


def authors(*ids: int) -> Batch:
    return Batch("public.author", pd.DataFrame({"id": list(ids), "name": [f"a{i}" for i in ids]}))


def books(*rows: tuple[int, int]) -> Batch:
    frame = pd.DataFrame({"id": [r[0] for r in rows], "author_id": [r[1] for r in rows]})
    return Batch("public.book", frame.assign(title=[f"t{r[0]}" for r in rows]))


def titles(**by_id: str) -> Update:
    frame = pd.DataFrame({"id": [int(k[1:]) for k in by_id], "title": list(by_id.values())})
    return Update("public.book", ("id",), ("title",), frame)


def _sql_reader(url: str, quote: str, qualified: bool) -> Callable[[str], list[tuple[Any, ...]]]:
    def read(key: str) -> list[tuple[Any, ...]]:
        parts = key.split(".") if qualified else key.split(".")[1:]
        name = ".".join(quote + p + quote for p in parts)
        columns = COLUMNS[key]
        return rows_of(url, f"SELECT {', '.join(columns)} FROM {name} ORDER BY {columns[0]}")

    return read


def _file_reader(directory: Path, file_format: str) -> Callable[[str], list[tuple[Any, ...]]]:
    def read(key: str) -> list[tuple[Any, ...]]:
        path = directory / f"{key}.{file_format}"
        if not path.exists():
            return []
        if file_format == "parquet":
            table = pq.read_table(path)
        else:
            convert = pacsv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=False)
            table = pacsv.read_csv(path, convert_options=convert)
        return sorted(tuple(row.values()) for row in table.select(list(COLUMNS[key])).to_pylist())

    return read


def _memory_reader(target: MemoryTarget) -> Callable[[str], list[tuple[Any, ...]]]:
    def read(key: str) -> list[tuple[Any, ...]]:
        frames = target.frames()
        if key not in frames:
            return []
        frame = frames[key].astype(object).where(frames[key].notna(), None)
        return sorted(tuple(r) for r in frame[list(COLUMNS[key])].itertuples(index=False))

    return read


KINDS = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mysql),
    "sqlite",
    "csv",
    "parquet",
    "memory",
]
# Subsets for promises only some sinks make: a test that does not apply to a sink is not
# collected for it (a skip in CI would read as a test that could not run).
DATABASES = KINDS[:3]
APPENDABLE = [k for k in KINDS if k != "parquet"]  # a Parquet file cannot be appended to


@pytest.fixture(params=KINDS)
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Case:
    kind = request.param
    if kind in ("postgres", "mariadb"):
        url = request.getfixturevalue("fresh_pg" if kind == "postgres" else "fresh_mysql")
        return Case(
            kind,
            lambda: open_target(url),
            _sql_reader(url, '"' if kind == "postgres" else "`", kind == "postgres"),
        )
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'target.db'}"
        return Case(kind, lambda: open_target(url), _sql_reader(url, '"', False))
    if kind in ("csv", "parquet"):
        out = tmp_path / "out"
        return Case(kind, lambda: FilesTarget(out, file_format=kind), _file_reader(out, kind))
    memory = MemoryTarget()
    return Case(kind, lambda: memory, _memory_reader(memory))


def test_batches_are_written_in_order(case: Case) -> None:
    case.create()
    result = load(case.target(), case.spec(), [authors(1), authors(2, 3), books((1, 3), (2, 1))])
    assert (result.committed, result.rows) == (True, {"public.author": 3, "public.book": 2})
    assert case.everything() == {
        "public.author": [(1, "a1"), (2, "a2"), (3, "a3")],
        "public.book": [(1, 3, "t1"), (2, 1, "t2")],
    }


def test_updates_are_applied(case: Case) -> None:
    case.create()
    items: list[Batch | Update] = [authors(1, 2), books((1, 1), (2, 2), (3, 2))]
    items += [titles(b3="three", b1="one"), titles(b2="two")]
    assert load(case.target(), case.spec(), items).committed
    assert case.read("public.book") == [(1, 1, "one"), (2, 2, "two"), (3, 2, "three")]


def test_if_exists_fail_refuses_a_table_with_rows(case: Case) -> None:
    case.seed()
    before = case.everything()
    with pytest.raises(TargetError) as err:
        case.target().open(case.spec())
    if case.kind in ("csv", "parquet"):
        where = Path(case.target().describe().split(" (")[0])  # type: ignore[attr-defined]
        assert str(err.value) == (
            f"file public.author.{case.kind} already exists in {where}; pass --if-exists truncate to "
            "replace it or --if-exists append to add rows to it"
        )
    else:
        assert str(err.value) == (
            "target tables are not empty: public.author, public.book; pass --if-exists truncate to "
            "replace the rows or --if-exists append to add to them"
        )
    assert case.everything() == before


@pytest.mark.parametrize("case", APPENDABLE, indirect=True)
def test_if_exists_append_adds_past_the_keys_and_truncate_replaces(case: Case) -> None:
    case.seed()
    sink = case.target().open(case.spec(if_exists="append"))
    assert sink.key_start == {("public.author", "id"): 3, ("public.book", "id"): 3}
    sink.write(authors(3))
    sink.write(books((3, 3)))
    assert sink.close(True).committed
    assert case.read("public.author") == [(1, "a1"), (2, "a2"), (3, "a3")]
    assert case.read("public.book") == [(1, 1, "t1"), (2, 2, "t2"), (3, 3, "t3")]

    sink = case.target().open(case.spec(if_exists="truncate"))
    assert sink.key_start == {("public.author", "id"): 1, ("public.book", "id"): 1}
    sink.write(authors(7))
    sink.write(books((9, 7)))
    assert sink.close(True).committed
    assert case.everything() == {"public.author": [(7, "a7")], "public.book": [(9, 7, "t9")]}


def test_close_without_ok_leaves_the_target_as_it_was(case: Case) -> None:
    case.seed()
    before = case.everything()
    sink = case.target().open(case.spec(if_exists="truncate"))
    sink.write(authors(5, 6))
    sink.write(books((1, 5)))
    result = sink.close(False)
    assert (result.committed, result.rows, result.left_behind) == (False, {}, ())
    assert result.notes == (("no file was written",) if case.kind in ("csv", "parquet") else (ROLLED_BACK,))
    assert sink.close(False) is result
    assert case.everything() == before


def test_a_failure_names_the_table_and_leaves_the_target_as_it_was(case: Case) -> None:
    case.seed()
    before = case.everything()
    sink = case.target().open(case.spec(if_exists="truncate"))
    sink.write(authors(1, 2))
    sink.write(books((1, 1), (2, 2)))
    with pytest.raises(TargetError) as err:
        sink.write(titles(b9="nine"))  # no book 9: the engine's keys and the target disagree
        sink.close(True)  # files apply updates at the end
    if case.kind in ("csv", "parquet"):
        assert str(err.value) == (
            "applying updates failed: the UPDATEs of public.book matched 0 of 1 rows by their keys; "
            "no file was written"
        )
    else:
        assert str(err.value) == (
            f"writing public.book failed: an UPDATE of title matched 0 of 1 rows by (id); {ROLLED_BACK}"
        )
    assert sink.close(False).committed is False
    with pytest.raises(TargetError) as err:
        sink.write(authors(3))
    assert str(err.value) == "the load has already failed or been closed; nothing more can be written"
    assert case.everything() == before


def test_a_batch_of_the_wrong_shape_is_refused_naming_the_table(case: Case) -> None:
    case.create()
    sink = case.target().open(case.spec())
    with pytest.raises(TargetError) as err:
        sink.write(Batch("public.autor", authors(1).frame))
    assert str(err.value) == (
        "a batch for table public.autor, which is not part of this load. Did you mean 'public.author'?"
    )
    with pytest.raises(TargetError) as err:
        sink.write(Batch("public.author", authors(1).frame.drop(columns="name")))
    assert str(err.value) == "a batch for public.author has no column 'name'."
    with pytest.raises(TargetError) as err:
        sink.write(Batch("public.author", authors(1).frame.assign(age=3)))
    assert str(err.value) == "a batch for public.author has column 'age', which the load does not write"
    # A refused batch touched nothing: the load goes on.
    sink.write(authors(1))
    assert sink.close(True).rows == {"public.author": 1, "public.book": 0}
    assert case.read("public.author") == [(1, "a1")]
    with pytest.raises(TargetError) as err:
        sink.write(authors(2))
    assert str(err.value) == "the load has already failed or been closed; nothing more can be written"


# -- foreign-key cycles: the cut key is written NULL then updated, or checked at the end ----------


def _cycle_schema(staff_store_nullable: bool) -> Schema:
    """sakila's store/staff: each store has a manager, each staff member a store."""
    return Schema(
        "postgresql",
        (
            Table(
                "store",
                (
                    Column("store_id", "integer", L.INTEGER, nullable=False),
                    Column("manager_staff_id", "integer", L.INTEGER, nullable=False),
                ),
                schema="public",
                primary_key=PrimaryKey(("store_id",)),
                foreign_keys=(ForeignKey(("manager_staff_id",), "public.staff", ("staff_id",)),),
            ),
            Table(
                "staff",
                (
                    Column("staff_id", "integer", L.INTEGER, nullable=False),
                    Column("store_id", "integer", L.INTEGER, nullable=staff_store_nullable),
                ),
                schema="public",
                primary_key=PrimaryKey(("staff_id",)),
                foreign_keys=(ForeignKey(("store_id",), "public.store", ("store_id",)),),
            ),
        ),
    )


def _cycle_spec(case: Case, schema: Schema) -> LoadSpec:
    spec = spec_for(schema, {"public.store": 2, "public.staff": 3}, create_schema=case.database)
    assert [b.table for b in spec.breaks] == ["public.staff"]
    return spec


def _cycle_rows(spec: LoadSpec, staff_store: list[int | None]) -> list[Batch]:
    frames = {
        "public.store": pd.DataFrame({"store_id": [1, 2], "manager_staff_id": [1, 2]}),
        "public.staff": pd.DataFrame(
            {"staff_id": [1, 2, 3], "store_id": pd.array(staff_store, dtype="Int64")}
        ),
    }
    return [Batch(t.table, frames[t.table]) for t in spec.tables]


def test_a_nullable_cycle_is_written_null_then_updated(case: Case) -> None:
    spec = _cycle_spec(case, _cycle_schema(staff_store_nullable=True))
    update = Update(
        "public.staff",
        ("staff_id",),
        ("store_id",),
        pd.DataFrame({"staff_id": [3, 1, 2], "store_id": [2, 1, 2]}),
    )
    assert load(case.target(), spec, [*_cycle_rows(spec, [None] * 3), update]).committed
    assert case.read("public.staff") == [(1, 1), (2, 2), (3, 2)]


@pytest.mark.parametrize("case", DATABASES, indirect=True)  # files and memory enforce no FK
@pytest.mark.parametrize("broken", [False, True])
def test_a_not_null_cycle_is_checked_when_the_load_ends(case: Case, broken: bool) -> None:
    spec = _cycle_spec(case, _cycle_schema(staff_store_nullable=False))
    items = _cycle_rows(spec, [1, 2, 99 if broken else 1])
    if not broken:
        assert load(case.target(), spec, items).committed
        assert case.read("public.staff") == [(1, 1), (2, 2), (3, 1)]
        return
    sink = case.target().open(spec)
    for item in items:
        sink.write(item)
    with pytest.raises(TargetError) as err:
        sink.close(True)
    assert str(err.value).startswith("foreign key public.staff.store_id -> public.store ")
    assert str(err.value).endswith(
        "does not hold after the load: 1 row(s) of public.staff reference no row of public.store; "
        + sink.close(False).notes[-1]
    )
