"""`pairbot agreement record` and `pairbot agreement list`: outcomes, exit codes, and seasons in `reminders due`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bot.db import make_engine, unit_of_work
from models.base import utcnow
from models.pairing import Pairing, PairingStatus
from models.registry import Role
from models.services.registry import set_pairing_status
from tests.factories import CODES, add_org, county_id, pair
from tests.reminders.test_cli_reminders import pairbot
from tests.reminders.world import SHANGHAI, add_contact
from tests.test_cli import workdir  # noqa: F401  (fixture: a database made by `pairbot init`)

ORG = "中国自动化学会"


def _setup(url: str) -> None:
    """One active pairing (布拖县) with both contacts, and an ended one (昭觉县)."""
    engine = make_engine(url)
    org = add_org(engine, ORG, CODES[3])
    butuo = county_id(engine, "布拖县")
    pair(engine, org, butuo)
    ended = pair(engine, org, county_id(engine, "昭觉县"))
    with unit_of_work(engine) as session:
        set_pairing_status(session, session.get(Pairing, ended), PairingStatus.ended, "test")  # type: ignore[arg-type]
    add_contact(engine, "王芳", Role.organization, org=org)
    add_contact(engine, "阿木", Role.county, county=butuo)
    engine.dispose()


def _record(cwd: Path, env: dict[str, str], *args: str, county: str = "布拖县"):  # type: ignore[no-untyped-def]
    return pairbot("agreement", "record", "--organization", ORG, "--county", county, *args, cwd=cwd, env=env)


def _owing(cwd: Path, env: dict[str, str], at: str, name: str) -> list[str]:
    due = pairbot("reminders", "due", "--at", at, cwd=cwd, env=env)
    assert due.returncode == 0, due.stderr
    return sorted(r["contact"] for r in json.loads(due.stdout) if r["obligation"] == name)


def test_record_amend_and_list(workdir: tuple[Path, dict[str, str]]) -> None:  # noqa: F811
    cwd, env = workdir
    _setup(env["PAIRBOT_DATABASE__URL"])
    assert pairbot("cycles", "add", "2027协议", "--kind", "agreement", "--due", "2027-08-31", cwd=cwd,
                   env=env).returncode == 0

    created = _record(cwd, env, "--signed", "2026-08-20", "--amount", "30", "--document", "川-2026-01")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("已登记") and "2026 年度" in created.stdout and "30 万元" in created.stdout
    # A 2026-season agreement does not meet the 2027 deadline: its reminders go on.
    assert _owing(cwd, env, "2027-08-24T10:00", "2027协议") == ["王芳", "阿木"]

    again = _record(cwd, env, "--signed", "2026-08-20", "--amount", "30")
    assert again.returncode == 0 and again.stdout.startswith("已存在，未改动")
    amended = _record(cwd, env, "--signed", "2026-08-25", "--amount", "31")
    assert amended.returncode == 0, amended.stderr
    assert amended.stdout.startswith("已修订") and "原版本（2026-08-20 签订，协议金额 30 万元" in amended.stdout
    assert "协议金额 31 万元" in amended.stdout and "不累加" in amended.stdout

    next_season = _record(cwd, env, "--signed", "2026-11-20", "--amount", "50")  # after 31 August: season 2027
    assert next_season.returncode == 0 and "2027 年度" in next_season.stdout
    assert _owing(cwd, env, "2027-08-24T10:00", "2027协议") == []

    listed = pairbot("agreement", "list", "--json", cwd=cwd, env=env)
    assert listed.returncode == 0, listed.stderr
    assert [(r["season"], r["amount_wan"], r["current"]) for r in json.loads(listed.stdout)] == [
        (2027, 50, True), (2026, 31, True)]
    history = json.loads(pairbot("agreement", "list", "--json", "--history", "--season", "2026", cwd=cwd,
                                 env=env).stdout)
    assert [(r["signed_on"], r["amount_wan"], r["current"], r["document"]) for r in history] == [
        ("2026-08-25", 31, True, "川-2026-01"), ("2026-08-20", 30, False, "川-2026-01")]
    text = pairbot("agreement", "list", "--history", "--county", "布拖县", cwd=cwd, env=env).stdout
    assert "（已被 2026-08-25 签订的版本取代）" in text and "四川省布拖县 2027 年度" in text


def test_refusals_exit_2_with_the_reason(workdir: tuple[Path, dict[str, str]]) -> None:  # noqa: F811
    cwd, env = workdir
    _setup(env["PAIRBOT_DATABASE__URL"])
    future = (utcnow().astimezone(SHANGHAI).date() + timedelta(days=5)).isoformat()
    for args, county, message in (
        (("--signed", "2026-08-20"), "昭觉县", "状态为“已结束”"),
        (("--signed", "2026-08-20"), "无此县", "未找到县“无此县”"),
        (("--signed", "2026-08-20"), "美姑县", "没有结对关系"),
        (("--signed", "2026-08-20", "--amount", "nan"), "布拖县", "协议金额应为 0 到 1,000,000 万元"),
        (("--signed", "2026-08-20", "--amount", "2000000"), "布拖县", "协议金额应为"),
        (("--signed", "2026-08-20", "--season", "1990"), "布拖县", "不早于 2000 年"),
        (("--signed", "2026-08-20", "--season", "2030"), "布拖县", "相差超过一年"),
        (("--signed", future), "布拖县", "晚于今天"),
        (("--signed", "8月20日"), "布拖县", "YYYY-MM-DD"),
    ):
        refused = _record(cwd, env, *args, county=county)
        assert refused.returncode == 2 and message in refused.stderr, (args, refused.stderr)
    unknown = pairbot("agreement", "record", "--organization", "无此组织", "--county", "布拖县", "--signed",
                      "2026-08-20", cwd=cwd, env=env)
    assert unknown.returncode == 2 and "未登记：未找到社会组织“无此组织”" in unknown.stderr
    assert json.loads(pairbot("agreement", "list", "--json", "--history", cwd=cwd, env=env).stdout) == []
    bad_list = pairbot("agreement", "list", "--organization", "无此组织", cwd=cwd, env=env)
    assert bad_list.returncode == 2 and "未找到社会组织" in bad_list.stderr
