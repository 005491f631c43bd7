"""The Telegram adapter's pure parts: Updates → Incoming, addressing in groups, errors → SendError, long texts."""

from __future__ import annotations

from typing import Any

from telegram import Bot, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram import chunks, file_url, keyboard, send_error
from bot.channels.telegram_updates import BotIdentity, membership, to_incoming
from bot.messages import Button
from tests.standins.telegram_api import BOT_ID, BOT_USERNAME, TOKEN, Updates

ME = BotIdentity(BOT_ID, BOT_USERNAME)
BOT = Bot(TOKEN)
GROUP = Updates.group(-100_1, "帮扶群")


def _update(data: dict[str, Any]) -> Update:
    return Update.de_json({"update_id": 1, **data}, BOT)


def test_private_text_photo_and_document() -> None:
    updates = Updates()
    incoming = to_incoming(_update(updates.message(42, "投入资金5万元", name="李娜")), ME)
    assert incoming is not None
    assert (incoming.chat_id, incoming.sender_id, incoming.sender_name, incoming.chat_type) == ("42", "42", "李娜", "private")
    assert incoming.addressed and not incoming.edited and incoming.sent_at is not None
    photo = to_incoming(_update(updates.message(42, caption="图", photo="p1")), ME)
    assert photo is not None and photo.text == "图" and [a.kind for a in photo.attachments] == ["photo"]
    document = to_incoming(_update(updates.message(42, document=("d1", "台账.xlsx"))), ME)
    assert document is not None and document.attachments[0].filename == "台账.xlsx" and document.text == ""


def test_group_addressing() -> None:
    updates = Updates()

    def seen(text: str, **extra: Any) -> tuple[bool, str]:
        incoming = to_incoming(_update(updates.message(42, text, chat=GROUP, **extra)), ME)
        assert incoming is not None and incoming.chat_type == "group"
        return incoming.addressed, incoming.text

    assert seen("投入资金5万元") == (False, "投入资金5万元")
    assert seen(f"@{BOT_USERNAME} 投入资金5万元") == (True, "投入资金5万元")
    assert seen(f"@{BOT_USERNAME.upper()}，帮助") == (True, "帮助")
    assert seen("/help") == (True, "/help")
    assert seen(f"/help@{BOT_USERNAME}") == (True, f"/help@{BOT_USERNAME}")
    assert seen("/help@another_bot") == (False, "/help@another_bot")
    assert seen("谢谢 @someone_else") == (False, "谢谢 @someone_else")
    assert seen("收到", reply_to=updates.bot_message(GROUP, 9))[0] is True
    mention = updates.message(42, "请看", chat=GROUP)
    mention["message"]["entities"] = [{"type": "text_mention", "offset": 0, "length": 2, "user": updates.bot}]
    incoming = to_incoming(_update(mention), ME)
    assert incoming is not None and incoming.addressed


def test_edits_presses_and_what_is_ignored() -> None:
    updates = Updates()
    original = updates.message(42, "培训120人")
    edited = to_incoming(_update(updates.edit(original, "培训150人")), ME)
    assert edited is not None and edited.edited and edited.message_id == str(original["message"]["message_id"])
    press = to_incoming(_update(updates.press(42, "pick:1:2", message_id=77)), ME)
    assert press is not None and press.callback_data == "pick:1:2" and press.reply_to_message_id == "77"
    assert press.message_id.startswith("callback-")
    channel_post = {"channel_post": {"message_id": 1, "date": 0, "chat": {"id": -1009, "type": "channel"}, "text": "x"}}
    assert to_incoming(_update(channel_post), ME) is None
    sticker = updates.message(42)
    sticker["message"]["sticker"] = {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1,
                                     "is_animated": False, "is_video": False, "type": "regular"}
    assert to_incoming(_update(sticker), ME) is None
    from_bot = updates.message(42, "hi")
    from_bot["message"]["from"]["is_bot"] = True
    assert to_incoming(_update(from_bot), ME) is None


def test_membership_changes() -> None:
    updates = Updates()
    added = membership(_update(updates.membership(GROUP, by=42, old="left", new="administrator")), ME)
    assert added is not None and added.joined and added.title == "帮扶群" and added.chat_id == "-1001"
    kicked = membership(_update(updates.membership(GROUP, by=42, old="member", new="kicked")), ME)
    assert kicked is not None and not kicked.joined
    private = {"id": 42, "type": "private", "first_name": "x"}
    assert membership(_update(updates.membership(private, by=42, old="member", new="kicked")), ME) is None
    joined = updates.message(42, chat=GROUP)
    joined["message"]["new_chat_members"] = [updates.bot]
    assert membership(_update(joined), ME) == added.__class__("-1001", "帮扶群", True)
    assert membership(_update(updates.message(42, "你好", chat=GROUP)), ME) is None


def test_errors_map_to_what_the_outbox_does() -> None:
    flood = send_error(RetryAfter(7))
    assert flood.retry_after == 7 and not flood.permanent
    assert send_error(Forbidden("Forbidden: bot was blocked by the user")).permanent
    assert send_error(Forbidden("Forbidden: bot was kicked from the supergroup chat")).permanent
    assert send_error(BadRequest("Bad Request: chat not found")).permanent
    assert send_error(ChatMigrated(-100_77)).permanent
    for retryable in (NetworkError("Internal Server Error (500)"), TimedOut(), BadRequest("Bad Request: message is too long")):
        error = send_error(retryable)
        assert not error.permanent and error.retry_after is None


def test_long_text_is_split_at_line_breaks_and_buttons_fit() -> None:
    text = "\n".join(f"第{n}行" + "字" * 100 for n in range(100))
    parts = chunks(text)
    assert len(parts) == 3 and all(len(p) <= 4096 for p in parts) and "\n".join(parts) == text
    assert chunks("短") == ["短"] and len(chunks("字" * 5000)) == 2
    markup = keyboard([Button("布拖县", "pick:1:2"), Button("太长", "x" * 65)])
    assert markup is not None and [[b.text for b in row] for row in markup.inline_keyboard] == [["布拖县"]]
    assert keyboard([]) is None
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"
