"""The viewer at / in a real headless Chromium (Debian's, through Playwright): paste text, tag, and read back
the marks' text and types, right to left, with a legend; a screenshot goes to the test's tmp dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from arabic_ie.infer.tagger import load
from arabic_ie.serve.app import create_app
from arabic_ie.serve.background import BackgroundServer

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
# the README's example sentence (diacritics, tatweel, proclitics)
TEXT = "وقالَ مصدرٌ محلي إنّ قوات الفرقة الرابعة اعتقلت أحمد الحريري في مدينة درعـــا يوم الأحد، وفرضت حصاراً على بلدة نوى."


def _browser_or_skip():
    """Playwright and /usr/bin/chromium, or a skip with the reason; under CI=true a missing browser fails."""
    problem = None
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        problem = "the playwright package is not installed (pip install -e '.[serve]')"
    if problem is None and not CHROMIUM.is_file():
        problem = f"no Chromium at {CHROMIUM} (make setup installs Debian's chromium with apt-get)"
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: the browser test cannot be skipped: {problem}")
        pytest.skip(problem)


def test_the_viewer_highlights_the_taggers_spans_inline_right_to_left(serve_package, tmp_path):
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    tagger = load(serve_package)
    result = tagger(TEXT)
    spans = sorted([(s["start"], -s["end"], k, s["text"], s["label"], key)
                    for k, key in enumerate(("entities", "triggers")) for s in result[key]])
    expected, end, hidden = [], 0, 0
    for start, minus_end, _, text, label, key in spans:  # the viewer's rule: a span overlapping one shown is listed, not marked
        if start < end:
            hidden += 1
            continue
        expected.append([text, label, key])
        end = -minus_end
    assert len(expected) >= 2 and hidden >= 1  # the fixture's random model finds spans, some overlapping, in this text
    with BackgroundServer(create_app(tagger)) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(server.url + "/")
            page.wait_for_selector("#legend .swatch")
            page.fill("#text", TEXT)
            page.click("#tag")
            page.wait_for_selector("body[data-tagged=true]")
            marks = page.eval_on_selector_all(
                "#output mark", "ms => ms.map(m => [m.textContent, m.dataset.type, m.dataset.key])")
            legend = page.eval_on_selector_all("#legend .swatch", "ss => ss.map(s => s.dataset.type)")
            direction = page.eval_on_selector("#output", "e => getComputedStyle(e).direction")
            shown = page.inner_text("#output")
            notes = page.inner_text("#notes")
            page.screenshot(path=str(tmp_path / "viewer.png"), full_page=True)
        finally:
            browser.close()
    assert marks == expected
    counts = f"{len(result['entities'])} entities, {len(result['triggers'])} triggers"
    assert notes == f"{counts}; {hidden} overlapping span(s) not shown inline"
    assert legend == ["PER", "ORG", "LOC", "DATE", "ATTACK", "KILL", "ARREST", "SIEGE"]
    assert direction == "rtl"
    assert "".join(ch for ch in shown if not ch.isascii()) == "".join(ch for ch in TEXT if not ch.isascii())
    assert (tmp_path / "viewer.png").stat().st_size > 1000


class _WithEvents:
    """The fixture tagger plus an `events` list per document, as a package with events will return."""

    def __init__(self, tagger):
        self.tagger, self.manifest, self.backend = tagger, tagger.manifest, tagger.backend

    def tag_batch(self, texts, batch_size=32, dates=None):
        out = []
        for result in self.tagger.tag_batch(texts, batch_size):
            events = [{"type": t["label"], "trigger": {"text": t["text"], "start": t["start"], "end": t["end"]},
                       "arguments": [{"role": "Place", "text": "درعـــا"}]} for t in result["triggers"][:2]]
            out.append({**result, "events": events})
        return out


def test_the_viewer_shows_events_as_a_table_when_the_tagger_gives_them(serve_package):
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    tagger = _WithEvents(load(serve_package))
    events = tagger.tag_batch([TEXT])[0]["events"]
    assert len(events) == 2
    with BackgroundServer(create_app(tagger)) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(server.url + "/")
            page.fill("#text", TEXT)
            page.click("#tag")
            page.wait_for_selector("body[data-tagged=true]")
            header = page.eval_on_selector_all("#events th", "ths => ths.map(t => t.textContent)")
            rows = page.eval_on_selector_all("#events tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent))")
            hidden = page.eval_on_selector("#events-section", "e => e.hidden")
        finally:
            browser.close()
    assert header == ["type", "trigger", "arguments"] and hidden is False
    assert rows == [[e["type"], e["trigger"]["text"], "Place: درعـــا"] for e in events]
