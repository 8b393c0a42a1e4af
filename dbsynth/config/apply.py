"""A config at generation (``dbsynth generate MODEL TARGET --config dbsynth.yaml``) applied to a
model fitted before, with this config or without it.

What the config says about a column's values acts at generation exactly as it would have at
fit: a ``generator`` replaces the column's fitted model (built for the model's column and
checked as at fit), a ``null_rate`` replaces the fitted share of NULLs, and ``unique: true``
with a generator makes the column unique (a UNIQUE constraint of the model's schema, as
binding adds at fit). Applying the config a model was fitted with changes nothing, so
``fit --config`` then ``generate --config`` gives the rows ``clone --config`` gives.

What only the fit can do must already be in the model; when it is not, the config is refused
with one problem per setting, at its line, rather than ignored:

* ``pii`` (it decides which model learns the sample), ``unique: true`` without a generator
  (the fitted model was not built to make unique values);
* ``exclude`` (the model has the table), ``copy`` (the model generates the table) and virtual
  ``foreign_keys`` (the model does not link the columns: children per parent are learnt from
  the sample), or a rejected one or ``infer_foreign_keys: false`` the model contradicts (it
  links columns by an inferred key).

Rows, scale and seed are the plan's (:func:`dbsynth.planning.plan.make_plan`). ``where``,
``sample_rows`` and ``min_count`` only shape the sample and the fit, like the fit's options of
the same names; ``locale`` and ``min_count`` also apply to the generators built here.
"""

from __future__ import annotations

from dataclasses import replace

from dbsynth.columns.base import encode
from dbsynth.columns.pii import PiiKind
from dbsynth.config.bind import Binder, declared_unique
from dbsynth.config.types import ColumnOverride, Config, ConfigError, Mark, TableConfig
from dbsynth.model import ColumnFit, Model, TableModel
from dbsynth.schema import Schema, UniqueConstraint

REFIT = "it takes effect when fitting: fit the model again with this config"


def apply_config(model: Model, config: Config) -> Model:
    """``model`` with the column settings of ``config`` applied (module docstring); the same
    model when there is nothing to change. Raises :class:`ConfigError` listing every setting
    that does not fit the model's schema or that only a fit could apply."""
    # The model's row counts stand for the source's: a generator that cannot fill them (a unique
    # pattern with too few strings, a sequence past the column's type) is refused here too.
    binder = Binder(config, model.schema, counts={tm.table: tm.row_count for tm in model.tables})
    schema = model.schema
    tables = {tm.table: tm for tm in model.tables}
    for tc in config.tables:
        if tc.exclude:
            if schema.has_table(tc.name):
                binder.problem(
                    tc.marks.get("exclude", tc.mark),
                    f"table {schema.table(tc.name).key} is excluded, but the model has it; {REFIT}",
                )
            continue
        key = binder.table_key(tc.name, tc.mark)
        if key is None:
            continue
        if tc.copy and not tables[key].copy:
            binder.problem(
                tc.marks.get("copy", tc.mark), f"table {key} is copied, but the model generates it; {REFIT}"
            )
        elif "copy" in tc.marks and not tc.copy and tables[key].copy:
            if tables[key].copy_reason:
                # A reference table the fit chose to copy also has its column models: generate it.
                tables[key] = replace(tables[key], copy=False)
            else:
                binder.problem(
                    tc.marks["copy"],
                    f"table {key} was copied by the fit's config, so it has no model; {REFIT}",
                )
        schema = _apply_table(binder, schema, tables, key, tc)
    for vfk in config.foreign_keys:
        child = binder.table_key(vfk.table, vfk.marks.get("table", vfk.mark))
        parent = binder.table_key(vfk.references, vfk.marks.get("references", vfk.mark))
        if child is None or parent is None:
            continue
        linked = any(
            fk.virtual and fk.columns == vfk.columns and fk.ref_table == parent
            for fk in schema.table(child).foreign_keys
        )
        if vfk.reject and linked:
            binder.problem(
                vfk.marks.get("reject", vfk.mark),
                f"foreign key {vfk.describe()} is rejected, but the model links these columns; {REFIT}",
            )
        elif not vfk.reject and not linked:
            binder.problem(
                vfk.mark, f"foreign key {vfk.describe()}: the model does not link these columns; {REFIT}"
            )
    inferred = [
        f"{t.key}({', '.join(fk.columns)})" for t in schema.tables for fk in t.foreign_keys if fk.inferred
    ]
    if config.infer_foreign_keys is False and inferred:
        binder.problem(
            config.marks.get("infer_foreign_keys"),
            f"infer_foreign_keys: false, but the model links {inferred[0]} by an inferred foreign key; "
            + REFIT,
        )
    if binder.issues:
        raise ConfigError(config.origin, binder.issues)
    changed = tuple(tables[tm.table] for tm in model.tables)
    if schema is model.schema and all(a is b for a, b in zip(changed, model.tables, strict=True)):
        return model
    return replace(model, schema=schema, tables=changed)


def _apply_table(
    binder: Binder, schema: Schema, tables: dict[str, TableModel], key: str, tc: TableConfig
) -> Schema:
    """Apply one table's column settings into ``tables`` (in place); the schema with the
    UNIQUE constraints that ``unique: true`` adds."""
    table = schema.table(key)
    overrides = binder.columns(table, tc)
    if not overrides:
        return schema
    tm = tables[key]
    fits: list[ColumnFit] = []
    added: list[UniqueConstraint] = []
    for cf in tm.columns:
        override = overrides.get((key, cf.name))
        if override is None:
            fits.append(cf)
            continue
        where = f"column {key}.{cf.name}"
        cc = next(c for c in tc.columns if c.name == cf.name)
        fits.append(_apply_column(binder, cf, override, where, cc.marks))
        if override.unique and not declared_unique(table, cf.name):
            if override.model is None:
                binder.problem(
                    cc.marks.get("unique", cc.mark),
                    f"unique: true in {where}: the model was fitted without it; {REFIT}",
                )
            else:
                added.append(UniqueConstraint((cf.name,)))
    fitted = tuple(fits)
    if any(a is not b for a, b in zip(fitted, tm.columns, strict=True)):
        tables[key] = replace(tm, columns=fitted)
    if added:
        schema = schema.replace_table(replace(table, uniques=(*table.uniques, *added)))
    return schema


def _apply_column(
    binder: Binder, cf: ColumnFit, override: ColumnOverride, where: str, marks: dict[str, Mark]
) -> ColumnFit:
    out = cf
    if override.model is not None:
        encoded = encode(override.model)
        pii = str(override.pii) if isinstance(override.pii, PiiKind) else None
        if (cf.role, cf.model, cf.pii) != ("value", encoded, pii):
            out = replace(cf, role="value", model=encoded, pii=pii, note="set in the config")
    elif override.pii is not None and cf.role == "value" and not _pii_agrees(cf.pii, override.pii):
        fitted = f"as personal data ({cf.pii})" if cf.pii else "as not personal data"
        binder.problem(
            marks["pii"], f"pii: {_show_pii(override.pii)} in {where}: the model was fitted {fitted}; {REFIT}"
        )
    if override.null_rate is not None and override.null_rate != out.null_rate:
        out = replace(out, null_rate=override.null_rate)
    return out


def _pii_agrees(fitted: str | None, wanted: PiiKind | bool) -> bool:
    if wanted is False:
        return fitted is None
    if wanted is True:
        return fitted is not None
    return fitted == str(wanted)


def _show_pii(value: PiiKind | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
