"""`pairbot worker`: delivery workers for a real broker (Redis or RabbitMQ), on any number of machines.

Each worker process builds its own App from the settings, with the real channels (Telegram,
WeCom), consumes delivery ids from the broker and sends them under the shared rate limits. One
process of each `pairbot worker` also runs the relay (lost messages, rows left `sending`).
`--processes N` starts N such processes (spawned, not forked: dramatiq and the channels hold
threads and sockets) and stops them together.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from types import FrameType

from bot.i18n import _
from bot.app import App
from bot.config import Settings
from bot.logs import configure

log = logging.getLogger(__name__)

CHILD_STOP_SECONDS = 40


class WorkerError(Exception):
    """The worker cannot start; the message says why in Chinese."""


def register_channels(app: App) -> None:
    """The channels a worker sends on, built by the channels' own factories (the same ones `pairbot run` uses)."""
    from bot.channels.telegram import register_telegram
    from bot.channels.wecom import wecom_channels

    register_telegram(app)
    app.channels.update(wecom_channels(app.settings.wecom, app.engine))  # robots in the database too


def check(settings: Settings, processes: int) -> list[str]:
    """Refuse a configuration that cannot work; return warnings for one that works poorly."""
    if settings.queue.url.startswith("memory://"):
        raise WorkerError(_("[queue] url 为 memory://：投递在 pairbot run 进程内完成，无需 pairbot worker。"
                            "多机部署请设为 redis://HOST:6379/0 或 amqp://USER:PASS@HOST:5672/"))
    wecom = settings.wecom
    if not (settings.telegram.token or (wecom.corp_id and wecom.secret) or wecom.webhooks):
        raise WorkerError(_("没有配置任何渠道：请设置 [telegram] token 或 [wecom] corp_id / secret / webhooks"))
    warnings = []
    if settings.queue.url.startswith(("amqp://", "amqps://")) and not settings.queue.ratelimit_url and processes > 1:
        warnings.append(_("[queue] ratelimit_url 未设置：每个进程各自限速，多进程合计可能超过平台限额。请设为 redis://…"))
    return warnings


def run_worker(settings: Settings, processes: int = 1, threads: int | None = None, relay: bool = True) -> None:
    configure(process_name=True)
    for warning in check(settings, processes):
        log.warning(warning)
    if threads is not None:
        settings = settings.model_copy(update={"queue": settings.queue.model_copy(update={"worker_threads": threads})})
    if processes <= 1:
        serve(settings, relay)
        return
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=serve, args=(settings, relay and n == 0), name=f"worker-{n + 1}")
                for n in range(processes)]
    for child in children:
        child.start()
    stop = _stop_event()
    while not stop.wait(0.5) and all(child.is_alive() for child in children):
        pass
    for child in children:
        if child.is_alive():
            child.terminate()  # SIGTERM: each child finishes the sends in progress
    for child in children:
        child.join(timeout=CHILD_STOP_SECONDS)
        if child.is_alive():  # stuck past its own bounded shutdown: do not hang the whole worker
            log.warning("%s did not stop within %d s; killing it", child.name, CHILD_STOP_SECONDS)
            child.kill()
            child.join()
    failed = [child.name for child in children if child.exitcode not in (0, -signal.SIGTERM)]
    if failed and not stop.is_set():
        raise WorkerError(_("工作进程 {names} 意外退出，已停止全部进程").format(names=", ".join(failed)))


def serve(settings: Settings, relay: bool = True) -> None:
    """One worker process: until SIGTERM or SIGINT (or, for one of `--processes N`, its parent's end), then finish
    the sends in progress and stop."""
    configure(process_name=True)
    stop = _stop_event()
    _stop_with_parent(stop)
    app = App(settings)
    try:
        register_channels(app)
        if not app.channels:
            raise WorkerError(_("没有配置任何渠道：请设置 [telegram] token 或 [wecom] corp_id / secret / webhooks"))
        app.queue.start_worker()
        app.check_broker()  # a broker that is down is said once, in Chinese; nothing waits for it
        if relay:
            app.start_relay()
        log.info("pairbot worker: queue %r on %s, %d threads, channels %s, rate limits %s",
                 settings.queue.name, app.queue.where, settings.queue.worker_threads,
                 ", ".join(sorted(app.channels)), app.jobs.describe())
        stop.wait()
    finally:
        app.close()
        for channel in app.channels.values():
            for closer in ("stop", "close"):
                method = getattr(channel, closer, None)
                if method is not None:
                    method()
                    break


def _stop_with_parent(stop: threading.Event) -> None:
    """A child of `pairbot worker --processes N` stops when its parent is gone, even killed -9 (which cannot
    stop it): otherwise it would go on sending beside the worker started in its place, with nothing to stop it."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns when the parent's end of the pipe closes, however it ended
        if not stop.is_set():
            log.warning("the parent worker process is gone; stopping")
            stop.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _stop_event() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, _: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop
