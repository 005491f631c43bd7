"""Messages in and out: inbound log, the outbox (Delivery), broadcasts, invites and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, created_at, json_dict, json_list, timestamp


class DeliveryStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    blocked = "blocked"


class InboundMessage(SQLModel, table=True):
    """Every message received, once: the unique key makes a resent or replayed message a no-op.

    `handled_at` is empty while a stored message waits for the router (WeCom's callback is answered once
    the row is committed, and handled afterwards; `payload` keeps what the row's columns do not, so a
    restart can finish it). Telegram's messages are stored and handled in one transaction.
    """

    __table_args__ = (
        UniqueConstraint("channel", "chat_id", "message_id", "revision"),
        Index("ix_inboundmessage_unhandled", "id", sqlite_where=text("handled_at IS NULL"),
              postgresql_where=text("handled_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)
    message_id: str = Field(max_length=128)
    revision: int = 0  # bumped for each edit of the same platform message
    sender_id: str = Field(max_length=128)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    text: str = Field(default="", sa_type=Text)
    received_at: datetime = created_at()
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    payload: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class BroadcastStatus(StrEnum):
    draft = "draft"  # previewed in chat, awaiting its creator's confirmation
    queued = "queued"  # Delivery rows written
    cancelled = "cancelled"


class Broadcast(SQLModel, table=True):
    """A notice to a segment (or a nudge: `parent_id` is the notice it reminds of), one Delivery per recipient."""

    id: int | None = Field(default=None, primary_key=True)
    segment: str = Field(max_length=128)
    text: str = Field(sa_type=Text)
    require_ack: bool = False
    status: str = Field(default=BroadcastStatus.queued, max_length=16)
    created_by: str = Field(default="", max_length=128)
    creator_contact_id: int | None = Field(default=None, foreign_key="contact.id")
    parent_id: int | None = Field(default=None, foreign_key="broadcast.id", index=True)
    scope: list[str] = json_list()  # provinces the creator may reach; empty = everywhere
    unreachable: list[int] = json_list()  # contacts with no reachable chat identity when it was queued
    created_at: datetime = created_at()
    queued_at: datetime | None = timestamp()


class Delivery(SQLModel, table=True):
    """One outbound message to one recipient on one channel: the outbox row the queue only carries."""

    __table_args__ = (
        Index("ix_delivery_status_next", "status", "next_attempt_at"),
        # a worker sends the oldest pending row of its chat (jobs.outbound): pending rows only
        Index("ix_delivery_pending_chat", "channel", "chat_id", "id", sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    group_id: int | None = Field(default=None, foreign_key="group.id", index=True)
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id", index=True)
    text: str = Field(sa_type=Text)
    buttons: list[Any] = json_list()  # [[label, data], ...]
    reply_to: str | None = Field(default=None, max_length=128)
    dedupe_key: str | None = Field(default=None, max_length=255, unique=True)
    status: str = Field(default=DeliveryStatus.pending, max_length=16)
    attempts: int = 0
    last_error: str = Field(default="", max_length=1024)
    platform_message_id: str | None = Field(default=None, max_length=128)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_at: datetime | None = timestamp()  # when the current attempt began (status `sending`)
    created_at: datetime = created_at()
    sent_at: datetime | None = timestamp()
    acknowledged_at: datetime | None = timestamp()


class Invite(SQLModel, table=True):
    """A single-use, expiring code that binds a chat identity to a role and scope."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    role: str = Field(max_length=16)
    name: str = Field(default="", max_length=64)  # the person it is meant for, if known
    county_id: int | None = Field(default=None, foreign_key="county.id")
    organization_id: int | None = Field(default=None, foreign_key="organization.id")
    provinces: list[str] = json_list()
    contact_id: int | None = Field(default=None, foreign_key="contact.id")  # an existing contact to bind
    created_by: str = Field(default="", max_length=128)
    created_at: datetime = created_at()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = timestamp()
    used_by_contact_id: int | None = Field(default=None, foreign_key="contact.id")


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = created_at()
    actor: str = Field(max_length=128)
    action: str = Field(max_length=64, index=True)
    target: str = Field(default="", max_length=256, index=True)  # e.g. need:12 (a need's history)
    details: dict[str, Any] = json_dict()
