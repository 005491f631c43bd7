"""Absurd numbers on the command line: a usage error in Chinese (exit 2), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.common import ROW_ID_RANGE
from models.base import MAX_ID
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
