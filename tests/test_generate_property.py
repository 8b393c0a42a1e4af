"""Property: for any small schema (random FK graph, composite keys, self-references, nullable and
NOT NULL cycles, uniques, simple CHECKs) the database dbsynth generates is accepted by
PostgreSQL with every constraint switched on.

Each example builds a random source schema in PostgreSQL, fills it with consistent rows (FK
triggers off while filling, so cycles need no ordering), fits it, and generates a clone into a
fresh database with ``--create-schema``: the load itself is the check, since the target enforces
every constraint; our own anti-join then confirms every FK resolves.

A second property draws the columns over every PostgreSQL type the introspector knows (integers,
numeric, floats, text, char, boolean, dates and times, interval, uuid, json, bytea, network
addresses, arrays, an enum, a domain, every built-in range, money, bits, xml, tsvector) under
PK, FK, UNIQUE, CHECK, NOT NULL and EXCLUDE; the independent verifier (verify_constraints.py)
then checks the target against its source.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from dbsynth import fit, generate

from conftest import _fresh_database, sa_url, with_database


@dataclass
class Fk:
    parent: int
    nullable: bool
    deferrable: bool = False


@dataclass
class Spec:
    rows: list[int]
    composite: list[bool]
    fks: dict[int, list[Fk]] = field(default_factory=dict)
    checks: list[bool] = field(default_factory=list)
    unique_code: list[bool] = field(default_factory=list)


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    n = draw(st.integers(2, 5))
    spec = Spec(
        rows=[draw(st.integers(5, 60)) for _ in range(n)],
        composite=[draw(st.booleans()) for _ in range(n)],
        checks=[draw(st.booleans()) for _ in range(n)],
        unique_code=[draw(st.booleans()) for _ in range(n)],
    )
    for child in range(n):
        fks = []
        for parent in range(n):
            if parent < child and draw(st.integers(0, 2)) == 0:
                fks.append(Fk(parent, nullable=draw(st.booleans())))
            elif parent == child and draw(st.integers(0, 4)) == 0:
                fks.append(Fk(parent, nullable=True))  # a self-reference
            elif parent > child and draw(st.integers(0, 5)) == 0:  # a back edge: a cycle
                # A NOT NULL, non-deferrable cut needs an engine-numbered parent key: a cut to a
                # composite natural key is a documented GenerationError, not a load.
                nullable = draw(st.booleans()) or spec.composite[parent]
                fks.append(Fk(parent, nullable=nullable, deferrable=draw(st.booleans())))
        spec.fks[child] = fks
    return spec


def ddl(spec: Spec) -> str:
    out = []
    for i, _ in enumerate(spec.rows):
        cols = ["id int NOT NULL", "k int NOT NULL"] if spec.composite[i] else ["id int NOT NULL"]
        cols += ["qty int NOT NULL", "price numeric(8,2)", "code text"]
        for j, fk in enumerate(spec.fks.get(i, [])):
            null = "" if fk.nullable else " NOT NULL"
            cols.append(f"p{j}_id int{null}")
            if spec.composite[fk.parent]:
                cols.append(f"p{j}_k int{null}")
        pk = "(id, k)" if spec.composite[i] else "(id)"
        cons = [f"PRIMARY KEY {pk}"]
        if spec.checks[i]:
            cons.append("CHECK (qty > 0 AND qty <= 100)")
            cons.append("CHECK (price IS NULL OR price >= 0)")
        if spec.unique_code[i]:
            cons.append("UNIQUE (code)")
        out.append(f"CREATE TABLE t{i} ({', '.join(cols + cons)});")
    for i, fks in spec.fks.items():
        for j, fk in enumerate(fks):
            cols = f"p{j}_id" + (f", p{j}_k" if spec.composite[fk.parent] else "")
            ref = "id" + (", k" if spec.composite[fk.parent] else "")
            defer = " DEFERRABLE" if fk.deferrable else ""
            out.append(f"ALTER TABLE t{i} ADD FOREIGN KEY ({cols}) REFERENCES t{fk.parent} ({ref}){defer};")
    return "\n".join(out)


def fill(spec: Spec) -> str:
    """Consistent rows: parent keys (id, k) = (g, g % 3) exist for g in 1..rows."""
    out = ["SET session_replication_role = replica;"]
    for i, n in enumerate(spec.rows):
        cols = ["id"] + (["k"] if spec.composite[i] else []) + ["qty", "price", "code"]
        vals = ["g"] + (["mod(g, 3)"] if spec.composite[i] else [])
        vals += ["1 + mod(g * 7, 50)", "round((mod(g * 13, 997) / 10.0)::numeric, 2)", "'C-' || g"]
        for j, fk in enumerate(spec.fks.get(i, [])):
            m = spec.rows[fk.parent]
            pick = f"(1 + mod(g * {j + 3}, {m}))" if fk.parent != i else "(CASE WHEN g > 1 THEN g - 1 END)"
            if fk.nullable and fk.parent != i:
                pick = f"(CASE WHEN mod(g, 4) = 0 THEN NULL ELSE {pick} END)"
            cols.append(f"p{j}_id")
            vals.append(pick if fk.parent != i or fk.nullable else "g")
            if spec.composite[fk.parent]:
                cols.append(f"p{j}_k")
                vals.append(f"mod({pick}, 3)")
        out.append(
            f"INSERT INTO t{i} ({', '.join(cols)}) SELECT {', '.join(vals)} FROM generate_series(1, {n}) g;"
        )
    out.append("SET session_replication_role = origin;")
    return "\n".join(out)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=specs(), seed=st.integers(0, 1000), scale=st.sampled_from([0.5, 1.0, 2.0]))
# Found by this test: a table with a composite key whose cut FK is set by UPDATE had no column
# numbered from the row index to find its rows by, once its integer key columns became values.
@example(
    spec=Spec(
        rows=[8, 5, 5, 5],
        composite=[True, False, False, True],
        fks={
            0: [Fk(parent=0, nullable=True, deferrable=False), Fk(parent=3, nullable=True, deferrable=False)],
            1: [Fk(parent=1, nullable=True, deferrable=False)],
            2: [
                Fk(parent=0, nullable=False, deferrable=False),
                Fk(parent=2, nullable=True, deferrable=False),
                Fk(parent=3, nullable=True, deferrable=False),
            ],
            3: [
                Fk(parent=0, nullable=False, deferrable=False),
                Fk(parent=1, nullable=False, deferrable=False),
                Fk(parent=2, nullable=False, deferrable=False),
                Fk(parent=3, nullable=True, deferrable=False),
            ],
        },
        checks=[False, False, False, False],
        unique_code=[False, False, False, False],
    ),
    seed=0,
    scale=0.5,
)
def test_generated_database_is_accepted_by_postgres(pg_url: str, spec: Spec, seed: int, scale: float) -> None:
    admin = sa.create_engine(sa_url(pg_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    source = f"dbsynth_p_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{source}"')
    source_url = with_database(pg_url, source)
    target_gen = _fresh_database(pg_url, "postgresql")
    target = next(target_gen)
    try:
        engine = sa.create_engine(sa_url(source_url), poolclass=sa.pool.NullPool)
        with engine.begin() as c:
            c.exec_driver_sql(ddl(spec) + "\n" + fill(spec))
        engine.dispose()
        model = fit(source_url, seed=seed)
        result = generate(model, target, scale=scale, seed=seed, create_schema=True)
        assert result.load is not None and result.load.committed
        check = sa.create_engine(sa_url(target), poolclass=sa.pool.NullPool)
        with check.connect() as c:
            for i, fks in spec.fks.items():
                for j, fk in enumerate(fks):
                    orphans = c.exec_driver_sql(
                        f"SELECT count(*) FROM t{i} c WHERE c.p{j}_id IS NOT NULL AND NOT EXISTS "
                        f"(SELECT 1 FROM t{fk.parent} p WHERE p.id = c.p{j}_id)"
                    ).scalar_one()
                    assert orphans == 0
        check.dispose()
    finally:
        target_gen.close()
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{source}" WITH (FORCE)')
        admin.dispose()


# -- every PostgreSQL type the introspector knows, under every constraint kind ----------------

# name -> (SQL type, fill expression over g (1..rows, distinct per row), a CHECK over {c} or "",
# whether the column can be a UNIQUE key). Distinct g give distinct values where "unique" is set.
TYPES: dict[str, tuple[str, str, str, bool]] = {
    "int2": ("smallint", "mod(g * 7, 30000)::smallint", "{c} >= 0", True),
    "int4": ("integer", "g * 101", "{c} > 0", True),
    "int8": ("bigint", "g * 1000003", "", True),
    "numeric": ("numeric(7,2)", "round((g * 1.37)::numeric, 2)", "{c} >= 0", True),
    "real": ("real", "(g * 0.5)::real", "", False),
    "double": ("double precision", "g * 0.25", "{c} < 1e9", False),
    "text": ("text", "'v' || g", "char_length({c}) <= 40", True),
    "varchar": ("varchar(12)", "'w' || g", "", True),
    "char": ("char(5)", "lpad(g::text, 5, '0')", "", True),
    "bool": ("boolean", "mod(g, 2) = 0", "", False),
    "date": ("date", "date '2020-01-01' + g", "{c} >= date '2000-01-01'", True),
    "time": ("time", "time '08:00' + g * interval '1 second'", "", True),
    "timetz": ("time with time zone", "timetz '08:00+02' + g * interval '1 second'", "", False),
    "timestamp": ("timestamp", "timestamp '2020-01-01' + g * interval '1 hour'", "", True),
    "timestamptz": ("timestamptz", "timestamptz '2020-01-01 00:00+00' + g * interval '1 hour'", "", True),
    "interval": ("interval", "g * interval '1 minute'", "", False),
    "uuid": ("uuid", "md5(g::text)::uuid", "", True),
    "json": ("json", "json_build_object('a', g)", "", False),
    "jsonb": ("jsonb", "jsonb_build_object('a', g, 'b', 'x')", "", False),
    "bytea": ("bytea", "decode(md5(g::text), 'hex')", "", False),
    "inet": ("inet", "('10.0.' || mod(g, 250) || '.' || mod(g * 7, 250))::inet", "", False),
    "cidr": ("cidr", "('10.' || mod(g, 250) || '.0.0/16')::cidr", "", False),
    "macaddr": ("macaddr", "('08:00:2b:01:02:' || lpad(to_hex(mod(g, 256)), 2, '0'))::macaddr", "", False),
    "int_array": ("integer[]", "ARRAY[g, g + 1]", "", False),
    "text_array": ("text[]", "ARRAY['a' || g, 'b']", "", False),
    "enum": ("mood", "(ARRAY['sad', 'ok', 'happy']::mood[])[1 + mod(g, 3)]", "", False),
    "domain": ("posint", "g::posint", "", True),
    "int4range": ("int4range", "int4range(g * 10, g * 10 + 1 + mod(g, 5))", "NOT isempty({c})", False),
    "int8range": ("int8range", "int8range(g * 10, g * 10 + 3)", "", False),
    "numrange": ("numrange", "numrange(g * 2.5, g * 2.5 + 1.25)", "", False),
    "daterange": ("daterange", "daterange(date '2021-01-01' + 4 * g, date '2021-01-03' + 4 * g)", "", False),
    "tsrange": (
        "tsrange",
        "tsrange(timestamp '2021-01-01' + g * interval '1 day', "
        "timestamp '2021-01-01' + g * interval '1 day' + interval '3 hours')",
        "",
        False,
    ),
    "tstzrange": (
        "tstzrange",
        "tstzrange(timestamptz '2021-01-01 00:00+00' + g * interval '1 day', "
        "timestamptz '2021-01-01 00:00+00' + g * interval '1 day' + interval '5 hours')",
        "",
        False,
    ),
    "money": ("money", "(g * 1.25)::numeric::money", "", False),
    "bit": ("bit(8)", "mod(g, 256)::bit(8)", "", False),
    "varbit": ("bit varying(16)", "mod(g, 256)::bit(8)::varbit", "", False),
    "xml": ("xml", "xmlparse(content '<a>' || g || '</a>')", "", False),
    "tsvector": ("tsvector", "to_tsvector('simple', 'word' || g)", "", False),
}
RANGES = ("int4range", "int8range", "numrange", "daterange", "tsrange", "tstzrange")
PRELUDE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
"""


@dataclass
class TypedColumn:
    kind: str
    nullable: bool
    check: bool
    unique: bool


@dataclass
class TypedTable:
    rows: int
    columns: list[TypedColumn]
    parent: int | None  # a NOT NULL or nullable FK to an earlier table's id
    fk_nullable: bool
    exclusion: str | None  # "overlap" (range WITH &&) or "grouped" (grp WITH =, range WITH &&)


@st.composite
def typed_specs(draw: st.DrawFn) -> list[TypedTable]:
    tables = []
    for i in range(draw(st.integers(1, 3))):
        kinds = draw(st.lists(st.sampled_from(sorted(TYPES)), min_size=1, max_size=6, unique=True))
        columns = [
            TypedColumn(
                kind,
                nullable=draw(st.booleans()),
                check=bool(TYPES[kind][2]) and draw(st.booleans()),
                unique=TYPES[kind][3] and draw(st.integers(0, 3)) == 0,
            )
            for kind in kinds
        ]
        ranges = [c.kind for c in columns if c.kind in RANGES]
        exclusion = draw(st.sampled_from([None, "overlap", "grouped"])) if ranges else None
        tables.append(
            TypedTable(
                rows=draw(st.integers(3, 40)),
                columns=columns,
                parent=draw(st.integers(0, i - 1)) if i and draw(st.booleans()) else None,
                fk_nullable=draw(st.booleans()),
                exclusion=exclusion,
            )
        )
    return tables


def typed_sql(tables: list[TypedTable]) -> str:
    out = [PRELUDE]
    for i, t in enumerate(tables):
        cols = ["id int PRIMARY KEY", "grp int NOT NULL"]
        values = ["g", "mod(g, 3)"]
        names = ["id", "grp"]
        if t.parent is not None:
            cols.append(f"parent_id int{'' if t.fk_nullable else ' NOT NULL'} REFERENCES t{t.parent} (id)")
            pick = f"1 + mod(g * 7, {tables[t.parent].rows})"
            values.append(f"CASE WHEN mod(g, 4) = 0 THEN NULL ELSE {pick} END" if t.fk_nullable else pick)
            names.append("parent_id")
        for c in t.columns:
            sql_type, fill, check, _ = TYPES[c.kind]
            name = f"c_{c.kind}"
            text = f"{name} {sql_type}{'' if c.nullable else ' NOT NULL'}"
            if c.check:
                text += f" CHECK ({check.format(c=name)})"
            if c.unique:
                text += " UNIQUE"
            cols.append(text)
            names.append(name)
            values.append(f"CASE WHEN mod(g, 5) = 0 THEN NULL ELSE {fill} END" if c.nullable else fill)
        first_range = next((c.kind for c in t.columns if c.kind in RANGES), None)
        if t.exclusion == "overlap":
            cols.append(f"EXCLUDE USING gist (c_{first_range} WITH &&)")
        elif t.exclusion == "grouped":
            cols.append(f"EXCLUDE USING gist (grp WITH =, c_{first_range} WITH &&)")
        out.append(f"CREATE TABLE t{i} ({', '.join(cols)});")
        rows = f"generate_series(1, {t.rows}) g"
        out.append(f"INSERT INTO t{i} ({', '.join(names)}) SELECT {', '.join(values)} FROM {rows};")
    return "\n".join(out)


@settings(
    max_examples=24,
    deadline=None,
    derandomize=True,
    # No shrinking: each example is two databases, a fit and a load; the failing one is printed.
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tables=typed_specs(), seed=st.integers(0, 1000), scale=st.sampled_from([0.5, 1.0, 3.0]))
def test_every_type_under_every_constraint_kind_is_accepted(
    pg_url: str, tables: list[TypedTable], seed: int, scale: float
) -> None:
    """Columns of every type the PostgreSQL introspector knows, under PK, FK, UNIQUE, CHECK,
    NOT NULL and EXCLUDE: the target, which has every constraint, accepts the generated rows,
    and the independent verifier finds none broken."""
    from verify_constraints import compare

    source_gen = _fresh_database(pg_url, "postgresql")
    source_url = next(source_gen)
    target_gen = _fresh_database(pg_url, "postgresql")
    target = next(target_gen)
    try:
        engine = sa.create_engine(sa_url(source_url), poolclass=sa.pool.NullPool)
        with engine.begin() as c:
            c.exec_driver_sql(typed_sql(tables))
        engine.dispose()
        model = fit(source_url, seed=seed)
        result = generate(model, target, scale=scale, seed=seed, create_schema=True)
        assert result.load is not None and result.load.committed
        assert compare(source_url, target) == []
    finally:
        target_gen.close()
        source_gen.close()
