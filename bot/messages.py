"""The channel-neutral message types every adapter, handler and test speaks."""

from __future__ import annotations

import re
from bot.i18n import N_, _

from dataclasses import dataclass, field
from datetime import datetime

# PostgreSQL text cannot hold U+0000, so a NUL that arrives is kept as these six characters.
NUL_ESCAPE = "\\u0000"
# Neither database can hold half a UTF-16 pair (a lone surrogate: JSON's "\\ud800", undecodable bytes read with
# surrogateescape); each is kept, like a NUL, as its visible escape \\udXXX.
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """The text with each NUL and lone surrogate written as its visible escape (\\u0000, \\ud800);
    everything else untouched."""
    return _UNSTORABLE_RE.sub(_escape, text) if unstorable(text) else text


def unstorable(text: str) -> bool:
    """Does the text hold a character no database column can store (NUL, a lone surrogate)?"""
    return _UNSTORABLE_RE.search(text) is not None


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


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
    language: str = ""  # the sender's app language when the platform says (Telegram's language_code)

    def __post_init__(self) -> None:
        """Whatever the platform sent, every string this message carries can be stored as it is.

        A field that is not text (a platform's JSON with a number where text belongs) is a TypeError here,
        not an AttributeError deep in a handler."""
        for name in ("channel", "chat_id", "sender_id", "text", "message_id", "sender_name", "reply_to_message_id",
                     "callback_data", "language"):
            value = getattr(self, name)
            if not isinstance(value, str):
                if value is None and name in ("reply_to_message_id", "callback_data"):
                    continue
                raise TypeError(f"Incoming.{name} should be text, not {type(value).__name__}")
            if unstorable(value):
                object.__setattr__(self, name, storable(value))
        if any(unstorable(a.file_id + a.filename) for a in self.attachments):
            object.__setattr__(self, "attachments", tuple(
                Attachment(a.kind, storable(a.file_id), storable(a.filename)) for a in self.attachments))

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


_CHANNEL_LABELS = {"telegram": "Telegram", "wecom": N_("企业微信"), "console": N_("终端模拟器"),
                   "wecom_robot": N_("企业微信群机器人")}


def channel_label(channel: str) -> str:
    """A channel's name as people know it, in the locale in force (the stored name if unknown)."""
    label = _CHANNEL_LABELS.get(channel)
    return _(label) if label else channel
