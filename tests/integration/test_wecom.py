"""WeCom end to end: encrypted callbacks in through the web app, replies out through the real wechatpy
client to a stand-in WeCom API, on SQLite and PostgreSQL. Crypto is checked against Tencent's
published sample values and against an independent implementation, in both directions."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring
from sqlmodel import Session, select
from starlette.testclient import TestClient
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.app import App
from bot.channels.base import SendError
from bot.channels.wecom import ROBOT, WecomChannel, split_text, wecom_channels
from bot.channels.wecom_choices import with_choices
from bot.channels.wecom_client import WecomClient
from bot.channels.wecom_callback import BadMessage, parse_xml
from bot.components import build_components
from bot.config import Settings
from bot.db import unit_of_work
from bot.messages import Button, Outgoing
from bot.web import build_web
from models.messaging import Delivery, InboundMessage
from models.registry import ChannelIdentity, Group, Role
from models.reporting import Attachment as AttachmentRow
from models.reporting import ProgressUpdate
from models.services.outbox import queue_message
from tests.conftest import make_settings
from tests.factories import CODES, add_org, county_id, invite, load_counties, pair
from tests.integration.wecom_support import (
    SAMPLE_AES_KEY, SAMPLE_CORP_ID, SAMPLE_ECHO_PLAIN, SAMPLE_ENCRYPT, SAMPLE_POST, SAMPLE_POST_BODY,
    SAMPLE_POST_PLAIN, SAMPLE_TOKEN, SAMPLE_VERIFY, IndependentCrypto, SignedPost, event_xml, message_xml, seal,
)
from tests.standins.wecom_api import APPCHAT_SEND, GETTOKEN, MESSAGE_SEND, WEBHOOK_SEND, WecomApiStandIn

AGENT = 1000002
HINT = "绑定 邀请码"  # part of the register hint strangers get


# -- crypto: Tencent's vectors and an independent implementation ------------------------------------------

def test_tencent_sample_vectors_with_wechatpy_and_the_independent_implementation() -> None:
    wechatpy = WeChatCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_CORP_ID)
    independent = IndependentCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_CORP_ID)
    verify = SAMPLE_VERIFY
    assert wechatpy.check_signature(verify["msg_signature"], verify["timestamp"], verify["nonce"],
                                    verify["echostr"]) == SAMPLE_ECHO_PLAIN
    assert independent.sign(verify["timestamp"], verify["nonce"], verify["echostr"]) == verify["msg_signature"]
    assert independent.decrypt(verify["echostr"]) == (SAMPLE_ECHO_PLAIN, SAMPLE_CORP_ID)

    post = SAMPLE_POST
    assert wechatpy.decrypt_message(SAMPLE_POST_BODY, post["msg_signature"], post["timestamp"],
                                    post["nonce"]) == SAMPLE_POST_PLAIN
    assert independent.sign(post["timestamp"], post["nonce"], SAMPLE_ENCRYPT) == post["msg_signature"]
    assert independent.decrypt(SAMPLE_ENCRYPT) == (SAMPLE_POST_PLAIN, SAMPLE_CORP_ID)


@pytest.mark.parametrize("message", ["hello", "本月投入资金20万元，带动38户增收。", "x" * 31, "y" * 32, "帮" * 700])
def test_wechatpy_and_the_independent_implementation_read_each_other(message: str) -> None:
    wechatpy = WeChatCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_CORP_ID)
    independent = IndependentCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_CORP_ID)
    # independent → wechatpy
    post = seal(independent, message, timestamp=1700000000, nonce="n1")
    query = dict(part.split("=") for part in post.query.split("&"))
    assert wechatpy.decrypt_message(post.body, query["msg_signature"], "1700000000", "n1") == message
    # wechatpy → independent
    envelope = fromstring(wechatpy.encrypt_message(message, "n2", "1700000001"))
    encrypted = envelope.findtext("Encrypt")
    assert independent.sign("1700000001", "n2", encrypted) == envelope.findtext("MsgSignature")
    assert independent.decrypt(encrypted) == (message, SAMPLE_CORP_ID)


def test_xml_with_a_dtd_or_entities_is_refused() -> None:
    xxe = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY leak SYSTEM "file:///etc/passwd">]>'
           "<xml><Encrypt>&leak;</Encrypt></xml>")
    bomb = '<!DOCTYPE xml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><xml><Content>&b;</Content></xml>'
    for payload in (xxe, bomb):
        with pytest.raises(BadMessage):
            parse_xml(payload)
    assert parse_xml("<xml><A>1</A><B><C>2</C></B></xml>") == {"A": "1", "B": {"C": "2"}}


def test_buttons_become_numbered_choices_and_long_texts_are_split() -> None:
    buttons = (Button("布拖县", "pick:1:2"), Button("昭觉县", "pick:1:3"))
    assert with_choices("属于哪一个？", buttons) == "属于哪一个？\n回复序号：\n1. 布拖县\n2. 昭觉县"
    listed = "属于哪一个？请回复序号：\n1. 布拖县\n2. 昭觉县"
    assert with_choices(listed, buttons) == listed  # already numbered by the handler: not repeated
    long = "\n".join(f"第{n}行：本月投入帮扶资金20万元" for n in range(200))
    pieces = split_text(long)
    assert len(pieces) > 1 and all(len(piece.encode()) <= 2048 for piece in pieces)
    assert "\n".join(pieces) == long
    assert all(len(piece.encode()) <= 2048 for piece in split_text("帮" * 3000))


@pytest.mark.parametrize(("failure", "retry_after", "permanent"), [
    ({"errcode": 45009}, 60, False), ({"errcode": 45033}, 60, False), ({"errcode": 45011}, 60, False),
    ({"errcode": 60111}, None, True), ({"errcode": 60102}, None, True), ({"errcode": 81013}, None, True),
    ({"errcode": 40031}, None, True), ({"errcode": 0, "invaliduser": "u1"}, None, True),
    ({"errcode": -1, "errmsg": "system busy"}, None, False), ({"status": 500}, None, False),
    ({"status": 502}, None, False), ({"errcode": 60020, "errmsg": "not allow to access from your ip"}, None, False),
])
def test_wecom_answers_map_to_what_the_outbox_should_do(failure: dict[str, Any], retry_after: float | None,
                                                         permanent: bool) -> None:
    with WecomApiStandIn() as api:
        channel = WecomChannel(WecomClient(api.corp_id, api.secret, api.url), AGENT)
        api.fail_next(MESSAGE_SEND, **failure)
        with pytest.raises(SendError) as caught:
            channel.send(Outgoing("wecom", "u1", "通知"))
        assert (caught.value.retry_after, caught.value.permanent) == (retry_after, permanent)
        assert "message/send" in str(caught.value)
        assert channel.send(Outgoing("wecom", "u1", "通知")).startswith("msg-")  # the next one goes through
        channel.close()


def test_an_unreachable_api_is_retried_and_the_token_url_honours_the_base_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    channel = WecomChannel(WecomClient("ww1", "s", closed, timeout=2), AGENT)
    with pytest.raises(SendError) as caught:
        channel.send(Outgoing("wecom", "u1", "通知"))
    assert not caught.value.permanent and caught.value.retry_after is None
    # the token request went to the configured base, not qyapi.weixin.qq.com; the secret is not in the error
    assert f"{closed}/cgi-bin/gettoken" in str(caught.value) and "corpsecret" not in str(caught.value)


# -- the web app with the stand-in WeCom API --------------------------------------------------------------

class WeCom:
    """The app, its web front and a stand-in WeCom API; posts signed, encrypted callbacks like WeCom does."""

    def __init__(self, app: App, client: TestClient, api: WecomApiStandIn, crypto: IndependentCrypto) -> None:
        self.app, self.client, self.api, self.crypto = app, client, api, crypto

    def post(self, plain_xml: str, **options: object) -> int:
        return self.post_signed(seal(self.crypto, plain_xml, agent_id=AGENT, **options))  # type: ignore[arg-type]

    def post_signed(self, post: SignedPost) -> int:
        return self.client.post(post.path, content=post.body.encode()).status_code

    def say(self, user: str, text: str, msg_id: int | None = None) -> list[str]:
        """A text from `user`; returns what the bot sent back to them through message/send."""
        before = len(self.api.texts_to(user))
        assert self.post(message_xml(user, "text", msg_id or _next_id(), self.crypto.receive_id, AGENT,
                                     Content=text)) == 200
        self.settle()
        return self.api.texts_to(user)[before:]

    def settle(self) -> None:
        self.app.inbound.join()
        self.app.queue.join()

    def rows(self, model: type, *where: object) -> list:  # type: ignore[type-arg]
        with Session(self.app.engine) as session:
            return list(session.exec(select(model).where(*where)).all())  # type: ignore[call-overload]


_ids = iter(range(7_000_000_000_000_000_000, 8_000_000_000_000_000_000))


def _next_id() -> int:
    return next(_ids)


def wecom_settings(db_url: str, api: WecomApiStandIn, web: dict[str, Any] | None = None,
                   **wecom: object) -> Settings:
    return make_settings(db_url, web=web or {}, wecom={
        "corp_id": api.corp_id, "agent_id": AGENT, "secret": api.secret, "token": SAMPLE_TOKEN,
        "encoding_aes_key": SAMPLE_AES_KEY, "api_base_url": api.url, "webhooks": {"县联络员群": "robot-key-1"},
        **wecom,
    })


@pytest.fixture
def api() -> Iterator[WecomApiStandIn]:
    with WecomApiStandIn(corp_id=SAMPLE_CORP_ID) as standin:
        yield standin


@contextmanager
def running(settings: Settings, api: WecomApiStandIn,
             clock: Callable[[], datetime] | None = None) -> Iterator[WeCom]:
    app = App(settings, clock=clock) if clock else App(settings)
    app.channels.update(wecom_channels(settings.wecom))
    app.queue.start_worker()
    try:
        with TestClient(build_web(app)) as client:
            yield WeCom(app, client, api, IndependentCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, settings.wecom.corp_id))
    finally:
        app.close()


@pytest.fixture
def wecom(db_url: str, api: WecomApiStandIn) -> Iterator[WeCom]:
    with running(wecom_settings(db_url, api), api) as harness:
        yield harness


def reporter(wecom: WeCom, user: str, county: str = "布拖县") -> None:
    """Bind `user` as a county contact with one active pairing, through the callback."""
    load_counties(wecom.app.engine)
    cid = county_id(wecom.app.engine, county)
    pair(wecom.app.engine, add_org(wecom.app.engine, "中国社会福利基金会", CODES[0]), cid)
    [reply] = wecom.say(user, f"绑定 {invite(wecom.app.engine, Role.county, county=cid, name='阿木')}")
    assert "绑定成功" in reply


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_url_verification_answers_tencents_sample_and_refuses_forgeries(wecom: WeCom) -> None:
    response = wecom.client.get("/wecom/callback", params=SAMPLE_VERIFY)
    assert (response.status_code, response.text) == (200, SAMPLE_ECHO_PLAIN)
    forged = {**SAMPLE_VERIFY, "msg_signature": "0" * 40}
    assert wecom.client.get("/wecom/callback", params=forged).status_code == 403
    assert wecom.client.get("/wecom/callback", params={"echostr": "x"}).status_code == 400
    assert wecom.client.get("/healthz").json()["status"] == "ok"


def test_tencents_sample_message_goes_through_the_callback(db_url: str, api: WecomApiStandIn) -> None:
    sent_at = datetime.fromtimestamp(int(SAMPLE_POST["timestamp"]) + 2, UTC)
    settings = wecom_settings(db_url, api, agent_id=218)
    with running(settings, api, clock=lambda: sent_at) as wecom:
        response = wecom.client.post(f"/wecom/callback?msg_signature={SAMPLE_POST['msg_signature']}"
                                     f"&timestamp={SAMPLE_POST['timestamp']}&nonce={SAMPLE_POST['nonce']}",
                                     content=SAMPLE_POST_BODY.encode())
        assert (response.status_code, response.text) == (200, "")
        wecom.settle()
        [row] = wecom.rows(InboundMessage)
        assert (row.channel, row.chat_id, row.message_id, row.text) == ("wecom", "mycreate", "4561255354251345929",
                                                                        "hello")
        [hint] = api.texts_to("mycreate")
        assert HINT in hint
        [call] = [c for c in api.calls_to(MESSAGE_SEND) if c.answer and c.answer["errcode"] == 0]
        assert call.body is not None and call.body["agentid"] == 218 and call.body["msgtype"] == "text"


def test_stranger_registers_with_an_invite_and_reports_progress(wecom: WeCom) -> None:
    [hint] = wecom.say("zhangsan", "你好")
    assert HINT in hint
    load_counties(wecom.app.engine)
    cid = county_id(wecom.app.engine, "布拖县")
    pair(wecom.app.engine, add_org(wecom.app.engine, "中国社会福利基金会", CODES[0]), cid)
    code = invite(wecom.app.engine, Role.county, county=cid, name="张三")
    [bound] = wecom.say("zhangsan", f"绑定 {code}")
    assert "绑定成功" in bound and "四川省布拖县" in bound
    assert [(i.channel, i.external_id) for i in wecom.rows(ChannelIdentity)] == [("wecom", "zhangsan")]

    text = "本月向布拖县拐乐村投入帮扶资金20万元，带动38户增收。"
    [confirmation] = wecom.say("zhangsan", text)
    assert confirmation.startswith("已记录：") and "20 万元" in confirmation and "38 户" in confirmation
    [update] = wecom.rows(ProgressUpdate)
    assert (update.raw_text, update.channel, update.funds_wan, update.households) == (text, "wecom", 20, 38)
    sent = wecom.rows(Delivery)
    assert len(sent) == 3 and all(d.status == "sent" and d.platform_message_id for d in sent)
    assert len(wecom.api.calls_to(GETTOKEN)) == 1  # the token is cached between sends


def test_two_pairings_are_offered_as_numbered_choices_and_a_number_answers(wecom: WeCom) -> None:
    load_counties(wecom.app.engine)
    org = add_org(wecom.app.engine, "中国社会福利基金会", CODES[0])
    first, second = county_id(wecom.app.engine, "布拖县"), county_id(wecom.app.engine, "昭觉县")
    pair(wecom.app.engine, org, first)
    pair(wecom.app.engine, org, second)
    wecom.say("org1", f"绑定 {invite(wecom.app.engine, Role.organization, org=org)}")
    [question] = wecom.say("org1", "本月投入资金10万元")
    assert "1. " in question and "2. " in question and question.count("1. ") == 1
    [answer] = wecom.say("org1", "2")
    assert answer.startswith("好的")
    [update] = wecom.rows(ProgressUpdate)
    assert update.pairing_id is not None


def test_a_numbered_reply_presses_the_button_of_the_last_message(wecom: WeCom) -> None:
    def preview() -> str:
        with unit_of_work(wecom.app.engine) as session:
            delivery_id = queue_message(session, "wecom", "admin1", "广播预览（#7）", buttons=[
                Button("确认发送", "bc:confirm:7"), Button("取消", "bc:cancel:7")]).id
        wecom.app.queue.enqueue([delivery_id])  # type: ignore[list-item]
        wecom.settle()
        return wecom.api.texts_to("admin1")[-1]

    assert preview().endswith("回复序号：\n1. 确认发送\n2. 取消")
    wecom.say("admin1", "3")  # no third button: plain text
    preview()
    wecom.say("admin1", "２")  # full-width digits too
    wecom.say("admin1", "2")  # the last message (the bot's answer) has no buttons: plain text
    assert [row.text for row in wecom.rows(InboundMessage)] == ["3", "bc:cancel:7", "2"]


def test_forged_signature_and_garbage_are_refused_and_nothing_is_stored(wecom: WeCom) -> None:
    plain = message_xml("mallory", "text", _next_id(), SAMPLE_CORP_ID, AGENT, Content="绑定 AAAA")
    assert wecom.post(plain, signature="0" * 40) == 403
    other_key = IndependentCrypto(SAMPLE_TOKEN, "A" * 43, SAMPLE_CORP_ID)  # signed with the token, wrong AES key
    assert wecom.post_signed(seal(other_key, plain)) == 400
    other_corp = IndependentCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, "ww-someone-else")
    assert wecom.post_signed(seal(other_corp, plain)) == 400
    assert wecom.client.post("/wecom/callback?msg_signature=a&timestamp=1&nonce=b", content=b"not xml").status_code \
        == 400
    assert wecom.client.post("/wecom/callback", content=b"<xml/>").status_code == 400
    wecom.settle()
    assert wecom.rows(InboundMessage) == [] and wecom.api.calls_to(MESSAGE_SEND) == []


def test_xxe_payloads_are_refused_outside_and_inside_the_encryption(wecom: WeCom, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    outer = (f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file://{secret}">]>'
             "<xml><ToUserName>a</ToUserName><Encrypt>&x;</Encrypt></xml>")
    response = wecom.client.post("/wecom/callback?msg_signature=a&timestamp=1&nonce=b", content=outer.encode())
    assert response.status_code == 400 and "TOP-SECRET" not in response.text
    inner = (f'<!DOCTYPE xml [<!ENTITY x SYSTEM "file://{secret}">]><xml><ToUserName>{SAMPLE_CORP_ID}</ToUserName>'
             f"<FromUserName>mallory</FromUserName><CreateTime>{int(time.time())}</CreateTime>"
             f"<MsgType>text</MsgType><Content>&x;</Content><MsgId>1</MsgId></xml>")
    assert wecom.post(inner) == 400
    wecom.settle()
    assert wecom.rows(InboundMessage) == [] and wecom.api.calls_to(MESSAGE_SEND) == []


def test_the_callback_answers_only_once_the_message_is_stored(wecom: WeCom) -> None:
    lock = wecom.app.engine.raw_connection()  # another connection holds the inbound table locked
    answered: dict[str, float] = {}

    def post() -> None:
        status = wecom.post(message_xml("lisi", "text", _next_id(), SAMPLE_CORP_ID, AGENT, Content="你好"))
        answered.update(status=status, at=time.monotonic(), stored=len(wecom.rows(InboundMessage)))

    try:
        cursor = lock.cursor()
        if wecom.app.engine.dialect.name == "sqlite":
            cursor.execute("BEGIN EXCLUSIVE")
        else:
            cursor.execute("LOCK TABLE inboundmessage IN ACCESS EXCLUSIVE MODE")
        poster = threading.Thread(target=post)
        poster.start()
        time.sleep(1.0)
        assert answered == {}  # no 200 while the message cannot be stored: WeCom would send it again
    finally:
        released = time.monotonic()
        lock.rollback()
        lock.close()
    poster.join(30)
    assert answered["status"] == 200 and answered["at"] >= released and answered["stored"] == 1
    wecom.settle()
    assert len(wecom.rows(InboundMessage)) == 1 and len(wecom.api.texts_to("lisi")) == 1


def test_a_replayed_msgid_is_processed_once(wecom: WeCom) -> None:
    plain = message_xml("lisi", "text", 4561255354251345930, SAMPLE_CORP_ID, AGENT, Content="你好")
    assert wecom.post(plain) == 200
    assert wecom.post(plain) == 200  # WeCom retrying, or someone replaying with a fresh signature
    wecom.settle()
    assert len(wecom.rows(InboundMessage)) == 1 and len(wecom.api.texts_to("lisi")) == 1


def test_a_stale_timestamp_is_answered_but_not_processed(wecom: WeCom) -> None:
    plain = message_xml("lisi", "text", _next_id(), SAMPLE_CORP_ID, AGENT, Content="你好")
    assert wecom.post(plain, timestamp=int(time.time()) - 600) == 200
    assert wecom.post(plain, timestamp=int(time.time()) + 600) == 200
    wecom.settle()
    assert wecom.rows(InboundMessage) == [] and wecom.api.calls_to(MESSAGE_SEND) == []


def test_a_body_over_the_limit_is_refused(db_url: str, api: WecomApiStandIn) -> None:
    with running(wecom_settings(db_url, api, web={"max_body_bytes": 2048}), api) as wecom:
        plain = message_xml("lisi", "text", _next_id(), SAMPLE_CORP_ID, AGENT, Content="帮" * 2000)
        assert wecom.post(plain) == 413
        assert wecom.post(message_xml("lisi", "text", _next_id(), SAMPLE_CORP_ID, AGENT, Content="你好")) == 200


def test_an_expired_token_is_fetched_again_and_the_send_retried(wecom: WeCom) -> None:
    assert len(wecom.say("wangwu", "你好")) == 1
    wecom.api.expire_tokens()
    assert len(wecom.say("wangwu", "在吗")) == 1
    assert len(wecom.api.calls_to(GETTOKEN)) == 2
    answers = [c.answer["errcode"] for c in wecom.api.calls_to(MESSAGE_SEND) if c.answer]
    assert answers == [0, 42001, 0]
    assert [d.status for d in wecom.rows(Delivery)] == ["sent", "sent"]


def test_frequency_limit_leaves_the_delivery_pending_for_a_minute(wecom: WeCom) -> None:
    wecom.api.fail_next(MESSAGE_SEND, errcode=45009, errmsg="api freq out of limit")
    assert wecom.post(message_xml("zhaoliu", "text", _next_id(), SAMPLE_CORP_ID, AGENT, Content="你好")) == 200
    wecom.app.inbound.join()  # not the queue: its retry is 60 s away
    wait_for(lambda: any(d.attempts == 1 and d.status == "pending" for d in wecom.rows(Delivery)))
    [delivery] = wecom.rows(Delivery)
    assert "45009" in delivery.last_error and delivery.next_attempt_at is not None
    wait = (delivery.next_attempt_at - datetime.now(UTC)).total_seconds()
    assert 50 < wait <= 60


def test_a_server_error_is_retried_with_backoff(wecom: WeCom) -> None:
    wecom.api.fail_next(MESSAGE_SEND, status=500)
    wecom.api.fail_next(MESSAGE_SEND, errcode=-1, errmsg="system busy")
    [reply] = wecom.say("zhaoliu", "你好")  # attempts after 1 s and 2 s
    assert HINT in reply
    [delivery] = wecom.rows(Delivery)
    assert (delivery.status, delivery.attempts) == ("sent", 3) and "-1" in delivery.last_error


def test_a_departed_member_is_blocked_and_marked_unreachable(wecom: WeCom) -> None:
    reporter(wecom, "sunqi")
    wecom.api.departed.add("sunqi")
    with unit_of_work(wecom.app.engine) as session:
        delivery_id = queue_message(session, "wecom", "sunqi", "请于8月31日前签订帮扶协议。").id
    wecom.app.queue.enqueue([delivery_id])  # type: ignore[list-item]
    wecom.settle()
    [delivery] = wecom.rows(Delivery, Delivery.id == delivery_id)
    assert delivery.status == "blocked" and "81013" in delivery.last_error
    [identity] = wecom.rows(ChannelIdentity)
    assert identity.unreachable_since is not None


def test_images_files_and_voice_are_stored_as_attachments(wecom: WeCom) -> None:
    reporter(wecom, "zhouba")
    assert wecom.post(message_xml("zhouba", "image", _next_id(), SAMPLE_CORP_ID, AGENT,
                                  PicUrl="http://p.qpic.cn/x", MediaId="MEDIA-IMG-1")) == 200
    assert wecom.post(message_xml("zhouba", "voice", _next_id(), SAMPLE_CORP_ID, AGENT, MediaId="MEDIA-VOICE-1",
                                  Format="amr")) == 200
    assert wecom.post(message_xml("zhouba", "file", _next_id(), SAMPLE_CORP_ID, AGENT, MediaId="MEDIA-FILE-1",
                                  FileName="协议.pdf")) == 200
    wecom.settle()
    rows = wecom.rows(AttachmentRow)
    assert [(a.kind, a.file_id, a.channel) for a in rows] == [
        ("photo", "MEDIA-IMG-1", "wecom"), ("voice", "MEDIA-VOICE-1", "wecom"), ("file", "MEDIA-FILE-1", "wecom")]
    assert rows[1].filename.endswith(".amr") and rows[2].filename == "协议.pdf"
    assert all("附件" in text for text in wecom.api.texts_to("zhouba")[1:])


def test_entering_the_app_welcomes_once_a_day_and_unknown_kinds_are_ignored(wecom: WeCom) -> None:
    now = int(time.time())
    assert wecom.post(event_xml("newbie", "enter_agent", SAMPLE_CORP_ID, AGENT, now)) == 200
    assert wecom.post(event_xml("newbie", "enter_agent", SAMPLE_CORP_ID, AGENT, now + 1)) == 200
    assert wecom.post(event_xml("newbie", "click", SAMPLE_CORP_ID, AGENT, now + 2)) == 200
    assert wecom.post(message_xml("newbie", "location", _next_id(), SAMPLE_CORP_ID, AGENT, Location_X="27.7",
                                  Location_Y="102.8", Scale="15", Label="布拖县")) == 200
    assert wecom.post(message_xml("newbie", "text", _next_id(), SAMPLE_CORP_ID, 999, Content="别的应用")) == 200
    wecom.settle()
    [welcome] = wecom.api.texts_to("newbie")
    assert HINT in welcome
    assert [row.text for row in wecom.rows(InboundMessage)] == ["/help"]


def test_notices_reach_app_group_chats_and_group_robots(wecom: WeCom) -> None:
    components = build_components(wecom.app)
    for component in components:
        component.start()
    [group] = wecom.rows(Group)
    assert (group.channel, group.chat_id, group.tags) == (ROBOT, "县联络员群", ["县联络员群"])
    with unit_of_work(wecom.app.engine) as session:
        ids = [queue_message(session, ROBOT, "县联络员群", "各县联络员：请于本月5日前报送进展。").id,
               queue_message(session, ROBOT, "没有这个群", "?").id,
               queue_message(session, "wecom", "appchat:sichuan01", "四川群通知").id]
    wecom.app.queue.enqueue(ids)  # type: ignore[arg-type]
    wecom.settle()
    [robot] = wecom.api.calls_to(WEBHOOK_SEND)
    assert robot.query["key"] == "robot-key-1" and robot.body == {
        "msgtype": "text", "text": {"content": "各县联络员：请于本月5日前报送进展。"}}
    [appchat] = wecom.api.delivered(APPCHAT_SEND)
    assert appchat["chatid"] == "sichuan01" and appchat["text"]["content"] == "四川群通知"
    statuses = {d.chat_id: d.status for d in wecom.rows(Delivery)}
    assert statuses == {"县联络员群": "sent", "没有这个群": "blocked", "appchat:sichuan01": "sent"}
    for component in components:
        component.stop()


def test_partial_wecom_settings_are_refused_with_the_key_named() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="agent_id"):
        Settings(wecom={"corp_id": "ww1", "secret": "s"})
    with pytest.raises(ValidationError, match="EncodingAESKey"):
        Settings(wecom={"encoding_aes_key": "too-short"})
