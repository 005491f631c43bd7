"""The channel-neutral message types every adapter, handler and test speaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class Attachment:
    kind: str  # photo / file / voice
    file_id: str
    filename: str = ""


@dataclass(frozen=True)
class Incoming:
    """A message, an edit or a button press from one chat identity on one channel."""

    channel: str
    chat_id: str
    sender_id: str
    text: str = ""
    message_id: str = ""
    sender_name: str = ""
    chat_type: str = "private"  # private / group
    addressed: bool = True  # in groups: the bot was mentioned or replied to
    edited: bool = False
    reply_to_message_id: str | None = None
    callback_data: str | None = None
    attachments: tuple[Attachment, ...] = ()
    sent_at: datetime | None = None

    @property
    def is_group(self) -> bool:
        return self.chat_type == "group"


@dataclass(frozen=True)
class Outgoing:
    """What a channel adapter sends; built from a Delivery row."""

    channel: str
    chat_id: str
    text: str
    buttons: tuple[Button, ...] = field(default=())
    reply_to: str | None = None
