"""``dbsynth plugins``: what is installed through the ``dbsynth.generators`` and ``dbsynth.types``
entry points (dbsynth's own models included), what each provides, and which ones are broken."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import click
from rich import box
from rich.console import RenderableType
from rich.table import Table as RichTable
from rich.text import Text

from dbsynth.cli.options import output_options
from dbsynth.cli.render import print_all, status, stderr_console, stdout_console, to_plain_text
from dbsynth.errors import UsageError
from dbsynth.plugins import Plugin, PluginError, PluginReport, Status, load_plugins


class PluginsFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@click.command("plugins")
@output_options(PluginsFormat, default=PluginsFormat.TEXT)
@click.option("--check", is_flag=True, help="Fail (exit 1) when any plugin is broken, e.g. in a plugin's CI.")
def plugins_command(fmt: PluginsFormat, output: Path | None, check: bool) -> None:
    """List the installed plugins: column models (entry point group dbsynth.generators) and SQL
    type handlers (dbsynth.types), dbsynth's own models included.

    A broken plugin (it cannot be imported, is not a column model or type handler, or claims a
    model kind or SQL type another plugin already provides) is listed with the reason and
    skipped by every other command; it never stops dbsynth.

    \b
    Example:
        dbsynth plugins
        dbsynth plugins --format json -o plugins.json
        dbsynth plugins --check
    """
    report = load_plugins()
    if fmt is PluginsFormat.JSON:
        text = json.dumps([plugin_data(p) for p in report.plugins], indent=2) + "\n"
        if output is None:
            click.echo(text, nl=False)
    else:
        view = summarize(report)
        if output is None:
            print_all(stdout_console(), view)
        text = to_plain_text(view)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
        status(stderr_console(), f"Wrote the list of {len(report.plugins)} plugins to {output}")
    if check and report.broken:
        names = ", ".join(f"{p.name} ({p.group}, {p.distribution})" for p in report.broken)
        raise PluginError(f"{_count(len(report.broken), 'plugin')} broken: {names}")


def plugin_data(plugin: Plugin) -> dict[str, str]:
    """One plugin as the JSON object ``--format json`` prints."""
    return {
        "name": plugin.name,
        "group": plugin.group,
        "value": plugin.value,
        "distribution": plugin.distribution,
        "version": plugin.version,
        "provides": plugin.provides,
        "status": plugin.status.value,
        "error": plugin.error,
    }


def summarize(report: PluginReport) -> list[RenderableType]:
    """The text view: one table of every plugin, the reasons of the broken ones (too long for a
    table cell), then a one-line count."""
    table = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header in ("name", "group", "distribution", "provides", "status"):
        table.add_column(header, overflow="fold")
    for p in report.plugins:
        broken = p.status is Status.BROKEN
        table.add_row(
            Text(p.name),
            Text(p.group),
            Text(f"{p.distribution} {p.version}".strip()),
            Text(p.provides or "-"),
            Text(p.status.value, style="red" if broken else "green"),
        )
    out: list[RenderableType] = [table]
    if report.broken:
        out.append(Text(f"\nBroken, skipped ({len(report.broken)})", style="bold red"))
        out.extend(Text(f"- {p.name} ({p.group}, {p.distribution}): {p.error}") for p in report.broken)
    builtin = sum(p.builtin for p in report.plugins)
    line = (
        f"{_count(len(report.plugins), 'plugin')} ({builtin} built into dbsynth), {len(report.broken)} broken"
    )
    out.append(Text(line, style="bold red" if report.broken else "bold"))
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


__all__ = ["PluginsFormat", "plugin_data", "plugins_command", "summarize"]
