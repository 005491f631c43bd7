"""What every route answers to input it cannot use: a 4xx with a short Chinese reason, never a 500.

- `RequestGuard` wraps the review pages: a body over `[web] max_body_bytes` is refused with 413
  before it is read (declared length) or as soon as it passes the limit (chunked); a NUL in the
  path or query string is refused with 400 (PostgreSQL text cannot hold one, and no page needs it).
  The platform callbacks check their secret first and read their bodies with `http_body.read_body`.
- It also holds the query string and a form body (application/x-www-form-urlencoded, what the pages'
  forms send) to UTF-8: a byte sequence that is not UTF-8, typed raw or percent-escaped (%ED%A0%80, %FF), is refused
  with 400 instead of being read as U+FFFD or Latin-1 (mojibake stored in a note and sent to a contact), and
  UTF-8 sent raw, unescaped (`curl --data 'note=中文'`), is read as UTF-8 rather than Latin-1.
- A client that hangs up before its body arrived gets nothing and leaves one line in the log, not a traceback.
- `error_handlers` give Starlette's own refusals (no such route 404, wrong method 405, a form that
  does not parse 400) Chinese text instead of English phrases, and turn an unexpected exception
  into a 500 that names nothing about it (the traceback goes to the log).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.i18n import N_, _, using

log = logging.getLogger(__name__)

REASONS = {
    400: N_("请求格式有误，无法处理"),
    403: N_("没有权限"),
    404: N_("没有找到该页面"),
    405: N_("该地址不支持这种请求方法"),
    413: N_("请求体过大"),
    500: N_("服务器内部错误（已记录），请稍后重试"),
}
NUL_REFUSED = N_("请求地址或参数中含有空字符（NUL），无法处理")
QUERY_NOT_UTF8 = N_("请求地址的参数不是有效的 UTF-8 文本，无法处理")
FORM_NOT_UTF8 = N_("提交的表单内容不是有效的 UTF-8 文本，无法处理")
FORM_TYPE = "application/x-www-form-urlencoded"
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")


def utf8_urlencoded(raw: bytes) -> bytes | None:
    """Query-string / form bytes with every raw non-ASCII byte percent-escaped (so they are read as UTF-8, never
    Latin-1), or None when a name or value, once unescaped, is not UTF-8 (a lone surrogate's bytes, %FF…)."""
    escaped = _HIGH_BYTE.sub(lambda m: b"%%%02X" % m.group()[0], raw)
    for pair in escaped.split(b"&"):
        for part in pair.split(b"=", 1):
            try:
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                return None
    return escaped


def _media_type(scope: Scope) -> bytes:
    return dict(scope["headers"]).get(b"content-type", b"").split(b";", 1)[0].strip().lower()


def refusal(status: int, reason: str | None = None, headers: Mapping[str, str] | None = None) -> Response:
    """A plain-text refusal in the locale in force (a reason given is already in it)."""
    text = reason or (_(REASONS[status]) if status in REASONS else _("请求无法处理（HTTP {status}）").format(
        status=status))
    return PlainTextResponse(text, status_code=status, headers=dict(headers or {}))


class BodyTooLarge(Exception):
    """Raised from the wrapped `receive` once the body passes the limit."""


class RequestGuard:
    """ASGI middleware: body size limit and NUL-free path and query string, for the routes it wraps."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"\x00" in scope["query_string"] or b"%00" in scope["query_string"]:
            await refusal(400, _(NUL_REFUSED))(scope, receive, send)
            return
        query = utf8_urlencoded(scope["query_string"])
        if query is None:
            await refusal(400, _(QUERY_NOT_UTF8))(scope, receive, send)
            return
        if query != scope["query_string"]:
            scope = {**scope, "query_string": query}
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await refusal(413, self._too_large)(scope, receive, send)
            return
        if _media_type(scope) == FORM_TYPE.encode():
            await self._form(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await refusal(413, self._too_large)(scope, receive, send)

    async def _form(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A form body, read whole (it is within the limit) and held to UTF-8 before the page sees it."""
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                log.info("client went away while sending %s %s", scope.get("method"), scope.get("path"))
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await refusal(413, self._too_large)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        form = utf8_urlencoded(bytes(body))
        if form is None:
            await refusal(400, _(FORM_NOT_UTF8))(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
        scope = {**scope, "headers": [*headers, (b"content-length", str(len(form)).encode())]}
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()  # a disconnect, when the client leaves
            delivered = True
            return {"type": "http.request", "body": form, "more_body": False}

        await self.app(scope, replay, send)

    @property
    def _too_large(self) -> str:
        return _("请求体超过 [web] max_body_bytes = {limit} 字节").format(limit=self.limit)


def error_handlers(default_locale: str | None = None) -> dict[Any, Any]:
    """For `Starlette(exception_handlers=…)`: refusals in the page's language (the review pages' cookie, the
    browser's Accept-Language, `[app] locale`), since they are answered outside the pages' own middleware."""
    from bot.review.locale import request_locale

    def locale_of(request: Request) -> str:
        return request_locale(request.headers, default_locale)[0]

    async def http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        with using(locale_of(request)):
            return refusal(exc.status_code, headers=exc.headers)

    async def client_gone(request: Request, exc: Exception) -> Response:
        """The client hung up before its body arrived: nobody is left to answer (the 400 goes nowhere)."""
        log.info("client went away while sending %s %s", request.method, request.url.path)
        return Response(status_code=400)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        with using(locale_of(request)):
            return refusal(500)

    return {HTTPException: http_exception, ClientDisconnect: client_gone, Exception: server_error}
