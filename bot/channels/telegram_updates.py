"""Telegram Updates → channel-neutral `Incoming` messages and group-membership changes (pure, no I/O).

In groups the bot only acts on what is meant for it: a message that @mentions it, replies to
one of its messages, or starts with a /command that is not addressed to another bot. Everything
else is passed on with `addressed=False`, and the handlers stay silent.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import CallbackQuery, Chat, Message, MessageEntity, Update, User
from telegram.constants import ChatMemberStatus, ChatType

from bot.messages import Attachment, Incoming, storable

NAME = "telegram"

# The update kinds pairbot handles; asked for in getUpdates and setWebhook so nothing else is sent.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")

_ID_LIMIT = 2**63  # Telegram's ids fit in 52 bits; the database's BIGINT holds 63
_GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)
_PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER,
            ChatMemberStatus.RESTRICTED)


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is (from getMe): needed to tell whether a group message is addressed to it."""

    id: int
    username: str


TITLE_LENGTH = 128  # Group.title


@dataclass(frozen=True)
class Membership:
    """The bot was added to (joined=True) or removed from a group chat, or a group it is in was renamed."""

    chat_id: str
    title: str
    joined: bool

    def __post_init__(self) -> None:
        """The title as a Group row can hold it: NUL and lone surrogates as visible escapes, at most 128 characters."""
        object.__setattr__(self, "title", storable(self.title)[:TITLE_LENGTH])


def to_incoming(update: Update, me: BotIdentity) -> Incoming | None:
    """The message, edit or button press in an update; None for kinds pairbot does not handle."""
    if update.callback_query is not None:
        return _from_callback(update.callback_query)
    message = update.message or update.edited_message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None
    chat_type = _chat_type(message.chat)
    text = message.text or message.caption or ""
    attachments = _attachments(message)
    if chat_type is None or not (text or attachments):
        return None  # channel posts, service messages, stickers, locations…
    addressed, text = _addressing(message, text, me) if chat_type == "group" else (True, text)
    return Incoming(
        channel=NAME,
        chat_id=str(message.chat.id),
        sender_id=str(message.from_user.id),
        sender_name=message.from_user.full_name,
        text=text,
        message_id=str(message.message_id),
        chat_type=chat_type,
        addressed=addressed,
        edited=update.edited_message is not None,
        reply_to_message_id=str(message.reply_to_message.message_id) if message.reply_to_message else None,
        attachments=attachments,
        sent_at=message.edit_date if update.edited_message is not None and message.edit_date else message.date,
        language=message.from_user.language_code or "",
    )


def membership(update: Update, me: BotIdentity) -> Membership | None:
    """A change of the bot's own membership of a group (my_chat_member, or new/left member service messages),
    or a new title of a group it is in."""
    change = update.my_chat_member
    if change is not None and change.chat.type in _GROUPS and change.new_chat_member.user.id == me.id:
        return Membership(str(change.chat.id), change.chat.title or "", change.new_chat_member.status in _PRESENT)
    message = update.message
    if message is None or message.chat.type not in _GROUPS:
        return None
    if any(member.id == me.id for member in message.new_chat_members or ()):
        return Membership(str(message.chat.id), message.chat.title or "", True)
    if message.left_chat_member is not None and message.left_chat_member.id == me.id:
        return Membership(str(message.chat.id), message.chat.title or "", False)
    if message.new_chat_title:  # the group was renamed: the bot is in it, the recorded title follows
        return Membership(str(message.chat.id), message.new_chat_title, True)
    return None


def check(update: Update, me: BotIdentity) -> None:
    """Raise if the update does not read as one Telegram sends: ids past 64 bits, a field of the wrong
    type where pairbot reads it (PTB builds objects without checking types), entities off the text."""
    message = update.message or update.edited_message
    query = update.callback_query
    ids = [update.update_id]
    if message is not None:
        ids += [message.message_id, message.chat.id] + ([message.from_user.id] if message.from_user else [])
    if query is not None:
        ids += [query.from_user.id]
    if not all(type(value) is int and -_ID_LIMIT <= value < _ID_LIMIT for value in ids):
        raise ValueError("an id is not a 64-bit integer")
    membership(update, me)
    to_incoming(update, me)  # Incoming refuses fields that are not text


def describe(update: Update) -> str:
    """The kind of an update, for the log line of one that is ignored."""
    for kind, value in update.to_dict().items():
        if kind != "update_id" and value:
            return kind
    return "empty"


def _from_callback(query: CallbackQuery) -> Incoming | None:
    if query.data is None:  # game buttons carry no data
        return None
    chat = query.message.chat if query.message is not None else None
    return Incoming(
        channel=NAME,
        chat_id=str(chat.id) if chat is not None else str(query.from_user.id),
        sender_id=str(query.from_user.id),
        sender_name=query.from_user.full_name,
        message_id=f"callback-{query.id}",  # unique per press, so a replayed press is recognised
        chat_type=(_chat_type(chat) or "private") if chat is not None else "private",
        callback_data=query.data,
        language=query.from_user.language_code or "",
        reply_to_message_id=str(query.message.message_id) if query.message is not None else None,
    )


def _chat_type(chat: Chat) -> str | None:
    if chat.type == ChatType.PRIVATE:
        return "private"
    if chat.type in _GROUPS:
        return "group"
    return None


def _attachments(message: Message) -> tuple[Attachment, ...]:
    if message.photo:
        return (Attachment("photo", message.photo[-1].file_id),)  # the largest size
    if message.document is not None:
        return (Attachment("file", message.document.file_id, message.document.file_name or ""),)
    if message.video is not None:
        return (Attachment("file", message.video.file_id, message.video.file_name or ""),)
    if message.voice is not None:
        return (Attachment("voice", message.voice.file_id),)
    return ()


def _addressing(message: Message, text: str, me: BotIdentity) -> tuple[bool, str]:
    """Whether a group message is meant for the bot, and its text without a leading @mention of it."""
    handle = f"@{me.username}".lower()
    addressed = _is_reply_to(message.reply_to_message, me)
    entities = message.parse_entities() if message.text else message.parse_caption_entities()
    for entity, value in entities.items():
        if entity.type == MessageEntity.MENTION and value.lower() == handle:
            addressed = True
        elif entity.type == MessageEntity.TEXT_MENTION and entity.user is not None and entity.user.id == me.id:
            addressed = True
        elif entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            target = value.partition("@")[2].lower()
            addressed = addressed or not target or target == handle[1:]
    if text.lower().startswith(handle):
        text = text[len(handle):].lstrip(" \u3000,，:：")
    return addressed, text


def _is_reply_to(replied: Message | None, me: BotIdentity) -> bool:
    author: User | None = replied.from_user if replied is not None else None
    return author is not None and author.id == me.id
