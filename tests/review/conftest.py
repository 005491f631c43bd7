"""Fixtures for the review pages: an App on a fixed clock with a seeded ledger, and signed-in HTTP clients."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from bot.app import App
from bot.channels.console import NAME as CONSOLE, ConsoleChannel
from bot.config import Settings
from bot.web import build_web
from tests.review.needs_seed import Library, seed_library
from tests.review.seed import NOW, PASSWORD, Ledger, seed


class Clock:
    """A clock the test can move (sessions and login links expire)."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def review_app(settings: Settings, clock: Clock) -> Iterator[App]:
    application = App(settings, channels={CONSOLE: ConsoleChannel()}, clock=clock)
    application.queue.start_worker()
    yield application
    application.close()


@pytest.fixture
def ledger(review_app: App) -> Ledger:
    return seed(review_app.engine)


@pytest.fixture
def library(review_app: App, ledger: Ledger) -> Library:
    """The 项目库 on top of the ledger: needs in every state, a project, a 云南 admin."""
    return seed_library(review_app.engine, ledger)


@pytest.fixture
def client(review_app: App) -> Iterator[TestClient]:
    with TestClient(build_web(review_app), follow_redirects=False) as test_client:
        yield test_client


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(client: TestClient, who: str = "王主任", password: str = PASSWORD) -> str:
    """Sign in with the password form; returns the page CSRF token of the new session."""
    form = client.get("/review/login")
    response = client.post("/review/login", data={"who": who, "password": password, "csrf": csrf_of(form.text),
                                                  "next": "/review/"})
    assert response.status_code == 303, response.text
    page = client.get("/review/")
    assert page.status_code == 200
    return csrf_of(page.text)
