"""The router: one unit of work per incoming message, replies enqueued only after commit.

Channels store a message first and have it handled afterwards (`store`, then `handle_stored`,
both fed by bot.inbound.Inbox): the channel answers its platform once the raw row is committed;
the row's `handled_at` stays empty until the router has handled it, so a restart finishes
whatever was stored but not handled. The console simulator stores and handles in one transaction
(`handle`, `handle_batch`). Under load several messages share a transaction and one commit. If
anything in it fails, the transaction is rolled back and each message is done again in a
transaction of its own, its handling in a savepoint: a handler that fails then undoes only its
own work — the raw row stays and the sender gets the apology. A failure of the database
itself (a deadlock, a lost connection: no reason to apologise) is reported to the channel, which
has the platform send the message again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, func
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from bot.db import begin_write
from bot.i18n import _, N_, first_locale, using
from bot.messages import Incoming
from handlers.context import Context, Handler, HandlerSettings
from models.base import new_row, upsert_insert, utcnow
from models.messaging import InboundMessage
from models.registry import Contact
from models.services.audit import audit
from models.services.outbox import hand_over, queue_message
from models.services.registry import active_contact_id_of, contact_for, mark_reachable

log = logging.getLogger(__name__)

SORRY = N_("抱歉，处理您的消息时出错了，消息已保存，管理员会尽快处理。")

Enqueue = Callable[[Sequence[int]], Any]
Prepare = Callable[[Incoming, datetime], Incoming]
Outcome = list[int] | BaseException  # the reply ids queued for a message, or why it could not be stored

class _Sender:
    """`Router._record`'s contact: whoever the sender's chat account belongs to, read by the INSERT."""


SENDER = _Sender()
_TABLE = InboundMessage.__table__  # type: ignore[attr-defined]
_KEY = ["channel", "chat_id", "message_id", "revision"]


class Router:
    def __init__(
        self,
        engine: Engine,
        handlers: Sequence[Handler],
        settings: HandlerSettings,
        enqueue: Enqueue,
        clock: Callable[[], datetime] = utcnow,
        hands_over: bool = False,
    ) -> None:
        self.engine = engine
        self.handlers = list(handlers)
        self.settings = settings
        self.enqueue = enqueue
        self.clock = clock
        # `enqueue` reaches the queue that sends every channel (the inbox's child hands its replies to
        # `pairbot run`): the replies need no NOTIFY for the hand-off (models.services.outbox.hand_over).
        self.hands_over = hands_over
        # Per channel, a step applied to a stored message just before it is handled (WeCom: a typed
        # number presses a button of the last message, which is known only then).
        self.prepare: dict[str, Prepare] = {}
        self._insert = upsert_insert(engine.dialect, _TABLE).on_conflict_do_nothing(index_elements=_KEY) \
            .returning(_TABLE.c.id, _TABLE.c.contact_id)
        # storing: the sender's contact id read by the INSERT itself (one statement a message)
        self._insert_from_sender = upsert_insert(engine.dialect, _TABLE) \
            .values(contact_id=active_contact_id_of("identity_channel", "identity_external_id")) \
            .on_conflict_do_nothing(index_elements=_KEY).returning(_TABLE.c.id, _TABLE.c.contact_id)
        self._claim = _TABLE.update().where(_TABLE.c.id == bindparam("inbound_id"), _TABLE.c.handled_at.is_(None)) \
            .values(handled_at=bindparam("now", type_=_TABLE.c.handled_at.type)).returning(*_TABLE.c)

    # --- stored and handled together -----------------------------------------------------------

    def handle(self, message: Incoming) -> list[int]:
        """Store the message, let the first matching handler act, return the ids of the replies queued.

        Raises when the message could not be stored (the platform should send it again)."""
        outcome = self.handle_batch([message])[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def handle_batch(self, messages: Sequence[Incoming]) -> list[Outcome]:
        """Store and handle `messages` in one transaction, in order; a duplicate gets [] and changes nothing."""
        return self._run(messages, self._store_and_handle)

    def _store_and_handle(self, session: Session, message: Incoming, now: datetime, isolated: bool) -> list[int]:
        contact = contact_for(session, message.channel, message.sender_id)
        row = self._record(session, message, contact.id if contact else None, now, handled=True)
        if row is None:
            log.info("duplicate %s message %s ignored", message.channel, message.message_id)
            return []
        return self._handle_row(session, message, contact, row, now, isolated)

    # --- stored first, handled afterwards ------------------------------------------------------

    def store(self, messages: Sequence[Incoming]) -> list[int | None | BaseException]:
        """Keep `messages` unhandled, committed in one transaction before this returns: per message its row
        id, None when it was stored before, or the error (then nothing of the batch was stored)."""
        now = self.clock()
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                begin_write(session)
                rows = [self._record(session, message, SENDER, now, handled=False) for message in messages]
                session.commit()
        except Exception as exc:
            log.exception("storing %d inbound messages failed", len(messages))
            return [exc] * len(messages)
        return [row.id if row is not None else None for row in rows]

    def handle_stored(self, ids: Sequence[int]) -> list[Outcome]:
        """Handle stored rows (by id) in one transaction; a row already handled is skipped."""
        return self._run(ids, self._handle_stored_one)

    def unhandled(self) -> list[tuple[int, str]]:
        """(id, chat id) of the stored messages not handled yet, oldest first (what a restart has to finish)."""
        with Session(self.engine) as session:
            rows = session.exec(select(InboundMessage.id, InboundMessage.chat_id)
                                .where(col(InboundMessage.handled_at).is_(None)).order_by(col(InboundMessage.id)))
            return [(int(inbound_id), chat_id) for inbound_id, chat_id in rows]  # type: ignore[arg-type]

    def _handle_stored_one(self, session: Session, inbound_id: int, now: datetime, isolated: bool) -> list[int]:
        # Claim the row, reading it in the same statement: a second process, or a second copy of the id,
        # finds it handled and skips it.
        claimed = session.connection().execute(self._claim, {"inbound_id": inbound_id, "now": now}).first()
        if claimed is None:
            return []
        row = new_row(InboundMessage, **claimed._mapping)
        make_transient_to_detached(row)  # the row as claimed: joins the session without reading it again
        session.add(row)
        message = message_from_row(row)
        prepare = self.prepare.get(message.channel)
        if prepare is not None:
            message = prepare(message, now)
            if message.callback_data and row.text != message.callback_data:
                row.text = message.callback_data  # as a press is stored (the typed text stays in the payload)
        return self._handle_row(session, message, contact_for(session, message.channel, message.sender_id), row,
                                now, isolated)

    # --- the shared machinery ------------------------------------------------------------------

    def _run(self, items: Sequence[Any], one: Callable[[Session, Any, datetime, bool], list[int]],
             isolated: bool = False) -> list[Outcome]:
        """Each item through `one` in one transaction; the replies enqueued after the commit.

        First without savepoints (handlers rarely fail, and a savepoint costs two statements); if
        anything fails, each item again in a transaction of its own, its handling in a savepoint."""
        now = self.clock()
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                begin_write(session)
                outcomes: list[Outcome] = [one(session, item, now, isolated) for item in items]
                replies = [delivery_id for ids in outcomes if isinstance(ids, list) for delivery_id in ids]
                if self.hands_over:
                    hand_over(session, replies)
                session.commit()
        except Exception as exc:
            if isolated:
                log.exception("inbound message could not be stored")
                return [exc]
            log.info("a transaction of %d inbound messages failed (%r); again one by one", len(items), exc)
            return [self._run([item], one, isolated=True)[0] for item in items]
        if replies:
            self.enqueue(replies)
        return outcomes

    def _record(self, session: Session, message: Incoming, contact_id: int | None | _Sender, now: datetime,
                handled: bool) -> InboundMessage | None:
        """The raw message as a row of the session (written at once); None if it was stored before.

        `contact_id` SENDER: the sender's active contact, looked up by the INSERT."""
        message_id = message.message_id or f"local-{uuid.uuid4().hex}"
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
        values: dict[str, Any] = dict(
            channel=message.channel, chat_id=message.chat_id, message_id=message_id, revision=revision,
            sender_id=message.sender_id, text=message.callback_data or message.text, received_at=now,
            handled_at=now if handled else None, payload=None if handled else message_payload(message),
        )
        if isinstance(contact_id, _Sender):
            statement = self._insert_from_sender
            parameters = {**values, "identity_channel": message.channel, "identity_external_id": message.sender_id}
        else:
            statement, parameters = self._insert, {**values, "contact_id": contact_id}
        written = session.connection().execute(statement, parameters).first()
        if written is None:
            return None
        row = new_row(InboundMessage, id=written.id, contact_id=written.contact_id, **values)
        make_transient_to_detached(row)  # the row as written: joins the session without reading it back
        session.add(row)
        return row

    def _handle_row(self, session: Session, message: Incoming, contact: Contact | None, row: InboundMessage,
                    now: datetime, isolated: bool) -> list[int]:
        if not isolated:  # a failure undoes the whole transaction, and `_run` tries again, isolated
            return self._dispatch(session, message, contact, row, now)
        try:
            with session.begin_nested():
                return self._dispatch(session, message, contact, row, now)
        except OperationalError:  # the database, not the handler (a deadlock, a lost connection): try again
            raise
        except Exception:
            log.exception("handler failed for %s message %s", message.channel, message.message_id)
            return self._apologise(session, message, row)

    def _dispatch(self, session: Session, message: Incoming, contact: Contact | None, row: InboundMessage,
                  now: datetime) -> list[int]:
        if contact is not None and contact.last_channel != message.channel:
            contact.last_channel = message.channel
            session.add(contact)
        if contact is not None and not message.is_group:
            mark_reachable(session, message.channel, message.sender_id)
        ctx = Context(session=session, message=message, contact=contact, inbound=row, settings=self.settings,
                      now=now)
        with using(self.locale_of(message, contact)):
            ctx.memo = {}
            for handler in self.handlers:
                if handler.matches(ctx):
                    ctx.memo = None
                    handler.handle(ctx)
                    break
        return ctx.delivery_ids

    def locale_of(self, message: Incoming, contact: Contact | None) -> str:
        """The sender's language: chosen in chat (语言), else the platform's hint, else the installation's."""
        return first_locale(contact.locale if contact else None, message.language, self.settings.locale)

    def _apologise(self, session: Session, message: Incoming, row: InboundMessage) -> list[int]:
        audit(session, f"{message.channel}:{message.sender_id}", "handler.error", f"inbound:{row.id}")
        with using(self.locale_of(message, contact_for(session, message.channel, message.sender_id))):
            sorry = _(SORRY)
        delivery = queue_message(session, message.channel, message.chat_id, sorry)
        session.flush()
        return [delivery.id] if delivery.id is not None else []


def message_payload(message: Incoming) -> dict[str, Any]:
    """What a stored row needs besides its columns to be handled later as the same Incoming."""
    return {
        "text": message.text, "sender_name": message.sender_name, "chat_type": message.chat_type,
        "addressed": message.addressed, "edited": message.edited,
        "reply_to_message_id": message.reply_to_message_id, "callback_data": message.callback_data,
        "attachments": [[a.kind, a.file_id, a.filename] for a in message.attachments],
        "sent_at": message.sent_at.isoformat() if message.sent_at else None, "language": message.language,
    }


def message_from_row(row: InboundMessage) -> Incoming:
    """The Incoming a stored row was made from (its payload and columns)."""
    from bot.messages import Attachment

    payload = row.payload or {}
    sent_at = payload.get("sent_at")
    return Incoming(
        channel=row.channel, chat_id=row.chat_id, sender_id=row.sender_id, message_id=row.message_id,
        text=payload.get("text", row.text), sender_name=payload.get("sender_name", ""),
        chat_type=payload.get("chat_type", "private"), addressed=payload.get("addressed", True),
        edited=payload.get("edited", False), reply_to_message_id=payload.get("reply_to_message_id"),
        callback_data=payload.get("callback_data"),
        attachments=tuple(Attachment(*item) for item in payload.get("attachments", ())),
        sent_at=datetime.fromisoformat(sent_at) if sent_at else None, language=payload.get("language", ""),
    )

