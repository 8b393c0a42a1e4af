"""``dbsynth fit``: sample a source read-only and write a reviewable model file."""

from __future__ import annotations

from pathlib import Path

import click

from dbsynth.api import fit
from dbsynth.cli.options import (
    config_option,
    fit_options,
    options_from,
    read_config,
    schema_option,
    source_url_argument,
)
from dbsynth.cli.outputs import check_output_file
from dbsynth.cli.render import status, stderr_console, stdout_console
from dbsynth.db import backend, display_url, parse_url
from dbsynth.errors import UsageError
from dbsynth.fitting.explain import explain
from dbsynth.model import Model
from dbsynth.options import FitOptions
from dbsynth.sqltext import where_problem


@click.command("fit")
@source_url_argument
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Where to write the model (JSON).",
)
@click.option("--explain", "show", is_flag=True, help="Print what was fitted, in words.")
@schema_option
@fit_options
@click.option("--seed", type=int, default=None, metavar="N", help="Seed of the sample [default: 0].")
@config_option
def fit_command(
    url: str,
    output: Path | None,
    show: bool,
    schemas: tuple[str, ...],
    config: Path | None,
    **params: object,
) -> None:
    """Fit a model of the database at URL and write it to FILE.

    The source is only read, inside a read-only transaction. The model file holds the schema
    and fitted statistics: no source row, no personal-data value, and no value seen fewer than
    --min-count times. Review it with --explain before it leaves the production side.

    \b
    Example:
        dbsynth fit postgresql://readonly@prod.example.com/shop -o shop.model.json --explain
        dbsynth fit shop.sqlite --table customers --table orders --sample-rows 20000 -o m.json
        dbsynth fit postgresql://readonly@prod/shop --config dbsynth.yaml -o shop.model.json
        dbsynth fit shop.sqlite --where "orders=created_at >= '2024-01-01'" -o recent.model.json
        dbsynth fit shop.sqlite --holdout 0.2 -o shop.model.json
    """
    if output is None and not show:
        raise click.UsageError("give --output FILE (or --explain to only look)")
    # Bad options fail before the source is touched, not after minutes of sampling.
    options = options_from(FitOptions, {**params, "schemas": schemas or None})
    dialect = backend(parse_url(url))
    for table, condition in (options.where or {}).items():
        problem = where_problem(condition, dialect)
        if problem is not None:
            raise UsageError(f"--where {table}: {problem}")
    check_output_file(output, "--output", url)
    loaded = read_config(config)
    err = stderr_console()
    shown = display_url(parse_url(url))
    status(err, f"Fitting {shown} (read-only) ...")
    model = fit(
        url,
        options=options,
        config=loaded,
        on_table=lambda table, rows: status(err, f"  sampled {table}: {rows:,} rows"),
    )
    if output is not None:
        model.save(output)
        status(err, f"Wrote the model of {len(model.tables)} tables to {output}")
    if show:
        show_model(model)


def show_model(model: Model) -> None:
    out = stdout_console()
    for line in explain(model):
        out.print(line, markup=False, highlight=False, soft_wrap=True)
