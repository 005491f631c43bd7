"""A stranger against the web side while it serves: bytes that are not UTF-8 in a form or a query string, UTF-8
sent unescaped, and clients that hang up before their body arrived. Each is a 4xx in Chinese or read as meant;
nothing is stored as mojibake, and nothing leaves a traceback in the log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from bot.app import App
from bot.web import build_web
from models.reporting import ProgressUpdate
from tests.hostile import assert_refused
from tests.review.conftest import library, sign_in  # noqa: F401
from tests.review.needs_seed import Library
from tests.review.seed import Ledger

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def web(review_app: App) -> Iterator[TestClient]:
    with TestClient(build_web(review_app), follow_redirects=False, raise_server_exceptions=False) as client:
        yield client


def _update(app: App, update_id: int) -> ProgressUpdate:
    with Session(app.engine) as session:
        row = session.get(ProgressUpdate, update_id)
        assert row is not None
        return row


def test_utf8_sent_unescaped_in_a_form_is_read_as_utf8(web: TestClient, review_app: App, ledger: Ledger) -> None:
    csrf = sign_in(web)
    flagged = ledger.flagged[0]
    body = f"csrf={csrf}&note=".encode() + "数字不符，请核对".encode()  # as `curl --data` sends it: no %-escapes
    answer = web.post(f"/review/updates/{flagged}/reject", content=body, headers=FORM)
    assert answer.status_code == 303, answer.text[:300]
    assert _update(review_app, flagged).review_note == "数字不符，请核对"  # not 'æ\x95°å\xad\x97…' (Latin-1)


@pytest.mark.parametrize("note", [b"%ED%A0%80", b"%FF%FE", b"\xff\xfe", b"\xed\xa0\x80", b"%C0%80", b"ok\xe6\x95"])
def test_form_bytes_that_are_not_utf8_are_a_400_and_change_nothing(web: TestClient, review_app: App,
                                                                   ledger: Ledger, note: bytes) -> None:
    csrf = sign_in(web)
    flagged = ledger.flagged[0]
    before = _update(review_app, flagged)
    answer = web.post(f"/review/updates/{flagged}/reject", content=f"csrf={csrf}&note=".encode() + note, headers=FORM)
    assert_refused(answer, 400, "UTF-8")
    after = _update(review_app, flagged)
    assert (after.review_status, after.review_note) == (before.review_status, before.review_note)


def test_a_field_name_that_is_not_utf8_is_a_400(web: TestClient, ledger: Ledger) -> None:
    csrf = sign_in(web)
    answer = web.post(f"/review/updates/{ledger.flagged[0]}/accept", content=f"csrf={csrf}&%FF=1".encode(),
                      headers=FORM)
    assert_refused(answer, 400, "UTF-8")


@pytest.mark.parametrize("query", ["province=%ED%A0%80", "page=%FF", "actor=%C0%80", "next=/review/%E6%95"])
def test_a_query_string_that_is_not_utf8_is_a_400(web: TestClient, ledger: Ledger, query: str) -> None:
    sign_in(web)
    for path in ("/review/", "/review/audit", "/review/login"):
        assert_refused(web.get(f"{path}?{query}"), 400, "UTF-8")


def test_utf8_in_a_query_string_still_reads(web: TestClient, ledger: Ledger) -> None:
    sign_in(web)
    page = web.get("/review/?province=%E5%9B%9B%E5%B7%9D")  # 四川
    assert page.status_code == 200 and "四川省" in page.text


PARTS = {b"application/x-www-form-urlencoded": b"csrf=abc&note=",
         b"multipart/form-data; boundary=x": b'--x\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nabc',
         b"text/plain": b"csrf=abc"}


def _hang_up(app: Any, path: str, content_type: bytes, headers: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    """Send part of a declared body, then the disconnect; what the app sent back."""
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": PARTS[content_type], "more_body": True}, {"type": "http.disconnect"}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "headers": [(b"host", b"testserver"), (b"content-length", b"100"), (b"content-type", content_type),
                         *headers],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize("content_type", list(PARTS))
def test_a_client_that_hangs_up_mid_body_leaves_no_traceback(web: TestClient, review_app: App, ledger: Ledger,
                                                             content_type: bytes,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    sign_in(web)
    cookie = "; ".join(f"{name}={value}" for name, value in web.cookies.items()).encode()
    app = build_web(review_app)
    for path, headers in [(f"/review/updates/{ledger.flagged[0]}/reject", [(b"cookie", cookie)]),
                          ("/review/login", [])]:
        caplog.clear()
        with caplog.at_level(logging.INFO):
            sent = _hang_up(app, path, content_type, headers)
        statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
        assert all(status < 500 for status in statuses), (path, statuses)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], \
            [r.getMessage() for r in caplog.records]


def test_a_done_count_in_the_address_is_shown_only_when_it_is_one(web: TestClient, library: Library) -> None:  # noqa: F811
    """?done=push:N is built by the push itself; a link with "²³", a 5,000-digit number or a signed one shows
    no confirmation instead of echoing it as a count of organizations messaged."""
    sign_in(web)
    page = f"/review/needs/{library.stale}"
    assert "已推送给 3 家社会组织" in web.get(f"{page}?done=push:3").text
    for forged in ["²³", "٣", "9" * 5000, "99999999999999999999", "-1", "1e5", "0x10"]:
        answer = web.get(f"{page}?done=push:{forged}")
        assert answer.status_code == 200 and "已推送给" not in answer.text, forged
