"""``dbsynth generate`` (model → target) and ``dbsynth clone`` (source → target in one go)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from dbsynth.api import GenerateResult, clone, generate
from dbsynth.api import Progress as ProgressFn
from dbsynth.cli.options import (
    DatabaseUrl,
    config_option,
    fit_options,
    generation_options,
    options_from,
    read_config,
    schema_option,
    source_url_argument,
)
from dbsynth.cli.outputs import check_output_file, check_output_tree
from dbsynth.cli.render import print_all, status, stderr_console, stdout_console
from dbsynth.cli.report import report_summary, write_report_files
from dbsynth.db import parse_url
from dbsynth.errors import UnsupportedDatabase
from dbsynth.options import FitOptions, GenerateOptions
from dbsynth.report import build_report


@click.command("generate")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("target", type=DatabaseUrl())
@click.option(
    "--source",
    type=DatabaseUrl(),
    metavar="URL",
    help="The source database: refused as a target, and read for tables the config copies.",
)
@config_option
@generation_options
def generate_command(
    model: Path, target: str, source: str | None, config: Path | None, quiet: bool, **params: object
) -> None:
    """Write synthetic rows from MODEL into TARGET (a database URL or a directory).

    Every key, unique, NOT NULL and CHECK constraint of the source holds in the target. A
    non-empty target table is never overwritten unless --if-exists says so; on PostgreSQL the
    whole load is one transaction. --dry-run prints the plan the run would execute, for this
    target (a directory of files, for instance, cannot UPDATE rows, so cut foreign keys are
    written directly).

    \b
    Example:
        dbsynth generate shop.model.json postgresql://localhost/shop_qa --create-schema
        dbsynth generate shop.model.json postgresql://localhost/load --scale 10 --seed 7
        dbsynth generate shop.model.json postgresql://localhost/qa --rows customers=1000 --if-exists truncate
        dbsynth generate shop.model.json ./out --format parquet
        dbsynth generate shop.model.json sqlite:///sandbox.db --create-schema --dry-run
        dbsynth generate shop.model.json postgresql://localhost/qa --config dbsynth.yaml --source shop.sqlite
    """
    options = options_from(GenerateOptions, params)
    loaded = read_config(config)
    if not options.dry_run:
        _check_file_target(target)
    with _progress(quiet) as progress:
        result = generate(model, target, options=options, progress=progress, source=source, config=loaded)
    _report(result, target)


@click.command("clone")
@source_url_argument
@click.argument("target", type=DatabaseUrl())
@click.option(
    "--model-out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also keep the fitted model in FILE.",
)
@click.option("--no-report", is_flag=True, help="Skip the report that compares the clone with the source.")
@click.option(
    "--html",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the report as HTML.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write it as JSON.",
)
@schema_option
@fit_options
@config_option
@generation_options
def clone_command(
    url: str,
    target: str,
    model_out: Path | None,
    no_report: bool,
    html: Path | None,
    json_path: Path | None,
    schemas: tuple[str, ...],
    config: Path | None,
    quiet: bool,
    **params: object,
) -> None:
    """Clone the database at URL into TARGET: inspect, fit, generate and report in one go.

    The source is only read. TARGET gets synthetic rows with the source's shape: the same
    distributions, correlations and children per parent, scaled with --scale. At the end the
    clone is measured against the source (fidelity, validity, privacy) and the summary printed;
    --html/--json keep the full report.

    \b
    Example:
        dbsynth clone postgresql://readonly@prod/shop postgresql://localhost/shop_qa --create-schema
        dbsynth clone mysql://root@127.0.0.1/Chinook sqlite:///chinook_copy.db --create-schema
        dbsynth clone shop.sqlite sqlite:///big.db --create-schema --scale 10 --seed 3
        dbsynth clone postgresql://readonly@prod/shop postgresql://localhost/qa --config dbsynth.yaml
    """
    fit_options = options_from(FitOptions, {**params, "schemas": schemas or None})
    generate_options = options_from(GenerateOptions, params)
    loaded = read_config(config)
    # Every file written is checked before the source is read: a bad one fails in a second, and
    # none may be a database of this command line.
    check_output_file(model_out, "--model-out", url, target)
    check_output_file(html, "--html", url, target)
    check_output_file(json_path, "--json", url, target)
    if not generate_options.dry_run:
        _check_file_target(target)
    err = stderr_console()
    status(err, "Fitting the source (read-only) ...")
    with _progress(quiet) as progress:
        result = clone(
            url,
            target,
            fit_options=fit_options,
            generate_options=generate_options,
            model_path=model_out,
            config=loaded,
            progress=progress,
        )
    if model_out is not None:
        status(err, f"Kept the model in {model_out}")
    _report(result.generated, target)
    if no_report or result.generated.load is None or generate_options.file_format or not _is_database(target):
        return
    status(err, "Comparing the clone with the source (read-only on both sides) ...")
    report = build_report(
        url,
        target,
        schemas=fit_options.schemas,
        scale=generate_options.scale,
        tables=result.model.schema.table_keys,  # the clone's tables, not the whole source
        holdout=result.model.holdout,  # --holdout: membership tests against the held-out rows
    )
    print_all(stdout_console(), report_summary(report))
    for path in write_report_files(report, html, json_path):
        status(err, f"Wrote {path}")


def _check_file_target(target: str) -> None:
    """A directory of CSV/Parquet files must be creatable before generation starts."""
    if "://" not in target and not _is_database(target):
        check_output_tree(Path(target), "target directory")


def _is_database(target: str) -> bool:
    try:
        parse_url(target)
    except UnsupportedDatabase:
        return False
    return True


@contextmanager
def _progress(quiet: bool) -> Iterator[ProgressFn | None]:
    """Per-table progress bars (rows, rows/s) on a terminal; nothing when quiet or piped."""
    err = stderr_console()
    if quiet or not err.is_terminal:
        yield None
        return
    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} rows/s"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def update(table: str, done: int, total: int) -> None:
        if table not in tasks:
            tasks[table] = bars.add_task(table, total=total, rate="-")
        task = bars.tasks[tasks[table]]
        rate = f"{done / task.elapsed:,.0f}" if task.elapsed else "-"
        bars.update(tasks[table], completed=done, rate=rate)

    with bars:
        yield update


def _report(result: GenerateResult, target: str) -> None:
    out = stdout_console()
    if result.load is None:
        for line in result.plan.describe():  # whole lines: a wrapped plan is hard to grep
            out.print(line, markup=False, highlight=False, soft_wrap=True)
        out.print("dry run: nothing was written", markup=False)
        return
    rate = result.total_rows / result.seconds if result.seconds else 0.0
    out.print(
        f"Wrote {result.total_rows:,} rows into {len(result.rows)} tables in {result.seconds:.1f} s "
        f"({rate:,.0f} rows/s)",
        markup=False,
        highlight=False,
    )
    for note in (*result.plan.notes, *result.load.notes):
        out.print(f"  {note}", markup=False, highlight=False)
