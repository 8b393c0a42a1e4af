"""Text column models: personal data through Faker, codes through shapes, free text by length.

:func:`choose_text_model` is the decision for a STRING/TEXT column that the caller has already
found not to be a low-cardinality category:

1. **Personal data** (:func:`dbsynth.columns.pii.detect_pii` matches) -> :class:`FakerModel`,
   except ``free_text`` (comments, notes, reviews) -> :class:`FreeTextModel`.
2. **Codes** -> :class:`ShapeModel`: at least ``CODE_COVERAGE`` of the values fall into at most
   ``MAX_SHAPES`` shapes, each seen at least ``min_count`` times, the median value has at most
   64 characters, and every such shape is code-like (:func:`is_code_like`): it has digits
   (``SKU-000123``, ``tt0111161``, ``INV2023/0042``) or hex runs (UUIDs), or it has no whitespace
   and only fixed-length letter runs (``JFK``, ``AB-CD``). Titles such as ``ACADEMY DINOSAUR``
   (words of varying length) are not codes.
3. Anything else -> :class:`FreeTextModel`.

**Unique columns.** ``from_uniform`` only receives uniforms and an RNG stream per chunk, so
it cannot promise uniqueness across chunks. Models here also implement
``from_index(index, rng)`` (:class:`IndexedModel`): the engine passes the global row indexes of
the chunk, and the values are unique by construction because an injective image of the index
sits at a fixed place in every value (``user1234@example.org``, the last digits of a phone
number, the digit runs of a code). Values stay deterministic for a given RNG state.

**Determinism.** Faker is never used with global state: each call builds a Faker for the
model's locale and seeds it with an integer drawn from the caller's RNG, so the same RNG state
gives the same values (for a given Faker release).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from dbsynth.columns.base import ColumnModel, FitContext, clip_unit, register
from dbsynth.columns.pii import (
    DATE_TYPES,
    TEXT_TYPES,
    PiiKind,
    PiiMatch,
    detect_pii,
    hash_format,
    iban_check_digits,
    luhn_check_digit,
)
from dbsynth.errors import GenerationError, ModelError, UsageError, did_you_mean
from dbsynth.schema import Column

CODE_COVERAGE = 0.9
SHAPE_SAMPLE = 50_000
MAX_SHAPES = 3


@runtime_checkable
class IndexedModel(Protocol):
    """A model that can generate values unique by construction from global row indexes.

    ``from_index(index, rng)``: ``index`` holds distinct non-negative row numbers (the rows of
    one chunk, numbered across the whole table); distinct indexes give distinct values, whatever
    ``rng`` is, so chunks generated with independent RNG streams never collide. Raises
    :class:`GenerationError` when an index exceeds what the model can make unique.
    """

    def from_index(self, index: np.ndarray, rng: np.random.Generator) -> np.ndarray: ...


# -- shared helpers -------------------------------------------------------------------------

MAX_KEY = 2**64  # permutations work on uint64; larger capacities are capped here (still injective)
_ROUND_KEYS = (0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89)


def _feistel(x: np.ndarray, half: int) -> np.ndarray:
    """A 4-round Feistel network on ``2 * half``-bit integers: a bijection whatever the round
    function, which only has to scatter bits."""
    mask = np.uint64((1 << half) - 1)
    shift = np.uint64(half)
    left, right = x >> shift, x & mask
    for key in _ROUND_KEYS:
        f = (right * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(key)
        f ^= f >> np.uint64(29)
        f = (f * np.uint64(0xBF58476D1CE4E5B9)) & mask
        left, right = right, left ^ f
    return (left << shift) | right


def permute(index: np.ndarray, modulus: int, what: str) -> list[int]:
    """A fixed bijection of ``[0, modulus)`` (``modulus <= MAX_KEY``) applied to ``index``:
    distinct in, distinct out, and neighbouring rows get unrelated-looking keys. It is a Feistel
    network on the next even power of two, cycle-walked back into range. The map must not depend
    on the RNG, or chunks drawn from independent streams would collide.

    Raises :class:`GenerationError` for an index outside ``[0, modulus)``.
    """
    if modulus > MAX_KEY:
        raise ValueError(f"permute works up to {MAX_KEY}, got {modulus}")
    idx = np.asarray(index, dtype=np.int64).ravel()
    if idx.size and (idx.min() < 0 or idx.max() >= modulus):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise GenerationError(
            f"cannot make more than {modulus:,} unique {what}: row index {bad} is out of range"
        )
    half = max(1, math.ceil(max(1, (modulus - 1).bit_length()) / 2))
    with np.errstate(over="ignore"):  # uint64 products wrap on purpose
        x = _feistel(idx.astype(np.uint64), half)
        out_of_range = x >= np.uint64(modulus) if modulus < MAX_KEY else np.zeros(len(x), dtype=bool)
        while out_of_range.any():  # cycle walking: each step stays inside the permutation's cycle
            x[out_of_range] = _feistel(x[out_of_range], half)
            out_of_range = x >= np.uint64(modulus)
    return [int(v) for v in x]


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**63 - 1))


@cache
def _locale_ok(locale: str) -> None:
    from faker.config import AVAILABLE_LOCALES

    if locale not in AVAILABLE_LOCALES:
        raise UsageError(f"unknown Faker locale '{locale}'." + did_you_mean(locale, AVAILABLE_LOCALES))


POOL_SIZE = 4096  # Faker calls per chunk at most; rows draw from that pool


def _pooled(n: int, rng: np.random.Generator, make: Callable[[], str]) -> list[str]:
    """``n`` values drawn from a pool of at most ``POOL_SIZE`` Faker values.

    A Faker call costs tens of microseconds, which would make Faker the bottleneck of a COPY-speed
    load (50k rows per chunk). Faker's own lists are smaller than the pool (a locale has about a
    thousand first names), so drawing from a pool loses no variety; uniqueness, where required, is
    added by the callers from the row index as before.
    """
    m = min(n, POOL_SIZE)
    pool = [make() for _ in range(m)]
    if m == n:
        return pool
    return [pool[i] for i in rng.integers(0, m, n).tolist()]


def _faker(locale: str, rng: np.random.Generator) -> Any:
    """A fresh Faker for ``locale`` seeded from ``rng`` (no shared state between calls).

    Without weighting: Faker then draws names uniformly from its lists instead of by their
    real-world frequency, which makes en_US names, companies and streets about ten times
    faster (weighted draws rebuild cumulative weights on every call)."""
    from faker import Faker

    fake = Faker(locale, use_weighting=False)
    fake.seed_instance(_seed(rng))
    return fake


def _case_of(values: Sequence[str]) -> Literal["as_is", "upper", "lower"]:
    """``upper``/``lower`` when at least 90% of the values with letters are written so."""
    # map(str.isalpha, ...) rather than a generator: the same test, several times faster per value.
    lettered = [v for v in values if any(map(str.isalpha, v))]
    if not lettered:
        return "as_is"
    if sum(v == v.upper() for v in lettered) >= 0.9 * len(lettered):
        return "upper"
    if sum(v == v.lower() for v in lettered) >= 0.9 * len(lettered):
        return "lower"
    return "as_is"


def _texts(values: pd.Series) -> list[str]:
    """``str()`` of every non-NULL value, in order (``tolist`` instead of iterating: iterating an
    arrow-backed string column costs a Python call per value)."""
    items = values.dropna().tolist()
    return items if isinstance(values.dtype, pd.StringDtype) else [str(v) for v in items]


def _cut(text: str, limit: int | None) -> str:
    """Shorten to ``limit`` chars at a word boundary when that keeps at least half of it."""
    if limit is None or len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    if space >= limit // 2:
        head = head[:space]
    return head.rstrip(" ,-/")


def _blank_split(values: pd.Series) -> tuple[list[str], float]:
    text = _texts(values)
    filled = [v for v in text if v.strip()]
    return filled, (1.0 - len(filled) / len(text)) if text else 0.0


# -- personal data ---------------------------------------------------------------------------

Variant = Literal[
    "", "ipv4", "ipv6", "alpha2", "alpha3", "name", "plain", "spaced", "dashed",
    "bcrypt", "argon2", "crypt", "pbkdf2", "hex32", "hex40", "hex64", "hex128", "text", "date",
]  # fmt: skip
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")  # reserved (RFC 2606): no real inbox
_SHORT_DOMAIN = "ex.test"  # reserved TLD, for columns too narrow for example.com
_PHONE_MASK = re.compile(r"^[#+()\-. /]*$")
_PHONE_UNIQUE_DIGITS = 7  # last 7 digits of a phone number carry the row index: 10 million rows
_ACCOUNT_UNIQUE_DIGITS = 8  # IBAN / card digits that carry the row index
_HASH_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_DOB_MIN_AGE, _DOB_MAX_AGE = 18, 90
# Kinds whose letter case follows the source (pagila's "MARY.SMITH@..."); formats such as IBANs,
# hashes and phones keep their own.
_CASED_KINDS = frozenset(
    {
        PiiKind.FIRST_NAME, PiiKind.LAST_NAME, PiiKind.FULL_NAME, PiiKind.EMAIL, PiiKind.USERNAME,
        PiiKind.URL, PiiKind.COMPANY, PiiKind.STREET_ADDRESS, PiiKind.CITY, PiiKind.STATE,
        PiiKind.COUNTRY, PiiKind.POSTCODE,
    }
)  # fmt: skip


def _phone_masks(values: list[str], min_count: int) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Digit masks (``+# (###) ###-####``) seen at least ``min_count`` times, covering at least
    half the values. A mask keeps only formatting characters, never a digit or a letter."""
    masks = Counter(re.sub(r"\d", "#", v.strip()) for v in values)
    kept = [
        (m, c)
        for m, c in masks.most_common(5)
        if c >= min_count and _PHONE_MASK.match(m) and m.count("#") >= _PHONE_UNIQUE_DIGITS
    ]
    total = sum(c for _, c in kept)
    if not kept or total < 0.5 * len(values):
        return (), ()
    return tuple(m for m, _ in kept), tuple(round(c / total, 6) for _, c in kept)


def _variant(kind: PiiKind, values: list[str], column: Column) -> Variant:
    def share(test: Callable[[str], bool]) -> float:
        return sum(1 for v in values if test(v)) / len(values) if values else 0.0

    if kind is PiiKind.IP_ADDRESS:
        return "ipv6" if share(lambda v: ":" in v) >= 0.5 else "ipv4"
    if kind is PiiKind.COUNTRY:
        if share(lambda v: bool(re.fullmatch(r"[A-Z]{2}", v))) >= 0.9:
            return "alpha2"
        return "alpha3" if share(lambda v: bool(re.fullmatch(r"[A-Z]{3}", v))) >= 0.9 else "name"
    if kind in (PiiKind.CREDIT_CARD, PiiKind.IBAN):
        if share(lambda v: " " in v.strip()) >= 0.5:
            return "spaced"
        return "dashed" if kind is PiiKind.CREDIT_CARD and share(lambda v: "-" in v) >= 0.5 else "plain"
    if kind is PiiKind.PASSWORD_HASH:
        formats = Counter(hash_format(v) for v in values).most_common(1)
        fmt = formats[0][0] if formats else None
        if fmt == "hex":
            return f"hex{Counter(len(v) for v in values).most_common(1)[0][0]}"  # type: ignore[return-value]
        return fmt or "text"  # type: ignore[return-value]
    if kind is PiiKind.DATE_OF_BIRTH:
        return "date" if column.logical in DATE_TYPES else "text"
    return ""


@register("faker")
@dataclass(frozen=True)
class FakerModel(ColumnModel):
    """Personal data generated by Faker; the model holds *no value* of the source column.

    Fields: the PII kind, the Faker locale, the declared maximum length, the mean length and
    the share of blank strings (statistics, not values), the letter case, a ``variant`` from a
    closed vocabulary (IPv4/IPv6, country codes or names, card grouping, hash format, date or
    text birth dates) and, for phones, digit masks (``+# (###) ###-####``: formatting only).
    ``anchor`` is the fit date that birth dates count ages back from, so generation does not
    depend on the day it runs.

    ``to_uniform`` is uniform noise outside the blank share: the values carry no order, so the
    copula learns nothing from them beyond blanks. E-mails and URLs use reserved domains
    (``example.com/org/net``), so no real inbox or site is ever produced.
    """

    pii: PiiKind
    locale: str = "en_US"
    max_length: int | None = None
    mean_length: float = 0.0
    blank_rate: float = 0.0
    case: Literal["as_is", "upper", "lower"] = "as_is"
    variant: Variant = ""
    formats: tuple[str, ...] = ()
    format_weights: tuple[float, ...] = ()
    anchor: str = ""

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> FakerModel:
        match = detect_pii(column, values, ctx.table, ctx.min_count)
        if match is None:
            raise ModelError(
                f"column '{column.name}' does not look like personal data; the faker model needs a kind"
            )
        return cls.for_kind(match.kind, values, column, ctx)

    @classmethod
    def for_kind(cls, kind: PiiKind, values: pd.Series, column: Column, ctx: FitContext) -> FakerModel:
        """Fit for a known ``kind`` (from :func:`detect_pii` or from the user's config)."""
        if kind is PiiKind.FREE_TEXT:
            raise ModelError(f"column '{column.name}' holds free text: use the free_text model")
        _locale_ok(ctx.locale)
        filled, blank_rate = _blank_split(values)
        formats, weights = _phone_masks(filled, ctx.min_count) if kind is PiiKind.PHONE else ((), ())
        case_source = [v.split("@")[0] for v in filled] if kind is PiiKind.EMAIL else filled
        return cls(
            pii=kind,
            locale=ctx.locale,
            max_length=column.length,
            mean_length=round(float(np.mean([len(v) for v in filled])), 1) if filled else 0.0,
            blank_rate=round(blank_rate, 6),
            case=_case_of(case_source) if kind in _CASED_KINDS else "as_is",
            variant=_variant(kind, filled, column),
            formats=formats,
            format_weights=weights,
            anchor=dt.date.today().isoformat() if kind is PiiKind.DATE_OF_BIRTH else "",
        )

    # -- the column-model contract ----------------------------------------------------------

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        text = values.astype(str).str.strip().to_numpy()
        noise = rng.random(len(text))
        u = np.where(text == "", noise * self.blank_rate, self.blank_rate + noise * (1.0 - self.blank_rate))
        return clip_unit(u)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        u = np.asarray(u, dtype=np.float64)
        out = self._values(len(u), rng, None)
        if self.variant != "date":
            out[u < self.blank_rate] = ""
        return out

    def from_index(self, index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Values unique by construction (see :class:`IndexedModel`); never blank."""
        return self._values(len(index), rng, np.asarray(index, dtype=np.int64))

    def describe(self) -> str:
        what = self.pii.value + (f" ({self.variant})" if self.variant else "")
        extra = f", max {self.max_length} chars" if self.max_length else ""
        return f"personal data: Faker {what}, locale {self.locale}{extra}; no source value kept"

    # -- generation -------------------------------------------------------------------------
    # Each generator takes (n, rng, index): ``index`` None for free draws, else the row indexes
    # whose injective image it writes into every value. All return final values (cased, sized).

    def _values(self, n: int, rng: np.random.Generator, index: np.ndarray | None) -> np.ndarray:
        make = {
            PiiKind.EMAIL: self._emails,
            PiiKind.USERNAME: self._usernames,
            PiiKind.URL: self._urls,
            PiiKind.PHONE: self._phones,
            PiiKind.IBAN: self._ibans,
            PiiKind.CREDIT_CARD: self._cards,
            PiiKind.IP_ADDRESS: self._ips,
            PiiKind.PASSWORD_HASH: self._hashes,
            PiiKind.DATE_OF_BIRTH: self._dates,
        }.get(self.pii, self._plain)
        out = make(n, rng, index)
        return out if isinstance(out, np.ndarray) else np.array(out, dtype=object)

    def _cased(self, value: str) -> str:
        if self.case == "upper":
            return value.upper()
        if self.case == "lower":
            return value.lower()
        return value

    def _room(self, fixed: int, unique: bool = True) -> int:
        """Characters left for the free part of a value when ``fixed`` are spoken for; a unique
        value that leaves no room is an error (a free one is cut to the column later)."""
        if self.max_length is None:
            return 10**9
        if self.max_length - fixed < 1 and unique:
            raise GenerationError(
                f"{self.pii.value} values cannot be made unique within {self.max_length} characters"
            )
        return max(1, self.max_length - fixed)

    def _sized(self, values: list[str], unique: bool) -> list[str]:
        """Values whose format must stay whole (IBANs, cards, hashes): cut only when not unique."""
        if self.max_length is None or all(len(v) <= self.max_length for v in values):
            return values
        if unique:
            longest = max(len(v) for v in values)
            raise GenerationError(
                f"{self.pii.value} values need {longest} characters; the column allows {self.max_length}"
            )
        return [v[: self.max_length] for v in values]

    def _plain(self, n: int, rng: np.random.Generator, index: np.ndarray | None) -> list[str]:
        """Names, places, companies: one Faker call per value. Unique values end with the row
        index as their last word ("Acme Ltd 1234"), which no other value can share."""
        fake = _faker(self.locale, rng)
        call = _FAKER_CALLS[self.pii]
        base = _pooled(n, rng, lambda: self._cased(call(fake, self.variant)))
        if index is None:
            return [_cut(v, self.max_length) for v in base]
        return [_cut(v, self._room(len(f" {i}"))) + f" {i}" for v, i in zip(base, index, strict=True)]

    def _emails(self, n: int, rng: np.random.Generator, index: np.ndarray | None) -> list[str]:
        fake = _faker(self.locale, rng)
        domains = rng.choice(len(_EMAIL_DOMAINS), n)
        if index is None:
            locals_ = _pooled(n, rng, fake.user_name)
        else:  # no digit left in the name: the digits before '@' are the index
            locals_ = _pooled(
                n, rng, lambda: re.sub(r"[^A-Za-z._]", "", fake.user_name()).strip("._") or "user"
            )
        out = []
        for row in range(n):
            local, suffix = locals_[row], ""
            if index is not None:
                suffix = str(index[row])
            domain = _EMAIL_DOMAINS[domains[row]]
            if self.max_length is not None and len(domain) + 2 + len(suffix) > self.max_length:
                domain = _SHORT_DOMAIN
            local = local[: self._room(len(domain) + 1 + len(suffix), index is not None)].rstrip(".")
            out.append(self._cased(local + suffix) + "@" + domain)  # the domain stays lower case
        return out if index is not None else self._sized(out, unique=False)

    def _usernames(self, n: int, rng: np.random.Generator, index: np.ndarray | None) -> list[str]:
        fake = _faker(self.locale, rng)
        names = _pooled(n, rng, lambda: self._cased(fake.user_name()))
        if index is None:
            return [v[: self.max_length] if self.max_length else v for v in names]
        out = []
        for name, i in zip(names, index, strict=True):  # digits stripped: the trailing digits are the index
            body = re.sub(r"[^A-Za-z._]", "", name).rstrip("._") or "user"
            out.append(body[: self._room(len(str(i)))] + str(i))
        return out

    def _urls(self, n: int, rng: np.random.Generator, index: np.ndarray | None) -> list[str]:
        fake = _faker(self.locale, rng)
        domains = rng.choice(len(_EMAIL_DOMAINS), n)
        out = []
        slugs = _pooled(n, rng, lambda: self._cased(fake.slug()))
        for row in range(n):
            head = f"https://www.{_EMAIL_DOMAINS[domains[row]]}/"
            slug = slugs[row]
            suffix = "" if index is None else f"-{index[row]}"  # the text after the last '-'
            out.append(head + slug[: self._room(len(head) + len(suffix), index is not None)] + suffix)
        return self._sized(out, unique=False) if index is None else out

    def _phones(self, n: int, rng: np.random.Generator, index: np.ndarray | None) -> list[str]:
        """Digits poured into a mask (the source's masks, else the format of a Faker number);
        unique phones carry the permuted index in their last ``_PHONE_UNIQUE_DIGITS`` digits, so
        two equal phone numbers would encode the same row."""
        if self.formats:
            weights = np.array(self.format_weights) / sum(self.format_weights)
            masks = [self.formats[m] for m in rng.choice(len(self.formats), n, p=weights)]
        else:
            fake = _faker(self.locale, rng)
            numbers = _pooled(n, rng, lambda: re.split(r"(?i)x|ext", fake.phone_number())[0].strip())
            if index is None and all(len(v) <= (self.max_length or 10**9) for v in numbers):
                return numbers
            masks = [re.sub(r"\d", "#", v) for v in numbers]
        limit = self.max_length or 10**9
        narrow = "#" * min(limit, 10)
        if index is not None and len(narrow) < _PHONE_UNIQUE_DIGITS:
            raise GenerationError(f"phone numbers cannot be made unique within {self.max_length} characters")
        masks = [m if m.count("#") >= _PHONE_UNIQUE_DIGITS and len(m) <= limit else narrow for m in masks]
        keys = None if index is None else permute(index, 10**_PHONE_UNIQUE_DIGITS, "phone numbers")
        width = max((m.count("#") for m in masks), default=0)
        digits = rng.integers(0, 10, size=(n, width)).astype(np.uint8) + ord("0")
        if keys is not None:  # the key's digits, most significant first, end every number
            key_digits = np.array(
                [f"{k:0{_PHONE_UNIQUE_DIGITS}d}" for k in keys], dtype=f"S{_PHONE_UNIQUE_DIGITS}"
            )
            key_digits = key_digits.view(np.uint8).reshape(n, _PHONE_UNIQUE_DIGITS)
        out = np.empty(n, dtype=object)
        order = np.array(masks, dtype=object)
        for mask in set(masks):  # fill all numbers of one mask at once
            rows = np.flatnonzero(order == mask)
            encoded = mask.encode("utf-8")
            chars = np.tile(np.frombuffer(encoded, dtype=np.uint8), (len(rows), 1))
            holes = np.flatnonzero(chars[0] == ord("#"))
            chars[:, holes] = digits[rows, : len(holes)]
            if keys is not None:
                chars[:, holes[-_PHONE_UNIQUE_DIGITS:]] = key_digits[rows]
            raw = np.ascontiguousarray(chars).view(f"S{len(encoded)}").ravel()
            out[rows] = [b.decode("utf-8") for b in raw.tolist()]
        return list(out)

    def _ibans(self, n: int, rng: np.random.Generator, index: np.ndarray | None) -> list[str]:
        fake = _faker(self.locale, rng)
        keys = None if index is None else permute(index, 10**_ACCOUNT_UNIQUE_DIGITS, "IBANs")
        out = []
        for row in range(n):
            iban = fake.iban()
            country, bban = iban[:2], iban[4:]
            if keys is not None:
                if sum(ch.isdigit() for ch in bban) < _ACCOUNT_UNIQUE_DIGITS:
                    bban = bban + "0" * _ACCOUNT_UNIQUE_DIGITS  # a BBAN too short to carry the key
                bban = _embed_digits(bban, f"{keys[row]:0{_ACCOUNT_UNIQUE_DIGITS}d}")
            iban = country + iban_check_digits(country, bban) + bban
            out.append(
                " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
                if self.variant == "spaced"
                else iban
            )
        return self._sized(out, unique=index is not None)

    def _cards(self, n: int, rng: np.random.Generator, index: np.ndarray | None) -> list[str]:
        fake = _faker(self.locale, rng)
        keys = None if index is None else permute(index, 10**_ACCOUNT_UNIQUE_DIGITS, "card numbers")
        out = []
        for row in range(n):
            number = fake.credit_card_number()
            if keys is not None:  # the key sits just before the check digit, then Luhn is redone
                payload = _embed_digits(number[:-1], f"{keys[row]:0{_ACCOUNT_UNIQUE_DIGITS}d}")
                number = payload + luhn_check_digit(payload)
            if self.variant in ("spaced", "dashed"):
                sep = " " if self.variant == "spaced" else "-"
                number = sep.join(number[i : i + 4] for i in range(0, len(number), 4))
            out.append(number)
        return self._sized(out, unique=index is not None)

    def _ips(self, n: int, rng: np.random.Generator, index: np.ndarray | None) -> list[str]:
        if index is None:
            fake = _faker(self.locale, rng)
            return [fake.ipv6() if self.variant == "ipv6" else fake.ipv4_public() for _ in range(n)]
        if self.variant == "ipv6":  # unique local addresses (fd00::/8): never a routable host
            return [
                "fd00:" + ":".join(f"{(k >> s) & 0xFFFF:x}" for s in (48, 32, 16, 0)) + "::1"
                for k in permute(index, 2**64, "IPv6 addresses")
            ]
        return [f"10.{k >> 16}.{(k >> 8) & 255}.{k & 255}" for k in permute(index, 2**24, "IPv4 addresses")]

    def _hashes(self, n: int, rng: np.random.Generator, index: np.ndarray | None) -> list[str]:
        """Random strings in the source's hash format, never derived from any source value."""
        variant = self.variant
        if variant.startswith("hex"):
            prefix, alphabet, size = "", "0123456789abcdef", int(variant[3:])
        elif variant == "bcrypt":
            prefix, alphabet, size = "$2b$12$", _HASH_ALPHABET, 53
        else:  # argon2/crypt/pbkdf2/plain text: a random token of about the mean length
            prefix, alphabet, size = "", _HASH_ALPHABET[2:], max(16, round(self.mean_length))
        table = np.array(list(alphabet))
        bodies = ["".join(row) for row in table[rng.integers(0, len(alphabet), size=(n, size))]]
        if index is not None:  # the first characters spell the permuted index in the alphabet
            width = int(64 // math.log2(len(alphabet)))  # alphabet ** width <= 2 ** 64 = MAX_KEY
            keys = permute(index, len(alphabet) ** width, "password hashes")
            bodies = [_in_base(k, alphabet, width) + b[width:] for k, b in zip(keys, bodies, strict=True)]
        return self._sized([prefix + b for b in bodies], unique=index is not None)

    def _dates(self, n: int, rng: np.random.Generator, index: np.ndarray | None) -> np.ndarray:
        """Birth dates of people aged 18-90 on the fit day; unique ones map the row index to a
        distinct day, so at most about 26,000 rows can have unique birth dates."""
        span = (_DOB_MAX_AGE - _DOB_MIN_AGE) * 365
        if index is None:
            days = rng.integers(0, span, n)
        else:
            days = np.array(permute(index, span, "birth dates"), dtype=np.int64)
        anchor = np.datetime64(self.anchor or "2000-01-01", "D")
        dates = anchor - np.timedelta64(_DOB_MIN_AGE * 365, "D") - days.astype("timedelta64[D]")
        if self.variant == "date":
            return dates
        return np.array([str(d) for d in dates], dtype=object)


def _embed_digits(text: str, digits: str) -> str:
    """Overwrite the last ``len(digits)`` digit characters of ``text`` with ``digits``."""
    chars = list(text)
    positions = [i for i, ch in enumerate(chars) if ch.isdigit()][-len(digits) :]
    for pos, d in zip(positions, digits[-len(positions) :], strict=True):
        chars[pos] = d
    return "".join(chars)


def _in_base(number: int, alphabet: str, width: int) -> str:
    out = []
    for _ in range(width):
        number, r = divmod(number, len(alphabet))
        out.append(alphabet[r])
    return "".join(reversed(out))


def _state(fake: Any) -> str:
    for method in ("state", "administrative_unit", "region"):
        if hasattr(fake, method):
            return str(getattr(fake, method)())
    return str(fake.city())


_FAKER_CALLS: dict[PiiKind, Callable[[Any, str], str]] = {
    PiiKind.FIRST_NAME: lambda f, v: f.first_name(),
    PiiKind.LAST_NAME: lambda f, v: f.last_name(),
    PiiKind.FULL_NAME: lambda f, v: f"{f.first_name()} {f.last_name()}",
    PiiKind.STREET_ADDRESS: lambda f, v: f.street_address(),
    PiiKind.CITY: lambda f, v: f.city(),
    PiiKind.STATE: lambda f, v: _state(f),
    PiiKind.POSTCODE: lambda f, v: f.postcode(),
    PiiKind.COUNTRY: lambda f, v: (
        f.country_code("alpha-3" if v == "alpha3" else "alpha-2")
        if v in ("alpha2", "alpha3")
        else f.country()
    ),
    PiiKind.COMPANY: lambda f, v: f.company(),
    PiiKind.IP_ADDRESS: lambda f, v: f.ipv6() if v == "ipv6" else f.ipv4_public(),
}


# -- codes: shapes ---------------------------------------------------------------------------

SegmentKind = Literal["literal", "choice", "digits", "letters", "hex", "alnum"]
RUN_KINDS = ("digits", "letters", "hex", "alnum")
CASES = ("upper", "lower", "title", "mixed")  # order of ``Segment.case_weights``
_SEPARATOR = re.compile(r"([^A-Za-z0-9])")
_SUB_RUN = re.compile(r"[A-Za-z]+|[0-9]+")
_CHOICE_COVERAGE = 0.95  # frequent tokens must cover this share of a slot to make it a choice
_MAX_CHOICES = 20
_ALPHABETS = {
    "digits": "0123456789",
    "letters": "abcdefghijklmnopqrstuvwxyz",
    "hex": "0123456789abcdef",
    "alnum": "0123456789abcdefghijklmnopqrstuvwxyz",
}


@dataclass(frozen=True)
class Segment:
    """One part of a code shape.

    ``literal``: ``tokens == (text,)``, the same text in every value of the shape.
    ``choice``: ``tokens`` (each seen at least ``min_count`` times) with ``token_weights``.
    Runs (``digits``, ``letters``, ``hex``, ``alnum``): random characters of one class; their
    length is one of ``lengths`` with ``length_weights``; letters follow ``case_weights`` over
    :data:`CASES`; ``leading_zero`` False means digit runs longer than 1 never start with 0;
    ``digit_share`` is the share of digits in an ``alnum`` run.
    """

    kind: SegmentKind
    tokens: tuple[str, ...] = ()
    token_weights: tuple[float, ...] = ()
    lengths: tuple[int, ...] = ()
    length_weights: tuple[float, ...] = ()
    case_weights: tuple[float, ...] = ()
    leading_zero: bool = True
    digit_share: float = 0.0


@dataclass(frozen=True)
class Shape:
    """A code pattern: its segments in order, and the share of values it stands for."""

    segments: tuple[Segment, ...]
    weight: float


def _weights(counts: Counter[Any]) -> tuple[tuple[Any, ...], tuple[float, ...]]:
    total = sum(counts.values())
    keys = sorted(counts, key=lambda k: (-counts[k], k))
    return tuple(keys), tuple(round(counts[k] / total, 6) for k in keys)


def _case(word: str) -> str:
    letters = "".join(ch for ch in word if ch.isalpha())
    if not letters or letters.isupper():
        return "upper" if letters else "lower"
    if letters.islower():
        return "lower"
    return "title" if letters[0].isupper() and letters[1:].islower() else "mixed"


def _run(kind: SegmentKind, words: list[str]) -> Segment:
    lengths, length_weights = _weights(Counter(len(w) for w in words))
    lettered = [w for w in words if any(map(str.isalpha, w))]
    cases = Counter(_case(w) for w in lettered) if kind != "digits" else Counter()
    chars = sum(len(w) for w in words) or 1
    return Segment(
        kind=kind,
        lengths=lengths,
        length_weights=length_weights,
        case_weights=tuple(round(cases[c] / len(lettered), 6) for c in CASES) if lettered else (),
        leading_zero=any(len(w) > 1 and w[0] == "0" for w in words) if kind == "digits" else True,
        digit_share=round(sum(ch.isdigit() for w in words for ch in w) / chars, 6)
        if kind == "alnum"
        else 0.0,
    )


def _slot(words: list[str], min_count: int) -> list[Segment]:
    """Segments for one word position of a shape (``words``: that word in every value).

    Frequent tokens become a literal or a choice (rare ones are left out, never stored); else
    a run of the words' character class; else, when every word splits into the same sequence of
    letter and digit runs (``tt0111161``), one segment per sub-run; else a mixed run.
    """
    counts = Counter(words)
    frequent = Counter({t: c for t, c in counts.items() if c >= min_count})
    if frequent and len(frequent) <= _MAX_CHOICES and frequent.total() >= _CHOICE_COVERAGE * len(words):
        if len(frequent) == 1:
            return [Segment("literal", tokens=(next(iter(frequent)),))]
        tokens, weights = _weights(frequent)
        return [Segment("choice", tokens=tokens, token_weights=weights)]
    filled = [w for w in words if w]
    if all(w.isdigit() for w in filled):
        return [_run("digits", words)]
    if all(w.isalpha() for w in filled):
        return [_run("letters", words)]
    if (
        all(re.fullmatch(r"[0-9A-Fa-f]+", w) for w in filled)
        and len({_case(w) for w in filled} - {"upper"}) <= 1
    ):
        return [_run("hex", words)]
    runs = [_SUB_RUN.findall(w) for w in words]
    signatures = {tuple(r[0].isdigit() for r in split) for split in runs}
    if len(signatures) == 1 and len(runs[0]) > 1:
        return [seg for j in range(len(runs[0])) for seg in _slot([split[j] for split in runs], min_count)]
    return [_run("alnum", words)]


def _merge_literals(segments: list[Segment]) -> tuple[Segment, ...]:
    out: list[Segment] = []
    for seg in segments:
        if seg.kind == "literal" and not seg.tokens[0]:
            continue
        if seg.kind == "literal" and out and out[-1].kind == "literal":
            out[-1] = Segment("literal", tokens=(out[-1].tokens[0] + seg.tokens[0],))
        else:
            out.append(seg)
    return tuple(out)


def learn_shapes(
    values: Sequence[str], min_count: int, max_shapes: int = MAX_SHAPES
) -> tuple[tuple[Shape, ...], float]:
    """The most common shapes of ``values`` (at most ``max_shapes``, each seen at least
    ``min_count`` times) and the share of values they cover.

    Values are grouped by their separators (every character that is not an ASCII letter or
    digit, in order): ``SKU-000123`` and ``SKU-9`` share the group ``('-',)``. Separators are
    literal in every value of a group, so they are never rare.
    """
    groups: dict[tuple[str, ...], list[list[str]]] = {}
    for value in values:
        parts = _SEPARATOR.split(value)
        groups.setdefault(tuple(parts[1::2]), []).append(parts[0::2])
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    kept = [(seps, words) for seps, words in ranked[:max_shapes] if len(words) >= min_count]
    covered = sum(len(words) for _, words in kept)
    shapes = []
    for seps, words in kept:
        segments: list[Segment] = []
        for j in range(len(seps) + 1):
            segments += _slot([w[j] for w in words], min_count)
            if j < len(seps):
                segments.append(Segment("literal", tokens=(seps[j],)))
        shapes.append(Shape(_merge_literals(segments), round(len(words) / covered, 6)))
    return tuple(shapes), (covered / len(values) if len(values) else 0.0)


def is_code_like(shape: Shape) -> bool:
    """A shape of codes: it has a digit, hex or mixed run (or digits in its literals), or it has
    no whitespace and only fixed-length letter runs. Words of varying length separated by
    spaces are titles or prose, not codes."""
    texts = [t for s in shape.segments for t in s.tokens]
    if any(s.kind in ("digits", "hex", "alnum") for s in shape.segments) or any(
        ch.isdigit() for t in texts for ch in t
    ):
        return True
    if any(ch.isspace() for t in texts for ch in t):
        return False
    return all(len(s.lengths) == 1 for s in shape.segments if s.kind == "letters")


def shape_regex(shape: Shape) -> str:
    """A regular expression every value generated from ``shape`` fully matches."""
    parts = []
    for seg in shape.segments:
        if seg.kind == "literal":
            parts.append(re.escape(seg.tokens[0]))
        elif seg.kind == "choice":
            parts.append(
                "(?:" + "|".join(re.escape(t) for t in sorted(seg.tokens, key=len, reverse=True)) + ")"
            )
        else:
            cls = {"digits": "[0-9]", "letters": "[A-Za-z]", "hex": "[0-9A-Fa-f]", "alnum": "[0-9A-Za-z]"}[
                seg.kind
            ]
            lo, hi = min(seg.lengths), max(seg.lengths)
            parts.append(f"{cls}{{{lo}}}" if lo == hi else f"{cls}{{{lo},{hi}}}")
    return "".join(parts)


@cache
def _compiled(shape: Shape) -> re.Pattern[str]:
    return re.compile(shape_regex(shape))


def _apply_case(chars: np.ndarray, case: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Upper-case letter codes (``chars``, uint8, rows x length) per row's case class."""
    upper = np.zeros(chars.shape, dtype=bool)
    upper[case == 0] = True
    if chars.shape[1]:
        upper[case == 2, 0] = True
    mixed = case == 3
    upper[mixed] = rng.random((int(mixed.sum()), chars.shape[1])) < 0.5
    is_letter = (chars >= ord("a")) & (chars <= ord("z"))
    return np.where(upper & is_letter, chars - 32, chars).astype(np.uint8)


def _to_strings(chars: np.ndarray) -> np.ndarray:
    if chars.shape[1] == 0:
        return np.full(chars.shape[0], "", dtype=object)
    raw = np.ascontiguousarray(chars).view(f"S{chars.shape[1]}").ravel()
    return raw.astype(str).astype(object)


def _run_codes(seg: Segment, digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Character codes of a run from per-position alphabet indexes ``digits`` (rows x length)."""
    table = np.frombuffer(_ALPHABETS[seg.kind].encode(), dtype=np.uint8)
    chars = table[digits]
    if seg.case_weights and seg.kind != "digits":
        case = rng.choice(len(CASES), len(digits), p=np.array(seg.case_weights) / sum(seg.case_weights))
        chars = _apply_case(chars, case, rng)
    return chars


def _random_run(seg: Segment, n: int, rng: np.random.Generator) -> np.ndarray:
    lengths = rng.choice(seg.lengths, n, p=np.array(seg.length_weights) / sum(seg.length_weights))
    out = np.empty(n, dtype=object)
    size = len(_ALPHABETS[seg.kind])
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        if seg.kind == "alnum":  # digits with the observed share, letters otherwise
            is_digit = rng.random((len(rows), length)) < seg.digit_share
            idx = np.where(
                is_digit, rng.integers(0, 10, (len(rows), length)), rng.integers(10, 36, (len(rows), length))
            )
        else:
            idx = rng.integers(0, size, (len(rows), length))
            if seg.kind == "digits" and not seg.leading_zero and length > 1:
                idx[:, 0] = rng.integers(1, 10, len(rows))
        out[rows] = _to_strings(_run_codes(seg, idx, rng))
    return out


def _widened(shape: Shape, need: int) -> tuple[Shape, int]:
    """``shape`` with its last run one character longer at a time until it numbers ``need``
    unique values (``C-99`` becomes ``C-100``): scaling past the source must not fail on codes.
    The added length has weight 0, so only unique generation uses it."""
    runs = [i for i, seg in enumerate(shape.segments) if seg.kind in RUN_KINDS]
    if not runs:
        return shape, 1
    segments = list(shape.segments)
    last = runs[-1]
    cap = 1
    for _ in range(19):
        cap = min(math.prod(_radix(segments[i]) for i in runs), MAX_KEY)
        if cap >= need:
            break
        seg = segments[last]
        segments[last] = replace(
            seg, lengths=(*seg.lengths, max(seg.lengths) + 1), length_weights=(*seg.length_weights, 0.0)
        )
    return replace(shape, segments=tuple(segments)), cap


def _radix(seg: Segment) -> int:
    """How many distinct strings a run makes at its longest length (case does not count)."""
    length = max(seg.lengths)
    size = len(_ALPHABETS[seg.kind])
    if seg.kind == "digits" and not seg.leading_zero and length > 1:
        return 9 * 10 ** (length - 1)
    return int(size**length)


@register("shape")
@dataclass(frozen=True)
class ShapeModel(ColumnModel):
    """Codes and identifiers as shapes (see :func:`learn_shapes`); weights sum to 1.

    Privacy: literals and choice tokens are kept only when seen in at least ``min_count``
    values; runs keep lengths, letter case and digit share, never characters.
    ``to_uniform`` places each value in its shape's share of (0, 1), so the copula can tie the
    choice of shape to other columns; the characters themselves are drawn from ``rng``.
    """

    shapes: tuple[Shape, ...]

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> ShapeModel:
        shapes, _ = learn_shapes([str(v) for v in values.dropna()], ctx.min_count)
        if not shapes:
            raise ModelError(f"column '{column.name}' has no shape seen at least {ctx.min_count} times")
        return cls(shapes)

    def _cumulative(self) -> np.ndarray:
        w = np.array([s.weight for s in self.shapes], dtype=np.float64)
        return np.cumsum(w / w.sum())

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        upper = self._cumulative()
        lower = np.concatenate([[0.0], upper[:-1]])
        noise = rng.random(len(values))
        u = noise.copy()  # a value of no known shape: anywhere
        for i, value in enumerate(values.astype(str)):
            for j, shape in enumerate(self.shapes):
                if _compiled(shape).fullmatch(value):
                    u[i] = lower[j] + noise[i] * (upper[j] - lower[j])
                    break
        return clip_unit(u)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        u = np.asarray(u, dtype=np.float64)
        which = np.minimum(np.searchsorted(self._cumulative(), u, side="right"), len(self.shapes) - 1)
        out = np.empty(len(u), dtype=object)
        for j, shape in enumerate(self.shapes):
            rows = np.flatnonzero(which == j)
            if len(rows):
                out[rows] = self._draw(shape, len(rows), rng)
        return out

    def _draw(self, shape: Shape, n: int, rng: np.random.Generator) -> np.ndarray:
        out = np.full(n, "", dtype=object)
        for seg in shape.segments:
            if seg.kind == "literal":
                part: Any = seg.tokens[0]
            elif seg.kind == "choice":
                p = np.array(seg.token_weights) / sum(seg.token_weights)
                part = np.array(seg.tokens, dtype=object)[rng.choice(len(seg.tokens), n, p=p)]
            else:
                part = _random_run(seg, n, rng)
            out = out + part
        return out

    def capacity(self) -> tuple[Shape, int]:
        """The shape unique values use (the one allowing most values, the most common among
        equals) and how many unique values it allows (capped at :data:`MAX_KEY`)."""
        best: tuple[int, float, int] | None = None
        for j, shape in enumerate(self.shapes):
            cap = math.prod(_radix(s) for s in shape.segments if s.kind in RUN_KINDS)
            cap = cap if any(s.kind in RUN_KINDS for s in shape.segments) else 1
            if best is None or (min(cap, MAX_KEY), shape.weight) > (best[0], best[1]):
                best = (min(cap, MAX_KEY), shape.weight, j)
        assert best is not None
        return self.shapes[best[2]], best[0]

    def from_index(self, index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Unique codes: the permuted row index is spelled in mixed radix by the runs, least
        significant in the last run, each such run at its longest length; runs more significant
        than the key needs, choices and literals are drawn freely. Inside a word letters and digits
        alternate and words are cut by literal separators, so a value parses back into its runs
        and equal values would spell equal keys."""
        shape, cap = self.capacity()
        need = int(np.max(index)) + 1 if len(index) else 0
        if need > cap:  # more rows than the source's shape can number (a 10x load test)
            shape, cap = _widened(shape, need)
        keys = permute(index, cap, f"values of shape '{shape_regex(shape)}'")
        n = len(keys)
        runs = [s for s in shape.segments if s.kind in RUN_KINDS]
        spelled: list[np.ndarray] = [np.empty(0)] * len(runs)
        rest, covered = list(keys), 1
        for k in range(len(runs) - 1, -1, -1):
            seg = runs[k]
            if covered >= cap:  # every key is already spelled: this run is free
                spelled[k] = _random_run(seg, n, rng)
                continue
            radix, length, base = _radix(seg), max(seg.lengths), len(_ALPHABETS[seg.kind])
            offset = 10 ** (length - 1) if seg.kind == "digits" and not seg.leading_zero and length > 1 else 0
            idx = np.zeros((n, length), dtype=np.int64)
            for row in range(n):
                rest[row], value = divmod(rest[row], radix)
                value += offset
                for pos in range(length - 1, -1, -1):
                    value, idx[row, pos] = divmod(value, base)
            spelled[k] = _to_strings(_run_codes(seg, idx, rng))
            covered *= radix
        out = np.full(n, "", dtype=object)
        runs_left = iter(spelled)
        for seg in shape.segments:
            if seg.kind == "literal":
                out = out + seg.tokens[0]
            elif seg.kind == "choice":
                p = np.array(seg.token_weights) / sum(seg.token_weights)
                out = out + np.array(seg.tokens, dtype=object)[rng.choice(len(seg.tokens), n, p=p)]
            else:
                out = out + next(runs_left)
        return out

    def describe(self) -> str:
        shapes = ", ".join(f"'{shape_regex(s)}' {s.weight:.0%}" for s in self.shapes)
        return f"code shapes {shapes}"


# -- free text -------------------------------------------------------------------------------

GRID = tuple(round(p, 2) for p in np.linspace(0.0, 1.0, 21))  # probabilities of the quantile grids
_CONSONANTS = np.frombuffer(b"bcdfghklmnprstvz", dtype=np.uint8)
_VOWELS = np.frombuffer(b"aeiou", dtype=np.uint8)


def _quantiles(x: np.ndarray) -> tuple[float, ...]:
    if len(x) == 0:
        return tuple(0.0 for _ in GRID)
    return tuple(round(float(q), 2) for q in np.quantile(x, GRID))


def _grid_cdf(x: np.ndarray, q: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """The CDF of the quantile grid ``q`` at ``x``: linear between knots; a value equal to
    knots (a flat stretch: many values of one length) gets a uniform draw over their span."""
    qs, grid = np.array(q), np.array(GRID)
    left = np.searchsorted(qs, x, side="left")
    right = np.searchsorted(qs, x, side="right")
    on_knot = left < right
    i = np.clip(left, 1, len(qs) - 1)
    span = qs[i] - qs[i - 1]
    between = grid[i - 1] + np.where(span > 0, (x - qs[i - 1]) / np.where(span > 0, span, 1), 0) * (
        grid[i] - grid[i - 1]
    )
    between = np.where(left == 0, 0.0, np.where(left >= len(qs), 1.0, between))
    lo = grid[np.clip(left, 0, len(qs) - 1)]
    hi = grid[np.clip(right - 1, 0, len(qs) - 1)]
    return clip_unit(np.where(on_knot, lo + rng.random(len(x)) * (hi - lo), between))


def syllable_text(chars: np.ndarray, words: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Pronounceable nonsense with exactly ``chars[i]`` characters in ``words[i]`` words (fewer
    words when they do not fit): consonant-vowel syllables and no vocabulary, so nothing of the
    source can be carried over (a short real word may still come out by chance)."""
    chars = np.maximum(np.asarray(chars, dtype=np.int64), 0)
    words = np.clip(np.asarray(words, dtype=np.int64), np.minimum(chars, 1), (chars + 1) // 2)
    n, total_words = len(chars), int(words.sum())
    letters = chars - np.maximum(words - 1, 0)  # one space between words
    row = np.repeat(np.arange(n), words)  # the row of each word
    # Split each row's letters over its words: 1 each, the rest in proportion to gamma draws
    # (shape 3: word lengths vary like real ones, without 30-letter monsters).
    share = rng.gamma(3.0, size=total_words)
    sums = np.bincount(row, share, minlength=n)
    extra = letters - words
    length = 1 + np.floor(extra[row] * share / np.where(sums[row] > 0, sums[row], 1)).astype(np.int64)
    first_word = np.concatenate([[0], np.cumsum(words)[:-1]]).astype(np.int64)
    if total_words:
        missing = letters - np.bincount(row, length, minlength=n).astype(np.int64)
        np.add.at(length, first_word[words > 0], missing[words > 0])
    # Letters alternate consonants and vowels from a random phase per word.
    n_letters = int(length.sum())
    word_of = np.repeat(np.arange(total_words), length)
    pos = np.arange(n_letters) - np.repeat(np.cumsum(length) - length, length)
    vowel = (pos + np.repeat(rng.integers(0, 2, total_words), length)) % 2 == 1
    codes = np.where(
        vowel,
        _VOWELS[rng.integers(0, len(_VOWELS), n_letters)],
        _CONSONANTS[rng.integers(0, len(_CONSONANTS), n_letters)],
    )
    # Place letters in a buffer of spaces: each letter moves right by the spaces before it.
    spaces_before_row = np.concatenate([[0], np.cumsum(np.maximum(words - 1, 0))[:-1]])
    ordinal = np.arange(total_words) - np.repeat(first_word, words)
    shift = ordinal[word_of] + spaces_before_row[row[word_of]] if total_words else np.zeros(0, dtype=np.int64)
    buffer = np.full(int(chars.sum()), ord(" "), dtype=np.uint8)
    buffer[np.arange(n_letters) + shift] = codes
    text = buffer.tobytes().decode("ascii")
    ends = np.cumsum(chars)
    return [text[e - c : e] for e, c in zip(ends.tolist(), chars.tolist(), strict=True)]


@register("free_text")
@dataclass(frozen=True)
class FreeTextModel(ColumnModel):
    """Free text as lengths only: quantile grids (over :data:`GRID`) of character lengths and
    word counts, the letter case and whether values end like sentences. No word, character
    sequence or value of the source is kept; text is generated from syllables.

    ``to_uniform``/``from_uniform`` go through the character-length CDF, so the copula can tie
    length to other columns (long reviews with low ratings).
    """

    char_quantiles: tuple[float, ...]
    word_quantiles: tuple[float, ...]
    max_length: int | None = None
    case: Literal["sentence", "upper", "lower"] = "sentence"
    period: bool = False

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> FreeTextModel:
        text = _texts(values)
        case = _case_of(text)
        return cls(
            char_quantiles=_quantiles(np.array([len(v) for v in text])),
            word_quantiles=_quantiles(np.array([len(v.split()) for v in text])),
            max_length=column.length,
            case="sentence" if case == "as_is" else case,
            period=bool(text) and sum(v.rstrip().endswith((".", "!", "?")) for v in text) >= 0.5 * len(text),
        )

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        lengths = values.astype(str).str.len().to_numpy(dtype=np.float64)
        return _grid_cdf(lengths, self.char_quantiles, rng)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        u = clip_unit(np.asarray(u, dtype=np.float64))
        chars = np.rint(np.interp(u, GRID, self.char_quantiles)).astype(np.int64)
        if self.max_length is not None:
            chars = np.minimum(chars, self.max_length)
        words = np.rint(np.interp(u, GRID, self.word_quantiles)).astype(np.int64)
        body = chars - (1 if self.period else 0) * (chars >= 2)
        texts = syllable_text(body, words, rng)
        out = np.empty(len(texts), dtype=object)
        for i, t in enumerate(texts):
            if self.case == "upper":
                t = t.upper()
            elif self.case == "sentence":
                t = t[:1].upper() + t[1:]
            out[i] = t + "." if self.period and chars[i] >= 2 else t
        return out

    def describe(self) -> str:
        q = self.char_quantiles
        return f"free text, {q[0]:.0f}–{q[-1]:.0f} chars, median {q[len(q) // 2]:.0f}"


# -- the decision ----------------------------------------------------------------------------


def choose_text_model(column: Column, values: pd.Series, ctx: FitContext) -> ColumnModel | None:
    """The model for a STRING/TEXT column that is not a low-cardinality category (see the
    module docstring for the criteria); ``None`` for other logical types and for columns
    without a single non-null value."""
    if column.logical not in TEXT_TYPES or values.dropna().empty:
        return None
    return text_model_for(column, values, ctx, detect_pii(column, values.dropna(), ctx.table, ctx.min_count))


def text_model_for(
    column: Column, values: pd.Series, ctx: FitContext, match: PiiMatch | None
) -> ColumnModel | None:
    """:func:`choose_text_model` for a caller that already ran :func:`detect_pii` on ``values``
    (``match`` is its result): the same model, without detecting twice."""
    if column.logical not in TEXT_TYPES:
        return None
    values = values.dropna()
    if values.empty:
        return None
    if match is not None:
        if match.kind is PiiKind.FREE_TEXT:
            return FreeTextModel.fit(values, column, ctx)
        return FakerModel.for_kind(match.kind, values, column, ctx)
    # Shapes are learnt on a bounded subsample: 50k values show every frequent shape, and
    # counting literals on fewer values only makes the min_count rule stricter.
    if len(values) > SHAPE_SAMPLE:
        values = values.sample(n=SHAPE_SAMPLE, random_state=ctx.seed)
    text = _texts(values)
    shapes, coverage = learn_shapes(text, ctx.min_count)
    median_length = sorted(len(v) for v in text)[len(text) // 2]
    if shapes and coverage >= CODE_COVERAGE and median_length <= 64 and all(is_code_like(s) for s in shapes):
        return ShapeModel(shapes)
    return FreeTextModel.fit(values, column, ctx)
