"""How fast the PostgreSQL writer loads rows, against raw ``psql \\copy`` of the same rows.

    python benchmarks/copy_encode.py [--url postgresql://postgres@127.0.0.1:5432/postgres] [--rows 500000]

It creates a scratch database on the server, generates a frame of typical columns (keys, a
foreign key, numbers, a decimal, short text, a timestamp, a date, a boolean, some NULLs), and
times three things on the same table:

* encode: ``copy_csv`` alone (frame -> CSV bytes, no I/O);
* psql: ``\\copy ... FROM file (FORMAT csv)`` of those exact bytes written to a file beforehand
  (raw COPY: the database's own speed, nothing of dbsynth);
* dbsynth: ``PostgresTarget.open/write/close`` end to end with 50k-row batches (encoding included,
  plus the checks, the sequence reset and the COMMIT).

The project's goal is dbsynth >= 0.8 x psql in rows/s. Each is run ``--repeat`` times on an
empty table, interleaved; the best time of each counts (the machine is shared, the minimum is the
least noisy).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

from dbsynth.db import parse_url
from dbsynth.introspection import introspect
from dbsynth.writing import Batch, LoadSpec, TableLoad, open_target
from dbsynth.writing.encode import copy_csv
from dbsynth.writing.postgres import conninfo

TABLE_SQL = """
CREATE TABLE bench (
    id bigint PRIMARY KEY, customer_id integer NOT NULL, amount double precision, price numeric(10,2),
    name varchar(40), note text, created timestamp, birthday date, active boolean
)
"""
BATCH_ROWS = 50_000


def make_frame(rows: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = np.array(["alpha", "beta", "gamma", "delta", 'quote "q"', "comma, here", "ünïcode", ""])
    note = pd.Series(words[rng.integers(0, len(words), rows)], dtype=object)
    note[rng.random(rows) < 0.2] = None
    return pd.DataFrame(
        {
            "id": np.arange(1, rows + 1, dtype="int64"),
            "customer_id": rng.integers(1, 10_000, rows),
            "amount": rng.normal(100, 30, rows),
            "price": np.round(rng.gamma(2.0, 20.0, rows), 2),
            "name": pd.Series(words[rng.integers(0, len(words), rows)], dtype="str"),
            "note": note,
            "created": pd.Series(
                pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 10**8, rows), unit="s"),
                dtype="datetime64[us]",
            ),
            "birthday": pd.Series(
                pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 20_000, rows), unit="D"),
                dtype="datetime64[us]",
            ),
            "active": pd.array(rng.random(rows) < 0.5, dtype="boolean"),
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("DBSYNTH_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    server = parse_url(args.url)
    name = f"dbsynth_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conninfo(server), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = server.set(database=name)
    try:
        with psycopg.connect(conninfo(url), autocommit=True) as conn:
            conn.execute(TABLE_SQL)  # type: ignore[arg-type]
        schema = introspect(url)
        table = schema.table("public.bench")
        frame = make_frame(args.rows)
        columns = tuple(c.name for c in table.columns)

        start = time.perf_counter()
        data = copy_csv(frame, table.columns)
        encode = time.perf_counter() - start

        def truncate() -> None:
            with psycopg.connect(conninfo(url), autocommit=True) as conn:
                conn.execute("TRUNCATE bench")

        with tempfile.TemporaryDirectory() as tmp:
            csv_path = Path(tmp) / "bench.csv"
            csv_path.write_bytes(data)

            def psql() -> float:
                truncate()
                env = dict(os.environ, PGPASSWORD=url.password or "")
                host, port, user = url.host or "127.0.0.1", str(url.port or 5432), url.username or "postgres"
                copy = f"\\copy bench ({', '.join(columns)}) FROM '{csv_path}' (FORMAT csv)"
                command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", user]
                command += ["-d", name, "-c", copy]
                t0 = time.perf_counter()
                subprocess.run(command, check=True, env=env)
                return time.perf_counter() - t0

            def dbsynth() -> float:
                truncate()
                spec = LoadSpec(schema, (TableLoad("public.bench", columns, len(frame)),))
                t0 = time.perf_counter()
                sink = open_target(url.render_as_string(hide_password=False)).open(spec)
                for offset in range(0, len(frame), BATCH_ROWS):
                    sink.write(Batch("public.bench", frame.iloc[offset : offset + BATCH_ROWS]))
                result = sink.close(True)
                elapsed = time.perf_counter() - t0
                assert result.rows == {"public.bench": len(frame)}
                return elapsed

            # Interleaved, so that both see the same load of the (shared) machine.
            raw = ours = float("inf")
            for _ in range(args.repeat):
                raw = min(raw, psql())
                ours = min(ours, dbsynth())
    finally:
        with psycopg.connect(conninfo(server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]

    rows = len(frame)
    print(f"rows: {rows:,} ({len(data) / 1e6:.1f} MB of CSV)")
    print(f"encode only   : {rows / encode:12,.0f} rows/s")
    print(f"psql \\copy    : {rows / raw:12,.0f} rows/s")
    print(f"dbsynth writer: {rows / ours:12,.0f} rows/s  ({raw / ours:.2f} x psql)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
