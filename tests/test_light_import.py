"""``import dbsynth`` and ``dbsynth --help`` stay light: they import none of the heavy libraries
behind the engine (the registries and the command modules load on first use), and the help
that lists commands not imported yet reads exactly as it does once they are.

Each check runs in a fresh interpreter: this test process has long imported everything.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# What the engine needs and `import dbsynth` / `dbsynth --help` must not pay for.
HEAVY = ("numpy", "pandas", "scipy", "sqlalchemy", "sqlglot", "faker", "pyarrow", "networkx", "rich", "yaml")

RUN_HELP = "import sys; from dbsynth.cli import main; sys.argv[1:] = ['--help']; main()"


def imported_modules(code: str) -> set[str]:
    """The top-level packages a fresh interpreter imports to run ``code`` (from -X importtime)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize("code", ["import dbsynth", RUN_HELP], ids=["import dbsynth", "dbsynth --help"])
def test_no_heavy_import(code: str) -> None:
    assert sorted(imported_modules(code) & set(HEAVY)) == []


def test_exports_load_on_first_use() -> None:
    code = "import dbsynth, sys; dbsynth.Model; print('pandas' in sys.modules, dbsynth.Model.__module__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "dbsynth.model"]


def test_help_lists_unimported_commands_as_their_own_help_does() -> None:
    # The same `dbsynth --help` text before any command is imported (the table's summaries)
    # and after every one is (each command's own first sentence).
    code = (
        "from click.testing import CliRunner\n"
        "from dbsynth.cli import cli\n"
        "def text(): return [CliRunner().invoke(cli, ['-h'], terminal_width=w).output for w in (60, 200)]\n"
        "lazy = text()\n"
        "imported = [cli.commands[name] for name in cli.commands]\n"
        "eager = text()\n"
        "assert lazy == eager, (lazy, eager)\n"
        "assert [c.name for c in imported] == list(cli.commands), [c.name for c in imported]\n"
        "print(len(imported))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout) >= 8
