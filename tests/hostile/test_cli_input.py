"""Absurd numbers on the command line: a usage error in Chinese (exit 2), never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.cli.common import ROW_ID_RANGE
from bot.db import make_engine
from models.base import MAX_ID
from models.messaging import InboundMessage
from tests.conftest import PG_ADMIN_URL
from tests.test_cli import pairbot

PAST_64_BITS = "99999999999999999999"


@pytest.fixture
def workdir(tmp_path: Path, db_url: str) -> tuple[Path, dict[str, str]]:
    env = {"PAIRBOT_DATABASE__URL": db_url}
    assert pairbot("init", cwd=tmp_path, env=env).returncode == 0
    return tmp_path, env


def test_the_command_line_bounds_row_numbers_like_the_tables() -> None:
    assert ROW_ID_RANGE == {"min": 1, "max": MAX_ID}


@pytest.mark.parametrize("args", [
    ("broadcast", "status", PAST_64_BITS),
    ("broadcast", "nudge", PAST_64_BITS),
    ("needs", "show", PAST_64_BITS),
    ("needs", "publish", "2147483648"),  # one past PostgreSQL's INTEGER
    ("needs", "close", PAST_64_BITS, "--reason", "测试"),
    ("needs", "match", PAST_64_BITS),
    ("projects", "show", PAST_64_BITS),
    ("projects", "done", PAST_64_BITS),
    ("agreement", "list", "--season", "-" + PAST_64_BITS),
])
def test_a_number_no_row_can_have_is_a_usage_error(
        workdir: tuple[Path, dict[str, str]], args: tuple[str, ...]) -> None:
    cwd, env = workdir
    result = pairbot(*args, cwd=cwd, env=env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "不在范围" in result.stderr


@pytest.mark.parametrize("io_encoding", ["utf-8:strict", ""])
def test_undecodable_bytes_typed_into_the_simulator_are_kept_visibly(
        workdir: tuple[Path, dict[str, str]], io_encoding: str) -> None:
    # A GBK paste into a UTF-8 terminal: the line is stored with its bytes as visible escapes and answered; the
    # session goes on (it was a UnicodeDecodeError, or an encode error in the database driver, and a traceback).
    cwd, env = workdir
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | env
    if io_encoding:
        environment["PYTHONIOENCODING"] = io_encoding
    typed = "你好".encode("gbk") + "，投入资金10万元\n帮助\n".encode()
    result = subprocess.run([sys.executable, "-m", "bot", "simulate"], cwd=cwd, env=environment, input=typed,
                            capture_output=True, timeout=120)
    out, err = result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0, err
    assert "Traceback" not in out + err and out.count("🤖") >= 2
    engine = make_engine(env["PAIRBOT_DATABASE__URL"])
    try:
        with Session(engine) as session:
            texts = [row.text for row in session.exec(select(InboundMessage).order_by(InboundMessage.id))]
    finally:
        engine.dispose()
    assert texts[0] == "\\udcc4\\udce3\\udcba\\udcc3，投入资金10万元" and texts[1] == "帮助"


def _run(*args: str, cwd: Path, url: str) -> subprocess.CompletedProcess[str]:
    return pairbot(*args, cwd=cwd, env={"PAIRBOT_DATABASE__URL": url, "PAIRBOT_WEB__PORT": "0"})


def test_a_directory_given_as_the_config_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    result = pairbot("--config", "conf", "ledger", "totals", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "配置文件 conf 无法读取：这是一个目录，不是文件" in result.stderr


@pytest.mark.parametrize("args", [("init",), ("ledger", "totals"), ("run", "--no-console")])
def test_a_database_that_cannot_be_opened_is_a_chinese_refusal(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = _run(*args, cwd=tmp_path, url=f"sqlite:///{tmp_path / 'no-such-folder' / 'pairbot.db'}")
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
    assert "无法使用数据库" in result.stderr and "[database] url" in result.stderr


@pytest.mark.parametrize("args", [("ledger", "totals"), ("contacts", "list"), ("run", "--no-console"), ("scheduler",)])
def test_a_database_never_initialised_says_to_run_init(tmp_path: Path, args: tuple[str, ...]) -> None:
    # Every command failed with a traceback (no such table); `pairbot run` started its threads, logged
    # tracebacks and blamed the WeCom settings.
    result = _run(*args, cwd=tmp_path, url=f"sqlite:///{tmp_path / 'empty.db'}")
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
    assert "pairbot init" in result.stderr and "企业微信" not in result.stderr


def test_a_postgresql_database_that_does_not_exist_is_a_chinese_refusal(tmp_path: Path) -> None:
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/pairbot_no_such_database"
    result = _run("ledger", "totals", cwd=tmp_path, url=url)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "无法使用数据库" in result.stderr


@pytest.mark.parametrize(("target", "reason"), [("folder.xlsx", "这是一个目录，不是文件"), ("a" * 300 + ".xlsx", "文件名太长")])
def test_an_export_that_cannot_be_written_says_why(tmp_path: Path, sqlite_url: str, target: str, reason: str) -> None:
    # Both were tracebacks (IsADirectoryError on the final rename, OSError on a name past the file system's limit).
    (tmp_path / "folder.xlsx").mkdir()
    env = {"PAIRBOT_DATABASE__URL": sqlite_url}
    result = pairbot("export", "--out", target, "--force", cwd=tmp_path, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"无法写入 {target}：{reason}" in result.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


@pytest.mark.parametrize("args", [("import", "orgs", "a" * 300 + ".csv"), ("--config", "a" * 300 + ".toml", "ledger", "totals")])
def test_a_file_name_too_long_for_the_file_system_is_named(tmp_path: Path, sqlite_url: str, args: tuple[str, ...]) -> None:
    result = pairbot(*args, cwd=tmp_path, env={"PAIRBOT_DATABASE__URL": sqlite_url})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "无法访问 aaaa" in result.stderr and "文件名太长" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("contacts", "show", "²"), "没有名为“²”的联系人"),  # str.isdigit() says yes, int() said ValueError
    (("contacts", "show", "9999999999"), "没有编号为 9999999999 的联系人"),  # past PostgreSQL's INTEGER
    (("groups", "tag", "9999999999", "县联络员"), "没有找到群“9999999999”"),
    (("simulate", "--as", PAST_64_BITS), "未找到联系人"),
])
def test_a_contact_or_group_number_no_row_can_have_is_not_found(
        workdir: tuple[Path, dict[str, str]], args: tuple[str, ...], message: str) -> None:
    cwd, env = workdir
    result = pairbot(*args, cwd=cwd, env=env, stdin=":quit\n")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-600:]
    assert message in result.stderr
