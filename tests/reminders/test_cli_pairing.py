"""`pairbot pairing …`: a pairing's life with reasons and days, 组团式 groups, types, refusals and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from bot.db import make_engine
from models.messaging import AuditLog
from sqlmodel import Session, select
from tests.factories import CODES, add_org
from tests.reminders.test_cli_reminders import pairbot
from tests.test_cli import workdir  # noqa: F401  (fixture: a database made by `pairbot init`)

ORGS = ("中国扶贫基金会", "中国教育发展基金会", "中国青少年发展基金会")


def _orgs(url: str) -> None:
    engine = make_engine(url)
    for name, code in zip(ORGS, CODES):
        add_org(engine, name, code)
    engine.dispose()


def _show(cwd: Path, env: dict[str, str], ref: str) -> dict:  # type: ignore[type-arg]
    result = pairbot("pairing", "show", ref, "--json", cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_pairing_is_added_suspended_resumed_and_ended_with_its_history(workdir) -> None:  # noqa: F811
    cwd, env = workdir
    _orgs(env["PAIRBOT_DATABASE__URL"])
    added = pairbot("pairing", "add", "--org", ORGS[0], "--county", "布拖县", "--reason", "省厅安排", cwd=cwd, env=env)
    assert added.returncode == 0 and added.stdout.startswith("已新增结对 #"), added.stderr
    ref = f"{ORGS[0]}/布拖县"
    for action, reason in (("suspend", "组织换届"), ("resume", "换届完成"), ("end", "协议到期")):
        result = pairbot("pairing", action, ref, "--reason", reason, "--date", "2026-11-20", cwd=cwd, env=env)
        assert result.returncode == 0, result.stderr
    shown = _show(cwd, env, ref)
    assert shown["status"] == "已结束"
    assert [line.split(" ", 1)[1] for line in shown["history"]] == [
        "结对中（省厅安排） cli", "结对中→暂停（组织换届） cli", "暂停→结对中（换届完成） cli", "结对中→已结束（协议到期） cli"]
    assert shown["history"][1].startswith("2026-11-20")
    engine = make_engine(env["PAIRBOT_DATABASE__URL"])
    with Session(engine) as session:
        actions = [a.action for a in session.exec(select(AuditLog).where(AuditLog.target == f"pairing:{shown['id']}"))]
    engine.dispose()
    assert actions == ["pairing.active", "pairing.suspended", "pairing.active", "pairing.ended"]


def test_replacing_a_group_leader_passes_the_lead_and_types_show(workdir) -> None:  # noqa: F811
    cwd, env = workdir
    _orgs(env["PAIRBOT_DATABASE__URL"])
    for org, leading in ((ORGS[0], True), (ORGS[1], False)):
        args = ["--leading"] if leading else []
        assert pairbot("pairing", "add", "--org", org, "--county", "布拖县", "--reason", "组团帮扶", "--group",
                       "凉山教育组团", *args, cwd=cwd, env=env).returncode == 0
    assert pairbot("pairing", "add", "--org", ORGS[1], "--county", "昭觉县", "--reason", "一对多",
                   cwd=cwd, env=env).returncode == 0
    listed = json.loads(pairbot("pairing", "list", "--json", cwd=cwd, env=env).stdout)
    assert {(r["organization"], r["county"]): r["type"] for r in listed} == {
        (ORGS[0], "布拖县"): "组团式（牵头）", (ORGS[1], "布拖县"): "组团式", (ORGS[1], "昭觉县"): "一对多"}
    replaced = pairbot("pairing", "replace", f"{ORGS[0]}/布拖县", "--org", ORGS[2], "--reason", "原牵头单位退出",
                       cwd=cwd, env=env)
    assert replaced.returncode == 0 and "接替" in replaced.stdout, replaced.stderr
    successor = _show(cwd, env, f"{ORGS[2]}/布拖县")
    assert successor["type"] == "组团式（牵头）" and successor["group"] == "凉山教育组团"
    assert "接替中国扶贫基金会：原牵头单位退出" in successor["history"][0]
    assert "由中国青少年发展基金会接替" in _show(cwd, env, f"{ORGS[0]}/布拖县")["history"][-1]


def test_refusals_are_chinese_and_exit_non_zero(workdir) -> None:  # noqa: F811
    cwd, env = workdir
    _orgs(env["PAIRBOT_DATABASE__URL"])
    pairbot("pairing", "add", "--org", ORGS[0], "--county", "513429", "--reason", "安排", cwd=cwd, env=env)
    ref = f"{ORGS[0]}/布拖县"
    cases = [
        (("pairing", "resume", ref, "--reason", "x"), 1, "当前为结对中，不能恢复"),
        (("pairing", "end", ref, "--reason", "  "), 1, "请写明原因"),
        (("pairing", "end", ref, "--reason", "x", "--date", "2999-01-01"), 1, "晚于今天"),
        (("pairing", "end", ref, "--reason", "x", "--date", "31/12/2026"), 2, "YYYY-MM-DD 格式"),
        (("pairing", "end", "999999", "--reason", "x"), 1, "没有编号为 999999 的结对"),
        (("pairing", "end", "99999999999999999999999", "--reason", "x"), 1, "不是结对编号"),
        (("pairing", "add", "--org", ORGS[0], "--county", "布拖县", "--reason", "x"), 1, "已有结对"),
        (("pairing", "add", "--org", "不存在的组织", "--county", "布拖县", "--reason", "x"), 1, "找不到社会组织"),
        (("pairing", "list", "--status", "乱写"), 1, "无法识别"),  # 进行中 is a synonym of 结对中 (bot/vocabulary.py)
    ]
    for args, code, message in cases:
        result = pairbot(*args, cwd=cwd, env=env)
        assert result.returncode == code and message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_a_change_may_not_take_effect_before_the_change_it_follows(workdir) -> None:  # noqa: F811
    cwd, env = workdir
    _orgs(env["PAIRBOT_DATABASE__URL"])
    pairbot("pairing", "add", "--org", ORGS[0], "--county", "昭觉县", "--reason", "安排", cwd=cwd, env=env)
    ref = f"{ORGS[0]}/昭觉县"
    suspended = pairbot("pairing", "suspend", ref, "--reason", "测试暂停", "--date", "2026-11-01", cwd=cwd, env=env)
    assert suspended.returncode == 0, suspended.stderr  # the undated add says since when it is known, not bound
    early = pairbot("pairing", "resume", ref, "--reason", "恢复", "--date", "2026-10-01", cwd=cwd, env=env)
    assert early.returncode == 1 and "生效日期 2026-10-01 早于上一次变更的生效日期 2026-11-01" in early.stderr, early.stderr
    assert _show(cwd, env, ref)["status"] == "暂停"
    same_day = pairbot("pairing", "resume", ref, "--reason", "恢复", "--date", "2026-11-01", cwd=cwd, env=env)
    assert same_day.returncode == 0, same_day.stderr
    assert pairbot("pairing", "suspend", ref, "--reason", "再次暂停", cwd=cwd, env=env).returncode == 0  # today
    undated_before = pairbot("pairing", "resume", ref, "--reason", "恢复", "--date", "2026-11-02", cwd=cwd, env=env)
    assert undated_before.returncode == 1 and "早于上一次变更的生效日期" in undated_before.stderr
    assert [line[:10] for line in _show(cwd, env, ref)["history"][1:3]] == ["2026-11-01", "2026-11-01"]


def test_a_reason_over_500_characters_is_refused_not_cut(workdir) -> None:  # noqa: F811
    cwd, env = workdir
    _orgs(env["PAIRBOT_DATABASE__URL"])
    pairbot("pairing", "add", "--org", ORGS[0], "--county", "布拖县", "--reason", "安排", cwd=cwd, env=env)
    ref = f"{ORGS[0]}/布拖县"
    too_long = pairbot("pairing", "suspend", ref, "--reason", "因" * 3000, cwd=cwd, env=env)
    assert too_long.returncode == 1 and "原因最多 500 字（实际 3000 字）" in too_long.stderr, too_long.stderr
    assert _show(cwd, env, ref)["status"] == "结对中"
    whole = pairbot("pairing", "suspend", ref, "--reason", "因" * 500, cwd=cwd, env=env)
    assert whole.returncode == 0, whole.stderr
    assert f"（{'因' * 500}）" in _show(cwd, env, ref)["history"][-1]


def test_a_replacements_reason_is_refused_when_the_names_around_it_would_not_fit(workdir) -> None:  # noqa: F811
    cwd, env = workdir
    _orgs(env["PAIRBOT_DATABASE__URL"])
    pairbot("pairing", "add", "--org", ORGS[0], "--county", "布拖县", "--reason", "安排", cwd=cwd, env=env)
    ref = f"{ORGS[0]}/布拖县"
    # “由中国青少年发展基金会接替：” is 14 characters of the 512 a history note holds
    too_long = pairbot("pairing", "replace", ref, "--org", ORGS[2], "--reason", "因" * 500, cwd=cwd, env=env)
    assert too_long.returncode == 1 and "原因最多 498 字（实际 500 字）" in too_long.stderr, too_long.stderr
    assert _show(cwd, env, ref)["status"] == "结对中"
    fits = pairbot("pairing", "replace", ref, "--org", ORGS[2], "--reason", "因" * 498, cwd=cwd, env=env)
    assert fits.returncode == 0, fits.stderr
    assert _show(cwd, env, f"{ORGS[2]}/布拖县")["history"][0].endswith(f"（接替{ORGS[0]}：{'因' * 498}） cli")
