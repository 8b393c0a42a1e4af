"""End-to-end ``generate`` throughput against raw bulk loads of the same rows.

    python benchmarks/generate_bench.py [--server postgresql://postgres@127.0.0.1:5432/test]
                                        [--scale 1] [--memory-scale 10] [--repeat 3]
                                        [--mysql mysql://root@127.0.0.1:3306/test] [--mysql-scale 0.2]

1. Fits a model of ``dbsynth_bench_fit`` (built by ``benchmarks/fit_bench.py``: customers →
   orders → order_items, 1M rows with personal data, categories, timestamps, CHECKs).
2. PostgreSQL, each run into a fresh database whose schema was created first (not timed):
   ``dbsynth generate --jobs 1`` and ``--jobs 2`` (rows/s of the whole run — generation,
   encoding, COPY, constraint checks, sequence resets), and ``psql \\copy`` of the same rows
   from CSV files dbsynth wrote, in one transaction (``psql -1``): the reference. A second
   reference drops the foreign keys first and re-adds them after, as ``generate`` does when it
   creates or truncates the tables (one join per key instead of a trigger per row).
3. MariaDB (``--mysql``; ``--mysql-scale`` of the source, as executemany is slow): ``generate``
   with LOAD DATA LOCAL (``--jobs 1`` and ``2``), with batched INSERTs (``executemany``, what
   the target used before), and ``mariadb --local-infile`` loading the same rows (tab-separated
   files written with dbsynth's own LOAD DATA encoding) in one transaction: the reference.
4. Peak memory of a separate process generating ``--memory-scale`` × the source (10M rows by
   default) into CSV files (no database in the way, so only generation's memory is measured).

Runs alternate (``--repeat``), so every variant sees the same machine load; every run is
printed, then the fastest of each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

SOURCE_DB = "dbsynth_bench_fit"


def _url(server: str, database: str) -> str:
    return sa.make_url(server).set(database=database).render_as_string(hide_password=False)


def _admin(server: str, sql: str) -> None:
    url = sa.make_url(server)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    else:
        url = url.set(drivername="mysql+pymysql")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.exec_driver_sql(sql)
    engine.dispose()


def _fresh(server: str) -> str:
    name = f"dbsynth_bench_{uuid.uuid4().hex[:8]}"
    q = '"' if sa.make_url(server).get_backend_name() == "postgresql" else "`"
    _admin(server, f"CREATE DATABASE {q}{name}{q}")
    return name


def _drop(server: str, name: str) -> None:
    if sa.make_url(server).get_backend_name() == "postgresql":
        _admin(server, f'DROP DATABASE "{name}" WITH (FORCE)')
    else:
        _admin(server, f"DROP DATABASE `{name}`")


def _schema_only(model_path: Path, url: str) -> None:
    import dbsynth

    dbsynth.generate(model_path, url, rows=_zero_rows(model_path), create_schema=True)


def _zero_rows(model_path: Path) -> dict[str, int]:
    from dbsynth.model import Model

    return {t.table: 0 for t in Model.load(model_path).tables}


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _generate(model_path: Path, url: str, scale: float, jobs: int, local: bool = True) -> int:
    """One ``generate`` into a database whose schema exists; rows written."""
    import dbsynth
    from dbsynth.writing.mysql import MySQLSink

    MySQLSink.load_local = local
    try:
        result = dbsynth.generate(model_path, url, scale=scale, seed=1, if_exists="truncate", jobs=jobs)
    finally:
        MySQLSink.load_local = True
    return result.total_rows


def _around_fks(url: str, copy_sql: str) -> str:
    """``copy_sql`` with the foreign keys dropped before and re-added after, as generate does
    with tables it creates or truncates: the like-for-like reference."""
    import psycopg

    with psycopg.connect(sa.make_url(url).set(drivername="postgresql").render_as_string(False)) as conn:
        fks = conn.execute(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conparentid = 0"
        ).fetchall()
    drop = "".join(f"ALTER TABLE {t} DROP CONSTRAINT {n};\n" for t, n, _ in fks)
    add = "".join(f"ALTER TABLE {t} ADD CONSTRAINT {n} {d};\n" for t, n, d in fks)
    return drop + copy_sql + add


def _psql(url: str, script: str) -> None:
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-d", url], input=script, text=True, check=True
    )


def _mariadb(server: str, database: str, script: str) -> None:
    url = sa.make_url(server)
    client = shutil.which("mariadb") or "mysql"
    args = [client, "--local-infile=1", "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306)]
    args += ["-u", url.username or "root", database]
    env = {**os.environ, **({"MYSQL_PWD": url.password} if url.password else {})}
    subprocess.run(args, input=script, text=True, check=True, env=env)


def _tsv_files(model_path: Path, scale: float, out: Path) -> dict[str, tuple[Path, list[str]]]:
    """The rows ``generate`` writes, as LOAD DATA text files (dbsynth's own encoding)."""
    import dbsynth
    from dbsynth.model import Model
    from dbsynth.writing.encode import load_data_text
    from dbsynth.writing.memory import MemoryTarget

    model = Model.load(model_path)
    target = MemoryTarget()
    dbsynth.generate(model, target, scale=scale, seed=1, jobs=1)
    out.mkdir()
    files = {}
    for key, frame in target.frames().items():
        table = model.schema.table(key)
        columns = [table.column(c) for c in frame.columns]
        data, hexed = load_data_text(frame, columns)
        assert not any(hexed), "the benchmark schema has no binary column"
        path = out / f"{key}.tsv"
        path.write_bytes(data)
        files[key] = (path, list(frame.columns))
    return files


def _rates(label: str, runs: list[float], rows: int, reference: float | None) -> str:
    best = min(runs)
    ratio = f"  ({reference / best:.2f}x of the reference)" if reference else ""
    spread = ", ".join(f"{t:.2f}" for t in runs)
    return f"{label:<34}{best:7.2f} s {rows / best:>10,.0f} rows/s{ratio}   runs: {spread}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--memory-scale", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs; the fastest counts")
    parser.add_argument("--mysql", default=None, help="also measure MariaDB/MySQL at this server URL")
    parser.add_argument("--mysql-scale", type=float, default=0.2)
    parser.add_argument("--no-postgres", action="store_true", help="only the MariaDB/MySQL figures")
    args = parser.parse_args()

    import dbsynth
    from dbsynth.model import Model

    work = Path(tempfile.mkdtemp(prefix="dbsynth-bench-"))
    model_path = work / "model.json"
    dbsynth.fit(_url(args.server, SOURCE_DB), sample_rows=100_000).save(model_path)
    model = Model.load(model_path)
    order = [t.table for t in dbsynth.make_plan(model, scale=args.scale).tables]
    lines = []

    # PostgreSQL: the same rows as CSV, for raw \copy
    csv_dir = work / "csv"
    dbsynth.generate(model_path, str(csv_dir), scale=args.scale, seed=1, file_format="csv")
    copy_sql = "".join(
        f"\\copy {_qualified(key)} FROM '{csv_dir / (key + '.csv')}' WITH (FORMAT csv, HEADER true)\n"
        for key in order
    )
    pg: dict[str, list[float]] = {"psql": [], "psql_fk": [], "jobs1": [], "jobs2": []}
    rows = 0
    for _ in range(0 if args.no_postgres else args.repeat):  # alternate: all see the same load
        for variant in pg:
            db = _fresh(args.server)
            url = _url(args.server, db)
            _schema_only(model_path, url)
            if variant == "psql":
                pg[variant].append(_timed(lambda url=url: _psql(url, copy_sql)))
            elif variant == "psql_fk":
                script = _around_fks(url, copy_sql)
                pg[variant].append(_timed(lambda url=url, script=script: _psql(url, script)))
            else:
                jobs = int(variant[-1])
                started = time.perf_counter()
                rows = _generate(model_path, url, args.scale, jobs)
                pg[variant].append(time.perf_counter() - started)
            _drop(args.server, db)
    if rows:
        where = f"{len(order)} tables (scale {args.scale:g} of {SOURCE_DB})"
        lines.append(f"PostgreSQL: {rows:,} rows in {where}")
        raw = min(pg["psql"])
        lines.append(_rates("psql \\copy (one stream, reference)", pg["psql"], rows, None))
        lines.append(_rates("psql \\copy, FKs re-added after", pg["psql_fk"], rows, raw))
        lines.append(_rates("dbsynth generate --jobs 1", pg["jobs1"], rows, raw))
        lines.append(_rates("dbsynth generate --jobs 2", pg["jobs2"], rows, raw))

    if args.mysql:
        tsv = _tsv_files(model_path, args.mysql_scale, work / "tsv")
        load_sql = (
            "SET time_zone = '+00:00'; START TRANSACTION;\n"
            + "".join(
                f"LOAD DATA LOCAL INFILE '{tsv[key][0]}' INTO TABLE `{_mysql_name(model, key)}` "
                "CHARACTER SET utf8mb4 "
                f"({', '.join(f'`{c}`' for c in tsv[key][1])});\n"
                for key in order
            )
            + "COMMIT;\n"
        )
        my: dict[str, list[float]] = {"client": [], "insert": [], "jobs1": [], "jobs2": []}
        my_rows = 0
        for _ in range(args.repeat):
            for variant in my:
                db = _fresh(args.mysql)
                url = _url(args.mysql, db)
                _schema_only(model_path, url)
                if variant == "client":
                    my[variant].append(_timed(lambda db=db: _mariadb(args.mysql, db, load_sql)))
                else:
                    jobs = 2 if variant == "jobs2" else 1
                    started = time.perf_counter()
                    my_rows = _generate(model_path, url, args.mysql_scale, jobs, local=variant != "insert")
                    my[variant].append(time.perf_counter() - started)
                _drop(args.mysql, db)
        lines.append(f"MariaDB: {my_rows:,} rows (scale {args.mysql_scale:g})")
        client = min(my["client"])
        lines.append(_rates("mariadb --local-infile (reference)", my["client"], my_rows, None))
        lines.append(_rates("generate, executemany (before)", my["insert"], my_rows, client))
        lines.append(_rates("generate, LOAD DATA --jobs 1", my["jobs1"], my_rows, client))
        lines.append(_rates("generate, LOAD DATA --jobs 2", my["jobs2"], my_rows, client))
        before = min(my["insert"])
        lines.append(f"LOAD DATA --jobs 2 vs executemany: {before / min(my['jobs2']):.2f}x")

    # peak memory of a large generation (files, so only generation is measured)
    script = (
        "import dbsynth, json, resource, sys, time\n"
        "t = time.perf_counter()\n"
        "r = dbsynth.generate(sys.argv[1], sys.argv[2], scale=float(sys.argv[3]), seed=1,\n"
        "                     file_format='csv', jobs=1)\n"
        "print(json.dumps({'rows': r.total_rows, 'seconds': time.perf_counter() - t,\n"
        "  'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    big = subprocess.run(
        [sys.executable, "-c", script, str(model_path), str(work / "big"), str(args.memory_scale)],
        check=True,
        capture_output=True,
        text=True,
    )
    mem = json.loads(big.stdout.strip().splitlines()[-1])
    lines.append(
        f"dbsynth generate to CSV: {mem['rows']:,} rows in {mem['seconds']:.1f} s, "
        f"peak {mem['peak_mb']:.0f} MB"
    )
    print("\n".join(lines))


def _mysql_name(model: Any, key: str) -> str:
    from dbsynth.writing.ddl import target_table_name

    return target_table_name(model.schema.table(key), "mysql")[1]


def _qualified(key: str) -> str:
    return ".".join(f'"{part}"' for part in key.split("."))


if __name__ == "__main__":
    main()
