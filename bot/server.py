"""`pairbot run`: the one process of the embedded default (web, workers, relay, channels, scheduler)."""

from __future__ import annotations

import logging
import signal
import sys
import threading

import uvicorn

from bot.app import App, Component
from bot.channels.base import Channel
from bot.channels.console import NAME as CONSOLE, ConsoleChannel
from bot.components import build_components
from bot.config import Settings
from bot.web import build_web

log = logging.getLogger(__name__)


def configured_channels(settings: Settings) -> list[str]:
    names = []
    if settings.telegram.token:
        names.append("telegram")
    if settings.wecom.corp_id and settings.wecom.secret:
        names.append("wecom")
    return names


def run_server(settings: Settings, console: bool | None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if console is None:
        console = not configured_channels(settings) and sys.stdin.isatty()
    channels: dict[str, Channel] = {CONSOLE: ConsoleChannel(sys.stdout)}
    app = App(settings, channels=channels)
    started: list[Component] = []
    server = uvicorn.Server(uvicorn.Config(build_web(app), host=settings.web.host, port=settings.web.port,
                                           log_level="warning"))
    # uvicorn re-raises the SIGTERM it caught once it has shut down; turning it into SystemExit
    # lets the finally block below stop the components and the workers instead of dying mid-way.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        components = build_components(app)  # before the workers: building registers the channels they send on
        app.queue.start_worker()
        app.start_relay()
        for component in components:
            component.start()
            started.append(component)
        log.info("pairbot serving http://%s:%s/healthz", settings.web.host, settings.web.port)
        if console:
            _serve_with_simulator(app, server)
        else:
            server.run()
    finally:
        for component in reversed(started):
            component.stop()
        app.close()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _serve_with_simulator(app: App, server: uvicorn.Server) -> None:
    from bot.i18n import current
    from bot.simulator import Simulator, chat

    thread = threading.Thread(target=server.run, name="pairbot-web", daemon=True)
    thread.start()
    logging.getLogger().setLevel(logging.WARNING)
    chat(Simulator(app, language=current()), sys.stdin, sys.stdout)
    server.should_exit = True
    thread.join(timeout=5)
