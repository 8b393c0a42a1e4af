"""``dbsynth config``: write a starting ``dbsynth.yaml``, check one, print its JSON Schema."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dbsynth.cli.options import DatabaseUrl, schema_option, source_url_argument
from dbsynth.cli.render import status, stderr_console
from dbsynth.config import ConfigError, json_schema_path, load_and_bind, load_config
from dbsynth.config.feasible import count_rows
from dbsynth.config.starter import INIT_SAMPLE_ROWS, starter_config, survey
from dbsynth.db import display_url, parse_url
from dbsynth.errors import UsageError
from dbsynth.introspection import introspect

DEFAULT_FILE = "dbsynth.yaml"


@click.group("config")
def config_group() -> None:
    """Write, check and describe the configuration file (dbsynth.yaml).

    The file adapts a clone to a real schema: row counts per table, reference tables copied
    verbatim, tables left out, column generators, personal-data corrections, foreign keys the
    database does not declare, and the global seed, locale and sample size.

    \b
    Example:
        dbsynth config init postgresql://readonly@prod.example.com/shop
        dbsynth config check dbsynth.yaml postgresql://readonly@prod.example.com/shop
    """


@config_group.command("init")
@source_url_argument
@schema_option
@click.option(
    "--output",
    "-o",
    default=DEFAULT_FILE,
    show_default=True,
    metavar="FILE",
    help="Where to write the config; '-' for standard output.",
)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def init_command(url: str, schemas: tuple[str, ...], output: str, force: bool) -> None:
    """Write a commented starting config for the database at URL.

    Reads the schema and a small sample (read-only) and lists every table with its row count,
    suggests copy: true for small reference tables with no personal data that other tables
    point to, names the personal-data columns it detects, suggests foreign keys the database
    does not declare, and shows every other key as a commented-out example.

    \b
    Example:
        dbsynth config init postgresql://readonly@prod.example.com/shop
        dbsynth config init mysql://root@127.0.0.1/sakila -o sakila.yaml --force
        dbsynth config init shop.sqlite -o -
    """
    target = None if output == "-" else Path(output)
    if target is not None:
        if target.exists() and not force:
            raise UsageError(f"--output: '{target}' exists; pass --force to overwrite it")
        if not target.parent.is_dir():
            raise UsageError(f"--output: directory '{target.parent}' does not exist")
    err = stderr_console()
    status(
        err,
        f"Surveying {display_url(parse_url(url))} (read-only, up to {INIT_SAMPLE_ROWS:,} rows per table) ...",
    )
    found = survey(url, list(schemas) or None)
    text = starter_config(found)
    if target is None:
        click.echo(text, nl=False)
        return
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output: cannot write '{target}': {exc.strerror or exc}") from None
    copies = sum(1 for t in found.tables.values() if t.copy_reason)
    pii = sum(len(t.pii) for t in found.tables.values())
    status(
        err,
        f"Wrote {target}: {len(found.tables)} tables, {copies} suggested for copy, "
        f"{pii} personal-data column(s) found. Review it, then pass it with --config.",
    )


@config_group.command("check")
@click.argument("config_file", metavar="CONFIG", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("url", metavar="[URL]", required=False, type=DatabaseUrl())
@schema_option
def check_command(config_file: Path, url: str | None, schemas: tuple[str, ...]) -> None:
    """Check CONFIG, and with URL also against that database's schema (read-only).

    Every problem is printed on its own line as FILE:LINE:COLUMN: message; the exit code is 1
    when there is any.

    \b
    Example:
        dbsynth config check dbsynth.yaml
        dbsynth config check dbsynth.yaml postgresql://readonly@prod.example.com/shop --schema public
    """
    err = stderr_console()
    try:
        if url is None:
            load_config(config_file)
            status(err, f"{config_file}: the file is valid (pass a URL to check it against a database)")
            return
        status(err, f"Reading the schema of {display_url(parse_url(url))} (read-only) ...")
        schema = introspect(url, list(schemas) or None)
        bound = load_and_bind(config_file, schema, count_rows(url, schema, configured_tables(config_file)))
    except ConfigError as exc:
        for line in exc.problems:
            click.echo(line, err=True)
        click.echo(f"{len(exc.problems)} problem(s) in {config_file}", err=True)
        sys.exit(1)
    for warning in bound.warnings:
        click.echo(f"warning: {warning}", err=True)
    status(
        err,
        f"{config_file}: valid for this database ({len(bound.tables_to_fit)} tables to fit, "
        f"{len(bound.copy_tables)} copied, {len(bound.excluded)} excluded)",
    )


def configured_tables(path: Path) -> list[str]:
    """The tables whose columns ``path`` configures (their row counts bound what a generator must
    make); what a broken file still says, so that binding reports its problems too."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        if exc.partial is None:
            return []
        config = exc.partial
    return [t.name for t in config.tables if t.columns]


@config_group.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of dbsynth.yaml, for editor completion.

    With the YAML language server, save it and point the file at it with a first line
    "# yaml-language-server: $schema=dbsynth.schema.json".

    \b
    Example:
        dbsynth config schema
    """
    click.echo(json_schema_path().read_text(encoding="utf-8"), nl=False)
