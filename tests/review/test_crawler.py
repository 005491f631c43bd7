"""No dead ends: signed in as an all-province and as a one-province admin, in Chinese and in English, walk
every link and GET form every review page shows (same origin, each URL once) plus every id of the rich seed
the admin may see, and fail on any 4xx/5xx naming the page that linked it. Every page is checked for the
wrong language: no English prose in Chinese, no Chinese but the seed's own data in English."""

from __future__ import annotations

import html
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from starlette.testclient import TestClient

from bot.app import App
from bot.db import unit_of_work
from models.services import ledger
from models.services.ledger import Scope
from models.services.needs import visible_need
from models.services.projects import project_detail
from tests.i18n.checks import chinese_in, english_prose
from tests.review.conftest import sign_in
from tests.review.rich_seed import Rich, data_strings, seed_rich

ORIGIN = "http://testserver"
# Latin letters that are not prose on a Chinese page: the date hint YYYY-MM-DD and the seed's actor.
ALLOWED = {"yyyy", "mm", "dd", "test"}  # "test": the actor the seed records its changes under


class Page(HTMLParser):
    """The links, GET forms and visible text of one page (text in <code>, <script> and <style> is not prose)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self.text: list[str] = []
        self._skip = 0
        self._form: tuple[str, list[tuple[str, str]]] | None = None
        self._select: str | None = None
        self._select_value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("code", "script", "style"):
            self._skip += 1
        for name in ("title", "placeholder", "aria-label", "alt"):
            if a.get(name):
                self.text.append(a[name])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "form" and a.get("method", "get").lower() == "get":
            self._form = (a.get("action", ""), [])
        elif self._form is not None and tag == "input" and a.get("name"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self._form[1].append((a["name"], a.get("value", "")))
        elif self._form is not None and tag == "select":
            self._select, self._select_value = a.get("name"), None
        elif self._select is not None and tag == "option" and (self._select_value is None or "selected" in a):
            self._select_value = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "script", "style"):
            self._skip -= 1
        elif tag == "select" and self._form is not None and self._select:
            self._form[1].append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def parse(body: str) -> Page:
    page = Page()
    page.feed(body)
    return page


def crawl(client: TestClient, start: list[str]) -> dict[str, tuple[int, str, str]]:
    """URL → (status, linked from, body) for every page reachable from `start`."""
    seen: dict[str, tuple[int, str, str]] = {}
    queue = deque((url, "(seed)") for url in start)
    while queue:
        url, origin = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = (response.status_code, origin, response.text)
        if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        page = parse(response.text)
        targets = [urljoin(ORIGIN + url, href) for href in page.links]
        for action, fields in page.forms:
            target = urljoin(ORIGIN + url, action or url)
            targets.append(target.split("?")[0] + ("?" + urlencode(fields) if fields else ""))
        for target in targets:
            parts = urlsplit(target)
            if f"{parts.scheme}://{parts.netloc}" != ORIGIN or not parts.path.startswith("/review"):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if "lang=" in parts.query:  # the language switch: answered with the cookie, checked apart
                continue
            if parts.path.startswith("/review/static/"):
                assert client.get(local).status_code == 200, f"{local} linked from {url}"
                continue
            queue.append((local, url))
    return seen


def visible_ids(review_app: App, rich: Rich, provinces: tuple[str, ...] | None) -> tuple[list[str], list[str]]:
    """Every id of every kind in the seed as page addresses: (those the admin may see, those outside their
    provinces), asked of the same services the pages use."""
    scope = Scope(provinces)
    checks = {"counties": lambda s, n: ledger.visible_county(s, scope, n),
              "pairings": lambda s, n: ledger.visible_pairing(s, scope, n),
              "updates": lambda s, n: ledger.visible_update(s, scope, n),
              "needs": lambda s, n: visible_need(s, scope, n),
              "projects": lambda s, n: project_detail(s, scope, n, 1),
              "broadcasts": lambda s, n: ledger.broadcast_deliveries(s, scope, n)}
    inside, outside = [], []
    with unit_of_work(review_app.engine) as session:
        for kind, numbers in rich.ids.items():
            for number in numbers:
                try:
                    checks[kind](session, number)
                    inside.append(f"/review/{kind}/{number}")
                except LookupError:
                    outside.append(f"/review/{kind}/{number}")
    return inside, outside


def text_of(body: str) -> str:
    return html.unescape(" ".join(parse(body).text))


@pytest.fixture
def rich(review_app: App) -> Rich:
    return seed_rich(review_app.engine)


@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize("who", ["王主任", "李处长"], ids=["all-provinces", "one-province"])
def test_every_page_every_link_answers_in_the_chosen_language(client: TestClient, review_app: App, rich: Rich,
                                                              who: str, locale: str) -> None:
    switched = client.get(f"/review/login?lang={locale}")
    assert switched.status_code == 303 and switched.headers["location"] == "/review/login"
    sign_in(client, who)
    provinces = None if who == "王主任" else ("广西壮族自治区",)
    in_scope, out_of_scope = visible_ids(review_app, rich, provinces)
    assert bool(out_of_scope) == (provinces is not None)
    assert all(client.get(url).status_code == 404 for url in out_of_scope[:40])
    pages = crawl(client, ["/review/", *in_scope])
    broken = [f"{status} {url} (linked from {origin})" for url, (status, origin, _body) in pages.items()
              if status >= 400]
    assert not broken, "\n".join(broken)
    assert len(pages) > (40 if provinces is None else 15), sorted(pages)

    data = data_strings(review_app.engine)
    wrong = {}
    for url, (_status, _origin, body) in pages.items():
        text = text_of(body)
        found = english_prose(text, ALLOWED) if locale == "zh" else chinese_in(text, data)
        if found:
            wrong[url] = sorted(set(found))[:12]
    assert not wrong, "\n".join(f"{url}: {words}" for url, words in sorted(wrong.items()))
