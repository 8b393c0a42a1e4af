"""SQL text taken from a Schema, treated as untrusted input: checked for its kind, re-rendered.

A Schema carries SQL text: column types, defaults, CHECK, generation and index expressions,
partial-index predicates, partition keys and bounds, sequence names. A model file carries a
Schema and travels from the production side to other machines, where anyone may have edited it,
so none of that text is ever pasted into a statement. Every fragment goes through
:func:`render`:

1. it is tokenized with sqlglot's tokenizer for the Schema's dialect;
2. we write it again token by token: strings and quoted identifiers re-quoted by us, every other
   token only when it has the shape of exactly one word, number or operator (never ``;``,
   parameters, or a comment opener); whitespace between tokens is kept as it was, so an exact
   same-dialect rebuild stays exact, and comments are dropped (MySQL runs ``/*! ... */``);
3. the text we wrote is parsed with sqlglot and must be exactly one thing of the kind the field
   holds: a type, one expression, a list of expressions, a name, a partition bound, a word. An
   expression may hold no statement, no subquery, and no call of a function that reaches outside
   the row (reads files, runs SQL text, signals other sessions, sleeps: ``DENIED_FUNCTIONS``).

Anything else raises :class:`SqlTextError`; :func:`schema_problem` walks a whole Schema and names
the first bad field (``column public.orders.status: sql_type is not a single SQL type: '...'``).
Names (tables, columns, constraints) and labels are not SQL text: writers quote them as
identifiers and string literals, so any characters are safe there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.parser import Parser
from sqlglot.tokens import Token, TokenType

from dbsynth.errors import did_you_mean
from dbsynth.schema import Partitioning, Schema, Table

# dbsynth dialect name -> sqlglot's
SQLGLOT_DIALECTS: dict[str, str] = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}

Kind = Literal["type", "expression", "expressions", "name", "partition bound", "word"]
WHAT: dict[Kind, str] = {
    "type": "a single SQL type",
    "expression": "a single SQL expression",
    "expressions": "a list of SQL expressions",
    "name": "a SQL name",
    "partition bound": "a partition bound",
    "word": "a single SQL word",
}
# Functions that reach outside the row being checked: files, SQL given as text, other sessions,
# server state, time. None of them belongs in a CHECK, a default or an index, and each would run
# with the target role's privileges on every row written.
DENIED_FUNCTIONS = frozenset(
    {
        # PostgreSQL
        "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema", "cursor_to_xml",
        "cursor_to_xmlschema", "table_to_xml", "database_to_xml", "schema_to_xml",
        "dblink", "dblink_exec", "dblink_connect", "dblink_connect_u", "dblink_send_query",
        "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "pg_file_write",
        "lo_import", "lo_export", "lo_unlink", "lo_create", "lo_from_bytea", "lo_put",
        "set_config", "setval", "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf",
        "pg_rotate_logfile", "pg_promote", "pg_switch_wal", "pg_sleep", "pg_sleep_for",
        "pg_sleep_until", "pg_advisory_lock", "pg_advisory_xact_lock", "pg_notify",
        "pg_create_restore_point", "pg_drop_replication_slot", "pg_create_physical_replication_slot",
        "pg_create_logical_replication_slot", "txid_current", "pg_current_xact_id",
        # MySQL / MariaDB
        "sleep", "benchmark", "load_file", "get_lock", "release_lock", "sys_exec", "sys_eval",
        "master_pos_wait", "source_pos_wait",
        # SQLite (extensions and the shell's file functions)
        "load_extension", "readfile", "writefile", "edit", "fts3_tokenizer",
    }
)  # fmt: skip
# Extensions that reach outside the database (other servers, files, untrusted languages) or
# into the server's internals: a Schema, which may come from an edited model file, never asks
# for them to be created.
DENIED_EXTENSIONS = frozenset(
    {
        "dblink", "postgres_fdw", "file_fdw", "adminpack", "pageinspect", "pg_buffercache",
        "pg_prewarm", "pg_surgery", "pg_visibility", "pg_walinspect", "pgrowlocks", "old_snapshot",
        "amcheck", "lo", "plpython3u", "plpythonu", "plperlu", "pltclu", "plsh", "pg_cron",
        "mysql_fdw", "oracle_fdw", "tds_fdw", "multicorn", "http", "pgsql_http",
    }
)  # fmt: skip
# Statements and queries: none of them is part of a CHECK, a default, a type or an index.
_FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = (
    exp.Query,
    exp.Subquery,
    exp.Command,
    exp.DDL,
    exp.DML,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Set,
    exp.Pragma,
    exp.Use,
    exp.Show,
    exp.Describe,
    exp.Copy,
    exp.Block,
    exp.Placeholder,
    exp.Parameter,
    exp.SessionParameter,
)
_WORD = re.compile(r"[^\W\d][\w$]*(?:\s+[^\W\d][\w$]*)*")
_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_OPERATOR = re.compile(r"[-+*/<>=~!@%^&|?:.,()\[\]#]+")
_COMMENT_OPENERS = ("--", "/*", "*/")
_HEX = re.compile(r"0x[0-9A-Fa-f]+|[xX]'[0-9A-Fa-f]*'")
_REFUSED_TOKENS = frozenset(
    {
        TokenType.SEMICOLON,
        TokenType.PARAMETER,
        TokenType.SESSION_PARAMETER,
        TokenType.PLACEHOLDER,
        TokenType.BYTE_STRING,
        TokenType.RAW_STRING,
        TokenType.UNICODE_STRING,
    }
)
_BOUND_WORDS = frozenset(
    {"for", "values", "from", "to", "in", "with", "default", "less", "than", "maxvalue", "minvalue"}
)
_HASH_BOUND = re.compile(r"(?i)(modulus|remainder)\s+\d+")
# Quote character of identifiers, per dialect (the writers' quoting, doubled inside).
_QUOTE = {"postgresql": '"', "mysql": "`", "sqlite": '"'}
_BACKSLASH_ESCAPES = {"postgresql": False, "mysql": True, "sqlite": False}


class SqlTextError(ValueError):
    """A fragment that is not what its field holds; ``str()`` says what it should have been."""


def quote_identifier(name: str, dialect: str) -> str:
    """``name`` as a quoted identifier of ``dialect`` (the quote character doubled inside)."""
    q = _QUOTE[dialect]
    return q + name.replace(q, q + q) + q


def string_literal(value: str, dialect: str) -> str:
    """``value`` as a string literal of ``dialect``."""
    text = value.replace("\\", "\\\\") if _BACKSLASH_ESCAPES[dialect] else value
    return "'" + text.replace("'", "''") + "'"


def render(text: str, kind: Kind, dialect: str, *, value_column: str | None = None) -> str:
    """``text`` (SQL of ``dialect``) re-rendered by us, once it is one ``kind`` (module doc);
    ``value_column`` replaces a domain CHECK's ``VALUE`` by that quoted column name.
    Raises :class:`SqlTextError`."""
    if dialect not in SQLGLOT_DIALECTS:
        raise SqlTextError(f"is SQL of an unknown dialect '{dialect}'")
    if kind == "word":
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
            raise SqlTextError(f"is not {WHAT[kind]}")
        return text
    tokens = _tokens(text, dialect, kind)
    if kind == "expressions":
        return ", ".join(_expression(part.strip(), dialect, value_column) for part in _split(text, tokens))
    if kind == "partition bound":
        return _bound(text, tokens, dialect)
    rendered = _rendered(text, tokens, dialect, value_column)
    if kind == "type":
        _check_type(rendered, tokens, dialect)
    elif kind == "name":
        _check_name(tokens)
    else:
        _check_expression(rendered, dialect)
    return rendered


def parse_expression(text: str, dialect: str) -> exp.Expr:
    """The sqlglot tree of ``text`` once :func:`render` accepts it as one expression, parsed from
    what we re-rendered (no comments): for code that writes it in another dialect."""
    rendered = render(text, "expression", dialect)
    return _check_expression(rendered, dialect)


# -- tokens ----------------------------------------------------------------------------------


def _tokens(text: str, dialect: str, kind: Kind) -> list[Token]:
    if "\x00" in text:
        raise SqlTextError(f"is not {WHAT[kind]}")
    try:
        tokens = Dialect.get_or_raise(SQLGLOT_DIALECTS[dialect]).tokenize(text)
    except SqlglotError:
        raise SqlTextError(f"is not {WHAT[kind]}") from None
    if not tokens and not (kind == "type" and dialect == "sqlite"):  # SQLite columns may be untyped
        raise SqlTextError(f"is not {WHAT[kind]}")
    for t in tokens:
        if t.token_type in _REFUSED_TOKENS:
            raise SqlTextError(f"is not {WHAT[kind]}")
    return tokens


def _rendered(text: str, tokens: list[Token], dialect: str, value_column: str | None) -> str:
    """The tokens written again (module doc, step 2)."""
    out: list[str] = []
    end = 0
    previous: Token | None = None
    for t in tokens:
        gap = text[end : t.start]
        # Whitespace is kept; anything else between two tokens is a comment, dropped.
        out.append(gap if not gap or gap.isspace() else " ")
        piece = _token(text, t, dialect, value_column, previous)
        if out and not out[-1] and out[-2:-1] and (out[-2][-1:] + piece[:1]) in _COMMENT_OPENERS:
            out[-1] = " "  # two operators that would read as a comment opener once joined
        out.append(piece)
        end, previous = t.end + 1, t
    return "".join(out).strip()


def _token(text: str, t: Token, dialect: str, value_column: str | None, previous: Token | None) -> str:
    kind = t.token_type
    if kind in (TokenType.STRING, TokenType.HEREDOC_STRING):
        return string_literal(t.text, dialect)
    if kind == TokenType.NATIONAL_STRING:
        return "N" + string_literal(t.text, dialect)
    if kind == TokenType.IDENTIFIER:
        return quote_identifier(t.text, dialect)
    if kind == TokenType.BIT_STRING and re.fullmatch(r"[01]*", t.text):
        return f"b'{t.text}'"
    original = text[t.start : t.end + 1]
    if kind == TokenType.HEX_STRING and _HEX.fullmatch(original):
        return original
    if _WORD.fullmatch(original):
        after_dot = previous is not None and previous.token_type == TokenType.DOT
        if value_column is not None and original.upper() == "VALUE" and not after_dot:
            return quote_identifier(value_column, dialect)
        if _keyword_cast_target(t, dialect, previous):
            # ``x::cube``: sqlglot reads the type name as the CUBE keyword and would refuse a
            # valid cast. PostgreSQL folds an unquoted name to lower case, so the quoted lower
            # case name is the same type, and sqlglot then reads a user-defined type.
            return quote_identifier(original.lower(), dialect)
        return original
    if _NUMBER.fullmatch(original):
        return original
    if (
        _OPERATOR.fullmatch(original)
        and not any(o in original for o in _COMMENT_OPENERS)
        and not (dialect == "mysql" and "#" in original)
    ):
        return original
    raise SqlTextError("holds a token dbsynth does not take from a model file")


def _keyword_cast_target(t: Token, dialect: str, previous: Token | None) -> bool:
    """``t`` is the unqualified type name of a PostgreSQL cast (after ``::`` or ``AS``) that the
    tokenizer took for a keyword which is not a type (``cube``, ``rollup``)."""
    return (
        dialect == "postgresql"
        and previous is not None
        and previous.token_type in (TokenType.DCOLON, TokenType.ALIAS)
        and t.token_type not in (TokenType.VAR, TokenType.IDENTIFIER)
        and t.token_type not in Parser.TYPE_TOKENS
    )


def _split(text: str, tokens: list[Token], begin: int = 0, end: int | None = None) -> list[str]:
    """The comma-separated parts of ``text[begin:end]`` (``tokens`` are its tokens) at depth 0."""
    parts, depth, start = [], 0, begin
    for t in tokens:
        if t.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif t.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth -= 1
        elif t.token_type == TokenType.COMMA and depth == 0:
            parts.append(text[start : t.start])
            start = t.end + 1
    parts.append(text[start:end])
    return parts


# -- kinds -----------------------------------------------------------------------------------


def _expression(text: str, dialect: str, value_column: str | None) -> str:
    return render(text, "expression", dialect, value_column=value_column)


def _check_expression(rendered: str, dialect: str) -> exp.Expr:
    what = WHAT["expression"]
    try:
        trees = sqlglot.parse(rendered, read=SQLGLOT_DIALECTS[dialect])
    except (SqlglotError, RecursionError):
        raise SqlTextError(f"is not {what}") from None
    if len(trees) != 1 or trees[0] is None:
        raise SqlTextError(f"is not {what}")
    tree = trees[0]
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise SqlTextError(f"is not {what}")
        if isinstance(node, exp.Func):
            name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
            if name.lower() in DENIED_FUNCTIONS:
                raise SqlTextError(f"calls {name.lower()}(), which dbsynth never runs from a model file")
    return tree


_TYPE_TOKENS = frozenset(
    {
        TokenType.L_PAREN,
        TokenType.R_PAREN,
        TokenType.L_BRACKET,
        TokenType.R_BRACKET,
        TokenType.COMMA,
        TokenType.DOT,
        TokenType.NUMBER,
        TokenType.STRING,
        TokenType.IDENTIFIER,
        TokenType.DASH,
        TokenType.PLUS,
    }
)


def _check_type(rendered: str, tokens: list[Token], dialect: str) -> None:
    """A type is words (or quoted names) with dots, then at most two argument lists of literals
    (``numeric(10,2)``, ``timestamp(3) with time zone``, ``enum('a','b')``) and array brackets."""
    what = f"is not {WHAT['type']}"
    if not tokens:
        return
    depth = 0
    for i, t in enumerate(tokens):
        word = _WORD.fullmatch(t.text) is not None and t.token_type not in _TYPE_TOKENS
        if t.token_type not in _TYPE_TOKENS and not word:
            raise SqlTextError(what)
        if i == 0 and not (word or t.token_type == TokenType.IDENTIFIER):
            raise SqlTextError(what)
        if t.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif t.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth -= 1
        if depth not in (0, 1):
            raise SqlTextError(what)
        if depth == 0 and t.token_type in (TokenType.STRING, TokenType.NUMBER, TokenType.COMMA):
            raise SqlTextError(what)
    if depth:
        raise SqlTextError(what)
    try:
        node = exp.DataType.build(rendered, dialect=SQLGLOT_DIALECTS[dialect], udt=True)
    except (SqlglotError, ValueError, RecursionError):
        raise SqlTextError(what) from None
    if not isinstance(node, exp.DataType):
        raise SqlTextError(what)


def _check_name(tokens: list[Token]) -> None:
    """``name``, ``schema.name`` or ``"Sales".name``: up to three parts joined by dots."""
    parts = tokens[0::2]
    dots = tokens[1::2]
    ok = len(parts) <= 3 and len(parts) == len(dots) + 1
    ok = ok and all(d.token_type == TokenType.DOT for d in dots)
    ok = ok and all(p.token_type == TokenType.IDENTIFIER or _WORD.fullmatch(p.text) for p in parts)
    if not ok:
        raise SqlTextError(f"is not {WHAT['name']}")


def _bound(text: str, tokens: list[Token], dialect: str) -> str:
    """``FOR VALUES FROM (...) TO (...)``, ``FOR VALUES IN (...)``, ``FOR VALUES WITH (MODULUS
    n, REMAINDER m)``, ``DEFAULT`` (PostgreSQL); ``VALUES LESS THAN (...)``, ``VALUES LESS THAN
    MAXVALUE``, ``VALUES IN (...)`` (MySQL): keywords outside parentheses, expressions inside."""
    what = f"is not {WHAT['partition bound']}"
    out: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.token_type != TokenType.L_PAREN:
            if t.text.lower() not in _BOUND_WORDS or not _WORD.fullmatch(t.text):
                raise SqlTextError(what)
            out.append(t.text)
            i += 1
            continue
        depth, j = 0, i
        for j in range(i, len(tokens)):
            depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(tokens[j].token_type, 0)
            if depth == 0:
                break
        if depth:
            raise SqlTextError(what)
        items = []
        for part in _split(text, tokens[i + 1 : j], t.end + 1, tokens[j].start):
            part = part.strip()
            hashed = _HASH_BOUND.fullmatch(part)  # MODULUS 4: a keyword and a number, not an expression
            items.append(" ".join(part.split()) if hashed else _expression(part, dialect, None))
        out.append("(" + ", ".join(items) + ")")
        i = j + 1
    return " ".join(out)


# -- a whole Schema --------------------------------------------------------------------------


@dataclass(frozen=True)
class Fragment:
    """One piece of SQL text of a Schema: where it is, which field, its text and kind."""

    where: str
    field: str
    text: str
    kind: Kind


def fragments(schema: Schema) -> Iterator[Fragment]:
    """Every SQL fragment of ``schema``, in Schema order."""
    for d in schema.domains:
        where = f"domain {d.schema + '.' if d.schema else ''}{d.name}"
        yield Fragment(where, "base_type", d.base_type, "type")
        if d.default is not None:
            yield Fragment(where, "default", d.default, "expression")
        for i, check in enumerate(d.checks):
            yield Fragment(where, f"checks[{i}].expression", check.expression, "expression")
    for ct in schema.composites:
        where = f"type {ct.schema + '.' if ct.schema else ''}{ct.name}"
        for a in ct.attributes:
            yield Fragment(where, f"attribute {a.name}", a.sql_type, "type")
    for t in schema.tables:
        for c in t.columns:
            where = f"column {t.key}.{c.name}"
            yield Fragment(where, "sql_type", c.sql_type, "type")
            if c.element_sql_type is not None:
                yield Fragment(where, "element_sql_type", c.element_sql_type, "type")
            for field in ("default", "generated", "on_update"):
                value = getattr(c, field)
                if value is not None:
                    yield Fragment(where, field, value, "expression")
            for field in ("charset", "collation"):
                if getattr(c, field) is not None:
                    yield Fragment(where, field, getattr(c, field), "word")
            if c.identity is not None and c.identity.sequence is not None:
                yield Fragment(where, "identity.sequence", c.identity.sequence, "name")
        where = f"table {t.key}"
        for field in ("charset", "collation"):
            if getattr(t, field) is not None:
                yield Fragment(where, field, getattr(t, field), "word")
        for i, check in enumerate(t.checks):
            label = f"check {check.name}" if check.name else f"checks[{i}]"
            yield Fragment(f"{where}: {label}", "expression", check.expression, "expression")
        for i, u in enumerate(t.uniques):
            if u.where is not None:
                label = f"unique index {u.name}" if u.name else f"uniques[{i}]"
                yield Fragment(f"{where}: {label}", "where", u.where, "expression")
        for x in t.exclusions:
            if x.method is not None:
                yield Fragment(f"{where}: exclusion {x.name}", "method", x.method, "word")
            if x.where is not None:
                yield Fragment(f"{where}: exclusion {x.name}", "where", x.where, "expression")
        for i, ix in enumerate(t.indexes):
            label = f"index {ix.name}" if ix.name else f"indexes[{i}]"
            for j, element in enumerate(ix.expressions):
                yield Fragment(f"{where}: {label}", f"expressions[{j}]", element, "expression")
            if ix.method is not None:
                yield Fragment(f"{where}: {label}", "method", ix.method, "word")
            for j, opclass in enumerate(ix.opclasses):
                if opclass is not None:
                    yield Fragment(f"{where}: {label}", f"opclasses[{j}]", opclass, "name")
        if t.partitioning is not None:
            yield from _partitioning_fragments(f"{where}: partitioning", t.partitioning)


def _partitioning_fragments(where: str, p: Partitioning) -> Iterator[Fragment]:
    yield Fragment(where, "strategy", p.strategy, "word")
    yield Fragment(where, "key", p.key, "expressions")
    for i, bound in enumerate(p.bounds):
        yield Fragment(where, f"bounds[{i}]", bound, "partition bound")
    for sub in p.subpartitioned:
        yield from _partitioning_fragments(f"{where} of {sub.partition}", sub.partitioning)


def schema_problem(schema: Schema) -> str | None:
    """The first SQL fragment of ``schema`` that :func:`render` refuses, as a one-line message
    naming where it is and the field (``column public.orders.status: sql_type is not a single
    SQL type: 'text; DROP TABLE other'``), or None when every fragment is what its field holds."""
    if schema.dialect not in SQLGLOT_DIALECTS:
        return f"dialect '{schema.dialect}' is not one of " + ", ".join(SQLGLOT_DIALECTS)
    for e in schema.extensions:
        if e.name.lower() in DENIED_EXTENSIONS:
            return f"extension {e.name}: is not created from a schema (it reaches outside the database)"
    for f in fragments(schema):
        try:
            render(f.text, f.kind, schema.dialect)
        except SqlTextError as exc:
            return f"{f.where}: {f.field} {exc}: {shown(f.text)}"
    return None


def shown(text: str, limit: int = 80) -> str:
    """``text`` quoted for a one-line message, cut to ``limit`` characters."""
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(cut)


# -- sampling filters -------------------------------------------------------------------------

# Functions sqlglot does not model itself but that only compute (a where may call them); any
# other unknown function (nextval, setval, pg_sleep, a user function) is refused.
SAFE_WHERE_FUNCTIONS = frozenset(
    {"strftime", "julianday", "date_part", "date_trunc", "char_length", "octet_length", "regexp_like"}
)


def where_problem(text: str, dialect: str, table: Table | None = None) -> str | None:
    """Why ``text`` is not a sampling filter of ``table`` (in ``dialect``), or None.

    A filter (the config's ``where``, ``fit --where``) is pasted into the sampling query of the
    source, so it must be one condition over the table's own columns: a syntax error, a second
    statement, a subquery or a function that is not a plain computation (``nextval``) is refused
    before the source is read. Without ``table`` the columns are not checked. The answer is a
    phrase to follow the name of the filter (``where in table T: ...``)."""
    try:
        trees = sqlglot.parse(text, read=SQLGLOT_DIALECTS.get(dialect, dialect))
    except (SqlglotError, ValueError) as exc:
        return f"not a SQL condition: {' '.join(str(exc).split())[:120]}"
    parsed = [t for t in trees if t is not None]
    if len(parsed) != 1:
        return f"one SQL condition is allowed, not {len(parsed)} statements"
    tree = parsed[0]
    if not isinstance(tree, exp.Condition) or isinstance(tree, exp.Query | exp.Command):
        return f"a {tree.key.upper()} statement is not a SQL condition"
    if tree.find(exp.Select, exp.Subquery, exp.Query) is not None:
        return "a subquery is not allowed; filter on the table's own columns"
    for func in tree.find_all(exp.Anonymous):
        name = str(func.name).lower()
        if name not in SAFE_WHERE_FUNCTIONS or name in DENIED_FUNCTIONS:
            return f"function {name}() is not allowed in a sampling filter"
    for known in tree.find_all(exp.Func):
        name = known.sql_name().lower()
        if name in DENIED_FUNCTIONS:
            return f"function {name}() is not allowed in a sampling filter"
    if table is None:
        return None
    for col in tree.find_all(exp.Column):
        if col.table and col.table not in (table.name, table.key):
            return f"column {col.sql()} is not of table {table.key}"
    folded = {c.lower() for c in table.column_names}
    for col in tree.find_all(exp.Column):
        name = col.name
        if name and name not in table.column_names and name.lower() not in folded:
            return f"unknown column '{name}'." + did_you_mean(name, table.column_names)
    return None
