"""Reading ``dbsynth.yaml``: YAML syntax, then the shape of every key, all problems at once.

The file is composed into PyYAML nodes (never constructed blindly), so every value keeps its
line and column; a walk over the nodes checks each key against the vocabulary below and the
generators' own ``params`` tables, and collects every problem before raising one
:class:`ConfigError`. Checks that need the database's schema (do the tables and columns exist,
does a generator fit a column's type) are the second pass, :meth:`Config.bind`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dbsynth.columns.base import FitContext
from dbsynth.columns.generators import GeneratorModel, generators
from dbsynth.columns.pii import PiiKind
from dbsynth.config.types import (
    ChildrenDistribution,
    ChildrenSpec,
    ColumnConfig,
    Config,
    ConfigError,
    GeneratorSpec,
    Issue,
    Mark,
    TableConfig,
    VirtualForeignKey,
)
from dbsynth.errors import did_you_mean
from dbsynth.options import MAX_TABLE_ROWS

GLOBAL_KEYS = ("seed", "locale", "min_count", "sample_rows", "tables", "foreign_keys", "infer_foreign_keys")
TABLE_KEYS = ("rows", "scale", "where", "copy", "exclude", "columns")
COLUMN_KEYS = ("generator", "null_rate", "pii", "unique", "children")
CHILDREN_KEYS = ("mean", "min", "max", "distribution")
CHILDREN_DISTRIBUTIONS = ("geometric", "poisson", "uniform")
FK_KEYS = ("table", "columns", "references", "ref_columns", "reject")
DEFAULT_LOCALE = "en_US"


def load_config(path: str | Path) -> Config:
    """Read and check the config file at ``path``; raises :class:`ConfigError` naming every
    problem with its ``file:line:column``."""
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(origin, [Issue(None, "the config file does not exist")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(origin, [Issue(None, f"cannot read the config file: {reason}")]) from None
    return parse_config(text, origin)


TOO_DEEP = "nested too deeply to be a config (tables > table > columns > column > setting is the deepest)"


def _mark_at(text: str, position: int) -> Mark:
    before = text[:position]
    return Mark(before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1)


def parse_config(text: str, origin: str = "dbsynth.yaml") -> Config:
    """:func:`load_config` for text already read; ``origin`` names it in messages."""
    try:
        # The reader checks every character when the loader is made: a NUL is refused there.
        loader = yaml.SafeLoader(text)
        root = loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"invalid YAML: character U+{code:04X} is not allowed"
        raise ConfigError(origin, [Issue(_mark_at(text, exc.position), message)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark is not None else None
        reason = " ".join(str(exc.problem or exc.context).split())
        raise ConfigError(origin, [Issue(where, f"invalid YAML: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(origin, [Issue(None, f"invalid YAML: {' '.join(str(exc).split())}")]) from None
    except RecursionError:  # PyYAML composes nested nodes recursively
        raise ConfigError(origin, [Issue(None, TOO_DEEP)]) from None
    walker = _Walker(loader)
    try:
        config = walker.config(root, origin)
    except RecursionError:
        raise ConfigError(origin, [Issue(None, TOO_DEEP)]) from None
    finally:
        loader.dispose()
    if walker.issues:
        raise ConfigError(origin, walker.issues, partial=config)
    return config


def mark_of(node: Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def shown(value: Any) -> str:
    """A value as a message quotes it: text in quotes, YAML spellings for the rest."""
    if isinstance(value, str):
        return f"'{value}'"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return str(value)


Entry = tuple[str, Node, Node]  # key as text, key node, value node


class _Walker:
    """One pass over the node tree; ``issues`` collects every problem found."""

    def __init__(self, loader: yaml.SafeLoader):
        self.loader = loader
        self.issues: list[Issue] = []
        self.locale = DEFAULT_LOCALE

    def problem(self, node: Node, message: str) -> None:
        self.issues.append(Issue(mark_of(node), message))

    def value(self, node: Node) -> Any:
        return self.loader.construct_object(node, deep=True)

    # -- shapes ---------------------------------------------------------------------------------

    def entries(self, node: Node, where: str, keys: tuple[str, ...] | None) -> list[Entry] | None:
        """A mapping's entries, None when ``node`` is not a mapping; duplicate and (when ``keys``
        is given) unknown keys are reported and left out."""
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return []
        if not isinstance(node, MappingNode):
            self.problem(node, f"{where} must be a mapping of keys to values")
            return None
        out: list[Entry] = []
        first: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, f"a key in {where} must be a name")
                continue
            key = str(self.value(key_node))
            if key in first:
                line = first[key].start_mark.line + 1
                self.problem(key_node, f"duplicate key '{key}' in {where} (first given on line {line})")
                continue
            first[key] = key_node
            if keys is not None and key not in keys:
                self.problem(key_node, f"unknown key '{key}' {_in(where)}." + did_you_mean(key, keys))
                continue
            out.append((key, key_node, value_node))
        return out

    def typed(self, node: Node, what: str, test: Callable[[Any], bool], expected: str) -> Any:
        """The node's value when ``test`` accepts it, else None with a problem reported."""
        value = self.value(node) if isinstance(node, ScalarNode) else _shape_of(node)
        if isinstance(node, ScalarNode) and test(value):
            return value
        self.problem(node, f"{what} must be {expected}, got {shown(value)}")
        return None

    def integer(self, node: Node, what: str, minimum: int, maximum: int | None = None) -> int | None:
        bound = "a whole number" + (f" >= {minimum}" if minimum else " >= 0")
        if maximum is not None:
            top = "2**63 - 1" if maximum == 2**63 - 1 else f"{maximum:,}"
            bound = f"a whole number from {minimum} to {top}"
        return self.typed(
            node, what, lambda v: _is_int(v) and v >= minimum and (maximum is None or v <= maximum), bound
        )

    def number(self, node: Node, what: str, low: float, high: float | None) -> float | None:
        expected = f"a number from {low:g} to {high:g}" if high is not None else f"a number >= {low:g}"
        value = self.typed(
            node, what, lambda v: _is_number(v) and v >= low and (high is None or v <= high), expected
        )
        return None if value is None else float(value)

    def boolean(self, node: Node, what: str) -> bool | None:
        return self.typed(node, what, lambda v: isinstance(v, bool), "true or false")

    def text(self, node: Node, what: str) -> str | None:
        return self.typed(node, what, lambda v: isinstance(v, str) and v.strip() != "", "text")

    def names(self, node: Node, what: str) -> tuple[str, ...] | None:
        """A column name or a list of them."""
        if isinstance(node, ScalarNode):
            name = self.text(node, what)
            return None if name is None else (name,)
        if isinstance(node, SequenceNode) and node.value:
            items = [self.text(item, what) for item in node.value]
            names = [i for i in items if i is not None]
            return tuple(names) if len(names) == len(items) else None
        self.problem(node, f"{what} must be a column name or a list of them")
        return None

    # -- the document -----------------------------------------------------------------------------

    def config(self, root: Node | None, origin: str) -> Config:
        if root is None:
            return Config(origin=origin)
        entries = self.entries(root, "the top level", GLOBAL_KEYS)
        if entries is None:
            return Config(origin=origin)
        found = {key: value for key, _, value in entries}
        marks = {key: mark_of(k) for key, k, _ in entries}
        settings: dict[str, Any] = {}
        if "locale" in found:
            settings["locale"] = self.locale_of(found["locale"])
            self.locale = settings["locale"] or DEFAULT_LOCALE
        if "seed" in found:
            # The bound of --seed (dbsynth.options.SEED): the model file keeps it as a signed 64-bit integer.
            settings["seed"] = self.integer(found["seed"], "seed", 0, 2**63 - 1)
        if "min_count" in found:
            settings["min_count"] = self.integer(found["min_count"], "min_count", 1)
        if "sample_rows" in found:
            settings["sample_rows"] = self.integer(found["sample_rows"], "sample_rows", 1)
        if "infer_foreign_keys" in found:
            settings["infer_foreign_keys"] = self.boolean(found["infer_foreign_keys"], "infer_foreign_keys")
        table_entries = self.entries(found["tables"], "tables", None) if "tables" in found else None
        tables = [self.table(key, key_node, value) for key, key_node, value in table_entries or []]
        fks: list[VirtualForeignKey] = []
        if "foreign_keys" in found:
            node = found["foreign_keys"]
            if isinstance(node, SequenceNode):
                fks = [fk for i, item in enumerate(node.value, 1) if (fk := self.foreign_key(item, i))]
            elif not (isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null"):
                self.problem(node, "foreign_keys must be a list of {table, columns, references, ref_columns}")
        return Config(origin=origin, tables=tuple(tables), foreign_keys=tuple(fks), marks=marks, **settings)

    def locale_of(self, node: Node) -> str | None:
        from faker.config import AVAILABLE_LOCALES

        value = self.text(node, "locale")
        if value is not None and value not in AVAILABLE_LOCALES:
            self.problem(node, f"unknown locale '{value}'." + did_you_mean(value, AVAILABLE_LOCALES))
            return None
        return value

    def table(self, name: str, key_node: Node, node: Node) -> TableConfig:
        where = f"table {name}"
        entries = self.entries(node, where, TABLE_KEYS) or []
        found = {key: value for key, _, value in entries}
        marks = {key: mark_of(k) for key, k, _ in entries}
        settings: dict[str, Any] = {}
        if "rows" in found:
            settings["rows"] = self.integer(found["rows"], f"rows in {where}", 0)
            rows = settings["rows"]
            if rows is not None and rows > MAX_TABLE_ROWS:
                limit = f"{MAX_TABLE_ROWS:,}"
                self.problem(found["rows"], f"rows in {where} must be at most {limit}, got {rows:,}")
                settings["rows"] = None
        if "scale" in found:
            settings["scale"] = self.number(found["scale"], f"scale in {where}", 0.0, None)
        if "where" in found:
            settings["where"] = self.text(found["where"], f"where in {where}")
        for flag in ("copy", "exclude"):
            if flag in found:
                settings[flag] = bool(self.boolean(found[flag], f"{flag} in {where}"))
        if "rows" in found and "scale" in found:
            self.problem(found["scale"], f"{where}: give rows or scale, not both")
        if settings.get("exclude"):
            for other in (k for k in found if k != "exclude"):
                self.problem(found[other], f"{where}: exclude: true cannot be combined with {other}")
        elif settings.get("copy"):
            for other in (k for k in ("rows", "scale", "columns") if k in found):
                self.problem(
                    found[other], f"{where}: copy: true copies rows as they are, so {other} cannot apply"
                )
        columns: list[ColumnConfig] = []
        if "columns" in found:
            for column, col_key, col_node in (
                self.entries(found["columns"], f"the columns of {where}", None) or []
            ):
                columns.append(self.column(name, column, col_key, col_node))
        return TableConfig(name=name, mark=mark_of(key_node), columns=tuple(columns), marks=marks, **settings)

    def column(self, table: str, name: str, key_node: Node, node: Node) -> ColumnConfig:
        where = f"column {table}.{name}"
        entries = self.entries(node, where, None)
        if entries is None:
            return ColumnConfig(name=name, mark=mark_of(key_node))
        if not entries:
            self.problem(
                key_node, f"{where} sets nothing: give generator, null_rate, pii, unique or children"
            )
        found = {key: value for key, _, value in entries}
        marks = {key: mark_of(k) for key, k, _ in entries}
        gen_cls = self.generator_class(found.get("generator"), where)
        param_names = tuple(p.name for p in gen_cls.params) if gen_cls is not None else ()
        for key, key_node_, _ in entries:
            if key in COLUMN_KEYS or key in param_names:
                continue
            owners = [n for n, cls in sorted(generators().items()) if key in {p.name for p in cls.params}]
            if gen_cls is not None:
                hint = did_you_mean(key, (*COLUMN_KEYS, *param_names))
                self.problem(
                    key_node_, f"unknown key '{key}' for generator {gen_cls.generator} in {where}.{hint}"
                )
            elif "generator" in found:
                continue  # the generator's own problem is reported; its parameters cannot be judged
            elif owners:
                self.problem(key_node_, f"key '{key}' in {where} needs a generator (it is a parameter of "
                             f"{' and '.join(owners)})")  # fmt: skip
            else:
                self.problem(key_node_, f"unknown key '{key}' in {where}." + did_you_mean(key, COLUMN_KEYS))
        settings: dict[str, Any] = {}
        if "null_rate" in found:
            settings["null_rate"] = self.number(found["null_rate"], f"null_rate in {where}", 0.0, 1.0)
        if "pii" in found:
            settings["pii"] = self.pii(found["pii"], where)
        if "unique" in found:
            settings["unique"] = self.boolean(found["unique"], f"unique in {where}")
        if "children" in found:
            settings["children"] = self.children(found["children"], f"children in {where}")
        if gen_cls is not None:
            spec = self.generator_spec(gen_cls, found, marks, where)
            settings["generator"] = spec
            if settings.get("unique") and not gen_cls.unique_capable:
                self.problem(found["unique"], f"unique: true in {where}: generator {gen_cls.generator} "
                             "cannot make unique values")  # fmt: skip
        return ColumnConfig(name=name, mark=mark_of(key_node), marks=marks, **settings)

    def children(self, node: Node, where: str) -> ChildrenSpec | None:
        """``children: {mean: 3, min: 0, max: 10, distribution: geometric}``, every key optional."""
        entries = self.entries(node, where, CHILDREN_KEYS)
        if entries is None:
            return None
        found = {key: value for key, _, value in entries}
        mean = self.number(found["mean"], f"mean of {where}", 0.0, None) if "mean" in found else None
        low = self.integer(found["min"], f"min of {where}", 0) if "min" in found else 0
        high = self.integer(found["max"], f"max of {where}", 0) if "max" in found else None
        dist = "geometric"
        if "distribution" in found:
            dist = self.value(found["distribution"])
            if dist not in CHILDREN_DISTRIBUTIONS:
                self.problem(
                    found["distribution"],
                    f"distribution of {where} must be one of {', '.join(CHILDREN_DISTRIBUTIONS)}, "
                    f"got {dist!r}." + did_you_mean(str(dist), CHILDREN_DISTRIBUTIONS),
                )
                return None
        if low is None or ("max" in found and high is None) or ("mean" in found and mean is None):
            return None
        if high is not None and high < low:
            self.problem(found["max"], f"max of {where} ({high}) is below its min ({low})")
            return None
        if mean is not None and not low <= mean <= (high if high is not None else mean):
            self.problem(found["mean"], f"mean of {where} ({mean:g}) is outside [min, max]")
            return None
        return ChildrenSpec(mean=mean, min=low, max=high, distribution=cast(ChildrenDistribution, dist))

    def pii(self, node: Node, where: str) -> PiiKind | bool | None:
        value = self.value(node) if isinstance(node, ScalarNode) else _shape_of(node)
        if isinstance(value, bool):
            return value
        kinds = [k.value for k in PiiKind]
        if isinstance(value, str) and value in kinds:
            return PiiKind(value)
        hint = did_you_mean(value, kinds) if isinstance(value, str) else ""
        message = f"pii in {where} must be true, false or a personal-data kind, got {shown(value)}"
        self.problem(node, message + (f".{hint}" if hint else ""))
        return None

    def generator_class(self, node: Node | None, where: str) -> type[GeneratorModel] | None:
        if node is None:
            return None
        name = self.text(node, f"generator in {where}")
        if name is None:
            return None
        known = generators()
        if name not in known:
            self.problem(node, f"unknown generator '{name}' in {where}." + did_you_mean(name, known))
            return None
        return known[name]

    def generator_spec(
        self, cls: type[GeneratorModel], found: dict[str, Node], marks: dict[str, Mark], where: str
    ) -> GeneratorSpec | None:
        params: dict[str, Any] = {}
        ok = True
        for param in cls.params:
            node = found.get(param.name)
            if node is None:
                if param.required:
                    self.problem(
                        found["generator"], f"generator {cls.generator} in {where} needs '{param.name}'"
                    )
                    ok = False
                continue
            value = self.value(node)
            if not any(_SHAPES[s](value) for s in param.shapes):
                expected = " or ".join(_SHAPE_WORDS[s] for s in param.shapes)
                self.problem(node, f"{param.name} in {where} must be {expected}, got {shown(value)}")
                ok = False
                continue
            params[param.name] = value
        if not ok:
            return None
        ctx = FitContext(locale=self.locale)
        for param_name, message in cls.check_params(params, ctx):
            node = found.get(param_name) if param_name else found["generator"]
            self.problem(node or found["generator"], f"{where}: {message}")
            ok = False
        if not ok:
            return None
        param_marks = {k: m for k, m in marks.items() if k in params}
        return GeneratorSpec(cls.generator, params, marks["generator"], param_marks)

    def foreign_key(self, node: Node, index: int) -> VirtualForeignKey | None:
        where = f"foreign key {index}"
        entries = self.entries(node, where, FK_KEYS)
        if entries is None:
            return None
        found = {key: value for key, _, value in entries}
        missing = [k for k in ("table", "columns", "references") if k not in found]
        for key in missing:
            self.problem(node, f"{where} needs '{key}'")
        table = self.text(found["table"], f"table in {where}") if "table" in found else None
        columns = self.names(found["columns"], f"columns in {where}") if "columns" in found else None
        references = (
            self.text(found["references"], f"references in {where}") if "references" in found else None
        )
        refs = self.names(found["ref_columns"], f"ref_columns in {where}") if "ref_columns" in found else None
        if columns and refs and len(columns) != len(refs):
            self.problem(
                found["ref_columns"], f"{where} pairs {len(columns)} column(s) with {len(refs)} ref_columns"
            )
            return None
        if (
            table is None
            or columns is None
            or references is None
            or ("ref_columns" in found and refs is None)
        ):
            return None
        reject = False
        if "reject" in found:
            reject = self.boolean(found["reject"], f"reject in {where}") is True
        marks = {key: mark_of(value) for key, value in found.items()}
        return VirtualForeignKey(table, columns, references, refs, mark_of(node), marks, reject)


def _in(where: str) -> str:
    return "at the top level" if where == "the top level" else f"in {where}"


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _shape_of(node: Node) -> Any:
    return [] if isinstance(node, SequenceNode) else {}


_SHAPES: dict[str, Callable[[Any], bool]] = {
    "integer": _is_int,
    "number": _is_number,
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "scalar": lambda v: v is None or isinstance(v, str | int | float | bool | dt.date),
    "mapping": lambda v: isinstance(v, dict),
    "list": lambda v: isinstance(v, list),
}
_SHAPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "scalar": "a single value",
    "mapping": "a mapping",
    "list": "a list",
}
