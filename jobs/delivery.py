"""jobs' side of `bot.app.DeliveryJobs`: sending outbox rows and finding lost ones, for the App.

An adapter only: the work is in jobs.outbound (one send, the relay's queries) and jobs.ratelimit
(the limiter shared by every worker). `bot.app` reaches jobs through this class and nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.channels.base import Channel
from bot.config import QueueSettings
from bot.queue import Retry
from jobs.outbound import due_pending, expire_sending, send_delivery
from jobs.ratelimit import build_limiter


class OutboxJobs:
    """Sends through `channels` (the App's own dict: channels registered later are seen) under shared rate limits."""

    def __init__(self, engine: Engine, channels: Mapping[str, Channel], clock: Callable[[], datetime],
                 queue: QueueSettings) -> None:
        self.engine = engine
        self.channels = channels
        self.clock = clock
        self.limiter = build_limiter(queue.url, queue.ratelimit_url, queue.name)

    def send(self, delivery_id: int, held: float | None = None) -> Retry | None:
        outcome = send_delivery(self.engine, self.channels, delivery_id, self.clock, self.limiter, held=held)
        return None if outcome.retry_in is None else Retry(outcome.retry_in, outcome.held)

    def expire_sending(self, older_than: timedelta) -> list[int]:
        return expire_sending(self.engine, older_than, self.clock)

    def due_pending(self, older_than: timedelta) -> list[int]:
        return due_pending(self.engine, older_than, self.clock)

    def describe(self) -> str:
        return type(self.limiter).__name__

    def watch_new_rows(self, enqueue: Callable[[Sequence[int]], bool], stop: threading.Event) -> None:
        from jobs.handoff import Handoff

        Handoff(self.engine, enqueue).start(stop)

    def close(self) -> None:
        self.limiter.close()
