"""Target schema creation: a :class:`~dbsynth.schema.Schema` in, the DDL that rebuilds it out.

:func:`schema_ddl` builds a :class:`DdlScript`, plain data that ``generate --dry-run
--create-schema`` prints and :func:`create_schema` executes (one code path, two consumers). The
statements come in four groups, in execution order:

1. namespaces, extensions, types, functions and sequences: PostgreSQL ``CREATE SCHEMA IF NOT
   EXISTS`` (not for ``public``, which every database has and which a role without CREATE on the
   database could not even "create if not exists"), the extensions the tables use (``CREATE
   EXTENSION IF NOT EXISTS ... WITH SCHEMA``, checked before any DDL: see :mod:`.routines`),
   enum types, the user functions that CHECKs, defaults, generated columns and indexes call,
   domains (bases first), and the sequences of ``serial`` columns, which their ``DEFAULT
   nextval(...)`` needs before the table exists;
2. tables, parents before inheritance children, each with its columns (defaults, identity /
   serial / AUTO_INCREMENT, generated columns, comments), primary key, UNIQUE constraints and
   CHECKs; a PostgreSQL partitioned table then its partitions (``PARTITION OF ... FOR VALUES``)
   and the ``OWNED BY`` of its serial sequences;
3. indexes: unique indexes (partial ones with their predicate) and plain ones with their access
   method (gin, gist, FULLTEXT, ...);
4. foreign keys, as ``ALTER TABLE ... ADD CONSTRAINT`` so that cycles need no ordering. SQLite has
   no such statement: there they are part of CREATE TABLE (SQLite resolves them when rows are
   written, so cycles are fine there too). Virtual foreign keys are never created.

Same dialect, the target is exact: each column's ``sql_type``, default and CHECK text is used as
the source printed it, constraint and index names are kept, and a ``serial`` column gets its
sequence created under the same name (rather than becoming an identity column) so that
``Identity.sequence`` names a sequence of the target too. Across dialects (see
:mod:`.typemap` and :mod:`.port`) types go by logical type, CHECKs and generation expressions are
transpiled by sqlglot, defaults are kept when they are literals or the current time, and names
that would clash in the target (MySQL index names are per table, PostgreSQL's per schema) are
prefixed with their table's name. Whatever is approximated or dropped is a line of
``DdlScript.warnings``.

The package, one idea per module: :mod:`.dialects` (what each target can say, and names),
:mod:`.typemap` (a column's type in another dialect), :mod:`.port` (defaults and expressions in
another dialect), :mod:`.builder` (the script's assembly), :mod:`.indexes`, :mod:`.identity`,
:mod:`.order`, :mod:`.routines` (extensions and user functions), :mod:`.writer` (what the
helpers ask of the builder), and :mod:`.script` (the entry points). Source SQL text is never
pasted: every fragment is re-rendered by :mod:`dbsynth.sqltext`. The one exception is a user
function's definition, which exists only in a Schema introspected in the same run (a model file
never carries one: :class:`~dbsynth.schema.Routine`).
"""

from dbsynth.writing.ddl.builder import DdlScript
from dbsynth.writing.ddl.dialects import target_dialect_name, target_table_name
from dbsynth.writing.ddl.script import create_schema, schema_ddl

__all__ = ["DdlScript", "create_schema", "schema_ddl", "target_dialect_name", "target_table_name"]
