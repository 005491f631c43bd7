"""The ASGI app `pairbot run` serves: health now; channel callbacks, metrics and review pages join it."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.app import App
from bot.db import ping


def build_web(app: App) -> Starlette:
    async def healthz(_: Request) -> JSONResponse:
        checks: dict[str, str] = {}
        for name, probe in (("database", lambda: ping(app.engine)), ("queue", app.queue.ping)):
            try:
                await run_in_threadpool(probe)
                checks[name] = "ok"
            except Exception as exc:
                checks[name] = f"error: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        healthy = all(value == "ok" for value in checks.values())
        return JSONResponse({"status": "ok" if healthy else "error", **checks}, status_code=200 if healthy else 503)

    return Starlette(routes=[Route("/healthz", healthz)])
