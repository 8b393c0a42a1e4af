"""The JSON Schema of ``dbsynth.yaml``, derived from the same vocabulary the loader checks.

The package ships the result as ``dbsynth/data/config.schema.json`` for editors (e.g. the YAML
language server: ``# yaml-language-server: $schema=<path>``); a test keeps the shipped file equal
to :func:`build_json_schema`, so a key added to the loader or a generator reaches the schema.
Regenerate it with ``python -m dbsynth.config.json_schema > dbsynth/data/config.schema.json``.

The schema describes the built-in generators; a column's keys stay open (``additionalProperties``)
because plugin generators bring their own parameters. What only a live database can tell (do the
tables exist, does a generator fit a column) is :meth:`dbsynth.config.Config.bind`'s.
"""

from __future__ import annotations

import json
from typing import Any

from dbsynth.columns.generators import generators
from dbsynth.columns.pii import PiiKind
from dbsynth.config.load import COLUMN_KEYS, FK_KEYS, GLOBAL_KEYS, TABLE_KEYS

_SHAPES: dict[str, dict[str, Any]] = {
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "string": {"type": "string"},
    "boolean": {"type": "boolean"},
    "scalar": {"type": ["string", "number", "boolean"]},
    "mapping": {"type": "object"},
    "list": {"type": "array"},
}


def _names() -> dict[str, Any]:
    return {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]}


def _column() -> dict[str, Any]:
    gens = generators()
    props: dict[str, Any] = {
        "generator": {
            "description": "A generator instead of the fitted model.",
            "anyOf": [{"enum": sorted(gens)}, {"type": "string"}],
        },
        "null_rate": {"type": "number", "minimum": 0, "maximum": 1, "description": "Share of NULLs."},
        "pii": {
            "description": "Correct personal-data detection: true, false or the kind.",
            "anyOf": [{"type": "boolean"}, {"enum": [k.value for k in PiiKind]}],
        },
        "unique": {"type": "boolean", "description": "Generate distinct values."},
        "children": {
            "description": "On a foreign-key column: child rows per parent row.",
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "mean": {"type": "number", "minimum": 0},
                "min": {"type": "integer", "minimum": 0},
                "max": {"type": "integer", "minimum": 0},
                "distribution": {"enum": ["geometric", "poisson", "uniform"]},
            },
        },
    }
    rules: list[dict[str, Any]] = []
    for name, cls in sorted(gens.items()):
        params: dict[str, Any] = {}
        for p in cls.params:
            shapes = [_SHAPES[s] for s in p.shapes]
            params[p.name] = {**(shapes[0] if len(shapes) == 1 else {"anyOf": shapes}), "description": p.doc}
            props.setdefault(p.name, {"description": f"{p.doc} ({name})"})
        rule: dict[str, Any] = {
            "if": {"properties": {"generator": {"const": name}}, "required": ["generator"]},
            "then": {"properties": params, "description": cls.summary},
        }
        required = [p.name for p in cls.params if p.required]
        if required:
            rule["then"]["required"] = required
        rules.append(rule)
    return {"type": ["object", "null"], "properties": props, "allOf": rules}


def build_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the config file."""
    table: dict[str, Any] = {
        "type": ["object", "null"],
        "additionalProperties": False,
        "properties": {
            "rows": {"type": "integer", "minimum": 0, "description": "Rows to generate."},
            "scale": {"type": "number", "minimum": 0, "description": "Source rows times this factor."},
            "where": {"type": "string", "description": "Sampling filter, in the source's SQL dialect."},
            "copy": {"type": "boolean", "description": "Copy this reference table verbatim from the source."},
            "exclude": {"type": "boolean", "description": "Leave this table out."},
            "columns": {"type": ["object", "null"], "additionalProperties": {"$ref": "#/$defs/column"}},
        },
        "not": {"type": "object", "required": ["rows", "scale"]},
    }
    fk: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["table", "columns", "references"],
        "properties": {
            "table": {"type": "string"},
            "columns": _names(),
            "references": {"type": "string"},
            "ref_columns": {**_names(), "description": "Default: the referenced table's primary key."},
            "reject": {
                "type": "boolean",
                "description": "true: this relation is not a foreign key, though the fit would infer it.",
            },
        },
    }
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "dbsynth.yaml",
        "description": "Configuration of a dbsynth clone: tables, columns, generators, virtual foreign keys.",
        "type": ["object", "null"],
        "additionalProperties": False,
        "properties": {
            "seed": {"type": "integer", "minimum": 0},
            "locale": {"type": "string", "description": "Faker locale, e.g. en_US, de_DE."},
            "min_count": {"type": "integer", "minimum": 1},
            "sample_rows": {"type": "integer", "minimum": 1},
            "tables": {"type": ["object", "null"], "additionalProperties": {"$ref": "#/$defs/table"}},
            "foreign_keys": {"type": ["array", "null"], "items": {"$ref": "#/$defs/foreign_key"}},
            "infer_foreign_keys": {
                "type": "boolean",
                "description": "false: infer no undeclared foreign key from the data (default true).",
            },
        },
        "$defs": {"table": table, "column": _column(), "foreign_key": fk},
    }
    # The vocabulary is the loader's: fail loudly here rather than ship a schema that drifted.
    assert set(schema["properties"]) == set(GLOBAL_KEYS)
    assert set(table["properties"]) == set(TABLE_KEYS)
    assert set(fk["properties"]) >= set(FK_KEYS)
    assert set(COLUMN_KEYS) <= set(schema["$defs"]["column"]["properties"])
    return schema


def render() -> str:
    return json.dumps(build_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
