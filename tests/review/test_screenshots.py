"""A screenshot of every distinct review page (one per route), in Chinese and in English, for a person to look
at: tests/artifacts/pages/<locale>/<route>.png (git-ignored). Chromium via Playwright, skipped where absent
(.ci/run installs it). Each page must also load without a failed request (its stylesheet) or a dialog."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.review.rich_seed import Rich, seed_rich
from tests.review.seed import PASSWORD
from tests.review.test_browser import ARTIFACTS, browser, served, sync_api  # noqa: F401 (fixtures)

SHOTS = ARTIFACTS.parent / "pages"


def routes(rich: Rich) -> dict[str, str]:
    """One address per page the review site has (its route name → a path showing it with the rich seed)."""
    lib, led = rich.library, rich.ledger
    return {
        "login": "/review/login", "matrix": "/review/", "county": f"/review/counties/{led.counties['布拖县']}",
        "pairing": f"/review/pairings/{led.pairings['乡发-布拖']}", "queue": "/review/queue",
        "update": f"/review/updates/{led.flagged[1]}", "broadcasts": "/review/broadcasts",
        "broadcast": f"/review/broadcasts/{rich.broadcast}", "totals": "/review/totals",
        "needs": "/review/needs", "need": f"/review/needs/{lib.stale}",
        "need-push": f"/review/needs/{lib.stale}/push?top=3", "projects": "/review/projects",
        "project": f"/review/projects/{lib.project}", "audit": "/review/audit", "not-found": "/review/updates/999999",
    }


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_a_screenshot_of_every_page_in_both_languages(rich_site: tuple[str, Rich], browser: object,  # noqa: F811
                                                      locale: str) -> None:
    base, rich = rich_site
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    failed: list[str] = []
    dialogs: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: failed.append(response.url) if response.status >= 500 else None)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{base}/review/login?lang={locale}")
    page.locator("input[name=who]").fill("王主任")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/review/login'] button").click()
    page.wait_for_url(re.compile(r"/review/$"))
    folder = SHOTS / locale
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in routes(rich).items():
        if name == "login":
            continue
        page.goto(base + path)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    context.close()
    login = browser.new_context(locale="zh-CN").new_page()
    login.goto(f"{base}/review/login?lang={locale}")
    login.screenshot(path=str(folder / "login.png"), full_page=True)
    expected = {f"{name}.png" for name in routes(rich)}
    assert expected <= {p.name for p in folder.iterdir()}
    assert all((folder / name).stat().st_size > 5_000 for name in expected)
    assert not failed and not dialogs
    html_lang = "en" if locale == "en" else "zh-CN"
    assert f'lang="{html_lang}"' in login.content()


@pytest.fixture
def rich_site(sqlite_url: str) -> Iterator[tuple[str, Rich]]:
    """`pairbot run`'s web app on a free port over the rich seed; yields (base URL, seed)."""
    with served(sqlite_url) as (base, app):
        yield base, seed_rich(app.engine)
