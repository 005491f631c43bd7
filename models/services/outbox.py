"""The outbox: the only way a message leaves pairbot is as a Delivery row written here.

The row is part of the caller's transaction; the queue is told about it only after commit
(see bot.router and jobs.outbound), so a rolled-back decision never sends anything. On
PostgreSQL the transaction also NOTIFYs NOTIFY_CHANNEL (delivered at commit, once per transaction),
which wakes the hand-off of a running `pairbot run` (jobs.handoff) for rows written elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session

from bot.i18n import installation_locale, normalize, using
from bot.messages import Button
from models.base import new_row
from models.messaging import Delivery
from models.registry import Contact
from models.services.registry import contact_address

NOTIFY_CHANNEL = "pairbot_outbox"
_NOTIFIED = "pairbot_outbox_notified"  # session.info: the transaction that has already notified


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
    _notify(session)
    return delivery


@cache
def _columns() -> tuple[str, ...]:
    return tuple(column.key for column in Delivery.__table__.columns if column.key != "id")  # type: ignore[attr-defined]


@cache
def _insert() -> Any:
    table = Delivery.__table__  # type: ignore[attr-defined]
    return insert(table).returning(table.c.id)


def _notify(session: Session) -> None:
    """NOTIFY once per transaction on PostgreSQL (SQLite's listeners read data_version instead)."""
    transaction = session.get_transaction()
    if session.info.get(_NOTIFIED) is transaction or session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    session.info[_NOTIFIED] = transaction


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
