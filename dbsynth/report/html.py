"""The report as one self-contained HTML page: inline CSS, inline SVG charts, a few lines of
inline JavaScript (sortable tables). Nothing is fetched, so the page opens offline and can be
attached to a ticket. Every text from a database (names, labels, messages) is escaped.

Sections: overview (scores, verdicts, sampling, schema differences), tables (worst first), one
section per table (columns worst first, overlaid histograms, heatmaps source vs target),
relationships (children per parent, inter-table trends), validity checks, privacy findings, and
the definitions of every score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from dbsynth.report.plots import counts_histogram
from dbsynth.report.result import (
    ColumnScore,
    InterTableScore,
    Privacy,
    Report,
    TableScore,
    Validity,
)
from dbsynth.report.svg import SOURCE_COLOUR, TARGET_COLOUR, bars, heatmap, score_bar

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; }
body { background: #fafafa; } td.num { white-space: nowrap; }
pre { white-space: pre-wrap; word-break: break-all; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 24px; margin: 8px 0 4px; } h2 { margin-top: 36px; border-bottom: 2px solid #ddd; }
h3 { margin: 24px 0 6px; } .muted { color: #666; } code, pre { font-size: 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; min-width: 150px; }
.card b { display: block; font-size: 22px; } .card.big b { font-size: 34px; }
table { border-collapse: collapse; background: #fff; margin: 6px 0 12px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; cursor: pointer; user-select: none; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass, .ok { color: #2e7d32; font-weight: 600; } .fail, .leak { color: #c62828; font-weight: 600; }
.warn, .error, .skipped { color: #a66300; font-weight: 600; } .na { color: #999; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 6px; }
figcaption { font-size: 12px; color: #444; max-width: 340px; }
svg .tick { font-size: 10px; fill: #555; } svg .caption { font-size: 12px; fill: #222; }
.legend span { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 10px; }
details > summary { cursor: pointer; font-weight: 600; margin: 4px 0; }
nav a { margin-right: 12px; }
"""

SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, index) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var ascending = th.getAttribute("data-order") !== "asc";
      rows.sort(function (a, b) {
        var x = a.cells[index].getAttribute("data-v") || a.cells[index].textContent;
        var y = b.cells[index].getAttribute("data-v") || b.cells[index].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? c : -c;
      });
      th.setAttribute("data-order", ascending ? "asc" : "desc");
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _num(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _cell(text: object, css: str = "", sort: float | None = None) -> str:
    attrs = f' class="{css}"' if css else ""
    if sort is not None:
        attrs += f' data-v="{sort:.6f}"'
    return f"<td{attrs}>{text}</td>"


def _score_cell(score: float | None) -> str:
    return _cell(score_bar(score), "num", -1.0 if score is None else score)


def _table(headers: Sequence[str], rows: Iterable[str], css: str = "sortable") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _anchor(name: str) -> str:
    return "t-" + "".join(ch if ch.isalnum() else "-" for ch in name)


def _worst_first(scores: Iterable[float | None]) -> float:
    return min([s for s in scores if s is not None] or [2.0])


def _legend() -> str:
    return (
        f'<div class="legend muted"><span style="background:{SOURCE_COLOUR}"></span>source'
        f'<span style="background:{TARGET_COLOUR}"></span>target</div>'
    )


# -- sections ---------------------------------------------------------------------------------


def _overview(report: Report) -> str:
    f = report.fidelity
    cards = [
        ("Overall score", f.overall, "big"),
        ("Column shapes", f.column_shapes, ""),
        ("Column pair trends", f.column_pair_trends, ""),
        ("Cardinality", f.cardinality, ""),
        ("Inter-table trends", f.inter_table_trends, ""),
    ]
    extra = [
        ("Null rates", f.null_rates),
        ("Two-hop trends", f.inter_table_two_hop),
        (f"Row counts (scale {f.scale:.3g}{'' if f.scale_given else ', observed'})", f.row_counts),
    ]
    html = ['<div class="cards">']
    html += [f'<div class="card {css}">{escape(name)}<b>{_pct(v)}</b></div>' for name, v, css in cards]
    html.append('</div><div class="cards">')
    html += [f'<div class="card">{escape(name)}<b>{_pct(v)}</b></div>' for name, v in extra]
    html.append("</div>")
    html.append(f"<p>{escape(report.validity.statement)}</p><p>{escape(report.privacy.statement)}</p>")
    html.append(f'<p class="muted">{escape(report.sampling)}</p>')
    html.append(f'<p class="muted">{escape(report.schema.statement)}</p>')
    if f.not_scored:
        count = sum(len(n.columns) for n in f.not_scored)
        items = "".join(
            f"<li>{len(n.columns)} {escape(n.reason)}: {escape(', '.join(n.columns))}</li>"
            for n in f.not_scored
        )
        html.append(
            f"<details><summary>Not scored: {count} of {f.columns_total} columns</summary>"
            f"<ul>{items}</ul></details>"
        )
    if report.warnings:
        items = "".join(f"<li>{escape(w)}</li>" for w in report.warnings[:50])
        html.append(
            f"<details><summary>{len(report.warnings)} warning(s)</summary><ul>{items}</ul></details>"
        )
    return "".join(html)


def _tables_overview(tables: Sequence[TableScore]) -> str:
    rows = []
    for t in sorted(tables, key=lambda t: (_worst_first([t.score]), t.table)):
        rows.append(
            "<tr>"
            + _cell(f'<a href="#{_anchor(t.table)}">{escape(t.table)}</a>')
            + _cell(f"{t.rows_source:,}", "num", t.rows_source)
            + _cell(f"{t.rows_target:,}", "num", t.rows_target)
            + _score_cell(t.column_shapes)
            + _score_cell(t.column_pair_trends)
            + _score_cell(t.null_rates)
            + _score_cell(t.score)
            + _cell(escape("; ".join(t.notes)))
            + "</tr>"
        )
    headers = [
        "table",
        "source rows",
        "target rows",
        "column shapes",
        "pair trends",
        "null rates",
        "score",
        "notes",
    ]
    return _table(headers, rows)


def _column_rows(columns: Sequence[ColumnScore]) -> list[str]:
    ordered = sorted(
        columns, key=lambda c: (c.score is None, c.score if c.score is not None else 0.0, c.column)
    )
    rows = []
    for c in ordered:
        rows.append(
            "<tr>"
            + _cell(escape(c.column))
            + _cell(escape(c.kind))
            + _cell(escape(c.metric or ""))
            + _score_cell(c.score)
            + _cell(_pct(c.null_rate_source), "num", c.null_rate_source)
            + _cell(_pct(c.null_rate_target), "num", c.null_rate_target)
            + _cell(escape(c.note or ""))
            + "</tr>"
        )
    return rows


def _table_section(t: TableScore) -> str:
    html = [f'<section id="{_anchor(t.table)}"><h3>{escape(t.table)}</h3>']
    html.append(
        f'<p class="muted">{t.rows_source:,} source rows, {t.rows_target:,} target rows'
        f"{'' if t.rows_exact else ' (estimates)'}; measured on {t.sampled_source:,} and "
        f"{t.sampled_target:,} sampled rows. Column shapes {_pct(t.column_shapes)}, pair trends "
        f"{_pct(t.column_pair_trends)}, null rates {_pct(t.null_rates)}.</p>"
    )
    html += [f"<p>{escape(n)}</p>" for n in t.notes]
    headers = ["column", "kind", "metric", "score", "NULL source", "NULL target", "note"]
    html.append(_table(headers, _column_rows(t.columns)))
    charts = [c for c in sorted(t.columns, key=lambda c: (c.score is None, c.score or 0.0)) if c.histogram]
    if charts:
        html.append(_legend() + '<div class="charts">')
        for c in charts:
            assert c.histogram is not None
            caption = f"{c.column} ({c.kind}, score {_pct(c.score)}): {c.histogram.caption}"
            html.append(f"<figure>{bars(c.histogram)}<figcaption>{escape(caption)}</figcaption></figure>")
        html.append("</div>")
    if t.heatmap is not None:
        html.append(
            '<p class="muted">Pair strengths: |Pearson ρ| for two numeric/date columns, '
            "Cramér's V otherwise "
            "(white 0, blue 1, grey n/a).</p>"
            f'<div class="charts"><figure>{heatmap(t.heatmap, "source")}</figure>'
            f"<figure>{heatmap(t.heatmap, 'target')}</figure></div>"
        )
    pairs = sorted(
        (p for p in t.pairs if p.contributes), key=lambda p: p.score if p.score is not None else 0.0
    )
    if pairs:
        rows = [
            "<tr>"
            + _cell(escape(p.column_1))
            + _cell(escape(p.column_2))
            + _cell(escape(p.metric))
            + _score_cell(p.score)
            + _cell(_num(p.source), "num")
            + _cell(_num(p.target), "num")
            + "</tr>"
            for p in pairs[:40]
        ]
        html.append(
            f"<details><summary>{len(pairs)} pair(s) that count (of {len(t.pairs)})</summary>"
            + _table(["column 1", "column 2", "metric", "score", "source", "target"], rows)
            + "</details>"
        )
    html.append("</section>")
    return "".join(html)


def _relationships(report: Report) -> str:
    f = report.fidelity
    if not f.cardinalities and not f.inter_table:
        return "<p>No foreign key between the compared tables.</p>"
    html = ["<h3>Children per parent</h3>"]
    rows = [
        "<tr>"
        + _cell(escape(f"{c.child} ({', '.join(c.columns)})"))
        + _cell(escape(c.parent))
        + _score_cell(c.score)
        + _cell(_num(c.mean_source, 2), "num")
        + _cell(_num(c.mean_target, 2), "num")
        + _cell(escape(c.note or ""))
        + "</tr>"
        for c in sorted(f.cardinalities, key=lambda c: (c.score is None, c.score or 0.0))
    ]
    html.append(_table(["child (FK)", "parent", "score", "mean source", "mean target", "note"], rows))
    plotted = [c for c in f.cardinalities if c.source_counts or c.target_counts]
    if plotted:
        html.append(_legend() + '<div class="charts">')
        for c in plotted:
            caption = f"{c.child} ({', '.join(c.columns)}) per {c.parent} row: score {_pct(c.score)}"
            hist = counts_histogram(c.source_counts, c.target_counts)
            html.append(f"<figure>{bars(hist)}<figcaption>{escape(caption)}</figcaption></figure>")
        html.append("</div>")
    html.append("<h3>Inter-table trends</h3>" + _inter_rows(f.inter_table))
    return "".join(html)


def _inter_rows(items: Sequence[InterTableScore]) -> str:
    rows = []
    for i in sorted(items, key=lambda i: (i.hops, i.score is None, i.score or 0.0)):
        counted = sum(1 for p in i.pairs if p.contributes)
        rows.append(
            "<tr>"
            + _cell(escape(" → ".join(i.path)))
            + _cell(escape(" / ".join(i.via)))
            + _cell(i.hops, "num")
            + _score_cell(i.score)
            + _cell(f"{counted} of {len(i.pairs)}", "num", counted)
            + _cell(escape(i.note or ""))
            + "</tr>"
        )
    return _table(["child → ancestor", "via", "hops", "score", "pairs that count", "note"], rows)


def _validity(v: Validity) -> str:
    order = {"fail": 0, "error": 1, "warn": 2, "skipped": 3, "pass": 4}
    rows = []
    for c in sorted(v.checks, key=lambda c: (order[c.status], c.table, c.kind)):
        sql = f"<details><summary>SQL</summary><pre>{escape(c.sql)}</pre></details>" if c.sql else ""
        violations = "" if c.violations is None else f"{c.violations:,}"
        rows.append(
            "<tr>"
            + _cell(escape(c.status), c.status)
            + _cell(escape(c.kind))
            + _cell(escape(c.table))
            + _cell(escape(c.name))
            + _cell(violations, "num", c.violations)
            + _cell(escape(c.message) + sql)
            + "</tr>"
        )
    return f'<p class="{v.status}">{escape(v.statement)}</p>' + _table(
        ["status", "kind", "table", "check", "violations", "detail"], rows
    )


def _privacy(p: Privacy) -> str:
    html = [f'<p class="{p.verdict}">{escape(p.statement)}</p>']
    if p.pii_columns:
        html.append(
            f'<p class="muted">Personal-data columns scanned: {escape(", ".join(p.pii_columns))}.</p>'
        )
    if p.pii:
        rows = [
            "<tr>"
            + _cell("leak" if f.leak else "shared", "leak" if f.leak else "ok")
            + _cell(escape(f"{f.table}.{f.column}"))
            + _cell(escape(str(f.kind)))
            + _cell(f"{f.matches:,}", "num", f.matches)
            + _cell(escape(", ".join(f.found_in)))
            + _cell(escape(", ".join(f.examples)))
            + _cell(escape(f.statement))
            + "</tr>"
            for f in sorted(p.pii, key=lambda f: (not f.leak, f.table, f.column))
        ]
        html.append(
            "<h3>Personal data</h3>"
            + _table(["", "source column", "kind", "values", "found in", "examples (masked)", "detail"], rows)
        )
    rows = [
        "<tr>"
        + _cell(escape(c.verdict), c.verdict)
        + _cell(escape(c.table))
        + _cell(f"{c.copies:,} of {c.rows_checked:,}", "num", c.copies)
        + _cell(_pct(c.share), "num")
        + _cell(_pct(c.baseline), "num")
        + _cell(escape(c.statement))
        + "</tr>"
        for c in sorted(p.exact_copies, key=lambda c: (c.verdict == "ok", -(c.share or 0.0)))
    ]
    html.append(
        "<h3>Exact copies</h3>"
        + _table(["", "table", "copied rows", "share", "source repeats itself", "detail"], rows)
    )
    rows = [
        "<tr>"
        + _cell(escape(d.verdict), d.verdict)
        + _cell(escape(d.table))
        + _cell(d.rows_compared, "num")
        + _cell(_num(d.median_target), "num")
        + _cell(_num(d.median_baseline), "num")
        + _cell(escape(d.baseline))
        + _cell(_pct(d.closer_share), "num")
        + _cell(escape(d.statement))
        + "</tr>"
        for d in sorted(p.distances, key=lambda d: -(d.closer_share or 0.0))
    ]
    html.append(
        "<h3>Distance to the closest source record</h3>"
        + _table(
            [
                "",
                "table",
                "rows",
                "median target",
                "median baseline",
                "baseline",
                "closer than 5% baseline",
                "detail",
            ],
            rows,
        )
    )
    if p.model_holdout is not None:
        html.append(_membership(p))
    leaked = [r for r in p.rare if r.leaked]
    rows = [
        "<tr>"
        + _cell(escape(f"{r.table}.{r.column}"))
        + _cell(f"{r.leaked:,} of {r.rare_values:,}", "num", r.leaked)
        + _cell(escape(", ".join(r.examples)))
        + _cell(escape(r.statement))
        + "</tr>"
        for r in sorted(p.rare, key=lambda r: -r.leaked)
    ]
    html.append(
        f"<h3>Rare categories (seen fewer than {p.min_count} times in the source)</h3>"
        + (
            f"<p>{len(leaked)} column(s) leak rare values.</p>"
            if leaked
            else "<p>No rare value reappears.</p>"
        )
        + (
            _table(["column", "rare values in the target", "examples (masked)", "detail"], rows)
            if rows
            else ""
        )
    )
    return "".join(html)


def _membership(p: Privacy) -> str:
    """The membership tests against the model's holdout: one row per table, what each figure
    means above the table."""
    meanings = "".join(
        f"<dt>{escape(name)}</dt><dd>{escape(text)}</dd>" for name, text in p.membership_figures.items()
    )
    rows = [
        "<tr>"
        + _cell(escape(m.verdict), m.verdict)
        + _cell(escape(m.table))
        + _cell(f"{m.training:,} / {m.holdout:,}", "num", m.training)
        + _cell(_num(m.dcr_training), "num")
        + _cell(_num(m.dcr_holdout), "num")
        + _cell(
            f"{_pct(m.closer_to_training)} ({_pct(m.expected_closer)} expected)", "num", m.closer_to_training
        )
        + _cell(_pct(m.exact_training), "num")
        + _cell(_pct(m.exact_holdout), "num")
        + _cell(f"{_num(m.auc, 2)} (fails above {_num(m.auc_limit, 2)})", "num", m.auc)
        + _cell(escape(m.statement))
        + "</tr>"
        for m in sorted(p.membership, key=lambda m: (m.verdict == "ok", -(m.auc or 0.0)))
    ]
    share = f"{p.model_holdout:.0%}" if p.model_holdout is not None else "n/a"
    return (
        "<h3>Membership against the holdout</h3>"
        f"<p>The model was fitted with {share} of the source's entities held out: real rows it "
        "never saw. A model that learnt distributions treats them like the rows it was fitted on; "
        "one that memorised records does not.</p>"
        f"<dl>{meanings}</dl>"
        + _table(
            [
                "",
                "table",
                "training / holdout rows",
                "dcr_training",
                "dcr_holdout",
                "closer_to_training",
                "exact_training",
                "exact_holdout",
                "auc",
                "detail",
            ],
            rows,
        )
    )


DEFINITIONS = """
<dl>
<dt>Column shapes</dt><dd>1 − Kolmogorov–Smirnov statistic for numbers, dates and times; 1 − total
variation distance for categories and booleans (NULLs left out). Keys, personal data and free text are
not scored.</dd>
<dt>Column pair trends</dt><dd>1 − |ρ<sub>source</sub> − ρ<sub>target</sub>| / 2 (Pearson) for two
numeric/date columns; contingency similarity (1 − total variation distance of the joint distribution,
NULL a category, numbers cut in 10 equal-width bins, each side on its own range) otherwise. Only
pairs related in the source (|ρ| &gt; 0.5 or Cramér's V &gt; 0.3) count.</dd>
<dt>Cardinality</dt><dd>1 − KS statistic of the children-per-parent distributions, zeros included, per
FK (SQL, all rows).</dd>
<dt>Inter-table trends</dt><dd>Pair trends between a parent's and a child's columns on parent⋈child
(one hop); two hops (grandparent⋈parent⋈child) are reported apart.</dd>
<dt>Overall</dt><dd>Mean of the four properties above; each property is the mean over all its items in
the database (SDMetrics' QualityReport). Null-rate similarity (1 − |difference of NULL shares|) and row
counts are reported apart.</dd>
</dl>
"""


SECTIONS = ("overview", "tables", "relationships", "validity", "privacy", "definitions")


def render_html(report: Report) -> str:
    """The whole page for ``report``."""
    f = report.fidelity
    tables = sorted(f.tables, key=lambda t: (_worst_first([t.score]), t.table))
    title = f"dbsynth report: {report.target}"
    body = [
        f'<h1>dbsynth report</h1><p class="muted">source <code>{escape(report.source)}</code> → target '
        f"<code>{escape(report.target)}</code>; {escape(report.created)}; {report.seconds:.1f} s</p>",
        "<nav>" + "".join(f'<a href="#{a}">{a.title()}</a>' for a in SECTIONS) + "</nav>",
        '<h2 id="overview">Overview</h2>' + _overview(report),
        '<h2 id="tables">Tables</h2>'
        + (_tables_overview(tables) if tables else "<p>No table to compare.</p>"),
        *(_table_section(t) for t in tables),
        '<h2 id="relationships">Relationships</h2>' + _relationships(report),
        '<h2 id="validity">Validity</h2>' + _validity(report.validity),
        '<h2 id="privacy">Privacy</h2>' + _privacy(report.privacy),
        '<h2 id="definitions">Definitions</h2>' + DEFINITIONS,
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
        + "\n".join(body)
        + f"</main><script>{SCRIPT}</script></body></html>\n"
    )


__all__ = ["render_html"]
