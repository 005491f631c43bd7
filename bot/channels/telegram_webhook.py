"""`POST /telegram/webhook`: Telegram posts updates here in webhook mode.

Checks, in order: the channel runs in webhook mode (else 404), the X-Telegram-Bot-Api-Secret-Token
header equals `[telegram] secret_token` (constant-time compare; else 403), the body fits
`[web] max_body_bytes` (else 413) and is a JSON object that reads as an update (else 400: also
JSON nested past the parser's depth, dates no calendar holds, ids past 64 bits). The answer comes
after the update was stored and answered in the outbox: 200, or 500 when storing failed, so
Telegram sends it again (a message seen twice is recognised and ignored).
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.app import App
from bot.http_body import read_body

log = logging.getLogger(__name__)

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class NotAnUpdate(ValueError):
    """The JSON does not read as a Telegram update; the message is the Chinese reason given back."""


class UpdateSink(Protocol):
    mode: str

    async def feed(self, data: dict[str, Any]) -> bool: ...


def webhook_route(app: App) -> Route:
    """The route; the channel is looked up per request, since `pairbot run` registers it after building the web app."""
    settings = app.settings

    async def telegram_webhook(request: Request) -> JSONResponse:
        channel: UpdateSink | None = app.channels.get("telegram")  # type: ignore[assignment]
        if channel is None or getattr(channel, "mode", None) != "webhook" or settings.telegram.secret_token is None:
            return _answer(404, "Telegram webhook 未启用（[telegram] mode 不是 webhook 或未配置 token）")
        expected = settings.telegram.secret_token.get_secret_value().encode()
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), expected):
            return _answer(403, f"{SECRET_HEADER} 与 [telegram] secret_token 不符")
        body = await read_body(request, settings.web.max_body_bytes)
        if body is None:
            return _answer(413, f"请求体超过 [web] max_body_bytes = {settings.web.max_body_bytes} 字节")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than the parser goes
            log.info("telegram webhook body is not JSON: %r", exc)
            return _answer(400, "请求体不是有效的 JSON")
        if not isinstance(data, dict):
            return _answer(400, "请求体应为一个 Telegram Update 对象")
        try:
            stored = await channel.feed(data)
        except NotAnUpdate as exc:
            return _answer(400, str(exc))
        return JSONResponse({"ok": True}) if stored else _answer(500, "处理失败，请稍后重发")

    return Route(PATH, telegram_webhook, methods=["POST"])


def _answer(status: int, reason: str) -> JSONResponse:
    if status >= 500 or status == 403:
        log.warning("telegram webhook answered %s: %s", status, reason)
    return JSONResponse({"ok": False, "error": reason}, status_code=status)
