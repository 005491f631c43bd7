"""The outbox: the only way a message leaves pairbot is as a Delivery row written here.

The row is part of the caller's transaction; the queue is told about it only after commit
(see bot.router and jobs.outbound), so a rolled-back decision never sends anything. On
PostgreSQL a transaction that wrote rows also NOTIFYs NOTIFY_CHANNEL as it commits (delivered with
the commit, once), which wakes the hand-off of a running `pairbot run` (jobs.handoff) for rows
written elsewhere — unless its writer said it enqueues every one of them itself (`hand_over`: the
inbox's child, whose replies go straight to `pairbot run`'s queue), which spares the round trip and
the hand-off's look for rows already queued.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session

from bot.i18n import installation_locale, normalize, using
from bot.messages import Button
from models.base import new_row
from models.messaging import Delivery
from models.registry import Contact
from models.services.registry import contact_address

NOTIFY_CHANNEL = "pairbot_outbox"
_WRITTEN = "pairbot_outbox_written"  # session.info: how many rows the transaction wrote
_HANDED_OVER = "pairbot_outbox_handed_over"  # session.info: how many of them its writer enqueues itself


def queue_message(
    session: Session,
    channel: str,
    chat_id: str,
    text: str,
    *,
    buttons: Sequence[Button] = (),
    contact_id: int | None = None,
    group_id: int | None = None,
    broadcast_id: int | None = None,
    reply_to: str | None = None,
    dedupe_key: str | None = None,
) -> Delivery:
    delivery = new_row(
        Delivery,
        channel=channel,
        chat_id=chat_id,
        text=text,
        buttons=[[b.label, b.data] for b in buttons],
        contact_id=contact_id,
        group_id=group_id,
        broadcast_id=broadcast_id,
        reply_to=reply_to,
        dedupe_key=dedupe_key,
    )
    if session.new:  # rows the delivery may refer to are written first, as a flush would
        session.flush()
    # One INSERT, not a flush of the unit of work (most of the cost of a chat reply's row); the object
    # joins the session as the row it wrote.
    values = {key: getattr(delivery, key) for key in _columns()}
    delivery.id = session.connection().execute(_insert(), values).scalar_one()
    make_transient_to_detached(delivery)
    session.add(delivery)
    session.info[_WRITTEN] = session.info.get(_WRITTEN, 0) + 1  # a count: a broadcast to many keeps no list
    return delivery


def hand_over(session: Session, ids: Sequence[int]) -> None:
    """The writer enqueues these rows (written by this transaction) itself once it commits: no NOTIFY is needed
    for them."""
    session.info[_HANDED_OVER] = session.info.get(_HANDED_OVER, 0) + len(set(ids))


@cache
def _columns() -> tuple[str, ...]:
    return tuple(column.key for column in Delivery.__table__.columns if column.key != "id")  # type: ignore[attr-defined]


@cache
def _insert() -> Any:
    table = Delivery.__table__  # type: ignore[attr-defined]
    return insert(table).returning(table.c.id)


def _notify(session: OrmSession) -> None:
    """As the transaction commits, NOTIFY once on PostgreSQL if it wrote rows nobody enqueues (SQLite's
    listeners read data_version instead). A savepoint's release waits for the transaction's commit."""
    if session.in_nested_transaction():
        return
    written, handed = session.info.pop(_WRITTEN, 0), session.info.pop(_HANDED_OVER, 0)
    if written > handed and session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


def _forget(session: OrmSession, _previous: Any = None) -> None:
    if not session.in_transaction():  # the whole transaction rolled back: its rows are gone
        session.info.pop(_WRITTEN, None)
        session.info.pop(_HANDED_OVER, None)


event.listen(OrmSession, "before_commit", _notify)
event.listen(OrmSession, "after_soft_rollback", _forget)


def recipient_locale(locale: str | None) -> str:
    """The language a notice to someone is written in: theirs (Contact.locale), else the installation's default.

    Never the sender's: an admin reading English must not turn a county's notices into English."""
    return normalize(locale) or installation_locale()


def tell(session: Session, contacts: Sequence[Contact], text: str | Callable[[], str], queued: list[int] | None,
         buttons: Sequence[Button] | Callable[[], Sequence[Button]] = ()) -> int:
    """Write a notice to each contact's chat through the outbox; returns how many could be reached.

    `text` (and `buttons`) may be a function composing them in the locale in force: it is then called
    once per recipient language, in that language."""
    reached = 0
    composed: dict[str, tuple[str, Sequence[Button]]] = {}
    for contact in contacts:
        address = contact_address(session, contact)
        if address is None:
            continue
        locale = recipient_locale(contact.locale)
        if locale not in composed:
            with using(locale):
                composed[locale] = (text() if callable(text) else text, buttons() if callable(buttons) else buttons)
        body, row = composed[locale]
        delivery = queue_message(session, address[0], address[1], body, buttons=row, contact_id=contact.id)
        if queued is not None and delivery.id is not None:
            queued.append(delivery.id)
        reached += 1
    return reached
