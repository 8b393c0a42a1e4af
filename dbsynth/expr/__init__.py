"""One SQL expression engine: parse with sqlglot, evaluate vectorised with SQL's three-valued logic.

Used by CHECK enforcement (``dbsynth.generation.checks``) and by the config's ``expression``
generator (``dbsynth.columns.generators.expression``). One idea per module:

* ``values``: value kinds, vectors with a NULL mask, compiled nodes, frame columns read in;
* ``dialects``: what the languages disagree on, as data (PostgreSQL, MySQL, SQLite, the formula);
* ``casts``: conversions between kinds, values as text, intervals;
* ``logic``: three-valued logic and comparisons;
* ``compile``: the compiler core (columns, literals, casts, logic, comparisons, IN, BETWEEN);
* ``arithmetic``, ``functions``, ``conditional``, ``patterns``: the compiler's other handlers;
* ``formula``: the config's formula language, parsed into sqlglot trees for the same compiler.

Known differences from the databases: strings order by code point (a database uses its
collation; equality agrees), decimals are binary floats, integer overflow is not detected.
"""
