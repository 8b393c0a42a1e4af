"""``build_report``: measure a synthetic database against its source, both live.

The steps, in order (each a plain function of the one before):

1. **inspect** both databases and match them (:func:`dbsynth.report.overlap.match`): the report
   covers the tables and columns both have and names the rest;
2. **sample** both read-only (:func:`dbsynth.sampling.sample_database`, the two in parallel),
   at most ``sample_rows`` rows per table; target names are mapped onto the source's;
3. **classify** every column from the source sample (:mod:`dbsynth.report.columns`);
4. **fidelity** on the samples (:mod:`dbsynth.report.fidelity`) and **cardinality** with SQL over
   all rows (:mod:`dbsynth.report.cardinality`);
5. **validity** with SQL in the target (:mod:`dbsynth.report.validity`);
6. **privacy** on the samples (:mod:`dbsynth.report.privacy`).

Neither database is written to: both are opened with ``read_only=True``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError

from dbsynth.db import backend, connect, display_url, parse_url
from dbsynth.errors import UsageError
from dbsynth.fitting.reference import MAX_REFERENCE_ROWS, NOT_PERSONAL, PROSE_WORDS
from dbsynth.introspection import introspect
from dbsynth.model import Holdout
from dbsynth.report.cardinality import Counts, cardinality_score, counts_from_frames, fetch_counts
from dbsynth.report.columns import ColumnInfo, classify_table, comparable_frame
from dbsynth.report.fidelity import TableFrames, assemble, inter_table_scores, score_table
from dbsynth.report.membership import held_rows, measure_membership
from dbsynth.report.overlap import Overlap, match
from dbsynth.report.privacy import PrivacyTable, measure_privacy
from dbsynth.report.result import REPORT_FORMAT, CardinalityScore, Fidelity, Report, SampleNote
from dbsynth.report.sdmetrics import metadata as sdmetrics_metadata
from dbsynth.report.sdmetrics import write as write_sdmetrics
from dbsynth.report.validity import run_checks
from dbsynth.sampling.sampler import Sample, sample_database
from dbsynth.schema import Schema

Step = Callable[[str], None]
DEFAULT_SAMPLE_ROWS = 50_000
DEFAULT_MIN_COUNT = 5


def check_options(sample_rows: int, holdout_fraction: float, min_count: int, scale: float | None) -> None:
    """Raise :class:`UsageError` for option values the report cannot work with."""
    if sample_rows < 1:
        raise UsageError(f"--sample-rows must be at least 1, got {sample_rows}")
    if not 0.0 <= holdout_fraction < 1.0:
        raise UsageError(f"--holdout-fraction must be at least 0 and below 1, got {holdout_fraction}")
    if min_count < 1:
        raise UsageError(f"--min-count must be at least 1, got {min_count}")
    if scale is not None and not scale > 0:
        raise UsageError(f"--scale must be above 0, got {scale}")


def build_report(
    source_url: str | URL,
    target_url: str | URL,
    *,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    holdout_fraction: float = 0.0,
    seed: int = 0,
    schemas: Sequence[str] | None = None,
    min_count: int = DEFAULT_MIN_COUNT,
    scale: float | None = None,
    tables: Sequence[str] | None = None,
    sdmetrics_dir: Path | None = None,
    on_step: Step | None = None,
    holdout: Holdout | None = None,
) -> Report:
    """Measure the database at ``target_url`` against the one at ``source_url``.

    ``sample_rows`` bounds the rows read per table and database (fidelity and privacy run on
    the samples; cardinality and validity are exact SQL). ``holdout_fraction`` of the source
    sample is held out as the privacy baseline. ``min_count`` is the rare-value threshold.
    ``scale`` is the requested target/source row ratio (default: the median ratio observed).
    ``schemas`` restricts each PostgreSQL side to these namespaces (ignored for MySQL/SQLite).
    ``tables`` (source table keys) limits what the target is compared on, for a clone of part
    of the source: other source tables are neither scored nor reported missing (they are still
    scanned for personal values that leaked). ``sdmetrics_dir`` receives the metadata and the
    compared frames for re-scoring with SDMetrics (:mod:`dbsynth.report.sdmetrics`).
    ``holdout`` is the holdout of the model the target was generated from (``fit --holdout``):
    the privacy section then tests membership against it (:mod:`dbsynth.report.membership`).
    """
    check_options(sample_rows, holdout_fraction, min_count, scale)
    say = on_step or (lambda message: None)
    started = time.perf_counter()
    source, target = parse_url(source_url), parse_url(target_url)
    say(f"Inspecting {display_url(source)} and {display_url(target)}")
    source_schema = introspect(source, _namespaces(source, schemas))
    target_schema = introspect(target, _namespaces(target, schemas))
    compared = source_schema
    if tables is not None:
        wanted = set(tables)
        compared = replace(source_schema, tables=tuple(t for t in source_schema.tables if t.key in wanted))
    overlap = match(compared, target_schema)

    say(f"Sampling both databases read-only (up to {sample_rows:,} rows per table)")
    with ThreadPoolExecutor(max_workers=2) as pool:
        # The whole source, not only the overlap: a personal column the target lacks may still
        # have leaked into another of its columns.
        source_job = pool.submit(sample_database, source, source_schema, sample_rows=sample_rows, seed=seed)
        target_job = pool.submit(sample_database, target, target_schema, sample_rows=sample_rows, seed=seed)
        source_sample, target_sample = source_job.result(), target_job.result()

    kinds = {t.key: classify_table(t, source_sample.frames[t.key], min_count) for t in source_schema.tables}
    frames = _table_frames(overlap, source_sample, target_sample, kinds)
    given = scale is not None
    ratio = scale if scale is not None else _observed_scale(frames)

    say("Scoring column shapes, pair trends and inter-table trends")
    scores = [score_table(f, scale=ratio, min_count=min_count, seed=seed) for f in frames.values()]
    inter = inter_table_scores(overlap.source, frames, seed)

    say("Counting children per parent and checking constraints in the target (SQL, all rows)")
    with connect(source, read_only=True) as s_conn, connect(target, read_only=True) as t_conn:
        cardinalities = _cardinalities(overlap, s_conn, t_conn)
        infos = {key: f.infos for key, f in frames.items()}
        validity = run_checks(overlap, s_conn, t_conn, infos)
    fidelity = assemble(scores, cardinalities, inter, ratio, given)
    if sdmetrics_dir is not None:
        write_sdmetrics(
            sdmetrics_dir,
            sdmetrics_metadata(overlap.source, infos),
            {k: f.source_cmp for k, f in frames.items()},
            {k: f.target_cmp for k, f in frames.items()},
        )

    say("Looking for copied records and leaked personal data")
    copied = copied_tables(frames)
    targets = _scan_targets(overlap, target_sample)
    matched = [PrivacyTable(f.table, f.infos, f.source_cmp, f.target_cmp) for f in frames.values()]
    members = []
    if holdout is not None:
        say("Testing membership against the rows the fit held out")
        members = measure_membership(matched, _held(holdout, frames, source_sample, copied), seed)
    privacy = measure_privacy(
        matched,
        [p for p in _pii_sources(source_schema, source_sample, kinds) if p.table.key not in copied],
        {k: v for k, v in targets.items() if k not in copied},
        copied=copied,
        min_count=min_count,
        holdout_fraction=holdout_fraction,
        seed=seed,
        membership=members,
        model_holdout=holdout.fraction if holdout is not None else None,
    )
    samples = tuple(_sample_note(overlap, key, source_sample, target_sample) for key in frames)
    # What the source has that no clone carries (triggers, policies, rules...), in one line.
    not_carried = (
        ("not carried: " + "; ".join(source_schema.not_carried),) if source_schema.not_carried else ()
    )
    warnings = tuple(
        dict.fromkeys(
            (*source_schema.warnings, *not_carried, *_sample_warnings(source_sample, target_sample))
        )
    )
    return Report(
        source=display_url(source),
        target=display_url(target),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - started, 3),
        sample_rows=sample_rows,
        seed=seed,
        sampling=_sampling_statement(samples, sample_rows),
        samples=samples,
        schema=overlap.diff,
        fidelity=fidelity,
        validity=validity,
        privacy=privacy,
        warnings=warnings,
        format=REPORT_FORMAT,
    )


def _held(
    holdout: Holdout, frames: Mapping[str, TableFrames], sample: Sample, copied: Mapping[str, str]
) -> dict[str, tuple[np.ndarray, bool]]:
    """Per matched table with held-out rows (not copied verbatim: those hold every source row by
    design), which sampled source rows the fit held out, and whether it read the table whole."""
    out = {}
    for record in holdout.tables:
        if record.table not in frames or record.table in copied:
            continue
        mask = held_rows(sample.frames[record.table], record, holdout.salt)
        if mask is not None and len(mask) == len(frames[record.table].source_cmp):
            out[record.table] = (mask, record.whole)
    return out


def _namespaces(url: URL, schemas: Sequence[str] | None) -> list[str] | None:
    """``--schema`` names PostgreSQL namespaces; a MySQL or SQLite side has none (its URL's
    database is the unit), so a PostgreSQL source can be compared with a MariaDB target."""
    return list(schemas) if schemas and backend(url) == "postgresql" else None


def _table_frames(
    overlap: Overlap, source: Sample, target: Sample, kinds: Mapping[str, Mapping[str, ColumnInfo]]
) -> dict[str, TableFrames]:
    """The matched tables' frames, target columns renamed to the source's."""
    out: dict[str, TableFrames] = {}
    for table in overlap.source.tables:
        key = table.key
        mapping = overlap.columns[key]
        src = source.frames[key][list(mapping)]
        t_key = overlap.tables[key]
        tgt = target.frames[t_key][list(mapping.values())].rename(columns={v: k for k, v in mapping.items()})
        s_info, t_info = source.info[key], target.info[t_key]
        out[key] = TableFrames(
            table=table,
            source=src,
            target=tgt.reset_index(drop=True),
            infos={c: kinds[key][c] for c in mapping},
            rows_source=s_info.rows_total,
            rows_target=t_info.rows_total,
            rows_exact=s_info.rows_total_exact and t_info.rows_total_exact,
        )
    return out


def copied_tables(frames: Mapping[str, TableFrames]) -> dict[str, str]:
    """Tables copied verbatim as reference data (:mod:`dbsynth.fitting.reference`): at most
    ``MAX_REFERENCE_ROWS`` rows, referenced by another table, no personal data (places and
    organisations aside) or prose, read whole on both sides, and the same rows (every column) in both
    databases. Their rows are the source's by design, not a leak; a copied table of people is
    still one."""
    referenced = {
        fk.ref_table for f in frames.values() for fk in f.table.foreign_keys if fk.ref_table != f.table.key
    }
    out = {}
    for key, f in frames.items():
        n = len(f.source)
        if not (0 < n <= MAX_REFERENCE_ROWS and n == f.rows_source == len(f.target) == f.rows_target):
            continue
        personal = [i for i in f.infos.values() if i.kind == "pii" and i.pii not in NOT_PERSONAL]
        if key not in referenced or personal or _has_prose(f.source):
            continue
        cols = sorted(f.source.columns)
        src = f.source[cols].astype(str).sort_values(cols).reset_index(drop=True)
        tgt = f.target[cols].astype(str).sort_values(cols).reset_index(drop=True)
        if src.equals(tgt):
            out[key] = f"copied verbatim from the source: reference data, {n:,} rows"
    return out


def _has_prose(frame: pd.DataFrame) -> bool:
    """A text column whose median value has ``PROSE_WORDS`` words or more (a description)."""
    for name in frame.columns:
        values = frame[name].dropna()
        text = len(values) > 0 and bool(values.map(lambda v: isinstance(v, str)).all())
        if text and float(values.str.split().str.len().median()) >= PROSE_WORDS:
            return True
    return False


def _pii_sources(
    schema: Schema, sample: Sample, kinds: Mapping[str, Mapping[str, ColumnInfo]]
) -> list[PrivacyTable]:
    """Every source table's personal-data columns, matched in the target or not."""
    out = []
    for table in schema.tables:
        pii = {c: info for c, info in kinds[table.key].items() if info.kind == "pii"}
        if pii:
            frame = comparable_frame(sample.frames[table.key], pii)
            out.append(PrivacyTable(table, pii, frame, frame.iloc[0:0]))
    return out


def _scan_targets(overlap: Overlap, target: Sample) -> dict[str, pd.DataFrame]:
    """Every target table's frame; matched tables under the source's key and column names."""
    by_target = {t: s for s, t in overlap.tables.items()}
    out: dict[str, pd.DataFrame] = {}
    for key, frame in target.frames.items():
        if key in by_target:
            source_key = by_target[key]
            out[source_key] = frame.rename(columns={t: s for s, t in overlap.columns[source_key].items()})
        else:
            out[key] = frame
    return out


def _observed_scale(frames: dict[str, TableFrames]) -> float:
    ratios = [f.rows_target / f.rows_source for f in frames.values() if f.rows_source and f.rows_target]
    return float(statistics.median(ratios)) if ratios else 1.0


def _cardinalities(overlap: Overlap, s_conn: Connection, t_conn: Connection) -> list[CardinalityScore]:
    out = []
    for table in overlap.source.tables:
        t_table = overlap.target_table(table.key)
        for fk in table.foreign_keys:
            parent = overlap.source.table(fk.ref_table)
            t_parent = overlap.target_table(fk.ref_table)
            cols = [overlap.columns[table.key][c] for c in fk.columns]
            refs = [overlap.columns[fk.ref_table][c] for c in fk.ref_columns]
            try:
                src: Counts = fetch_counts(s_conn, parent, fk.ref_columns, table, fk.columns)
                tgt: Counts = fetch_counts(t_conn, t_parent, refs, t_table, cols)
            except DBAPIError as exc:
                for conn in (s_conn, t_conn):
                    conn.rollback()
                score = cardinality_score(table.key, fk, (), ())
                message = " ".join(str(getattr(exc, "orig", exc)).split())[:200]
                out.append(replace(score, note=f"could not count: {message}"))
                continue
            out.append(cardinality_score(table.key, fk, src, tgt))
    return out


def _sample_note(overlap: Overlap, key: str, source: Sample, target: Sample) -> SampleNote:
    s, t = source.info[key], target.info[overlap.tables[key]]
    return SampleNote(
        table=key,
        method_source=s.method,
        method_target=t.method,
        sampled_source=s.rows_sampled + s.rows_added,
        sampled_target=t.rows_sampled + t.rows_added,
        rows_source=s.rows_total,
        rows_target=t.rows_total,
    )


def _sampling_statement(samples: Sequence[SampleNote], sample_rows: int) -> str:
    exact = "Cardinality and validity are exact: SQL over all rows of both databases."
    partial = [s for s in samples if s.method_source != "whole" or s.method_target != "whole"]
    if not partial:
        return f"Every table was read whole in both databases. {exact}"
    listed = ", ".join(
        f"{s.table} ({s.sampled_source:,} of {s.rows_source:,} source rows, "
        f"{s.sampled_target:,} of {s.rows_target:,} target rows)"
        for s in partial[:6]
    )
    more = f" and {len(partial) - 6} more" if len(partial) > 6 else ""
    rest = ", the other tables read whole" if len(partial) < len(samples) else ""
    return (
        f"Fidelity and privacy were measured on samples of at most {sample_rows:,} rows per table: "
        f"{listed}{more} were sampled{rest}. {exact}"
    )


def _sample_warnings(source: Sample, target: Sample) -> list[str]:
    out = []
    for side, sample in (("source", source), ("target", target)):
        for info in sample.info.values():
            out += [f"{side}: {w}" for w in info.warnings]
    return out


def fidelity_of_frames(
    schema: Schema,
    source: Mapping[str, pd.DataFrame],
    target: Mapping[str, pd.DataFrame],
    *,
    min_count: int = DEFAULT_MIN_COUNT,
    seed: int = 0,
    scale: float | None = None,
) -> tuple[Fidelity, dict[str, dict[str, ColumnInfo]]]:
    """Fidelity of whole tables already in memory (frames keyed by table key, the same columns
    on both sides), with cardinality counted from the frames instead of SQL. Returns the
    :class:`Fidelity` and the column kinds it used (what other tools need to compare)."""
    frames = {
        t.key: TableFrames(
            t,
            source[t.key],
            target[t.key],
            classify_table(t, source[t.key], min_count),
            len(source[t.key]),
            len(target[t.key]),
            True,
        )
        for t in schema.tables
        if t.key in source and t.key in target
    }
    ratio = scale if scale is not None else _observed_scale(frames)
    tables = [score_table(f, scale=ratio, min_count=min_count, seed=seed) for f in frames.values()]
    cards = []
    for key, f in frames.items():
        for fk in f.table.foreign_keys:
            if fk.ref_table not in frames:
                continue
            parent = frames[fk.ref_table]
            src = counts_from_frames(parent.source[list(fk.ref_columns)], f.source[list(fk.columns)])
            tgt = counts_from_frames(parent.target[list(fk.ref_columns)], f.target[list(fk.columns)])
            cards.append(cardinality_score(key, fk, src, tgt))
    inter = inter_table_scores(schema, frames, seed)
    return assemble(tables, cards, inter, ratio, scale is not None), {
        k: dict(f.infos) for k, f in frames.items()
    }


__all__ = ["DEFAULT_MIN_COUNT", "DEFAULT_SAMPLE_ROWS", "build_report", "check_options", "fidelity_of_frames"]
