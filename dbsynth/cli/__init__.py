"""The ``dbsynth`` command line: parse, call the library, render with rich. Nothing imports it.

One command per module (``inspect``, ``demo``), shared options in ``options``, rendering in
``render``. The group owns the error policy, so every command gets the same behaviour:

========  ================================================================================
exit      when
========  ================================================================================
0         success
1         a :class:`~dbsynth.errors.DbsynthError`, printed as one ``Error: <message>`` line on
          standard error; or an unexpected exception (a bug), printed as one line that points
          at ``--traceback``
2         a usage error (unknown option, bad choice, missing argument), reported by click
130       interrupted with Ctrl-C: ``Interrupted: <what the target kept>``
143       stopped by SIGTERM, handled as Ctrl-C: ``Terminated: <what the target kept>``
========  ================================================================================

Notices the library logs (``logging`` under ``dbsynth``, e.g. what a failed MariaDB load would
leave behind) are printed on standard error before the work they announce.

``--traceback`` prints the full stack before the error line. Whatever is printed on failure
is scrubbed of the passwords of every URL given on the command line, because driver messages
and tracebacks are not under dbsynth's control.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import sys
import traceback as tb
from collections.abc import Iterator
from types import FrameType
from typing import Any

import click

from dbsynth._version import __version__
from dbsynth.cli.lazy import LazyGroup
from dbsynth.cli.options import URLS_SEEN
from dbsynth.errors import DbsynthError

TRACEBACK = "dbsynth.traceback"
INTERRUPTED_EXIT = 130
TERMINATED_EXIT = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C, so a load in progress is abandoned the
    same way (rolled back, or what it left named)."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


class _Notices(logging.Handler):
    """The library's notices as status lines on standard error."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(record.getMessage(), err=True)


@contextlib.contextmanager
def _notices() -> Iterator[None]:
    logger, handler = logging.getLogger("dbsynth"), _Notices(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


class DbsynthGroup(LazyGroup):
    """A click group that turns exceptions into the exit codes and messages above."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _notices():
                return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt as exc:
            terminated = isinstance(exc, Terminated)
            label = "Terminated" if terminated else "Interrupted"
            click.echo(f"{label}: {exc}" if str(exc) else label, err=True)
            ctx.exit(TERMINATED_EXIT if terminated else INTERRUPTED_EXIT)
        except BrokenPipeError:
            # `dbsynth inspect ... | head`: the reader left; say nothing more on a closed pipe.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(1)
        except DbsynthError as exc:
            raise _failure(ctx, exc, str(exc)) from None
        except Exception as exc:
            message = (
                f"unexpected {type(exc).__name__}: {exc} "
                "(this is a bug in dbsynth; rerun with --traceback and report the output)"
            )
            raise _failure(ctx, exc, message) from None


def _failure(ctx: click.Context, exc: BaseException, message: str) -> click.ClickException:
    """The one-line error for ``exc``; with ``--traceback`` the stack is printed first."""
    urls: list[str] = ctx.meta.get(URLS_SEEN, [])
    if ctx.meta.get(TRACEBACK):
        click.echo(redact("".join(tb.format_exception(exc)), urls).rstrip(), err=True)
    # One line per problem: most errors are one line; a config error lists every problem.
    lines = (" ".join(line.split()) for line in redact(message, urls).splitlines())
    return click.ClickException("\n".join(line for line in lines if line))


def redact(text: str, urls: list[str]) -> str:
    """``text`` with the password of every URL in ``urls`` replaced by ``***`` (both as typed,
    percent-encoded, and decoded)."""
    for url in urls:
        secrets: set[str] = set()
        typed = re.search(r"://[^:/@]*:([^@]*)@", url)
        if typed and typed.group(1):
            secrets.add(typed.group(1))
        try:
            from sqlalchemy.engine import make_url  # only on failure: SQLAlchemy is slow to import

            decoded = make_url(url).password
        except Exception:  # not a URL SQLAlchemy can parse: the typed form is all there is
            decoded = None
        if decoded:
            secrets.add(str(decoded))
        for secret in sorted(secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
    return text


@click.group(cls=DbsynthGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="dbsynth", message="%(prog)s %(version)s")
@click.option("--traceback", is_flag=True, help="On error, show the full stack, not just the message.")
@click.pass_context
def cli(ctx: click.Context, traceback: bool) -> None:
    """dbsynth: clone a production database into a synthetic one.

    It reads the schema (read-only), fits statistics, and writes rows that honour every key and
    constraint. Passwords in URLs are never shown.

    \b
    Example:
        dbsynth demo
        dbsynth inspect postgresql://app@db.example.com/shop
        dbsynth --traceback inspect shop.sqlite --format json
    """
    ctx.meta[TRACEBACK] = traceback


# Each command's module is imported when the command runs (dbsynth.cli.lazy), so that
# `dbsynth --help` does not import the library; the summary is what `dbsynth --help` lists.
cli.add_lazy_commands(
    {
        "inspect": (
            "dbsynth.cli.inspect:inspect_command",
            "Read the schema of the database at URL (read-only) and show it.",
        ),
        "fit": ("dbsynth.cli.fit:fit_command", "Fit a model of the database at URL and write it to FILE."),
        "generate": (
            "dbsynth.cli.generate:generate_command",
            "Write synthetic rows from MODEL into TARGET (a database URL or a directory).",
        ),
        "report": (
            "dbsynth.cli.report:report_command",
            "Measure the synthetic database TARGET against its source SOURCE, both read-only.",
        ),
        "clone": (
            "dbsynth.cli.generate:clone_command",
            "Clone the database at URL into TARGET: inspect, fit, generate and report in one go.",
        ),
        "config": (
            "dbsynth.cli.config:config_group",
            "Write, check and describe the configuration file (dbsynth.yaml).",
        ),
        "plugins": (
            "dbsynth.cli.plugins:plugins_command",
            "List the installed plugins: column models (entry point group dbsynth.generators) and "
            "SQL type handlers (dbsynth.types), dbsynth's own models included.",
        ),
        "demo": (
            "dbsynth.cli.demo:demo_command",
            "Clone the bundled example shop database (SQLite) into a synthetic one, twice its size.",
        ),
    }
)


def main() -> None:
    """Console-script entry point (``dbsynth = "dbsynth.cli:main"``)."""
    signal.signal(signal.SIGTERM, _terminate)
    cli.main(prog_name="dbsynth")


__all__ = ["cli", "main", "redact"]
