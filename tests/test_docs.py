"""Documentation is interface: every command's help has an example that parses, the README's
commands and paths exist, and the test-server files agree with the test rig's defaults."""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from dbsynth.cli import cli

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def all_commands(
    command: click.Command = cli, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from all_commands(command.commands[name], (*path, name))


COMMANDS = list(all_commands())


def parse_command_line(line: str) -> click.Context:
    """Parse ``dbsynth ...`` the way click would run it, without running it; a usage error
    (unknown command or option, bad choice) raises."""
    words = shlex.split(line)
    assert words[0] == "dbsynth", line
    ctx = cli.make_context("dbsynth", words[1:])
    command: click.Command = cli
    while isinstance(command, click.Group):
        # click keeps a group's not-yet-parsed subcommand words in _protected_args (8.2+).
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        if not rest:
            break
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None and name is not None, line
        ctx = sub.make_context(name, rest, parent=ctx)
        command = sub
    return ctx


def help_examples(path: tuple[str, ...]) -> list[str]:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="dbsynth", terminal_width=200)
    assert result.exit_code == 0, result.output
    parts = re.split(r"\n\s*Example:\n", result.output, maxsplit=1)
    assert len(parts) == 2, f"'dbsynth {' '.join(path)} --help' has no Example: section"
    block = parts[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(("dbsynth", *p)))
def test_every_command_help_has_runnable_examples(path: tuple[str, ...]) -> None:
    examples = help_examples(path)
    assert examples
    prefix = " ".join(("dbsynth", *path))
    for example in examples:
        assert example == prefix or example.startswith(prefix + " "), example
        parse_command_line(example)


def test_the_walk_sees_the_commands() -> None:
    assert {" ".join(p) for p, _ in COMMANDS} >= {"", "inspect", "demo"}


def test_example_parser_rejects_what_click_rejects() -> None:
    with pytest.raises(click.UsageError):
        parse_command_line("dbsynth inspect x.db --format xml")
    with pytest.raises(click.UsageError):
        parse_command_line("dbsynth nosuchcommand")


def readme_shell_lines() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_dbsynth_commands_exist() -> None:
    commands = [
        part.strip()
        for line in readme_shell_lines()
        for part in line.split("&&")
        if part.strip().startswith("dbsynth")
    ]
    assert "dbsynth demo" in commands
    assert any(c.startswith("dbsynth inspect") for c in commands)
    for command in commands:
        parse_command_line(command)


def test_readme_scripts_and_files_exist() -> None:
    lines = readme_shell_lines()
    assert "./scripts/test" in lines
    assert "docker compose -f docker/compose.yml up -d --wait" in lines
    script = REPO / "scripts" / "test"
    assert script.is_file() and script.stat().st_mode & 0o111
    layout = README.split("## Project layout", 1)[1].split("\n## ", 1)[0]
    paths = re.findall(r"`([A-Za-z0-9_./-]+/[A-Za-z0-9_./-]*)`", layout)
    assert paths
    assert [p for p in paths if not (REPO / p).exists()] == []


def test_readme_test_variables_are_the_rigs() -> None:
    conftest = (REPO / "tests" / "conftest.py").read_text(encoding="utf-8")
    for name in ("DBSYNTH_TEST_POSTGRES_URL", "DBSYNTH_TEST_MYSQL_URL", "DBSYNTH_DATASETS"):
        assert f"`{name}`" in README and f'"{name}"' in conftest
    for default in ("postgresql://postgres@127.0.0.1:5432/test", "mysql://root@127.0.0.1:3306/test"):
        assert f"`{default}`" in README and default in conftest


def test_compose_serves_what_the_tests_expect() -> None:
    compose = yaml.safe_load((REPO / "docker" / "compose.yml").read_text(encoding="utf-8"))
    pg, maria = compose["services"]["postgres"], compose["services"]["mariadb"]
    assert pg["image"] == "postgres:15"
    assert pg["environment"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"
    assert pg["environment"]["POSTGRES_USER"] == "postgres"
    assert pg["environment"]["POSTGRES_DB"] == "test"
    assert pg["ports"] == ["127.0.0.1:5432:5432"]
    assert maria["image"] == "mariadb:10.11"
    assert maria["environment"]["MARIADB_ALLOW_EMPTY_ROOT_PASSWORD"] == "1"
    assert maria["environment"]["MARIADB_DATABASE"] == "test"
    assert maria["ports"] == ["127.0.0.1:3306:3306"]
    assert all("healthcheck" in service for service in (pg, maria))


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    code = [line for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    # The README's command, then each plugin package's own suite (README "Test setup").
    assert "./scripts/test" in code
    assert code.index("./scripts/test") < code.index('for plugin in plugins/*/; do')
    assert "set -euo pipefail" in ci
    test_script = script_lines(REPO / "scripts" / "test")
    assert "set -euo pipefail" in test_script
    assert "python -m pip install --quiet --disable-pip-version-check -e '.[dev]'" in test_script
    assert "ruff check ." in test_script
    for path in (REPO / ".ci" / "run", REPO / "scripts" / "test"):
        syntax = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert syntax.returncode == 0, syntax.stderr


def script_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]


def test_scripts_test_fails_when_pytest_collects_nothing(tmp_path: Path) -> None:
    # Run the real script's tail (after the install and lint steps) on an empty test folder:
    # pytest exits 5 and the script must pass that on, not turn it into success.
    lines = script_lines(REPO / "scripts" / "test")
    tail = "\n".join(lines[lines.index("status=0") :])
    (tmp_path / "tests").mkdir()
    proc = subprocess.run(
        [
            "bash",
            "-c",
            "set -euo pipefail\n" + tail,
            "scripts/test",
            str(tmp_path / "tests"),
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert "scripts/test: pytest collected no tests; that is a failure, not a pass" in proc.stderr
