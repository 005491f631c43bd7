"""The administrators' daily digest (每日待办) and `pairbot review pending`: what waits in their provinces,
once a day from `[reminders] digest_time`, never in quiet hours, never twice, never empty."""

from __future__ import annotations

import json
from datetime import time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.db import unit_of_work
from models.messaging import Delivery
from models.registry import ChannelIdentity, Contact
from models.reminders import DAILY, ObligationKind
from models.services.digest import build_digest
from models.services.ledger import Scope
from models.services.registry import pause_contact
from models.services.reminders import Due, Policy, plan_reminders, queue_reminders
from models.services.reports import record_update
from tests.reminders.test_cli_reminders import pairbot
from tests.reminders.world import SHANGHAI, local
from tests.review.seed import NOW, Ledger, seed

URL = "https://pairbot.example.cn/review"
POLICY = Policy(zone=SHANGHAI, digest_time=time(9, 0), review_url=URL)


@pytest.fixture
def ledger(engine: Engine) -> Ledger:
    """The review pages' ledger (2026-11-20; 四川 and 广西; `engine` is the suite's App's), with chats for both admins, 阿木's chat refused by
    the platform, and 张敏 (paired in both provinces) having sent 退订."""
    ledger = seed(engine)
    zhangmin = _id(engine, "张敏")
    with unit_of_work(engine) as session:
        for contact_id in (ledger.admin, ledger.gx_admin, zhangmin):
            session.add(ChannelIdentity(contact_id=contact_id, channel="console", external_id=f"c{contact_id}"))
        session.add(ChannelIdentity(contact_id=ledger.county_contact, channel="console", external_id="amu",
                                    unreachable_since=NOW - timedelta(days=4)))
        pause_contact(session, session.get(Contact, zhangmin), "test", NOW - timedelta(days=5))  # type: ignore[arg-type]
    return ledger


def _id(engine: Engine, name: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Contact.id).where(Contact.name == name)).one()  # type: ignore[return-value]


def _digests(engine: Engine, at: str, policy: Policy = POLICY) -> dict[str, Due]:
    with Session(engine) as session:
        return {d.contact_name: d for d in plan_reminders(session, local(at), policy)
                if d.obligation == ObligationKind.digest}


def test_the_digest_names_what_waits_in_the_admins_provinces(engine: Engine, ledger: Ledger) -> None:
    with Session(engine) as session:
        everything = build_digest(session, Scope(), NOW, SHANGHAI, review_url=URL)
        guangxi = build_digest(session, Scope(("广西壮族自治区",)), NOW, SHANGHAI, review_url=URL)
        yunnan = build_digest(session, Scope(("云南省",)), NOW, SHANGHAI, review_url=URL)
    assert (everything.flagged, everything.flagged_new) == (2, None)
    assert [c.name for c in everything.overdue] == ["马山县", "布拖县"]  # 昭觉县: agreement signed, updated lately
    assert [p.name for p in everything.unreachable] == ["阿木"] and [p.name for p in everything.paused] == ["张敏"]
    lines = everything.text().splitlines()
    assert lines[0] == "【每日待办】2026年11月20日 · 全部省份"
    assert lines[1] == "· 待审核进展 2 条"
    assert lines[2].startswith("· 有逾期事项的县 2 个：广西壮族自治区马山县（协议逾期 1") and "、四川省布拖县（协议逾期 1" in lines[2]
    assert lines[3] == "· 无法送达的联系人 1 位：阿木（县联络员（四川省布拖县））"
    assert lines[4] == "· 已退订提醒的联系人 1 位：张敏（社会组织联络人（中国乡村发展基金会））"
    assert lines[5] == f"审核页面：{URL}/queue（在与机器人的私聊中发送“登录”获取一次性登录链接）"

    # 广西: 马山县 only; 阿木 and the flagged updates are in 四川; 张敏 works in both.
    assert guangxi.flagged == 0 and [c.name for c in guangxi.overdue] == ["马山县"] and not guangxi.unreachable
    assert [p.name for p in guangxi.paused] == ["张敏"] and "布拖" not in guangxi.text()
    assert "· 有逾期事项的县 1 个：马山县（" in guangxi.text()  # one province: the county name is enough
    assert yunnan.empty and "暂无待办事项" in yunnan.text()
    data = guangxi.as_dict(SHANGHAI)
    assert data["provinces"] == ["广西壮族自治区"] and data["overdue_counties"][0]["county"] == "马山县"
    assert data["paused"][0]["since"] == "2026-11-15T10:00+08:00" and data["empty"] is False


def test_the_daily_digest_goes_once_a_day_after_quiet_hours(engine: Engine, ledger: Ledger) -> None:
    assert _digests(engine, "2026-11-20 07:30") == {}  # quiet hours
    assert _digests(engine, "2026-11-20 08:30") == {}  # before digest_time
    first = _digests(engine, "2026-11-20 09:00")
    assert sorted(first) == ["李处长", "王主任"]  # both admins have something; 张敏's pause is no admin's own
    assert {(d.stage, d.period, d.due_on) for d in first.values()} == {(DAILY, "2026-11-20", None)}
    assert "广西壮族自治区" in first["李处长"].text and "布拖" not in first["李处长"].text
    with unit_of_work(engine) as session:
        written = queue_reminders(session, list(first.values()), local("2026-11-20 09:00"))
    with unit_of_work(engine) as session:  # a second scheduler with the same plan writes nothing
        assert queue_reminders(session, list(first.values()), local("2026-11-20 09:00")) == []
    assert len(written) == 2
    assert _digests(engine, "2026-11-20 15:00") == {}  # once a day

    with unit_of_work(engine) as session:  # a new flagged update after the digest, then 李处长 sends 退订
        record_update(session, session.get(Contact, ledger.county_contact), "本月投入资金30亿元。", "console",  # type: ignore[arg-type]
                      local("2026-11-20 12:00"))
        pause_contact(session, session.get(Contact, ledger.gx_admin), "test", local("2026-11-20 13:00"))  # type: ignore[arg-type]
    second = _digests(engine, "2026-11-23 09:01")  # Monday: nothing goes out on the weekend
    assert list(second) == ["王主任"]  # the paused admin gets no digest
    assert "· 待审核进展 3 条（自上次摘要以来新增 1 条）" in second["王主任"].text

    with Session(engine) as session:
        sent = session.exec(select(Delivery).where(Delivery.contact_id == ledger.admin)).all()
    assert [d.chat_id for d in sent] == [f"c{ledger.admin}"] and sent[0].dedupe_key.startswith("reminder:digest:")
    assert "/review/login/" not in sent[0].text  # the digest says how to get a link; it never carries one


def test_a_digest_time_inside_quiet_hours_waits_for_their_end(engine: Engine, ledger: Ledger) -> None:
    evening = Policy(zone=SHANGHAI, digest_time=time(22, 30), review_url=URL)
    assert _digests(engine, "2026-11-20 07:59", evening) == {}
    assert sorted(_digests(engine, "2026-11-20 08:00", evening)) == ["李处长", "王主任"]
    assert _digests(engine, "2026-11-20 09:00", Policy(zone=SHANGHAI)) == {}  # no digest_time: no digest
    with unit_of_work(engine) as session:  # an admin of a province with nothing waiting gets nothing
        session.add(Contact(name="云南管理员", role="admin", provinces=["云南省"]))
    assert "云南管理员" not in _digests(engine, "2026-11-20 09:00")


def test_review_pending_prints_the_digest_and_reminders_due_lists_it(tmp_path: Path, db_url: str,
                                                                      engine: Engine, ledger: Ledger) -> None:
    env = {"PAIRBOT_DATABASE__URL": db_url, "PAIRBOT_WEB__BASE_URL": "https://pairbot.example.cn"}
    shown = pairbot("review", "pending", cwd=tmp_path, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "· 待审核进展 2 条" in shown.stdout and "阿木" in shown.stdout and "张敏" in shown.stdout
    assert "https://pairbot.example.cn/review/queue" in shown.stdout
    guangxi = json.loads(pairbot("review", "pending", "--province", "广西", "--json", cwd=tmp_path, env=env).stdout)
    assert guangxi["provinces"] == ["广西壮族自治区"] and guangxi["flagged"] == 0 and guangxi["unreachable"] == []
    assert [p["name"] for p in guangxi["paused"]] == ["张敏"]
    refused = pairbot("review", "pending", "--province", "火星", cwd=tmp_path, env=env)
    assert refused.returncode == 1 and "未找到省份“火星”" in refused.stderr

    due = json.loads(pairbot("reminders", "due", "--at", "2026-11-20T09:30", cwd=tmp_path, env=env).stdout)
    digests = [d for d in due if d["kind"] == "digest"]
    assert sorted(d["contact"] for d in digests) == ["李处长", "王主任"]
    assert {(d["stage"], d["period"], d["channel"]) for d in digests} == {("daily", "2026-11-20", "console")}
