"""Fit time and peak memory on a 1M-row sample across a few tables (PostgreSQL).

    python benchmarks/fit_bench.py [--server postgresql://postgres@127.0.0.1:5432/test] [--rows 1000000]
                                   [--repeat 3]

Builds ``dbsynth_bench_fit`` once (customers → orders → order_items, ~1M rows in all, with
numbers, categories, timestamps, text, personal data and NULLs), then runs ``dbsynth.fit`` on
it in a fresh process with a sample bound large enough to read every row, and prints wall
time, peak resident memory, and the same read done by a plain ``SELECT *`` into pandas for
reference (the floor any fit has to pay). Both include importing their libraries. With
``--repeat``, each is run that many times, alternating, and the fastest run is printed: on a
machine shared with other work the slowest runs measure the neighbours.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import sqlalchemy as sa

DB = "dbsynth_bench_fit"

BUILD = """
CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, name text NOT NULL,
    tier text NOT NULL, country text, signup timestamptz NOT NULL, credit numeric(10,2));
INSERT INTO customers
SELECT g, 'user' || g || '@mail.test', 'Name ' || g,
       (ARRAY['basic','basic','basic','premium','gold'])[1 + g % 5],
       CASE WHEN g % 10 = 0 THEN NULL ELSE (ARRAY['DE','FR','US','GB','NL'])[1 + g % 5] END,
       timestamptz '2020-01-01' + (g % 1000) * interval '1 day' + (g % 86400) * interval '1 second',
       round((random() * 1000)::numeric, 2)
FROM generate_series(1, {customers}) g;
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,
    status text NOT NULL, created_at timestamptz NOT NULL, shipped_at timestamptz, total numeric(12,2));
INSERT INTO orders
SELECT g, 1 + (g::bigint * 7919) % {customers}, (ARRAY['new','paid','shipped','shipped','done'])[1 + g % 5],
       timestamptz '2021-01-01' + (g % 700) * interval '1 day',
       CASE WHEN g % 4 = 0 THEN NULL ELSE timestamptz '2021-01-03' + (g % 700) * interval '1 day' END,
       round((exp(random() * 5))::numeric, 2)
FROM generate_series(1, {orders}) g;
CREATE TABLE order_items (order_id int NOT NULL REFERENCES orders, line_no int NOT NULL,
    sku text NOT NULL, qty int NOT NULL CHECK (qty > 0), price numeric(10,2) NOT NULL,
    PRIMARY KEY (order_id, line_no));
INSERT INTO order_items
SELECT 1 + (g - 1) / 2, 1 + (g - 1) % 2, 'SKU-' || lpad((g % 5000)::text, 6, '0'),
       1 + g % 4, round((1 + random() * 99)::numeric, 2)
FROM generate_series(1, {items}) g;
ANALYZE;
"""


def build(server: str, rows: int) -> str:
    url = sa.make_url(server).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        exists = c.exec_driver_sql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'").first()
        if not exists:
            c.exec_driver_sql(f'CREATE DATABASE "{DB}"')
    admin.dispose()
    target = url.set(database=DB)
    engine = sa.create_engine(target)
    with engine.begin() as c:
        present = c.exec_driver_sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").scalar_one()
        if not present:
            customers, orders = rows // 5, rows * 2 // 5
            sql = BUILD.format(customers=customers, orders=orders, items=rows - customers - orders)
            c.exec_driver_sql(sql.replace("%", "%%"))
    engine.dispose()
    return target.render_as_string(hide_password=False)


def measure(code: str, url: str) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter; report its wall time and peak RSS."""
    script = f"""
import json, resource, sys, time
url = sys.argv[1]
t0 = time.perf_counter()
{code}
print(json.dumps({{"seconds": time.perf_counter() - t0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
    out = subprocess.run([sys.executable, "-c", script, url], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest is shown")
    args = parser.parse_args()
    url = build(args.server, args.rows)
    runs: dict[str, list[dict[str, float]]] = {"baseline": [], "fit": []}
    for _ in range(max(1, args.repeat)):
        runs["baseline"].append(
            measure(
                "import pandas as pd, sqlalchemy as sa\n"
                "e = sa.create_engine(url.replace('postgresql://', 'postgresql+psycopg://'))\n"
                "frames = [pd.read_sql_table(t, e) for t in ('customers', 'orders', 'order_items')]",
                url,
            )
        )
        runs["fit"].append(
            measure(
                f"import dbsynth\nmodel = dbsynth.fit(url, sample_rows={args.rows})\nmodel.to_json()",
                url,
            )
        )
    baseline, fitted = (min(runs[k], key=lambda r: r["seconds"]) for k in ("baseline", "fit"))
    every = {k: ", ".join(f"{r['seconds']:.1f}" for r in v) for k, v in runs.items()}
    print(f"rows in the source: {args.rows:,} (3 tables)")
    print(f"plain SELECT * into pandas: {baseline['seconds']:6.1f} s, peak {baseline['peak_mb']:6.0f} MB")
    print(f"dbsynth fit (every row):    {fitted['seconds']:6.1f} s, peak {fitted['peak_mb']:6.0f} MB")
    if args.repeat > 1:
        print(f"all runs (s): SELECT * {every['baseline']}; fit {every['fit']}")


if __name__ == "__main__":
    main()
