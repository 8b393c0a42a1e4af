"""Fidelity and validity of dbsynth against SDV's HMASynthesizer, scored by SDMetrics.

    ./scripts/bench-env                       # once: builds .venv-bench (SDV, SDMetrics, pandas < 3)
    python benchmarks/fidelity_bench.py [--subsets pagila,chinook,northwind,world] [--seed 1]
                                        [--server postgresql://postgres@127.0.0.1:5432/postgres]
                                        [--out DIR]

For each subset of a sample database (at most 5 tables, the relationships between them that the
catalog declares):

1. the source tables are read from PostgreSQL whole and normalised into frames (below);
2. dbsynth, in this interpreter (its own environment, pandas 3): ``dbsynth.fit(source,
   tables=subset, seed=N)`` then ``dbsynth.generate(model, <fresh database>, seed=N, scale=1,
   create_schema=True)``; its tables are read back and normalised the same way;
3. ``benchmarks/fidelity_sdv.py`` in the bench environment (``.venv-bench``, made by
   ``scripts/bench-env``: SDMetrics 0.32 needs pandas < 3): SDV's column detection on the
   source frames plus the catalog's primary and foreign keys make the metadata; HMASynthesizer
   is fitted on the same frames and sampled at scale 1; both outputs are scored by SDMetrics'
   QualityReport with that one metadata. Frames go between the two environments as Parquet
   in a work directory (``--out`` keeps it, with ``sdv.json``: metadata and every property's
   details for both tools);
4. each output (and, as a check of the checker, the source: it must count 0) is loaded into a
   fresh PostgreSQL database and held against every constraint the source catalog declares
   among the subset's tables, with SQL: a row with a value its column's type refuses, as an
   INSERT would (``sdv-id-AbCdEf`` in a ``char(3)``, 10035095 in a ``smallint``), counts once
   as rejected; then, over every row loaded with widened types (lengths and precisions
   dropped, integers as bigint), each NULL in a NOT NULL column, each duplicate of a primary
   key or unique index, each foreign key without a parent, each failing CHECK counts once;
5. a table is printed: the four SDMetrics properties and their mean (overall), fit and sample
   seconds, constraint violations; then the violations in detail and what was adapted.

Normalised frames, the same for the source and both outputs: numerics as floats (SDV rejects
``Decimal``), integers as integers (floats when NULLs), ``timestamptz`` as naive UTC,
``bytea`` left out (neither SDV nor SDMetrics takes bytes: pagila's ``staff.picture``, all
NULL there; dbsynth still generates it, the checks skip it). Foreign keys to tables outside the
subset are neither modelled as relationships nor checked (dbsynth's ``--table`` drops them, SDV
sees plain columns).

The timings are not like for like: dbsynth's fit includes introspecting and sampling the
source (SDV is handed frames in memory) and its sample time includes writing every row into
PostgreSQL with COPY (SDV's stays in memory). SDV is seeded through numpy, random and torch, and
its process gets ``PYTHONHASHSEED`` = the seed (its sampling follows the order of string sets).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

import dbsynth

ROOT = Path(__file__).resolve().parent.parent
NOT_SUMMED = ("type", "unchecked", "unloadable")  # details of rows already counted, or none
PROPERTIES = ("Column Shapes", "Column Pair Trends", "Cardinality", "Intertable Trends")


@dataclass(frozen=True)
class Subset:
    database: str
    tables: tuple[str, ...]
    note: str = ""
    # Foreign keys ("table.column") left out of the SDMetrics/SDV metadata: SDV's open-source
    # HMASynthesizer refuses schemas deeper than two tables (parent -> child). They are still
    # fitted by dbsynth (it is given the tables, not the metadata) and checked as violations.
    unmodelled: tuple[str, ...] = ()


SUBSETS = {
    "pagila": Subset(
        "pagila",
        ("customer", "inventory", "staff", "rental"),
        "staff.picture (bytea, NULL in every row here) left out of the frames; store is not in the "
        "subset, so the store<->staff cycle is not either: the store_id columns are plain columns",
    ),
    "chinook": Subset("chinook", ("album", "genre", "media_type", "track")),
    "northwind": Subset(
        "northwind",
        ("customers", "orders", "order_details", "products"),
        "customers -> orders -> order_details is three tables deep, more than HMASynthesizer takes: "
        "orders.customer_id -> customers is left out of the metadata (for SDV and for the scores); "
        "order_details' composite primary key (order_id, product_id) cannot be an SDV key",
        unmodelled=("orders.customer_id",),
    ),
    "world": Subset(
        "world",
        ("country", "city", "countrylanguage"),
        "the catalog declares country.capital -> city and countrylanguage.countrycode -> country; "
        "city.countrycode -> country is not declared, so neither tool is told of it. "
        "city -> country -> countrylanguage is three tables deep, more than HMASynthesizer takes: "
        "country.capital -> city is left out of the metadata (for SDV and for the scores); "
        "countrylanguage's composite primary key cannot be an SDV key",
        unmodelled=("country.capital",),
    ),
}

# -- catalog ------------------------------------------------------------------------------------

KINDS = {
    "int2": "int",
    "int4": "int",
    "int8": "int",
    "numeric": "float",
    "float4": "float",
    "float8": "float",
    "bool": "bool",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
    "bytea": "bytes",
    "text": "text",
    "varchar": "text",
    "bpchar": "text",
    "name": "text",
}

COLUMNS_SQL = """
SELECT a.attname,
       format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END,
                   CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) AS sql_type,
       (SELECT bt.typname FROM pg_type bt
        WHERE bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END) AS base,
       t.typtype, a.attnotnull OR (t.typtype = 'd' AND t.typnotnull) AS not_null,
       (SELECT array_agg(pg_get_expr(c.conbin, 0)) FROM pg_constraint c WHERE c.contypid = t.oid
        AND c.contype = 'c') AS domain_checks,
       (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)
        AS enum_labels
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

KEYS_SQL = """
SELECT i.indisprimary, array_agg(a.attname ORDER BY k.ord)
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = %s::regclass AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
GROUP BY i.indexrelid, i.indisprimary
ORDER BY NOT i.indisprimary, i.indexrelid
"""

FKS_SQL = """
SELECT c.conname, c.confrelid::regclass::text,
       (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(n, ord)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n),
       (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(n, ord)
        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n)
FROM pg_constraint c WHERE c.conrelid = %s::regclass AND c.contype = 'f' ORDER BY c.conname
"""

CHECKS_SQL = """
SELECT conname, pg_get_expr(conbin, conrelid) FROM pg_constraint
WHERE conrelid = %s::regclass AND contype = 'c' ORDER BY conname
"""


def read_catalog(conn: psycopg.Connection, subset: Subset) -> dict[str, Any]:
    """The subset's tables as the catalog declares them: columns and their types, primary key,
    unique indexes, foreign keys among the subset's tables, CHECKs (domain CHECKs and enum
    labels become CHECKs on the column's base type)."""
    tables = []
    ignored_fks = []
    for name in subset.tables:
        columns = []
        checks = []
        for col, sql_type, base, _typtype, not_null, domain_checks, labels in conn.execute(
            COLUMNS_SQL, (name,)
        ):
            quoted = '"' + col.replace('"', '""') + '"'
            if labels:  # an enum: text with a CHECK on its labels
                sql_type, base = "text", "text"
                listed = ", ".join("'" + v.replace("'", "''") + "'" for v in labels)
                checks.append({"name": f"enum {col}", "expr": f"{quoted} IN ({listed})"})
            for i, expr in enumerate(domain_checks or ()):
                checks.append({"name": f"domain {col} #{i + 1}", "expr": expr.replace("VALUE", quoted)})
            columns.append(
                {"name": col, "type": sql_type, "kind": KINDS.get(base, "other"), "not_null": not_null}
            )
        keys = conn.execute(KEYS_SQL, (name,)).fetchall()
        pk = next((list(cols) for primary, cols in keys if primary), [])
        uniques = [list(cols) for primary, cols in keys if not primary]
        fks = []
        for conname, ref, cols, ref_cols in conn.execute(FKS_SQL, (name,)):
            ref = ref.removeprefix("public.")
            if ref in subset.tables:
                fks.append({"name": conname, "columns": cols, "ref_table": ref, "ref_columns": ref_cols})
            else:
                ignored_fks.append(f"{name}({', '.join(cols)}) -> {ref}")
        checks += [{"name": n, "expr": e} for n, e in conn.execute(CHECKS_SQL, (name,))]
        tables.append(
            {
                "name": name,
                "columns": columns,
                "primary_key": pk,
                "uniques": uniques,
                "foreign_keys": fks,
                "checks": checks,
            }
        )
    return {"database": subset.database, "tables": tables, "fks_outside_subset": ignored_fks}


# -- frames -------------------------------------------------------------------------------------


def read_table(conn: psycopg.Connection, table: dict[str, Any]) -> pd.DataFrame:
    """``SELECT *`` of one table, normalised (see the module doc)."""
    query = sql.SQL("SELECT * FROM {}").format(sql.Identifier(table["name"]))
    cur = conn.execute(query)
    names = [d.name for d in cur.description]
    rows = cur.fetchall()
    raw = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    out: dict[str, pd.Series] = {}
    for col in table["columns"]:
        name, kind = col["name"], col["kind"]
        values = pd.Series(raw[name], dtype=object)
        if kind == "bytes":
            continue
        if kind == "int":
            series = pd.to_numeric(values)
            out[name] = series.astype("int64") if series.notna().all() else series.astype("float64")
        elif kind == "float":
            out[name] = pd.to_numeric(values.map(lambda v: None if v is None else float(v))).astype("float64")
        elif kind == "bool":
            out[name] = values.astype(bool) if values.notna().all() else values
        elif kind in ("date", "timestamp"):
            out[name] = pd.to_datetime(values).astype("datetime64[ns]")
        elif kind == "timestamptz":
            out[name] = pd.to_datetime(values, utc=True).dt.tz_convert(None).astype("datetime64[ns]")
        else:
            out[name] = values.map(lambda v: None if v is None else str(v)).astype(object)
    return pd.DataFrame(out)


def read_frames(url: str, catalog: dict[str, Any]) -> dict[str, pd.DataFrame]:
    with psycopg.connect(url) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        return {t["name"]: read_table(conn, t) for t in catalog["tables"]}


def write_frames(folder: Path, frames: dict[str, pd.DataFrame]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in frames.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)


def read_parquet(folder: Path, catalog: dict[str, Any]) -> dict[str, pd.DataFrame]:
    return {t["name"]: pd.read_parquet(folder / f"{t['name']}.parquet") for t in catalog["tables"]}


# -- databases ----------------------------------------------------------------------------------


def db_url(server: str, database: str) -> str:
    base, _, _ = server.rpartition("/")
    return f"{base}/{database}"


def recreate(server: str, database: str) -> str:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return db_url(server, database)


def drop(server: str, database: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


# -- constraint violations ----------------------------------------------------------------------

FITS = """
CREATE FUNCTION pg_temp.fits(v text, probe text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF v IS NULL THEN RETURN true; END IF;
    EXECUTE format('INSERT INTO %s VALUES (%L)', probe, v);
    RETURN true;
EXCEPTION WHEN others THEN
    RETURN false;
END $$
"""
# Whether a value fits its column is asked the way an INSERT would: ``'abcdefgh'::varchar(5)``
# truncates silently, ``INSERT ... VALUES ('abcdefgh')`` into a varchar(5) column is refused. So
# each value is inserted into a one-column probe table of the column's type.

WIDER = {"smallint": "bigint", "integer": "bigint", "real": "double precision"}


def wider(sql_type: str) -> str:
    """The type a column is loaded as for the constraint counts: lengths and precisions
    dropped, integers widened, so a row whose value does not fit its real type (counted
    apart) still takes part in the key, foreign-key, NOT NULL and CHECK counts."""
    if sql_type.startswith(("character", "text")):
        return "text"
    if sql_type.startswith("numeric"):
        return "numeric"
    return WIDER.get(sql_type, sql_type)


def as_text(value: Any, kind: str) -> str | None:
    """One value as PostgreSQL's text input for its column (NULL for missing values)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def ident(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def count_violations(url: str, catalog: dict[str, Any], frames: dict[str, pd.DataFrame]) -> list[dict]:
    """Load ``frames`` into the empty database at ``url`` and count what the source's schema
    would refuse: rows with a value that does not fit its column's type (``rows rejected``;
    ``type`` entries say which columns, and are not added to the total), then, over every row
    loaded with widened types, each constraint's violations. One entry per count > 0, plus one
    per catalog column the frames lack (``unchecked``)."""
    found: list[dict] = []
    with psycopg.connect(url) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(FITS)
        for table in catalog["tables"]:
            found += load_table(conn, table, frames[table["name"]])
        for table in catalog["tables"]:
            found += constraint_counts(conn, table, set(frames[table["name"]].columns))
        conn.rollback()
    return found


def load_table(conn: psycopg.Connection, table: dict[str, Any], df: pd.DataFrame) -> list[dict]:
    name = table["name"]
    found = []
    present = [c for c in table["columns"] if c["name"] in df.columns]
    for c in table["columns"]:
        if c["name"] not in df.columns:
            found.append({"table": name, "what": "unchecked", "detail": c["name"], "count": 0})
    conn.execute(
        sql.SQL("CREATE TABLE {} ({})").format(
            ident(name),
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(ident(c["name"]), sql.SQL(wider(c["type"]))) for c in table["columns"]
            ),
        )
    )
    stage = f"stage_{name}"
    conn.execute(
        sql.SQL("CREATE TEMP TABLE {} ({})").format(
            ident(stage), sql.SQL(", ").join(sql.SQL("{} text").format(ident(c["name"])) for c in present)
        )
    )
    kinds = [c["kind"] for c in present]
    columns = [df[c["name"]].tolist() for c in present]
    with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(ident(stage))) as copy:
        for row in zip(*columns, strict=True):
            copy.write_row([as_text(v, k) for v, k in zip(row, kinds, strict=True)])

    def probe(i: int, sql_type: str, suffix: str) -> sql.Composable:
        table_name = f"probe_{name}_{i}_{suffix}"
        conn.execute(sql.SQL("CREATE TEMP TABLE {} (v {})").format(ident(table_name), sql.SQL(sql_type)))
        return sql.SQL("pg_temp.fits({}, {})").format(
            ident(present[i]["name"]), sql.Literal(f"pg_temp.{table_name}")
        )

    strict, loose = [], []
    for i, c in enumerate(present):
        fits = probe(i, c["type"], "strict")
        bad, example = conn.execute(
            sql.SQL("SELECT count(*), min({}) FROM {} WHERE NOT {}").format(
                ident(c["name"]), ident(stage), fits
            )
        ).fetchone()
        if bad:
            detail = f"{c['name']} {c['type']} (e.g. {example[:40]!r})"
            found.append({"table": name, "what": "type", "detail": detail, "count": bad})
        strict.append(fits)
        loose.append(probe(i, wider(c["type"]), "wide"))
    true = sql.SQL("true")
    rejected = conn.execute(
        sql.SQL("SELECT count(*) FROM {} WHERE NOT ({})").format(
            ident(stage), sql.SQL(" AND ").join(strict) if strict else true
        )
    ).fetchone()[0]
    if rejected:
        found.append(
            {"table": name, "what": "rows rejected", "detail": "a value of the wrong type", "count": rejected}
        )
    inserted = conn.execute(
        sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} WHERE {}").format(
            ident(name),
            sql.SQL(", ").join(ident(c["name"]) for c in present),
            sql.SQL(", ").join(
                sql.SQL("{}::{}").format(ident(c["name"]), sql.SQL(wider(c["type"]))) for c in present
            ),
            ident(stage),
            sql.SQL(" AND ").join(loose) if loose else true,
        )
    ).rowcount
    if inserted < len(df):
        found.append(
            {
                "table": name,
                "what": "unloadable",
                "detail": "rows left out of the constraint counts",
                "count": len(df) - inserted,
            }
        )
    return found


def constraint_counts(conn: psycopg.Connection, table: dict[str, Any], present: set[str]) -> list[dict]:
    name = table["name"]
    t = ident(name)
    out = []

    def add(what: str, detail: str, query: sql.Composable) -> None:
        n = conn.execute(query).fetchone()[0] or 0
        if n:
            out.append({"table": name, "what": what, "detail": detail, "count": int(n)})

    for c in table["columns"]:
        if c["not_null"] and c["name"] in present:
            add(
                "not null",
                c["name"],
                sql.SQL("SELECT count(*) FROM {} WHERE {} IS NULL").format(t, ident(c["name"])),
            )
    keys = [("primary key", table["primary_key"])] if table["primary_key"] else []
    keys += [("unique", cols) for cols in table["uniques"]]
    for what, cols in keys:
        cs = sql.SQL(", ").join(ident(c) for c in cols)
        not_null = sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(ident(c)) for c in cols)
        add(
            what,
            f"({', '.join(cols)}) duplicates",
            sql.SQL(
                "SELECT sum(n - 1) FROM (SELECT count(*) AS n FROM {} WHERE {} GROUP BY {}"
                " HAVING count(*) > 1) d"
            ).format(t, not_null, cs),
        )
    for fk in table["foreign_keys"]:
        match = sql.SQL(" AND ").join(
            sql.SQL("p.{} = c.{}").format(ident(r), ident(c))
            for c, r in zip(fk["columns"], fk["ref_columns"], strict=True)
        )
        not_null = sql.SQL(" AND ").join(sql.SQL("c.{} IS NOT NULL").format(ident(c)) for c in fk["columns"])
        add(
            "foreign key",
            f"({', '.join(fk['columns'])}) -> {fk['ref_table']} orphans",
            sql.SQL("SELECT count(*) FROM {} c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {})").format(
                t, not_null, ident(fk["ref_table"]), match
            ),
        )
    for check in table["checks"]:
        add(
            "check",
            check["name"],
            sql.SQL("SELECT count(*) FROM {} WHERE NOT ({})").format(t, sql.SQL(check["expr"])),
        )
    return out


# -- the benchmark ------------------------------------------------------------------------------


def run_dbsynth(source: str, target: str, subset: Subset, seed: int) -> tuple[float, float]:
    start = time.perf_counter()
    model = dbsynth.fit(source, tables=list(subset.tables), seed=seed)
    fitted = time.perf_counter()
    dbsynth.generate(model, target, scale=1.0, seed=seed, create_schema=True, source=source)
    return fitted - start, time.perf_counter() - fitted


def run_subset(key: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    subset = SUBSETS[key]
    source = db_url(args.server, subset.database)
    folder = work / key
    folder.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(source) as conn:
        catalog = read_catalog(conn, subset)
    catalog["unmodelled"] = list(subset.unmodelled)
    (folder / "catalog.json").write_text(json.dumps(catalog, indent=1))
    real = read_frames(source, catalog)
    write_frames(folder / "real", real)

    target_db = f"fidelity_bench_{key}_dbsynth"
    target = recreate(args.server, target_db)
    fit_s, sample_s = run_dbsynth(source, target, subset, args.seed)
    write_frames(folder / "dbsynth", read_frames(target, catalog))
    drop(args.server, target_db)
    print(f"{key}: dbsynth fit {fit_s:.1f} s, generate {sample_s:.1f} s; running SDV ...", flush=True)

    subprocess.run(
        [
            args.bench_python,
            str(ROOT / "benchmarks" / "fidelity_sdv.py"),
            str(folder),
            "--seed",
            str(args.seed),
        ],
        check=True,
        # SDV's output depends on the order of Python's string sets: fix the hash seed too
        env={**os.environ, "PYTHONHASHSEED": str(args.seed)},
    )
    sdv = json.loads((folder / "sdv.json").read_text())
    result: dict[str, Any] = {
        "subset": key,
        "note": subset.note,
        "fks_outside_subset": catalog["fks_outside_subset"],
        "sdv_notes": sdv["notes"],
        "sdv_error": sdv.get("sdv_error"),
        "versions": sdv["versions"],
        "rows": {t: len(df) for t, df in real.items()},
        "tools": {},
    }
    outputs = {"dbsynth": (folder / "dbsynth", fit_s, sample_s)}
    if "sdv" in sdv["scores"]:
        outputs["sdv"] = (folder / "sdv", sdv["sdv_fit_seconds"], sdv["sdv_sample_seconds"])
    check_db = f"fidelity_bench_{key}_check"
    source_violations = count_violations(recreate(args.server, check_db), catalog, real)
    result["source_violations"] = sum(v["count"] for v in source_violations if v["what"] not in NOT_SUMMED)
    for tool, (path, fit_seconds, sample_seconds) in outputs.items():
        frames = read_parquet(path, catalog)
        violations = count_violations(recreate(args.server, check_db), catalog, frames)
        result["tools"][tool] = {
            "scores": sdv["scores"][tool]["properties"],
            "overall": sdv["scores"][tool]["overall"],
            "fit_seconds": fit_seconds,
            "sample_seconds": sample_seconds,
            "rows": {t: len(df) for t, df in frames.items()},
            "violations": violations,
        }
    drop(args.server, check_db)
    return result


def pct(value: float | None) -> str:
    return "—" if value is None or value != value else f"{100 * value:.1f}%"


def print_results(results: list[dict[str, Any]]) -> None:
    header = [
        "subset",
        "tool",
        "overall",
        "column shapes",
        "column pair trends",
        "cardinality",
        "intertable trends",
        "fit s",
        "sample s",
        "violations",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for r in results:
        if r["sdv_error"]:
            print(f"| {r['subset']} | sdv | failed: {r['sdv_error'][:80]} |" + " |" * 7)
        for tool, t in r["tools"].items():
            count = sum(v["count"] for v in t["violations"] if v["what"] not in NOT_SUMMED)
            cells = [
                r["subset"],
                tool,
                pct(t["overall"]),
                *(pct(t["scores"].get(p)) for p in PROPERTIES),
                f"{t['fit_seconds']:.1f}",
                f"{t['sample_seconds']:.1f}",
                str(count),
            ]
            print("| " + " | ".join(cells) + " |")
    print()
    if any(
        t["scores"].get(p) != t["scores"].get(p)
        for r in results
        for t in r["tools"].values()
        for p in PROPERTIES
    ):
        print(
            "—: no pair of that property reaches SDMetrics' threshold in the source (|ρ| > 0.5 or V > 0.3);"
        )
        print("   the property has no score and overall is the mean of the others.")
    versions = ", ".join(f"{k} {v}" for k, v in results[0]["versions"].items()) if results else ""
    print(f"dbsynth {dbsynth.__version__} (pandas {pd.__version__}); bench environment: {versions}")
    for r in results:
        print(f"{r['subset']}: rows {r['rows']}; the source itself: {r['source_violations']} violations")
        if r["note"]:
            print(f"  note: {r['note']}")
        if r["fks_outside_subset"]:
            outside = "; ".join(r["fks_outside_subset"])
            print(f"  FKs to tables outside the subset (not modelled, not checked): {outside}")
        for note in r["sdv_notes"]:
            print(f"  SDV metadata: {note}")
        for tool, t in r["tools"].items():
            if t["rows"] != r["rows"]:
                print(f"  {tool} rows: {t['rows']}")
            for v in t["violations"]:
                if v["what"] == "unchecked":
                    print(f"  {tool}: {v['table']}.{v['detail']} not in the frames, not checked")
                else:
                    print(f"  {tool} violation: {v['table']} {v['what']} {v['detail']}: {v['count']}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--subsets", default=",".join(SUBSETS), help="comma-separated, of: " + ", ".join(SUBSETS)
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--server",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL superuser URL; the sample databases are found beside it",
    )
    parser.add_argument(
        "--bench-python",
        default=str(ROOT / ".venv-bench" / "bin" / "python"),
        help="the interpreter with SDV and SDMetrics (scripts/bench-env)",
    )
    parser.add_argument("--out", type=Path, help="keep the work directory here (frames, scores, details)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    keys = [k.strip() for k in args.subsets.split(",") if k.strip()]
    unknown = [k for k in keys if k not in SUBSETS]
    if unknown:
        parser.error(f"unknown subsets {unknown}; known: {', '.join(SUBSETS)}")
    if not Path(args.bench_python).exists():
        parser.error(f"{args.bench_python} not found: run ./scripts/bench-env first")

    start = time.perf_counter()
    work = args.out or Path(tempfile.mkdtemp(prefix="fidelity_bench_"))
    try:
        results = [run_subset(k, args, work) for k in keys]
    finally:
        if args.out is None:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print_results(results)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
