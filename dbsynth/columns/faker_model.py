"""Personal data through Faker (:class:`FakerModel`): names, e-mails, phones, addresses, card and
account numbers, password hashes, dates of birth, in the format the source column uses.

**Unique columns.** ``from_index(index, rng)`` gives values unique by construction: an injective
image of the row index sits at a fixed place in every value (``user1234@example.org``, the last
digits of a phone number). Values stay deterministic for a given RNG state.

**Determinism.** Faker is never used with global state: each call builds a Faker for the
model's locale and seeds it with an integer drawn from the caller's RNG, so the same RNG state
gives the same values (for a given Faker release).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import numpy as np
import pandas as pd

from dbsynth.columns.base import ColumnModel, FitContext, clip_unit, register
from dbsynth.columns.permute import permute
from dbsynth.columns.pii import DATE_TYPES, PiiKind, detect_pii
from dbsynth.columns.pii_formats import hash_format, iban_check_digits, luhn_check_digit
from dbsynth.columns.text_sample import letter_case, text_values
from dbsynth.errors import GenerationError, ModelError, UsageError, did_you_mean
from dbsynth.schema import Column


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
    text = text_values(values)
    filled = [v for v in text if v.strip()]
    return filled, (1.0 - len(filled) / len(text)) if text else 0.0


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
            case=letter_case(case_source) if kind in _CASED_KINDS else "as_is",
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
