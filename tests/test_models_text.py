"""Text column models: nothing personal in the model file, shapes reproduced, uniqueness across
chunks with independent RNG streams, determinism, exact JSON round trips, the text decision."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from faker import Faker

from dbsynth.columns.base import ColumnModel, FitContext, IndexedModel, decode, encode
from dbsynth.columns.faker_model import FakerModel
from dbsynth.columns.free_text import FreeTextModel, syllable_text
from dbsynth.columns.permute import permute
from dbsynth.columns.pii import PiiKind
from dbsynth.columns.pii_formats import iban_valid, luhn_valid
from dbsynth.columns.shape import ShapeModel, learn_shapes, shape_regex
from dbsynth.columns.text import choose_text_model
from dbsynth.errors import GenerationError, ModelError, UsageError
from dbsynth.schema import Column, LogicalType

CTX = FitContext(min_count=5, locale="en_US", table="customer")


def fake(locale: str = "en_US", seed: int = 11) -> Faker:
    f = Faker(locale)
    f.seed_instance(seed)
    return f


def col(name: str, length: int | None = None, logical: LogicalType = LogicalType.STRING) -> Column:
    return Column(name, f"varchar({length})" if length else "text", logical, length=length)


def values(make: Callable[[], Any], n: int = 1000) -> pd.Series:
    return pd.Series([make() for _ in range(n)])


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def chunked(model: IndexedModel, total: int, chunks: int = 3, seed: int = 42) -> list[str]:
    """What the engine does for a unique column: chunks of global row indexes, each chunk with
    its own independent RNG stream."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(chunks)]
    bounds = np.linspace(0, total, chunks + 1).astype(int)
    out: list[str] = []
    for stream, lo, hi in zip(streams, bounds[:-1], bounds[1:], strict=True):
        out += [str(v) for v in model.from_index(np.arange(lo, hi), stream)]
    return out


# -- FakerModel: privacy --------------------------------------------------------------------

SOURCES: dict[str, Callable[[Faker], str]] = {
    "email": lambda f: f.email(),
    "first_name": lambda f: f.first_name(),
    "last_name": lambda f: f.last_name(),
    "phone": lambda f: f.phone_number(),
    "street_address": lambda f: f.street_address(),
    "iban": lambda f: f.iban(),
}


@pytest.mark.parametrize("name", list(SOURCES))
@pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr_FR"])
def test_faker_model_json_holds_no_source_value(name: str, locale: str) -> None:
    f = fake(locale)
    source = values(lambda: SOURCES[name](f))
    model = FakerModel.fit(source, col(name, 60), FitContext(locale=locale))
    text = json.dumps(encode(model), ensure_ascii=False)
    leaked = [v for v in set(source) if v in text]
    assert leaked == []
    # ... nor any word of them (a surname inside a street name, a digit group of a phone).
    words = {w for v in source for w in re.split(r"[\s@.,()\-/]+", v) if len(w) >= 3}
    assert {w for w in words if re.search(rf"(?<![A-Za-z0-9]){re.escape(w)}(?![A-Za-z0-9])", text)} == set()


def test_faker_model_fields_and_description() -> None:
    f = fake()
    model = FakerModel.fit(values(f.phone_number), col("phone", 24), CTX)
    assert model.pii is PiiKind.PHONE and model.locale == "en_US" and model.max_length == 24
    assert all(set(m) <= set("#+()-. /") for m in model.formats)
    assert model.describe() == "personal data: Faker phone, locale en_US, max 24 chars; no source value kept"


def test_generated_emails_use_reserved_domains_and_fit_the_column() -> None:
    f = fake()
    model = FakerModel.fit(values(f.email), col("email", 22), CTX)
    free = list(model.from_uniform(rng().random(2000), rng(1)))
    unique = chunked(model, 2000)
    for email in free + unique:
        assert re.fullmatch(r"[a-z._0-9]+@(example\.(com|org|net)|ex\.test)", email), email
        assert len(email) <= 22
    assert len(set(unique)) == 2000


def test_upper_case_sources_give_upper_case_values() -> None:
    f = fake()
    source = values(
        lambda: f"{f.first_name()}.{f.last_name()}@sakilacustomer.org".upper().replace("ORG", "org")
    )
    model = FakerModel.fit(source, col("email", 50), CTX)
    assert model.case == "upper"
    out = model.from_uniform(rng().random(50), rng())
    assert all(
        v.split("@")[0] == v.split("@")[0].upper()
        and v.endswith(".com") | v.endswith(".org") | v.endswith(".net")
        for v in out
    )


def test_blank_share_is_kept_as_a_rate() -> None:
    f = fake()
    source = pd.Series([f.company() if i % 4 else "" for i in range(1000)])
    model = FakerModel.for_kind(PiiKind.COMPANY, source, col("company", 80), CTX)
    assert model.blank_rate == 0.25
    out = model.from_uniform(rng().random(4000), rng(1))
    assert 0.22 < np.mean(out == "") < 0.28
    u = model.to_uniform(source, rng())
    assert (u[source.to_numpy() == ""] < 0.25).all() and (u[source.to_numpy() != ""] > 0.25).all()


def test_generated_account_numbers_are_valid() -> None:
    f = fake("de_DE")
    ctx = FitContext(locale="de_DE")
    iban = FakerModel.fit(values(f.iban), col("iban", 34), ctx)
    assert all(iban_valid(v) for v in iban.from_uniform(rng().random(500), rng()))
    assert all(iban_valid(v) for v in chunked(iban, 500))
    card = FakerModel.fit(values(f.credit_card_number), col("card_number", 19), ctx)
    assert all(luhn_valid(v) for v in card.from_uniform(rng().random(500), rng()))
    assert all(luhn_valid(v) for v in chunked(card, 500))
    spaced = FakerModel.fit(values(lambda: " ".join(re.findall(".{1,4}", f.iban()))), col("iban", 42), ctx)
    assert spaced.variant == "spaced"
    assert all(
        re.fullmatch(r"DE\d\d( \d{4}){4} \d\d", v) for v in spaced.from_uniform(rng().random(50), rng())
    )


def test_password_hashes_keep_the_format_only() -> None:
    f = fake()
    model = FakerModel.fit(values(f.sha1), col("password", 40), CTX)
    assert model.variant == "hex40"
    out = list(model.from_uniform(rng().random(100), rng())) + chunked(model, 100)
    assert all(re.fullmatch(r"[0-9a-f]{40}", v) for v in out)
    bcrypt = FakerModel.fit(values(lambda: "$2b$10$" + f.pystr(53, 53)), col("pw_hash", 60), CTX)
    assert bcrypt.variant == "bcrypt"
    assert all(re.fullmatch(r"\$2b\$12\$[./A-Za-z0-9]{53}", v) for v in chunked(bcrypt, 100))


def test_birth_dates_are_ages_18_to_90_at_fit_time() -> None:
    f = fake()
    model = FakerModel.fit(values(f.date_of_birth), col("dob", logical=LogicalType.DATE), CTX)
    assert model.variant == "date" and model.anchor
    out = model.from_uniform(rng().random(1000), rng())
    anchor = np.datetime64(model.anchor, "D")
    ages = (anchor - out).astype(int) / 365
    assert out.dtype == np.dtype("datetime64[D]") and ages.min() >= 18 and ages.max() <= 90
    text = FakerModel.fit(values(lambda: f.date_of_birth().isoformat()), col("birth_date", 10), CTX)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", v) for v in text.from_uniform(rng().random(10), rng()))
    with pytest.raises(GenerationError) as err:
        model.from_index(np.array([26_280]), rng())
    assert (
        str(err.value) == "cannot make more than 26,280 unique birth dates: row index 26280 is out of range"
    )


def test_faker_model_errors() -> None:
    with pytest.raises(ModelError) as err:
        FakerModel.fit(pd.Series(["new", "paid"] * 50), col("status", 10), CTX)
    assert str(err.value) == "column 'status' does not look like personal data; the faker model needs a kind"
    with pytest.raises(UsageError) as err2:
        FakerModel.for_kind(PiiKind.EMAIL, pd.Series(["a@b.org"]), col("email"), FitContext(locale="en_UK"))
    assert str(err2.value) == "unknown Faker locale 'en_UK'. Did you mean 'en_US'?"
    with pytest.raises(GenerationError) as err3:
        FakerModel.fit(values(fake().email), col("email", 8), CTX).from_index(np.arange(3), rng())
    assert str(err3.value) == "email values cannot be made unique within 8 characters"


# -- uniqueness and determinism ---------------------------------------------------------------

UNIQUE_KINDS: dict[str, tuple[Callable[[Faker], Any], int]] = {
    "email": (lambda f: f.email(), 100_000),
    "phone": (lambda f: f.phone_number(), 100_000),
    "username": (lambda f: f.user_name(), 20_000),
    "ip_address": (lambda f: f.ipv4(), 20_000),
    "iban": (lambda f: f.iban(), 20_000),
    "card_number": (lambda f: f.credit_card_number(), 20_000),
    "company": (lambda f: f.company(), 20_000),
    "website": (lambda f: f.url(), 20_000),
    "password": (lambda f: f.sha256(), 20_000),
}


@pytest.mark.parametrize("name", list(UNIQUE_KINDS))
def test_unique_values_across_chunks_with_independent_streams(name: str) -> None:
    make, total = UNIQUE_KINDS[name]
    f = fake()
    model = FakerModel.fit(values(lambda: make(f)), col(name, 80), CTX)
    assert isinstance(model, IndexedModel)
    out = chunked(model, total)
    assert len(out) == total and len(set(out)) == total


def test_unique_codes_across_chunks() -> None:
    model = ShapeModel.fit(
        pd.Series([f"SKU-{i:06d}" for i in rng().integers(0, 10**6, 1000)]), col("sku"), CTX
    )
    out = chunked(model, 100_000)
    assert len(set(out)) == 100_000
    assert all(re.fullmatch(r"SKU-\d{6}", v) for v in out)


def test_permutation_is_a_bijection_and_refuses_out_of_range() -> None:
    for modulus in (1, 2, 7, 100, 26_280, 10**7):
        keys = permute(np.arange(min(modulus, 50_000)), modulus, "things")
        assert len(set(keys)) == len(keys) and max(keys) < modulus
    assert sorted(permute(np.arange(100), 100, "things")) == list(range(100))
    assert permute(np.arange(5), 100, "things") != list(range(5))  # neighbours look unrelated
    with pytest.raises(GenerationError) as err:
        permute(np.array([3, 100]), 100, "codes")
    assert str(err.value) == "cannot make more than 100 unique codes: row index 100 is out of range"


def fitted_models() -> dict[str, ColumnModel]:
    f = fake()
    return {
        "faker_email": FakerModel.fit(values(f.email), col("email", 60), CTX),
        "faker_phone": FakerModel.fit(values(f.phone_number), col("phone", 30), CTX),
        "faker_name": FakerModel.fit(values(f.name), col("contact_name", 60), CTX),
        "shape": ShapeModel.fit(values(lambda: f.bothify("??-##-?").upper()), col("code"), CTX),
        "free_text": FreeTextModel.fit(values(lambda: f.paragraph(3)), col("comment"), CTX),
    }


@pytest.mark.parametrize("name", list(fitted_models()))
def test_same_seed_same_values_and_exact_json_round_trip(name: str) -> None:
    model = fitted_models()[name]
    u = rng(5).random(300)
    first = list(model.from_uniform(u, rng(9)))
    assert first == list(model.from_uniform(u, rng(9)))
    assert first != list(model.from_uniform(u, rng(10)))
    if isinstance(model, IndexedModel):
        assert list(model.from_index(np.arange(300), rng(9))) == list(
            model.from_index(np.arange(300), rng(9))
        )
    data = encode(model)
    assert decode(json.loads(json.dumps(data))) == model
    assert data["kind"] == model.kind


def test_to_uniform_stays_inside_the_unit_interval() -> None:
    for model in fitted_models().values():
        generated = pd.Series(model.from_uniform(rng().random(500), rng(1)))
        u = model.to_uniform(generated, rng(2))
        assert u.shape == (500,) and (u > 0).all() and (u < 1).all()


# -- ShapeModel -------------------------------------------------------------------------------


def test_sku_shape_is_reproduced_exactly() -> None:
    source = pd.Series([f"SKU-{i:06d}" for i in rng().integers(0, 10**6, 2000)])
    model = ShapeModel.fit(source, col("sku", 10), CTX)
    assert [shape_regex(s) for s in model.shapes] == [r"SKU\-[0-9]{6}"]
    assert model.describe() == r"code shapes 'SKU\-[0-9]{6}' 100%"
    out = model.from_uniform(rng(1).random(5000), rng(2))
    assert all(re.fullmatch(r"SKU-\d{6}", v) for v in out)
    assert len(set(out)) > 4900  # digits are drawn, not copied from a short list


def test_shape_length_distribution_and_alternative_shapes() -> None:
    r = rng()
    source = pd.Series(
        [f"INV-{i}" for i in r.integers(1, 100_000, 700)]  # 1 to 5 digits, mostly 5
        + [f"tt{i:07d}" for i in r.integers(0, 10**7, 300)]
    )
    model = ShapeModel.fit(source, col("ref"), CTX)
    shortest = source[source.str.startswith("INV-")].str.len().min() - 4
    assert sorted(shape_regex(s) for s in model.shapes) == [rf"INV\-[0-9]{{{shortest},5}}", "tt[0-9]{7}"]
    out = pd.Series(model.from_uniform(r.random(20_000), r))
    inv = out[out.str.startswith("INV-")]
    assert 0.67 < len(inv) / len(out) < 0.73
    want = source[source.str.startswith("INV-")].str.len().value_counts(normalize=True)
    got = inv.str.len().value_counts(normalize=True)
    assert (want - got.reindex(want.index, fill_value=0)).abs().sum() < 0.03
    assert not inv.str.match(r"INV-0\d").any()  # source numbers have no leading zeros
    assert out[~out.str.startswith("INV-")].str.fullmatch(r"tt\d{7}").all()


def test_shape_never_stores_a_rare_literal() -> None:
    r = rng()
    source = pd.Series(
        [f"ABC-{i:04d}" for i in r.integers(0, 10**4, 500)]
        + [f"DEF-{i:04d}" for i in r.integers(0, 10**4, 495)]
        + ["XYZ-0001", "XYZ-0002", "XYZ-0003", "QQQ-1234", "SECRET-42"]
    )
    model = ShapeModel.fit(source, col("code"), CTX)
    text = json.dumps(encode(model))
    assert "ABC" in text and "DEF" in text
    for rare in ("XYZ", "QQQ", "SECRET", "0001", "1234"):
        assert rare not in text
    assert set(pd.Series(model.from_uniform(r.random(2000), r)).str[:3]) == {"ABC", "DEF"}


def test_learn_shapes_splits_mixed_words_and_keeps_frequent_tokens() -> None:
    r = rng()
    codes = [
        f"INV{y}/{i:04d}" for y, i in zip(r.choice([2022, 2023], 400), r.integers(0, 10**4, 400), strict=True)
    ]
    shapes, coverage = learn_shapes(codes, 5)
    assert coverage == 1.0 and len(shapes) == 1
    year, slash, number = shapes[0].segments
    assert (year.kind, set(year.tokens), slash.tokens) == ("choice", {"INV2022", "INV2023"}, ("/",))
    assert (number.kind, number.lengths, number.leading_zero) == ("digits", (4,), True)
    isbn = [fake().isbn13() for _ in range(300)]
    assert learn_shapes(isbn, 5)[1] == 1.0
    assert learn_shapes(["a-1", "b-2"], 5) == ((), 0.0)


def test_unique_codes_widen_past_the_source_shape() -> None:
    """100 two-digit codes exist; row 101 onwards gets a third digit instead of an error, so a
    10x load of a unique code column does not fail."""
    model = ShapeModel.fit(pd.Series([f"AB-{i:02d}" for i in range(100)] * 3), col("code"), CTX)
    assert len(set(model.from_index(np.arange(100), rng()))) == 100
    wide = model.from_index(np.arange(1000), rng())
    assert len(set(wide)) == 1000
    assert all(re.fullmatch(r"AB-[0-9]{2,3}", v) for v in wide)


def test_shape_model_needs_a_frequent_shape() -> None:
    with pytest.raises(ModelError) as err:
        ShapeModel.fit(pd.Series(["x-1", "yy_2", "z"]), col("code"), CTX)
    assert str(err.value) == "column 'code' has no shape seen at least 5 times"


# -- FreeTextModel ----------------------------------------------------------------------------


def test_free_text_matches_lengths_and_keeps_no_word() -> None:
    f = fake()
    source = values(lambda: f.paragraph(nb_sentences=int(f.random_int(1, 6))), 2000)
    model = FreeTextModel.fit(source, col("review"), CTX)
    q = model.char_quantiles
    assert model.describe() == f"free text, {q[0]:.0f}–{q[-1]:.0f} chars, median {q[10]:.0f}"
    assert model.period and model.case == "sentence"
    data = encode(model)  # numbers only, besides its kind: no word of the source
    assert {k: v for k, v in data.items() if not isinstance(v, list)} == {"kind": "free_text", "period": True}
    assert all(isinstance(x, float) for k in ("char_quantiles", "word_quantiles") for x in data[k])
    out = pd.Series(model.from_uniform(rng().random(4000), rng(1)))
    for stat in (0.1, 0.5, 0.9):
        assert (
            abs(out.str.len().quantile(stat) - source.str.len().quantile(stat))
            <= 0.05 * source.str.len().quantile(stat) + 2
        )
        words_out, words_in = (
            out.str.split().str.len().quantile(stat),
            source.str.split().str.len().quantile(stat),
        )
        assert abs(words_out - words_in) <= 0.1 * words_in + 1
    assert out.str.match(r"[A-Z][a-z ]*\.$").all()


def test_free_text_honours_the_column_length_and_case() -> None:
    source = pd.Series(["A VERY LOUD TITLE NUMBER " + "X" * (i % 40) for i in range(500)])
    model = FreeTextModel.fit(source, col("title", 30), CTX)
    out = model.from_uniform(rng().random(1000), rng())
    assert model.case == "upper" and all(len(v) <= 30 and v == v.upper() for v in out)


def test_syllable_text_has_exact_lengths() -> None:
    chars, words = np.array([0, 1, 2, 3, 10, 57, 5]), np.array([0, 1, 3, 2, 4, 9, 0])
    out = syllable_text(chars, words, rng())
    assert [len(v) for v in out] == list(chars)
    assert [len(v.split()) for v in out] == [0, 1, 1, 2, 4, 9, 1]


# -- the decision -----------------------------------------------------------------------------


def test_choose_text_model() -> None:
    f = fake()
    sku = pd.Series([f"SKU-{i:06d}" for i in rng().integers(0, 10**6, 500)])
    uuids = values(f.uuid4, 500)
    email = choose_text_model(col("contact", 80), values(f.email, 500), CTX)
    assert isinstance(email, FakerModel) and email.pii is PiiKind.EMAIL
    assert isinstance(choose_text_model(col("sku", 10), sku, CTX), ShapeModel)
    assert isinstance(choose_text_model(col("ref", 36), uuids, CTX), ShapeModel)
    assert isinstance(
        choose_text_model(col("notes"), values(lambda: f.paragraph(2), 500), CTX), FreeTextModel
    )
    titles = values(lambda: f.catch_phrase().upper(), 500)
    assert isinstance(choose_text_model(col("title", 60), titles, CTX), FreeTextModel)
    assert choose_text_model(col("n", logical=LogicalType.INTEGER), pd.Series(range(10)), CTX) is None
    assert choose_text_model(col("empty"), pd.Series([None, None]), CTX) is None


def test_country_codes_and_ip_versions_keep_their_form() -> None:
    f = fake()
    iso2 = FakerModel.for_kind(PiiKind.COUNTRY, values(f.country_code), col("country", 2), CTX)
    iso3 = FakerModel.for_kind(
        PiiKind.COUNTRY, values(lambda: f.country_code("alpha-3")), col("country", 3), CTX
    )
    assert (iso2.variant, iso3.variant) == ("alpha2", "alpha3")
    assert all(re.fullmatch(r"[A-Z]{2}", v) for v in iso2.from_uniform(rng().random(50), rng()))
    assert all(re.fullmatch(r"[A-Z]{3}", v) for v in iso3.from_uniform(rng().random(50), rng()))
    v6 = FakerModel.fit(values(f.ipv6), col("ip_address", 45), CTX)
    assert v6.variant == "ipv6"
    unique = chunked(v6, 3000)
    assert len(set(unique)) == 3000 and all(v.startswith("fd00:") for v in unique)
    v4 = chunked(FakerModel.fit(values(f.ipv4), col("ip_address", 15), CTX), 3000)
    assert all(re.fullmatch(r"10\.\d{1,3}\.\d{1,3}\.\d{1,3}", v) for v in v4)
