"""Option groups shared by several commands, as decorators (one spelling and help text each).

Database URLs go through :class:`DatabaseUrl`, which records every URL it sees in the click
context so the error handler can scrub their passwords from anything it prints, even text that
did not come from :func:`dbsynth.db.display_url` (a driver's message, a traceback).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

URLS_SEEN = "dbsynth.urls"


class DatabaseUrl(click.ParamType):
    """A database URL or SQLite file path, kept as the user's text: validating it is the
    library's job (:func:`dbsynth.db.parse_url`), so the CLI and the API give the same error."""

    name = "URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if ctx is not None:
            ctx.meta.setdefault(URLS_SEEN, []).append(text)
        return text


def source_url_argument(func: F) -> F:
    """The ``URL`` argument of a command that reads a database."""
    return click.argument("url", type=DatabaseUrl())(func)


def schema_option(func: F) -> F:
    """``--schema NAME`` (repeatable): the PostgreSQL namespaces to read."""
    return click.option(
        "--schema",
        "schemas",
        multiple=True,
        metavar="NAME",
        help="PostgreSQL schema to read (repeat for several; default: every non-system schema). "
        "MySQL/MariaDB and SQLite: the database in the URL is the schema.",
    )(func)


def output_options(formats: type[StrEnum], default: StrEnum) -> Callable[[F], F]:
    """``--format`` (choices derived from the ``formats`` enum) and ``--output FILE``.

    The command receives ``fmt`` as a member of ``formats`` and ``output`` as a Path or None
    (None: standard output).
    """
    choices = [f.value for f in formats]

    def to_enum(ctx: click.Context, param: click.Parameter, value: str) -> StrEnum:
        return formats(value.lower())

    def decorate(func: F) -> F:
        func = click.option(
            "--output",
            "-o",
            type=click.Path(dir_okay=False, writable=True, path_type=Path),
            metavar="FILE",
            help="Write to FILE instead of standard output.",
        )(func)
        return click.option(
            "--format",
            "-f",
            "fmt",
            type=click.Choice(choices, case_sensitive=False),
            default=default.value,
            show_default=True,
            callback=to_enum,
            help="Output format.",
        )(func)

    return decorate


def workdir_option(func: F) -> F:
    """``--workdir DIR``: where a command keeps its files (default: a temporary directory)."""
    return click.option(
        "--workdir",
        type=click.Path(file_okay=False, path_type=Path),
        metavar="DIR",
        help="Keep the files in DIR (created if missing) instead of a temporary directory.",
    )(func)


__all__ = [
    "URLS_SEEN",
    "DatabaseUrl",
    "output_options",
    "schema_option",
    "source_url_argument",
    "workdir_option",
]
