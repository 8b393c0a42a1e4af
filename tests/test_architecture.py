"""docs/architecture.md draws the layers exactly as the import-linter contract in pyproject.toml
states them (``lint-imports``, run by scripts/test, enforces the contract itself), every module
sits in a layer, and no module grows past 600 lines."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def contract_layers() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    return [" | ".join(m.strip().removeprefix("dbsynth.") for m in layer.split("|")) for layer in layers]


def documented_layers() -> list[str]:
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("\n## Layers\n", 1)[1]
    block = section.split("```\n", 2)[1]
    # Each line: the layer, two or more spaces, what it holds.
    return [re.split(r"\s{2,}", line.strip(), maxsplit=1)[0] for line in block.splitlines() if line.strip()]


def test_the_documented_layers_are_the_contract() -> None:
    assert documented_layers() == contract_layers()


def test_every_package_and_module_of_dbsynth_is_in_a_layer() -> None:
    listed = {m for layer in contract_layers() for m in layer.split(" | ")}
    present = {
        p.stem if p.is_file() else p.name
        for p in (REPO / "dbsynth").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    unplaced = sorted(present - listed)
    assert unplaced == [], f"place {unplaced} in the layers of pyproject.toml and docs/architecture.md"
    assert sorted(listed - present) == []


MAX_LINES = 600


def test_no_module_is_over_600_lines() -> None:
    """A module past this size has, every time so far, held more than one idea: split it by idea
    (as pii_formats.py and ddl/schema_types.py were) instead of raising the limit."""
    long = {
        str(p.relative_to(REPO)): n
        for p in sorted((REPO / "dbsynth").rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"
