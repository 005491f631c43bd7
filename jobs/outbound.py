"""Sending one Delivery row: claim it, send it through its channel, record the outcome.

Idempotent per delivery: only a `pending` row that is due can be claimed, and claiming is a
guarded UPDATE, so two workers given the same id send it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlmodel import col, select

from bot.channels.base import Channel, SendError
from bot.db import unit_of_work
from bot.messages import Button, Outgoing
from models.base import utcnow
from models.messaging import Delivery, DeliveryStatus
from models.registry import ChannelIdentity

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = (1, 2, 5, 15, 30, 60, 120, 300)


@dataclass(frozen=True)
class Outcome:
    status: str
    retry_in: float | None = None  # seconds until the next attempt, when it should be retried


def send_delivery(
    engine: Engine, channels: Mapping[str, Channel], delivery_id: int, clock: Callable[[], datetime] = utcnow
) -> Outcome:
    now = clock()
    with unit_of_work(engine) as session:
        claimed = session.execute(
            update(Delivery)
            .where(col(Delivery.id) == delivery_id, col(Delivery.status) == DeliveryStatus.pending,
                   or_(col(Delivery.next_attempt_at).is_(None), col(Delivery.next_attempt_at) <= now))
            .values(status=DeliveryStatus.sending, attempts=Delivery.attempts + 1)
        )
        if claimed.rowcount != 1:
            return Outcome("skipped")
        delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    channel = channels.get(delivery.channel)
    if channel is None:
        return _finish(engine, delivery_id, DeliveryStatus.failed, f"channel {delivery.channel} is not configured")
    try:
        platform_id = channel.send(_outgoing(delivery))
    except SendError as exc:
        return _failed_attempt(engine, delivery, exc, now)
    except Exception as exc:  # a bug or a network fault: retry like a 5xx
        log.exception("sending delivery %s failed", delivery_id)
        return _failed_attempt(engine, delivery, SendError(f"{type(exc).__name__}: {exc}"), now)
    # last_error is kept: an admin can still see why earlier attempts failed.
    return _finish(engine, delivery_id, DeliveryStatus.sent, None, platform_message_id=platform_id, sent_at=clock())


def _outgoing(delivery: Delivery) -> Outgoing:
    buttons = tuple(Button(label, data) for label, data in delivery.buttons)
    return Outgoing(delivery.channel, delivery.chat_id, delivery.text, buttons, delivery.reply_to)


def _failed_attempt(engine: Engine, delivery: Delivery, error: SendError, now: datetime) -> Outcome:
    if error.permanent:
        _mark_unreachable(engine, delivery, now)
        return _finish(engine, delivery.id, DeliveryStatus.blocked, str(error))  # type: ignore[arg-type]
    if delivery.attempts >= MAX_ATTEMPTS:
        return _finish(engine, delivery.id, DeliveryStatus.failed, str(error))  # type: ignore[arg-type]
    wait = error.retry_after if error.retry_after is not None else BACKOFF_SECONDS[delivery.attempts - 1]
    with unit_of_work(engine) as session:
        session.execute(
            update(Delivery).where(col(Delivery.id) == delivery.id)
            .values(status=DeliveryStatus.pending, last_error=str(error)[:1000],
                    next_attempt_at=now + timedelta(seconds=wait))
        )
    return Outcome(DeliveryStatus.pending, retry_in=wait)


def _finish(engine: Engine, delivery_id: int, status: str, error: str | None, **values: object) -> Outcome:
    if error is not None:
        values["last_error"] = error[:1000]
    with unit_of_work(engine) as session:
        session.execute(update(Delivery).where(col(Delivery.id) == delivery_id).values(status=status, **values))
    return Outcome(status)


def _mark_unreachable(engine: Engine, delivery: Delivery, now: datetime) -> None:
    with unit_of_work(engine) as session:
        session.execute(
            update(ChannelIdentity)
            .where(col(ChannelIdentity.channel) == delivery.channel,
                   col(ChannelIdentity.external_id) == delivery.chat_id,
                   col(ChannelIdentity.unreachable_since).is_(None))
            .values(unreachable_since=now)
        )


def due_pending(engine: Engine, older_than: timedelta, clock: Callable[[], datetime] = utcnow,
                limit: int = 1000) -> list[int]:
    """Pending rows nobody has picked up for a while, or whose retry time has come: the relay re-enqueues them."""
    now = clock()
    with unit_of_work(engine) as session:
        rows = session.exec(
            select(Delivery.id).where(
                col(Delivery.status) == DeliveryStatus.pending,
                or_(
                    (col(Delivery.next_attempt_at).is_(None)) & (col(Delivery.created_at) <= now - older_than),
                    col(Delivery.next_attempt_at) <= now,
                ),
            ).order_by(col(Delivery.id)).limit(limit)
        ).all()
    return [row for row in rows if row is not None]
