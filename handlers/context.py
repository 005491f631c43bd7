"""What a handler gets: the message, the sender's contact (if registered), a session and a way to reply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.messages import Button, Incoming
from models.messaging import InboundMessage
from models.registry import Contact
from models.services.audit import audit
from models.services.outbox import queue_message


@dataclass(frozen=True)
class HandlerSettings:
    """The few settings handlers need, so they never see tokens or URLs."""

    zone: ZoneInfo
    withdraw_minutes: int = 60
    bot_username: str = ""
    review_url: str = ""  # the admin review pages, for login links (`[web] base_url` + /review)
    reply_window_hours: int = 72  # a message that replies to nothing answers a reminder this recent
    mandatory: tuple[str, ...] = ("agreement", "annual")  # obligation kinds that still remind after 退订
    locale: str = "zh_CN"  # `[app] locale`: for senders who chose none and whose platform says none we have
    channels: tuple[str, ...] | None = None  # the platforms with a token (a broadcast preview warns of the others)


@dataclass
class Context:
    session: Session
    message: Incoming
    contact: Contact | None
    inbound: InboundMessage | None
    settings: HandlerSettings
    now: datetime
    delivery_ids: list[int] = field(default_factory=list)
    # Lookups shared by the handlers' `matches` while the router looks for the one to act (several ask for the
    # same open question); None outside that phase, so a handler's `handle` always reads afresh.
    memo: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        return self.message.text.strip()

    @property
    def actor(self) -> str:
        who = f"contact:{self.contact.id}" if self.contact else "unregistered"
        return f"{who} via {self.message.channel}:{self.message.sender_id}"

    def reply(self, text: str, buttons: Sequence[Button] = ()) -> None:
        """Answer in the chat the message came from; written to the outbox, sent after commit."""
        delivery = queue_message(
            self.session,
            self.message.channel,
            self.message.chat_id,
            text,
            buttons=buttons,
            contact_id=self.contact.id if self.contact else None,
            reply_to=self.message.message_id or None if self.message.is_group else None,
        )
        assert delivery.id is not None
        self.delivery_ids.append(delivery.id)

    def original_inbound_ids(self) -> list[int]:
        """Every stored revision of this platform message, oldest first (for edits)."""
        return list(self.session.exec(
            select(InboundMessage.id).where(
                InboundMessage.channel == self.message.channel,
                InboundMessage.chat_id == self.message.chat_id,
                InboundMessage.message_id == self.message.message_id,
            ).order_by(InboundMessage.revision)
        ).all())

    def audit(self, action: str, target: str = "", **details: Any) -> None:
        audit(self.session, self.actor, action, target, **details)


class Handler(Protocol):
    """A conversation step: the router offers each message to handlers in order; the first that matches handles it."""

    def matches(self, ctx: Context) -> bool: ...

    def handle(self, ctx: Context) -> None: ...
