"""Validity: the source's constraints, checked with SQL in the target over all its rows.

Each check is one ``SELECT count(*)`` that counts offenders, run on a read-only connection:

* **foreign_key** — child rows whose (non-NULL) FK value has no parent row (``NOT EXISTS``);
* **primary_key** — duplicated key values plus rows with a NULL in the key;
* **unique** — duplicated non-NULL values (a partial unique index keeps its predicate when
  source and target speak the same dialect; otherwise the check is skipped, not guessed);
* **not_null** — NULLs in the columns the source declares NOT NULL (one check per table);
* **check** — rows where a CHECK is false: ``SELECT count(*) FROM t WHERE NOT (expr)``, the
  expression translated from the source's dialect to the target's with sqlglot when they
  differ; a domain's CHECK is applied to every column of that domain (``VALUE`` → the column);
  on an array of a domain (``zips us_zip[]``) it is applied to every element, through ``unnest``
  (PostgreSQL targets only; elsewhere the check is skipped, saying so);
* **range** — numbers and dates outside ``[min, max]`` of the source (measured with SQL on the
  source too). Generation may legitimately extend a range a little, so this is a warning with
  the counts, never a failure.

The checks come from the **source's** schema (what should hold), mapped onto the target's
names, so a target created without constraints is checked just the same. A check that cannot
run (unsupported expression, incomparable types) is reported as such and the others go on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.sql import ClauseElement
from sqlglot import exp

from dbsynth.report.columns import ColumnInfo
from dbsynth.report.overlap import Overlap
from dbsynth.report.result import CheckKind, Status, Validity, ValidityCheck
from dbsynth.schema import CheckConstraint, Schema, Table
from dbsynth.sqltext import SQLGLOT_DIALECTS, SqlTextError, parse_expression, render, shown


class _Runner:
    """Runs counting statements on one connection; a failed statement is rolled back and
    reported, so one bad CHECK does not abort the others (PostgreSQL aborts the transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def sql(self, stmt: ClauseElement | str) -> str:
        if isinstance(stmt, str):
            return stmt
        try:
            return str(stmt.compile(dialect=self.conn.dialect, compile_kwargs={"literal_binds": True}))
        except (SQLAlchemyError, NotImplementedError, TypeError, ValueError):
            return str(stmt.compile(dialect=self.conn.dialect))

    def scalar(self, stmt: ClauseElement | str) -> Any:
        query = sa.text(stmt) if isinstance(stmt, str) else stmt
        try:
            return self.conn.execute(query).scalar()  # type: ignore[call-overload]
        except DBAPIError:
            self.conn.rollback()
            raise

    def row(self, stmt: sa.Select) -> Sequence[Any]:
        try:
            return tuple(self.conn.execute(stmt).one())
        except DBAPIError:
            self.conn.rollback()
            raise


_ELEMENT = "dbsynth_element"


def _error_text(exc: BaseException) -> str:
    text = " ".join(str(getattr(exc, "orig", exc)).split())
    return re.sub(r"\(Background on this error at: [^)]*\)", "", text).strip()[:200]


def _clause(table: Table, columns: Sequence[str], alias: str | None = None) -> Any:
    clause = sa.table(table.name, *(sa.column(c) for c in columns), schema=table.schema)
    return clause.alias(alias) if alias else clause


def _count_check(
    runner: _Runner,
    kind: CheckKind,
    table: str,
    name: str,
    stmt: ClauseElement | str,
    describe: Callable[[int], str],
) -> ValidityCheck:
    sql = runner.sql(stmt)
    try:
        n = int(runner.scalar(stmt) or 0)
    except DBAPIError as exc:
        return ValidityCheck(kind, table, name, "error", None, sql, f"could not run: {_error_text(exc)}")
    return ValidityCheck(kind, table, name, "pass" if n == 0 else "fail", n, sql, describe(n))


def _cols(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"


class _Checker:
    def __init__(
        self,
        overlap: Overlap,
        target: _Runner,
        source: _Runner,
        infos: Mapping[str, Mapping[str, ColumnInfo]],
    ):
        self.overlap = overlap
        self.target = target
        self.source = source
        self.infos = infos
        self.same_dialect = overlap.source.dialect == overlap.target.dialect

    def mapped(self, key: str, columns: Sequence[str]) -> list[str]:
        return [self.overlap.columns[key][c] for c in columns]

    def keys(self, s: Table, t: Table) -> list[ValidityCheck]:
        out: list[ValidityCheck] = []
        if s.primary_key and s.primary_key.columns:
            out.append(self.duplicates(s, t, s.primary_key.columns, "primary_key", None))
        for u in s.uniques:
            out.append(self.duplicates(s, t, u.columns, "unique", u.where))
        return out

    def duplicates(
        self, s: Table, t: Table, columns: Sequence[str], kind: CheckKind, where: str | None
    ) -> ValidityCheck:
        cols = self.mapped(s.key, columns)
        name = f"{'primary key' if kind == 'primary_key' else 'unique'} {_cols(list(columns))}"
        tc = _clause(t, cols)
        conds: list[Any] = [tc.c[c].is_not(None) for c in cols]
        if where:
            if not self.same_dialect:
                return ValidityCheck(
                    kind,
                    s.key,
                    name,
                    "skipped",
                    None,
                    None,  # type: ignore[arg-type]
                    f"partial unique index (WHERE {where}) in another dialect: not checked",
                )
            try:
                predicate = render(where, "expression", self.overlap.source.dialect)
            except SqlTextError as exc:
                return ValidityCheck(
                    kind, s.key, name, "skipped", None, None, f"partial unique index: WHERE {exc}"
                )
            conds.append(sa.text("(" + predicate.replace(":", "\\:") + ")"))  # no bind parameters
        groups = sa.select(*(tc.c[c] for c in cols)).where(*conds).group_by(*(tc.c[c] for c in cols))
        dup = sa.select(sa.func.count()).select_from(groups.having(sa.func.count() > 1).subquery("d"))
        stmt: ClauseElement = dup
        if kind == "primary_key":
            nulls = (
                sa.select(sa.func.count()).select_from(tc).where(sa.or_(*(tc.c[c].is_(None) for c in cols)))
            )
            stmt = sa.select(dup.scalar_subquery() + nulls.scalar_subquery())

        def describe(n: int) -> str:
            return "every value is unique" if n == 0 else f"{n:,} duplicated (or NULL) key value(s)"

        return _count_check(self.target, kind, s.key, name, stmt, describe)

    def foreign_keys(self, s: Table, t: Table) -> list[ValidityCheck]:
        out = []
        for fk in s.foreign_keys:
            parent_t = self.overlap.target_table(fk.ref_table)
            cols, refs = self.mapped(s.key, fk.columns), self.mapped(fk.ref_table, fk.ref_columns)
            c, p = _clause(t, cols, "c"), _clause(parent_t, refs, "p")
            match = (
                sa.select(sa.literal(1))
                .select_from(p)
                .where(*(p.c[r] == c.c[a] for a, r in zip(cols, refs, strict=True)))
            )
            stmt = (
                sa.select(sa.func.count())
                .select_from(c)
                .where(*(c.c[a].is_not(None) for a in cols), ~match.exists())
            )
            name = f"{_cols(list(fk.columns))} -> {fk.ref_table}"

            def describe(n: int, parent: str = fk.ref_table) -> str:
                return (
                    "every reference resolves" if n == 0 else f"{n:,} row(s) reference a missing {parent} row"
                )

            out.append(_count_check(self.target, "foreign_key", s.key, name, stmt, describe))
        return out

    def not_null(self, s: Table, t: Table) -> list[ValidityCheck]:
        required = [c.name for c in s.columns if not c.nullable]
        if not required:
            return []
        cols = self.mapped(s.key, required)
        tc = _clause(t, cols)
        stmt = sa.select(*(sa.func.sum(sa.case((tc.c[c].is_(None), 1), else_=0)) for c in cols)).select_from(
            tc
        )
        name = f"NOT NULL ({len(required)} column(s))"
        sql = self.target.sql(stmt)
        try:
            counts = [int(v or 0) for v in self.target.row(stmt)]
        except DBAPIError as exc:
            return [
                ValidityCheck(
                    "not_null", s.key, name, "error", None, sql, f"could not run: {_error_text(exc)}"
                )
            ]
        bad = {c: n for c, n in zip(required, counts, strict=True) if n}
        if not bad:
            return [
                ValidityCheck("not_null", s.key, name, "pass", 0, sql, "no NULL where the source forbids it")
            ]
        text = ", ".join(f"{c}: {n:,}" for c, n in bad.items())
        return [
            ValidityCheck(
                "not_null", s.key, name, "fail", sum(bad.values()), sql, f"NULLs in NOT NULL columns ({text})"
            )
        ]

    def checks(self, s: Table, t: Table, schema: Schema) -> list[ValidityCheck]:
        elements = _element_domain_columns(s, schema)
        return [
            self.check(s, t, check, column, column in elements) for check, column in _all_checks(s, schema)
        ]

    def check(
        self, s: Table, t: Table, check: CheckConstraint, value_column: str | None, element: bool = False
    ) -> ValidityCheck:
        """``element``: ``value_column`` is an array of the domain, whose CHECK holds per element."""
        name = check.name or check.expression[:60]
        if element and self.overlap.target.dialect != "postgresql":
            message = f"{value_column} is an array of a domain: its elements are checked only in PostgreSQL"
            return ValidityCheck("check", s.key, name, "skipped", None, None, message)
        # An element is VALUE through unnest's alias; a name no table column can shadow inside it.
        value = _ELEMENT if element else value_column
        try:
            # An element's check is shown with VALUE, which reads as "each element".
            shown_value = None if element else value_column
            source_text = render(
                check.expression, "expression", self.overlap.source.dialect, value_column=shown_value
            )
            expr = self.translate(check.expression, value)
        except SqlTextError as exc:
            message = f"the source's CHECK {exc}: {shown(check.expression)}"
            return ValidityCheck("check", s.key, name, "skipped", None, None, message)
        except sqlglot.errors.SqlglotError as exc:
            message = f"cannot translate to {self.overlap.target.dialect}: {str(exc).splitlines()[0][:150]}"
            return ValidityCheck("check", s.key, name, "skipped", None, None, message)
        preparer = self.target.conn.dialect.identifier_preparer
        table = preparer.format_table(_clause(t, []))
        where = f"NOT ({expr})"
        if element and value_column is not None:
            array = preparer.quote(self.overlap.columns[s.key][value_column])
            element_alias = preparer.quote(_ELEMENT)
            where = f"EXISTS (SELECT 1 FROM unnest({array}) AS e({element_alias}) WHERE NOT ({expr}))"
        # A text clause whose colons are not bind parameters (a CHECK may compare with 'a:b').
        stmt = sa.text(f"SELECT count(*) FROM {table} WHERE {where}".replace(":", "\\:"))

        def describe(n: int) -> str:
            if n == 0:
                return "holds on every element" if element else "holds on every row"
            if element:
                return f"{n:,} row(s) hold an element of {value_column} that violates CHECK ({source_text})"
            return f"{n:,} row(s) violate CHECK ({source_text})"

        return _count_check(self.target, "check", s.key, name, stmt, describe)

    def translate(self, expression: str, value_column: str | None) -> str:
        """The CHECK as SQL of the target, re-rendered (:mod:`dbsynth.sqltext`), never pasted:
        a domain's ``VALUE`` becomes ``value_column``."""
        source = self.overlap.source.dialect
        if self.same_dialect:
            return render(expression, "expression", source, value_column=value_column)
        tree = parse_expression(expression, source)
        if value_column is not None:
            tree = tree.transform(lambda n: _value_to(n, value_column))
        return tree.sql(dialect=SQLGLOT_DIALECTS[self.overlap.target.dialect], comments=False)

    def ranges(self, s: Table, t: Table) -> list[ValidityCheck]:
        infos = self.infos.get(s.key, {})
        names = [c for c, info in infos.items() if info.kind in ("numerical", "datetime")]
        if not names:
            return []
        name = f"range ({len(names)} numeric/date column(s))"
        sc, tc = _clause(s, names), _clause(t, self.mapped(s.key, names))
        try:
            low_high = self.source.row(sa.select(*_min_max(sc, names)))
            target_low_high = self.target.row(sa.select(*_min_max(tc, self.mapped(s.key, names))))
        except DBAPIError as exc:
            return [
                ValidityCheck("range", s.key, name, "error", None, None, f"could not run: {_error_text(exc)}")
            ]
        outside: list[str] = []
        total = 0
        sqls: list[str] = []
        for i, col in enumerate(names):
            lo, hi, tlo, thi = (
                low_high[2 * i],
                low_high[2 * i + 1],
                target_low_high[2 * i],
                target_low_high[2 * i + 1],
            )
            try:
                beyond = lo is not None and tlo is not None and (tlo < lo or thi > hi)
            except TypeError:  # e.g. a naive and an aware timestamp across dialects
                continue
            if not beyond:
                continue
            tcol = tc.c[self.overlap.columns[s.key][col]]
            stmt = sa.select(sa.func.count()).select_from(tc).where(sa.or_(tcol < lo, tcol > hi))
            sqls.append(self.target.sql(stmt))
            try:
                n = int(self.target.scalar(stmt) or 0)
            except DBAPIError:
                n = 0
            total += n
            outside.append(f"{col}: {n:,} outside [{lo}, {hi}] (target [{tlo}, {thi}])")
        if not outside:
            return [
                ValidityCheck(
                    "range", s.key, name, "pass", 0, None, "every value within the source's observed range"
                )
            ]
        message = "values outside the source's observed range: " + "; ".join(outside)
        return [ValidityCheck("range", s.key, name, "warn", total, ";\n".join(sqls), message)]


def _min_max(clause: Any, names: Sequence[str]) -> list[Any]:
    out: list[Any] = []
    for n in names:
        out += [sa.func.min(clause.c[n]), sa.func.max(clause.c[n])]
    return out


def _all_checks(table: Table, schema: Schema) -> list[tuple[CheckConstraint, str | None]]:
    """The table's CHECKs plus, for each column of a domain, the domain's CHECKs on that column
    (with the column that stands for ``VALUE``)."""
    out: list[tuple[CheckConstraint, str | None]] = [(c, None) for c in table.checks]
    domains = {(f"{d.schema}.{d.name}" if d.schema else d.name): d for d in schema.domains}
    for column in table.columns:
        domain = domains.get(column.domain or "") or next(
            (d for d in schema.domains if d.name == column.domain), None
        )
        if domain is None:
            continue
        for check in domain.checks:
            named = f"{check.name or domain.name} on {column.name}"
            out.append((CheckConstraint(check.expression, named, (column.name,), "domain"), column.name))
    return out


def _element_domain_columns(table: Table, schema: Schema) -> set[str]:
    """The array columns whose domain is their elements' (``us_zip[]``), not a domain over an
    array type (``CREATE DOMAIN zips AS text[]``), whose CHECK sees the whole array."""
    domains = {(f"{d.schema}.{d.name}" if d.schema else d.name): d for d in schema.domains}
    out: set[str] = set()
    for column in table.columns:
        domain = domains.get(column.domain or "") or next(
            (d for d in schema.domains if d.name == column.domain), None
        )
        if domain is not None and column.array_dims > 0 and not domain.base_type.rstrip().endswith("]"):
            out.add(column.name)
    return out


def _value_to(node: exp.Expr, column: str) -> exp.Expr:
    if isinstance(node, exp.Column) and not node.table and node.name.upper() == "VALUE":
        return exp.column(column, quoted=True)
    return node


def run_checks(
    overlap: Overlap,
    source_conn: Connection,
    target_conn: Connection,
    infos: Mapping[str, Mapping[str, ColumnInfo]],
) -> Validity:
    """Every check of the module docstring, table by table in the source's order."""
    checker = _Checker(overlap, _Runner(target_conn), _Runner(source_conn), infos)
    checks: list[ValidityCheck] = list(missing(overlap))
    for s in overlap.source.tables:
        t = overlap.target_table(s.key)
        checks += checker.keys(s, t)
        checks += checker.foreign_keys(s, t)
        checks += checker.not_null(s, t)
        checks += checker.checks(s, t, overlap.source)
        checks += checker.ranges(s, t)
    return summarize(checks)


def missing(overlap: Overlap) -> list[ValidityCheck]:
    """A failed check per source table, and per column of a matched table, that the target lacks:
    a target without them cannot hold the source's rows, so no other check may pass it."""
    diff = overlap.diff
    tables = [
        ValidityCheck("schema", key, "table missing", "fail", None, None, f"the target has no table {key}")
        for key in diff.missing_tables
    ]
    columns = [
        ValidityCheck(
            "schema",
            name.rsplit(".", 1)[0],
            f"column {name.rsplit('.', 1)[1]} missing",
            "fail",
            None,
            None,
            f"the target's table has no column {name}",
        )
        for name in diff.missing_columns
    ]
    return tables + columns


def summarize(checks: Sequence[ValidityCheck]) -> Validity:
    failed = [c for c in checks if c.status == "fail"]
    unsure = [c for c in checks if c.status in ("warn", "error")]
    run = sum(1 for c in checks if c.status != "skipped")
    status: Status = "fail" if failed else "warn" if unsure else "pass"
    if failed:
        named = "; ".join(
            f"{c.table} {c.name}" + ("" if c.violations is None else f" ({c.violations:,})")
            for c in failed[:5]
        )
        statement = f"{len(failed)} of {run} checks fail in the target: {named}" + (
            " …" if len(failed) > 5 else ""
        )
    elif not checks:
        statement = "No constraint to check."
    else:
        statement = (
            f"All {run} constraint checks pass in the target: every FK resolves, every key and CHECK holds"
        )
        if unsure:
            statement += (
                f"; {len(unsure)} note(s): values outside the source's range or checks that could not run"
            )
    return Validity(
        status=status, checks_run=run, failed=len(failed), statement=statement + ".", checks=tuple(checks)
    )


__all__ = ["SQLGLOT_DIALECTS", "run_checks", "summarize"]
