"""Hostile requests to the WeCom callback: the signature is checked before any XML is parsed, the parsing
of what is signed runs off the event loop with a depth bound, and every refusal is a 4xx in Chinese."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

import pytest

from models.messaging import InboundMessage
from tests.hostile import assert_refused
from tests.integration.test_wecom import AGENT, WeCom, _next_id, api, wecom  # noqa: F401
from tests.integration.wecom_support import SAMPLE_CORP_ID, message_xml, seal

NESTED_MB = b"<xml><Encrypt>" + b"<a>" * 140_000 + b"x" + b"</a>" * 140_000 + b"</Encrypt></xml>"  # ~1 MB


def _nested(depth: int) -> str:
    return "<xml>" + "<a>" * depth + "x" + "</a>" * depth + "</xml>"


def _query(signature: str, timestamp: str = "", nonce: str = "n1") -> str:
    return urlencode({"msg_signature": signature, "timestamp": timestamp or str(int(time.time())), "nonce": nonce})


def test_a_forged_signature_with_a_megabyte_of_nesting_is_a_fast_403(wecom: WeCom) -> None:  # noqa: F811
    body = b"<xml><Encrypt>" + b"A" * 4000 + b"</Encrypt>" + NESTED_MB[5:]
    assert len(body) <= wecom.app.settings.web.max_body_bytes
    started = time.perf_counter()
    answer = wecom.client.post(f"/wecom/callback?{_query('0' * 40)}", content=body)
    elapsed = time.perf_counter() - started
    assert_refused(answer, 403, "签名")
    assert elapsed < 0.5, elapsed  # one regex scan and one SHA1; the nesting is never parsed


def test_nesting_without_a_ciphertext_is_a_400_without_parsing(wecom: WeCom) -> None:  # noqa: F811
    answer = wecom.client.post(f"/wecom/callback?{_query('0' * 40)}", content=NESTED_MB[:1_000_000])
    assert_refused(answer, 400, "Encrypt")


def test_signed_nesting_is_refused_at_the_depth_bound(wecom: WeCom) -> None:  # noqa: F811
    for depth in (9, 50_000):
        assert wecom.post(_nested(depth)) == 400
        post = seal(wecom.crypto, _nested(depth), agent_id=AGENT)
        assert_refused(wecom.client.post(post.path, content=post.body.encode()), 400, "嵌套")
    wecom.settle()
    assert wecom.rows(InboundMessage) == []


def test_absurd_numbers_in_the_query_and_the_message(wecom: WeCom) -> None:  # noqa: F811
    plain = message_xml("lisi", "text", _next_id(), SAMPLE_CORP_ID, AGENT, Content="你好")
    for timestamp in ("²", "1e20", "-5", str(2**64), "１２３"):
        answer = wecom.client.post(f"/wecom/callback?{_query('0' * 40, timestamp=timestamp)}", content=b"<xml/>")
        assert_refused(answer, 400, "timestamp")
    for created in (2**63 - 1, 10**15):
        post = seal(wecom.crypto, message_xml("lisi", "text", _next_id(), SAMPLE_CORP_ID, AGENT, created=created,
                                              Content="你好"), agent_id=AGENT)
        assert_refused(wecom.client.post(post.path, content=post.body.encode()), 400, "CreateTime")
    big_id = seal(wecom.crypto, message_xml("lisi", "text", 2**200, SAMPLE_CORP_ID, AGENT, Content="你好"),
                  agent_id=AGENT)  # MsgId is text to us: stored as sent
    assert wecom.client.post(big_id.path, content=big_id.body.encode()).status_code == 200
    assert wecom.post(plain) == 200
    wecom.settle()
    assert len(wecom.rows(InboundMessage)) == 2


def test_signed_garbage_is_a_400_that_names_no_exception(wecom: WeCom) -> None:  # noqa: F811
    for ciphertext in ("AAAA", "A" * 43, "QUJD", "////" * 8, "=" * 12):
        stamp = str(int(time.time()))
        query = _query(wecom.crypto.sign(stamp, "n1", ciphertext), timestamp=stamp)
        body = f"<xml><Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>".encode()
        assert_refused(wecom.client.post(f"/wecom/callback?{query}", content=body), 400, "解密")
        echo = {"msg_signature": wecom.crypto.sign(stamp, "n1", ciphertext), "timestamp": stamp, "nonce": "n1",
                "echostr": ciphertext}
        assert_refused(wecom.client.get("/wecom/callback", params=echo), 400, "echostr")
    for text in ("", "<xml>", "<xml><Content>x</Content></xml>", "not xml at all", "<?xml version='1.0'?>"):
        post = seal(wecom.crypto, text, agent_id=AGENT)
        assert_refused(wecom.client.post(post.path, content=post.body.encode()), 400)


def test_forgeries_from_four_senders_do_not_hold_up_the_event_loop(wecom: WeCom) -> None:  # noqa: F811
    """The issue's attack: four senders post forged megabyte nestings; /healthz keeps answering."""
    forged = b"<xml><Encrypt>" + b"A" * 4000 + b"</Encrypt>" + NESTED_MB[5:]
    stop = threading.Event()
    statuses: list[int] = []

    def sender() -> None:
        while not stop.is_set():
            statuses.append(wecom.client.post(f"/wecom/callback?{_query('0' * 40)}", content=forged).status_code)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.3)
        latencies = []
        for _ in range(10):
            started = time.perf_counter()
            assert wecom.client.get("/healthz").status_code == 200
            latencies.append(time.perf_counter() - started)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert set(statuses) == {403} and len(statuses) >= 4
    assert sorted(latencies)[len(latencies) // 2] < 0.5, latencies


def test_signed_megabyte_messages_are_read_in_a_worker_thread(wecom: WeCom) -> None:  # noqa: F811
    """Signed (so decrypted and parsed) large bodies are refused once read, and /healthz still answers."""
    flat = "<xml>" + "<a>x</a>" * 90_000 + "</xml>"  # ~700 KB of plaintext, ~1 MB sealed
    post = seal(wecom.crypto, flat, agent_id=AGENT)
    assert len(post.body) <= wecom.app.settings.web.max_body_bytes
    done = threading.Event()
    statuses: list[int] = []

    def sender() -> None:
        for _ in range(3):
            statuses.append(wecom.client.post(post.path, content=post.body.encode()).status_code)
        done.set()

    thread = threading.Thread(target=sender)
    thread.start()
    answered = 0
    while not done.is_set():
        answered += wecom.client.get("/healthz").status_code == 200
    thread.join()
    assert statuses == [400, 400, 400]  # no FromUserName
    assert answered >= 1


@pytest.mark.parametrize("body", [b"", b"\x00" * 100, b"<Encrypt></Encrypt>", b"<Encrypt>!!</Encrypt>",
                                  "<Encrypt>密文</Encrypt>".encode()])
def test_envelopes_without_a_base64_ciphertext_are_a_400(wecom: WeCom, body: bytes) -> None:  # noqa: F811
    assert_refused(wecom.client.post(f"/wecom/callback?{_query('0' * 40)}", content=body), 400, "Encrypt")
