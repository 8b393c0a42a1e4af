"""Privacy: did a source record or a personal value end up in the target?

Four measurements, each with a plain-language verdict (``ok`` / ``warn`` / ``leak``):

* **Exact copies** — target rows equal to a source row over the *non-key*, non-constant
  columns (keys are generated and constants match everything, so they say nothing), compared
  with what chance gives: how often source rows repeat each other, or hit a source row when
  each column is shuffled on its own. A table of two status columns repeats by nature, a
  customer table must not. A table with fewer than two such columns has no record to copy.
* **Distance to the closest record** (DCR) — over the same columns less personal data, for
  target rows, the Gower distance (mean over columns of ``|a − b| / range`` for numbers and
  dates, ``a ≠ b`` for the rest) to the nearest source row. The baseline is the same distance
  for *holdout* source rows (``holdout_fraction``: real rows kept out of the reference, ideally
  also out of fitting) or, without a holdout, for source rows to their nearest *other* source
  row. ``closer_share`` is the share of target rows closer than the baseline's 5th percentile:
  about 5% is what fresh real data gives.
* **Personal-data leak scan** — every source value of a personal-data column
  (:func:`dbsynth.columns.pii.detect_pii`) looked up in every text column of every target table,
  e-mail addresses also inside longer text. Direct identifiers (e-mail, phone, full name, street
  address, card, IBAN, IP, username, URL, password hash, free text) are leaks when found in their
  own column or when distinctive anywhere else (:func:`distinctive`); common values
  (first names, last names, cities, states, countries, postcodes, companies) are shared by
  chance and only listed — unless a whole *combination* of a source row's common personal
  values (three or more, a name among them: first and last name with the city) reappears in one
  target row, which is a leak.
* **Rare categories** — text values seen fewer than ``min_count`` times in a source column that
  appear in the same target column: a rare value can single out a production record.

All of it runs on the samples. Examples are masked (:func:`dbsynth.report.result.mask`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dbsynth.columns.pii import PiiKind
from dbsynth.report.columns import CONTINUOUS, ColumnInfo
from dbsynth.report.result import (
    MEMBERSHIP_FIGURES,
    DistanceToClosest,
    ExactCopies,
    Membership,
    PiiFinding,
    Privacy,
    RareLeak,
    Verdict,
    mask,
)
from dbsynth.schema import LogicalType, Table

DCR_QUERIES = 500  # target (and baseline) rows whose nearest source row is looked for
DCR_REFERENCE = 5_000  # source rows searched
_CELLS = 2_000_000  # distance-matrix cells per chunk: bounded memory
MIN_LEAK_LENGTH = 4  # shorter values ("n/a", "0") match by chance
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

DIRECT = frozenset(
    {
        PiiKind.EMAIL,
        PiiKind.PHONE,
        PiiKind.FULL_NAME,
        PiiKind.STREET_ADDRESS,
        PiiKind.IBAN,
        PiiKind.CREDIT_CARD,
        PiiKind.IP_ADDRESS,
        PiiKind.USERNAME,
        PiiKind.URL,
        PiiKind.PASSWORD_HASH,
        PiiKind.FREE_TEXT,
    }
)
PERSON = frozenset({PiiKind.FIRST_NAME, PiiKind.LAST_NAME, PiiKind.DATE_OF_BIRTH})
_TEXT_TYPES = (LogicalType.STRING, LogicalType.TEXT)


@dataclass(frozen=True)
class PrivacyTable:
    """What privacy reads of one table: its source columns' kinds and the comparable frames
    (target renamed to the source's names)."""

    table: Table
    infos: Mapping[str, ColumnInfo]
    source: pd.DataFrame
    target: pd.DataFrame

    @property
    def data_columns(self) -> list[str]:
        return [c for c, info in self.infos.items() if info.kind != "id" and c in self.source.columns]


def _worst(verdicts: Sequence[Verdict]) -> Verdict:
    return "leak" if "leak" in verdicts else "warn" if "warn" in verdicts else "ok"


# -- exact copies -----------------------------------------------------------------------------


def row_hashes(frame: pd.DataFrame) -> pd.Series:
    # Labels and floats hash by value; -0.0 and 0.0, 12.5 and 12.50 are already one form here.
    return pd.util.hash_pandas_object(frame.astype(object).where(frame.notna(), None), index=False)


def informative(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The ``columns`` that are not constant in ``frame``: a constant column (``last_update``
    stamped at load time) matches every row and says nothing about a record."""
    return [c for c in columns if frame[c].nunique(dropna=False) > 1]


def _chance_share(source: pd.DataFrame, hashes: pd.Series, seed: int) -> float:
    """Share of rows that equal a source row by chance: the larger of how often source rows
    repeat each other and how often rows drawn with the columns combined freely (each column
    shuffled on its own: same values, no records) hit a source row."""
    rng = np.random.default_rng(seed)
    shuffled = pd.DataFrame({c: source[c].to_numpy()[rng.permutation(len(source))] for c in source.columns})
    free = float(row_hashes(shuffled).isin(set(hashes)).mean())
    return max(free, float(hashes.duplicated(keep=False).mean()))


def exact_copies(
    table: str, columns: Sequence[str], source: pd.DataFrame, target: pd.DataFrame, seed: int = 0
) -> ExactCopies:
    """Target rows equal to some source row over ``columns`` (comparable forms), against what
    chance gives (:func:`_chance_share`): more than chance plus two standard deviations is a
    warning, more than 5% of the rows a leak."""
    if not columns:
        return ExactCopies(table, (), len(target), 0, None, None, "ok", "no non-key column to compare")
    if len(target) == 0 or len(source) == 0:
        return ExactCopies(table, tuple(columns), len(target), 0, None, None, "ok", "no rows to compare")
    src, tgt = row_hashes(source[list(columns)]), row_hashes(target[list(columns)])
    copies = int(tgt.isin(set(src)).sum())
    share = copies / len(tgt)
    chance = _chance_share(source[list(columns)], src, seed)
    expected = chance * len(tgt)
    what = f"{len(columns)} non-key column(s)"
    if copies == 0:
        text = f"no target row repeats a source row over its {what}"
        return ExactCopies(table, tuple(columns), len(tgt), 0, 0.0, chance, "ok", text)
    text = f"{copies:,} of {len(tgt):,} target rows ({share:.1%}) repeat a source row over its {what}"
    by_chance = f"chance alone gives about {expected:,.1f}"
    verdict: Verdict
    if copies <= expected + 2 * expected**0.5:
        verdict = "ok"
        text += f"; {by_chance} (source rows repeat each other, or their columns combine freely)"
    elif share <= 0.05:
        verdict = "warn"
        text += f"; {by_chance}"
    else:
        verdict = "leak"
        text += f": records were copied ({by_chance})"
    return ExactCopies(table, tuple(columns), len(tgt), copies, share, chance, verdict, text)


# -- distance to closest record ---------------------------------------------------------------


def encode_rows(
    frames: Sequence[pd.DataFrame], columns: Sequence[str], continuous: set[str]
) -> list[np.ndarray]:
    """Each frame as a float matrix: scaled numbers (NaN for NULL) and joint category codes."""
    out = [np.empty((len(f), len(columns))) for f in frames]
    for j, col in enumerate(columns):
        if col in continuous:
            values = [f[col].to_numpy("float64") for f in frames]
            ref = values[0][np.isfinite(values[0])]
            span = float(ref.max() - ref.min()) if len(ref) else 0.0
            for m, v in zip(out, values, strict=True):
                m[:, j] = v / span if span > 0 else np.where(np.isfinite(v), 0.0, np.nan)
        else:
            both = pd.concat([f[col].astype(object) for f in frames], ignore_index=True)
            codes = (
                pd.factorize(both, use_na_sentinel=False)[0].astype("float64") * 2.0
            )  # gap ≥ 2 → clipped to 1
            start = 0
            for m, f in zip(out, frames, strict=True):
                m[:, j] = codes[start : start + len(f)]
                start += len(f)
    return out


def nearest_distances(
    queries: np.ndarray, reference: np.ndarray, self_index: np.ndarray | None = None
) -> np.ndarray:
    """Gower distance from every query row to its nearest reference row. Columns are encoded by
    :func:`encode_rows`: a per-column difference is ``min(1, |a − b|)``, 0 for two NULLs, 1 for a
    NULL and a value. ``self_index[i]`` is the reference row that *is* query ``i`` (skipped)."""
    n, width = queries.shape
    best = np.full(n, np.inf)
    if n == 0 or len(reference) == 0 or width == 0:
        return np.full(n, np.nan)
    chunk = max(1, _CELLS // max(1, len(reference)))
    ref_nan = np.isnan(reference)
    for start in range(0, n, chunk):
        q = queries[start : start + chunk]
        total = np.zeros((len(q), len(reference)))
        for j in range(width):
            diff = np.minimum(1.0, np.abs(q[:, j, None] - reference[None, :, j]))
            q_nan = np.isnan(q[:, j])[:, None]
            diff = np.where(
                q_nan & ref_nan[None, :, j], 0.0, np.where(q_nan | ref_nan[None, :, j], 1.0, diff)
            )
            total += diff
        if self_index is not None:
            rows = np.arange(len(q))
            total[rows, self_index[start : start + len(q)]] = np.inf
        best[start : start + len(q)] = total.min(axis=1) / width
    return best


def distance_to_closest(
    table: str,
    columns: Sequence[str],
    continuous: set[str],
    source: pd.DataFrame,
    target: pd.DataFrame,
    holdout_fraction: float,
    seed: int,
) -> DistanceToClosest | None:
    """The DCR of target rows against the source, with its baseline (module docstring); None
    when there is nothing to measure (fewer than two columns or rows)."""
    if len(columns) < 2 or len(target) == 0 or len(source) < 2:
        return None
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(source))
    n_hold = round(len(source) * holdout_fraction)
    if holdout_fraction > 0 and 1 <= n_hold < len(source):
        hold_rows, ref_rows = order[:n_hold][:DCR_QUERIES], order[n_hold:][:DCR_REFERENCE]
        ref, hold = source.iloc[ref_rows], source.iloc[hold_rows]
        baseline_kind = "holdout"
    else:
        ref_rows = order[:DCR_REFERENCE]
        ref, hold = source.iloc[ref_rows], source.iloc[ref_rows[:DCR_QUERIES]]
        baseline_kind = "source"
    tgt = target.iloc[rng.permutation(len(target))[:DCR_QUERIES]]
    ref_m, hold_m, tgt_m = encode_rows([ref, hold, tgt], columns, continuous)
    self_index = np.arange(len(hold)) if baseline_kind == "source" else None
    d_base = nearest_distances(hold_m, ref_m, self_index)
    d_tgt = nearest_distances(tgt_m, ref_m)
    med_t, med_b = float(np.median(d_tgt)), float(np.median(d_base))
    p05 = float(np.quantile(d_base, 0.05))
    closer = float(np.mean(d_tgt < p05))
    against = "held-out source rows" if baseline_kind == "holdout" else "source rows to each other"
    verdict: Verdict = "ok" if closer <= 0.10 else "warn" if closer <= 0.25 else "leak"
    if verdict == "ok":
        text = f"target rows are no closer to the source than {against} (median {med_t:.3f} vs {med_b:.3f})"
    else:
        text = (
            f"{closer:.0%} of target rows are closer to a source row than 95% of {against} are "
            f"(median {med_t:.3f} vs {med_b:.3f}): "
            + ("some records look copied" if verdict == "leak" else "worth a look")
        )
    return DistanceToClosest(table, len(tgt), baseline_kind, med_t, med_b, p05, closer, verdict, text)  # type: ignore[arg-type]


# -- personal data ----------------------------------------------------------------------------


def normalize(values: pd.Series) -> pd.Series:
    """Text as compared for leaks: trimmed, case-folded, inner whitespace collapsed. Object
    dtype: membership tests on Python strings are an order of magnitude faster than on Arrow
    strings against a large lookup."""
    text = values.dropna().astype(str).str.strip().str.casefold().str.replace(r"\s+", " ", regex=True)
    return text[text.str.len() >= MIN_LEAK_LENGTH].astype(object)


def _text_columns(frame: pd.DataFrame) -> list[str]:
    """Columns holding text, judged by their values (a target's types may differ from the
    source's, and extra tables have no source type at all)."""

    def holds_text(values: pd.Series) -> bool:
        if isinstance(values.dtype, pd.StringDtype):
            return True
        return values.dtype == object and bool(values.dropna().head(100).map(type).eq(str).any())

    return [c for c in frame.columns if holds_text(frame[c])]


def distinctive(value: str) -> bool:
    """Whether a personal value found in *another* column than its own still betrays its
    source: e-mails, phone numbers and the like (a digit or an ``@``), or long, many-word text.
    A one-word username ``mike`` in a first-name column is a coincidence, not a leak."""
    return bool(re.search(r"[\d@]", value)) or len(value.split()) >= 3 or len(value) >= 20


def pii_scan(
    sources: Sequence[PrivacyTable], targets: Mapping[str, pd.DataFrame]
) -> tuple[list[PiiFinding], list[str]]:
    """Look up the personal values of every table in ``sources`` (source frames and column
    kinds, all source columns: a column the target lacks may have leaked elsewhere) in every
    text column of ``targets`` (every target table, keyed and named like the source where they
    match). Returns one finding per source column with a match, and the columns scanned."""
    owners: dict[str, list[tuple[str, str, PiiKind]]] = defaultdict(list)
    sizes: dict[tuple[str, str], int] = {}
    scanned: list[str] = []
    for t in sources:
        for col, info in t.infos.items():
            if info.kind != "pii" or info.pii is None or info.pii is PiiKind.DATE_OF_BIRTH:
                continue
            scanned.append(f"{t.table.key}.{col}")
            values = set(normalize(t.source[col]))
            sizes[(t.table.key, col)] = len(values)
            for v in values:
                owners[v].append((t.table.key, col, info.pii))
    # (source table, column) -> matched value -> target "table.column" it was found in
    hits: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    emails = {v for v, o in owners.items() if any(k is PiiKind.EMAIL for *_, k in o)}
    known = np.array(list(owners), dtype=object)
    for key, frame in targets.items():
        for col in _text_columns(frame):
            text = normalize(frame[col])
            hit = text.isin(known)
            found = set(text[hit])
            if emails:
                embedded = text[text.str.contains("@", regex=False) & ~hit]
                found |= {e for e in embedded.str.findall(EMAIL.pattern).explode().dropna() if e in emails}
            for value in found:
                for s_table, s_col, _ in owners[value]:
                    hits[(s_table, s_col)][value].add(f"{key}.{col}")
    findings = []
    for (s_table, s_col), located in hits.items():
        kind = next(k for t, c, k in owners[next(iter(located))] if (t, c) == (s_table, s_col))
        own = f"{s_table}.{s_col}"
        leaked = sorted(
            v for v, places in located.items() if kind in DIRECT and (own in places or distinctive(v))
        )
        shown = leaked or sorted(located)
        found_in = sorted({p for v in shown for p in located[v]})
        if leaked:
            text = f"LEAK: {len(leaked):,} {kind.value} value(s) of {own} found in the target"
        elif kind in DIRECT:
            text = (
                f"{len(shown):,} short {kind.value} value(s) of {own} occur in other target columns "
                f"({', '.join(found_in[:3])}): common words, not a leak on their own"
            )
        else:
            text = (
                f"{len(shown):,} of {sizes[(s_table, s_col)]:,} {kind.value} values of {own} "
                "also occur in the target: common values shared by chance, not a leak on their own"
            )
        examples = tuple(mask(v) for v in shown[:3])
        finding = PiiFinding(
            s_table,
            s_col,
            kind,
            sizes[(s_table, s_col)],
            len(shown),
            tuple(found_in),
            examples,
            bool(leaked),
            text,
        )
        findings.append(finding)
    return findings, scanned


def _person_keys(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """One text key per row over ``columns`` (normalized values, NULL a token of its own)."""
    parts = [
        frame[c]
        .astype(object)
        .map(lambda v: "\x00" if v is None or v is pd.NA else str(v).strip().casefold())
        for c in columns
    ]
    return pd.Series(["\x1f".join(row) for row in zip(*parts, strict=True)], index=frame.index, dtype=object)


def person_combinations(tables: Sequence[PrivacyTable]) -> list[PiiFinding]:
    """Target rows whose *common* personal values (names, city, postcode, birth date ...) all
    equal one source row's: each value alone is shared by chance, all of them together are a
    person. Needs at least three such columns, one of them a name or a birth date (a city with
    its postcode is a place, not a person; a first and last name alone coincide by chance:
    Faker and a real table both favour Mary Smith), and two non-NULL values in the row."""
    out = []
    for t in tables:
        cols = [c for c, info in t.infos.items() if info.kind == "pii" and info.pii not in DIRECT]
        person = any(t.infos[c].pii in PERSON for c in cols)
        if not person or len(cols) < 3 or len(t.target) == 0 or len(t.source) == 0:
            continue
        enough = t.target[cols].notna().sum(axis=1) >= 2
        src, tgt = set(_person_keys(t.source, cols)), _person_keys(t.target[enough], cols)
        matched = tgt[tgt.isin(src)]
        if matched.empty:
            continue
        text = (
            f"LEAK: {len(matched):,} target row(s) of {t.table.key} carry a source row's "
            f"{', '.join(cols)} all together: a real person"
        )
        examples = tuple(mask(v.split("\x1f")[0]) for v in matched.head(3))
        finding = PiiFinding(
            t.table.key,
            "+".join(cols),
            "combination",
            len(src),
            len(matched),
            (t.table.key,),
            examples,
            True,
            text,
        )
        out.append(finding)
    return out


# -- rare categories --------------------------------------------------------------------------


def rare_leaks(tables: Sequence[PrivacyTable], min_count: int) -> list[RareLeak]:
    """Per text column (not personal data, not ENUM/SET, whose labels are schema, not data):
    how many source values are rare and how many of those appear in the target column."""
    out = []
    for t in tables:
        for col, info in t.infos.items():
            if info.kind not in ("categorical", "text") or t.table.column(col).logical not in _TEXT_TYPES:
                continue
            counts = t.source[col].dropna().value_counts()
            rare = set(counts[counts < min_count].index)
            if not rare:
                continue
            leaked = sorted(rare & set(t.target[col].dropna()))
            seen = f"seen fewer than {min_count} times in the source"
            if leaked:
                text = f"{len(leaked):,} of {len(rare):,} values {seen} appear in the target"
            else:
                text = f"none of the {len(rare):,} values {seen} appears in the target"
            out.append(
                RareLeak(t.table.key, col, len(rare), len(leaked), tuple(mask(v) for v in leaked[:3]), text)
            )
    return out


# -- all of it --------------------------------------------------------------------------------


def measure_privacy(
    tables: Sequence[PrivacyTable],
    sources: Sequence[PrivacyTable],
    targets: Mapping[str, pd.DataFrame],
    *,
    min_count: int,
    holdout_fraction: float,
    seed: int,
    copied: Mapping[str, str] | None = None,
    membership: Sequence[Membership] = (),
    model_holdout: float | None = None,
) -> Privacy:
    """Everything of the module docstring: copies, distances, person combinations and rare
    values over the matched ``tables``; the personal-data scan of ``sources`` in ``targets``
    (see :func:`pii_scan`). ``membership`` are the tests against the holdout of a model fitted
    with ``model_holdout`` (:mod:`dbsynth.report.membership`), folded into the verdict."""
    copies, distances = [], []
    copied = copied or {}
    for i, t in enumerate(tables):
        cols = informative(t.source, t.data_columns)
        if t.table.key in copied:
            # Reference data copied on purpose: its rows are the source's, its values no leak.
            copies.append(
                ExactCopies(t.table.key, tuple(cols), len(t.target), 0, None, None, "ok", copied[t.table.key])
            )
            continue
        if len(cols) < 2:
            # One column is a value, not a record: personal values and rare values are checked
            # by the scans below; a lookup table of country names "copies" them by nature.
            text = (
                f"fewer than two informative non-key columns ({', '.join(cols) or 'none'}): no record to copy"
            )
            copies.append(ExactCopies(t.table.key, tuple(cols), len(t.target), 0, None, None, "ok", text))
            continue
        copies.append(exact_copies(t.table.key, cols, t.source, t.target, seed + i))
        # Personal data is left out of distances: its values are generated to differ, and common
        # ones (first names) coincide by chance more often between Faker and a real table than
        # between real rows, which would read as closeness.
        data = [c for c in cols if t.infos[c].kind != "pii"]
        continuous = {c for c in data if t.infos[c].kind in CONTINUOUS}
        dcr = distance_to_closest(
            t.table.key, data, continuous, t.source, t.target, holdout_fraction, seed + i
        )
        if dcr is not None:
            distances.append(dcr)
    pii, scanned = pii_scan(sources, targets)
    pii += person_combinations(tables)
    rare = rare_leaks([t for t in tables if t.table.key not in copied], min_count)
    verdicts: list[Verdict] = [c.verdict for c in copies] + [d.verdict for d in distances]
    verdicts += ["leak" for f in pii if f.leak]
    verdicts += ["warn" for r in rare if r.leaked]
    verdicts += [m.verdict for m in membership]
    verdict = _worst(verdicts)
    statement = _statement(verdict, copies, distances, pii, rare, scanned, sorted(copied))
    if model_holdout is not None:
        statement = statement[:-1] + "; " + _membership_part(membership, model_holdout) + "."
    return Privacy(
        verdict=verdict,
        statement=statement,
        min_count=min_count,
        holdout_fraction=holdout_fraction,
        exact_copies=tuple(copies),
        distances=tuple(distances),
        pii=tuple(pii),
        rare=tuple(rare),
        pii_columns=tuple(scanned),
        copied=tuple(sorted(copied)),
        membership=tuple(membership),
        model_holdout=model_holdout,
        membership_figures=dict(MEMBERSHIP_FIGURES) if model_holdout is not None else {},
    )


def _names(items: Sequence[str], limit: int = 4) -> str:
    unique = list(dict.fromkeys(items))
    more = f" and {len(unique) - limit} more" if len(unique) > limit else ""
    return ", ".join(unique[:limit]) + more


def _membership_part(results: Sequence[Membership], fraction: float) -> str:
    tested = [m for m in results if m.auc is not None]
    if not tested:
        return f"no table had enough rows to test membership against the model's {fraction:.0%} holdout"
    failed = [m.table for m in tested if m.verdict != "ok"]
    if failed:
        return f"synthetic rows give away which rows the model was fitted on in {_names(failed)}"
    worst = max(m.auc or 0.0 for m in tested)
    return (
        f"membership tests against the model's {fraction:.0%} holdout pass in {len(tested)} "
        f"table(s) (highest AUC {worst:.2f})"
    )


def _statement(
    verdict: Verdict,
    copies: Sequence[ExactCopies],
    distances: Sequence[DistanceToClosest],
    pii: Sequence[PiiFinding],
    rare: Sequence[RareLeak],
    scanned: Sequence[str],
    copied_tables: Sequence[str] = (),
) -> str:
    parts = []
    leaks = [f for f in pii if f.leak]
    if leaks:
        parts.append("personal data leaked from " + _names([f"{f.table}.{f.column}" for f in leaks]))
    elif scanned:
        parts.append(
            f"no personal value of the {len(scanned)} personal-data column(s) was found in the target"
        )
    else:
        parts.append("no personal-data column was detected in the source")
    copied = [c.table for c in copies if c.verdict != "ok"]
    parts.append(
        f"rows repeating source rows in {_names(copied)}" if copied else "no copied rows beyond chance"
    )
    close = [d.table for d in distances if d.verdict != "ok"]
    if close:
        parts.append(f"target rows unusually close to source rows in {_names(close)}")
    leaked = [f"{r.table}.{r.column}" for r in rare if r.leaked]
    parts.append(
        f"rare source values reappear in {_names(leaked)}" if leaked else "no rare source value reappears"
    )
    if copied_tables:
        parts.append(f"reference data copied verbatim, not a leak: {_names(list(copied_tables))}")
    head = {"ok": "No leak found", "warn": "Worth a look", "leak": "Leak"}[verdict]
    return f"{head}: " + "; ".join(parts) + "."


__all__ = [
    "DCR_QUERIES",
    "DCR_REFERENCE",
    "DIRECT",
    "PrivacyTable",
    "distance_to_closest",
    "distinctive",
    "encode_rows",
    "exact_copies",
    "informative",
    "measure_privacy",
    "nearest_distances",
    "normalize",
    "person_combinations",
    "pii_scan",
    "rare_leaks",
    "row_hashes",
]
