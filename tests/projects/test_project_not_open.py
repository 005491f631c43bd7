"""A report that names a project that is not one of the sender's open ones: never filed under another pairing
unreviewed (a finished project of the sender's keeps its own pairing; another pairing's project, none)."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import App
from bot.db import unit_of_work
from models.pairing import Project, ProjectStatus
from models.registry import Role
from models.reporting import ProgressUpdate
from models.services.ledger import Scope
from models.services.sums import figures_by
from tests.conftest import simulator
from tests.factories import CODES, add_org, county_id, invite, load_counties, pair


def _project(app: App, pairing_id: int, status: ProjectStatus) -> int:
    with unit_of_work(app.engine) as session:
        project = Project(pairing_id=pairing_id, name="冷链仓储", field="产业", amount_wan=80, status=status)
        session.add(project)
        session.flush()
        return project.id  # type: ignore[return-value]


def _updates(app: App) -> list[ProgressUpdate]:
    with Session(app.engine) as session:
        return list(session.exec(select(ProgressUpdate).order_by(ProgressUpdate.id)).all())


def _funds(app: App, pairing_id: int) -> float:
    with Session(app.engine) as session:
        found = figures_by(session, Scope(), "pairing", pairing_ids=[pairing_id]).get(pairing_id)
        return found.funds_wan if found else 0.0


def _organization_with_two_pairings(app: App) -> tuple[int, int, int]:
    load_counties(app.engine)
    org = add_org(app.engine, "山海助农协会", CODES[0])
    butuo = pair(app.engine, org, county_id(app.engine, "布拖县"))
    zhaojue = pair(app.engine, org, county_id(app.engine, "昭觉县"))
    return org, butuo, zhaojue


def test_a_finished_project_of_the_senders_keeps_its_pairing_and_waits_for_review(app: App) -> None:
    org, butuo, zhaojue = _organization_with_two_pairings(app)
    done = _project(app, butuo, ProjectStatus.done)
    user = simulator(app, "o1")
    user.send(f"绑定 {invite(app.engine, Role.organization, org=org)}")
    [reply] = user.send(f"项目{done}：又投入5万元，受益10户")
    [update] = _updates(app)
    assert update.pairing_id == butuo and update.project_id is None
    assert update.review_status == "flagged" and f"提到的项目 #{done} 已完成" in update.review_note
    assert f"将由管理员核对（提到的项目 #{done} 已完成）" in reply and "已按一般进展记录" not in reply
    assert _funds(app, zhaojue) == 0 and _funds(app, butuo) == 0  # nothing counted before a reviewer says so


def test_another_pairings_project_is_filed_under_none_of_the_senders(app: App) -> None:
    load_counties(app.engine)
    other = pair(app.engine, add_org(app.engine, "春晖公益基金会", CODES[1]), county_id(app.engine, "布拖县"))
    foreign = _project(app, other, ProjectStatus.active)
    org = add_org(app.engine, "山海助农协会", CODES[0])
    zhaojue = pair(app.engine, org, county_id(app.engine, "昭觉县"))  # the sender's only pairing
    user = simulator(app, "o1")
    user.send(f"绑定 {invite(app.engine, Role.organization, org=org)}")
    [reply] = user.send(f"项目{foreign}：投入1000万元")
    [update] = _updates(app)
    assert update.pairing_id is None and update.review_status == "flagged"
    assert f"提到的项目 #{foreign} 不是报送人的项目" in update.review_note and "核对" in reply
    assert _funds(app, zhaojue) == 0 and _funds(app, other) == 0


def test_the_flag_stays_when_the_report_is_corrected(app: App) -> None:
    org, butuo, _zhaojue = _organization_with_two_pairings(app)
    closed = _project(app, butuo, ProjectStatus.closed)
    user = simulator(app, "o1")
    user.send(f"绑定 {invite(app.engine, Role.organization, org=org)}")
    user.send(f"项目{closed}：投入资金8万元")
    user.send(f"更正 项目{closed}：投入资金6万元")
    [update] = _updates(app)
    assert update.funds_wan == 6 and update.review_status == "flagged"
    assert f"提到的项目 #{closed} 已关闭" in update.review_note


def test_a_number_no_project_has_stays_the_senders_general_progress(app: App) -> None:
    load_counties(app.engine)
    org = add_org(app.engine, "山海助农协会", CODES[0])
    zhaojue = pair(app.engine, org, county_id(app.engine, "昭觉县"))
    user = simulator(app, "o1")
    user.send(f"绑定 {invite(app.engine, Role.organization, org=org)}")
    [reply] = user.send("项目999：投入资金20万元")
    assert "项目 #999 不是您在办的项目，已按一般进展记录" in reply
    assert _updates(app)[0].review_status == "received" and _funds(app, zhaojue) == 20
