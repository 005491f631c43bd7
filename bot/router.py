"""The router: one unit of work per incoming message, replies enqueued only after commit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.db import unit_of_work
from bot.i18n import _, N_, first_locale, using
from bot.messages import Incoming
from handlers.context import Context, Handler, HandlerSettings
from models.base import utcnow
from models.messaging import InboundMessage
from models.registry import Contact
from models.services.audit import audit
from models.services.outbox import queue_message
from models.services.registry import contact_for, mark_reachable

log = logging.getLogger(__name__)

SORRY = N_("抱歉，处理您的消息时出错了，消息已保存，管理员会尽快处理。")

Enqueue = Callable[[Sequence[int]], None]


class Router:
    def __init__(
        self,
        engine: Engine,
        handlers: Sequence[Handler],
        settings: HandlerSettings,
        enqueue: Enqueue,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.handlers = list(handlers)
        self.settings = settings
        self.enqueue = enqueue
        self.clock = clock

    def handle(self, message: Incoming) -> list[int]:
        """Store the message, let the first matching handler act, return the ids of the replies queued."""
        now = self.clock()
        inbound_id = self._record(message, now)
        if inbound_id is None:
            log.info("duplicate %s message %s ignored", message.channel, message.message_id)
            return []
        try:
            delivery_ids = self._dispatch(message, inbound_id, now)
        except Exception:
            log.exception("handler failed for %s message %s", message.channel, message.message_id)
            delivery_ids = self._apologise(message, inbound_id)
        if delivery_ids:
            self.enqueue(delivery_ids)
        return delivery_ids

    def _record(self, message: Incoming, now: datetime) -> int | None:
        """Keep the raw message in its own transaction, so nothing is lost if a handler fails; None if seen before."""
        message_id = message.message_id or f"local-{uuid.uuid4().hex}"
        try:
            with unit_of_work(self.engine) as session:
                revision = 0
                if message.edited:
                    last = session.exec(
                        select(func.max(InboundMessage.revision)).where(
                            InboundMessage.channel == message.channel,
                            InboundMessage.chat_id == message.chat_id,
                            InboundMessage.message_id == message_id,
                        )
                    ).one()
                    revision = (last or 0) + 1
                row = InboundMessage(
                    channel=message.channel, chat_id=message.chat_id, message_id=message_id, revision=revision,
                    sender_id=message.sender_id, text=message.callback_data or message.text, received_at=now,
                )
                contact = contact_for(session, message.channel, message.sender_id)
                row.contact_id = contact.id if contact else None
                session.add(row)
                session.flush()
                return row.id
        except IntegrityError:
            return None

    def _dispatch(self, message: Incoming, inbound_id: int, now: datetime) -> list[int]:
        with unit_of_work(self.engine) as session:
            contact = contact_for(session, message.channel, message.sender_id)
            if contact is not None and contact.last_channel != message.channel:
                contact.last_channel = message.channel
                session.add(contact)
            if contact is not None and not message.is_group:
                mark_reachable(session, message.channel, message.sender_id)
            ctx = Context(session=session, message=message, contact=contact,
                          inbound=session.get(InboundMessage, inbound_id), settings=self.settings, now=now)
            with using(self.locale_of(message, contact)):
                for handler in self.handlers:
                    if handler.matches(ctx):
                        handler.handle(ctx)
                        break
            return ctx.delivery_ids

    def locale_of(self, message: Incoming, contact: Contact | None) -> str:
        """The sender's language: chosen in chat (语言), else the platform's hint, else the installation's."""
        return first_locale(contact.locale if contact else None, message.language, self.settings.locale)

    def _apologise(self, message: Incoming, inbound_id: int) -> list[int]:
        with unit_of_work(self.engine) as session:
            audit(session, f"{message.channel}:{message.sender_id}", "handler.error", f"inbound:{inbound_id}")
            contact = contact_for(session, message.channel, message.sender_id)
            with using(self.locale_of(message, contact)):
                sorry = _(SORRY)
            delivery = queue_message(session, message.channel, message.chat_id, sorry)
            return [delivery.id] if delivery.id is not None else []
