"""The catalogs: every string marked in the code and the templates has an English translation that keeps
its placeholders and holds no Chinese; the chooser of the language works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from bot import i18n
from bot.i18n import N_, _, cli_locale, first_locale, normalize, using
from tests.i18n.checks import CJK, chinese_in, english_prose

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "gettext": None, "pgettext": ((1, "c"), 2)}
METHODS = [("**/locales/**", "ignore"), ("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def marked_strings() -> dict[tuple[str | None, str], str]:
    """(msgctxt, msgid) → where it was first seen, for every marked string in bot/, handlers/, jobs/, models/."""
    found: dict[tuple[str | None, str], str] = {}
    for package in ("bot", "handlers", "jobs", "models"):
        for filename, lineno, message, _comments, context in extract_from_dir(
                ROOT / package, METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {
                    "extensions": "jinja2.ext.i18n"}}):
            for msgid in (message if isinstance(message, tuple) else (message,)):
                if msgid:
                    found.setdefault((context, msgid), f"{package}/{filename}:{lineno}")
    return found


def test_every_marked_string_has_an_english_translation_with_the_same_placeholders() -> None:
    english = i18n.translations("en")
    problems = []
    for (context, msgid), where in sorted(marked_strings().items(), key=lambda item: item[1]):
        if not CJK.search(msgid):
            continue  # nothing to translate
        text = english.pgettext(context, msgid) if context else english.gettext(msgid)
        if text == msgid:
            problems.append(f"{where}: no English for {msgid!r}")
        elif CJK.search(text):
            problems.append(f"{where}: Chinese left in the English of {msgid!r}: {text!r}")
        elif sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(msgid)):
            problems.append(f"{where}: placeholders differ in {msgid!r} → {text!r}")
    assert not problems, "\n".join(problems[:200]) + f"\n({len(problems)} in all)"


def test_the_locale_in_force_chooses_the_text() -> None:
    message = "好的，今后用英文回复您。"
    assert _(message) == message  # Chinese is the default
    with using("en-US"):
        assert _(message) == "OK, I will reply in English from now on."
        with using("zh"):
            assert _(message) == message
    assert N_(message) == message


@pytest.mark.parametrize(("tag", "locale"), [
    ("en", "en"), ("en-US", "en"), ("en_GB.UTF-8", "en"), ("English", "en"), ("英文", "en"),
    ("zh", "zh_CN"), ("zh-Hant", "zh_CN"), ("zh_TW", "zh_CN"), ("中文", "zh_CN"), ("de", None), ("", None),
    ("C.UTF-8", None), (None, None),
])
def test_language_tags_fold_to_the_locales_we_have(tag: str | None, locale: str | None) -> None:
    assert normalize(tag) == locale


def test_the_cli_follows_app_locale_then_lang_and_stays_chinese_for_c() -> None:
    assert cli_locale("en", {"LANG": "zh_CN.UTF-8"}) == "en"
    assert cli_locale("", {"LANG": "en_US.UTF-8"}) == "en"
    assert cli_locale("", {"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}) == "zh_CN"
    assert cli_locale("", {"LANG": "C.UTF-8"}) == "zh_CN"
    assert cli_locale(None, {}) == "zh_CN"
    assert first_locale(None, "de", "en") == "en"


def test_the_checks_find_the_wrong_language() -> None:
    assert english_prose("渠道 telegram 未配置") == []
    assert english_prose("channel telegram is not configured") == ["channel", "is", "not", "configured"]
    assert english_prose("用 pairbot import counties --allow-partial 导入，或 county:布拖县") == []
    assert english_prose("导入 counties 表") == ["counties"]
    assert english_prose("Aborted!") == ["Aborted"]
    assert chinese_in("Sent to 布拖县 (3 recipients)", data=["布拖县"]) == []
    assert chinese_in("Sent 已发送") == ["已发送"]
