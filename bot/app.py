"""Wiring: one place that builds the engine, queue, channels and router from the settings."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from bot.channels.base import Channel
from bot.config import Settings, configured_channels
from bot.i18n import _, set_installation_locale
from bot.messages import Incoming
from bot.db import make_engine
from bot.inbound import Inbox
from bot.queue import DeliveryQueue, Retry
from bot.inbound_process import InboundProcess
from bot.router import Enqueue, Router
from handlers.context import HandlerSettings
from handlers.register import default_handlers
from models.base import utcnow

log = logging.getLogger(__name__)


class Component(Protocol):
    """A long-running part of `pairbot run` (a channel's poller, the scheduler): started and stopped with it."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


class Inbound(Protocol):
    """Where channels hand inbound messages: bot.inbound.Inbox, or bot.inbound_process.InboundProcess."""

    def submit(self, message: Incoming, key: str = "") -> concurrent.futures.Future[int | None]:
        """Resolved once the message is stored (durable); the channel may then answer its platform."""
        ...

    def join(self, timeout: float | None = None) -> bool: ...

    def resume(self) -> int: ...

    def ping(self) -> None: ...

    def close(self, timeout: float = 30.0) -> None: ...


class DeliveryJobs(Protocol):
    """What the App needs from jobs/ to move outbox rows; jobs.delivery.OutboxJobs implements it."""

    def send(self, delivery_id: int, held: float | None = None) -> Retry | None:
        """Send one outbox row; when to try it again (with the recipient's slot `held` for it), None when settled."""
        ...

    def expire_sending(self, older_than: timedelta) -> list[int]:
        """Mark rows left `sending` longer than `older_than` as of unknown outcome (never resent)."""
        ...

    def due_pending(self, older_than: timedelta) -> list[int]:
        """Pending rows the queue seems to have lost."""
        ...

    def describe(self) -> str:
        """One word for the start-up log (which rate limiter)."""
        ...

    def watch_new_rows(self, enqueue: Callable[[Sequence[int]], bool], stop: threading.Event) -> None:
        """Hand rows other processes commit to `enqueue` within a second (the embedded queue's hand-off)."""
        ...

    def close(self) -> None: ...


def outbox_jobs(app: App) -> DeliveryJobs:
    """The one place bot/ is wired to jobs/ for sending."""
    from jobs.delivery import OutboxJobs

    return OutboxJobs(app.engine, app.channels, app.clock, app.settings.queue)


def build_router(settings: Settings, engine: Engine, enqueue: Enqueue,
                 clock: Callable[[], datetime] = utcnow, hands_over: bool = False) -> Router:
    """The router with the handlers and their settings (the App's, and the inbox process's own, whose
    `enqueue` hands the replies to `pairbot run`'s queue: `hands_over`)."""
    from bot.channels.wecom_choices import NAME as WECOM, press_choice

    router = Router(
        engine,
        default_handlers(),
        HandlerSettings(
            zone=settings.zone,
            withdraw_minutes=settings.reports.withdraw_minutes,
            bot_username=settings.telegram.bot_username,
            review_url=settings.web.public_url + "/review",
            reply_window_hours=settings.reminders.reply_window_hours,
            mandatory=tuple(settings.reminders.mandatory),
            locale=settings.app.locale or "zh_CN",
            channels=tuple(configured_channels(settings)),
        ),
        enqueue,
        clock,
        hands_over,
    )
    # WeCom: a typed number presses a button of the last message, which is known only when it is handled.
    router.prepare[WECOM] = lambda message, now: press_choice(engine, message, now)
    return router


class App:
    def __init__(
        self,
        settings: Settings,
        channels: Mapping[str, Channel] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.clock = clock
        set_installation_locale(settings.app.locale)  # notices to people who chose no language
        self.engine = make_engine(settings.database.url)
        self.channels: dict[str, Channel] = dict(channels or {})
        self.jobs = outbox_jobs(self)
        self.queue = DeliveryQueue(settings.queue.url, self.jobs.send, settings.queue.worker_threads,
                                   queue_name=settings.queue.name)
        self.router = build_router(settings, self.engine, self.queue.enqueue, clock)
        # Channels hand their messages to the inbox: stored, then handled (bot.inbound), in this process or,
        # in `pairbot run`, in a child process (bot.inbound_process, `start_inbox_process`).
        self.inbound: Inbound = Inbox(self.router)
        self._stop = threading.Event()
        self._relay: threading.Thread | None = None
        self._broker_down = False  # the relay says so when it goes down and when it is back, not every round

    def start_inbox_process(self) -> None:
        """Store and handle inbound messages in a child process from now on (`pairbot run`, before any channel starts)."""
        inbound = InboundProcess(self.settings, self.queue.enqueue)
        inbound.start()
        self.inbound = inbound

    def relay_once(self) -> int:
        """Queue again what the broker seems to have lost; returns how many.

        Rows left `sending` by a dead worker are marked "结果未知" (never resent, see jobs.outbound).
        Pending rows are re-enqueued only when the broker has nothing waiting: while it still holds a
        backlog (a large broadcast drains at the platforms' pace) the rows are most likely in it.
        """
        queue = self.settings.queue
        self.jobs.expire_sending(timedelta(seconds=queue.sending_timeout_seconds))
        try:
            waiting = self.queue.ready()
        except Exception as exc:  # broker unreachable: nothing can be enqueued this round
            self._broker_state(exc)
            return 0
        self._broker_state(None)
        if waiting > 0:
            return 0
        ids = self.jobs.due_pending(timedelta(seconds=queue.relay_after_seconds))
        if ids and not self.queue.enqueue(ids):
            return 0
        return len(ids)

    def check_broker(self) -> bool:
        """Say at start-up, in words an admin can act on, when the broker cannot be reached; True if it can."""
        try:
            self.queue.ping()
        except Exception as exc:
            self._broker_state(exc)
            return False
        return True

    def _broker_state(self, error: Exception | None) -> None:
        where = self.queue.where
        if error is not None and not self._broker_down:
            log.warning(_("消息队列 {queue} 无法连接（{reason}）：收到的消息照常保存和处理，回复和通知留在数据库的发件箱中，"
                          "队列恢复后自动发出。请检查 [queue] url 和队列服务。").format(queue=where, reason=error))
        elif error is None and self._broker_down:
            log.warning(_("消息队列 {queue} 已恢复连接，发件箱中待发的消息将陆续发出。").format(queue=where))
        self._broker_down = error is not None

    def start_relay(self, interval: float = 2.0) -> None:
        """The relay (the safety net); on the embedded queue also the hand-off of rows other processes write."""
        if self.queue.embedded:
            self.jobs.watch_new_rows(self.queue.enqueue, self._stop)

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.relay_once()
                except Exception:  # the database may be briefly unavailable; try again next round
                    log.exception("relay round failed")

        self._relay = threading.Thread(target=loop, name="pairbot-relay", daemon=True)
        self._relay.start()

    def close(self) -> None:
        self._stop.set()
        self.inbound.close()
        self.queue.close()
        self.jobs.close()
        self.engine.dispose()
