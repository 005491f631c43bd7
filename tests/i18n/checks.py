"""Finding the wrong language on a screen: English prose in Chinese mode, Chinese in English mode.

Shared by the language tests of chat replies, pages and `--help`. Names that stay as they are in either
language (commands, options, config keys, products, codes) are not prose; neither is what users wrote
(county names, update texts): pass those as `data`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff60\u2018-\u201d]+")
# Chunks that are code, not prose: options, paths, URLs, keys, audiences (county:布拖县), env names, numbers.
_CODE = re.compile(r"\b\w+(?:,\w+)+\b|\bpairbot(?:\s+-{0,2}[a-z][\w-]*)*|\S*[/_.=@<>\[\]{}|\\`#%$]\S*|--?[A-Za-z][\w-]*|\b[a-z]+:[^\s,，]*|(?<![A-Za-z0-9_])[A-Z0-9_]{2,}(?![A-Za-z0-9_])|\S*\d\S*")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")

# Words that are names in Chinese screens too.
ENGLISH_NAMES = {
    "telegram", "wecom", "pairbot", "excel", "csv", "xlsx", "gbk", "utf", "url", "id", "ids", "sqlite",
    "postgresql", "redis", "rabbitmq", "dramatiq", "http", "https", "api", "json", "toml", "webhook", "token",
    "bot", "botfather", "ok", "pdf", "png", "jpg", "ip", "sql", "cli", "english", "chromium", "html", "tab",
    "enter", "ctrl", "wecom", "corp", "aes", "md", "readme", "lang", "yes", "no", "y", "n", "esc", "utc",
    "all", "county", "organization", "province", "group", "contact", "help", "start", "whoami", "login",
}
# Native names of the languages on offer: a language picker shows them in their own script.
LANGUAGE_NAMES = {"中文", "English"}


def english_prose(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """Latin words in a Chinese screen that are not names, commands, options or code."""
    allow = ENGLISH_NAMES | {word.lower() for word in allowed}
    stripped = _CODE.sub(" ", text)
    return [word for word in _WORD.findall(stripped) if word.lower() not in allow]


def chinese_in(text: str, data: Iterable[str] = ()) -> list[str]:
    """Chinese in an English screen that is not what users wrote (`data`) nor a language's own name."""
    for value in sorted({*data, *LANGUAGE_NAMES}, key=len, reverse=True):
        if value:
            text = text.replace(value, " ")
    return CJK.findall(text)
