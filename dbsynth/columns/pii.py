"""Personal-data (PII) detection for text columns, from the column name *and* its values.

``detect_pii(column, values, table)`` returns a :class:`PiiMatch` naming what kind of personal
data a column holds, or ``None``. Two routes lead to a match:

* **A name hint confirmed by the values.** The column name is tokenised (``FirstName``,
  ``first_name``, ``fname``, ``e_mail``, ``EmailAddress``, ``addr1`` ...) and looked up in
  :data:`_HINTS`, first match wins. The hinted kind's validator must then accept most values
  (``_CONFIRM`` share of a sample), so ``email`` holding booleans or ``city_id`` holding
  integers is *not* personal data. Non-text columns only ever match ``date_of_birth``.
* **The values alone** (misnamed columns: ``contact`` full of e-mail addresses): e-mail, URL,
  IP, IBAN (mod-97 checksum), card numbers (Luhn, 13-19 digits), international phone numbers,
  password hashes (bcrypt/argon2/crypt formats), first/last/full names (Faker's name lists of
  many locales), company names (legal-form suffixes) and long multi-word free text. Each needs
  ``_VALUES_ONLY`` share of the sample, stricter than a confirmation.

**The cardinality rule for areas and organisations.** ``city``, ``state``, ``country``,
``postcode``, ``company``, ``url`` and ``free_text`` point at a person only when they are
fine-grained: such a column is reported only when at least :data:`RARE_SHARE` of its non-blank
values are values seen fewer than ``min_count`` times, or when it has at least
:data:`QUASI_DISTINCT` distinct values (a child table repeats its parent's city on every row, so
repetition alone does not make a city coarse). Below that it is a category (``country`` with 5
ISO codes, ``status`` words): a categorical model keeps it, and the privacy rule (no value seen
fewer than ``min_count`` times) still holds there. Direct identifiers (names, e-mails, phones,
street addresses, IBANs, cards, IPs, usernames, birth dates, password hashes) match whatever
their cardinality: a model must never reproduce one, however often it repeats.

**Key columns.** A column that identifies rows (part of a primary key or a UNIQUE constraint, or
referenced by an FK: ``key=True``) names the thing its row stands for: ``countries.country_code``
is the country's code, not a person's country. The area and organisation kinds (``city``,
``state``, ``country``, ``postcode``, ``company``, ``url``, ``free_text``) never match there; the
codes are categories or code shapes, which can be made unique. Direct identifiers still match: a
unique ``users.email`` is a person's e-mail.

Blank strings count as missing for detection. Detection reads at most ``SAMPLE`` values, chosen
with a fixed seed, so the answer is deterministic.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

import pandas as pd

from dbsynth.columns.pii_formats import (
    COMPANY_SUFFIX,
    EMAIL,
    URL,
    has_letter,
    hash_format,
    iban_valid,
    is_card,
    is_date_text,
    is_international_phone,
    is_ip,
    is_name,
    is_phone,
    is_postcode,
    is_street,
    is_street_address,
    is_username,
)
from dbsynth.schema import Column, LogicalType

SAMPLE = 2000
RARE_SHARE = 0.25  # share of rows holding rare values from which an area is personal data
QUASI_DISTINCT = 50  # distinct values from which an area is personal data whatever its repetition
_CONFIRM = 0.8  # share of values a hinted kind's validator must accept
_VALUES_ONLY = 0.9  # share of values a kind must reach without any name hint
_MIN_VALUES_ONLY = 5  # fewer values than this: too little evidence without a name hint

TEXT_TYPES = (LogicalType.STRING, LogicalType.TEXT)
DATE_TYPES = (LogicalType.DATE, LogicalType.TIMESTAMP, LogicalType.TIMESTAMPTZ)


class PiiKind(StrEnum):
    """What personal data a column holds; each kind has a generator in ``FakerModel``, except
    ``free_text``, which the length-matched ``FreeTextModel`` generates."""

    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    FULL_NAME = "full_name"
    EMAIL = "email"
    PHONE = "phone"
    STREET_ADDRESS = "street_address"
    CITY = "city"
    STATE = "state"
    POSTCODE = "postcode"
    COUNTRY = "country"
    IBAN = "iban"
    CREDIT_CARD = "credit_card"
    IP_ADDRESS = "ip_address"
    USERNAME = "username"
    COMPANY = "company"
    URL = "url"
    FREE_TEXT = "free_text"
    DATE_OF_BIRTH = "date_of_birth"
    PASSWORD_HASH = "password_hash"  # never reproduced: generated as random text of the same format


# The share of known names (``_name_shares``) from which a column without a name hint holds
# names. Surnames are the long tail no list covers (a third of sakila's actors); columns of
# cities, languages, products, titles and genres of the sample datasets stay below 0.12 for
# surnames and 0.07 for full names (artists and composers, who are people, reach 0.2).
NAME_SHARE = {PiiKind.FIRST_NAME: 0.6, PiiKind.FULL_NAME: 0.35, PiiKind.LAST_NAME: 0.3}
NAME_DISTINCT = 20  # distinct values a column needs to count as names below a share of 0.6

#: Kinds subject to the cardinality rule of the module docstring.
QUASI_KINDS = frozenset(
    {
        PiiKind.CITY,
        PiiKind.STATE,
        PiiKind.COUNTRY,
        PiiKind.POSTCODE,
        PiiKind.COMPANY,
        PiiKind.URL,
        PiiKind.FREE_TEXT,
    }
)


@dataclass(frozen=True)
class PiiMatch:
    """A detection: the kind, a confidence in (0, 1], and a sentence saying why."""

    kind: PiiKind
    confidence: float
    reason: str


# -- column names ---------------------------------------------------------------------------


def name_tokens(name: str) -> tuple[str, ...]:
    """Lower-case word tokens of an identifier: ``EmailAddress`` -> ('email', 'address'),
    ``IPAddr`` -> ('ip', 'addr'), ``addr1`` -> ('addr', '1'), ``e_mail`` -> ('e', 'mail')."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", s)
    s = re.sub(r"([A-Za-z])(\d)|(\d)([A-Za-z])", lambda m: " ".join(g for g in m.groups() if g), s)
    return tuple(t.lower() for t in re.split(r"[^A-Za-z0-9]+", s) if t)


@dataclass(frozen=True)
class _Hint:
    """A kind's name hint. ``substr`` are long, distinctive words searched anywhere in the
    compact name (``customeremailaddr``); ``tokens`` are short words that must be a whole token
    (``ip`` must not fire on ``zip`` or ``shipping``); ``whole`` must be the entire name."""

    kind: PiiKind
    substr: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()
    whole: tuple[str, ...] = ()

    def matches(self, tokens: tuple[str, ...]) -> bool:
        compact = "".join(t for t in tokens if not t.isdigit())
        return (
            any(s in compact for s in self.substr)
            or any(t in self.tokens for t in tokens)
            or compact in self.whole
        )


# Order matters: the first hint that matches decides (``email_address`` is an e-mail, not a
# street address; ``user_email`` is an e-mail, not a username).
_HINTS: tuple[_Hint, ...] = (
    _Hint(PiiKind.PASSWORD_HASH, ("password", "passwd", "passwort", "passhash", "pwdhash"), ("pwd", "pw")),
    _Hint(PiiKind.EMAIL, ("email",), ("mail",), ("email",)),
    _Hint(PiiKind.IP_ADDRESS, (), ("ip", "ipv", "ipaddr", "ipaddress", "remoteaddr")),
    _Hint(PiiKind.URL, ("website", "homepage"), ("url", "uri", "link", "web", "www")),
    _Hint(PiiKind.IBAN, (), ("iban",)),
    _Hint(PiiKind.CREDIT_CARD, ("creditcard", "cardnumber", "cardno", "ccnumber"), ("cc", "pan", "ccnum")),
    _Hint(PiiKind.DATE_OF_BIRTH, ("birth", "geburt"), ("dob", "bday", "born")),
    _Hint(
        PiiKind.FIRST_NAME,
        ("firstname", "givenname", "forename", "vorname", "prenom"),
        ("fname",),
        ("first",),
    ),
    _Hint(PiiKind.LAST_NAME, ("lastname", "surname", "familyname", "nachname"), ("lname",), ("last",)),
    _Hint(
        PiiKind.FULL_NAME,
        (
            "fullname",
            "contactname",
            "customername",
            "personname",
            "displayname",
            "realname",
            "clientname",
            "employeename",
            "patientname",
            "membername",
        ),
    ),
    _Hint(
        PiiKind.USERNAME,
        ("username", "loginname", "screenname", "nickname", "userlogin"),
        ("login", "handle", "uname", "nick"),
    ),
    _Hint(PiiKind.PHONE, ("phone", "mobile", "telefon"), ("tel", "fax", "cell", "msisdn", "gsm")),
    _Hint(
        PiiKind.POSTCODE,
        ("postcode", "postalcode", "zipcode", "postleitzahl"),
        ("zip", "plz", "postal", "cep"),
    ),
    _Hint(PiiKind.STREET_ADDRESS, ("address", "street", "strasse"), ("addr", "line")),
    _Hint(PiiKind.CITY, (), ("city", "town", "locality", "municipality", "ort", "ville")),
    _Hint(PiiKind.STATE, (), ("state", "province", "region", "county", "district", "prefecture")),
    _Hint(PiiKind.COUNTRY, ("country",), ("nation",)),
    _Hint(
        PiiKind.COMPANY, ("company", "employer", "organisation", "organization"), ("firm", "org", "business")
    ),
    _Hint(
        PiiKind.FREE_TEXT,
        ("comment", "description", "remark", "feedback", "review"),
        ("note", "notes", "message", "bio", "memo", "body", "text", "details", "summary", "desc"),
    ),
)

# Tables whose bare ``name`` column holds a person's name.
_PERSON_TABLES = frozenset(
    {
        "customer",
        "customers",
        "client",
        "clients",
        "user",
        "users",
        "person",
        "people",
        "employee",
        "employees",
        "staff",
        "member",
        "members",
        "contact",
        "contacts",
        "patient",
        "patients",
        "student",
        "students",
        "author",
        "authors",
        "actor",
        "actors",
        "passenger",
        "passengers",
        "driver",
        "drivers",
    }
)


def name_hint(column_name: str, table: str = "") -> PiiKind | None:
    """The kind a column's name suggests, before looking at values (``None``: no hint)."""
    tokens = name_tokens(column_name)
    for hint in _HINTS:
        if hint.matches(tokens):
            return hint.kind
    table_tokens = name_tokens(table.rsplit(".", 1)[-1]) if table else ()
    if tokens == ("name",) and any(t in _PERSON_TABLES for t in table_tokens):
        return PiiKind.FULL_NAME
    return None


# -- value validators -----------------------------------------------------------------------

# Validator per kind, for confirming a name hint. Password hashes accept anything: whatever a
# ``password`` column holds (hashes, or worse, plain passwords) must never be reproduced.
_VALIDATORS: dict[PiiKind, Callable[[str], bool]] = {
    PiiKind.PASSWORD_HASH: lambda t: True,
    PiiKind.EMAIL: lambda t: bool(EMAIL.match(t.strip())),
    PiiKind.IP_ADDRESS: is_ip,
    PiiKind.URL: lambda t: bool(URL.match(t.strip())) or bool(re.match(r"^[\w\-]+(\.[\w\-]+)+(/\S*)?$", t)),
    PiiKind.IBAN: iban_valid,
    PiiKind.CREDIT_CARD: is_card,
    PiiKind.DATE_OF_BIRTH: is_date_text,
    PiiKind.FIRST_NAME: is_name,
    PiiKind.LAST_NAME: is_name,
    PiiKind.FULL_NAME: is_name,
    PiiKind.USERNAME: is_username,
    PiiKind.PHONE: is_phone,
    PiiKind.POSTCODE: is_postcode,
    PiiKind.STREET_ADDRESS: is_street,
    PiiKind.CITY: has_letter,
    PiiKind.STATE: has_letter,
    PiiKind.COUNTRY: has_letter,
    PiiKind.COMPANY: has_letter,
    PiiKind.FREE_TEXT: has_letter,
}


# -- name lists -----------------------------------------------------------------------------

_NAME_LOCALES = (
    "en_US",
    "en_GB",
    "en_IN",
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "pt_BR",
    "pt_PT",
    "nl_NL",
    "pl_PL",
    "sv_SE",
    "no_NO",
    "da_DK",
    "fi_FI",
    "cs_CZ",
    "hu_HU",
    "ro_RO",
    "tr_TR",
)


def fold(text: str) -> str:
    """Lower-case, accents removed: ``Gonçalves`` -> ``goncalves``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().strip()


@cache
def _name_sets() -> tuple[frozenset[str], frozenset[str]]:
    """First and last names known to Faker in the Latin-script locales of ``_NAME_LOCALES``."""
    import importlib

    first: set[str] = set()
    last: set[str] = set()
    for loc in _NAME_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        except ImportError:  # a Faker release without this locale: fewer names, same logic
            continue
        for attr in ("first_names", "first_names_male", "first_names_female"):
            first.update(fold(n) for n in getattr(provider, attr, ()))
        last.update(fold(n) for n in getattr(provider, "last_names", ()))
    return frozenset(first), frozenset(last)


def _name_shares(sample: list[str]) -> dict[PiiKind, float]:
    """Share of values that are a known first name, a known last name, or first + last.

    No list holds every surname (sakila's GRISSOM, QUALLS; northwind's Piestrzeniewicz), so a
    full name counts whole when both ends are known and half when one is (``Maria Anders``);
    a known first name counts as half a last name (surnames and given names cross over, in
    the lists and in real data). A column of city or product names reaches neither share:
    their words are rarely both at once."""
    first, last = _name_sets()
    n_first = n_last = n_full = 0.0
    for value in sample:
        parts = fold(value).replace("-", " ").split()
        if len(parts) == 1:
            n_first += parts[0] in first
            n_last += 1.0 if parts[0] in last else 0.5 if parts[0] in first else 0.0
        elif 2 <= len(parts) <= 4 and is_name(value):
            known_first = parts[0] in first
            known_last = parts[-1] in last or parts[-1] in first
            n_full += 1.0 if known_first and known_last else 0.5 if known_first or parts[-1] in last else 0.0
    n = len(sample)
    return {PiiKind.FIRST_NAME: n_first / n, PiiKind.LAST_NAME: n_last / n, PiiKind.FULL_NAME: n_full / n}


# -- detection ------------------------------------------------------------------------------


def _share(sample: list[str], test: Callable[[str], bool]) -> float:
    return sum(1 for v in sample if test(v)) / len(sample) if sample else 0.0


def rare_share(values: pd.Series, min_count: int) -> float:
    """Share of values whose value occurs fewer than ``min_count`` times in ``values``."""
    if values.empty:
        return 0.0
    counts = values.value_counts()
    return float(counts[counts < min_count].sum() / len(values))


def fine_grained(values: pd.Series, min_count: int) -> str | None:
    """Why ``values`` (non-blank) are too fine-grained to be a category, or None when they are
    coarse: the cardinality rule of the module docstring."""
    rare = rare_share(values, min_count)
    if rare >= RARE_SHARE:
        return f"{rare:.0%} of values are rare (seen < {min_count} times)"
    distinct = int(values.nunique())
    if distinct >= QUASI_DISTINCT:
        return f"{distinct} distinct values"
    return None


def _nonblank_text(values: pd.Series) -> pd.Series:
    s = values.dropna()
    s = s.astype(str)
    return s[s.str.strip() != ""]


def _sample(values: pd.Series) -> list[str]:
    if len(values) > SAMPLE:
        values = values.sample(SAMPLE, random_state=0)
    return [str(v) for v in values]


def _values_only(sample: list[str], full: pd.Series, min_count: int) -> PiiMatch | None:
    """Detection without a name hint; strict thresholds (see the module docstring)."""
    n = len(sample)
    if n < _MIN_VALUES_ONLY:
        return None

    def match(kind: PiiKind, share: float, what: str) -> PiiMatch:
        return PiiMatch(kind, round(0.5 + 0.4 * share, 3), f"{share:.0%} of {n} values {what} (no name hint)")

    strong: tuple[tuple[PiiKind, Callable[[str], bool], str], ...] = (
        (PiiKind.EMAIL, _VALIDATORS[PiiKind.EMAIL], "are e-mail addresses"),
        (PiiKind.URL, lambda t: bool(URL.match(t.strip())), "are URLs"),
        (PiiKind.IP_ADDRESS, is_ip, "are IP addresses"),
        (PiiKind.IBAN, iban_valid, "are IBANs with a valid checksum"),
        (PiiKind.CREDIT_CARD, is_card, "are card numbers passing the Luhn check"),
        (PiiKind.PASSWORD_HASH, lambda t: hash_format(t) not in (None, "hex"), "are password hashes"),
        (PiiKind.PHONE, is_international_phone, "are formatted phone numbers"),
    )
    for kind, test, what in strong:
        share = _share(sample, test)
        if share >= _VALUES_ONLY and (kind not in QUASI_KINDS or fine_grained(full, min_count)):
            return match(kind, share, what)
    # Phones written the way a country writes them ("030-0074321", "(5) 555-4729"): most values
    # phone-shaped and a fair share with a phone's own marks, so ISBNs and order numbers (all
    # digits and dashes) do not count.
    phones, marked = _share(sample, is_phone), _share(sample, is_international_phone)
    if phones >= _VALUES_ONLY and marked >= 0.25 and fine_grained(full, min_count):
        return match(PiiKind.PHONE, phones, "are phone numbers")
    # Names must be most of the rows *and* most of the distinct values: a code column that is
    # 96 % 'US' (also a first name in Faker's lists) repeats one label, it lists no people.
    by_row, by_value = _name_shares(sample), _name_shares(list(dict.fromkeys(sample)))
    # In this order: a first name also counts as half a surname, so a column of first names
    # reaches the surname share as well. Below 0.6 the values must also be many and
    # fine-grained: five ISO codes (US, FR, DE), a few colours (Brown, Green) or pagila's six
    # languages (English, French, German) are in the lists, and a category.
    many = full.nunique() >= NAME_DISTINCT and fine_grained(full, min_count) is not None
    for kind, least in NAME_SHARE.items():
        share = min(by_row[kind], by_value[kind])
        if share >= least and (share >= 0.6 or many):
            return match(kind, share, f"are known {kind.value.replace('_', ' ')}s")
    if fine_grained(full, min_count) is None:
        return None
    share = _share(sample, is_street_address)
    if share >= 0.6:
        return match(PiiKind.STREET_ADDRESS, share, "are street addresses (a number and a street word)")
    share = _share(sample, lambda t: bool(COMPANY_SUFFIX.search(t.strip())))
    if share >= 0.6:
        return match(PiiKind.COMPANY, share, "end in a company legal form")
    # Free text needs sentences: product descriptors such as "10 boxes x 20 bags" are not personal.
    words = sorted(len(v.split()) for v in sample)[n // 2]
    if words >= 8 and full.nunique() >= 0.8 * len(full):
        reason = f"median {words} words per value, {full.nunique()} distinct (no name hint)"
        return PiiMatch(PiiKind.FREE_TEXT, 0.6, reason)
    return None


def detect_pii(
    column: Column, values: pd.Series, table: str = "", min_count: int = 5, *, key: bool = False
) -> PiiMatch | None:
    """What personal data ``column`` holds, judged from its name and ``values`` (NULLs allowed).

    ``table`` (key or bare name) lets a bare ``name`` column of ``customer`` count as a person's
    name; ``min_count`` is the privacy threshold of the cardinality rule; ``key`` says the column
    identifies rows, where areas and organisations are not personal data (module docstring).
    """
    match = _detect(column, values, table, min_count, key)
    if match is not None and key and match.kind in QUASI_KINDS:
        return None
    return match


def _detect(column: Column, values: pd.Series, table: str, min_count: int, key: bool) -> PiiMatch | None:
    hinted = name_hint(column.name, table)
    if key and hinted in QUASI_KINDS:
        hinted = None  # a key's name says what the row is, not what it says about a person
    if column.logical in DATE_TYPES:
        if hinted is PiiKind.DATE_OF_BIRTH:
            reason = f"{column.logical.value} column named '{column.name}'"
            return PiiMatch(PiiKind.DATE_OF_BIRTH, 0.9, reason)
        return None
    if column.logical not in TEXT_TYPES:
        return None
    full = _nonblank_text(values)
    if full.empty:
        return None
    sample = _sample(full)
    if hinted is not None:
        share = _share(sample, _VALIDATORS[hinted])
        grain = fine_grained(full, min_count) if hinted in QUASI_KINDS else ""
        if share >= _CONFIRM and grain is not None:
            reason = f"column name '{column.name}' and {share:.0%} of {len(sample)} values fit {hinted.value}"
            if grain:
                reason += f"; {grain}"
            return PiiMatch(hinted, round(min(0.99, 0.6 + 0.39 * share), 3), reason)
    return _values_only(sample, full, min_count)
