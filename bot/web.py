"""The ASGI app `pairbot run` serves: health now; channel callbacks, metrics and review pages join it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from bot.app import App
from bot.channels.telegram_webhook import webhook_route
from bot.db import ping
from bot.review import review_routes
from bot.web_guard import error_handlers

if TYPE_CHECKING:
    from bot.channels.wecom_callback import WecomCallback

log = logging.getLogger(__name__)


def build_web(app: App) -> Starlette:
    async def healthz(_: Request) -> JSONResponse:
        checks: dict[str, str] = {}
        for name, probe in (("database", lambda: ping(app.engine)), ("queue", app.queue.ping),
                            ("inbox", app.inbound.ping)):
            try:
                await run_in_threadpool(probe)
                checks[name] = "ok"
            except Exception as exc:
                checks[name] = f"error: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        healthy = all(value == "ok" for value in checks.values())
        return JSONResponse({"status": "ok" if healthy else "error", **checks}, status_code=200 if healthy else 503)

    async def metrics(_: Request) -> PlainTextResponse:
        from bot.metrics import CONTENT_TYPE, render

        return PlainTextResponse(await run_in_threadpool(render, app), media_type=CONTENT_TYPE)

    routes = [Route("/healthz", healthz), Route("/metrics", metrics), webhook_route(app)]
    routes += review_routes(app)
    wecom = wecom_callback(app)
    if wecom is not None:
        routes += wecom.routes()

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:  # the messages stored but not handled before the last stop
            await run_in_threadpool(app.inbound.resume)
        except Exception:  # the database is unreachable: /healthz says so; they are handled at the next start
            log.exception("messages stored before the last stop could not be resumed")
        yield
        await run_in_threadpool(app.inbound.join, 30)  # handle the messages already accepted

    web = Starlette(routes=routes, lifespan=lifespan, exception_handlers=error_handlers(app.settings.app.locale))
    web.state.wecom = wecom
    return web


def wecom_callback(app: App) -> WecomCallback | None:
    """`/wecom/callback` when the corp id, callback token and EncodingAESKey are configured."""
    from bot.channels.wecom_callback import WecomCallback, callback_configured

    return WecomCallback(app) if callback_configured(app.settings) else None
