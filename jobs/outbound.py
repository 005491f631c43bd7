"""Sending one Delivery row: wait for a rate-limit slot, claim it, send it, record the outcome.

Idempotent per delivery: only a `pending` row that is due can be claimed, and claiming is a
guarded UPDATE, so two workers given the same id send it once.

Order of a send, and why:
1. the row is read; a row that is not pending, or not due yet, is left alone;
2. a slot is reserved under the platform's rate limits (jobs.ratelimit) and waited for before the
   claim, so a worker that dies while waiting leaves a row that is still `pending` and simply goes
   out later; a wait longer than `max_wait` puts the row back with `next_attempt_at` (no attempt
   is used); then the request is admitted into the limits' sliding windows, where it counts until
   its answer (a full window, which late requests can cause, is waited out the same way);
3. the claim (`pending` → `sending`, attempts + 1, claimed_at) is committed, CLAIM_LEAD_SECONDS
   before the slot so that the database round trip does not make the request late;
4. the platform is called, and the outcome recorded (`sent` with the platform's message id,
   `pending` again with a backoff, `blocked`, or `failed` after MAX_ATTEMPTS).

A row still `sending` long after its claim belongs to a worker that died between 3 and 4: the
platform may or may not have the message, and no platform offers a way to ask. `expire_sending`
marks it `failed` with UNKNOWN_OUTCOME instead of sending it again: a message the platform
accepted is never sent twice (at most once for that row), and admins see which rows to check.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, or_, update
from sqlmodel import col, select

from bot.channels.base import Channel, SendError
from bot.db import unit_of_work
from bot.messages import Button, Outgoing
from jobs.ratelimit import RateLimiter, Rule, Unlimited, per_recipient, rules_for
from models.base import utcnow
from models.messaging import Delivery, DeliveryStatus
from models.registry import ChannelIdentity

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = (0.25, 1, 2, 5, 15, 60, 120, 300)  # after a 5xx, a timeout, a network error
MAX_WAIT_SECONDS = 1.0  # a rate-limit wait up to this long is slept in the worker; longer ones are rescheduled
ADMIT_POLL_SECONDS = 0.01  # how often a send held back by a full window looks again
CLAIM_LEAD_SECONDS = 0.02  # claim this long before the slot, so the database round trip does not delay the send
UNLIMITED = Unlimited()
UNKNOWN_OUTCOME = "结果未知：发送时工作进程中断，平台可能已收到；为避免重复，不再自动重发，请核实"


@dataclass(frozen=True)
class Outcome:
    status: str
    retry_in: float | None = None  # seconds until the next attempt, when it should be retried


def send_delivery(
    engine: Engine,
    channels: Mapping[str, Channel],
    delivery_id: int,
    clock: Callable[[], datetime] = utcnow,
    limiter: RateLimiter = UNLIMITED,
    max_wait: float = MAX_WAIT_SECONDS,
) -> Outcome:
    now = clock()
    with unit_of_work(engine) as session:
        delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.pending:
        return Outcome("skipped")
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        return Outcome("skipped", retry_in=(delivery.next_attempt_at - now).total_seconds())
    channel = channels.get(delivery.channel)
    if channel is None:
        if not _claim(engine, delivery_id, clock()):
            return Outcome("skipped")
        return _finish(engine, delivery_id, DeliveryStatus.failed, f"channel {delivery.channel} is not configured")
    rules = rules_for(delivery.channel, delivery.chat_id, group=delivery.group_id is not None)
    slot = limiter.reserve(rules, max_wait)
    if not slot.granted:
        _postpone(engine, delivery_id, now + timedelta(seconds=slot.wait))
        return Outcome("throttled", retry_in=slot.wait)
    due = time.monotonic() + slot.wait
    if slot.wait > CLAIM_LEAD_SECONDS:
        time.sleep(slot.wait - CLAIM_LEAD_SECONDS)
    token = _admit(limiter, rules, str(delivery_id), max_wait)
    if token is None:  # the windows are full (requests answered late): back to pending, no attempt used
        limiter.cancel(rules)
        _postpone(engine, delivery_id, clock() + timedelta(seconds=max_wait))
        return Outcome("throttled", retry_in=max_wait)
    if not _claim(engine, delivery_id, clock()):
        limiter.finish(rules, token)  # another worker has it, and perhaps the same admission: it counts until now
        limiter.cancel(rules)
        return Outcome("skipped")
    if due > time.monotonic():
        time.sleep(due - time.monotonic())
    delivery.attempts += 1
    try:
        platform_id = channel.send(_outgoing(delivery))
    except Exception as exc:
        error = exc if isinstance(exc, SendError) else SendError(f"{type(exc).__name__}: {exc}")
        if not isinstance(exc, SendError):  # a bug or a network fault: retried like a 5xx
            log.exception("sending delivery %s failed", delivery_id)
        _settle(limiter, rules, error, token)
        return _failed_attempt(engine, delivery, error, clock())
    _answered(limiter, rules, token)
    # last_error is kept: an admin can still see why earlier attempts failed.
    return _finish(engine, delivery_id, DeliveryStatus.sent, None, platform_message_id=platform_id, sent_at=clock())


def _admit(limiter: RateLimiter, rules: list[Rule], token: str, max_wait: float) -> str | None:
    """Wait until every rule's sliding window has room (normally at once); None if not within `max_wait`."""
    deadline = time.monotonic() + max_wait
    while not (admission := limiter.admit(rules, token)).granted:
        if time.monotonic() >= deadline:
            return None
        # the reported wait assumes requests in flight take their longest: look again soon instead
        time.sleep(min(admission.wait, ADMIT_POLL_SECONDS, max(deadline - time.monotonic(), 0.0)))
    return admission.token


def _answered(limiter: RateLimiter, rules: list[Rule], token: str) -> None:
    """The request is over: it counts in the windows until now (whatever the answer, the platform may have counted it)."""
    try:
        limiter.finish(rules, token)
    except Exception as exc:  # it stops counting after IN_FLIGHT_SECONDS anyway
        log.warning("rate limiter unavailable: %s", exc)


def _settle(limiter: RateLimiter, rules: list[Rule], error: SendError, token: str) -> None:
    """Tell the limiter what the platform did; a limiter that is unreachable must not keep the row `sending`."""
    _answered(limiter, rules, token)
    try:
        if error.retry_after is not None:
            limiter.hold(per_recipient(rules), error.retry_after)
        else:
            limiter.cancel(rules)  # the platform did not count it: the slot goes to the next message
    except Exception as exc:
        log.warning("rate limiter unavailable: %s", exc)


def _claim(engine: Engine, delivery_id: int, now: datetime) -> bool:
    with unit_of_work(engine) as session:
        claimed = session.execute(
            update(Delivery)
            .where(col(Delivery.id) == delivery_id, col(Delivery.status) == DeliveryStatus.pending,
                   or_(col(Delivery.next_attempt_at).is_(None), col(Delivery.next_attempt_at) <= now))
            .values(status=DeliveryStatus.sending, attempts=Delivery.attempts + 1, claimed_at=now)
        )
        return claimed.rowcount == 1  # type: ignore[attr-defined]


def _postpone(engine: Engine, delivery_id: int, when: datetime) -> None:
    """Not before `when` (a rate limit); recorded so the relay does not treat the row as lost meanwhile."""
    with unit_of_work(engine) as session:
        session.execute(
            update(Delivery).where(col(Delivery.id) == delivery_id, col(Delivery.status) == DeliveryStatus.pending)
            .values(next_attempt_at=when)
        )


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
    """Pending rows the queue seems to have lost: never picked up `older_than` after they were written, or
    still waiting `older_than` after their retry time (a retry normally arrives as a delayed broker message)."""
    cutoff = clock() - older_than
    with unit_of_work(engine) as session:
        rows = session.exec(
            select(Delivery.id).where(
                col(Delivery.status) == DeliveryStatus.pending,
                col(Delivery.created_at) <= cutoff,
                or_(col(Delivery.next_attempt_at).is_(None), col(Delivery.next_attempt_at) <= cutoff),
            ).order_by(col(Delivery.id)).limit(limit)
        ).all()
    return [row for row in rows if row is not None]


def expire_sending(engine: Engine, older_than: timedelta, clock: Callable[[], datetime] = utcnow) -> list[int]:
    """Rows left `sending` by a worker that died mid-send: marked failed with UNKNOWN_OUTCOME, never resent."""
    cutoff = clock() - older_than
    stuck = and_(col(Delivery.status) == DeliveryStatus.sending,
                 or_(col(Delivery.claimed_at) <= cutoff,
                     col(Delivery.claimed_at).is_(None) & (col(Delivery.created_at) <= cutoff)))
    with unit_of_work(engine) as session:
        ids = [row for row in session.exec(select(Delivery.id).where(stuck).order_by(col(Delivery.id))).all()
               if row is not None]
        if ids:
            session.execute(
                update(Delivery).where(col(Delivery.id).in_(ids), stuck)
                .values(status=DeliveryStatus.failed, last_error=UNKNOWN_OUTCOME)
            )
    if ids:
        log.warning("deliveries %s were left sending by a stopped worker: marked failed (结果未知), not resent", ids)
    return ids
