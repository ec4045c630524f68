"""SVG to PNG with a headless Chromium driven by Playwright, when both are installed.

Why a browser and not a rasteriser library: the charts are plain SVG with text, which Chromium draws exactly
as the passport viewer's readers see it, and Playwright and Debian's Chromium are already what the browser
tests use; a PNG therefore costs no runtime dependency. Playwright is a test dependency, not a runtime one,
so PNG output is optional: ``PngUnavailable`` says what is missing and how to get SVG instead.

The SVG is loaded as an ``<img>`` from a data URL (an image document: no script runs, no network fetch),
on a page that allows nothing else (the browser context is offline). Not for untrusted SVG beyond that.
"""

from __future__ import annotations

import base64
import importlib.util
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

from battrace.errors import BattraceError, InvalidInput

# Debian's package; $BATTRACE_CHROMIUM names another build, else Playwright's own download is tried.
DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
MAX_SIDE = 4096  # CSS pixels; a chart is a few hundred
_LENGTH = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(px)?\s*$")


class PngUnavailable(BattraceError):
    """PNG asked for, but Playwright or Chromium is not installed."""

    status = 501
    title = "PNG rendering unavailable"


def _length(value: str | None) -> float | None:
    match = _LENGTH.match(value or "")
    return float(match.group(1)) if match else None


def svg_size(svg: str) -> tuple[int, int]:
    """The drawing's size in CSS pixels, from ``width``/``height`` or else the ``viewBox``."""
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError as exc:
        raise InvalidInput(f"not well-formed SVG: {exc}") from None
    width, height = _length(root.get("width")), _length(root.get("height"))
    if width is None or height is None:
        box = (root.get("viewBox") or "").replace(",", " ").split()
        if len(box) != 4:
            raise InvalidInput("the SVG has neither width/height nor a viewBox")
        width, height = float(box[2]), float(box[3])
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise InvalidInput(f"SVG of {width:g} x {height:g} px; at most {MAX_SIDE} px a side")
    return round(width), round(height)


def chromium_path() -> Path | None:
    """The Chromium to launch, or None to let Playwright use its own download."""
    configured = os.environ.get("BATTRACE_CHROMIUM")
    if configured:
        return Path(configured)
    return DEFAULT_CHROMIUM if DEFAULT_CHROMIUM.exists() else None


def unavailable_reason() -> str | None:
    """Why PNG cannot be rendered here, or None when it can be tried."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install playwright)"
    path = chromium_path()
    if path is not None and not path.exists():
        return f"no Chromium at {path} ($BATTRACE_CHROMIUM)"
    return None


def svg_to_png(svg: str, *, scale: float = 2.0) -> bytes:
    """The PNG of ``svg`` at ``scale`` device pixels per CSS pixel, on white."""
    width, height = svg_size(svg)
    reason = unavailable_reason()
    if reason is not None:
        raise PngUnavailable(f"PNG needs Playwright and Chromium: {reason}; use --format svg")
    from playwright.sync_api import Error, sync_playwright

    source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    html = (
        "<!doctype html><html><head><style>html,body{margin:0;background:#fff}img{display:block}</style>"
        f'</head><body><img id="chart" width="{width}" height="{height}" src="{source}"></body></html>'
    )
    path = chromium_path()

    def render() -> bytes:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(path) if path else None, args=["--no-sandbox"]
            )
            try:
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    device_scale_factor=scale,
                    offline=True,
                    java_script_enabled=False,
                )
                page = context.new_page()
                page.set_content(html, wait_until="load")
                return page.locator("#chart").screenshot(type="png")
            finally:
                browser.close()

    # Playwright's sync API refuses to run in a thread whose asyncio loop is running (a caller inside an
    # async application, or a test session that left one): a thread of its own has none.
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(render).result()
    except Error as exc:
        raise PngUnavailable(f"Chromium could not render the chart: {exc.message.splitlines()[0]}") from None
