"""Membership tests: did the model learn *its* rows, or the population they came from?

``dbsynth fit --holdout F`` keeps a share of the source's entities out of the fit and records
them by keyed hash in the model (:mod:`dbsynth.sampling.holdout`). With that model,
``dbsynth report --model`` splits each sampled source table into **training** rows (learnt
from) and **holdout** rows (never seen; drawn at random from the same population) and asks, per
table, whether the synthetic rows treat the two alike. A generator that memorised records sits
closer to training rows than to holdout rows; one that learnt distributions does not.

Over the non-key, non-personal columns of the distance to the closest record
(:func:`dbsynth.report.privacy.nearest_distances`, Gower distance):

* **DCR to training vs to holdout** — for up to ``QUERIES`` synthetic rows, the distance to the
  nearest training row and to the nearest holdout row, with training rows drawn to the holdout's
  number (at most ``GROUP``) so that neither side is closer merely by being larger; medians
  reported;
* **closer to training** — the share of those synthetic rows nearer a training row than any
  holdout row (all of both groups, or ``REFERENCE`` rows in their ratio; a tie broken at random):
  the training share of the compared rows when nothing is memorised (a synthetic row drawn from
  the population is as likely to fall next to any real row), near 1 when rows are copied;
* **exact matches** — the share of training rows, and of holdout rows, repeated exactly by some
  synthetic row. Chance and duplicated source records hit both groups alike;
* **membership attack** — each real row (up to ``GROUP`` per group) is scored by its distance to
  the nearest of up to ``REFERENCE`` synthetic rows, and the AUC says how well that score tells
  training rows from holdout rows: 0.5 when it cannot (nothing learnt about individual rows), 1
  when every training row has a synthetic twin.

When the test fails, and why those thresholds. Each table gives two one-sided tests; over all of
them the chance of a false alarm is held at ``ALPHA`` (1%) by Bonferroni, so each is run at
``ALPHA / tests``, with ``z`` its normal quantile:

* the AUC fails above ``0.5 + z·σ``, ``σ = sqrt((n₁ + n₂ + 1) / (12 n₁ n₂))`` the standard deviation
  of the Mann–Whitney AUC when the groups do not differ (ties only lower it, so the bound is
  conservative), and only when it is also at least ``MIN_AUC`` (0.6): a fitted model is a little
  closer to its own sample by nature (a category common in it), which a large table would
  otherwise flag;
* exact matches fail when the training rate exceeds the holdout rate by more than
  ``z·sqrt(p(1−p)(1/n₁ + 1/n₂))`` (the two-proportion test, ``p`` the pooled rate) and by at least
  ``MIN_EXACT_GAP`` = ``2·(MIN_AUC − 0.5)``, 20 points. "Has an exact synthetic twin" is itself an
  attack, whose AUC is ``0.5 + (rate_training − rate_holdout) / 2``: both attacks fail the report
  at the same strength. A smaller excess is what keeping frequent values gives by nature: a value kept
  because it is frequent *in the training rows* (a numeric atom, a category) favours them (the
  bundled shop's order items: 76% of training rows against 69% of holdout rows repeated, AUC
  0.54). Copies of a few records are the exact-copies check's to find.

A table needs ``MIN_ROWS`` rows in each group and in the target, and two compared columns, to be
tested. Training rows are the sampled rows whose hash is not in the model's holdout; when the fit
read only a sample of a table, some of them were never learnt from, which pulls the figures
toward "no difference" (the statement says so): the test can then miss, not raise a false alarm.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm, rankdata

from dbsynth.model import HeldOutTable
from dbsynth.report.columns import CONTINUOUS
from dbsynth.report.privacy import PrivacyTable, encode_rows, informative, nearest_distances, row_hashes
from dbsynth.report.result import Membership, Verdict
from dbsynth.sampling.holdout import key_hashes

ALPHA = 0.01  # chance of a false alarm over all the tests of a report
MIN_AUC = 0.6  # smallest AUC worth failing a report for
MIN_EXACT_GAP = 0.2  # the exact-twin attack at that AUC: 0.5 + gap / 2 = MIN_AUC
MIN_ROWS = 20  # rows each group (training, holdout, synthetic) needs for a table to be tested
GROUP = 1_000  # real rows per group scored by distance
QUERIES = 1_000  # synthetic rows whose nearest training and holdout rows are looked for
REFERENCE = 5_000  # synthetic rows searched for each real row's nearest


def held_rows(frame: pd.DataFrame, record: HeldOutTable, salt: str) -> np.ndarray | None:
    """Which rows of a sampled source ``frame`` the fit held out; None when the frame lacks a
    hashed key column (the source changed since the fit)."""
    if not all(c in frame.columns for c in record.key):
        return None
    hashes = key_hashes(frame, record.table, record.key, salt)
    return np.isin(np.asarray(hashes, dtype=object), np.asarray(record.hashes, dtype=object))


def critical_z(tests: int) -> float:
    """The one-sided normal quantile of each of ``tests`` tests (Bonferroni at ``ALPHA``)."""
    return float(norm.ppf(1.0 - ALPHA / max(1, tests)))


def auc(members: np.ndarray, others: np.ndarray) -> float:
    """P(a member's score is above another row's), ties counting half (Mann–Whitney)."""
    ranks = rankdata(np.concatenate([members, others]))
    n1, n2 = len(members), len(others)
    return float((ranks[:n1].sum() - n1 * (n1 + 1) / 2) / (n1 * n2))


def _skipped(table: str, columns: Sequence[str], n_t: int, n_h: int, n_s: int, why: str) -> Membership:
    return Membership(
        table, tuple(columns), n_t, n_h, n_s, None, None, None, None, None, None, None, None, None,
        "ok", f"not tested: {why}",
    )  # fmt: skip


def membership(
    table: str,
    columns: Sequence[str],
    continuous: set[str],
    source: pd.DataFrame,
    target: pd.DataFrame,
    held: np.ndarray,
    *,
    tests: int,
    whole: bool,
    seed: int,
) -> Membership:
    """The tests of the module docstring for one table: ``source`` (comparable frame) split by
    ``held``, ``target`` the synthetic rows; ``tests`` is the number of tests of the report
    (Bonferroni), ``whole`` whether the fit read every row of the table."""
    train_rows, hold_rows = np.flatnonzero(~held), np.flatnonzero(held)
    n_t, n_h, n_s = len(train_rows), len(hold_rows), len(target)
    if len(columns) < 2:
        return _skipped(table, columns, n_t, n_h, n_s, "fewer than two comparable non-key columns")
    if min(n_t, n_h, n_s) < MIN_ROWS:
        return _skipped(table, columns, n_t, n_h, n_s, f"fewer than {MIN_ROWS} rows in a group")
    cols = list(columns)
    z = critical_z(tests)

    # Exact matches: every sampled row of both groups against every synthetic row.
    synthetic = set(row_hashes(target[cols]))
    hashes = row_hashes(source[cols]).to_numpy()
    hit = np.isin(hashes, np.asarray(list(synthetic), dtype=hashes.dtype))
    exact_t, exact_h = float(hit[train_rows].mean()), float(hit[hold_rows].mean())
    pooled = float(hit.mean())
    spread = float(np.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_h)))
    exact_limit = max(MIN_EXACT_GAP, z * spread)

    rng = np.random.default_rng(seed)
    train_order, hold_order = rng.permutation(train_rows), rng.permutation(hold_rows)
    ref = target.iloc[rng.permutation(n_s)[:REFERENCE]]
    # Closer share: both groups whole, or cut to REFERENCE rows in their ratio.
    cut = min(1.0, REFERENCE / (n_t + n_h))
    k_t, k_h = max(1, round(n_t * cut)), max(1, round(n_h * cut))
    m_t, m_h = max(k_t, GROUP), max(k_h, GROUP)
    train_m, hold_m, ref_m = encode_rows(
        [source.iloc[train_order[:m_t]], source.iloc[hold_order[:m_h]], ref], cols, continuous
    )
    queries = ref_m[:QUERIES]
    share = k_t / (k_t + k_h)
    d_t, d_h = nearest_distances(queries, train_m[:k_t]), nearest_distances(queries, hold_m[:k_h])
    # A tie (a synthetic row as near a training row as a holdout row) is broken at random.
    closer = float(np.mean(np.where(d_t < d_h, 1.0, np.where(d_t > d_h, 0.0, share))))
    # DCR: as many training rows as holdout rows, so neither side is nearer by being larger.
    n = min(n_t, n_h, GROUP)
    d_train, d_hold = nearest_distances(queries, train_m[:n]), nearest_distances(queries, hold_m[:n])
    # The attack: up to GROUP rows of each group (the AUC does not depend on their ratio); a real
    # row is called a member the nearer its nearest synthetic row.
    score_t = -nearest_distances(train_m[:GROUP], ref_m)
    score_h = -nearest_distances(hold_m[:GROUP], ref_m)
    area = auc(score_t, score_h)
    n1, n2 = len(score_t), len(score_h)
    auc_limit = max(MIN_AUC, 0.5 + z * float(np.sqrt((n1 + n2 + 1) / (12.0 * n1 * n2))))

    failed = []
    if area > auc_limit:
        failed.append(f"the attack tells training rows from holdout rows (AUC {area:.2f} > {auc_limit:.2f})")
    if exact_t - exact_h > exact_limit:
        failed.append(
            f"synthetic rows repeat {exact_t:.1%} of training rows but {exact_h:.1%} of holdout rows"
        )
    verdict: Verdict = "leak" if failed else "ok"
    if failed:
        text = "LEAK: synthetic rows give away which rows the model was fitted on: " + "; ".join(failed)
    else:
        text = (
            f"synthetic rows are no closer to training rows than to holdout rows (AUC {area:.2f}, "
            f"{closer:.0%} closer to training, {share:.0%} expected; exact repeats of {exact_t:.1%} "
            f"of training and {exact_h:.1%} of holdout rows)"
        )
    if not whole:
        text += "; the fit read a sample of this table, so some 'training' rows were never learnt from"
    return Membership(
        table=table,
        columns=tuple(cols),
        training=n_t,
        holdout=n_h,
        synthetic=n_s,
        dcr_training=float(np.median(d_train)),
        dcr_holdout=float(np.median(d_hold)),
        closer_to_training=closer,
        expected_closer=share,
        exact_training=exact_t,
        exact_holdout=exact_h,
        exact_gap_limit=exact_limit,
        auc=area,
        auc_limit=auc_limit,
        verdict=verdict,
        statement=text,
    )


def measure_membership(
    tables: Sequence[PrivacyTable], held: Mapping[str, tuple[np.ndarray, bool]], seed: int
) -> list[Membership]:
    """The tests of every table in ``held`` (its rows held out, aligned with the source frame,
    and whether the fit read the table whole), over the columns of the distance to the closest
    record: informative, non-key, not personal data (generated to differ)."""
    chosen = [t for t in tables if t.table.key in held]
    out = []
    for i, t in enumerate(chosen):
        cols = [c for c in informative(t.source, t.data_columns) if t.infos[c].kind != "pii"]
        continuous = {c for c in cols if t.infos[c].kind in CONTINUOUS}
        mask, whole = held[t.table.key]
        out.append(
            membership(
                t.table.key,
                cols,
                continuous,
                t.source,
                t.target,
                mask,
                tests=2 * len(chosen),
                whole=whole,
                seed=seed + i,
            )
        )
    return out


__all__ = [
    "ALPHA",
    "MIN_AUC",
    "MIN_EXACT_GAP",
    "MIN_ROWS",
    "auc",
    "critical_z",
    "held_rows",
    "measure_membership",
    "membership",
]
