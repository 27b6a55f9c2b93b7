"""A real browser walks the site: search → document → entity → timeline → network → map.

Drives Debian's Chromium through Playwright against a real uvicorn server on loopback,
saves a screenshot of every page to tests/screenshots/, and fails on any script error,
Content-Security-Policy violation, alert, request leaving the server, or page wider
than a phone's screen.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serve_support import running_server
from tests.test_web_support import Archive, shared_archive

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[1] / "screenshots"


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (run scripts/browser-setup.sh)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return shared_archive(tmp_path_factory)


@pytest.fixture(scope="module")
def server(archive: Archive) -> Iterator[str]:
    """`fonds serve` on a free loopback port, for as long as the module's tests run."""
    with running_server(archive.db) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watch:
    """Everything that went wrong on a page: script errors, CSP reports, alerts, leaks."""

    def __init__(self, page: object, base: str) -> None:
        self.problems: list[str] = []
        page.on(
            "console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}")
        )
        page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))
        page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on(
            "request",
            lambda r: (
                r.url.startswith((base, "data:"))
                or self.problems.append(f"request left the server: {r.url}")
            ),
        )
        # a request cut short because the walk moved on (net::ERR_ABORTED) is no fault
        page.on(
            "requestfailed",
            lambda r: (
                "ERR_ABORTED" in (r.failure or "")
                or self.problems.append(f"request failed: {r.url} ({r.failure})")
            ),
        )


def shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def test_walk(browser: object, server: str, archive: Archive) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = Watch(page, server)

    # search, from the home page's box
    page.goto(server + "/")
    page.fill("form.search-big input[name=q]", "Peng Dehuai")
    page.press("form.search-big input[name=q]", "Enter")
    page.wait_for_url("**/search?q=Peng+Dehuai*")
    assert page.locator("li.hit").count() >= 1
    assert page.locator("li.hit mark").count() >= 1
    shot(page, "01-search")
    facet = page.locator(".facet a", has_text="record of conversation").first
    facet.click()
    page.wait_for_url("**/search?q=Peng+Dehuai+type*")
    assert page.locator(".facet li.active").count() >= 1
    assert page.locator("li.hit").count() >= 1

    # the document: the conversation, laid out as a dialogue
    page.locator("li.hit h2 a", has_text="Record of a Conversation").first.click()
    page.wait_for_url(f"**/documents/{archive.conversation}")
    assert page.locator("div.turn").count() > 50
    assert page.locator(".turn .speaker").first.inner_text().startswith("Joseph Stalin")
    evidence = page.locator("details.evidence").first
    evidence.locator("summary").click()
    assert evidence.locator("blockquote mark").inner_text() == "September 4, 1952"
    shot(page, "02-document")

    # an entity mentioned in the text
    page.locator(".text a.ent-person", has_text="Molotov").first.click()
    page.wait_for_url("**/entities/person-vyacheslav-molotov")
    assert page.locator("h1").inner_text() == "Vyacheslav Molotov"
    page.goto(server + "/entities/person-kim-il-sung")
    assert "Kim Ir Sen" in page.locator("ul.names").inner_text()
    shot(page, "03-entity")

    # the timeline, filtered by that person, then zoomed into a year
    page.get_by_role("link", name="On the timeline").click()
    page.wait_for_url("**/timeline?person=person-kim-il-sung")
    assert "Timeline of Kim Il Sung" in page.locator("h1").inner_text()
    page.goto(server + "/timeline")
    shot(page, "04-timeline")
    page.locator("a.bar-link[data-key='1950-01']").click()
    page.wait_for_url("**/timeline?from=1950-01&to=1950-01")
    assert "by day" in page.locator("p.summary").inner_text()
    assert page.locator("ol.docs a", has_text="Telegram Shtykov to Vyshinsky").count() == 1

    # the network: hovering lights a person's links; a link leads to its documents
    page.goto(server + "/network")
    shot(page, "05-network")
    node = page.locator("a.node-link[data-id='person-terentii-shtykov'] circle")
    node.hover()
    assert "dim" in (page.locator("#network").get_attribute("class") or "")
    page.mouse.move(5, 5)
    page.locator(
        "a.edge-link[data-source='person-terentii-shtykov'][data-target='person-andrey-vyshinsky']"
    ).first.click(force=True)
    row = page.locator("table.links tr:target")
    assert "Telegram Shtykov to Vyshinsky" in row.inner_text()
    row.locator("a", has_text="Telegram Shtykov to Vyshinsky").click()
    page.wait_for_url(f"**/documents/{archive.luncheon}")

    # the map, drawn from the bundled outlines; scrolling zooms
    page.goto(server + "/map")
    assert page.locator("#map .countries path").count() > 170
    assert page.locator("#map circle.place").count() >= 2
    shot(page, "06-map")
    before = page.locator("#map").get_attribute("viewBox")
    page.locator("#map").hover()
    page.mouse.wheel(0, -300)
    page.wait_for_function(f"document.getElementById('map').getAttribute('viewBox') != '{before}'")
    # a place far from the rest, with one document, is left out of the first view:
    # the whole world shows it
    page.get_by_role("link", name="Whole world").click()
    page.wait_for_url("**/map?view=world")
    page.locator("#map a[href='/entities/place-test-atoll'] circle").click(force=True)
    page.wait_for_url("**/entities/place-test-atoll")

    # hostile text stays text: no alert, no script error
    page.goto(server + f"/documents/{archive.hostile}")
    assert "<script>alert(1)</script>" in page.locator("h1").inner_text()
    shot(page, "07-hostile")
    page.goto(server + f"/documents/{archive.rtl}")
    shot(page, "08-rtl-cjk")

    assert watch.problems == []
    page.close()


# The labels shown and the boxes they and the markers fill on screen, and what overlaps.
MAP_OVERLAPS = """() => {
  const shown = el => getComputedStyle(el).display !== 'none';
  const labels = [...document.querySelectorAll('#map .place-label')].filter(shown)
    .map(l => [l.textContent, l.getBoundingClientRect()]);
  const dots = [...document.querySelectorAll('#map circle.place')]
    .map(c => c.getBoundingClientRect());
  const meet = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const bad = [];
  labels.forEach(([n, a], i) => {
    labels.forEach(([m, b], j) => { if (i < j && meet(a, b)) bad.push(n + ' / ' + m); });
    dots.forEach((d, j) => { if (meet(a, d)) bad.push(n + ' over marker ' + j); });
  });
  return [labels.length, bad];
}"""


def test_map_labels_stay_apart_at_every_zoom(browser: object, server: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = Watch(page, server)
    page.goto(server + "/map")
    counts = []
    shown, overlaps = page.evaluate(MAP_OVERLAPS)
    assert overlaps == [] and shown >= 1
    counts.append(shown)
    dense = page.locator("#map circle.place").first.bounding_box()  # the most documented
    page.mouse.move(dense["x"] + dense["width"] / 2, dense["y"] + dense["height"] / 2)
    for step in range(14):
        page.mouse.wheel(0, -250 if step < 9 else 400)  # in, then back out past the start
        page.wait_for_timeout(60)
        shown, overlaps = page.evaluate(MAP_OVERLAPS)
        assert overlaps == [], (step, overlaps)
        counts.append(shown)
    assert max(counts) > counts[0]  # zooming in makes room for more names
    shot(page, "12-map-zoomed")
    assert watch.problems == []
    page.close()


def test_narrow_screen(browser: object, server: str, archive: Archive) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    watch = Watch(page, server)
    for name, url in (
        ("09-narrow-document", f"/documents/{archive.conversation}"),
        ("10-narrow-search", "/search?q=Kim+Il+Sung"),
        ("11-narrow-big", f"/documents/{archive.big}"),
    ):
        page.goto(server + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (url, width)
        shot(page, name)
    assert watch.problems == []
    page.close()


def test_pages_work_without_javascript(browser: object, server: str, archive: Archive) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/search?q=Kim+Il+Sung")
    page.locator("li.hit h2 a").first.click()
    page.wait_for_url("**/documents/*")
    assert page.locator("section.text p").count() > 0
    page.goto(server + "/timeline")
    page.locator("a.bar-link").first.click()
    page.wait_for_url("**/timeline?from=*")
    page.goto(server + "/network")
    assert page.locator("#network line.edge").count() > 0
    context.close()
