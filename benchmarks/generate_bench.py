"""End-to-end ``generate`` throughput into PostgreSQL against raw ``psql \\copy`` of the same rows.

    python benchmarks/generate_bench.py [--server postgresql://postgres@127.0.0.1:5432/test]
                                        [--scale 1] [--memory-scale 10]

1. Fits a model of ``dbsynth_bench_fit`` (built by ``benchmarks/fit_bench.py``: customers →
   orders → order_items, 1M rows with personal data, categories, timestamps, CHECKs).
2. ``dbsynth generate`` at ``--scale`` into a fresh database (schema created first, not timed):
   rows/s of the whole run — generation, encoding, COPY, constraint checks, sequence resets.
3. The same rows written to CSV files by dbsynth, then loaded with ``psql \\copy`` into another
   fresh database with the same schema: rows/s of raw COPY, the reference.
4. Peak memory of a separate process generating ``--memory-scale`` × the source (10M rows by
   default) into CSV files (no database in the way, so only generation's memory is measured).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

SOURCE_DB = "dbsynth_bench_fit"


def _url(server: str, database: str) -> str:
    return sa.make_url(server).set(database=database).render_as_string(hide_password=False)


def _admin(server: str, sql: str) -> None:
    engine = sa.create_engine(
        sa.make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as c:
        c.exec_driver_sql(sql)
    engine.dispose()


def _fresh(server: str) -> str:
    name = f"dbsynth_bench_{uuid.uuid4().hex[:8]}"
    _admin(server, f'CREATE DATABASE "{name}"')
    return name


def _schema_only(model_path: Path, url: str) -> None:
    import dbsynth

    dbsynth.generate(model_path, url, rows=_zero_rows(model_path), create_schema=True)


def _zero_rows(model_path: Path) -> dict[str, int]:
    from dbsynth.model import Model

    return {t.table: 0 for t in Model.load(model_path).tables}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--memory-scale", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs; the fastest counts")
    args = parser.parse_args()

    import dbsynth
    from dbsynth.model import Model

    work = Path(tempfile.mkdtemp(prefix="dbsynth-bench-"))
    model_path = work / "model.json"
    dbsynth.fit(_url(args.server, SOURCE_DB), sample_rows=100_000).save(model_path)
    model = Model.load(model_path)
    order = [t.table for t in dbsynth.make_plan(model, scale=args.scale).tables]

    # the same rows as CSV, for raw \copy
    csv_dir = work / "csv"
    dbsynth.generate(model_path, str(csv_dir), scale=args.scale, seed=1, file_format="csv")
    copy_sql = "".join(
        f"\\copy {_qualified(key)} FROM '{csv_dir / (key + '.csv')}' WITH (FORMAT csv, HEADER true)\n"
        for key in order
    )
    ours_runs: list[float] = []
    raw_runs: list[float] = []
    rows = 0
    for _ in range(args.repeat):  # alternate, so both see the same machine load
        db1 = _fresh(args.server)
        _schema_only(model_path, _url(args.server, db1))
        started = time.perf_counter()
        result = dbsynth.generate(
            model_path, _url(args.server, db1), scale=args.scale, seed=1, if_exists="truncate"
        )
        ours_runs.append(time.perf_counter() - started)
        rows = result.total_rows
        db2 = _fresh(args.server)
        _schema_only(model_path, _url(args.server, db2))
        started = time.perf_counter()
        subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-d", _url(args.server, db2)],
            input=copy_sql,
            text=True,
            check=True,
        )
        raw_runs.append(time.perf_counter() - started)
        for db in (db1, db2):
            _admin(args.server, f'DROP DATABASE "{db}" WITH (FORCE)')
    ours, raw = min(ours_runs), min(raw_runs)

    # peak memory of a large generation (files, so only generation is measured)
    script = (
        "import dbsynth, json, resource, sys, time\n"
        "t = time.perf_counter()\n"
        "r = dbsynth.generate(sys.argv[1], sys.argv[2], scale=float(sys.argv[3]), seed=1,\n"
        "                     file_format='csv')\n"
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

    print(f"rows: {rows:,} in {len(order)} tables (scale {args.scale:g} of {SOURCE_DB})")
    print(
        f"runs (s): dbsynth {', '.join(f'{t:.2f}' for t in ours_runs)}; "
        f"psql {', '.join(f'{t:.2f}' for t in raw_runs)}"
    )
    print(f"psql \\copy from CSV:        {raw:6.2f} s  {rows / raw:>10,.0f} rows/s")
    print(
        f"dbsynth generate (COPY):    {ours:6.2f} s  {rows / ours:>10,.0f} rows/s  "
        f"({raw / ours:.2f}x of raw COPY)"
    )
    print(
        f"dbsynth generate to CSV:    {mem['rows']:,} rows in {mem['seconds']:.1f} s, "
        f"peak {mem['peak_mb']:.0f} MB"
    )


def _qualified(key: str) -> str:
    return ".".join(f'"{part}"' for part in key.split("."))


if __name__ == "__main__":
    main()
