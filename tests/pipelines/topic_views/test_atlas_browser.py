"""The topic atlas in a real headless Chromium: it loads offline without errors, and a click opens a coarse topic."""

from pathlib import Path

import pytest

from arxiv_pipeline.topics.atlas import build_atlas
from tests.headless_chromium import Chromium
from tests.pipelines.topic_views.test_atlas import (
    HOSTILE_NAME,
    HOSTILE_TITLE,
    atlas_tables,
    papers_file,
)

#: Whether each fine topic of a coarse topic is rendered visible (laid out, not display:none).
FINE_SHOWN = (
    "[...document.querySelectorAll('.coarse[data-topic=\"{topic}\"] .fine')]"
    ".map((fine) => fine.getClientRects().length > 0)"
)


@pytest.fixture
def atlas(chromium: Chromium, tmp_path: Path) -> Chromium:
    """The browser, showing the atlas of the small tables, read from disk."""
    page = tmp_path / "topic_atlas.html"
    page.write_text(
        build_atlas(
            **atlas_tables(), papers=papers_file(tmp_path), min_month_papers=3, top_categories=3
        )
    )
    chromium.open(page.as_uri())
    return chromium


def test_the_page_loads_offline_without_errors(atlas):
    assert atlas.errors() == []
    # The page itself is the only thing loaded.
    assert [url for url in atlas.requests() if not url.startswith("file://")] == []
    assert atlas.evaluate("document.querySelectorAll('.coarse').length") == 4
    assert (
        atlas.evaluate("document.querySelectorAll('.coarse-head svg.spark polyline').length") == 4
    )


def test_a_click_on_a_coarse_topic_shows_its_fine_topics(atlas):
    assert atlas.evaluate(FINE_SHOWN.format(topic=0)) == [False, False]
    atlas.click('.coarse[data-topic="0"] .coarse-head')
    assert atlas.evaluate(FINE_SHOWN.format(topic=0)) == [True, True]
    names = atlas.evaluate(
        "[...document.querySelectorAll('.coarse[data-topic=\"0\"] .fine .fine-head .name')].map((n) => n.textContent)"
    )
    assert names == ["graph, neural, networks", HOSTILE_NAME]
    assert atlas.evaluate(FINE_SHOWN.format(topic=1)) == [False]  # the others stay closed
    atlas.click('.coarse[data-topic="0"] .coarse-head')
    assert atlas.evaluate(FINE_SHOWN.format(topic=0)) == [False, False]
    assert atlas.errors() == []


def test_hostile_texts_are_shown_as_text_and_never_run(atlas):
    titles = atlas.evaluate(
        "[...document.querySelectorAll('.representatives .title')].map((t) => t.textContent)"
    )
    assert HOSTILE_TITLE in titles
    assert atlas.evaluate("typeof window.pwned") == "undefined"
    assert (
        atlas.evaluate("document.querySelectorAll('main img, main b, main i, main script').length")
        == 0
    )
    link = atlas.evaluate("document.querySelector('.representatives a').href")
    assert link == "https://arxiv.org/abs/2401.00001"


def test_the_search_box_keeps_matching_topics_and_opens_their_coarse_topic(atlas):
    atlas.evaluate(
        "(() => { const box = document.getElementById('search'); box.value = 'knot';"
        " box.dispatchEvent(new Event('input')); })()"
    )
    shown = "[...document.querySelectorAll('.coarse')].filter((c) => !c.hidden).map((c) => c.dataset.topic)"
    assert atlas.evaluate(shown) == ["1"]
    assert atlas.evaluate(FINE_SHOWN.format(topic=1)) == [True]
    assert atlas.evaluate("document.getElementById('matches').textContent") == "1 matching topic"
    assert atlas.errors() == []


def test_the_browser_sees_errors_and_requests(chromium, tmp_path):
    """The checks above would see a broken page: console errors, exceptions and requests are caught."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<script>console.error('logged'); fetch('http://127.0.0.1:9/data.json').catch(() => {});"
        " throw new Error('uncaught');</script>"
    )
    chromium.open(page.as_uri())
    errors = chromium.errors()
    assert "logged" in errors and any("uncaught" in error for error in errors)
    assert "http://127.0.0.1:9/data.json" in chromium.requests()
