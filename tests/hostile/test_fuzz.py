"""Random bodies, headers, query strings and path segments to every route — the webhooks (with and without their
secrets, signed and not), the review pages signed in and not, the login — on SQLite and PostgreSQL: nothing
answers 5xx, and no refusal names an exception. Bounded: a modest number of examples per route family."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from starlette.testclient import TestClient

from bot.app import App
from bot.channels.console import NAME as CONSOLE, ConsoleChannel
from bot.channels.telegram import register_telegram
from bot.channels.wecom import wecom_channels
from bot.web import build_web
from tests.conftest import make_settings
from tests.hostile import LEAKS
from tests.integration.wecom_support import SAMPLE_AES_KEY, SAMPLE_CORP_ID, SAMPLE_TOKEN, IndependentCrypto
from tests.review.conftest import Clock, csrf_of, sign_in
from tests.review.seed import Ledger, seed
from tests.standins.telegram_api import TOKEN, TelegramApiStandIn, Updates
from tests.standins.wecom_api import WecomApiStandIn

SECRET = "fuzz-secret_token"
# 60 examples per route family keep the suite's run short; PAIRBOT_FUZZ_EXAMPLES=1000 digs deeper.
FUZZ = settings(max_examples=int(os.environ.get("PAIRBOT_FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


@dataclass
class Site:
    app: App
    ledger: Ledger
    anonymous: TestClient
    admin: TestClient
    csrf: str
    crypto: IndependentCrypto


@pytest.fixture
def site(db_url: str, telegram_api: TelegramApiStandIn) -> Iterator[Site]:  # noqa: F811
    with WecomApiStandIn(corp_id=SAMPLE_CORP_ID) as wecom_api:
        settings_ = make_settings(
            db_url,
            telegram={"token": TOKEN, "api_base_url": telegram_api.base_url, "mode": "webhook", "secret_token": SECRET},
            wecom={"corp_id": wecom_api.corp_id, "agent_id": 1000002, "secret": wecom_api.secret,
                   "token": SAMPLE_TOKEN, "encoding_aes_key": SAMPLE_AES_KEY, "api_base_url": wecom_api.url})
        app = App(settings_, channels={CONSOLE: ConsoleChannel()}, clock=Clock())
        app.channels.update(wecom_channels(settings_.wecom))
        app.queue.start_worker()
        channel = register_telegram(app)
        assert channel is not None
        channel.start()
        try:
            ledger = seed(app.engine)
            web = build_web(app)
            with TestClient(web, follow_redirects=False, raise_server_exceptions=False) as anonymous, \
                    TestClient(web, follow_redirects=False, raise_server_exceptions=False) as admin:
                csrf = sign_in(admin)
                yield Site(app, ledger, anonymous, admin, csrf,
                           IndependentCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_CORP_ID))
        finally:
            channel.stop()
            app.close()


def check(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert not LEAKS.search(response.text), response.text[:300]


# --- what is sent ---------------------------------------------------------------------------------

texts = st.text(max_size=40)
numbers = st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([2**63, 2**64, -(2**63) - 1, 1e20, 1e308, 0, -1]))
ids = st.one_of(numbers.map(str), texts, st.sampled_from(["1", "2", "0", "00", "²", "١٢", "%00", "..", "%2e%2e"]))
segments = ids.map(lambda value: quote(value, safe="%"))
queries = st.one_of(
    st.dictionaries(st.sampled_from(["page", "done", "province", "only", "next", "msg_signature", "timestamp",
                                     "nonce", "echostr", "top", "county", "age", "field", "status", "changed", "x"])
                    | texts, st.one_of(texts, ids), max_size=4)
    .map(urlencode),
    st.binary(max_size=40).map(lambda raw: "".join(f"%{b:02x}" for b in raw)),
)
json_values = st.recursive(st.none() | st.booleans() | numbers | texts,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
                           max_leaves=20)
bodies = st.one_of(st.binary(max_size=600), texts.map(str.encode), json_values.map(lambda v: json.dumps(v).encode()),
                   st.dictionaries(texts, texts, max_size=4).map(lambda form: urlencode(form).encode()),
                   st.integers(1, 3000).map(lambda depth: b"[" * depth + b"]" * depth),
                   st.integers(1, 3000).map(lambda depth: b"<a>" * depth + b"</a>" * depth))
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
headers = st.dictionaries(
    st.sampled_from(["content-type", "cookie", "x-forwarded-for", "accept", "x-telegram-bot-api-secret-token",
                     "x-anything", "transfer-encoding-note"]),
    st.one_of(header_text, st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                            "multipart/form-data; boundary=x", "multipart/form-data", "text/xml",
                                            SECRET, "pairbot_review=forged"])),
    max_size=4)

REVIEW_PAGES = ["/review/", "/review/queue", "/review/broadcasts", "/review/totals", "/review/login",
                "/review/counties/{}", "/review/pairings/{}", "/review/updates/{}", "/review/broadcasts/{}",
                "/review/login/{}", "/review/static/{}", "/review/{}", "/review", "/review/needs",
                "/review/needs/{}", "/review/needs/{}/push", "/review/projects", "/review/projects/{}", "/review/audit"]
REVIEW_POSTS = ["/review/login", "/review/login/{}", "/review/updates/{}/{}", "/review/pairings/{}/change",
                "/review/export", "/review/needs/{}/publish", "/review/needs/{}/close", "/review/needs/{}/push",
                "/review/projects/{}/{}"]
ANY_PATH = ["/healthz", "/metrics", "/telegram/webhook", "/wecom/callback", "/{}", "/review/{}/{}"]


def fill(template: str, parts: list[str]) -> str:
    return template.format(*(parts + ["x"] * 3)[: template.count("{}")])


forms = st.dictionaries(st.sampled_from(["csrf", "who", "password", "next", "note", "year", "province", "action",
                                         "reason", "date", "organization", "fields", "funds_wan", "households",
                                         "top", "county", "age", "field", "status"]),
                        st.one_of(texts, ids), max_size=6)


# --- the tests ------------------------------------------------------------------------------------


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD"]), template=st.sampled_from(ANY_PATH + REVIEW_PAGES),
       parts=st.lists(segments, min_size=2, max_size=2), query=queries, head=headers, body=bodies)
def test_any_route_anonymous(site: Site, method: str, template: str, parts: list[str], query: str,
                             head: dict[str, str], body: bytes) -> None:
    path = fill(template, parts) + (f"?{query}" if query else "")
    site.anonymous.cookies.clear()
    check(site.anonymous.request(method, path, headers=head, content=body if method in ("POST", "PUT") else None))


@FUZZ
@given(template=st.sampled_from(REVIEW_PAGES), parts=st.lists(segments, min_size=2, max_size=2), query=queries,
       head=headers)
def test_review_pages_signed_in(site: Site, template: str, parts: list[str], query: str,
                                head: dict[str, str]) -> None:
    path = fill(template, parts) + (f"?{query}" if query else "")
    head = {k: v for k, v in head.items() if k != "cookie"}  # keep the session
    check(site.admin.get(path, headers=head))


@FUZZ
@given(template=st.sampled_from(REVIEW_POSTS), parts=st.lists(st.one_of(segments, st.sampled_from(
           ["accept", "reject", "correct", "suspend", "end", "replace"])), min_size=2, max_size=2),
       form=forms, with_csrf=st.booleans(), real_id=st.booleans())
def test_review_forms_signed_in(site: Site, template: str, parts: list[str], form: dict[str, str],
                                with_csrf: bool, real_id: bool) -> None:
    if real_id:  # an id that exists, so the form reaches the service that reads it
        parts = [str(site.ledger.flagged[0] if "updates" in template else site.ledger.pairings["乡发-布拖"])] + parts[1:]
    if with_csrf:
        form = {**form, "csrf": site.csrf}
    check(site.admin.post(fill(template, parts), data=form))


@FUZZ
@given(body=st.one_of(bodies, json_values.map(lambda v: json.dumps({"update_id": 1, "message": v}).encode())),
       message=st.dictionaries(st.sampled_from(["message_id", "date", "text", "chat", "from", "caption", "entities",
                                                "reply_to_message", "photo", "edit_date"]), json_values, max_size=5),
       secret=st.sampled_from([SECRET, "", "wrong", SECRET + "x"]), update_id=numbers)
def test_telegram_webhook(site: Site, body: bytes, message: dict[str, Any], secret: str, update_id: Any) -> None:
    headers = {"x-telegram-bot-api-secret-token": secret, "content-type": "application/json"}
    check(site.anonymous.post("/telegram/webhook", content=body, headers=headers))
    update = {"update_id": update_id, "message": {**Updates().message(5001, "你好")["message"], **message}}
    check(site.anonymous.post("/telegram/webhook", content=json.dumps(update).encode(), headers=headers))


@FUZZ
@given(encrypted=st.one_of(st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
                                   min_size=1, max_size=200), st.just("")),
       plain=st.one_of(texts, st.builds(lambda kind, fields: "<xml>" + "".join(
           f"<{k}>{v}</{k}>" for k, v in fields.items()) + f"<MsgType>{kind}</MsgType></xml>",
           st.sampled_from(["text", "image", "event", "voice", "x"]),
           st.dictionaries(st.sampled_from(["FromUserName", "MsgId", "Content", "CreateTime", "AgentID", "Event",
                                            "MediaId", "FileName"]),
                           st.one_of(texts.map(lambda t: t.replace("<", "").replace("&", "")), numbers.map(str)),
                           max_size=6))),
       nonce=header_text, stamp=st.one_of(st.just(None), numbers.map(str), texts))
def test_wecom_callback(site: Site, encrypted: str, plain: str, nonce: str, stamp: str | None) -> None:
    timestamp = stamp if stamp is not None else str(int(time.time()))
    signature = site.crypto.sign(timestamp, nonce, encrypted)
    query = urlencode({"msg_signature": signature, "timestamp": timestamp, "nonce": nonce})
    check(site.anonymous.post(f"/wecom/callback?{query}",
                              content=f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()))
    check(site.anonymous.get("/wecom/callback", params={"msg_signature": signature, "timestamp": timestamp,
                                                        "nonce": nonce, "echostr": encrypted}))
    sealed = site.crypto.encrypt(plain)  # signed and decryptable: what is inside is what is fuzzed
    now = str(int(time.time()))
    query = urlencode({"msg_signature": site.crypto.sign(now, nonce, sealed), "timestamp": now, "nonce": nonce})
    check(site.anonymous.post(f"/wecom/callback?{query}",
                              content=f"<xml><Encrypt><![CDATA[{sealed}]]></Encrypt></xml>".encode()))


@FUZZ
@given(who=st.one_of(texts, ids, st.sampled_from(["王主任", "李处长", "²", "\x00", "王主任\x00"])),
       password=st.one_of(texts, st.just("correct horse battery")), client=st.one_of(header_text, st.ip_addresses().map(str)))
def test_login(site: Site, who: str, password: str, client: str) -> None:
    site.anonymous.cookies.clear()  # a right password in an earlier example signed this client in
    form = site.anonymous.get("/review/login")
    check(form)
    check(site.anonymous.post("/review/login", headers={"x-forwarded-for": client},
                              data={"who": who, "password": password, "csrf": csrf_of(form.text)}))
