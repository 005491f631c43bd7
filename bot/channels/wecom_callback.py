"""The WeCom callback (接收消息): `GET /wecom/callback` verifies the URL, `POST` receives encrypted messages.

A POST is checked before any XML is parsed: the ciphertext is picked out of the envelope by a
pattern (`<Encrypt>` holding base64 only) and msg_signature (SHA1 over token, timestamp, nonce and
that ciphertext) compared in constant time, so a forgery costs one hash and gets 403 whatever the
body holds. Only then is it decrypted with wechatpy's `WeChatCrypto` and the plaintext parsed with
defusedxml (no DTDs, entities or external references; at most `MAX_DEPTH` levels, which WeCom's
messages never approach) in a worker thread, off the event loop.

Store, then answer: the message's raw InboundMessage row is committed (several callbacks share a
commit under load, bot.inbound) before WeCom gets its empty 200, well within WeCom's 5 seconds;
the router handles the stored row afterwards, in the order received, and the web app finishes at
start-up whatever was stored but not handled (bot.inbound). So a process killed at any moment loses no message
it answered 200: WeCom sends again every one it got no 200 for. A message that could not be stored
gets 503 (WeCom retries). A replay — a timestamp more than `MAX_SKEW_SECONDS` away from now, or a
MsgId stored before (the router's unique key) — is answered 200 and not stored or handled again.
Refusals name what was wrong in Chinese, never the exception that found it (that goes to the log).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import logging
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.channels.wecom import NAME
from bot.config import Settings
from bot.http_body import read_body
from bot.messages import Attachment, Incoming
from models.base import whole_number

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

PATH = "/wecom/callback"
MAX_SKEW_SECONDS = 300
MAX_DEPTH = 8  # WeCom's deepest messages (SendPicsInfo → PicList → item → PicMd5Sum) have 4 levels
LATEST_TIMESTAMP = 253_402_300_799  # 9999-12-31 23:59:59 UTC, the last second a datetime holds
# <Encrypt> with base64 only, bare or in CDATA: bounded, linear, and no entity or DTD can reach it.
_ENCRYPT = re.compile(rb"<Encrypt>\s*(?:<!\[CDATA\[([A-Za-z0-9+/=]+)\]\]>|([A-Za-z0-9+/=]+))\s*</Encrypt>")
WELCOME = "/help"  # entering the app or following it shows the help (or how to register)
ATTACHMENT_KINDS = {"image": "photo", "voice": "voice", "video": "video", "file": "file"}


class BadMessage(ValueError):
    """A request that is not a well-formed WeCom message; the text says what was wrong."""


def callback_configured(settings: Settings) -> bool:
    wecom = settings.wecom
    return bool(wecom.corp_id and wecom.token and wecom.encoding_aes_key)


def parse_xml(data: bytes | str) -> dict[str, Any]:
    """A WeCom XML document as a dict (nested elements as dicts); DTDs, entities and external references
    refused, and so is nesting deeper than MAX_DEPTH (parsing stops there)."""
    source = io.BytesIO(data.encode() if isinstance(data, str) else data)
    depth, root = 0, None
    try:
        for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True, forbid_entities=True,
                                        forbid_external=True):
            depth += 1 if event == "start" else -1
            if depth > MAX_DEPTH:
                raise BadMessage(f"XML 嵌套超过 {MAX_DEPTH} 层，不是企业微信的消息")
            root = element
    except (ParseError, DefusedXmlException) as exc:
        log.info("WeCom XML refused: %r", exc)
        raise BadMessage("XML 无法解析或含有不允许的 DTD/实体") from None
    if root is None:
        raise BadMessage("XML 无法解析")
    return _as_dict(root)


def envelope_ciphertext(body: bytes) -> str | None:
    """The base64 ciphertext in the envelope's <Encrypt>, found without parsing the XML (the signature
    covers it, and nothing is parsed before the signature is checked)."""
    found = _ENCRYPT.search(body)
    return (found.group(1) or found.group(2)).decode("ascii") if found else None


def signature_ok(token: str, signature: str, timestamp: str, nonce: str, encrypted: str) -> bool:
    """msg_signature = SHA1 of token, timestamp, nonce and ciphertext sorted and joined; compared in constant time."""
    expected = hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def _as_dict(element: Element) -> dict[str, Any]:
    return {child.tag: _as_dict(child) if len(child) else (child.text or "") for child in element}


def to_incoming(fields: dict[str, Any], settings: Settings) -> Incoming | None:
    """A decrypted message or event as an Incoming; None for kinds pairbot does not act on (logged)."""
    sender = str(fields.get("FromUserName", ""))
    kind = str(fields.get("MsgType", "")).lower()
    agent = str(fields.get("AgentID", "")).strip()
    if not sender or not kind:
        raise BadMessage("消息缺少 FromUserName 或 MsgType")
    if settings.wecom.agent_id is not None and agent and agent != str(settings.wecom.agent_id):
        log.warning("WeCom message for agent %s ignored (configured agent is %s)", agent, settings.wecom.agent_id)
        return None
    sent_at = _created(fields)
    base = {"channel": NAME, "chat_id": sender, "sender_id": sender, "sent_at": sent_at}
    if kind == "event":
        return _event(fields, base, settings)
    message_id = str(fields.get("MsgId", "")).strip()
    if not message_id:
        raise BadMessage("消息缺少 MsgId")
    if kind == "text":
        return Incoming(text=str(fields.get("Content", "")), message_id=message_id, **base)
    if kind in ATTACHMENT_KINDS:
        media_id = str(fields.get("MediaId", ""))
        if not media_id:
            raise BadMessage(f"{kind} 消息缺少 MediaId")
        attachment = Attachment(ATTACHMENT_KINDS[kind], media_id, _filename(kind, fields, message_id))
        return Incoming(message_id=message_id, attachments=(attachment,), **base)
    log.info("WeCom %s message %s from %s ignored (kind not handled)", kind, message_id, sender)
    return None


def _event(fields: dict[str, Any], base: dict[str, Any], settings: Settings) -> Incoming | None:
    event = str(fields.get("Event", "")).lower()
    if event not in ("subscribe", "enter_agent"):
        log.info("WeCom event %s from %s ignored", event or "?", base["sender_id"])
        return None
    if event == "enter_agent":
        # Entering the app happens often: one welcome per member per local day (the router dedupes by id).
        day = (base["sent_at"] or datetime.now(timezone.utc)).astimezone(settings.zone).date()
        message_id = f"event:enter_agent:{day.isoformat()}"
    else:
        message_id = f"event:subscribe:{fields.get('CreateTime', '')}"
    return Incoming(text=WELCOME, message_id=message_id, **base)


def _created(fields: dict[str, Any]) -> datetime | None:
    text = str(fields.get("CreateTime", "")).strip()
    if not text:
        return None
    value = whole_number(text, LATEST_TIMESTAMP)
    if value is None:
        raise BadMessage("CreateTime 不是整数或超出范围")
    return datetime.fromtimestamp(value, timezone.utc)


def _filename(kind: str, fields: dict[str, Any], message_id: str) -> str:
    if fields.get("FileName"):
        return str(fields["FileName"])
    if kind == "voice":
        return f"{message_id}.{fields.get('Format') or 'amr'}"
    return ""


async def _stored(app: App, message: Incoming) -> bool:
    """True once the message is durable (stored now or before); False when it could not be stored."""
    try:
        await asyncio.wrap_future(app.inbound.submit(message, message.chat_id))
    except Exception:
        return False
    return True


class WecomCallback:
    """The two routes of `/wecom/callback`; messages go to the App's inbox (bot.inbound)."""

    def __init__(self, app: App, clock: Callable[[], float] | None = None) -> None:
        settings = app.settings
        assert settings.wecom.token is not None and settings.wecom.encoding_aes_key is not None
        self.settings = settings
        self.token = settings.wecom.token.get_secret_value()
        self.crypto = WeChatCrypto(self.token,
                                   settings.wecom.encoding_aes_key.get_secret_value(), settings.wecom.corp_id)
        self.clock = clock or (lambda: app.clock().timestamp())
        self.max_body = settings.web.max_body_bytes
        self.app = app

    def routes(self) -> list[Route]:
        return [Route(PATH, self.verify, methods=["GET"]), Route(PATH, self.receive, methods=["POST"])]

    async def verify(self, request: Request) -> Response:
        """URL verification when the admin saves the callback settings: answer the decrypted echostr."""
        params = request.query_params
        signature, timestamp, nonce = params.get("msg_signature"), params.get("timestamp"), params.get("nonce")
        echostr = params.get("echostr")
        if not (signature and timestamp and nonce and echostr):
            return _refuse(400, "缺少 msg_signature、timestamp、nonce 或 echostr 参数")
        # A '+' left unencoded in the query arrives as a space; base64 never contains spaces.
        echostr = echostr.replace(" ", "+")
        if not signature_ok(self.token, signature, timestamp, nonce, echostr):
            return _refuse(403, "签名 msg_signature 校验失败")
        try:
            plain = self.crypto.check_signature(signature, timestamp, nonce, echostr)
        except Exception as exc:
            log.info("WeCom echostr not decryptable: %r", exc)
            return _refuse(400, "echostr 无法解密（EncodingAESKey 或 CorpID 不符）")
        return PlainTextResponse(plain)

    async def receive(self, request: Request) -> Response:
        params = request.query_params
        signature, timestamp, nonce = params.get("msg_signature"), params.get("timestamp"), params.get("nonce")
        if not (signature and timestamp and nonce):
            return _refuse(400, "缺少 msg_signature、timestamp 或 nonce 参数")
        sent = whole_number(timestamp, LATEST_TIMESTAMP)
        if sent is None:
            return _refuse(400, "timestamp 不是整数或超出范围")
        body = await read_body(request, self.max_body)
        if body is None:
            return _refuse(413, f"请求体超过 [web] max_body_bytes = {self.max_body} 字节")
        encrypted = envelope_ciphertext(body)
        if encrypted is None:
            return _refuse(400, "请求体中没有 Encrypt（应为企业微信回调的 XML）")
        if not signature_ok(self.token, signature, timestamp, nonce, encrypted):
            return _refuse(403, "签名 msg_signature 校验失败")
        if abs(self.clock() - sent) > MAX_SKEW_SECONDS:
            log.warning("WeCom callback with a stale timestamp %s ignored (replay?)", timestamp)
            return Response(status_code=200)
        try:
            message = await run_in_threadpool(self._open, encrypted, signature, timestamp, nonce)
        except BadMessage as exc:
            return _refuse(400, str(exc))
        if message is not None and not await _stored(self.app, message):
            log.warning("WeCom message %s could not be stored; asking WeCom to send it again", message.message_id)
            return _refuse(503, "消息未能保存，请稍后重试")
        return Response(status_code=200)

    def _open(self, encrypted: str, signature: str, timestamp: str, nonce: str) -> Incoming | None:
        """Decrypt and read a signed message (in a worker thread: parsing never holds up the event loop)."""
        try:
            plain = self.crypto.decrypt_message({"Encrypt": encrypted}, signature, timestamp, nonce)
        except Exception as exc:  # signed correctly but not decryptable: wrong corp id, bad padding or base64
            log.info("WeCom message not decryptable: %r", exc)
            raise BadMessage("消息无法解密（EncodingAESKey 或 CorpID 不符，或密文已损坏）") from None
        return to_incoming(parse_xml(plain), self.settings)



def _refuse(status: int, reason: str) -> PlainTextResponse:
    log.warning("WeCom callback refused (%s): %s", status, reason)
    return PlainTextResponse(reason, status_code=status)
