"""One SQL expression engine: parse with sqlglot, evaluate vectorised with SQL's three-valued logic."""
