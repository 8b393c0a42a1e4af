"""Subcommands imported when they are used, so that ``dbsynth --help`` imports none of them.

A command module imports the library behind it (SQLAlchemy, pandas, scipy: about two seconds),
which ``dbsynth --help`` and ``dbsynth --version`` do not need. The group keeps a table
``name -> ("module:attribute", summary)``; :class:`LazyCommands` presents it as the group's
``commands`` mapping (the names are there at once, a command is imported when it is looked up),
and :class:`LazyGroup` lists the summaries of the commands not imported yet in its help. A test
keeps each summary equal to the first sentence of its command's own help.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from importlib import import_module

import click

# name -> ("module:attribute" of the click command, its one-line summary for the group's help)
CommandTable = Mapping[str, tuple[str, str]]


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's subcommands by name; the ones from ``table`` are imported on first lookup."""

    def __init__(self, table: CommandTable):
        self.table = dict(table)
        self.loaded: dict[str, click.Command] = {}

    def summary(self, name: str) -> str | None:
        """The table's summary of ``name`` while it is not imported (None once it is)."""
        if name in self.loaded or name not in self.table:
            return None
        return self.table[name][1]

    def __getitem__(self, name: str) -> click.Command:
        if name not in self.loaded:
            module, attribute = self.table[name][0].split(":")
            command = getattr(import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{module}:{attribute} is not a click command")
            self.loaded[name] = command
        return self.loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self.table.pop(name, None)
        del self.loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from self.table
        yield from (name for name in self.loaded if name not in self.table)

    def __len__(self) -> int:
        return len(self.table.keys() | self.loaded.keys())


class LazyGroup(click.Group):
    """A click group whose subcommands may come from a :data:`CommandTable`."""

    def add_lazy_commands(self, table: CommandTable) -> None:
        commands = LazyCommands(table)
        for name, command in self.commands.items():
            commands[name] = command
        self.commands = commands

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing, except that a command not imported yet shows the table's summary
        # (through a stand-in, so it is shortened exactly like a command's own help).
        summaries = self.commands if isinstance(self.commands, LazyCommands) else None
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            summary = summaries.summary(name) if summaries is not None else None
            command = self.get_command(ctx, name) if summary is None else click.Command(name, help=summary)
            if command is not None and not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in rows])


__all__ = ["CommandTable", "LazyCommands", "LazyGroup"]
