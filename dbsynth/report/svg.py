"""Inline SVG charts for the HTML page: overlaid bars, heatmaps, score bars. No library, no
network: each function returns one ``<svg>`` element as text, every label escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from dbsynth.report.result import Heatmap, Histogram

SOURCE_COLOUR = "#3465a4"
TARGET_COLOUR = "#f57900"


def _num(x: float) -> str:
    return f"{x:.1f}"


def bars(hist: Histogram, width: int = 340, height: int = 150) -> str:
    """Source and target shares per bin/category as paired bars (source left, target right),
    a tooltip on each bar, the first and last labels under the axis."""
    n = len(hist.labels)
    left, bottom, top = 34, 30, 8
    plot_w, plot_h = width - left - 6, height - bottom - top
    peak = max([*hist.source, *hist.target, 1e-9])
    slot = plot_w / max(n, 1)
    bar_w = max(1.0, slot * 0.42)
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 6}" y2="{top + plot_h}" stroke="#888"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" class="tick">{peak:.0%}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" class="tick">0</text>',
    ]
    for i, label in enumerate(hist.labels):
        for k, (values, colour, side) in enumerate(
            ((hist.source, SOURCE_COLOUR, "source"), (hist.target, TARGET_COLOUR, "target"))
        ):
            h = plot_h * values[i] / peak
            x = left + i * slot + slot * 0.08 + k * bar_w
            tip = escape(f"{label}: {side} {values[i]:.1%}")
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(top + plot_h - h)}" width="{_num(bar_w)}" height="{_num(h)}" '
                f'fill="{colour}" fill-opacity="0.8"><title>{tip}</title></rect>'
            )
    if n:
        first, last = escape(_short(hist.labels[0])), escape(_short(hist.labels[-1]))
        parts.append(f'<text x="{left}" y="{height - 14}" class="tick">{first}</text>')
        if n > 1:
            parts.append(
                f'<text x="{width - 6}" y="{height - 2}" text-anchor="end" class="tick">{last}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _short(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _shade(value: float | None) -> str:
    if value is None:
        return "#e0e0e0"
    v = max(0.0, min(1.0, value))
    # white (0) to deep blue (1)
    r, g, b = (round(255 - v * (255 - c)) for c in (23, 63, 135))
    return f"rgb({r},{g},{b})"


def heatmap(hm: Heatmap, side: str, cell: int = 18) -> str:
    """One side (``source`` or ``target``) of a pair-strength heatmap, labels on the left."""
    grid: Sequence[Sequence[float | None]] = hm.source if side == "source" else hm.target
    names = [_short(c, 18) for c in hm.columns]
    label_w = 8 + 6 * max(len(n) for n in names)
    size = len(names)
    width, height = label_w + size * cell + 4, 22 + size * cell + 4
    parts = [
        f'<svg class="heatmap" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img">',
        f'<text x="{label_w}" y="14" class="caption">{escape(side)}</text>',
    ]
    for i, name in enumerate(names):
        y = 22 + i * cell
        parts.append(
            f'<text x="{label_w - 4}" y="{y + cell - 5}" text-anchor="end" class="tick">{escape(name)}</text>'
        )
        for j in range(size):
            value = grid[i][j]
            tip = escape(
                f"{hm.columns[i]} × {hm.columns[j]}: " + ("n/a" if value is None else f"{value:.2f}")
            )
            parts.append(
                f'<rect x="{label_w + j * cell}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                f'fill="{_shade(value)}"><title>{tip}</title></rect>'
            )
    parts.append("</svg>")
    return "".join(parts)


def score_bar(score: float | None, width: int = 80) -> str:
    """A small horizontal bar for a score in [0, 1], red to green."""
    if score is None:
        return '<span class="na">n/a</span>'
    s = max(0.0, min(1.0, score))
    colour = "#cc0000" if s < 0.6 else "#c4a000" if s < 0.8 else "#4e9a06"
    return (
        f'<svg class="bar" width="{width}" height="10" viewBox="0 0 {width} 10" '
        'xmlns="http://www.w3.org/2000/svg">'
        f'<rect width="{width}" height="10" fill="#eee"/>'
        f'<rect width="{_num(width * s)}" height="10" fill="{colour}"/>'
        f"</svg> {s:.1%}"
    )


__all__ = ["SOURCE_COLOUR", "TARGET_COLOUR", "bars", "heatmap", "score_bar"]
