"""Option groups shared by several commands, as decorators (one spelling and help text each).

Database URLs go through :class:`DatabaseUrl`, which records every URL it sees in the click
context so the error handler can scrub their passwords from anything it prints, even text that
did not come from :func:`dbsynth.db.display_url` (a driver's message, a traceback).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import click

from dbsynth.options import FileFormat, GenerateOptions, IfExists, Options, choices, default_of, option_names

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


def fit_options(func: F) -> F:
    """Options of the fit step (``fit`` and ``clone``): what to sample and how much to keep.
    Names and checks are :class:`~dbsynth.options.FitOptions`'s (see :func:`options_from`); the
    defaults shown are :class:`~dbsynth.model.FitSettings`'s, spelled out because importing the
    model file here would make ``dbsynth --help`` load numpy (a test keeps them equal)."""
    options = [
        click.option(
            "--table",
            "tables",
            multiple=True,
            metavar="NAME",
            callback=_none_if_empty,
            help="Fit only this table (repeat for several; default: every table).",
        ),
        click.option(
            "--sample-rows",
            type=int,
            default=None,
            metavar="N",
            help="Rows read per table at most; whole families of children are kept together "
            "[default: 100000, or the config's].",
        ),
        click.option(
            "--min-count",
            type=int,
            default=None,
            metavar="K",
            help="A value seen fewer than K times in the sample never enters the model "
            "[default: 5, or the config's].",
        ),
        click.option(
            "--locale",
            default=None,
            help="Faker locale for personal-data columns [default: en_US, or the config's].",
        ),
        click.option(
            "--where",
            multiple=True,
            metavar="TABLE=SQL",
            callback=_pairs("--where", str),
            help="Sample only the rows of TABLE where the SQL condition (source dialect) holds "
            "(repeatable; wins over the config's where).",
        ),
        click.option(
            "--holdout",
            type=float,
            default=None,
            metavar="F",
            help="Keep a share F (0 < F < 1) of the root rows, with everything below them, out of "
            "the fit; the model records them by keyed hash so `dbsynth report --model` can test "
            "membership against them.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def config_option(func: F) -> F:
    """``--config FILE``: a dbsynth.yaml; the command loads it (:func:`read_config`) before it
    touches any database, so every problem in the file is reported first."""
    return click.option(
        "--config",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE",
        help="A dbsynth.yaml with per-table and per-column settings (see `dbsynth config init`).",
    )(func)


def read_config(path: Path | None) -> Any:
    """The loaded config at ``path`` (a ``dbsynth.config.Config``), or None."""
    if path is None:
        return None
    from dbsynth.config import load_config

    return load_config(path)


def generation_options(func: F) -> F:
    """Options of the generate step (``generate`` and ``clone``), plus ``--quiet``. Names,
    defaults, choices and checks are :class:`~dbsynth.options.GenerateOptions`'s."""
    options = [
        click.option(
            "--scale",
            type=float,
            default=default_of(GenerateOptions, "scale"),
            show_default=True,
            metavar="F",
            help="Rows per table relative to the source; children follow their parents.",
        ),
        click.option(
            "--rows",
            multiple=True,
            metavar="TABLE=N",
            callback=_pairs("--rows", int),
            help="Exactly N rows for TABLE (repeatable); its children follow it. "
            "'*=N': N rows for every other table (an empty source included).",
        ),
        click.option("--seed", type=int, default=None, metavar="N", help="Same model and seed: same rows."),
        click.option("--create-schema", is_flag=True, help="Create the tables, types and constraints first."),
        click.option(
            "--if-exists",
            type=click.Choice(choices(IfExists)),
            default=default_of(GenerateOptions, "if_exists"),
            show_default=True,
            help="What to do when a target table already has rows.",
        ),
        click.option(
            "--dry-run", is_flag=True, help="Print the plan (rows, order, cycles) and write nothing."
        ),
        click.option(
            "--chunk-rows",
            type=int,
            default=default_of(GenerateOptions, "chunk_rows"),
            show_default=True,
            metavar="N",
            help="Rows generated and written per batch.",
        ),
        click.option(
            "--edge-cases",
            type=float,
            default=default_of(GenerateOptions, "edge_cases"),
            show_default=True,
            metavar="RATE",
            help="Probability that a value is an edge case valid for its column: empty, max-length or "
            "unicode text, type min/max, 0, negatives, NULL, epoch/2038/leap-day dates (CHECKs still hold).",
        ),
        click.option(
            "--format",
            "file_format",
            type=click.Choice(choices(FileFormat)),
            default=None,
            help="File format when TARGET is a directory (default: csv).",
        ),
        click.option(
            "--jobs",
            type=int,
            default=None,
            metavar="N",
            help="Processes: 1 generates and writes in one; 2 or more generate in a second process "
            "while the first writes (default: the number of cores). The rows are the same.",
        ),
        click.option("--quiet", "-q", is_flag=True, help="No progress bars."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def options_from(cls: type[Options], params: Mapping[str, Any]) -> Options:
    """The options object of ``cls`` from a command's parameters (those it does not know are
    left for the command): the library checks the values, so the CLI and the API give the
    same one-line error."""
    return cls(**{name: params[name] for name in option_names(cls) if name in params})


def _none_if_empty(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...] | None:
    return value or None


def _pairs(flag: str, convert: Callable[[str], Any]) -> Callable[..., dict[str, Any]]:
    """A click callback: ``("customers=1000", ...)`` → ``{"customers": 1000}``; a malformed item
    is a usage error."""

    def parse(ctx: click.Context, param: click.Parameter, items: tuple[str, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in items:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise click.BadParameter(f"'{item}' is not {param.metavar}", param_hint=flag)
            try:
                out[name.strip()] = convert(value)
            except ValueError:
                raise click.BadParameter(f"'{item}': N must be a whole number", param_hint=flag) from None
        return out

    return parse


__all__ = [
    "URLS_SEEN",
    "DatabaseUrl",
    "config_option",
    "fit_options",
    "generation_options",
    "options_from",
    "output_options",
    "read_config",
    "schema_option",
    "source_url_argument",
    "workdir_option",
]
