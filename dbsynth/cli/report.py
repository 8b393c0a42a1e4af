"""``dbsynth report``: how faithful, valid and private a synthetic database is, vs its source.

The command builds the :class:`~dbsynth.report.Report` (the library does all the measuring),
writes the JSON and HTML files, and prints a summary: scores first, then the worst columns,
tables and relationships, the failing checks and the privacy findings. ``--fail-under`` turns
it into a CI gate. :func:`report_summary` and :func:`write_report_files` are what ``clone``
reuses to print and write the same at the end of a run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich import box
from rich.console import RenderableType
from rich.table import Table as RichTable
from rich.text import Text

from dbsynth.cli.options import DatabaseUrl, schema_option
from dbsynth.cli.outputs import check_output_file
from dbsynth.cli.render import print_all, status, stderr_console, stdout_console
from dbsynth.errors import UsageError
from dbsynth.options import SEED
from dbsynth.report import Report, build_report, render_html
from dbsynth.report.build import DEFAULT_MIN_COUNT, DEFAULT_SAMPLE_ROWS, check_options
from dbsynth.report.columns import SCORED
from dbsynth.report.overlap import missing_statement

if TYPE_CHECKING:
    from dbsynth.model import Holdout

WORST_ROWS = 10
STYLE = {"pass": "green", "ok": "green", "warn": "yellow", "error": "yellow", "skipped": "yellow"}


def parse_fail_under(value: float | None) -> float | None:
    """``--fail-under`` as a share: 0.8 and 80 (a percentage) both mean 80%."""
    if value is None:
        return None
    if 0.0 <= value <= 1.0:
        return value
    if 1.0 < value <= 100.0:
        return value / 100.0
    raise click.BadParameter(
        f"{value:g} is not a score: give a share between 0 and 1 (0.8) or a percentage (80)",
        param_hint="--fail-under",
    )


def check_output(path: Path | None, option: str) -> None:
    """Fail before measuring, not after, when ``path`` cannot be written."""
    check_output_file(path, option)


def check_output_dir(path: Path | None, option: str) -> None:
    """Make ``path`` (a directory to write into) now, so a bad one fails before measuring."""
    if path is None:
        return
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option}: '{path}' is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{option}: cannot create directory '{path}': {exc.strerror}") from None
    if not os.access(path, os.W_OK):
        raise UsageError(f"{option}: directory '{path}' is not writable")


def write_report_files(report: Report, html: Path | None, json_path: Path | None) -> list[Path]:
    """Write the requested files; returns what was written."""
    written = []
    if json_path is not None:
        json_path.write_text(report.to_json() + "\n", encoding="utf-8")
        written.append(json_path)
    if html is not None:
        html.write_text(render_html(report), encoding="utf-8")
        written.append(html)
    return written


@click.command("report")
@click.argument("source", type=DatabaseUrl())
@click.argument("target", type=DatabaseUrl())
@click.option(
    "--html",
    "html",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the report as one self-contained HTML page (plots; opens without a network).",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write every number of the report as JSON.",
)
@click.option(
    "--sdmetrics",
    "sdmetrics_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Write SDMetrics metadata and the compared frames (Parquet) to DIR, to re-score with SDMetrics.",
)
@click.option(
    "--sample-rows",
    type=int,
    default=DEFAULT_SAMPLE_ROWS,
    show_default=True,
    metavar="N",
    help="Rows read per table and database for fidelity and privacy (cardinality and validity "
    "always use all rows).",
)
@click.option(
    "--holdout-fraction",
    type=float,
    default=0.0,
    show_default=True,
    metavar="F",
    help="Share of the source sample held out as the privacy baseline (rows ideally also kept out "
    "of fitting); 0: compare source rows with each other instead.",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="The model TARGET was generated from, fitted with --holdout: test membership against the "
    "rows it held out (exit 1 when synthetic rows give away which rows it was fitted on).",
)
@click.option(
    "--fail-under",
    type=float,
    default=None,
    metavar="SCORE",
    help="Exit with status 1 when the overall score is below SCORE (0.8 or 80 for 80%).",
)
@click.option(
    "--min-count",
    type=int,
    default=DEFAULT_MIN_COUNT,
    show_default=True,
    metavar="K",
    help="A source value seen fewer than K times is rare: finding it in the target is reported.",
)
@click.option(
    "--scale",
    type=float,
    default=None,
    metavar="F",
    help="The row-count ratio the target was generated at (default: the median observed).",
)
@click.option("--seed", type=int, default=0, show_default=True, metavar="N", help="Seed of the samples.")
@schema_option
@click.option("--quiet", "-q", is_flag=True, help="No status lines, only the summary.")
def report_command(
    source: str,
    target: str,
    html: Path | None,
    json_path: Path | None,
    sdmetrics_dir: Path | None,
    sample_rows: int,
    holdout_fraction: float,
    model_path: Path | None,
    fail_under: float | None,
    min_count: int,
    scale: float | None,
    seed: int,
    schemas: tuple[str, ...],
    quiet: bool,
) -> None:
    """Measure the synthetic database TARGET against its source SOURCE, both read-only.

    Fidelity follows SDMetrics' QualityReport (column shapes, column pair trends, cardinality,
    inter-table trends; the overall score is their mean), plus null rates and row counts.
    Validity runs the source's keys, foreign keys, NOT NULLs and CHECKs as SQL in the target.
    Privacy looks for copied rows, rows too close to real ones, personal values and rare
    categories of the source in the target. Fidelity and privacy use samples of --sample-rows
    rows per table; the report says which tables were sampled. With --model, the model TARGET
    was generated from (fitted with --holdout), privacy also tests membership: whether synthetic
    rows sit closer to the rows the model saw than to the rows it held out.

    \b
    Example:
        dbsynth report postgresql://readonly@prod/shop postgresql://localhost/shop_qa
        dbsynth report postgresql://prod/shop postgresql://localhost/qa --html r.html --fail-under 0.8
        dbsynth report shop.sqlite sqlite:///synthetic.db --json r.json --sample-rows 20000
        dbsynth report shop.sqlite sqlite:///synthetic.db --sdmetrics rescore/
    """
    threshold = parse_fail_under(fail_under)
    if not SEED.holds(seed):  # numpy refuses a negative seed, but only after minutes of measuring
        raise UsageError(f"--seed must be {SEED.wants}, got {seed}")
    check_options(sample_rows, holdout_fraction, min_count, scale)
    check_output_file(html, "--html", source, target)
    check_output_file(json_path, "--json", source, target)
    check_output_dir(sdmetrics_dir, "--sdmetrics")
    holdout = _model_holdout(model_path)
    err = stderr_console()
    report = build_report(
        source,
        target,
        sample_rows=sample_rows,
        holdout_fraction=holdout_fraction,
        seed=seed,
        schemas=list(schemas) or None,
        min_count=min_count,
        scale=scale,
        sdmetrics_dir=sdmetrics_dir,
        on_step=None if quiet else (lambda message: status(err, message + " ...")),
        holdout=holdout,
    )
    for path in write_report_files(report, html, json_path):
        if not quiet:
            status(err, f"Wrote {path}")
    if sdmetrics_dir is not None and not quiet:
        status(err, f"Wrote SDMetrics metadata and frames to {sdmetrics_dir}")
    print_all(stdout_console(), report_summary(report))
    lacking = missing_statement(report.schema)
    if lacking:
        # Every score would be of the overlap only, and "Validity pass" of nothing: a target
        # without the source's tables or columns fails the report whatever --fail-under says.
        raise click.ClickException(lacking)
    memorised = [m.table for m in report.privacy.membership if m.verdict != "ok"]
    if memorised:
        raise click.ClickException(
            "membership tests fail: synthetic rows give away which rows the model was fitted on in "
            + ", ".join(memorised)
        )
    if threshold is not None:
        if report.score is None:
            raise click.ClickException(
                f"no overall score (nothing to compare), so --fail-under {threshold:.1%} fails"
            )
        if report.score < threshold:
            raise click.ClickException(
                f"overall score {report.score:.1%} is below --fail-under {threshold:.1%}"
            )


def _model_holdout(path: Path | None) -> Holdout | None:
    """The holdout of the model at ``path``, or None without
    ``--model``; a model fitted without ``--holdout`` has nothing to test against."""
    if path is None:
        return None
    from dbsynth.model import Model

    model = Model.load(path)
    if model.holdout is None:
        raise UsageError(f"--model: '{path}' was fitted without --holdout: no held-out rows to test against")
    return model.holdout


# -- the summary ------------------------------------------------------------------------------


def _pct(x: float | None) -> Text:
    if x is None:
        return Text("n/a", style="dim")
    return Text(f"{x:.1%}", style="red" if x < 0.6 else "yellow" if x < 0.8 else "green")


def _word(word: str) -> Text:
    return Text(word, style=STYLE.get(word, "bold red"))


def _grid(title: str, headers: Sequence[str]) -> RichTable:
    table = RichTable(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD)
    for h in headers:
        table.add_column(h)
    return table


def _properties(report: Report) -> RichTable:
    f = report.fidelity
    table = _grid("Scores", ["property", "score"])
    rows = [
        ("column shapes", f.column_shapes),
        ("column pair trends", f.column_pair_trends),
        ("cardinality", f.cardinality),
        ("inter-table trends", f.inter_table_trends),
        ("  two-hop trends (apart)", f.inter_table_two_hop),
        ("  null rates (apart)", f.null_rates),
        (
            f"  row counts at scale {f.scale:.3g}{'' if f.scale_given else ' (observed)'} (apart)",
            f.row_counts,
        ),
    ]
    for name, value in rows:
        table.add_row(Text(name), _pct(value))
    table.add_row(Text("validity"), _word(report.validity.status))
    table.add_row(Text("privacy"), _word(report.privacy.verdict))
    return table


def _worst_columns(report: Report) -> RichTable | None:
    scored = [
        (t.table, c)
        for t in report.fidelity.tables
        for c in t.columns
        if c.kind in SCORED and c.score is not None
    ]
    if not scored:
        return None
    scored.sort(key=lambda tc: (tc[1].score, tc[0], tc[1].column))
    table = _grid(
        "Worst columns", ["column", "kind", "metric", "score", "NULL source", "NULL target", "note"]
    )
    for key, c in scored[:WORST_ROWS]:
        table.add_row(
            Text(f"{key}.{c.column}"),
            Text(c.kind),
            Text(c.metric or ""),
            _pct(c.score),
            Text(f"{c.null_rate_source:.1%}"),
            Text(f"{c.null_rate_target:.1%}"),
            Text(c.note or ""),
        )
    return table


def _tables(report: Report) -> RichTable | None:
    tables = report.fidelity.tables
    if not tables:
        return None
    ordered = sorted(
        tables, key=lambda t: (t.score is None, t.score if t.score is not None else 0.0, t.table)
    )
    table = _grid(
        "Tables, worst first", ["table", "rows source", "rows target", "shapes", "pairs", "score", "note"]
    )
    for t in ordered:
        table.add_row(
            Text(t.table),
            Text(f"{t.rows_source:,}"),
            Text(f"{t.rows_target:,}"),
            _pct(t.column_shapes),
            _pct(t.column_pair_trends),
            _pct(t.score),
            Text("; ".join(t.notes)),
        )
    return table


def _relationships(report: Report) -> RichTable | None:
    cards = report.fidelity.cardinalities
    if not cards:
        return None
    ordered = sorted(cards, key=lambda c: (c.score is None, c.score if c.score is not None else 0.0))
    table = _grid(
        "Children per parent, worst first", ["child (FK)", "parent", "score", "mean source", "mean target"]
    )
    for c in ordered[:WORST_ROWS]:
        table.add_row(
            Text(f"{c.child} ({', '.join(c.columns)})"),
            Text(c.parent),
            _pct(c.score),
            Text("n/a" if c.mean_source is None else f"{c.mean_source:.2f}"),
            Text("n/a" if c.mean_target is None else f"{c.mean_target:.2f}"),
        )
    return table


def _validity(report: Report) -> list[RenderableType]:
    v = report.validity
    out: list[RenderableType] = [Text.assemble(("Validity ", "bold"), _word(v.status), ": " + v.statement)]
    bad = [c for c in v.checks if c.status in ("fail", "error", "warn")]
    if bad:
        table = _grid("", ["status", "table", "check", "violations", "detail"])
        for c in sorted(bad, key=lambda c: c.status != "fail")[:WORST_ROWS]:
            table.add_row(
                _word(c.status),
                Text(c.table),
                Text(c.name),
                Text("" if c.violations is None else f"{c.violations:,}"),
                Text(c.message),
            )
        out.append(table)
    return out


def _privacy(report: Report) -> list[RenderableType]:
    p = report.privacy
    out: list[RenderableType] = [Text.assemble(("Privacy ", "bold"), _word(p.verdict), ": " + p.statement)]
    lines = [f.statement for f in p.pii if f.leak]
    lines += [f"{c.table}: {c.statement}" for c in p.exact_copies if c.verdict != "ok"]
    lines += [f"{d.table}: {d.statement}" for d in p.distances if d.verdict != "ok"]
    lines += [f"{r.table}.{r.column}: {r.statement}" for r in p.rare if r.leaked]
    tested = sorted((m for m in p.membership if m.auc is not None), key=lambda m: m.verdict == "ok")
    lines += [f"{m.table}: {m.statement}" for m in tested]
    out += [Text(f"  - {line}") for line in lines[:WORST_ROWS]]
    if p.membership_figures:
        # What the membership figures mean, once: closer share and AUC are what the lines show.
        for name in ("closer_to_training", "exact_holdout", "auc"):
            out.append(Text(f"  {name}: {p.membership_figures[name]}", style="dim"))
    if len(lines) > WORST_ROWS:
        out.append(Text(f"  ... and {len(lines) - WORST_ROWS} more in the JSON/HTML report", style="dim"))
    return out


def not_scored_line(report: Report) -> str:
    """``Not scored: 12 of 40 columns: 8 key columns (…), 4 free text (…).``"""
    f = report.fidelity
    parts = [f"{len(n.columns)} {n.reason}" for n in f.not_scored]
    count = sum(len(n.columns) for n in f.not_scored)
    return f"Not scored: {count} of {f.columns_total} columns: " + ", ".join(parts) + "."


def _overall_of(report: Report) -> str:
    """What the overall is a mean of: like SDMetrics, of the properties that have a score; the
    ones that do not (one table has no relationship to score) are named, so a high overall over
    one property does not read as the mean of four."""
    f = report.fidelity
    properties = {
        "column shapes": f.column_shapes,
        "column pair trends": f.column_pair_trends,
        "cardinality": f.cardinality,
        "inter-table trends": f.inter_table_trends,
    }
    missing = [name for name, score in properties.items() if score is None]
    if not missing:
        return "mean of the four SDMetrics properties"
    if len(missing) == len(properties):
        return "no SDMetrics property could be scored"
    kept = len(properties) - len(missing)
    return f"mean of {kept} of the four SDMetrics properties; not scored here: {', '.join(missing)}"


def report_summary(report: Report) -> list[RenderableType]:
    """The terminal summary of ``report``: scores, worst first, then validity and privacy."""
    out: list[RenderableType] = [
        Text.assemble(("Report ", "bold"), f"{report.target} vs {report.source} ({report.seconds:.1f} s)"),
        Text(report.schema.statement, style="dim"),
        Text(report.sampling, style="dim"),
        Text.assemble(("Overall score ", "bold"), _pct(report.score), f" ({_overall_of(report)})"),
        _properties(report),
    ]
    if report.fidelity.not_scored:
        out.append(Text(not_scored_line(report), style="dim"))
    out += [t for t in (_worst_columns(report), _tables(report), _relationships(report)) if t is not None]
    out += _validity(report)
    out += _privacy(report)
    return out


__all__ = ["check_output", "parse_fail_under", "report_command", "report_summary", "write_report_files"]
