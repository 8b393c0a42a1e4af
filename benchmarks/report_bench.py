"""Wall time and peak memory of ``dbsynth report`` on a 1M-row PostgreSQL database.

    python benchmarks/report_bench.py [--server postgresql://postgres@127.0.0.1:5432/test]
                                      [--sample-rows 50000] [--target URL]

The source is ``dbsynth_bench_fit`` (customers → orders → order_items, 1M rows; built by
``fit_bench.py``'s builder when missing). The target is, unless ``--target`` names another,
``dbsynth_bench_report_copy``: a copy of the source made once with ``CREATE DATABASE ... TEMPLATE``,
the worst case for the privacy checks (every row is a copy) and a known answer for fidelity
(1.0). The report runs in a fresh interpreter; the budget is one minute on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_bench import DB, build  # a sibling script, not a package

COPY = "dbsynth_bench_report_copy"
BUDGET_SECONDS = 60.0


def copy_database(source_url: str) -> str:
    """``COPY``'s URL, creating it from the source as a template when missing (retried while
    another session holds the template open: PostgreSQL refuses to copy a database in use)."""
    url = sa.make_url(source_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.exec_driver_sql(f"SELECT 1 FROM pg_database WHERE datname = '{COPY}'").first()
            for _ in range(40):
                if exists:
                    break
                try:
                    conn.exec_driver_sql(f'CREATE DATABASE "{COPY}" TEMPLATE "{DB}"')
                    break
                except OperationalError as exc:
                    if "being accessed by other users" not in str(exc):
                        raise
                    time.sleep(0.5)
            else:
                raise SystemExit(f"{DB} stays in use by other sessions; cannot copy it")
    finally:
        admin.dispose()
    return url.set(database=COPY).render_as_string(hide_password=False)


def measure(source: str, target: str, sample_rows: int) -> dict[str, object]:
    """Run ``build_report`` in a fresh interpreter; its wall time, peak RSS and headline."""
    script = """
import json, resource, sys, time
from dbsynth.report import build_report
t0 = time.perf_counter()
report = build_report(sys.argv[1], sys.argv[2], sample_rows=int(sys.argv[3]))
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "overall": report.score, "validity": report.validity.status,
                  "privacy": report.privacy.verdict, "sampling": report.sampling}))
"""
    out = subprocess.run(
        [sys.executable, "-c", script, source, target, str(sample_rows)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sample-rows", type=int, default=50_000)
    parser.add_argument("--target", default=None, help="measure against this database instead of a copy")
    args = parser.parse_args()
    source = build(args.server, 1_000_000)
    target = args.target or copy_database(source)
    result = measure(source, target, args.sample_rows)
    verdict = "within" if float(result["seconds"]) <= BUDGET_SECONDS else "OVER"  # type: ignore[arg-type]
    print(f"rows in the source: 1,000,000 (3 tables); --sample-rows {args.sample_rows:,}")
    print(f"dbsynth report: {result['seconds']:6.1f} s ({verdict} the {BUDGET_SECONDS:.0f} s budget), "
          f"peak {result['peak_mb']:6.0f} MB")  # fmt: skip
    print(f"overall score {result['overall']}, validity {result['validity']}, privacy {result['privacy']}")
    print(result["sampling"])


if __name__ == "__main__":
    main()
