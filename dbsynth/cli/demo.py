"""``dbsynth demo``: the whole tool on the bundled example shop, on any machine, no server needed.

The demo is a pipeline of plain steps over one :class:`Demo` record (``DEMO_STEPS``); each step
reads what earlier ones left and says what it did. Today: build the example source database,
then inspect it. The clone step appends itself to ``DEMO_STEPS`` when it exists.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import click
from rich.console import Console

from dbsynth.cli.inspect import summarize
from dbsynth.cli.options import workdir_option
from dbsynth.cli.render import print_all, status, stderr_console, stdout_console
from dbsynth.db import display_url, parse_url
from dbsynth.examples import SHOP_TABLES, build_shop
from dbsynth.introspect import introspect
from dbsynth.schema import Schema

SOURCE_FILE = "shop.sqlite"


@dataclass
class Demo:
    """What the demo steps share: where they work, the example's knobs, and results so far."""

    workdir: Path
    seed: int
    customers: int
    out: Console
    err: Console
    source: Path | None = None
    schema: Schema | None = None
    done: list[str] = field(default_factory=list)

    @property
    def source_url(self) -> str:
        if self.source is None:
            raise RuntimeError("the source database has not been built yet")
        return f"sqlite:///{self.source}"


def build_source(demo: Demo) -> None:
    """Write the seeded example shop into the work directory."""
    status(demo.err, f"Building the example shop database (seed {demo.seed}, {demo.customers} customers) ...")
    started = time.perf_counter()
    demo.source = build_shop(demo.workdir / SOURCE_FILE, seed=demo.seed, customers=demo.customers)
    rows = count_rows(demo.source)
    demo.done.append(
        f"built the example source database {demo.source} "
        f"({len(SHOP_TABLES)} tables, {rows:,} rows in {time.perf_counter() - started:.1f} s)"
    )


def inspect_source(demo: Demo) -> None:
    """Introspect the source read-only and print the summary ``dbsynth inspect`` prints."""
    shown = display_url(parse_url(demo.source_url))
    status(demo.err, f"Inspecting {shown} (read-only) ...")
    demo.schema = introspect(demo.source_url)
    print_all(demo.out, summarize(demo.schema, shown))
    demo.done.append(f"inspected it: {len(demo.schema.tables)} tables, {len(demo.schema.warnings)} warnings")


DEMO_STEPS: tuple[Callable[[Demo], None], ...] = (build_source, inspect_source)


def run_demo(demo: Demo) -> Demo:
    """Run every step of ``DEMO_STEPS`` in order on ``demo`` and return it."""
    for step in DEMO_STEPS:
        step(demo)
    return demo


def count_rows(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return sum(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in SHOP_TABLES)
    finally:
        conn.close()


@contextmanager
def workspace(workdir: Path | None) -> Iterator[Path]:
    """``workdir`` (created if missing) or a temporary directory removed afterwards."""
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        yield workdir
        return
    with tempfile.TemporaryDirectory(prefix="dbsynth-demo-") as tmp:
        yield Path(tmp)


@click.command("demo")
@workdir_option
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the example data.")
@click.option(
    "--customers",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Size of the example shop (about 14 rows per customer in all).",
)
def demo_command(workdir: Path | None, seed: int, customers: int) -> None:
    """Build the bundled example shop database (SQLite) and run dbsynth on it.

    No database server needed: the example source is written into DIR (--workdir) or a
    temporary directory, then inspected read-only, and every step says what it did.

    \b
    Example:
        dbsynth demo
        dbsynth demo --workdir ./demo --seed 3 --customers 200
    """
    err, out = stderr_console(), stdout_console()
    with workspace(workdir) as root:
        demo = run_demo(Demo(root, seed, customers, out=out, err=err))
    out.print("\nWhat the demo did:", style="bold")
    for line in demo.done:
        out.print(f"  - {line}", markup=False, soft_wrap=True)
    if workdir is None:
        status(err, "The temporary directory was removed; pass --workdir DIR to keep the files.")


__all__ = ["DEMO_STEPS", "Demo", "build_source", "demo_command", "inspect_source", "run_demo"]
