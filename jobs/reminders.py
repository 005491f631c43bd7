"""The reminder job: one tick plans what is due, writes it to the outbox, and queues it after commit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot.db import unit_of_work
from models.services.reminders import Policy, chunks, plan_reminders, queue_reminders

log = logging.getLogger(__name__)

Enqueue = Callable[[Sequence[int]], object]


@dataclass(frozen=True)
class TickReport:
    at: datetime
    planned: int  # reminders due at this moment (some may have been claimed by another scheduler)
    queued: list[int] = field(default_factory=list)  # delivery ids this tick wrote


def run_tick(engine: Engine, policy: Policy, now: datetime, enqueue: Enqueue) -> TickReport:
    """Plan (read-only), then claim and write in chunks, each its own transaction, enqueued once committed."""
    with Session(engine) as session:
        dues = plan_reminders(session, now, policy)
    queued: list[int] = []
    for chunk in chunks(dues):
        with unit_of_work(engine) as session:
            ids = queue_reminders(session, chunk, now)
        if ids:
            enqueue(ids)
            queued += ids
    if dues:
        log.info("reminders at %s: %d due, %d queued", now.isoformat(timespec="minutes"), len(dues), len(queued))
    return TickReport(now, len(dues), queued)
