"""The report as data: a tree of frozen dataclasses that the terminal summary, the JSON file and
the HTML page all read (three consumers of one object; nothing is computed while rendering).

Invariants:

* every score is a float in [0, 1] or ``None``, and a ``None`` score always comes with a
  ``note`` (or a ``statement``) saying why it is missing;
* table keys and column names are the **source's** (target names are mapped onto them);
* no field has a default, so :func:`dbsynth.serde.to_data` writes every number, ``null``
  included, and the JSON is complete;
* values shown from the source (leaked e-mails, rare categories) are masked (:func:`mask`): the
  report may travel further than production data may.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from dbsynth.columns.pii import PiiKind
from dbsynth.report.columns import ColumnKind
from dbsynth.report.metrics import PairMetric
from dbsynth.serde import to_data

REPORT_FORMAT = 1

Status = Literal["pass", "warn", "fail", "error", "skipped"]
CheckKind = Literal["schema", "foreign_key", "primary_key", "unique", "not_null", "check", "range"]
Verdict = Literal["ok", "warn", "leak"]


@dataclass(frozen=True)
class Histogram:
    """Shares of the source and target values per bin or category, for the plots. ``labels``
    name the bins (``"10 – 20"``) or categories; ``source`` and ``target`` sum to 1 (or are all
    0 for a side without values)."""

    kind: Literal["bins", "categories"]
    labels: tuple[str, ...]
    source: tuple[float, ...]
    target: tuple[float, ...]
    caption: str


@dataclass(frozen=True)
class ColumnScore:
    """A column's shape score (1 − KS or 1 − TVD, by ``kind``) and null rates."""

    column: str
    kind: ColumnKind
    metric: Literal["KSComplement", "TVComplement"] | None
    score: float | None
    null_rate_source: float
    null_rate_target: float
    null_similarity: float
    note: str | None
    histogram: Histogram | None


@dataclass(frozen=True)
class PairScore:
    """One column pair; ``source``/``target`` are Pearson's ρ or Cramér's V (by ``metric``)."""

    column_1: str
    column_2: str
    metric: PairMetric
    score: float | None
    source: float | None
    target: float | None
    contributes: bool
    note: str | None


@dataclass(frozen=True)
class Heatmap:
    """Pairwise strengths among a table's columns, source and target side by side: |ρ| for two
    continuous columns, Cramér's V otherwise; ``None`` where undefined. Rows are ``columns``."""

    columns: tuple[str, ...]
    source: tuple[tuple[float | None, ...], ...]
    target: tuple[tuple[float | None, ...], ...]


@dataclass(frozen=True)
class TableScore:
    """One table: row counts, how it was sampled, and its fidelity scores."""

    table: str
    rows_source: int
    rows_target: int
    rows_exact: bool
    sampled_source: int
    sampled_target: int
    row_ratio: float | None
    row_count_score: float | None
    column_shapes: float | None
    column_pair_trends: float | None
    null_rates: float | None
    score: float | None
    columns: tuple[ColumnScore, ...]
    pairs: tuple[PairScore, ...]
    heatmap: Heatmap | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class CardinalityScore:
    """Children per parent through one FK, measured with SQL over all rows of both databases:
    ``source_counts`` / ``target_counts`` are ``(children, parents with that many)`` pairs."""

    child: str
    parent: str
    columns: tuple[str, ...]
    score: float | None
    mean_source: float | None
    mean_target: float | None
    source_counts: tuple[tuple[int, int], ...]
    target_counts: tuple[tuple[int, int], ...]
    note: str | None


@dataclass(frozen=True)
class InterTableScore:
    """Pair trends between the columns of an ancestor and a child, on their join. ``path`` is
    ``(child, parent)`` for one hop and ``(child, parent, grandparent)`` for two."""

    path: tuple[str, ...]
    via: tuple[str, ...]
    hops: int
    score: float | None
    pairs: tuple[PairScore, ...]
    note: str | None


@dataclass(frozen=True)
class NotScored:
    """Columns left out of the column-shape and pair scores for one ``reason``, named
    ``table.column``: the report says what it does not score instead of leaving it out silently."""

    reason: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Fidelity:
    """The properties (SDMetrics' four, averaged into ``overall``; plus null rates, two-hop
    trends and row counts, reported apart) and their parts. A property is the mean over all its
    items in the database (every scored column, every contributing pair, every FK)."""

    overall: float | None
    column_shapes: float | None
    column_pair_trends: float | None
    cardinality: float | None
    inter_table_trends: float | None
    inter_table_two_hop: float | None
    null_rates: float | None
    row_counts: float | None
    scale: float
    scale_given: bool
    tables: tuple[TableScore, ...]
    cardinalities: tuple[CardinalityScore, ...]
    inter_table: tuple[InterTableScore, ...]
    not_scored: tuple[NotScored, ...] = ()

    @property
    def columns_total(self) -> int:
        return sum(len(t.columns) for t in self.tables)


@dataclass(frozen=True)
class ValidityCheck:
    """One SQL check run in the target. ``violations`` counts offending rows (or duplicated key
    values); ``sql`` is the statement that was run, so anyone can rerun it."""

    kind: CheckKind
    table: str
    name: str
    status: Status
    violations: int | None
    sql: str | None
    message: str


@dataclass(frozen=True)
class Validity:
    status: Status
    checks_run: int
    failed: int
    statement: str
    checks: tuple[ValidityCheck, ...]


@dataclass(frozen=True)
class ExactCopies:
    """Target rows equal to some source row over the non-key ``columns``; ``baseline`` is the
    share chance alone gives (source rows equal to another source row, or rows of independently
    shuffled source columns equal to a source row, whichever is larger)."""

    table: str
    columns: tuple[str, ...]
    rows_checked: int
    copies: int
    share: float | None
    baseline: float | None
    verdict: Verdict
    statement: str


@dataclass(frozen=True)
class DistanceToClosest:
    """Distance to the closest source record (mean per-column Gower distance, 0 = identical),
    for target rows and for the baseline (holdout rows, or source rows to each other)."""

    table: str
    rows_compared: int
    baseline: Literal["holdout", "source"]
    median_target: float | None
    median_baseline: float | None
    p05_baseline: float | None
    closer_share: float | None
    verdict: Verdict
    statement: str


@dataclass(frozen=True)
class PiiFinding:
    """Source values of a personal-data column found in the target. ``leak`` is True for direct
    identifiers (e-mails, phones, full names ...), False for common values shared by chance
    (first names, cities), which are listed but not a leak on their own."""

    table: str
    column: str
    kind: PiiKind | Literal["combination"]
    source_values: int
    matches: int
    found_in: tuple[str, ...]
    examples: tuple[str, ...]
    leak: bool
    statement: str


@dataclass(frozen=True)
class RareLeak:
    """Values seen fewer than ``k`` times in a source column that appear in the target's."""

    table: str
    column: str
    rare_values: int
    leaked: int
    examples: tuple[str, ...]
    statement: str


# What each membership figure means, one sentence each: the JSON carries them with the figures,
# the HTML page and the terminal summary show them.
MEMBERSHIP_FIGURES: dict[str, str] = {
    "dcr_training": "Median distance from a synthetic row to its nearest training row (a row the "
    "model was fitted on); 0 means identical.",
    "dcr_holdout": "Median distance from a synthetic row to its nearest holdout row (a real row the "
    "model never saw, as many of them as training rows); about dcr_training when nothing was memorised.",
    "closer_to_training": "Share of synthetic rows nearer a training row than any holdout row; about "
    "expected_closer (the training rows' share) when nothing was memorised, near 100% when rows were "
    "copied.",
    "exact_training": "Share of training rows that some synthetic row repeats exactly over the "
    "compared columns.",
    "exact_holdout": "Share of holdout rows that some synthetic row repeats exactly: what chance and "
    "common values give; exact_training well above it means training rows were copied.",
    "auc": "How well an attacker who scores each real row by its distance to the nearest synthetic "
    "row tells training rows from holdout rows: 0.5 not at all, 1 always (memorised).",
}


@dataclass(frozen=True)
class Membership:
    """Membership tests of one table against the rows the fit held out (``fit --holdout``):
    training rows were learnt from, holdout rows never seen. Distances are the Gower distances
    of :class:`DistanceToClosest`; ``training`` and ``holdout`` count the sampled source rows of
    each group, ``synthetic`` the sampled target rows. ``closer_to_training`` is the share of
    synthetic rows nearer a training row than any holdout row (ties broken at random),
    ``expected_closer`` what it is when nothing was memorised. ``exact_training`` and
    ``exact_holdout`` are the shares of each group's rows (all sampled) a synthetic row repeats
    over the compared columns. ``auc`` is how well the distance
    to the nearest synthetic row tells training rows from holdout rows (0.5: not at all);
    ``auc_limit`` and ``exact_gap_limit`` are where the verdict turns to ``leak``."""

    table: str
    columns: tuple[str, ...]
    training: int
    holdout: int
    synthetic: int
    dcr_training: float | None
    dcr_holdout: float | None
    closer_to_training: float | None
    expected_closer: float | None
    exact_training: float | None
    exact_holdout: float | None
    exact_gap_limit: float | None
    auc: float | None
    auc_limit: float | None
    verdict: Verdict
    statement: str


@dataclass(frozen=True)
class Privacy:
    verdict: Verdict
    statement: str
    min_count: int
    holdout_fraction: float
    exact_copies: tuple[ExactCopies, ...]
    distances: tuple[DistanceToClosest, ...]
    pii: tuple[PiiFinding, ...]
    rare: tuple[RareLeak, ...]
    pii_columns: tuple[str, ...]
    copied: tuple[str, ...] = ()  # reference tables copied verbatim (same rows on both sides)
    # Membership tests against the rows the model's fit held out (report --model); the share
    # of root entities held out, None without a model that has a holdout.
    membership: tuple[Membership, ...] = ()
    model_holdout: float | None = None
    membership_figures: dict[str, str] = field(default_factory=dict)  # MEMBERSHIP_FIGURES, when tested


@dataclass(frozen=True)
class SchemaDiff:
    """How the target's tables and columns differ from the source's (names as ``table`` and
    ``table.column``); the report scores the overlap."""

    missing_tables: tuple[str, ...]
    extra_tables: tuple[str, ...]
    missing_columns: tuple[str, ...]
    extra_columns: tuple[str, ...]
    statement: str


@dataclass(frozen=True)
class SampleNote:
    table: str
    method_source: str
    method_target: str
    sampled_source: int
    sampled_target: int
    rows_source: int
    rows_target: int


@dataclass(frozen=True)
class Report:
    """Everything ``dbsynth report`` measured. URLs are display URLs (no password)."""

    source: str
    target: str
    created: str
    seconds: float
    sample_rows: int
    seed: int
    sampling: str
    samples: tuple[SampleNote, ...]
    schema: SchemaDiff
    fidelity: Fidelity
    validity: Validity
    privacy: Privacy
    warnings: tuple[str, ...]
    format: int

    @property
    def score(self) -> float | None:
        """The overall score: the mean of the four SDMetrics properties."""
        return self.fidelity.overall

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data; a non-finite float (which no score should be) becomes ``null``
        rather than invalid JSON."""
        return _finite(to_data(self))  # type: ignore[no-any-return]

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_data(), indent=indent, ensure_ascii=False, allow_nan=False)


def _finite(data: Any) -> Any:
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_finite(v) for v in data]
    return data


def mask(value: object) -> str:
    """A source value as it may appear in a report: its first character and its length, with the
    e-mail domain's first letter (``j…(12)@e…``). Enough to find the row, not to learn it."""
    text = str(value)
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}…({len(local)})@{domain[:1]}…"
    return f"{text[:1]}…({len(text)})" if len(text) > 1 else "…(1)"


__all__ = [
    "MEMBERSHIP_FIGURES",
    "REPORT_FORMAT",
    "CardinalityScore",
    "CheckKind",
    "ColumnScore",
    "DistanceToClosest",
    "ExactCopies",
    "Fidelity",
    "Heatmap",
    "Histogram",
    "InterTableScore",
    "Membership",
    "NotScored",
    "PairScore",
    "PiiFinding",
    "Privacy",
    "RareLeak",
    "Report",
    "SampleNote",
    "SchemaDiff",
    "Status",
    "TableScore",
    "Validity",
    "ValidityCheck",
    "Verdict",
    "mask",
]
