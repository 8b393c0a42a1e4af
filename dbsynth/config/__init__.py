"""``dbsynth.yaml``: the configuration file that adapts a clone to a real schema.

    seed: 7                      # global: seed, locale, min_count, sample_rows
    locale: de_DE
    tables:
      public.customers:          # a table key, or a bare name when it is unambiguous
        rows: 1000               # or scale: 5 (not both)
        where: "created_at > now() - interval '1 year'"    # sampling filter, source dialect
        columns:
          email: {pii: true}                              # true, false or a kind: corrects detection
          status: {generator: choice, values: {new: 3, paid: 5}}
          code: {generator: regex, pattern: "[A-Z]{3}-[0-9]{4}", unique: true}
          note: {null_rate: 0.3}
      public.countries: {copy: true}                      # copied verbatim from the source
      public.audit_log: {exclude: true}
    foreign_keys:                                         # relations the database does not declare
      - {table: city, columns: [countrycode], references: country, ref_columns: [code]}
      - {table: orders, columns: [ref], references: invoices, reject: true}   # not one, do not infer it
    infer_foreign_keys: true                              # false: infer none from the data

Two passes, each reporting every problem at once with ``file:line:column`` and "did you mean":
:func:`load_config` checks the YAML and the shape of every key (no database needed);
:func:`bind` checks the config against a live :class:`~dbsynth.schema.Schema` and
resolves it into a :class:`BoundConfig` for fit and generate; :func:`load_and_bind` does both
and reports the problems of both passes together; :func:`apply_config` applies a config's
column settings to a model fitted before (``dbsynth generate --config``). Generators are column models
(``dbsynth.columns.generators``). The JSON Schema of the file, for editors, is
:func:`json_schema_path`. ``dbsynth config init`` writes a starting file
(:func:`dbsynth.config.starter.starter_config`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from dbsynth.config.apply import apply_config
from dbsynth.config.bind import BoundConfig, bind, load_and_bind
from dbsynth.config.load import load_config, parse_config
from dbsynth.config.types import (
    ChildrenSpec,
    ColumnConfig,
    ColumnOverride,
    Config,
    ConfigError,
    GeneratorSpec,
    Issue,
    Mark,
    TableConfig,
    VirtualForeignKey,
)


def json_schema_path() -> Path:
    """The JSON Schema of ``dbsynth.yaml`` shipped in the package (for editor completion)."""
    return Path(str(resources.files("dbsynth") / "data" / "config.schema.json"))


__all__ = [
    "BoundConfig",
    "ChildrenSpec",
    "ColumnConfig",
    "ColumnOverride",
    "Config",
    "ConfigError",
    "GeneratorSpec",
    "Issue",
    "Mark",
    "TableConfig",
    "VirtualForeignKey",
    "apply_config",
    "bind",
    "json_schema_path",
    "load_and_bind",
    "load_config",
    "parse_config",
]
