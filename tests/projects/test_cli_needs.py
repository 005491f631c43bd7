"""`pairbot needs …` and `pairbot projects …` as an operator runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.db import unit_of_work
from models.messaging import Delivery
from models.pairing import Project
from models.projects import Need, NeedStatus
from models.registry import Contact
from models.reporting import ProgressUpdate
from models.services import needs
from models.services.ledger import Scope
from models.services.needs import NeedFields
from tests.projects.runner import pairbot
from tests.projects.world import World

NOW = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)


def _need(engine: Engine, world: World, *, publish: bool = True, county: int | None = None, **values: object) -> int:
    fields = NeedFields(**{"field": "教育", "description": "图书室建设，惠及全县小学", "amount_wan": 80, **values})  # type: ignore[arg-type]
    with unit_of_work(engine) as session:
        need_id = needs.create_need(session, county or world.county, fields, "test").id
    if publish:
        with unit_of_work(engine) as session:
            needs.publish(session, Scope(), need_id, "admin", NOW)  # type: ignore[arg-type]
    return need_id  # type: ignore[return-value]


def _project(engine: Engine, world: World) -> int:
    need_id = _need(engine, world)
    with unit_of_work(engine) as session:
        claim = needs.claim(session, session.get(Contact, world.paired_contact), need_id, NOW)  # type: ignore[arg-type]
    with unit_of_work(engine) as session:
        return needs.confirm(session, session.get(Contact, world.county_contact), claim.id, NOW).id  # type: ignore[arg-type, return-value]


def _deliveries(engine: Engine, chat: str) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.chat_id == chat).order_by(Delivery.id)).all())


def test_list_and_show_print_json_that_parses(db_url: str, engine: Engine, world: World, tmp_path: Path) -> None:
    first = _need(engine, world)
    draft = _need(engine, world, publish=False, field="产业", description="冷链仓储设备，服务全县果蔬合作社", households=38)
    _need(engine, world, publish=False, county=world.other_county, description="昭觉县的需求")
    listed = pairbot(db_url, tmp_path, "needs", "list", "--json")
    assert listed.code == 0, listed.err
    rows = json.loads(listed.out)
    assert [r["id"] for r in rows] == [3, draft, first]
    assert rows[1] | {"created_at": None} == {
        "id": draft, "province": "四川省", "county": "布拖县", "county_code": "513429", "field": "产业",
        "title": "冷链仓储设备", "description": "冷链仓储设备，服务全县果蔬合作社", "amount_wan": 80.0, "households": 38,
        "people": None, "wanted_by": None, "status": "draft", "status_label": "草稿", "close_reason": "",
        "source": "chat", "created_at": None, "published_at": None, "organizations": [], "project_id": None}
    narrowed = pairbot(db_url, tmp_path, "needs", "list", "--province", "四川", "--county", "布拖县", "--status", "已发布",
                       "--field", "教育", "--json")
    assert [r["id"] for r in json.loads(narrowed.out)] == [first]
    elsewhere = pairbot(db_url, tmp_path, "needs", "list", "--province", "云南省", "--json")
    assert json.loads(elsewhere.out) == []
    table = pairbot(db_url, tmp_path, "needs", "list", "--status", "draft")
    assert table.code == 0 and "冷链仓储" in table.out and "图书室" not in table.out

    shown = pairbot(db_url, tmp_path, "needs", "show", str(first), "--json")
    data = json.loads(shown.out)
    assert data["status"] == "published" and data["claims"] == [] and data["project_id"] is None
    assert [h["action"] for h in data["history"]] == ["登记需求", "发布"]
    assert [(c["organization"], c["tier"]) for c in data["ranking"]] == [("结对基金会", 1), ("教育促进会", 2)]
    text = pairbot(db_url, tmp_path, "needs", "show", str(first))
    assert text.code == 0 and "需求 #1「图书室建设」 已发布" in text.out and "还没有社会组织接单" in text.out


def test_match_prints_the_ranking_in_tier_order(db_url: str, engine: Engine, world: World, tmp_path: Path) -> None:
    need_id = _need(engine, world)
    ranked = pairbot(db_url, tmp_path, "needs", "match", str(need_id), "--json")
    assert ranked.code == 0, ranked.err
    rows = json.loads(ranked.out)
    assert [(r["rank"], r["organization"], r["tier"], r["tier_label"]) for r in rows] == [
        (1, "结对基金会", 1, "已结对"), (2, "教育促进会", 2, "供给匹配")]  # 云南公益会 serves 云南 only
    assert rows[1]["reasons"] == ["教育领域供给，服务四川省，能力 500 万元"]
    assert [r["organization"] for r in json.loads(pairbot(db_url, tmp_path, "needs", "match", str(need_id), "--top", "1",
                                                          "--json").out)] == ["结对基金会"]
    table = pairbot(db_url, tmp_path, "needs", "match", str(need_id))
    assert table.out.index("结对基金会") < table.out.index("教育促进会") and "供给匹配" in table.out


def test_publish_close_and_their_refusals(db_url: str, engine: Engine, world: World, tmp_path: Path) -> None:
    draft = _need(engine, world, publish=False)
    published = pairbot(db_url, tmp_path, "needs", "publish", str(draft))
    assert published.code == 0 and "已发布：需求 #1「图书室建设」" in published.out and "通知 1 条" in published.out
    assert "已由管理员发布" in _deliveries(engine, "县联络员")[-1].text
    again = pairbot(db_url, tmp_path, "needs", "publish", str(draft))
    assert again.code == 1 and "只有草稿可以发布" in again.err and again.out == ""

    no_reason = pairbot(db_url, tmp_path, "needs", "close", str(draft))
    assert no_reason.code == 1 and "请写明原因" in no_reason.err
    closed = pairbot(db_url, tmp_path, "needs", "close", str(draft), "--reason", "县里已自筹解决")
    assert closed.code == 0 and "已关闭" in closed.out and "县里已自筹解决" in closed.out
    with Session(engine) as session:
        need = session.get(Need, draft)
        assert need is not None and need.status == NeedStatus.closed and need.close_reason == "县里已自筹解决"
    assert "已关闭：县里已自筹解决" in _deliveries(engine, "县联络员")[-1].text


@pytest.mark.parametrize("args, message", [
    (("needs", "show", "999"), "没有编号为 999 的需求。"),
    (("needs", "match", "999"), "没有编号为 999 的需求。"),
    (("needs", "publish", "999"), "没有编号为 999 的需求。"),
    (("needs", "push", "999", "--yes"), "没有编号为 999 的需求。"),
    (("projects", "show", "999"), "没有编号为 999 的项目。"),
    (("projects", "done", "999"), "没有编号为 999 的项目。"),
])
def test_an_unknown_number_exits_1_with_a_chinese_message(db_url: str, world: World, tmp_path: Path,
                                                         args: tuple[str, ...], message: str) -> None:
    ran = pairbot(db_url, tmp_path, *args)
    assert (ran.code, ran.err.strip(), ran.out) == (1, message, "")


def test_bad_filters_exit_1_naming_the_value(db_url: str, world: World, tmp_path: Path) -> None:
    for args, message in ((("--status", "进行"), "而不是“进行”"), (("--field", "体育"), "而不是“体育”"),
                          (("--province", "火星"), "省份“火星”无法识别"), (("--county", "无此县"), "未找到县“无此县”")):
        ran = pairbot(db_url, tmp_path, "needs", "list", *args)
        assert ran.code == 1 and message in ran.err and ran.out == "", (args, ran.err)


def test_push_asks_then_writes_deliveries_with_a_claim_button(db_url: str, engine: Engine, world: World,
                                                            tmp_path: Path) -> None:
    need_id = _need(engine, world)
    declined = pairbot(db_url, tmp_path, "needs", "push", str(need_id), "--top", "5", answer="n\n")
    assert declined.code == 1 and "结对基金会" in declined.out and "教育促进会" in declined.out
    assert _deliveries(engine, "结对联络人") == [] and _deliveries(engine, "促进会联络人") == []

    pushed = pairbot(db_url, tmp_path, "needs", "push", str(need_id), "--top", "5", "--yes")
    assert pushed.code == 0, pushed.err
    assert "已推送需求 #1「图书室建设」：2 家社会组织，2 位联络人" in pushed.out
    for chat in ("结对联络人", "促进会联络人"):
        [notice] = _deliveries(engine, chat)
        assert "接单 1" in notice.text and notice.buttons == [["接单", f"needclaim:{need_id}"]]
    with Session(engine) as session:
        assert [row.action for row in needs.history(session, need_id)][-1] == "need.push"
    draft = _need(engine, world, publish=False, description="还没发布的需求")
    refused = pairbot(db_url, tmp_path, "needs", "push", str(draft), "--yes")
    assert refused.code == 1 and "只有已发布的需求可以推送" in refused.err


def test_projects_list_show_figures_and_finish(db_url: str, engine: Engine, world: World, tmp_path: Path) -> None:
    project_id = _project(engine, world)
    with unit_of_work(engine) as session:
        for text, funds, cumulative in (("图书室投入20万元", 20.0, []), ("累计投入50万元", 50.0, ["funds_wan"])):
            session.add(ProgressUpdate(contact_id=world.paired_contact, pairing_id=world.pairing, project_id=project_id,
                                       channel="console", raw_text=text, funds_wan=funds, cumulative=cumulative,
                                       fields=["教育"]))
    listed = json.loads(pairbot(db_url, tmp_path, "projects", "list", "--status", "实施中", "--json").out)
    assert [(p["id"], p["organization"], p["county"], p["need_id"]) for p in listed] == [(project_id, "结对基金会", "布拖县", 1)]
    assert json.loads(pairbot(db_url, tmp_path, "projects", "list", "--status", "done", "--json").out) == []
    shown = pairbot(db_url, tmp_path, "projects", "show", str(project_id), "--json")
    data = json.loads(shown.out)
    assert data["figures"] == {"funds_wan": 50.0} and len(data["updates"]) == 2  # the running total replaces, not adds
    text = pairbot(db_url, tmp_path, "projects", "show", str(project_id))
    assert text.code == 0 and "投入资金（万元）" in text.out and "50" in text.out

    done = pairbot(db_url, tmp_path, "projects", "done", str(project_id), "--note", "图书室已投入使用")
    assert done.code == 0 and "已完成" in done.out and "通知 2 条" in done.out
    with Session(engine) as session:
        project, need = session.get(Project, project_id), session.get(Need, 1)
        assert project is not None and project.status == "done" and need is not None and need.status == NeedStatus.done
    again = pairbot(db_url, tmp_path, "projects", "close", str(project_id), "--reason", "重复")
    assert again.code == 1 and f"项目 #{project_id} 当前为已完成。" in again.err


def test_closing_a_project_needs_a_reason_and_closes_its_need(db_url: str, engine: Engine, world: World,
                                                            tmp_path: Path) -> None:
    project_id = _project(engine, world)
    assert "请写明原因" in pairbot(db_url, tmp_path, "projects", "close", str(project_id)).err
    closed = pairbot(db_url, tmp_path, "projects", "close", str(project_id), "--reason", "资金未落实")
    assert closed.code == 0 and "资金未落实" in closed.out
    listed = json.loads(pairbot(db_url, tmp_path, "needs", "list", "--status", "closed", "--json").out)
    assert [(n["id"], n["close_reason"]) for n in listed] == [(1, "资金未落实")]
    refused = pairbot(db_url, tmp_path, "needs", "close", "1", "--reason", "再关一次")
    assert refused.code == 1 and "已关闭" in refused.err
