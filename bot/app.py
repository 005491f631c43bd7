"""Wiring: one place that builds the engine, queue, channels and router from the settings."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Protocol
from datetime import datetime, timedelta

from bot.channels.base import Channel
from bot.config import Settings
from bot.db import make_engine
from bot.queue import DeliveryQueue
from bot.router import Router
from handlers.context import HandlerSettings
from handlers.register import default_handlers
from jobs.outbound import due_pending, send_delivery
from models.base import utcnow

log = logging.getLogger(__name__)


class Component(Protocol):
    """A long-running part of `pairbot run` (a channel's poller, the scheduler): started and stopped with it."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


class App:
    def __init__(
        self,
        settings: Settings,
        channels: Mapping[str, Channel] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.engine = make_engine(settings.database.url)
        self.channels: dict[str, Channel] = dict(channels or {})
        self.queue = DeliveryQueue(settings.queue.url, self._send, settings.queue.worker_threads)
        self.router = Router(
            self.engine,
            default_handlers(),
            HandlerSettings(
                zone=settings.zone,
                withdraw_minutes=settings.reports.withdraw_minutes,
                bot_username=settings.telegram.bot_username,
            ),
            self.queue.enqueue,
            clock,
        )
        self._stop = threading.Event()
        self._relay: threading.Thread | None = None

    def _send(self, delivery_id: int) -> float | None:
        return send_delivery(self.engine, self.channels, delivery_id, self.clock).retry_in

    def relay_once(self) -> int:
        """Queue again what is pending too long or due for a retry; returns how many."""
        ids = due_pending(self.engine, timedelta(seconds=self.settings.queue.relay_after_seconds), self.clock)
        if ids:
            self.queue.enqueue(ids)
        return len(ids)

    def start_relay(self, interval: float = 2.0) -> None:
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
        self.queue.close()
        self.engine.dispose()
