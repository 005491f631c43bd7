"""The `pairbot` command line, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import wait_serving
from tests.factories import CODES

REPO = Path(__file__).resolve().parents[1]


def pairbot(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None,
            ) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | (env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=environment, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def workdir(tmp_path: Path, db_url: str) -> tuple[Path, dict[str, str]]:
    env = {"PAIRBOT_DATABASE__URL": db_url}
    result = pairbot("init", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "首个管理员邀请码" in result.stdout
    return tmp_path, env


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = pairbot("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("init", "run", "import", "invite", "parse", "simulate"):
        assert command in result.stdout


def test_init_is_safe_to_run_again(workdir: tuple[Path, dict[str, str]]) -> None:
    cwd, env = workdir
    result = pairbot("init", cwd=cwd, env=env)
    assert result.returncode == 0 and "未变 97" in result.stdout and "邀请码" not in result.stdout


def test_invite_json_and_refusals(workdir: tuple[Path, dict[str, str]]) -> None:
    cwd, env = workdir
    result = pairbot("invite", "--role", "county", "--county", "513429", "--json", cwd=cwd,
                     env=env | {"PAIRBOT_TELEGRAM__BOT_USERNAME": "pairbot_test_bot"})
    data = json.loads(result.stdout)
    assert len(data["code"]) == 8 and data["expires_at"].endswith("+08:00")
    assert data["telegram_link"] == f"https://t.me/pairbot_test_bot?start={data['code']}"
    refused = pairbot("invite", "--role", "organization", "--organization", "无此组织", cwd=cwd, env=env)
    assert refused.returncode == 2 and "未找到社会组织“无此组织”" in refused.stderr
    missing = pairbot("invite", "--role", "county", cwd=cwd, env=env)
    assert missing.returncode == 2 and "--county" in missing.stderr


def test_import_prints_problems_and_a_summary(workdir: tuple[Path, dict[str, str]]) -> None:
    cwd, env = workdir
    (cwd / "orgs.csv").write_text(f"name,credit_code\n甲基金会,{CODES[0]}\n乙基金会,123\n", encoding="utf-8")
    result = pairbot("import", "orgs", "orgs.csv", cwd=cwd, env=env)
    assert result.returncode == 3  # a row was refused
    assert "orgs.csv 第 3 行，列 credit_code（统一社会信用代码）" in result.stderr
    assert "新增 1，更新 0，未变 0，拒绝 1" in result.stdout
    partial = pairbot("import", "organizations", "orgs.csv", "--allow-partial", cwd=cwd, env=env)
    assert partial.returncode == 0 and "新增 0，更新 0，未变 1，拒绝 1" in partial.stdout
    (cwd / "bad.csv").write_text("name,credit_code\n乙基金会,123\n", encoding="utf-8")
    assert pairbot("import", "orgs", "bad.csv", "--allow-partial", cwd=cwd, env=env).returncode == 3  # none imported
    absent = pairbot("import", "orgs", "nope.csv", cwd=cwd, env=env)
    assert absent.returncode == 1 and "文件不存在" in absent.stderr


def test_an_interrupted_import_keeps_whole_batches_and_says_how_far_it_got(workdir: tuple[Path, dict[str, str]],
                                                                           db_url: str) -> None:
    """Ctrl-C during `pairbot import contacts`: the batch being written is finished, every committed row is whole
    (a contact with its accounts), the CLI says how many rows were saved and exits 130; importing the same file again
    goes on from there."""
    import signal
    import time

    from sqlalchemy import create_engine, text

    from bot.db import normalize_url

    cwd, env = workdir
    rows = 60_000
    (cwd / "c.csv").write_text("name,role,county,telegram_id\n" + "".join(
        f"联络员{n},county,布拖县,{10_000_000 + n}\n" for n in range(rows)), encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | env
    child = subprocess.Popen([sys.executable, "-m", "bot", "import", "contacts", "c.csv"], cwd=cwd, env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    database = create_engine(normalize_url(db_url))

    def counts() -> tuple[int, int]:
        with database.connect() as connection:
            return connection.execute(text("SELECT (SELECT count(*) FROM contact), "
                                           "(SELECT count(*) FROM channelidentity)")).one()  # type: ignore[return-value]

    deadline = time.monotonic() + 60
    while counts()[0] == 0 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    contacts, identities = counts()
    database.dispose()
    assert child.returncode == 130, (out, err)
    assert 0 < contacts < rows and contacts == identities  # whole batches: each contact with its account
    assert f"导入已中断：前 {contacts:,} 行已处理并保存" in err
    again = pairbot("import", "contacts", "c.csv", cwd=cwd, env=env)
    assert again.returncode == 0, again.stderr
    assert f"新增 {rows - contacts}，更新 0，未变 {contacts}，拒绝 0" in again.stdout


def test_simulator_session_binds_and_records(workdir: tuple[Path, dict[str, str]]) -> None:
    cwd, env = workdir
    code = json.loads(pairbot("invite", "--role", "county", "--county", "布拖县", "--name", "阿木", "--json",
                              cwd=cwd, env=env).stdout)["code"]
    script = f"你好\n绑定 {code}\n投入资金20万元，带动38户\n撤回\n:quit\n"
    result = pairbot("simulate", cwd=cwd, env=env, stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("绑定 邀请码") < out.index("绑定成功") < out.index("已记录") < out.index("已撤回")
    as_contact = pairbot("simulate", "--as", "阿木", cwd=cwd, env=env, stdin="我是谁\n")
    assert "阿木，县联络员（四川省布拖县）" in as_contact.stdout


def test_parse_prints_one_json_object(tmp_path: Path) -> None:
    result = pairbot("parse", "投入帮扶资金20万元，带动38户增收", cwd=tmp_path)
    data = json.loads(result.stdout)
    assert data["funds_wan"] == 20 and data["households"] == 38
    assert set(data) == {"funds_wan", "committed_wan", "sales_wan", "households", "people", "projects", "fields",
                         "cumulative", "flags"} and data["cumulative"] == [] and data["flags"] == []


def test_parse_names_why_the_bot_would_send_it_to_review(tmp_path: Path) -> None:
    negative = json.loads(pairbot("parse", "投入资金-5万元，带动38户", cwd=tmp_path).stdout)
    assert negative["funds_wan"] == -5 and negative["flags"] == ["投入资金为负数"]
    nothing = json.loads(pairbot("parse", "你好", cwd=tmp_path).stdout)
    assert nothing["flags"] == ["未识别出数字或帮扶领域"]


def test_bad_config_is_refused_with_the_key(tmp_path: Path) -> None:
    result = pairbot("init", cwd=tmp_path, env={"PAIRBOT_DATABASE__URL": "mysql://x"})
    assert result.returncode == 2 and "[database] url" in result.stderr and "PAIRBOT_DATABASE__URL" in result.stderr


def test_run_serves_healthz(workdir: tuple[Path, dict[str, str]]) -> None:
    import socket

    cwd, env = workdir
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | env | {
        "PAIRBOT_WEB__PORT": str(port)}
    server = subprocess.Popen([sys.executable, "-m", "bot", "run", "--no-console"], cwd=cwd, env=environment,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        response = wait_serving(port, server)
        assert response.status_code == 200 and response.json()["database"] == response.json()["inbox"] == "ok"
        server.terminate()
        assert server.wait(timeout=30) == 0, "SIGTERM should stop pairbot run cleanly (exit 0)"
    finally:
        if server.poll() is None:
            server.kill()


def test_an_error_raised_while_cleaning_up_after_ctrl_c_counts_as_the_interrupt() -> None:
    """Ctrl-C inside a database call leaves the driver mid-query; the clean-up raises its own error with the
    KeyboardInterrupt as context, and the CLI must still say "interrupted" (exit 130), not print a traceback."""
    from bot.cli.common import interrupted

    def cleanup_after_interrupt() -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise RuntimeError("can't change 'autocommit' now: connection in transaction status ACTIVE")

    with pytest.raises(RuntimeError) as caught:
        cleanup_after_interrupt()
    assert interrupted(caught.value)
    assert not interrupted(RuntimeError("database gone"))
