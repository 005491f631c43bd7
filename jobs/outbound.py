"""Sending one Delivery row: wait for a rate-limit slot, claim it, send it, record the outcome.

A queue message stands for "one message to this row's chat": the claim takes the chat's oldest
pending row that is due (this one, or one written before it), so a chat's messages go out in the
order they were written whichever worker holds the chat's slot. Idempotent: only a `pending` row
that is due can be claimed, and claiming is a guarded UPDATE, so two workers never send one row
twice; a message whose chat has nothing left to send is skipped.

Order of a send, and why:
1. the row is read; if it is no longer pending and its chat has nothing else due, or it is not due
   yet, it is left alone;
2. a slot is reserved under the platform's rate limits (jobs.ratelimit) and waited for before the
   claim, so a worker that dies while waiting leaves rows that are still `pending` and simply go
   out later. The recipient's slot comes first: one more than INLINE_WAIT_SECONDS away (a chat
   that was just sent to) stays reserved while the message waits in the broker (`held`), not in
   a worker thread, so the workers keep sending to other chats (should the relay enqueue such a
   row again meanwhile, the copy sends the chat's next row, or gives its slot back). The
   bot's overall slot is taken when the recipient's comes: reserved together, a message waiting
   its chat's second would hold the whole bot's budget back. Then the request is admitted into
   the limits' sliding windows, where it counts until its answer and a period after (a full
   window, which late requests can cause, is waited out the same way, in the broker when long);
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
from functools import cache
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, bindparam, literal_column, or_, update
from sqlmodel import Session, col, select

from bot.channels.base import Channel, SendError
from bot.db import unit_of_work
from bot.messages import Button, Outgoing
from jobs.ratelimit import RateLimiter, Reservation, Rule, Unlimited, per_recipient, rules_for
from models.base import new_row, utcnow
from models.messaging import Delivery, DeliveryStatus
from models.registry import ChannelIdentity

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = (0.25, 1, 2, 5, 15, 60, 120, 300)  # after a 5xx, a timeout, a network error
MAX_WAIT_SECONDS = 1.0  # the overall slot: a wait up to this long is slept in the worker; longer ones are rescheduled
INLINE_WAIT_SECONDS = 0.1  # the recipient's slot: a wait up to this long is slept in the worker, a longer one in the broker
MAX_HOLD_SECONDS = 60.0  # the recipient's slot is reserved at most this far ahead; a later one is asked for again then
ADMIT_POLL_SECONDS = 0.01  # how often a send held back by a full window looks again
CLAIM_LEAD_SECONDS = 0.02  # claim this long before the slot, so the database round trip does not delay the send
UNLIMITED = Unlimited()
UNKNOWN_OUTCOME = "结果未知：发送时工作进程中断，平台可能已收到；为避免重复，不再自动重发，请核实"


@dataclass(frozen=True)
class Outcome:
    status: str
    retry_in: float | None = None  # seconds until the next attempt, when it should be retried
    held: float | None = None  # the recipient's slot reserved for that attempt (time.time()), to be handed back


def send_delivery(
    engine: Engine,
    channels: Mapping[str, Channel],
    delivery_id: int,
    clock: Callable[[], datetime] = utcnow,
    limiter: RateLimiter = UNLIMITED,
    max_wait: float = MAX_WAIT_SECONDS,
    held: float | None = None,
) -> Outcome:
    """Send the row if it is due; `held` is the recipient's slot an earlier call reserved for it (its Outcome.held)."""
    now = clock()
    with unit_of_work(engine) as session:
        found = session.execute(_statements()["read"], {"delivery_id": delivery_id}).first()
        if found is None:
            return Outcome("skipped")
        delivery = new_row(Delivery, **found._mapping)
        if delivery.status != DeliveryStatus.pending and _oldest_due(session, delivery, now) is None:
            # Sent in its turn (by whichever message held its chat's slot), and nothing left for the chat: a
            # slot this message held is given back, so the chat's next message does not wait behind it.
            if held is not None:
                limiter.cancel(per_recipient(rules_for(delivery.channel, delivery.chat_id,
                                                       group=delivery.group_id is not None)))
            return Outcome("skipped")
    if held is None and delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        return Outcome("skipped", retry_in=(delivery.next_attempt_at - now).total_seconds())
    channel = channels.get(delivery.channel)
    if channel is None:
        if (claimed := _claim(engine, delivery, clock())) is None:
            return Outcome("skipped")
        return _owed(_finish(engine, claimed.id, DeliveryStatus.failed,  # type: ignore[arg-type]
                             f"channel {delivery.channel} is not configured"), claimed, delivery_id)
    rules = rules_for(delivery.channel, delivery.chat_id, group=delivery.group_id is not None)
    own = per_recipient(rules)
    overall = [rule for rule in rules if rule not in own]
    if held is None:
        slot = limiter.reserve(own, MAX_HOLD_SECONDS)
        if not slot.granted:
            _postpone(engine, delivery_id, now + timedelta(seconds=slot.wait))
            return Outcome("throttled", retry_in=slot.wait)
        held = time.time() + slot.wait
    early = held - time.time()
    if early > INLINE_WAIT_SECONDS:  # the chat's slot is ours, later: wait for it in the broker, not in a thread
        return Outcome("waiting", retry_in=early, held=held)
    if early > 0:
        time.sleep(early)
    opened = limiter.admit(own, str(delivery_id))  # the chat's last message answered a period ago?
    if not opened.granted and opened.wait > INLINE_WAIT_SECONDS:  # not yet: keep the slot, wait in the broker
        wait = min(opened.wait, max_wait)  # one still unanswered counts as if answered only at its deadline
        return Outcome("waiting", retry_in=wait, held=time.time() + wait)
    shared = limiter.reserve(overall, max_wait) if overall else Reservation(True, 0.0)
    if not shared.granted:  # nothing sent: the chat's admission and slot are given back whole
        limiter.withdraw(own, str(delivery_id))
        limiter.cancel(own)
        _postpone(engine, delivery_id, clock() + timedelta(seconds=shared.wait))
        return Outcome("throttled", retry_in=shared.wait)
    due = time.monotonic() + shared.wait
    if shared.wait > CLAIM_LEAD_SECONDS:
        time.sleep(shared.wait - CLAIM_LEAD_SECONDS)
    token = _admit(limiter, rules, str(delivery_id), max_wait)
    if token is None:  # the windows are full (requests answered late): back to pending, no attempt used
        limiter.cancel(rules)
        _postpone(engine, delivery_id, clock() + timedelta(seconds=max_wait))
        return Outcome("throttled", retry_in=max_wait)
    claimed = _claim(engine, delivery, clock())
    if claimed is None:
        limiter.finish(rules, token)  # another worker has it, and perhaps the same admission: it counts until now
        limiter.cancel(rules)
        return Outcome("skipped")
    time.sleep(max(0.0, due - time.monotonic()))  # read once: a second read may be past `due` (a negative sleep raises)
    try:
        platform_id = channel.send(_outgoing(claimed))
    except Exception as exc:
        error = exc if isinstance(exc, SendError) else SendError(f"{type(exc).__name__}: {exc}")
        if not isinstance(exc, SendError):  # a bug or a network fault: retried like a 5xx
            log.exception("sending delivery %s failed", claimed.id)
        _settle(limiter, rules, error, token)
        return _owed(_failed_attempt(engine, claimed, error, clock()), claimed, delivery_id)
    _answered(limiter, rules, token)
    # last_error is kept: an admin can still see why earlier attempts failed.
    return _owed(_finish(engine, claimed.id, DeliveryStatus.sent, None,  # type: ignore[arg-type]
                         platform_message_id=platform_id, sent_at=clock()), claimed, delivery_id)


def _owed(outcome: Outcome, claimed: Delivery, delivery_id: int) -> Outcome:
    """A message that took an older row of its chat (one whose own message was lost, or is still on its way)
    still owes its own row: it goes round again, and is skipped then if another message sent the row."""
    if claimed.id != delivery_id and outcome.retry_in is None:
        return Outcome(outcome.status, retry_in=0.0)
    return outcome


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


def _claim(engine: Engine, delivery: Delivery, now: datetime) -> Delivery | None:
    """Claim the oldest due pending row of the delivery's chat (itself, or one written before it), as it is now.

    A queue message stands for one message to its chat, not for its own row: whichever worker holds the
    chat's rate-limit slot sends the chat's messages in the order they were written. None when no row of
    the chat is left to send (other workers sent them, this row included). One statement finds and claims
    the row; when another worker claimed it first, the chat's next due row is tried."""
    chat = {"the_channel": delivery.channel, "the_chat": delivery.chat_id, "now": now}
    with unit_of_work(engine) as session:
        while True:
            row = session.execute(_statements()["claim"], chat).first()
            if row is not None:
                return new_row(Delivery, **row._mapping)
            if _oldest_due(session, delivery, now) is None:
                return None


def _oldest_due(session: Session, delivery: Delivery, now: datetime) -> int | None:
    """The oldest pending row of the delivery's chat that is due."""
    return session.execute(oldest_due_query(), {"the_channel": delivery.channel, "the_chat": delivery.chat_id,
                                                "now": now}).scalar()


@cache
def oldest_due_query() -> Any:
    """The id of a chat's oldest due pending row, over the parameters `the_channel`, `the_chat` and `now` (built once).

    Read through the partial index ix_delivery_pending_chat. Its condition is written as a literal: with
    `status` a bound parameter, PostgreSQL's generic plan for the prepared statement cannot use a partial
    index and walks the whole outbox by id instead.

    A row never attempted is due whatever its next_attempt_at: that was only its message told to wait for
    the bot's overall budget (`_postpone`), and the row keeps its place in its chat. A row waiting out a
    backoff after a failed attempt is not due, and the chat's later rows go out before it."""
    table = Delivery.__table__  # type: ignore[attr-defined]
    now = bindparam("now", type_=table.c.next_attempt_at.type)
    return select(table.c.id).where(
        table.c.channel == bindparam("the_channel"), table.c.chat_id == bindparam("the_chat"),
        table.c.status == literal_column(f"'{DeliveryStatus.pending.value}'"),
        or_(table.c.attempts == 0, table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now),
    ).order_by(table.c.id).limit(1)


@cache
def _statements() -> dict[str, Any]:
    """The statements every send runs, built once (building one costs more than running it)."""
    table = Delivery.__table__  # type: ignore[attr-defined]
    return {
        "read": select(*table.c).where(table.c.id == bindparam("delivery_id")),
        "claim": table.update()
        .where(table.c.id == oldest_due_query().scalar_subquery(), table.c.status == DeliveryStatus.pending)
        .values(status=DeliveryStatus.sending, attempts=table.c.attempts + 1,
                claimed_at=bindparam("now", type_=table.c.claimed_at.type))
        .returning(*table.c),
    }


@cache
def _finish_statement(columns: frozenset[str]) -> Any:
    """Setting a row's outcome: `status` and these columns, over parameters of the same names (one per shape)."""
    table = Delivery.__table__  # type: ignore[attr-defined]
    return table.update().where(table.c.id == bindparam("delivery_id")).values(
        {name: bindparam(f"new_{name}", type_=table.c[name].type) for name in columns | {"status"}})


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
        session.execute(_finish_statement(frozenset(values)), {
            "delivery_id": delivery_id, "new_status": status, **{f"new_{name}": value for name, value in values.items()}})
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
