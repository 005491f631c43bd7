"""Recognising chat commands, in slash form or as Chinese words (Simplified or Traditional)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

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
}


@dataclass(frozen=True)
class Command:
    name: str
    args: str


def normalize(text: str) -> str:
    """Full-width ASCII to half-width (／ｈｅｌｐ → /help) and trimmed; CJK is left as written."""
    return unicodedata.normalize("NFKC", text).strip()


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
    for word, name in ALIASES.items():
        if not word.startswith("/") and folded.startswith(word):
            return Command(name, _after(original, word).lstrip(" :：,，\u3000"))
    return None


def _after(original: str, folded_prefix: str) -> str:
    """The part of `original` after the characters whose normalised form is `folded_prefix`."""
    for end in range(len(original) + 1):
        if normalize(original[:end]) == folded_prefix:
            return original[end:]
    return ""
