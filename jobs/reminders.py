"""The reminder job: one tick streams what is due, writes it to the outbox in batches, and queues each batch after
its commit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot.db import unit_of_work
from models.services.reminders import Policy, chunks, iter_reminders, queue_reminders

log = logging.getLogger(__name__)

Enqueue = Callable[[Sequence[int]], object]


@dataclass(frozen=True)
class TickReport:
    at: datetime
    planned: int  # reminders due at this moment (some may have been claimed by another scheduler)
    queued: list[int] = field(default_factory=list)  # delivery ids this tick wrote


def run_tick(engine: Engine, policy: Policy, now: datetime, enqueue: Enqueue) -> TickReport:
    """Plan (read-only, streamed from one snapshot) and, batch by batch, claim and write each in its own
    transaction, enqueued once committed: memory holds one batch, whatever the due set's size."""
    planned, queued = 0, []
    with Session(engine) as reading:
        for chunk in chunks(iter_reminders(reading, now, policy)):
            planned += len(chunk)
            with unit_of_work(engine) as session:
                ids = queue_reminders(session, chunk, now)
            if ids:
                enqueue(ids)
                queued += ids
    if planned:
        log.info("reminders at %s: %d due, %d queued", now.isoformat(timespec="minutes"), planned, len(queued))
    return TickReport(now, planned, queued)
