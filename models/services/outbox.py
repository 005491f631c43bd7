"""The outbox: the only way a message leaves pairbot is as a Delivery row written here.

The row is part of the caller's transaction; the queue is told about it only after commit
(see bot.router and jobs.outbound), so a rolled-back decision never sends anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from bot.messages import Button
from models.messaging import Delivery


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
    delivery = Delivery(
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
    session.add(delivery)
    session.flush()
    return delivery
