"""``dbsynth inspect``: read a database's schema and show it as text, JSON or a Mermaid diagram."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import click
from rich.console import RenderableType

from dbsynth.cli.options import output_options, schema_option, source_url_argument
from dbsynth.cli.outputs import refuse_database_output
from dbsynth.cli.render import (
    print_all,
    schema_summary,
    status,
    stderr_console,
    stdout_console,
    to_plain_text,
)
from dbsynth.db import display_url, parse_url
from dbsynth.errors import UsageError
from dbsynth.graph import describe_plan, plan_insertion
from dbsynth.introspection import introspect
from dbsynth.introspection.mermaid import to_mermaid
from dbsynth.schema import Schema


class InspectFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MERMAID = "mermaid"


@click.command("inspect")
@source_url_argument
@schema_option
@output_options(InspectFormat, default=InspectFormat.TEXT)
def inspect_command(url: str, schemas: tuple[str, ...], fmt: InspectFormat, output: Path | None) -> None:
    """Read the schema of the database at URL (read-only) and show it.

    text: tables with their columns, keys and checks, the order dbsynth will load them in and
    how each foreign-key cycle is broken. json: the Schema document other commands read.
    mermaid: an ER diagram (erDiagram) for docs and reviews.

    URL is a SQLAlchemy-style URL (postgresql://, mysql://, mariadb://, sqlite:///) or the
    path of a SQLite file. The password in it is never shown.

    \b
    Example:
        dbsynth inspect postgresql://app@db.example.com/shop
        dbsynth inspect postgresql://app@db.example.com/shop --schema sales --format json -o schema.json
        dbsynth inspect mysql://root@127.0.0.1/sakila --format mermaid
        dbsynth inspect shop.sqlite
    """
    err = stderr_console()
    shown = display_url(parse_url(url))
    refuse_database_output(output, "--output", url)
    status(err, f"Inspecting {shown} (read-only) ...")
    schema = introspect(url, list(schemas) or None)
    if fmt is InspectFormat.TEXT:
        summary = summarize(schema, shown)
        if output is None:
            print_all(stdout_console(), summary)
            return
        text = to_plain_text(summary)
    else:
        text = schema.to_json() + "\n" if fmt is InspectFormat.JSON else to_mermaid(schema)
        if output is None:
            click.echo(text, nl=False)
            return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:  # a missing folder or a read-only disk is the user's to fix, not a bug
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    status(err, f"Wrote the {fmt.value} schema of {len(schema.tables)} tables to {output}")


def summarize(schema: Schema, source: str) -> list[RenderableType]:
    """The text view of ``schema`` read from ``source`` (a display URL), with its insertion plan."""
    return schema_summary(schema, source, describe_plan(plan_insertion(schema)))


__all__ = ["InspectFormat", "inspect_command", "summarize"]
