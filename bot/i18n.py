"""Message catalogs: Chinese is the source language, English the second locale.

Every user-facing string is written in Chinese in the code and wrapped in `_()`; the English catalog
(`bot/locales/en/LC_MESSAGES/*.po`, one file per area so they can be edited apart) translates it. The
locale in force is a context variable, so a chat handler, a page request and a CLI command each say it
once (`using(locale)`) and everything they format follows. Catalogs are read from the `.po` files at
first use (Babel compiles them in memory): the `.po` files are the one source, no `.mo` to keep in step.

Strings formatted later (module constants, labels in enums) are marked with `N_()` and translated where
they are shown, with `_()` again. Placeholders use `str.format` names: `_("共 {n} 户").format(n=n)`.
"""

from __future__ import annotations

import errno
import gettext
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}
CATALOGS = Path(__file__).resolve().parent / "locales"

_current: ContextVar[str] = ContextVar("pairbot_locale")
_installation = [DEFAULT_LOCALE]  # `[app] locale`: the language of whoever chose none (set once at start)

# What people type or platforms send for a language, folded to one of LOCALES.
_ALIASES = {
    "zh": "zh_CN", "zh_cn": "zh_CN", "zh_hans": "zh_CN", "zh_hant": "zh_CN", "zh_tw": "zh_CN", "zh_hk": "zh_CN",
    "cn": "zh_CN", "chinese": "zh_CN", "中文": "zh_CN", "汉语": "zh_CN", "漢語": "zh_CN", "简体中文": "zh_CN",
    "繁體中文": "zh_CN", "繁体中文": "zh_CN", "普通话": "zh_CN", "中": "zh_CN",
    "en": "en", "english": "en", "英文": "en", "英语": "en", "英語": "en", "eng": "en",
}


def normalize(tag: str | None) -> str | None:
    """A language tag or name ("en-US", "zh_Hant", "English", "中文", "en_US.UTF-8") as a locale, or None."""
    if not tag:
        return None
    text = tag.strip().split(".")[0].split("@")[0].replace("-", "_").lower()
    if text in _ALIASES:
        return _ALIASES[text]
    language = re.split(r"_", text, maxsplit=1)[0]
    return _ALIASES.get(language)


def first_locale(*candidates: str | None) -> str:
    """The first candidate that names a locale we have (a contact's choice, the platform's hint, the
    installation's default), else Chinese."""
    for candidate in candidates:
        locale = normalize(candidate)
        if locale:
            return locale
    return _installation[0]


def set_installation_locale(locale: str | None) -> str:
    """`[app] locale`: the language of people who chose none, and of threads that set none."""
    _installation[0] = normalize(locale) or DEFAULT_LOCALE
    return _installation[0]


def installation_locale() -> str:
    return _installation[0]


def current() -> str:
    """The locale in force for this handler, request or command (else the installation's)."""
    return _current.get(_installation[0])


@contextmanager
def using(locale: str | None) -> Iterator[str]:
    """Format everything inside in `locale` (the installation's when None or unknown)."""
    token = _current.set(normalize(locale) or _installation[0])
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def set_locale(locale: str | None) -> str:
    """Set the locale for the rest of this context (a CLI process); returns the one chosen."""
    chosen = normalize(locale) or _installation[0]
    _current.set(chosen)
    return chosen


def cli_locale(configured: str | None = None, environ: dict[str, str] | None = None) -> str:
    """The CLI's locale: `[app] locale` when set, else LC_ALL / LC_MESSAGES / LANG when they name zh or en.

    C, POSIX and unknown languages keep Chinese: the bot is Chinese first."""
    if normalize(configured):
        return normalize(configured)  # type: ignore[return-value]
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return normalize(value) or DEFAULT_LOCALE
    return DEFAULT_LOCALE


@lru_cache(maxsize=None)
def translations(locale: str) -> gettext.NullTranslations:
    """The merged catalog of `locale` (all its .po files). Our msgids are Chinese, so zh_CN's catalog only
    holds the English words of the libraries we show (click's Usage:, Options, Aborted!)."""
    folder = CATALOGS / locale / "LC_MESSAGES"
    if not folder.is_dir():
        return gettext.NullTranslations()
    merged = Catalog(locale=locale)
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if (message.id and message.string and not message.fuzzy
                        and merged.get(message.id, context=message.context) is None):
                    merged[message.id] = Message(message.id, message.string, context=message.context)
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _(message: str) -> str:
    """`message` (Chinese) in the locale in force."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Plural forms; Chinese has one, English two."""
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` where the same Chinese reads differently in English (a CLI heading 接单 "Claims" beside the
    chat button 接单 "Take on"): the catalog entry carries `msgctxt`."""
    return translations(current()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark a string for the catalog without translating it now (module constants); `_()` it when shown."""
    return message


def matched_message(text: str, patterns: Iterable[tuple[re.Pattern[str], str]],
                    **convert: Callable[[str], str]) -> str | None:
    """A stored text pairbot wrote in one language (a review flag, a delivery error) in the locale in force: the
    msgid of the first pattern it matches, its named groups filled in (passed through `convert[name]` where
    given); None when no pattern matches."""
    for pattern, msgid in patterns:
        found = pattern.match(text)
        if found:
            values = {name: convert[name](value) if name in convert else value
                      for name, value in found.groupdict().items()}
            return _(msgid).format(**values)
    return None


def joined(items: Iterable[str]) -> str:
    """A list in a sentence: 甲、乙、丙 in Chinese, "a, b, c" in English."""
    return _("、").join(items)


def translate_in(locale: str | None, message: str) -> str:
    """`message` in a given locale, whatever is in force (a notice composed for its recipient)."""
    with using(locale):
        return _(message)


def os_reason(exc: OSError) -> str:
    """Why a file could not be read or written, in the locale in force (the system says it in English only)."""
    if isinstance(exc, IsADirectoryError):
        return _("这是一个目录，不是文件")
    if isinstance(exc, PermissionError):
        return _("没有访问权限")
    if isinstance(exc, FileNotFoundError):
        return _("文件不存在")
    if exc.errno == errno.ENAMETOOLONG:
        return _("文件名太长")
    return exc.strerror or type(exc).__name__
