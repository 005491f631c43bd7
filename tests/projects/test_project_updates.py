"""Progress updates that name a project: by 项目N in the text or by answering the choice question.

The project's figures are its updates walked by the ledger's rules, and the pairing's ledger counts
each update once, with the project's field among the fields it names.
"""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import App
from bot.db import unit_of_work
from models.pairing import Pairing, Project
from models.reporting import ProgressUpdate
from models.services.ledger import Scope
from models.services.projects import project_figures, project_updates
from models.services.sums import figures_by
from tests.handlers.test_reporting import county_contact


def _project(app: App, field: str = "教育", name: str = "图书室建设") -> int:
    with unit_of_work(app.engine) as session:
        pairing = session.exec(select(Pairing)).one()
        project = Project(pairing_id=pairing.id, name=name, field=field, amount_wan=80)
        session.add(project)
        session.flush()
        return project.id  # type: ignore[return-value]


def _last(app: App) -> ProgressUpdate:
    with Session(app.engine) as session:
        return session.exec(select(ProgressUpdate).order_by(ProgressUpdate.id.desc())).first()  # type: ignore[union-attr,return-value]


def _pairing_figures(app: App):  # type: ignore[no-untyped-def]
    with Session(app.engine) as session:
        pairing_id = session.exec(select(Pairing.id)).one()
        return figures_by(session, Scope(), "pairing", pairing_ids=[pairing_id], with_fields=True)[pairing_id]


def test_naming_the_project_files_the_update_under_it(app: App) -> None:
    user = county_contact(app)
    project_id = _project(app)
    [reply] = user.send(f"项目{project_id}：本月投入资金20万元，购置图书")
    assert f"已记入项目 #{project_id}「图书室建设」" in reply
    update = _last(app)
    assert update.project_id == project_id and "教育" in update.fields
    totals = _pairing_figures(app)
    assert totals.funds_wan == 20 and totals.fields.get("教育") == 1


def test_an_unnamed_report_asks_which_project_and_counts_once_either_way(app: App) -> None:
    user = county_contact(app)
    project_id = _project(app, field="产业", name="冷链仓储")
    [reply] = user.send("本月投入资金30万元")
    assert "属于哪个项目" in reply and "不选则记为结对的一般进展" in reply and "冷链仓储" in reply
    assert _pairing_figures(app).funds_wan == 30  # counted already, before any answer
    [answer] = user.press(1)
    assert f"已记入项目 #{project_id}「冷链仓储」" in answer
    totals = _pairing_figures(app)
    assert totals.funds_wan == 30 and totals.fields.get("产业") == 1
    with Session(app.engine) as session:
        assert project_figures(project_updates(session, project_id)) == {"funds_wan": 30}


def test_running_totals_within_a_project_replace_like_the_ledger(app: App) -> None:
    user = county_contact(app)
    project_id = _project(app)
    user.send(f"项目{project_id}：投入资金20万元")
    user.send(f"项目{project_id}：累计投入资金50万元")
    user.send(f"项目{project_id}：本月又投入5万元")
    with Session(app.engine) as session:
        assert project_figures(project_updates(session, project_id)) == {"funds_wan": 55}
    assert _pairing_figures(app).funds_wan == 55


def test_choosing_not_a_project_keeps_the_pairing(app: App) -> None:
    user = county_contact(app)
    _project(app)
    user.send("培训农民150人")
    [answer] = user.press(2)
    assert "已记入与中国社会福利基金会的结对" in answer
    assert _last(app).project_id is None and _pairing_figures(app).people == 150


def test_a_number_that_is_not_the_contacts_project_is_said_and_ignored(app: App) -> None:
    user = county_contact(app)
    [reply] = user.send("项目999：投入资金20万元")
    assert "项目 #999 不是您在办的项目" in reply
    assert _last(app).project_id is None and _pairing_figures(app).funds_wan == 20


def test_a_count_of_projects_is_not_a_project_number(app: App) -> None:
    user = county_contact(app)
    project_id = _project(app)
    user.send(f"新建项目{project_id}个，投入资金10万元")
    update = _last(app)
    assert update.project_id is None and update.projects == project_id


def test_a_forged_or_stale_choice_is_refused(app: App) -> None:
    user = county_contact(app)
    _project(app)
    user.send("投入资金10万元")
    question = user.channel.sent[-1].buttons[0].data.split(":")[1]
    assert user.send(callback_data=f"pick:{question}:j424242") == ["所选结对不在可选范围内，请重新选择。"]
    assert user.send(callback_data=f"pick:{question}:x1") == ["无法识别的选项，已忽略。"]
    assert _last(app).project_id is None


def test_a_correction_keeps_the_project_and_its_field(app: App) -> None:
    user = county_contact(app)
    project_id = _project(app)
    user.send(f"项目{project_id}：投入资金20万元")
    user.send("更正 投入资金25万元")
    update = _last(app)
    assert update.project_id == project_id and update.funds_wan == 25 and "教育" in update.fields
    with Session(app.engine) as session:
        assert project_figures(project_updates(session, project_id)) == {"funds_wan": 25}
