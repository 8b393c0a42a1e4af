"""Priors: believable values for a column that has no row to learn from (an empty source table).

A prior is not a generator of its own. :func:`prior_for` draws a synthetic *sample* of
``PRIOR_ROWS`` values from what the column's name and type say (``email`` → e-mail addresses,
``price numeric(10,2)`` → positive right-skewed amounts with two decimals, ``created_at`` →
recent timestamps), and fitting then chooses and fits the ordinary column model on that sample,
exactly as on a production one: the personal-data detector sends the e-mails to Faker, the
amounts become a numeric model, a status list a category. So every value the engine writes
comes from a column model that is valid for the type (lengths, precision and scale, unsigned
ranges, enum labels), and the CHECK constraints are honoured the way they are for fitted
models: generation derives ranges and IN-lists from them and repairs by construction.

Name rules match word tokens of the column name (``createdAt``, ``created_at`` and
``CreatedAt`` are all ``created at``), first match wins; a column whose name says nothing gets
a plain value of its type (short words for strings, a sentence for text, small positive
numbers, recent dates). The sample is drawn from a generator seeded by the table and column
names, so the same schema gives the same model.

Which table/column pairs are ordered (``updated_at >= created_at``) is :func:`prior_orderings`;
how many NULLs a nullable column gets, :func:`prior_null_rate`.
"""

from __future__ import annotations

import datetime as dt
import json
import string
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dbsynth.columns.pii import name_tokens
from dbsynth.columns.sqltypes import BIT_TYPES, RANGE_SUBTYPES, base_type
from dbsynth.schema import Column, LogicalType

PRIOR_ROWS = 400  # synthetic values a prior model is fitted on
NULL_RATE = 0.1  # NULLs in a nullable column without data: some, so the NULL path is exercised
LATE_NULL_RATE = 0.8  # deleted_at, cancelled_at...: most rows were never deleted

TEXT = frozenset({LogicalType.STRING, LogicalType.TEXT})
NUMBER = frozenset({LogicalType.INTEGER, LogicalType.DECIMAL, LogicalType.FLOAT})
MOMENT = frozenset({LogicalType.DATE, LogicalType.TIMESTAMP, LogicalType.TIMESTAMPTZ})

# Integer ranges by base type (signed); MySQL's unsigned doubles the upper half.
_INT_RANGE = {
    "tinyint": (-128, 127),
    "smallint": (-32768, 32767),
    "int2": (-32768, 32767),
    "mediumint": (-8388608, 8388607),
    "integer": (-(2**31), 2**31 - 1),
    "int": (-(2**31), 2**31 - 1),
    "int4": (-(2**31), 2**31 - 1),
    "serial": (-(2**31), 2**31 - 1),
}

# Temporal columns that come first and those that come after them, in one row.
_EARLY = frozenset({"created", "creation", "start", "started", "begin", "begins", "opened", "from", "issued"})
_LATE = frozenset(
    {
        "updated", "modified", "changed", "end", "ended", "ends", "closed", "until", "to", "finished",
        "completed", "deleted", "cancelled", "canceled", "shipped", "delivered", "resolved", "last",
    }
)  # fmt: skip
# Text priors whose models make distinct values by construction (Faker's indexed values, code
# shapes); a unique column of any other kind (names of things, sentences, statuses) gets codes.
UNIQUE_KINDS = frozenset(
    {
        "e-mail addresses", "user names", "phone numbers", "URLs", "IP addresses", "MAC addresses",
        "IBANs", "UUIDs as text", "hex digests", "codes like ABC-12345", "slugs",
    }
)  # fmt: skip
_RARE = frozenset({"deleted", "cancelled", "canceled", "archived", "removed", "banned", "revoked"})


@dataclass(frozen=True)
class Prior:
    """A synthetic sample of a column (no NULLs) and why it looks the way it does."""

    values: pd.Series
    reason: str
    closed: bool = True  # a closed vocabulary: every sampled value may be kept as a category


Make = Callable[[int, np.random.Generator, Any, Column], Sequence[Any]]


@dataclass(frozen=True)
class _Rule:
    """Values for a column whose name holds every token of one of ``names`` and whose logical
    type is one of ``types``."""

    names: tuple[tuple[str, ...], ...]
    types: frozenset[LogicalType]
    what: str
    make: Make
    closed: bool = False  # codes, statuses: the sample is the vocabulary

    def matches(self, tokens: tuple[str, ...], column: Column) -> bool:
        if column.logical not in self.types:
            return False
        return any(all(t in tokens for t in want) for want in self.names)


def _words(*names: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(n.split()) for n in names)


def _faker(method: str) -> Make:
    def make(n: int, rng: np.random.Generator, fake: Any, column: Column) -> list[Any]:
        return [getattr(fake, method)() for _ in range(n)]

    return make


def _country(n: int, rng: np.random.Generator, fake: Any, column: Column) -> list[str]:
    if column.length is not None and column.length <= 3:
        return [_country_code(fake, column.length) for _ in range(n)]
    return [fake.country() for _ in range(n)]


def _country_code(fake: Any, length: int | None) -> str:
    return str(fake.country_code("alpha-3" if length == 3 else "alpha-2"))


def _code(n: int, rng: np.random.Generator, fake: Any, column: Column) -> list[str]:
    width = min(column.length or 12, 12)
    if width < 6:
        return ["".join(rng.choice(list(string.ascii_uppercase + string.digits), width)) for _ in range(n)]
    letters = min(3, width - 4)
    return [fake.bothify("?" * letters + "-" + "#" * (width - letters - 1)).upper() for _ in range(n)]


def _label_set(*labels: str) -> Make:
    def make(n: int, rng: np.random.Generator, fake: Any, column: Column) -> list[str]:
        weights = 1.0 / np.arange(1, len(labels) + 1)  # the first label is the most common
        return list(rng.choice(labels, n, p=weights / weights.sum()))

    return make


def _text(n: int, rng: np.random.Generator, fake: Any, column: Column) -> list[str]:
    return [fake.paragraph(nb_sentences=int(rng.integers(1, 4))) for _ in range(n)]


def _title(n: int, rng: np.random.Generator, fake: Any, column: Column) -> list[str]:
    return [fake.sentence(nb_words=int(rng.integers(2, 6))).rstrip(".") for _ in range(n)]


def _name(n: int, rng: np.random.Generator, fake: Any, column: Column) -> list[str]:
    return [" ".join(w.capitalize() for w in fake.words(int(rng.integers(1, 4)))) for _ in range(n)]


def _hex(n: int, rng: np.random.Generator, fake: Any, column: Column) -> list[str]:
    width = min(column.length or 64, 64)
    return [fake.sha256()[:width] for _ in range(n)]


def _uuid_text(n: int, rng: np.random.Generator, fake: Any, column: Column) -> list[str]:
    # zabbix's uuid varchar(32): the 32 hex digits without dashes, not a dashed UUID cut short.
    if column.length is not None and column.length < 36:
        return [fake.uuid4().replace("-", "")[: column.length] for _ in range(n)]
    return [fake.uuid4() for _ in range(n)]


def _date_text(n: int, rng: np.random.Generator, fake: Any, column: Column) -> list[str]:
    # zabbix's host_inventory.date_hw_purchase varchar(64): dates kept as text, ISO 8601 (or
    # YYYYMMDD when the column is shorter than that).
    form = "%Y-%m-%d" if column.length is None or column.length >= 10 else "%Y%m%d"
    return [fake.date_between("-20y", "+1y").strftime(form) for _ in range(n)]


def _json_text(n: int, rng: np.random.Generator, fake: Any, column: Column) -> list[str]:
    # A text column named *_json holds JSON documents; short columns get the smallest one.
    if column.length is not None and column.length < 40:
        return ["{}"] * n
    return [json.dumps({"id": int(rng.integers(1, 10_000)), "name": fake.word()}) for _ in range(n)]


def _language(n: int, rng: np.random.Generator, fake: Any, column: Column) -> list[str]:
    if column.length is not None and column.length < 5:
        return [fake.language_code() for _ in range(n)]
    return [fake.locale() for _ in range(n)]


_TEXT_RULES: tuple[_Rule, ...] = (
    _Rule(_words("email", "e mail", "mail"), TEXT, "e-mail addresses", _faker("email")),
    _Rule(_words("first name", "firstname", "given name", "fname", "forename"), TEXT, "first names",
          _faker("first_name")),
    _Rule(_words("last name", "lastname", "surname", "family name", "lname"), TEXT, "last names",
          _faker("last_name")),
    _Rule(_words("full name", "fullname", "display name", "contact name", "author", "customer name",
                 "person"), TEXT, "full names", _faker("name")),
    _Rule(_words("username", "user name", "login", "nickname", "handle"), TEXT, "user names",
          _faker("user_name")),
    _Rule(_words("phone", "mobile", "fax", "tel", "telephone", "msisdn"), TEXT, "phone numbers",
          _faker("phone_number")),
    _Rule(_words("user agent", "useragent"), TEXT, "user agents", _faker("user_agent")),
    _Rule(_words("ip", "ip address", "ipaddress", "ipv4", "remote addr"), TEXT, "IP addresses",
          _faker("ipv4")),
    _Rule(_words("mac"), TEXT, "MAC addresses", _faker("mac_address")),
    _Rule(_words("slug"), TEXT, "slugs", _faker("slug")),  # before URLs: url_slug is a slug
    _Rule(_words("url", "uri", "website", "homepage", "link", "href", "site", "avatar", "image"), TEXT,
          "URLs", _faker("url")),
    _Rule(_words("street", "address", "addr", "line1", "line 1"), TEXT, "street addresses",
          _faker("street_address")),
    _Rule(_words("city", "town", "locality"), TEXT, "cities", _faker("city")),
    _Rule(_words("zip", "zipcode", "postcode", "postal", "postalcode"), TEXT, "postal codes",
          _faker("postcode")),
    _Rule(_words("country"), TEXT, "countries (ISO codes when the column is that short)", _country, True),
    _Rule(_words("state", "province", "region", "county"), TEXT, "states", _faker("state")),
    _Rule(_words("currency"), TEXT, "ISO 4217 currency codes", _faker("currency_code"), True),
    _Rule(_words("iban"), TEXT, "IBANs", _faker("iban")),
    _Rule(_words("company", "organization", "organisation", "org", "employer", "vendor", "supplier",
                 "manufacturer", "brand", "publisher"), TEXT, "company names", _faker("company")),
    _Rule(_words("job", "occupation", "profession", "position title", "job title"), TEXT, "job titles",
          _faker("job")),
    _Rule(_words("language", "lang", "locale"), TEXT, "language codes", _language, True),
    _Rule(_words("timezone", "tz", "time zone"), TEXT, "time zones", _faker("timezone"), True),
    _Rule(_words("color", "colour"), TEXT, "colour names", _faker("color_name"), True),
    _Rule(_words("mime", "content type", "mimetype"), TEXT, "MIME types", _faker("mime_type"), True),
    _Rule(_words("filename", "file name", "file", "path"), TEXT, "file names", _faker("file_name")),
    _Rule(_words("uuid", "guid"), TEXT, "UUIDs as text", _uuid_text),
    # Closed: a model fitted on their characters would spell '2987-19-45' or break the JSON.
    _Rule(_words("json"), TEXT, "JSON documents as text", _json_text, True),
    _Rule(_words("date", "dob", "birthdate", "birthday"), TEXT, "dates as text", _date_text, True),
    _Rule(_words("hash", "password", "digest", "checksum", "token", "secret", "salt", "signature"), TEXT,
          "hex digests", _hex),
    _Rule(_words("sku", "code", "ref", "reference", "serial", "barcode", "ean", "isbn"), TEXT,
          "codes like ABC-12345", _code),
    _Rule(_words("status", "state"), TEXT, "a few statuses",
          _label_set("active", "pending", "inactive", "archived"), True),
    _Rule(_words("type", "kind", "category", "role", "tier", "level", "group"), TEXT, "a few labels",
          _label_set("standard", "basic", "premium", "other"), True),
    _Rule(_words("gender", "sex"), TEXT, "genders", _label_set("female", "male", "other"), True),
    _Rule(_words("tag", "tags", "keyword", "keywords", "topic", "topics"), TEXT, "single words",
          _faker("word"), True),
    _Rule(_words("description", "comment", "comments", "note", "notes", "body", "bio", "summary", "content",
                 "message", "text", "details", "remark", "remarks", "about"), TEXT, "sentences", _text),
    _Rule(_words("title", "subject", "headline", "caption", "label"), TEXT, "short titles", _title),
    _Rule(_words("name"), TEXT, "names of things", _name),
)  # fmt: skip


def _column_seed(table: str, column: str, seed: int) -> int:
    return zlib.crc32(f"{table}.{column}".encode()) ^ seed


def prior_for(
    column: Column, table: str = "", locale: str = "en_US", seed: int = 0, unique: bool = False
) -> Prior | None:
    """A synthetic sample for ``column`` of ``table`` (module doc); None when neither its name
    nor its type says anything a prior can carry. An empty sample is a prior too: the models of
    UUIDs and network addresses are random without any value. A ``unique`` column never gets a
    closed vocabulary (four statuses cannot key 200 rows): it gets open codes instead."""
    rng = np.random.default_rng(_column_seed(table, column.name, seed))
    tokens = name_tokens(column.name)
    if column.logical in TEXT:
        base = base_type(column.sql_type)
        if base in ("inet", "cidr", "macaddr", "macaddr8"):
            return Prior(pd.Series([], dtype=object), f"type {base}: random addresses")
        fake = _make_faker(locale, rng)
        rule = next((r for r in _TEXT_RULES if r.matches(tokens, column)), None)
        if rule is None:
            rule = _Rule((), TEXT, "words" if column.logical is LogicalType.STRING else "sentences",
                         _name if column.logical is LogicalType.STRING else _text)  # fmt: skip
        short = column.length is not None and column.length <= 3  # ISO codes: the vocabulary is all
        if unique and rule.what not in UNIQUE_KINDS and not (rule.closed and short):
            rule = _Rule((), TEXT, "unique codes", _code)
        values = [_fit_length(str(v), column) for v in rule.make(PRIOR_ROWS, rng, fake, column)]
        return Prior(pd.Series(values, dtype=object), f"name '{column.name}': {rule.what}", rule.closed)
    if column.logical in NUMBER:
        return _number(column, tokens, rng)
    if column.logical in MOMENT:
        return _moment(column, tokens, rng)
    maker = _BY_TYPE.get(column.logical)
    if maker is not None:
        return maker(column, tokens, rng)
    if column.logical is LogicalType.OTHER:
        return _other(column, rng)
    if column.logical is LogicalType.UUID:
        return Prior(pd.Series([], dtype=object), "type uuid: random version 4")
    return None


def _make_faker(locale: str, rng: np.random.Generator) -> Any:
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(int(rng.integers(0, 2**31)))
    return fake


def _fit_length(value: str, column: Column) -> str:
    if column.length is not None and len(value) > column.length:
        return value[: column.length].rstrip() or value[: column.length]
    return value


# -- numbers ----------------------------------------------------------------------------------


def _bounds(column: Column) -> tuple[float, float]:
    """The values the type can hold (a decimal's precision and scale, an integer's width)."""
    if column.logical is LogicalType.INTEGER:
        lo, hi = _INT_RANGE.get(base_type(column.sql_type), (-(2**63), 2**63 - 1))
        if column.unsigned:
            return 0, hi * 2 + 1
        return lo, hi
    if column.logical is LogicalType.DECIMAL and column.precision is not None:
        top = 10.0 ** (column.precision - (column.scale or 0)) - 10.0 ** -(column.scale or 0)
        return (0.0 if column.unsigned else -top), top
    return -1e15, 1e15


def _number(column: Column, tokens: tuple[str, ...], rng: np.random.Generator) -> Prior:
    def has(*words: str) -> bool:
        return any(w in tokens for w in words)

    n = PRIOR_ROWS
    raw: np.ndarray
    if tokens and tokens[0] in ("is", "has", "can", "should", "allow", "enabled", "active"):
        raw, what = rng.random(n) < 0.7, "0/1 flags"
    elif has("age"):
        raw, what = rng.integers(18, 90, n), "ages 18-89"
    elif has("year", "yr"):
        raw, what = rng.integers(1990, dt.date.today().year + 1, n), "recent years"
    elif has("month"):
        raw, what = rng.integers(1, 13, n), "months 1-12"
    elif has("day"):
        raw, what = rng.integers(1, 29, n), "days of the month"
    elif has("hour"):
        raw, what = rng.integers(0, 24, n), "hours"
    elif has("minute", "minutes", "second", "seconds"):
        raw, what = rng.integers(0, 60, n), "minutes/seconds"
    elif has("lat", "latitude"):
        raw, what = rng.uniform(-60, 70, n), "latitudes"
    elif has("lon", "lng", "longitude", "long"):
        raw, what = rng.uniform(-180, 180, n), "longitudes"
    elif has("rating", "stars", "score"):
        raw, what = rng.integers(1, 6, n), "ratings 1-5"
    elif has("percent", "percentage", "pct"):
        raw, what = rng.uniform(0, 100, n), "percentages"
    elif has("rate", "ratio", "probability", "share", "discount"):
        raw, what = rng.beta(2, 8, n), "rates in [0, 1]"
    elif has("quantity", "qty", "count", "num", "number", "units", "stock", "items", "copies", "seats"):
        raw, what = rng.geometric(0.35, n), "small positive counts"
    elif has("price", "amount", "cost", "total", "balance", "salary", "fee", "revenue", "subtotal", "tax",
             "value", "payment", "charge", "budget", "income", "wage", "spend", "paid"):  # fmt: skip
        raw, what = np.exp(rng.normal(3.5, 1.1, n)), "positive right-skewed amounts"
    elif has("position", "sort", "order", "rank", "seq", "sequence", "priority", "level", "index", "idx"):
        raw, what = rng.integers(0, 100, n), "small ordinals"
    elif has("weight", "height", "width", "length", "size", "duration", "distance", "depth", "area"):
        raw, what = np.exp(rng.normal(2.5, 0.9, n)), "positive right-skewed measures"
    elif has("version", "revision", "attempts", "retries", "tries"):
        raw, what = rng.geometric(0.5, n), "small positive counts"
    else:
        raw, what = np.exp(rng.normal(4.0, 1.5, n)), "positive right-skewed numbers"
    lo, hi = _bounds(column)
    values = np.clip(np.asarray(raw, dtype=np.float64), max(lo, 0.0 if lo >= 0 else lo), hi)
    if column.logical is LogicalType.INTEGER:
        out = pd.Series(np.round(values).astype(np.int64))
    elif column.logical is LogicalType.DECIMAL:
        scale = column.scale if column.scale is not None else 2
        out = pd.Series(np.round(values, scale))
        if column.scale == 0:
            out = out.astype(np.int64)
    else:
        out = pd.Series(np.round(values, 4))
    return Prior(out, f"name '{column.name}': {what}")


# -- dates and times --------------------------------------------------------------------------


def temporal_role(name: str) -> str | None:
    """``'early'`` for a column that starts something (``created_at``), ``'late'`` for one that
    follows (``updated_at``), None otherwise."""
    tokens = set(name_tokens(name))
    if tokens & _LATE:
        return "late"
    if tokens & _EARLY:
        return "early"
    return None


def _moment(column: Column, tokens: tuple[str, ...], rng: np.random.Generator) -> Prior:
    n = PRIOR_ROWS
    today = pd.Timestamp(dt.date.today())
    words = set(tokens)
    if words & {"birth", "dob", "born", "birthday", "birthdate"}:
        days, what = -rng.uniform(18 * 365, 85 * 365, n), "dates of birth"
    elif words & {"expires", "expiry", "expiration", "due", "deadline", "valid", "until", "renewal"}:
        days, what = rng.uniform(1, 730, n), "dates in the next two years"
    else:
        # Recent, denser near today; a 'late' column (updated_at) a little later than an early
        # one, and the engine's ordering makes it so row by row.
        age = rng.exponential(300.0, n).clip(0, 5 * 365)
        if temporal_role(column.name) == "late":
            age = age * 0.5
        days, what = -age, "recent moments (the last few years, most in the last year)"
    stamps = today + pd.to_timedelta(np.round(days * 86400), unit="s")
    if column.logical is LogicalType.DATE:
        return Prior(pd.Series([s.date() for s in stamps], dtype=object), f"name '{column.name}': {what}")
    if column.logical is LogicalType.TIMESTAMPTZ:
        stamps = stamps.tz_localize("UTC")
    return Prior(pd.Series(stamps), f"name '{column.name}': {what}")


def prior_orderings(columns: Sequence[Column]) -> list[tuple[str, str]]:
    """(later, earlier) pairs of temporal columns of one table: every 'late' column after
    every 'early' column of the same logical type (``updated_at >= created_at``)."""
    early = [c for c in columns if c.logical in MOMENT and temporal_role(c.name) == "early"]
    late = [c for c in columns if c.logical in MOMENT and temporal_role(c.name) == "late"]
    return [(b.name, a.name) for b in late for a in early if a.logical is b.logical]


def prior_null_rate(column: Column) -> float:
    """The share of NULLs a nullable column gets without data."""
    if not column.nullable:
        return 0.0
    if set(name_tokens(column.name)) & _RARE:
        return LATE_NULL_RATE
    return NULL_RATE


# -- the other logical types ------------------------------------------------------------------


def _time(column: Column, tokens: tuple[str, ...], rng: np.random.Generator) -> Prior:
    seconds = rng.integers(6 * 3600, 22 * 3600, PRIOR_ROWS)
    values = [dt.time(int(s) // 3600, int(s) // 60 % 60, int(s) % 60) for s in seconds]
    return Prior(pd.Series(values, dtype=object), "type time: times of day")


def _interval(column: Column, tokens: tuple[str, ...], rng: np.random.Generator) -> Prior:
    minutes = np.round(np.exp(rng.normal(5.0, 1.5, PRIOR_ROWS)))
    return Prior(pd.Series(pd.to_timedelta(minutes, unit="min")), "type interval: minutes to weeks")


def _boolean(column: Column, tokens: tuple[str, ...], rng: np.random.Generator) -> Prior:
    p = 0.1 if set(tokens) & (_RARE | {"locked", "blocked", "test", "spam", "hidden"}) else 0.7
    return Prior(pd.Series(rng.random(PRIOR_ROWS) < p), f"boolean: {p:.0%} true")


def _enum(column: Column, tokens: tuple[str, ...], rng: np.random.Generator) -> Prior | None:
    labels = list(column.enum_labels or ())
    if not labels:
        return None
    return Prior(pd.Series(rng.choice(labels, PRIOR_ROWS), dtype=object), "enum: its labels, evenly")


def _set(column: Column, tokens: tuple[str, ...], rng: np.random.Generator) -> Prior | None:
    labels = list(column.enum_labels or ())
    if not labels:
        return None
    picks = [",".join(lab for lab in labels if rng.random() < 0.3) for _ in range(PRIOR_ROWS)]
    return Prior(pd.Series(picks, dtype=object), "set: random subsets of its labels")


def _json(column: Column, tokens: tuple[str, ...], rng: np.random.Generator) -> Prior:
    docs = [
        {
            "id": int(rng.integers(1, 10_000)),
            "name": str(rng.choice(_JSON_WORDS)),
            "active": bool(rng.random() < 0.7),
        }
        for _ in range(PRIOR_ROWS)
    ]
    return Prior(pd.Series(docs, dtype=object), "json: small objects")


_JSON_WORDS = ("alpha", "beta", "gamma", "delta", "omega", "basic", "plus", "pro")


def _array(column: Column, tokens: tuple[str, ...], rng: np.random.Generator) -> Prior | None:
    element = column.element
    if element is None:
        return None
    inner = Column(name=column.name, sql_type=column.element_sql_type or "", logical=element, nullable=False)
    items = prior_for(inner, "", seed=int(rng.integers(0, 2**31)))
    if items is None:
        return None
    pool = items.values.dropna().tolist()
    if not pool:  # an element type with no value of its own (danbooru's text[] of an empty domain)
        return None
    sizes = rng.integers(0, 5, PRIOR_ROWS)
    values = [[pool[int(i)] for i in rng.integers(0, len(pool), k)] for k in sizes]
    return Prior(pd.Series(values, dtype=object), f"array of {element}: 0-4 elements ({items.reason})")


def _bytes(column: Column, tokens: tuple[str, ...], rng: np.random.Generator) -> Prior:
    limit = min(column.length or 64, 64)
    sizes = rng.integers(min(8, limit), limit + 1, PRIOR_ROWS)
    return Prior(pd.Series([rng.bytes(int(k)) for k in sizes], dtype=object), "bytes: random content")


def _other(column: Column, rng: np.random.Generator) -> Prior | None:
    base = base_type(column.sql_type)
    n = PRIOR_ROWS
    if base in RANGE_SUBTYPES:
        return _range(column, base, rng)
    if base in BIT_TYPES:
        width = column.length or 8
        values = ["".join(rng.choice(["0", "1"], width)) for _ in range(n)]
        return Prior(pd.Series(values, dtype=object), f"{base}: random bit strings")
    if base == "money":
        return Prior(pd.Series(np.round(np.exp(rng.normal(3.5, 1.1, n)), 2)), "money: positive amounts")
    return None


def _range(column: Column, base: str, rng: np.random.Generator) -> Prior:
    n = PRIOR_ROWS
    lows = rng.integers(0, 1000, n)
    widths = rng.integers(1, 100, n)
    subtype = RANGE_SUBTYPES[base]
    if subtype in ("int", "num"):
        values = [f"[{lo},{lo + w})" for lo, w in zip(lows, widths, strict=True)]
    else:
        start = pd.Timestamp(dt.date.today()) - pd.Timedelta(days=1000)
        fmt = "%Y-%m-%d" if subtype == "date" else "%Y-%m-%d %H:%M:%S"
        values = [
            f'["{(start + pd.Timedelta(days=int(lo))).strftime(fmt)}",'
            f'"{(start + pd.Timedelta(days=int(lo + w))).strftime(fmt)}")'
            for lo, w in zip(lows, widths, strict=True)
        ]
    return Prior(pd.Series(values, dtype=object), f"{base}: ranges of 1-99 units")


_BY_TYPE: dict[LogicalType, Callable[[Column, tuple[str, ...], np.random.Generator], Prior | None]] = {
    LogicalType.TIME: _time,
    LogicalType.INTERVAL: _interval,
    LogicalType.BOOLEAN: _boolean,
    LogicalType.ENUM: _enum,
    LogicalType.SET: _set,
    LogicalType.JSON: _json,
    LogicalType.ARRAY: _array,
    LogicalType.BYTES: _bytes,
}
