"""The reminder job: one tick streams what is due, writes it to the outbox in batches, and queues each batch after
its commit."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot.db import unit_of_work
from models.services.reminders import CLAIM_CHUNK, Due, Policy, chunks, iter_reminders, queue_reminders

log = logging.getLogger(__name__)

Enqueue = Callable[[Sequence[int]], object]
WRITERS = 2  # batches written at once on PostgreSQL


@dataclass(frozen=True)
class TickReport:
    at: datetime
    planned: int  # reminders due at this moment (some may have been claimed by another scheduler)
    queued: list[int] = field(default_factory=list)  # delivery ids this tick wrote


def run_tick(engine: Engine, policy: Policy, now: datetime, enqueue: Enqueue, batch: int = CLAIM_CHUNK) -> TickReport:
    """Plan (read-only, streamed) and, batch by batch, claim and write each in its own transaction, enqueued once
    committed: memory holds a few batches, whatever the due set's size.

    Batches are written beside the planning, in writer threads: on PostgreSQL `WRITERS` at once, each on its own
    connection, so the server's cores share the writing while the next batch is planned; on SQLite one (it has a
    single writer), which still overlaps writing with planning. Ids are enqueued from this thread, in batch order."""
    planned, queued = 0, []
    writers = WRITERS if engine.dialect.name == "postgresql" else 1

    def write(chunk: list[Due]) -> list[int]:
        with unit_of_work(engine) as session:
            return queue_reminders(session, chunk, now)

    def collect(written: Future[list[int]]) -> None:
        ids = written.result()
        if ids:
            enqueue(ids)
            queued.extend(ids)

    with Session(engine) as reading, ThreadPoolExecutor(writers, thread_name_prefix="reminders") as pool:
        pending: deque[Future[list[int]]] = deque()
        try:
            for chunk in chunks(iter_reminders(reading, now, policy), batch):
                planned += len(chunk)
                if len(pending) >= writers:
                    collect(pending.popleft())
                pending.append(pool.submit(write, chunk))
            while pending:
                collect(pending.popleft())
        finally:
            for waiting in pending:  # after a failure: batches not started are dropped, the next tick plans them
                waiting.cancel()
    if planned:
        log.info("reminders at %s: %d due, %d queued", now.isoformat(timespec="minutes"), planned, len(queued))
    return TickReport(now, planned, queued)
