"""Every `pairbot … --help` in Chinese has no English prose, and in English no Chinese."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from bot.config import Settings
from tests.i18n.checks import chinese_in, english_prose

DUMP = Path(__file__).with_name("cli_help_dump.py")
ROOT = Path(__file__).resolve().parents[2]


@cache
def helps(locale: str) -> dict[str, str]:
    result = subprocess.run([sys.executable, str(DUMP), locale], capture_output=True, text=True, timeout=120,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _names() -> set[str]:
    """Command, option and config-key names: code in either language."""
    import click
    import typer

    from bot.cli import build_app

    names: set[str] = set()

    def walk(command: click.Command) -> None:
        names.update((command.name or "").split("-"))
        for param in command.params:
            for opt in param.opts:
                names.update(opt.lstrip("-").split("-"))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(build_app()))
    for section in Settings.model_fields.values():
        names.update(part for key in getattr(section.annotation, "model_fields", {}) for part in key.split("_"))
    return names | {"appchat", "userid", "relay", "key", "webhook", "polling", "mode", "end", "day", "agreement", "monthly",
                     "quarterly", "annual", "chinese",
                     "draft", "published", "planned", "active", "closed"}


def test_every_help_is_chinese_in_chinese() -> None:
    pages = helps("zh_CN")
    assert len(pages) > 60  # every command and group
    allowed = _names()
    problems = {path: english_prose(text, allowed) for path, text in pages.items()}
    assert {path: words for path, words in problems.items() if words} == {}


def test_every_help_is_english_in_english() -> None:
    pages = helps("en")
    problems = {path: chinese_in(text) for path, text in pages.items()}
    assert {path: found for path, found in problems.items() if found} == {}


@pytest.mark.parametrize(("lang", "usage"), [("zh_CN.UTF-8", "用法："), ("en_US.UTF-8", "Usage:")])
def test_pairbot_follows_lang_when_app_locale_is_unset(lang: str, usage: str, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "LANG": lang, "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(usage)


def test_click_and_typer_words_follow_the_locale() -> None:
    import click.exceptions
    import typer.core

    from bot.cli.library_texts import install
    from bot.i18n import using

    install()
    with using("zh_CN"):
        assert typer.core._("Aborted!") == "已取消。"
        assert click.exceptions._("Missing argument") == "缺少参数"
    with using("en"):
        assert typer.core._("Aborted!") == "Aborted!"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_an_import_with_refused_rows_reports_in_the_cli_language(locale: str, tmp_path: Path) -> None:
    """English and Chinese values both read; refused rows named by row and column, in the operator's language."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PAIRBOT_APP__LOCALE": locale,
           "PAIRBOT_DATABASE__URL": f"sqlite:///{tmp_path / 'p.db'}"}

    def pairbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=120)

    assert pairbot("init").returncode == 0
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("name,credit_code,level,kind,province\n"
                    "中国扶贫基金会,53100000500021676K,national,foundation,北京\n"
                    "某协会,53100000500021676K,火星级,社会团体,四川\n", encoding="utf-8")
    result = pairbot("import", "orgs", str(orgs))
    assert result.returncode == 3, result.stderr  # a refused row: documented exit code 3
    output = result.stdout + result.stderr
    data = ["中国扶贫基金会", "某协会", "火星级", "北京", "四川", "社会团体"]
    if locale == "en":
        assert "row 3" in output and chinese_in(output, data) == []
    else:
        assert "第 3 行" in output and english_prose(output, {"national", "foundation", "csv", "orgs"}) == []
