"""The HTML report renders in a real browser: headless Chromium takes a screenshot of the page,
which must not be blank, and the page must log nothing to the console (no script error, no
resource it failed to load: it is self-contained). Needs the Debian package ``chromium``; without
it the test is skipped locally and fails in CI."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from dbsynth.report import build_report, render_html

from conftest import unavailable

SCHEMA = """
CREATE TABLE regions (id INTEGER PRIMARY KEY, zone TEXT NOT NULL);
CREATE TABLE customers (id INTEGER PRIMARY KEY, region_id INTEGER NOT NULL REFERENCES regions(id),
    tier TEXT NOT NULL, credit REAL, email TEXT, joined DATE);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
    qty INTEGER NOT NULL CHECK (qty > 0), amount REAL);
"""


def shop(seed: int, orphan: bool = False) -> str:
    import random

    rng = random.Random(seed)
    out = [f"INSERT INTO regions VALUES ({i}, '{['north', 'south', 'east'][i % 3]}');" for i in range(1, 10)]
    n = 0
    for i in range(1, 121):
        gold = rng.random() < 0.3
        credit = rng.gauss(500 if gold else 100, 30)
        email = f"user{i}.{seed}@mail{i % 7}.example.org"
        joined = f"202{rng.randint(0, 3)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        tier, region = "gold" if gold else "basic", rng.randint(1, 9)
        values = f"{i}, {region}, '{tier}', {credit:.2f}, '{email}', '{joined}'"
        out.append(f"INSERT INTO customers VALUES ({values});")
        for _ in range(rng.randint(3, 6) if gold else rng.randint(0, 2)):
            n += 1
            amount = rng.gauss(80 if gold else 20, 5)
            out.append(f"INSERT INTO orders VALUES ({n}, {i}, {rng.randint(1, 5)}, {amount:.2f});")
    if orphan:
        out.append("INSERT INTO orders VALUES (9999, 4242, 1, 1.0);")
    return "\n".join(out)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    unavailable("headless Chromium is not installed (Debian: apt-get install -y chromium)")
    raise AssertionError  # unreachable: unavailable() skips or fails


def screenshot(page: Path, png: Path, profile: Path) -> list[str]:
    """Render ``page`` to ``png``; returns the browser's console lines (messages, errors)."""
    proc = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            "--window-size=1280,2000",
            "--enable-logging=stderr",
            "--v=0",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert png.exists(), proc.stderr[-2000:]
    return [line for line in proc.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and unfiltered rows of an 8-bit RGB or RGBA PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def ink(path: Path) -> tuple[float, int]:
    """Share of pixels that differ from the most common one, and the number of colours (on a
    grid of every 4th pixel, which is plenty to tell a page from a blank one)."""
    width, _, rows = png_pixels(path)
    channels = len(rows[0]) // width
    colours: dict[bytes, int] = {}
    for row in rows[::4]:
        for x in range(0, width, 4):
            px = row[x * channels : x * channels + 3]
            colours[px] = colours.get(px, 0) + 1
    total = sum(colours.values())
    return 1 - max(colours.values()) / total, len(colours)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import sqlite3

    folder = tmp_path_factory.mktemp("html")
    urls = []
    for name, seed, orphan in (("source", 1, False), ("target", 2, True)):
        path = folder / f"{name}.sqlite"
        with sqlite3.connect(path) as conn:
            conn.executescript(SCHEMA + shop(seed, orphan))
        urls.append(f"sqlite:///{path}")
    report = build_report(urls[0], urls[1])
    assert report.validity.failed == 1  # the orphan order, shown on the page
    html = folder / "report.html"
    html.write_text(render_html(report), encoding="utf-8")
    return html


def test_the_page_renders_in_chromium_without_errors(page: Path, tmp_path: Path) -> None:
    png = tmp_path / "shot.png"
    console = screenshot(page, png, tmp_path / "profile")
    assert console == []
    share, colours = ink(png)
    assert share > 0.03 and colours > 20, (share, colours)


def test_the_page_is_self_contained(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    addresses = set(re.findall(r"https?://[^\s\"'<>)]+", text)) - {"http://www.w3.org/2000/svg"}
    assert addresses == set()
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"(?!data:|#)", text)
    for section in ("overview", "tables", "relationships", "validity", "privacy", "definitions"):
        assert f'id="{section}"' in text
    assert text.count("<svg") > 10  # histograms, heatmaps, children per parent, score bars


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The console and blankness checks catch what they are meant to catch."""
    broken = tmp_path / "broken.html"
    broken.write_text('<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>'
                      "<script>undefinedFunction();</script></body></html>", encoding="utf-8")  # fmt: skip
    png = tmp_path / "broken.png"
    console = screenshot(broken, png, tmp_path / "profile")
    assert any("Uncaught ReferenceError: undefinedFunction is not defined" in line for line in console)
    share, colours = ink(png)
    assert share < 0.01 and colours < 5
