"""Generators of dbsynth.yaml as column models: values, determinism, uniqueness, NULL rules,
round trips through the model file, and the exact messages for parameters that do not fit."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbsynth.columns.base import FitContext, decode, encode, registered_kinds
from dbsynth.columns.generators import (
    ChoiceGenerator,
    ConstantGenerator,
    ExpressionGenerator,
    FakerGenerator,
    GeneratorModel,
    ParamProblems,
    RangeGenerator,
    RegexGenerator,
    SequenceGenerator,
    generator,
    generators,
)
from dbsynth.columns.generators.regex import PatternError, parse_pattern
from dbsynth.columns.pii import PiiKind
from dbsynth.errors import GenerationError, ModelError, UsageError
from dbsynth.fitting.choose import choose_with_pii
from dbsynth.generation.values import coerce_column
from dbsynth.schema import Column, LogicalType, Table

L = LogicalType
CTX = FitContext()
CODE = Column("code", "varchar(12)", L.STRING, length=12)
NAME = Column("name", "text", L.TEXT)
QTY = Column("qty", "integer", L.INTEGER)
COUNT = Column("n", "bigint", L.INTEGER)
PRICE = Column("price", "numeric(8,2)", L.DECIMAL, precision=8, scale=2)
TOTAL = Column("total", "numeric(10,2)", L.DECIMAL, precision=10, scale=2)
DAY = Column("day", "date", L.DATE)
STAMP = Column("at", "timestamp with time zone", L.TIMESTAMPTZ)
FLAG = Column("flag", "boolean", L.BOOLEAN)
MOOD = Column("mood", "mood", L.ENUM, enum_labels=("sad", "ok", "happy"))
DOC = Column("doc", "jsonb", L.JSON)
FIRST = Column("first_name", "text", L.TEXT)
LAST = Column("last_name", "text", L.TEXT)
TABLE = Table(
    "t", (CODE, NAME, QTY, COUNT, PRICE, TOTAL, DAY, STAMP, FLAG, MOOD, DOC, FIRST, LAST), schema="public"
)


def build(cls: type[GeneratorModel], params: dict, column: Column, ctx: FitContext = CTX) -> GeneratorModel:
    assert cls.check_params(params, ctx) == []
    return cls.for_column(params, column, ctx, TABLE)


def problems(cls: type[GeneratorModel], params: dict, column: Column, ctx: FitContext = CTX) -> list[str]:
    found = cls.check_params(params, ctx)
    if found:
        return [m for _, m in found]
    with pytest.raises(ParamProblems) as info:
        cls.for_column(params, column, ctx, TABLE)
    return [m for _, m in info.value.problems]


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_registry_names_every_builtin_and_kinds_carry_a_prefix() -> None:
    assert set(generators()) >= {"choice", "constant", "range", "sequence", "regex", "faker", "expression"}
    kinds = registered_kinds()
    for name, cls in generators().items():
        assert kinds[f"generator.{name}"] is cls
    with pytest.raises(UsageError) as info:
        generator("regx")
    assert str(info.value) == "unknown generator 'regx'. Did you mean 'regex'?"


def test_a_generator_is_not_fitted() -> None:
    with pytest.raises(ModelError) as info:
        ChoiceGenerator.fit(pd.Series(["a"]), CODE, CTX)
    assert str(info.value) == "the choice generator is set in the config (generator: choice), not fitted"


# -- choice / constant ------------------------------------------------------------------------


def test_choice_follows_its_weights_and_is_an_inverse_cdf() -> None:
    model = build(ChoiceGenerator, {"values": {"new": 3, "paid": 5, "shipped": 2}}, CODE)
    values = pd.Series(model.from_uniform(rng().random(20_000), rng()))
    shares = values.value_counts(normalize=True)
    assert shares["new"] == pytest.approx(0.3, abs=0.02)
    assert shares["paid"] == pytest.approx(0.5, abs=0.02)
    assert list(model.from_uniform(np.array([0.1, 0.5, 0.95]), rng())) == ["new", "paid", "shipped"]
    u = model.to_uniform(pd.Series(["shipped", "new"]), rng())
    assert u[0] > 0.8 and u[1] < 0.3


def test_choice_values_take_the_columns_type() -> None:
    assert list(
        build(ChoiceGenerator, {"values": [1, 2]}, QTY).from_uniform(np.array([0.1, 0.9]), rng())
    ) == [1, 2]
    days = build(ChoiceGenerator, {"values": [dt.date(2020, 1, 2)]}, DAY).from_uniform(np.array([0.5]), rng())
    assert days[0] == dt.date(2020, 1, 2)
    assert problems(ChoiceGenerator, {"values": ["sad", "hapy"]}, MOOD) == [
        "values: 'hapy' is not a label of mood. Did you mean 'happy'?"
    ]
    assert problems(ChoiceGenerator, {"values": ["1", 2.5]}, QTY) == [
        "values: '1' is not an integer (qty is integer)",
        "values: 2.5 is not an integer (qty is integer)",
    ]
    assert problems(ChoiceGenerator, {"values": ["a-very-long-code"]}, CODE) == [
        "values: 'a-very-long-code' has 16 characters; code is varchar(12)"
    ]
    assert problems(ChoiceGenerator, {"values": {"a": 1, "b": -1}}, CODE) == [
        "values: the weight of 'b' must be a number >= 0, got -1"
    ]
    assert problems(ChoiceGenerator, {"values": ["a", "a"]}, CODE) == ["values: 'a' is given twice"]
    assert problems(ChoiceGenerator, {"values": [{}]}, DOC) == [
        "generator choice needs a number, text, boolean, date or enum column; doc is jsonb"
    ]


def test_yaml_booleans_in_a_text_column_get_a_hint() -> None:
    assert problems(ConstantGenerator, {"value": False}, CODE) == [
        "value: false is not text (code is varchar(12)); YAML reads yes/no/on/off as true/false: quote it"
    ]


def test_constant_fills_every_row_in_the_columns_type() -> None:
    assert (
        list(build(ConstantGenerator, {"value": "DE"}, CODE).from_uniform(np.zeros(3), rng())) == ["DE"] * 3
    )
    stamps = build(ConstantGenerator, {"value": "2021-05-06T07:08:09"}, STAMP).from_uniform(
        np.zeros(2), rng()
    )
    assert coerce_column(STAMP, stamps, None).iloc[0] == pd.Timestamp("2021-05-06T07:08:09", tz="UTC")
    assert problems(ConstantGenerator, {"value": None}, CODE) == [
        "value: null is not a value; give the column null_rate: 1 instead"
    ]
    assert problems(ConstantGenerator, {"value": "soon"}, DAY) == [
        "value: 'soon' is not an ISO date or timestamp (day is date)"
    ]


# -- range ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dist", ["uniform", "normal", "lognormal"])
def test_range_stays_inside_its_bounds(dist: str) -> None:
    ints = build(RangeGenerator, {"min": 1, "max": 100, "distribution": dist}, QTY)
    x = ints.from_uniform(rng().random(5000), rng())
    assert x.dtype == np.int64 and x.min() >= 1 and x.max() <= 100
    money = build(RangeGenerator, {"min": 0.5, "max": 9.5, "distribution": dist}, PRICE)
    y = money.from_uniform(rng(1).random(5000), rng())
    assert y.min() >= 0.5 and y.max() <= 9.5
    assert np.allclose(y, np.round(y, 2))  # the column's scale


def test_range_shapes_differ_by_distribution() -> None:
    u = rng().random(20_000)
    normal = build(
        RangeGenerator, {"min": 0, "max": 100, "distribution": "normal", "mean": 30, "sd": 5}, PRICE
    )
    assert np.mean(normal.from_uniform(u, rng())) == pytest.approx(30, abs=0.3)
    skewed = build(RangeGenerator, {"min": 0, "max": 1000, "distribution": "lognormal", "mean": 50}, PRICE)
    values = skewed.from_uniform(u, rng())
    assert np.median(values) < np.mean(values) < 60  # right-skewed, mean near the one asked for
    flat = build(RangeGenerator, {"min": 0, "max": 10}, PRICE).from_uniform(u, rng())
    assert np.mean(flat) == pytest.approx(5, abs=0.1)


def test_range_of_dates_and_unique_integers() -> None:
    days = build(RangeGenerator, {"min": dt.date(2020, 1, 1), "max": "2020-01-31"}, DAY)
    out = days.from_uniform(rng().random(500), rng())
    assert min(out) == dt.date(2020, 1, 1) and max(out) == dt.date(2020, 1, 31)
    stamps = build(RangeGenerator, {"min": "2020-01-01", "max": "2020-01-02"}, STAMP).from_uniform(
        rng().random(10), rng()
    )
    assert str(stamps.dt.tz) == "UTC"
    unique = build(RangeGenerator, {"min": 10, "max": 19}, QTY, FitContext(unique=True))
    assert sorted(unique.from_index(np.arange(10), rng())) == list(range(10, 20))
    with pytest.raises(GenerationError) as info:
        unique.from_index(np.array([10]), rng())
    assert (
        str(info.value)
        == "cannot make more than 10 unique integers in [10, 19]: row index 10 is out of range"
    )


def test_range_messages() -> None:
    assert problems(RangeGenerator, {"min": 0, "max": 1}, NAME) == [
        "generator range needs a numeric or date column; name is text"
    ]
    assert problems(RangeGenerator, {"min": 5, "max": 1}, QTY) == ["max (1) is below min (5)"]
    assert problems(RangeGenerator, {"min": 0, "max": 1, "distribution": "gauss"}, QTY) == [
        "distribution must be one of uniform, normal, lognormal, got 'gauss'."
    ]
    assert problems(RangeGenerator, {"min": 0, "max": 1, "mean": 3}, QTY) == [
        "mean applies to the normal and lognormal distributions only"
    ]
    assert problems(RangeGenerator, {"min": 0.2, "max": 0.8}, QTY) == ["no integer lies between 0.2 and 0.8"]
    assert problems(
        RangeGenerator, {"min": 0, "max": 9, "distribution": "normal"}, QTY, FitContext(unique=True)
    ) == ["range makes unique values only for an integer column with distribution uniform"]
    assert problems(RangeGenerator, {"min": "a", "max": 3}, QTY) == [
        "min: 'a' is not a number (qty is integer)"
    ]


# -- sequence ---------------------------------------------------------------------------------


def test_sequence_numbers_rows_and_formats_them() -> None:
    seq = build(SequenceGenerator, {"start": 1000, "step": 5, "format": "INV-{:06d}"}, CODE)
    assert list(seq.from_index(np.array([0, 1, 7]), rng())) == ["INV-001000", "INV-001005", "INV-001035"]
    plain = build(SequenceGenerator, {}, QTY)
    assert list(plain.from_index(np.arange(3), rng())) == [1, 2, 3]
    assert SequenceGenerator.by_index and SequenceGenerator.unique_capable
    with pytest.raises(GenerationError) as info:
        seq.from_uniform(np.zeros(2), rng())
    assert str(info.value) == (
        "the sequence generator numbers rows: the engine must call from_index with the row indexes"
    )


def test_sequence_messages() -> None:
    assert problems(SequenceGenerator, {"step": 0}, QTY) == ["step cannot be 0 (that is a constant)"]
    assert problems(SequenceGenerator, {"format": "{0.__class__}"}, CODE) == [
        "format '{0.__class__}' may only use {} or {0} (with a format spec such as {:06d})"
    ]
    assert problems(SequenceGenerator, {"format": "A-{}-{}"}, CODE) == [
        "format 'A-{}-{}' must have exactly one {} field, it has 2"
    ]
    assert problems(SequenceGenerator, {"format": "{:q}"}, CODE) == [
        "format '{:q}' does not format an integer: Unknown format code 'q' for object of type 'int'"
    ]
    assert problems(SequenceGenerator, {"format": "N{}"}, QTY) == ["format makes text; qty is integer"]


# -- regex ------------------------------------------------------------------------------------

PATTERNS = [
    r"[A-Z]{3}-[0-9]{4}",
    r"^(?:SKU|ART)_\d{2,5}$",
    r"[a-f0-9]{8}(-[a-f0-9]{4}){3}",
    r"(red|green|blue)\.?[xyz]*",
    r"\w+@example\.(com|org)",
    r"[^A-Za-z0-9 ]{3}\s?\S",
    r"a{2,}b+c?",
    r"(?P<area>\(\d{3}\)) \d{3}-\d{4}",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_regex_values_match_their_pattern(pattern: str) -> None:
    model = RegexGenerator(pattern)
    for value in model.from_uniform(np.zeros(300), rng()):
        assert re.fullmatch(pattern, value), value
    n = min(300, model.capacity())  # a{2,}b+c? has one string on its unique path
    unique = model.from_index(np.arange(n), rng())
    assert len(set(unique)) == n
    assert all(re.fullmatch(pattern, v) for v in unique)


def test_regex_unique_values_do_not_depend_on_the_stream() -> None:
    model = RegexGenerator("[A-Z]{2}[0-9]{2}")
    first = model.from_index(np.arange(0, 500), rng(1))
    second = model.from_index(np.arange(500, 676 * 100), rng(2))  # a later chunk, another stream
    assert len(set(first) | set(second)) == 676 * 100
    with pytest.raises(GenerationError) as info:
        model.from_index(np.array([67_600]), rng())
    assert str(info.value) == (
        "cannot make more than 67,600 unique values matching '[A-Z]{2}[0-9]{2}': "
        "row index 67600 is out of range"
    )


@settings(max_examples=60, deadline=None)
@given(
    st.from_regex(r"[a-c]{1,3}(\|[a-c]{1,2})?(\[[a-d]-[e-h]\]\{1,3\})?\??", fullmatch=True),
    st.integers(0, 99),
)
def test_regex_generated_strings_match_for_generated_patterns(pattern: str, seed: int) -> None:
    values = RegexGenerator(pattern).from_uniform(np.zeros(20), rng(seed))
    assert all(re.fullmatch(pattern, v) for v in values)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("[A-Z", "unterminated character class at character 1"),
        ("a{3,1}", "the repeat {3,1} has its maximum below its minimum at character 2"),
        ("a{x}", "a repeat must look like {m}, {m,n} or {m,} at character 2"),
        ("(?=x)y", "lookaround and inline flags are not supported at character 1"),
        (r"(a)\1", "back-references are not supported at character 4"),
        ("*a", "nothing to repeat before '*' at character 1"),
        ("a**", "a repeat cannot be repeated at character 3"),
        ("(ab", "missing ')' at character 1"),
        ("ab)", "unexpected ')' at character 3"),
        ("a^b", "'^' is only supported at the start or end of the pattern at character 2"),
        ("[z-a]", "the range z-a is reversed at character 2"),
    ],
)
def test_regex_syntax_messages(pattern: str, message: str) -> None:
    with pytest.raises(PatternError) as info:
        parse_pattern(pattern)
    assert str(info.value) == message
    assert problems(RegexGenerator, {"pattern": pattern}, CODE) == [f"pattern '{pattern}': {message}"]


def test_regex_must_fit_the_column() -> None:
    assert problems(RegexGenerator, {"pattern": "[A-Z]{13}"}, CODE) == [
        "pattern '[A-Z]{13}' makes strings of up to 13 characters; code is varchar(12)"
    ]
    assert problems(RegexGenerator, {"pattern": "[0-9]+"}, QTY) == [
        "generator regex needs a text column; qty is integer"
    ]


# -- faker ------------------------------------------------------------------------------------


def test_faker_is_deterministic_for_an_rng_state_and_takes_args() -> None:
    model = build(FakerGenerator, {"provider": "pyint", "args": {"min_value": 5, "max_value": 7}}, QTY)
    a = model.from_uniform(np.zeros(50), rng(3))
    assert list(a) == list(model.from_uniform(np.zeros(50), rng(3)))
    assert set(a) <= {5, 6, 7}
    german = build(FakerGenerator, {"provider": "city"}, CODE, FitContext(locale="de_DE"))
    assert german.locale == "de_DE"
    assert all(len(v) <= 12 for v in german.from_uniform(np.zeros(50), rng()))
    positional = build(FakerGenerator, {"provider": "bothify", "args": ["??-##"]}, CODE)
    assert all(re.fullmatch(r"[A-Za-z]{2}-\d\d", v) for v in positional.from_uniform(np.zeros(20), rng()))


def test_faker_messages() -> None:
    assert problems(FakerGenerator, {"provider": "phone_numbr"}, CODE) == [
        "unknown Faker provider 'phone_numbr' (locale en_US). Did you mean 'phone_number'?"
    ]
    assert problems(FakerGenerator, {"provider": "pyint", "args": {"max_valu": 3}}, QTY) == [
        "Faker provider pyint has no argument 'max_valu'. Did you mean 'max_value'?"
    ]
    (failure,) = problems(
        FakerGenerator, {"provider": "pyint", "args": {"min_value": 9, "max_value": 1}}, QTY
    )
    # The tail is Python's own wording of the provider's error, which changes between versions.
    assert failure.startswith("Faker provider pyint fails with these args: ValueError: empty range")
    assert problems(FakerGenerator, {"provider": "name"}, QTY) == [
        "Faker provider name returns text; qty is integer"
    ]
    assert problems(FakerGenerator, {"provider": "date_time"}, QTY) == [
        "Faker provider date_time returns timestamps; qty is integer"
    ]


# -- expression -------------------------------------------------------------------------------


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "first_name": ["Ada", None, "Bo"],
            "last_name": ["Byron", "Curie", None],
            "qty": pd.array([2, 3, None], dtype="Int64"),
            "price": [1.5, 2.0, 10.0],
            "day": pd.Series(pd.to_datetime(["2020-01-02", "2021-03-04", None])).astype("datetime64[us]"),
        }
    )


@pytest.mark.parametrize(
    ("expression", "column", "expected"),
    [
        ("first_name + ' ' + last_name", NAME, ["Ada Byron", None, None]),
        ("concat(first_name, ' ', last_name)", NAME, ["Ada Byron", " Curie", "Bo "]),
        ("upper(substr(first_name, 1, 1)) || lower(last_name)", NAME, ["Abyron", None, None]),
        ("coalesce(first_name, last_name, 'n/a')", NAME, ["Ada", "Curie", "Bo"]),
        ("if(qty > 2, 'many', 'few')", NAME, ["few", "many", "few"]),
        ("'#' + qty + ' on ' + day", NAME, ["#2 on 2020-01-02", "#3 on 2021-03-04", None]),
        ("round(price * qty * 1.19, 2)", TOTAL, [3.57, 7.14, None]),
        ("qty * 2 - 1", COUNT, [3, 5, None]),
        ("price / (qty - 2)", TOTAL, [None, 2.0, None]),
        ("length(replace(last_name, 'r', ''))", COUNT, [4, 4, None]),
        ("not (qty >= 3) and first_name = 'Ada'", FLAG, [True, False, False]),
        ("not (qty >= 3) or first_name = 'Ada'", FLAG, [True, None, None]),
    ],
)
def test_expression_values(expression: str, column: Column, expected: list) -> None:
    model = build(ExpressionGenerator, {"expression": expression}, column)
    out = coerce_column(column, model.derive(frame(), rng()), None)
    got = [None if pd.isna(v) else (round(float(v), 6) if column.logical is L.DECIMAL else v) for v in out]
    assert got == expected
    assert decode(encode(model)) == model


def test_expression_is_derived_not_drawn() -> None:
    model = build(ExpressionGenerator, {"expression": "qty + 1"}, COUNT)
    assert ExpressionGenerator.derived and model.inputs == {"qty": L.INTEGER}
    with pytest.raises(GenerationError) as info:
        model.from_uniform(np.zeros(1), rng())
    assert str(info.value) == (
        "expression 'qty + 1' is computed from the row: the engine must call derive(frame, rng)"
    )


@pytest.mark.parametrize(
    ("expression", "column", "message"),
    [
        ("first_name - 1", NAME, "'-' needs numbers, got text and integer at character 12"),
        ("frist_name + 'x'", NAME, "unknown column 'frist_name' at character 1. Did you mean 'first_name'?"),
        ("uper(first_name)", NAME, "unknown function 'uper' at character 1. Did you mean 'upper'?"),
        ("upper(first_name, 2)", NAME, "upper() takes 1 argument(s), got 2 at character 1"),
        ("round(price, qty)", TOTAL, "round()'s digits must be a whole number such as 2 at character 14"),
        ("coalesce(qty, 'x')", NAME, "coalesce() mixes integer and text at character 1"),
        ("name + 1", NAME, "a column cannot be computed from itself at character 1"),
        ("qty > 1", COUNT, "gives boolean; n is bigint"),
        ("doc", NAME, "an expression cannot read doc is jsonb"),
        ("(qty + ", QTY, "unexpected end of the expression at character 8"),
        ("qty @ 2", QTY, "unexpected '@' at character 5"),
        ("'open", NAME, "unexpected ''' at character 1"),
    ],
)
def test_expression_messages(expression: str, column: Column, message: str) -> None:
    joiner = " " if message.startswith("gives") else ": "
    assert problems(ExpressionGenerator, {"expression": expression}, column) == [
        f"expression '{expression}'{joiner}{message}"
    ]


# -- round trips, determinism, pii overrides --------------------------------------------------

MODELS = [
    build(ChoiceGenerator, {"values": {"a": 1, "b": 2}}, CODE),
    build(ConstantGenerator, {"value": dt.date(2020, 2, 29)}, DAY),
    build(RangeGenerator, {"min": 0, "max": 5, "distribution": "normal"}, PRICE),
    build(SequenceGenerator, {"start": 7}, QTY),
    build(RegexGenerator, {"pattern": "[A-Z]{4}"}, CODE),
    build(FakerGenerator, {"provider": "pyint", "args": {"max_value": 9}}, QTY),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.kind)
def test_models_round_trip_and_repeat_under_a_seed(model: GeneratorModel) -> None:
    assert decode(encode(model)) == model
    assert isinstance(model.describe(), str) and "(config)" in model.describe()
    make = model.from_index if model.by_index else model.from_uniform
    first = make(np.arange(40) if model.by_index else rng(5).random(40), rng(9))
    again = make(np.arange(40) if model.by_index else rng(5).random(40), rng(9))
    assert list(map(str, first)) == list(map(str, again))


def test_pii_overrides_choose_the_model() -> None:
    emails = pd.Series([f"user{i}@corp.test" for i in range(40)])
    plain = choose_with_pii(Column("email", "text", L.TEXT), emails, CTX, False)
    assert plain.pii is None and plain.model.kind != "faker"
    forced = choose_with_pii(
        Column("notes", "text", L.TEXT), pd.Series(["x1", "y2"] * 20), CTX, PiiKind.PHONE
    )
    assert forced.pii is PiiKind.PHONE and forced.model.kind == "faker"
    guessed = choose_with_pii(Column("contact", "text", L.TEXT), emails, CTX, True)
    assert guessed.pii is PiiKind.EMAIL
    fallback = choose_with_pii(Column("remark", "text", L.TEXT), pd.Series(["abc def"] * 30), CTX, True)
    assert fallback.pii is PiiKind.FREE_TEXT and fallback.model.kind == "free_text"
    born = choose_with_pii(DAY, pd.Series([dt.date(1980, 1, 1)] * 10), CTX, True)
    assert born.pii is PiiKind.DATE_OF_BIRTH
