"""A model file is untrusted input: everything in it is checked when it is loaded.

:func:`check_model_data` runs on the decoded JSON before :class:`~dbsynth.model.Model` is built
and refuses a broken file with a :class:`~dbsynth.errors.ModelError` naming the bad field by its
path in the document, ``model file 'm.json': tables[3].columns.price.model.grid: not sorted``:

* the document is at most ``MAX_DEPTH`` containers deep (a deeper one exhausted the stack);
* every field has its type (:func:`dbsynth.serde.from_data`: no ``null`` where a value is
  required, no ``true`` for a count, finite numbers, known enum values, no unknown field);
* the schema is consistent: names without NUL characters, keys and foreign keys over columns
  that exist, foreign keys to tables that exist;
* the model matches its schema: each table once and in the schema, every column of a table
  modelled once, a column model for each ``value`` column, relationships over foreign keys of
  the schema, copula dimensions that name what the engine feeds them;
* every column model, JSON node and copula keeps the invariants it states in ``check()``
  (:mod:`dbsynth.invariants`; the text models' are here, keyed by kind); children per parent are
  whole numbers from 0 to the child table's row count;
* the schema's SQL text is what each field holds (:mod:`dbsynth.sqltext`); that message names
  the table, column and field: ``column public.orders.status: sql_type is not a single SQL
  type: 'text; DROP TABLE other'``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from dbsynth import invariants as inv
from dbsynth.columns.base import ColumnModel, find_model_class, registered_kinds
from dbsynth.errors import ModelError, SchemaError, did_you_mean
from dbsynth.schema import Schema, Table
from dbsynth.serde import FieldError, from_data, item, join

MAX_DEPTH = 64  # a fitted model nests about 25 deep (JSON documents 4 levels down)
MAX_ROWS = 2**63 - 1  # a row count beyond any BIGINT key


def check_model_data(data: dict[str, Any], origin: str, body: type) -> None:
    """Refuse a model document (``json.loads`` of a model file) that breaks a rule of the module
    docstring. ``origin`` starts the message (``model file 'm.json'``); ``body`` is the type of
    the document without its schema (the model file's own dataclass, passed in so that this
    module stays below :mod:`dbsynth.model`)."""
    try:
        _depth(data)
        schema = _schema(data.get("schema"))
        decoded = from_data(body, {k: v for k, v in data.items() if k != "schema"})
        _settings(decoded.settings)
        _holdout(decoded.holdout)
        # What a relationship links is checked first: tables and copulas name relationships, and
        # an unknown parent must be reported as itself, not as a copula dimension it breaks.
        _links(schema, decoded.relationships)
        models = _tables(schema, decoded.tables, decoded.relationships)
        _relationships(schema, decoded.relationships, models)
    except FieldError as exc:
        raise ModelError(f"{origin}: {exc}") from None
    from dbsynth.sqltext import schema_problem  # sqlglot: only when a model is loaded

    problem = schema_problem(schema)
    if problem:
        raise ModelError(f"{origin}: {problem}")


def decode_column_model(data: Any, path: str) -> ColumnModel:
    """An encoded column model (``{"kind": ..., fields}``) decoded and checked, errors at ``path``."""
    if not isinstance(data, dict):
        raise FieldError(path, "expected an object with a 'kind'")
    kind = data.get("kind")
    if not isinstance(kind, str):
        raise FieldError(join(path, "kind"), "missing: a column model names its kind")
    cls = find_model_class(kind)
    if cls is None:
        hint = did_you_mean(kind, registered_kinds())
        raise FieldError(join(path, "kind"), f"unknown column model kind '{kind}'.{hint}".rstrip("."))
    model: ColumnModel = from_data(cls, {k: v for k, v in data.items() if k != "kind"}, path)
    inv.check_tree(model, path)
    check = TEXT_CHECKS.get(kind)
    if check is not None:
        try:
            check(model)
        except FieldError as exc:
            raise exc.at(path) from None
    return model


# -- the document ------------------------------------------------------------------------------


def _depth(data: Any) -> None:
    """No container deeper than ``MAX_DEPTH`` (walked without recursion: that is the point)."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FieldError(path, f"nested more than {MAX_DEPTH} levels deep")
        named = depth <= 3  # the message names where the nesting starts, not all 64 levels
        if isinstance(value, dict):
            stack.extend((v, join(path, str(k)) if named else path, depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, join(path, f"[{i}]") if named else path, depth + 1) for i, v in enumerate(value))


def _schema(data: Any) -> Schema:
    try:
        schema: Schema = from_data(Schema, data, "schema")
    except SchemaError as exc:  # raised while the Schema is built: a table twice
        raise FieldError("schema.tables", str(exc)) from None
    for t, table in _named(schema.tables, "schema.tables"):
        _table_names(t, table)
        columns = set(table.column_names)
        keys = [("primary_key", table.primary_key.columns)] if table.primary_key else []
        keys += [(f"uniques[{i}]", u.columns) for i, u in enumerate(table.uniques)]
        keys += [(f"indexes[{i}]", ix.columns) for i, ix in enumerate(table.indexes)]
        keys += [(f"foreign_keys[{i}]", fk.columns) for i, fk in enumerate(table.foreign_keys)]
        for field, names in keys:
            for name in names:
                inv.require(name in columns, join(t, field), f"names '{name}', not a column of {table.key}")
            if not field.startswith("indexes"):  # an index may be on expressions alone
                # An empty key reached the DDL as "PRIMARY KEY ()", a column twice as "(id, id)".
                inv.require(bool(names), join(t, field, "columns"), "lists no column")
                inv.unique(join(t, field, "columns"), list(names))
        for i, fk in enumerate(table.foreign_keys):
            where = join(t, f"foreign_keys[{i}]")
            inv.require(
                schema.has_table(fk.ref_table),
                join(where, "ref_table"),
                f"'{fk.ref_table}' is not a table of the schema",
            )
            parent = schema.table(fk.ref_table)
            inv.same_length(join(where, "ref_columns"), fk.ref_columns, "columns", fk.columns)
            for name in fk.ref_columns:
                ok = name in parent.column_names
                inv.require(ok, join(where, "ref_columns"), f"names '{name}', not a column of {parent.key}")
        p = table.partitioning
        if p is not None and p.bounds:
            inv.same_length(join(t, "partitioning.bounds"), p.bounds, "partitions", p.partitions)
    for i, e in enumerate(schema.enums):
        _no_nul(f"schema.enums[{i}]", [e.name, e.schema or "", *e.labels])
    for i, d in enumerate(schema.domains):
        _no_nul(f"schema.domains[{i}]", [d.name, d.schema or ""])
    return schema


def _table_names(t: str, table: Table) -> None:
    """Names reach the target quoted (any character is safe) but no database stores a NUL."""
    _no_nul(t, [table.name, table.schema or ""])
    inv.unique(join(t, "columns"), table.column_names)
    for c, column in _named(table.columns, join(t, "columns")):
        _no_nul(c, [column.name, *(column.enum_labels or ())])
        inv.between(join(c, "array_dims"), column.array_dims, 0, 6)  # PostgreSQL's limit
        for field in ("length", "precision", "scale"):
            value = getattr(column, field)
            if value is not None:
                inv.require(value >= 0, join(c, field), f"{value} is negative")
        if column.identity is not None:
            inv.require(column.identity.increment != 0, join(c, "identity.increment"), "is 0")
    names = [table.primary_key.name] if table.primary_key else []
    names += [u.name for u in table.uniques] + [ix.name for ix in table.indexes]
    names += [fk.name for fk in table.foreign_keys] + [ck.name for ck in table.checks]
    _no_nul(t, [n for n in names if n])


def _no_nul(path: str, names: list[str]) -> None:
    for name in names:
        inv.require("\x00" not in name, path, f"{name!r} holds a NUL character, which no database stores")


def _named(values: Any, path: str) -> Iterator[tuple[str, Any]]:
    for i, value in enumerate(values):
        yield join(path, item(i, value)), value


# -- the model -----------------------------------------------------------------------------------


def _settings(settings: Any) -> None:
    inv.require(settings.sample_rows >= 1, "settings.sample_rows", "is less than 1")
    inv.require(settings.min_count >= 1, "settings.min_count", "is less than 1")
    inv.require(settings.seed >= 0, "settings.seed", "is negative")


def _holdout(holdout: Any) -> None:
    """The record of ``fit --holdout``: a share, a hex salt, hex hashes (the report keys them)."""
    if holdout is None:
        return
    inv.require(0 < holdout.fraction < 1, "holdout.fraction", "is not between 0 and 1")
    inv.require(_hex(holdout.salt) and len(holdout.salt) % 2 == 0, "holdout.salt", "is not hex bytes")
    for i, table in enumerate(holdout.tables):
        where = f"holdout.tables[{i}]"
        inv.require(bool(table.key), f"{where}.key", "names no column")
        inv.require(all(_hex(h) for h in table.hashes), f"{where}.hashes", "are not all hex digests")


def _hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdef" for c in text)


def _tables(schema: Schema, tables: Any, relationships: Any) -> dict[str, Any]:
    """Each table model against its schema table; the table models by key."""
    seen: dict[str, int] = {}
    children = {r.id: r for r in relationships}
    for i, tm in enumerate(tables):
        t = f"tables[{i}]"
        ok = schema.has_table(tm.table) and schema.table(tm.table).key == tm.table
        inv.require(ok, join(t, "table"), f"'{tm.table}' is not a table of the schema")
        other = seen.setdefault(tm.table, i)
        inv.require(other == i, join(t, "table"), f"{tm.table} appears twice (also tables[{other}])")
        table = schema.table(tm.table)
        inv.between(join(t, "row_count"), tm.row_count, 0, MAX_ROWS)
        inv.require(tm.sampled_rows >= 0, join(t, "sampled_rows"), f"{tm.sampled_rows} is negative")
        _columns(t, table, tm)
        if tm.driving_fk is not None:
            r = children.get(tm.driving_fk)
            ok = r is not None and r.child == tm.table
            inv.require(ok, join(t, "driving_fk"), f"'{tm.driving_fk}' is not a relationship of {tm.table}")
        if tm.copula is not None:
            _copula(join(t, "copula"), schema, table, tm, relationships)
        for k, o in enumerate(tm.orderings):
            for field in ("left", "right"):
                name = getattr(o, field)
                ok = name in table.column_names
                inv.require(ok, join(t, f"orderings[{k}]", field), f"'{name}' is not a column of {table.key}")
        modelled = {c.name for c in tm.columns if c.role == "value" and c.model is not None}
        # A base may also be a parent's column, named like a copula's parent dimension.
        parents = {
            f"^{r.id}.{c}"
            for r in relationships
            if r.child == tm.table and r.parent != tm.table and schema.has_table(r.parent)
            for c in schema.table(r.parent).column_names
        }
        for k, rel in enumerate(tm.relations):
            for field in ("column", "base"):
                name = getattr(rel, field)
                ok = name in modelled or (
                    field == "base" and name in parents and rel.kind in ("ratio", "gap")
                )
                inv.require(
                    ok, join(t, f"relations[{k}]", field), f"'{name}' is no modelled column of {table.key}"
                )
            ok = rel.delta is not None or rel.kind in ("lookup", "nulls")
            inv.require(
                ok, join(t, f"relations[{k}]", "delta"), f"a {rel.kind} relation needs its delta model"
            )
            ok = len(rel.keys) == len(rel.values) or rel.kind == "nulls"
            inv.require(ok, join(t, f"relations[{k}]", "values"), "keys and values differ in length")
    return {tm.table: tm for tm in tables}


def _columns(t: str, table: Table, tm: Any) -> None:
    names = [cf.name for cf in tm.columns]
    inv.unique(join(t, "columns"), names)
    for name in table.column_names:
        inv.require(name in names, join(t, "columns"), f"no column model for {name} (every column has one)")
    keyed = {c for fk in table.foreign_keys for c in fk.columns}
    for c, cf in _named(tm.columns, join(t, "columns")):
        inv.require(
            cf.name in table.column_names, join(c, "name"), f"'{cf.name}' is not a column of {table.key}"
        )
        inv.share(join(c, "null_rate"), cf.null_rate)
        if cf.role == "value":
            inv.require(
                cf.model is not None, join(c, "model"), "missing: a value column needs a column model"
            )
        if cf.role == "foreign_key":
            inv.require(
                cf.name in keyed, join(c, "role"), f"is foreign_key, but {cf.name} is in no foreign key"
            )
        if cf.model is not None:
            decode_column_model(cf.model, join(c, "model"))


def _copula(path: str, schema: Schema, table: Table, tm: Any, relationships: Any) -> None:
    """Every dimension names what the engine feeds it: a column, its null flag, the children of
    a relationship this table is the parent of, or a column of the parent of one it is the
    child of (``price``, ``price?null``, ``#children:<fk>``, ``^<fk>.<column>``)."""
    dims = set(table.column_names) | {f"{c}?null" for c in table.column_names}
    for r in relationships:
        if r.parent == tm.table:
            dims.add(f"#children:{r.id}")
        if r.child == tm.table and schema.has_table(r.parent):
            dims |= {f"^{r.id}.{c}" for c in schema.table(r.parent).column_names}
    for i, name in enumerate(tm.copula.names):
        inv.require(name in dims, join(path, f"names[{i}]"), f"'{name}' is no dimension of {tm.table}")


def _links(schema: Schema, relationships: Any) -> None:
    """Each relationship has its own id and is a foreign key of the schema."""
    ids: dict[str, int] = {}
    for i, r in enumerate(relationships):
        p = f"relationships[{i}]"
        other = ids.setdefault(r.id, i)
        inv.require(other == i, join(p, "id"), f"{r.id} appears twice (also relationships[{other}])")
        for field in ("child", "parent"):
            key = getattr(r, field)
            ok = schema.has_table(key) and schema.table(key).key == key
            inv.require(ok, join(p, field), f"'{key}' is not a table of the schema")
        child = schema.table(r.child)
        fk = next((fk for fk in child.foreign_keys if fk.columns == r.columns), None)
        ok = fk is not None and fk.ref_table == r.parent and fk.ref_columns == r.ref_columns
        inv.require(
            ok, join(p, "columns"), f"{r.child}({', '.join(r.columns)}) is not a foreign key to {r.parent}"
        )


def _relationships(schema: Schema, relationships: Any, models: dict[str, Any]) -> None:
    for i, r in enumerate(relationships):
        p = f"relationships[{i}]"
        child = schema.table(r.child)
        rows = models[r.child].row_count if r.child in models else MAX_ROWS
        # A fitted mean cannot exceed the child's rows; a prior's or the config's (``note``) can:
        # the child table was empty in the source.
        limit = max(rows, 1) if r.note is None else MAX_ROWS
        inv.between(join(p, "mean_children"), r.mean_children, 0, limit)
        inv.share(join(p, "null_rate"), r.null_rate)
        if r.children is not None:
            _children(join(p, "children"), r.children, rows)
        if r.children_by is not None:
            parent = schema.table(r.parent)
            ok = r.children_by in parent.column_names
            inv.require(ok, join(p, "children_by"), f"'{r.children_by}' is not a column of {parent.key}")
        for key, stratum in r.children_strata.items():
            _children(join(p, "children_strata", key), stratum, rows)
        if getattr(r, "shape", None) is not None:
            inv.check_tree(r.shape, join(p, "shape"))
        parent_columns = schema.table(r.parent).column_names
        for k, o in enumerate(r.orderings):
            inv.require(
                o.left in child.column_names,
                join(p, f"orderings[{k}]", "left"),
                f"'{o.left}' is not a column",
            )
            inv.require(
                o.right in parent_columns, join(p, f"orderings[{k}]", "right"), f"'{o.right}' is not a column"
            )


def _children(path: str, data: Any, rows: int) -> None:
    """Children per parent: a numeric model of whole numbers from 0 to the child table's rows."""
    model = decode_column_model(data, path)
    kind = getattr(model, "kind", "")
    inv.require(kind == "numeric", join(path, "kind"), f"is '{kind}', children per parent are 'numeric'")
    inv.require(getattr(model, "number", "") == "integer", join(path, "number"), "is not 'integer'")
    lower, upper = getattr(model, "lower", 0.0), getattr(model, "upper", 0.0)
    inv.require(lower >= 0, join(path, "lower"), f"{lower:g} children is negative")
    inv.require(
        upper <= max(rows, 1),
        join(path, "upper"),
        f"{upper:g} children is more than the child table's {rows} rows",
    )


# -- text models (their module is being split; their invariants live here until it settles) ----


def _faker(model: Any) -> None:
    from faker.config import AVAILABLE_LOCALES

    inv.require(model.locale in AVAILABLE_LOCALES, "locale", f"'{model.locale}' is not a Faker locale")
    if model.max_length is not None:
        inv.between("max_length", model.max_length, 0, inv.MAX_LENGTH)
    inv.between("mean_length", model.mean_length, 0, inv.MAX_LENGTH)
    inv.share("blank_rate", model.blank_rate)
    inv.same_length("format_weights", model.format_weights, "formats", model.formats)
    inv.shares("format_weights", model.format_weights, total=1.0 if model.formats else None)
    if model.anchor:
        try:
            dt.date.fromisoformat(model.anchor)
        except ValueError:
            raise FieldError("anchor", f"'{model.anchor}' is not a date (YYYY-MM-DD)") from None


def _shape(model: Any) -> None:
    inv.require(bool(model.shapes), "shapes", "is empty")
    inv.shares("shapes", [s.weight for s in model.shapes], total=1.0)
    for i, shape in enumerate(model.shapes):
        inv.require(bool(shape.segments), f"shapes[{i}].segments", "is empty")
        for j, seg in enumerate(shape.segments):
            _segment(f"shapes[{i}].segments[{j}]", seg)


def _segment(path: str, seg: Any) -> None:
    if seg.kind == "literal":
        inv.require(len(seg.tokens) == 1, join(path, "tokens"), "a literal is one token")
    elif seg.kind == "choice":
        inv.require(bool(seg.tokens), join(path, "tokens"), "is empty")
        inv.same_length(join(path, "token_weights"), seg.token_weights, "tokens", seg.tokens)
        inv.shares(join(path, "token_weights"), seg.token_weights, total=1.0)
    else:
        inv.require(bool(seg.lengths), join(path, "lengths"), "is empty")
        for k, n in enumerate(seg.lengths):
            inv.between(join(path, f"lengths[{k}]"), n, 0, inv.MAX_LENGTH)  # a run may be empty
        inv.same_length(join(path, "length_weights"), seg.length_weights, "lengths", seg.lengths)
        inv.shares(join(path, "length_weights"), seg.length_weights, total=1.0)
        if seg.case_weights:
            inv.require(len(seg.case_weights) == 4, join(path, "case_weights"), "has not 4 shares")
            inv.shares(join(path, "case_weights"), seg.case_weights, total=1.0)
        inv.share(join(path, "digit_share"), seg.digit_share)


def _free_text(model: Any) -> None:
    for field in ("char_quantiles", "word_quantiles"):
        values = getattr(model, field)
        inv.require(len(values) == 21, field, f"has {len(values)} points, not 21")
        inv.finite(field, values)
        inv.ordered(field, values)
        inv.require(not values or (values[0] >= 0 and values[-1] <= inv.MAX_LENGTH), field, "is out of range")
    if model.max_length is not None:
        inv.between("max_length", model.max_length, 0, inv.MAX_LENGTH)


TEXT_CHECKS: dict[str, Callable[[Any], None]] = {"faker": _faker, "shape": _shape, "free_text": _free_text}

__all__ = ["MAX_DEPTH", "check_model_data", "decode_column_model"]
