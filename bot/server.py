"""`pairbot run`: the one process of the embedded default (web, workers, relay, channels, scheduler)."""

from __future__ import annotations

import errno
import logging
import signal
import socket
import sys
import threading

import uvicorn

from bot.app import App, Component
from bot.channels.base import Channel
from bot.i18n import N_, _
from bot.messages import channel_label
from bot.channels.console import NAME as CONSOLE, ConsoleChannel
from bot.components import build_components
from bot.config import Settings, configured_channels
from bot.logs import configure
from bot.web import build_web

log = logging.getLogger(__name__)


class StartError(Exception):
    """`pairbot run` cannot start as configured (port taken, a channel refused); the message is Chinese and
    says what to change. Raised before anything is served, so nothing half-started is left running."""


# How long a thread may hold the interpreter lock while another waits for it (Python's default: 5 ms).
# The web server's loop shares the interpreter with the channels and the delivery workers (and, in the
# inbox's child process, the storing writer with the handling one); with 1 ms each gets its turn sooner
# (bench/telegram_inbound.py, measured when the inbox ran in this process: ≈ 10 % more messages a second).
SWITCH_INTERVAL = 0.001


def run_server(settings: Settings, console: bool | None) -> None:
    configure()
    sys.setswitchinterval(SWITCH_INTERVAL)
    if console is None:
        console = not configured_channels(settings) and sys.stdin.isatty()
    listening = listen(settings.web.host, settings.web.port)  # first: a taken port stops us before anything runs
    channels: dict[str, Channel] = {CONSOLE: ConsoleChannel(sys.stdout)}
    app = App(settings, channels=channels)
    started: list[Component] = []
    server = uvicorn.Server(uvicorn.Config(build_web(app), host=settings.web.host, port=settings.web.port,
                                           log_level="warning"))
    # uvicorn re-raises the SIGTERM it caught once it has shut down; turning it into SystemExit
    # lets the finally block below stop the components and the workers instead of dying mid-way.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        try:
            app.start_inbox_process()
        except RuntimeError as exc:
            raise StartError(_("保存和处理收到消息的子进程未能启动：{reason}").format(reason=exc)) from exc
        components = build_components(app)  # before the workers: building registers the channels they send on
        app.queue.start_worker()
        app.check_broker()  # a broker that is down is said once, in Chinese; nothing waits for it
        app.start_relay()
        for component in components:
            try:
                component.start()
            except Exception as exc:
                raise StartError(_component_failed(component.name, exc)) from exc
            started.append(component)
        log.info("pairbot serving http://%s:%s/healthz", settings.web.host, settings.web.port)
        if console:
            _serve_with_simulator(app, server, listening)
        else:
            server.run(sockets=[listening])
    finally:
        for component in reversed(started):
            component.stop()
        app.close()
        listening.close()


def listen(host: str, port: int) -> socket.socket:
    """The web server's socket, bound now; StartError naming host:port and what to do when it cannot be."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise StartError(_("无法在 {address} 上提供网页服务：地址“{host}”无法解析（{reason}）。请在 config.toml 的 [web] host"
                           "（或环境变量 PAIRBOT_WEB__HOST）写本机的地址，例如 127.0.0.1 或 0.0.0.0。").format(
            address=f"{host}:{port}", host=host, reason=exc.strerror)) from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: a port in TIME_WAIT is free
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reasons = {errno.EADDRINUSE: N_("端口已被其他程序占用（也可能是另一个 pairbot run）"),
                   errno.EACCES: N_("没有权限使用该端口（1024 以下的端口需要管理员权限）"),
                   errno.EADDRNOTAVAIL: N_("本机没有这个地址")}
        why = _(reasons[exc.errno]) if exc.errno in reasons else exc.strerror or str(exc)
        advice = (_("请在 config.toml 的 [web] port（或环境变量 PAIRBOT_WEB__PORT）换一个端口、在 [web] host"
                    "（PAIRBOT_WEB__HOST）换一个地址后重新运行。") if exc.errno == errno.EADDRNOTAVAIL else
                  _("请停止占用该端口的程序，或在 config.toml 的 [web] port（或环境变量 PAIRBOT_WEB__PORT）换一个端口后重新运行。"))
        raise StartError(_("无法在 {address} 上提供网页服务：{reason}。{advice}").format(
            address=f"{host}:{port}", reason=why, advice=advice)) from None
    sock.set_inheritable(True)
    sock.listen(2048)  # from now on connections wait in the backlog until uvicorn serves them, none is refused
    return sock


def _component_failed(name: str, exc: Exception) -> str:
    section = {"telegram": "[telegram]（PAIRBOT_TELEGRAM__…）", "wecom": "[wecom]（PAIRBOT_WECOM__…）"}.get(
        name, f"[{name}]")
    return _("{channel} 无法启动：{reason}。请检查 config.toml 的 {section} 设置和网络；不使用该渠道时，清空它的设置后重新运行。").format(
        channel=channel_label(name), reason=str(exc) or type(exc).__name__, section=section)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _serve_with_simulator(app: App, server: uvicorn.Server, listening: socket.socket) -> None:
    from bot.i18n import current
    from bot.simulator import Simulator, chat

    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, name="pairbot-web", daemon=True)
    thread.start()
    logging.getLogger().setLevel(logging.WARNING)
    chat(Simulator(app, language=current()), sys.stdin, sys.stdout)
    server.should_exit = True
    thread.join(timeout=5)
