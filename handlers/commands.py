"""Recognising chat commands, in slash form or as Chinese words (Simplified or Traditional)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.context import Context

# Word or slash command → canonical command. Traditional spellings map to the same command.
ALIASES: dict[str, str] = {
    "/start": "start", "绑定": "start", "綁定": "start",
    "/help": "help", "帮助": "help", "幫助": "help", "?": "help", "？": "help", "菜单": "help",
    "更正": "correct", "/correct": "correct", "修改": "correct",
    "撤回": "withdraw", "/withdraw": "withdraw", "撤销": "withdraw", "撤銷": "withdraw",
    "收到": "ack",
    "/broadcast": "broadcast", "广播": "broadcast", "廣播": "broadcast",
    "/login": "login", "登录": "login", "登錄": "login",
    "/whoami": "whoami", "我是谁": "whoami", "我是誰": "whoami",
    "/lang": "language", "/language": "language", "语言": "language", "語言": "language",
    # 项目库 (handlers/needs.py, claims.py, offers.py, needs_admin.py)
    "/need": "need", "需求": "need",
    "/myneeds": "my_needs", "我的需求": "my_needs",
    "修改需求": "edit_need", "撤回需求": "withdraw_need", "撤销需求": "withdraw_need", "撤銷需求": "withdraw_need",
    "/offer": "offer", "供给": "offer", "供給": "offer",
    "/myoffers": "my_offers", "我的供给": "my_offers", "我的供給": "my_offers",
    "撤回供给": "withdraw_offer", "撤回供給": "withdraw_offer",
    "/openneeds": "open_needs", "可接需求": "open_needs",
    "/claim": "claim", "接单": "claim", "接單": "claim",
    "/confirm": "confirm_claim", "确认": "confirm_claim", "確認": "confirm_claim",
    "/decline": "decline_claim", "婉拒": "decline_claim",
    "/drafts": "need_drafts", "待发布": "need_drafts", "待發布": "need_drafts", "待發佈": "need_drafts",
    "/publish": "publish_need", "发布": "publish_need", "發布": "publish_need", "發佈": "publish_need",
    "/push": "push_need", "推送": "push_need",
    "/closeneed": "close_need", "关闭需求": "close_need", "關閉需求": "close_need",
    # English slash forms of commands that only had Chinese words (named in the English help)
    "/editneed": "edit_need", "/withdrawneed": "withdraw_need", "/withdrawoffer": "withdraw_offer",
    "/ack": "ack", "/channel": "channel",
}
# Separators that may follow a command word: “需求：冷链…” is the command, “需求调研…” is not.
SEPARATORS = " \u3000:：,，"
# The command words, the longest first: 撤回需求 is not 撤回, 修改需求 is not 修改.
_WORDS = tuple(sorted((word for word in ALIASES if not word.startswith("/")), key=len, reverse=True))


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    spaced: bool = True  # the word stands apart: nothing follows it, or a space or a colon does


def normalize(text: str) -> str:
    """Full-width ASCII to half-width (／ｈｅｌｐ → /help) and trimmed; CJK is left as written."""
    return unicodedata.normalize("NFKC", text).strip()


@lru_cache(maxsize=4096)  # asked by most handlers' `matches` for one message: read each text once
def parse_command(text: str) -> Command | None:
    """`/start CODE`, `/start@pairbot CODE`, `绑定 CODE`, `绑定CODE`, `更正 …` → Command; plain text → None.

    Only the command word is normalised; the arguments are returned exactly as written
    (a correction's text is stored verbatim).
    """
    original = text.strip()
    folded = normalize(original)
    if not folded:
        return None
    if folded.startswith("/"):
        head = folded.split(None, 1)[0]
        rest = _after(original, head)
        head = head.split("@", 1)[0].lower()
        return Command(ALIASES.get(head, head.lstrip("/")), rest.strip())
    for word in _WORDS:
        if folded.startswith(word):
            rest = _after(original, word)
            return Command(ALIASES[word], rest.lstrip(SEPARATORS), not rest or rest[0] in SEPARATORS)
    return None


def _after(original: str, folded_prefix: str) -> str:
    """The part of `original` after the characters whose normalised form is `folded_prefix`."""
    for end in range(len(original) + 1):
        if normalize(original[:end]) == folded_prefix:
            return original[end:]
    return ""


class CommandWord:
    """A handler for one command word (`name`, a value of ALIASES) from a registered contact.

    `spaced`: the word must stand apart (“需求：…”, not “需求调研…”, which is a report). `roles`: who
    may use it; anyone else is answered `refusal`. Subclasses implement `act(ctx, args)`.
    """

    name = ""
    spaced = False
    roles: tuple[str, ...] = ()
    refusal = ""

    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return (ctx.contact is not None and ctx.message.callback_data is None and command is not None
                and command.name == self.name and (command.spaced or not self.spaced))

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        if self.roles and ctx.contact.role not in self.roles:
            ctx.reply(self.refusal)
            return
        command = parse_command(ctx.text)
        self.act(ctx, command.args if command else "")

    def act(self, ctx: Context, args: str) -> None:
        raise NotImplementedError
