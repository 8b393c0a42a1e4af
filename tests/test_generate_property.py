"""Property: for any small schema (random FK graph, composite keys, self-references, nullable and
NOT NULL cycles, uniques, simple CHECKs) the database dbsynth generates is accepted by
PostgreSQL with every constraint switched on.

Each example builds a random source schema in PostgreSQL, fills it with consistent rows (FK
triggers off while filling, so cycles need no ordering), fits it, and generates a clone into a
fresh database with ``--create-schema``: the load itself is the check, since the target enforces
every constraint; our own anti-join then confirms every FK resolves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
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
