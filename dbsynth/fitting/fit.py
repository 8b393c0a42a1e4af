"""Fit: a read-only sample of the source in, a :class:`~dbsynth.model.Model` out.

The steps, in the order they run::

    introspect -> sample -> columns -> relationships -> copulas -> orderings

:func:`fit` does the I/O (introspection and sampling, both read-only); :func:`fit_sample` is the
pure part and can be run on frames built in a test.

How the pieces fit together (see ``dbsynth.model`` for the file layout):

* every column gets a role; "value" columns get a model (``dbsynth.fitting.choose``) and a null rate;
* every modelled column with an ordered model becomes a copula dimension through its normal
  scores ``Φ⁻¹(F(x))``; a column with NULLs adds a null-flag dimension, so "no phone ⇒ no
  e-mail" survives; a NULL value has no score (NaN) and the copula estimates each pair of
  dimensions on the rows where both exist (``GaussianCopula.fit``), so NULLs damp nothing;
* for every foreign key, children per parent (zeros included) are counted over the parents whose
  families were sampled whole, and that count joins the *parent's* copula, so "gold customers
  order more" is one correlation;
* each child table picks one driving foreign key; the parent's dimensions join the child's copula
  (``^fk.column``), so child columns are sampled conditionally on their parent row;
* orderings that held in every sampled row are recorded for the engine to enforce.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sqlalchemy.engine import URL

from dbsynth._version import __version__
from dbsynth.columns.base import FitContext, encode
from dbsynth.columns.copula import GaussianCopula, to_normal
from dbsynth.columns.numeric import NumericModel
from dbsynth.columns.pii import PiiKind
from dbsynth.columns.priors import prior_for, prior_null_rate, prior_orderings
from dbsynth.config import BoundConfig, ColumnOverride, Config, bind
from dbsynth.config.inferred import infer_keys, with_keys
from dbsynth.db import display_url
from dbsynth.errors import UsageError
from dbsynth.fitting.borrow import borrow_sparse_dates
from dbsynth.fitting.children import children_shape, fk_is_unique, prior_children, prior_one_to_one
from dbsynth.fitting.choose import COPULA_KINDS, Choice, choose_model, choose_with_pii, key_columns
from dbsynth.fitting.entities import Entities, few_entities
from dbsynth.fitting.orderings import children_counts, family, parent_orderings, parent_rows, row_orderings
from dbsynth.fitting.parent_values import parent_relations
from dbsynth.fitting.personal import personal_values
from dbsynth.fitting.prior_checks import pattern_model, shape_to_checks
from dbsynth.fitting.reference import reference_tables
from dbsynth.fitting.relations import fit_relations
from dbsynth.fitting.roles import column_roles, unique_columns
from dbsynth.graph import plan_insertion
from dbsynth.introspection import introspect
from dbsynth.model import (
    ColumnFit,
    FitSettings,
    Model,
    Ordering,
    RelationshipModel,
    TableModel,
    fk_id,
    stratum_key,
    stratum_labels,
)
from dbsynth.sampling.holdout import hold_out
from dbsynth.sampling.sampler import Sample, sample_database
from dbsynth.schema import Column, ForeignKey, LogicalType, Schema, Table

COUNT_COLUMN = Column(name="#children", sql_type="bigint", logical=LogicalType.INTEGER, nullable=False)
MAX_PARENT_DIMS = 6  # parent columns a child is conditioned on: enough for the strong ones
MIN_ORDERING_SUPPORT = 20
MIN_ETA2 = 0.05  # share of count variance a category must explain to stratify children on it
MIN_STRATUM = 20  # parents a category needs for a children model of its own
MAX_STRATA = 24


def fit(
    source: str | URL,
    *,
    schemas: str | Sequence[str] | None = None,
    tables: Sequence[str] | None = None,
    sample_rows: int | None = None,
    min_count: int | None = None,
    seed: int | None = None,
    locale: str | None = None,
    where: Mapping[str, str] | None = None,
    schema: Schema | None = None,
    config: Config | None = None,
    on_table: Callable[[str, int], None] | None = None,
    holdout: float | None = None,
) -> Model:
    """Introspect and sample ``source`` read-only, then fit a model of it.

    Settings left at None come from ``config`` (a ``dbsynth.yaml``), else the defaults of
    :class:`~dbsynth.model.FitSettings`. The config is validated against the live schema before
    anything is sampled. ``holdout`` keeps that share of the root entities out of the sample
    before anything is fitted (:func:`dbsynth.sampling.holdout.hold_out`).
    """
    schema = schema or introspect(source, schemas)
    bound = bind(config, schema) if config is not None else None
    settings = resolve_settings(bound, sample_rows=sample_rows, min_count=min_count, seed=seed, locale=locale)
    check_settings(settings)
    if bound is not None:
        schema = bound.schema
        where = {**bound.where, **(where or {})}
        if tables is None:
            tables = [*bound.tables_to_fit, *bound.copy_tables]
    sample = sample_database(
        source,
        schema,
        sample_rows=settings.sample_rows,
        tables=tables,
        seed=settings.seed,
        where=where,
        on_table=on_table,
    )
    if not holdout:
        return fit_sample(schema, sample, settings, source=display_url(source), config=bound)
    # Filtered from the sample, not from the query: the same rows are read with or without a
    # holdout, and the held-out ones never reach a column model, a copula or a count.
    sample, record = hold_out(schema, sample, holdout, settings.seed)
    model = fit_sample(schema, sample, settings, source=display_url(source), config=bound)
    return replace(model, holdout=record)


def resolve_settings(bound: BoundConfig | None, **given: object) -> FitSettings:
    """Explicit arguments win over the config, the config over the defaults."""
    defaults = FitSettings()
    values = {}
    for name, value in given.items():
        from_config = getattr(bound, name, None) if bound is not None else None
        values[name] = (
            value
            if value is not None
            else from_config
            if from_config is not None
            else getattr(defaults, name)
        )
    return FitSettings(**values)  # type: ignore[arg-type]


def check_settings(settings: FitSettings) -> None:
    if settings.sample_rows < 1:
        raise UsageError(f"--sample-rows must be at least 1, got {settings.sample_rows}")
    if settings.min_count < 1:
        raise UsageError(f"--min-count must be at least 1, got {settings.min_count}")


def fit_sample(
    schema: Schema,
    sample: Sample,
    settings: FitSettings,
    source: str | None = None,
    config: BoundConfig | None = None,
) -> Model:
    """Fit every table and relationship of ``schema`` present in ``sample`` (no I/O)."""
    schema = with_inferred_keys(_only_sampled(schema, sample), sample, config)
    rng = np.random.default_rng(settings.seed)
    state = _State(schema, sample, settings, rng, config)
    state.withheld = personal_values(schema, sample, settings.min_count, config)
    for key in state.insertion.order:
        state.fit_columns(schema.table(key))
    state.columns = borrow_sparse_dates(schema, state.columns, state.values_seen, settings.min_count)
    relationships = tuple(state.fit_relationship(t, fk) for t in schema.tables for fk in t.foreign_keys)
    copied = set(config.copy_tables) if config is not None else set()
    fitted = {key: state.table_model(schema.table(key)) for key in schema.table_keys}
    keep = set(config.kept_generated) if config is not None else set()
    reference = reference_tables(schema, fitted, keep, copied)
    tables = tuple(
        replace(fitted[key], copy=key in copied or key in reference, copy_reason=reference.get(key))
        for key in schema.table_keys
    )
    warnings = [*schema.warnings]
    for info in sample.info.values():
        warnings.extend(info.warnings)
    return Model(
        schema=schema,
        tables=tables,
        relationships=relationships,
        settings=settings,
        source=source,
        dbsynth_version=__version__,
        warnings=tuple(warnings),
    )


def with_inferred_keys(schema: Schema, sample: Sample, config: BoundConfig | None = None) -> Schema:
    """``schema`` with the foreign keys the sample shows but the database does not declare
    (``dbsynth.config.inferred``), as virtual foreign keys, unless the config turns inference
    off, rejects the pair, sets the column itself, or copies the child but not the parent (the
    copied rows keep the source's values, which generated parents would not have).

    The sample needs no second pass: a parent is only inferred when it was read whole, so
    every child row finds its parent in the frames already."""
    if config is not None and not config.infer_foreign_keys:
        return schema
    whole = {key for key, info in sample.info.items() if info.whole}
    copied = set(config.copy_tables) if config is not None else set()

    def skip(table: str, column: str, parent: str) -> bool:
        if config is None:
            return False
        return (
            config.rejects(table, column, parent)
            or config.column(table, column) is not None
            or (table in copied and parent not in copied)
        )

    return with_keys(schema, infer_keys(schema, sample.frames, whole, skip))


def _only_sampled(schema: Schema, sample: Sample) -> Schema:
    keys = set(sample.frames)
    if keys >= set(schema.table_keys):
        return schema
    kept = tuple(
        replace(t, foreign_keys=tuple(fk for fk in t.foreign_keys if fk.ref_table in keys))
        for t in schema.tables
        if t.key in keys
    )
    return replace(schema, tables=kept)


def _choose(column: Column, values: pd.Series, ctx: FitContext, override: ColumnOverride | None) -> Choice:
    """The configured generator, else the fitted model (with the config's PII verdict)."""
    if override is not None and override.model is not None:
        pii = override.pii if isinstance(override.pii, PiiKind) else None
        return Choice(override.model, pii)
    if override is not None and override.pii is not None:
        return choose_with_pii(column, values, ctx, override.pii)
    return choose_model(column, values, ctx)


@dataclass
class _State:
    """Working state of one fit: per table its column fits and copula dimensions (normal scores
    aligned with the rows of the table's sampled frame)."""

    schema: Schema
    sample: Sample
    settings: FitSettings
    rng: np.random.Generator
    config: BoundConfig | None = None
    columns: dict[str, tuple[ColumnFit, ...]] = field(default_factory=dict)
    dims: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    value_dims: dict[str, list[str]] = field(default_factory=dict)
    own: dict[str, np.ndarray] = field(default_factory=dict)
    withheld: frozenset[str] = frozenset()  # personal values no category may keep

    def values_seen(self, table: str, column: str) -> int:
        """Non-NULL values of ``column`` in ``table``'s own sampled rows."""
        frame = self.sample.frames[table]
        own = frame.iloc[: self.sample.info[table].rows_sampled or len(frame)]
        return int(own[column].notna().sum()) if column in own.columns else 0

    def __post_init__(self) -> None:
        self.insertion = plan_insertion(self.schema)
        self.entities = Entities(self.schema, self.sample.frames, self.driving_fk, self.settings.min_count)

    # -- columns ------------------------------------------------------------------------------

    def fit_columns(self, table: Table) -> None:
        frame = self.sample.frames[table.key]
        roles = column_roles(table)
        unique = unique_columns(table)
        keys = key_columns(table, self.schema)
        referenced = {
            c for other in self.schema.tables for fk in other.foreign_keys if fk.ref_table == table.key
            for c in fk.ref_columns
        }  # fmt: skip
        fits: list[ColumnFit] = []
        dims: dict[str, np.ndarray] = {}
        order: list[str] = []
        n = len(frame)
        # Statistics come from the table's own sampled rows only: rows appended afterwards as
        # parents of sampled children over-represent popular parents and ignore --where.
        own = np.zeros(n, dtype=bool)
        own[: self.sample.info[table.key].rows_sampled or n] = True
        for col in table.columns:
            series = frame[col.name] if col.name in frame.columns else pd.Series([], dtype=object)
            nulls = series.isna().to_numpy(dtype=bool) if n else np.zeros(0, dtype=bool)
            null_rate = round(float(nulls[own].mean()), 6) if own.any() else 0.0
            role = roles[col.name]
            if role != "value":
                fits.append(ColumnFit(name=col.name, role=role, null_rate=null_rate))
                continue
            values = series[~nulls & own]
            override = self.config.column(table.key, col.name) if self.config is not None else None
            note, prior = None, None
            if values.empty and not own.any() and (override is None or override.model is None):
                # No row to learn from: the column's name and type give a synthetic sample.
                prior = prior_for(
                    col, table.key, self.settings.locale, self.settings.seed, unique=col.name in keys
                )
                if prior is not None:
                    values = shape_to_checks(prior.values, col, table, self.schema.dialect)
                    # A referenced key is what children point at: a NULL one is a parent
                    # no NOT NULL foreign key can take.
                    null_rate = 0.0 if col.name in referenced else prior_null_rate(col)
                    note = f"prior, table empty in the source: {prior.reason}"
            if values.empty and prior is None and (override is None or override.model is None):
                note = "no non-NULL value in the sample" if n else "empty table in the sample"
                fits.append(ColumnFit(name=col.name, role="unmodelled", null_rate=null_rate, note=note))
                continue
            withheld = self.withheld
            if prior is None and col.logical in (LogicalType.STRING, LogicalType.TEXT):
                # A value one customer repeats on each of its orders is the customer's.
                entities = self.entities.of(table.key)[np.flatnonzero(~nulls & own)]
                withheld = withheld | few_entities(values, entities, self.settings.min_count)
            ctx = FitContext(
                # A prior's sample is synthetic: every value of it may be kept (currency codes).
                min_count=1 if prior is not None and prior.closed else self.settings.min_count,
                locale=self.settings.locale,
                unique=col.name in unique,
                table=table.key,
                seed=self.settings.seed,
                key=col.name in keys,
                withheld=withheld,
                dialect=self.schema.dialect,
            )
            pattern = (
                pattern_model(col, table, self.schema.dialect, prior.reason, col.name in unique)
                if prior is not None
                else None
            )
            choice = (
                Choice(pattern, None)
                if pattern is not None
                else _choose(col, values.reset_index(drop=True), ctx, override)
            )
            if override is not None and override.null_rate is not None:
                null_rate = override.null_rate
            fits.append(
                ColumnFit(
                    name=col.name,
                    role="value",
                    null_rate=null_rate,
                    model=encode(choice.model),
                    pii=str(choice.pii) if choice.pii is not None else None,
                    note="set in the config" if override is not None and override.model is not None else note,
                )
            )
            if choice.model.kind in COPULA_KINDS:
                z = np.full(n, np.nan)  # NULL: no score (the copula uses pairwise-complete rows)
                z[~nulls] = to_normal(choice.model.to_uniform(series[~nulls], self.rng))
                dims[col.name] = z
                order.append(col.name)
            if 0.0 < null_rate < 1.0 and n:
                dims[f"{col.name}?null"] = self._flag_scores(nulls)
        self.columns[table.key] = tuple(fits)
        self.own[table.key] = own
        self.dims[table.key] = dims
        self.value_dims[table.key] = order

    def _flag_scores(self, flags: np.ndarray) -> np.ndarray:
        """Randomised PIT of a Bernoulli flag: True maps to the top ``p`` of the unit interval."""
        p = float(flags.mean())
        u = np.where(
            flags, 1.0 - p + p * self.rng.random(len(flags)), (1.0 - p) * self.rng.random(len(flags))
        )
        return to_normal(u)

    # -- relationships ------------------------------------------------------------------------

    def fit_relationship(self, table: Table, fk: ForeignKey) -> RelationshipModel:
        rid = fk_id(table.key, fk.columns)
        child = self.sample.frames[table.key]
        parent = self.sample.frames[fk.ref_table]
        info_child, info_parent = self.sample.info[table.key], self.sample.info[fk.ref_table]
        keys = child[list(fk.columns)]
        null_rate = round(float(keys.isna().any(axis=1).mean()), 6) if len(child) else 0.0
        mean = (
            info_child.rows_total * (1.0 - null_rate) / info_parent.rows_total
            if info_parent.rows_total
            else 0.0
        )
        covered = self.sample.covered_parents(table.key, fk)
        children, by, strata, shape = None, None, {}, None
        if covered > 0:
            counts = children_counts(child, parent.iloc[:covered], fk.columns, fk.ref_columns)
            shape = children_shape(counts, self.settings.min_count)
            ctx = FitContext(min_count=self.settings.min_count, table=table.key, seed=self.settings.seed)
            model = NumericModel.fit(pd.Series(counts), COUNT_COLUMN, ctx)
            children = encode(model)
            u = model.to_uniform(pd.Series(counts), self.rng)
            by, labels = self._strongest_category(fk.ref_table, counts)
            if by is not None:
                for label in pd.unique(labels):
                    group = labels == label
                    if group.sum() >= max(self.settings.min_count, MIN_STRATUM):
                        sub = NumericModel.fit(pd.Series(counts[group]), COUNT_COLUMN, ctx)
                        strata[stratum_key(label)] = encode(sub)
                        u[group] = sub.to_uniform(pd.Series(counts[group]), self.rng)
            if fk.ref_table != table.key:
                z = np.full(len(parent), np.nan)  # parents whose families were not sampled whole
                z[:covered] = to_normal(u)
                self.dims[fk.ref_table][f"#children:{rid}"] = z
        orderings = self._parent_orderings(table, fk, child, parent)
        override = self.config.column(table.key, fk.columns[0]) if self.config is not None else None
        spec = override.children if override is not None else None
        note = None
        if spec is not None or not (info_child.rows_sampled and info_parent.rows_sampled):
            # No family to count (an empty child or parent table), or the config says: the
            # prior fan-out (fitting.children.prior_children), with a prior's share of NULL keys.
            mean, shape = prior_one_to_one(spec) if fk_is_unique(table, fk) else prior_children(spec)
            children, by, strata = None, None, {}
            empty = table.key if not info_child.rows_sampled else fk.ref_table
            note = (
                "set in the config" if spec is not None else f"prior fan-out, {empty} is empty in the source"
            )
            self.dims[fk.ref_table].pop(f"#children:{rid}", None)
            if not info_child.rows_sampled:
                nullable = all(table.column(c).nullable for c in fk.columns)
                null_rate = prior_null_rate(table.column(fk.columns[0])) if nullable else 0.0
        return RelationshipModel(
            id=rid,
            child=table.key,
            parent=fk.ref_table,
            columns=fk.columns,
            ref_columns=fk.ref_columns,
            children=children,
            children_by=by if strata else None,
            children_strata=strata,
            mean_children=round(mean, 6),
            null_rate=null_rate,
            orderings=orderings,
            shape=shape,
            note=note,
        )

    def _strongest_category(self, parent_key: str, counts: np.ndarray) -> tuple[str | None, np.ndarray]:
        """The parent's categorical column that explains most of the variance of the counts
        (correlation ratio η² ≥ ``MIN_ETA2``), with its values for the covered parents."""
        frame = self.sample.frames[parent_key].iloc[: len(counts)]
        best, best_eta, best_labels = None, MIN_ETA2, np.zeros(0)
        total = float(np.var(counts)) * len(counts)
        if total <= 0:
            return None, best_labels
        for fit_ in self.columns[parent_key]:
            if fit_.model is None or fit_.model.get("kind") != "categorical":
                continue
            labels = stratum_labels(frame[fit_.name])
            groups = pd.Series(counts).groupby(labels)
            between = float(((groups.mean() - counts.mean()) ** 2 * groups.size()).sum())
            if between / total > best_eta and groups.ngroups <= MAX_STRATA:
                best, best_eta, best_labels = fit_.name, between / total, labels
        return best, best_labels

    def _parent_orderings(
        self, table: Table, fk: ForeignKey, child: pd.DataFrame, parent: pd.DataFrame
    ) -> tuple[Ordering, ...]:
        parent_table = self.schema.table(fk.ref_table)

        def temporal(t: Table) -> list[str]:
            roles = column_roles(t)
            return [c.name for c in t.columns if family(c.logical) == "temporal" and roles[c.name] == "value"]

        return parent_orderings(
            child,
            parent,
            fk.columns,
            fk.ref_columns,
            temporal(table),
            temporal(parent_table),
            min_support=max(MIN_ORDERING_SUPPORT, self.settings.min_count),
        )

    # -- tables -------------------------------------------------------------------------------

    def driving_fk(self, table: Table) -> ForeignKey | None:
        """The FK a child is conditioned on and whose children-per-parent spreads its rows."""
        cut = self.insertion.breaks_of(table.key)
        candidates = [
            fk
            for fk in table.foreign_keys
            if fk.ref_table != table.key and all(b.foreign_key != fk for b in cut)
        ]
        if not candidates:
            return None
        # A NOT NULL key is an owner (an order's customer) more often than a nullable one (its
        # delivery address); among those, the finest grouping carries the most information,
        # as long as most rows have that parent at all.
        sampled_driver = self.sample.info[table.key].driver
        frame = self.sample.frames[table.key]

        def rank(fk: ForeignKey) -> tuple[bool, bool, int, bool]:
            nullable = any(table.column(c).nullable for c in fk.columns)
            mostly_set = frame.empty or float(frame[list(fk.columns)].isna().any(axis=1).mean()) <= 0.5
            parents = self.sample.info[fk.ref_table].rows_total
            return (mostly_set, not nullable, parents, fk == sampled_driver)

        return max(candidates, key=rank)

    def _parent_dims(self, table: Table, fk: ForeignKey) -> dict[str, np.ndarray]:
        """The driving parent's value dimensions, aligned with the child's rows."""
        parent_key = fk.ref_table
        names = self.value_dims.get(parent_key, [])[:MAX_PARENT_DIMS]
        child, parent = self.sample.frames[table.key], self.sample.frames[parent_key]
        if not names or child.empty or parent.empty:
            return {}
        rows = parent_rows(child, parent, fk.columns, fk.ref_columns)
        found = rows >= 0
        rid = fk_id(table.key, fk.columns)
        out: dict[str, np.ndarray] = {}
        for name in names:
            z = np.full(len(child), np.nan)  # no sampled parent: no score
            z[found] = self.dims[parent_key][name][rows[found]]
            out[f"^{rid}.{name}"] = z
        return out

    def table_model(self, table: Table) -> TableModel:
        info = self.sample.info[table.key]
        frame = self.sample.frames[table.key]
        dims = dict(self.dims[table.key])
        driver = self.driving_fk(table)
        if driver is not None:
            dims.update(self._parent_dims(table, driver))
        copula = None
        if dims:
            names = list(dims)
            own = self.own[table.key]
            z = np.column_stack([dims[n][own] for n in names]) if own.any() else np.zeros((0, len(names)))
            copula = GaussianCopula.fit(z, names) if len(z) >= 2 else GaussianCopula.independent(names)
        roles = column_roles(table)
        comparable = [(c.name, c.logical) for c in table.columns if roles[c.name] == "value"]
        support = max(MIN_ORDERING_SUPPORT, self.settings.min_count)
        own_rows = frame[self.own[table.key]]
        orderings = row_orderings(own_rows, comparable, min_support=support)
        if not self.own[table.key].any():
            # No row to learn an ordering from: a prior's (updated_at >= created_at).
            modelled = {c.name for c in self.columns[table.key] if c.model is not None}
            candidates = [c for c in table.columns if c.name in modelled]
            orderings = tuple(Ordering(late, ">=", early) for late, early in prior_orderings(candidates))
        ctx = FitContext(min_count=self.settings.min_count, table=table.key, seed=self.settings.seed)
        relations = fit_relations(
            own_rows.reset_index(drop=True),
            table,
            self.columns[table.key],
            orderings,
            ctx,
            unique_columns(table) | key_columns(table, self.schema),
            min_support=support,
        )
        inherited = parent_relations(
            self.schema,
            table,
            own_rows.reset_index(drop=True),
            self.sample.frames,
            self.columns,
            ctx,
            unique_columns(table) | key_columns(table, self.schema) | {r.column for r in relations},
            support,
        )
        # After the NULL patterns (they decide which rows get a value), before the relations
        # within the row, which may read a column copied from the parent.
        first = next((i for i, r in enumerate(relations) if r.kind != "nulls"), len(relations))
        relations = (*relations[:first], *inherited, *relations[first:])
        return TableModel(
            table=table.key,
            row_count=info.rows_total,
            sampled_rows=info.rows_sampled,
            columns=self.columns[table.key],
            copula=copula,
            driving_fk=fk_id(table.key, driver.columns) if driver is not None else None,
            orderings=tuple(orderings),
            relations=relations,
        )
