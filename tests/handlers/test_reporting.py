"""Dialogs: progress updates in chat — record, confirm, choose a pairing, correct, withdraw, flag, attach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.channels.console import NAME as CONSOLE, ConsoleChannel
from bot.config import Settings
from bot.messages import Attachment
from bot.simulator import Simulator
from models.messaging import AuditLog, InboundMessage
from models.registry import Role
from models.reporting import Attachment as AttachmentRow
from models.reporting import PendingQuestion, ProgressEdit, ProgressUpdate
from tests.conftest import simulator
from tests.factories import CODES, add_org, county_id, invite, load_counties, pair


def _updates(app: App) -> list[ProgressUpdate]:
    with Session(app.engine) as session:
        return list(session.exec(select(ProgressUpdate).order_by(ProgressUpdate.id)).all())


def county_contact(app: App, county: str = "布拖县", sender: str = "c1", agreed: float | None = None) -> Simulator:
    load_counties(app.engine)
    cid = county_id(app.engine, county)
    pair(app.engine, add_org(app.engine, "中国社会福利基金会", CODES[0]), cid, agreed)
    user = simulator(app, sender)
    user.send(f"绑定 {invite(app.engine, Role.county, county=cid)}")
    return user


def test_plain_text_is_recorded_verbatim_and_echoed(app: App) -> None:
    user = county_contact(app)
    text = "本月向布拖县拐乐村投入帮扶资金20万元,用于藏白菊种植基地建设,带动38户增收。"
    [reply] = user.send(text)
    assert reply.startswith("已记录：") and "20 万元" in reply and "38 户" in reply and "更正" in reply
    [update] = _updates(app)
    assert update.raw_text == text and update.funds_wan == 20 and update.households == 38
    assert update.pairing_id is not None and update.review_status == "received"


def test_same_message_delivered_twice_is_counted_once(app: App) -> None:
    user = county_contact(app)
    user.send("投入资金5万元")
    assert "未重复记录" in user.send("投入资金5万元")[0]
    assert len(_updates(app)) == 1


def test_correction_replaces_fields_and_keeps_history(app: App) -> None:
    user = county_contact(app)
    user.send("投入资金5万元，带动10户")
    [reply] = user.send("更正 投入资金8万元，带动12户")
    assert reply.startswith("已更正") and "8 万元" in reply
    [update] = _updates(app)
    assert (update.funds_wan, update.households, update.raw_text) == (8, 12, "投入资金8万元，带动12户")
    with Session(app.engine) as session:
        [edit] = session.exec(select(ProgressEdit)).all()
        assert edit.old_parsed["funds_wan"] == 5 and edit.new_parsed["funds_wan"] == 8
        assert edit.old_text == "投入资金5万元，带动10户"


def test_editing_the_chat_message_corrects_its_update(app: App) -> None:
    user = county_contact(app)
    user.send("培训农民120人")
    assert "更正" in user.send("培训农民150人", edit=True)[0]
    [update] = _updates(app)
    assert update.people == 150
    with Session(app.engine) as session:
        assert [e.kind for e in session.exec(select(ProgressEdit)).all()] == ["edit"]
        assert len(session.exec(select(InboundMessage).where(InboundMessage.sender_id == "c1")).all()) == 3


def test_an_edit_that_corrects_an_update_is_audited_like_a_correction(app: App) -> None:
    user = county_contact(app)
    user.send("培训农民120人")
    user.send("培训农民150人", edit=True)
    user.send("更正 培训农民130人")
    with Session(app.engine) as session:
        [update_id] = session.exec(select(ProgressUpdate.id)).all()
        rows = session.exec(select(AuditLog).where(AuditLog.action == "report.correct").order_by(AuditLog.id)).all()
    assert [(r.target, r.details) for r in rows] == [(f"update:{update_id}", {"kind": "edit"}),
                                                    (f"update:{update_id}", {})]
    assert rows[1].actor == rows[0].actor != ""


def test_withdraw_inside_and_outside_the_window(settings: Settings) -> None:
    clock = Clock(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    app = App(settings, channels={CONSOLE: ConsoleChannel()}, clock=clock)
    app.queue.start_worker()
    try:
        user = county_contact(app)
        user.send("投入资金3万元")
        clock.advance(minutes=5)
        assert "已撤回" in user.send("撤回")[0]
        assert _updates(app)[0].withdrawn_at is not None
        user.send("投入资金4万元")
        clock.advance(minutes=settings.reports.withdraw_minutes + 1)
        assert "不能自行撤回" in user.send("撤回")[0]
        assert _updates(app)[1].withdrawn_at is None
    finally:
        app.close()


def test_several_pairings_ask_which_and_file_on_the_button(app: App) -> None:
    load_counties(app.engine)
    org = add_org(app.engine, "中国社会福利基金会", CODES[0])
    pair(app.engine, org, county_id(app.engine, "布拖县"))
    pair(app.engine, org, county_id(app.engine, "昭觉县"))
    user = simulator(app, "o1")
    user.send(f"绑定 {invite(app.engine, Role.organization, org=org)}")
    [question] = user.send("捐赠图书价值2万元")
    assert "哪一个" in question and "1. 四川省布拖县" in question and "2. 四川省昭觉县" in question
    assert _updates(app)[0].pairing_id is None  # stored already, filed once answered
    [answer] = user.press(2)
    assert "昭觉县" in answer
    assert _updates(app)[0].pairing_id is not None
    with Session(app.engine) as session:
        assert session.exec(select(PendingQuestion)).one().answered_at is not None


def test_text_naming_the_county_needs_no_question(app: App) -> None:
    load_counties(app.engine)
    org = add_org(app.engine, "中国社会福利基金会", CODES[0])
    pair(app.engine, org, county_id(app.engine, "布拖县"))
    pair(app.engine, org, county_id(app.engine, "昭觉县"))
    user = simulator(app, "o1")
    user.send(f"绑定 {invite(app.engine, Role.organization, org=org)}")
    assert "哪一个" not in user.send("向昭觉县捐赠图书价值2万元")[0]


def test_a_county_named_that_is_none_of_the_senders_pairings_is_not_filed_under_another(app: App) -> None:
    from bot.db import unit_of_work
    from models.pairing import Pairing, PairingStatus
    from models.services.registry import set_pairing_status

    load_counties(app.engine)
    org = add_org(app.engine, "中国社会福利基金会", CODES[0])
    butuo = pair(app.engine, org, county_id(app.engine, "布拖县"))
    zhaojue = pair(app.engine, org, county_id(app.engine, "昭觉县"))
    with unit_of_work(app.engine) as session:
        set_pairing_status(session, session.get(Pairing, zhaojue), PairingStatus.ended, "test", "期满")
    user = simulator(app, "o1")
    user.send(f"绑定 {invite(app.engine, Role.organization, org=org)}")
    [ended] = user.send("本月在昭觉县投入资金2万元，帮扶10户")
    [never] = user.send("本月在美姑县捐赠图书价值1万元")
    [own] = user.send("本月在布拖县投入资金3万元")
    first, second, third = _updates(app)
    assert (first.pairing_id, second.pairing_id, third.pairing_id) == (None, None, butuo)
    assert first.review_status == "flagged" and "提到的昭觉县不在报送人的结对中" in first.review_note
    assert "美姑县" in second.review_note and third.review_status == "received"
    assert "将由管理员核对（提到的昭觉县不在报送人的结对中）" in ended and "核对" not in own


def test_a_report_about_another_county_stays_flagged_once_filed_or_corrected(app: App) -> None:
    """Choosing which pairing, or correcting the figures, does not let it into the ledger unreviewed."""
    user = county_contact(app)  # 布拖县, with two organizations paired
    pair(app.engine, add_org(app.engine, "中国扶贫基金会", CODES[1]), county_id(app.engine, "布拖县"))
    [asked] = user.send("昭觉县那边，本月投入资金30万元，帮扶80户")
    assert "哪一个" in asked and "提到的昭觉县不在报送人的结对中" in asked
    [filed] = user.send("1")
    assert filed.startswith("好的，“昭觉县那边") and "将由管理员核对（提到的昭觉县不在报送人的结对中）" in filed
    [update] = _updates(app)
    assert update.pairing_id is not None and update.review_status == "flagged"
    assert "提到的昭觉县不在报送人的结对中" in update.review_note
    user.send("更正 昭觉县那边，本月投入资金12万元，帮扶50户")
    [update] = _updates(app)
    assert update.funds_wan == 12 and update.review_status == "flagged" and "昭觉县" in update.review_note
    user.send("更正 本月投入资金12万元，帮扶50户")  # no other county named any more: counted
    assert _updates(app)[0].review_status == "received"


def test_numbered_answer_and_forged_callbacks(app: App) -> None:
    load_counties(app.engine)
    org = add_org(app.engine, "中国社会福利基金会", CODES[0])
    pair(app.engine, org, county_id(app.engine, "布拖县"))
    unrelated = pair(app.engine, add_org(app.engine, "中国自动化学会", CODES[3]), county_id(app.engine, "美姑县"))
    pair(app.engine, org, county_id(app.engine, "昭觉县"))
    user = simulator(app, "o1")
    user.send(f"绑定 {invite(app.engine, Role.organization, org=org)}")
    user.send("捐赠图书价值2万元")
    with Session(app.engine) as session:
        question = session.exec(select(PendingQuestion)).one()
    assert "不在可选范围" in user.send(callback_data=f"pick:{question.id}:{unrelated}")[0]
    assert "不属于您" in user.send(callback_data=f"pick:{question.id + 99}:{unrelated}")[0]
    assert "无法识别" in user.send(callback_data="pick:x")[0]
    assert "1 到 2" in user.send("7")[0]
    assert "布拖县" in user.send("1")[0]
    assert _updates(app)[0].pairing_id not in (None, unrelated)


def test_no_figures_and_implausible_figures_are_flagged_not_dropped(app: App) -> None:
    user = county_contact(app, agreed=10)
    [reply] = user.send("今天去村里看望了帮扶户")
    assert "没有识别出数字" in reply
    [reply] = user.send("投入资金500万元")
    assert "远超协议金额" in reply
    [reply] = user.send("投入资金-5万元")
    assert "负数" in reply
    assert [u.review_status for u in _updates(app)] == ["flagged", "flagged", "flagged"]


@pytest.mark.parametrize("text", ["", "   ", "👍👍", "！！！"])
def test_empty_or_emoji_only_gets_a_clear_reply(app: App, text: str) -> None:
    user = county_contact(app)
    [reply] = user.send(text)
    assert "文字" in reply
    assert _updates(app) == []


def test_very_long_and_mixed_language_text(app: App) -> None:
    user = county_contact(app)
    text = "We invested 投入资金12万元 in the tea cooperative, 带动30户。" + "说明" * 3000
    [reply] = user.send(text)
    assert "12 万元" in reply and "核对" in reply
    [update] = _updates(app)
    assert update.raw_text == text and update.review_status == "flagged"


def test_photos_after_an_update_are_linked_to_it(app: App) -> None:
    user = county_contact(app)
    user.send("投入资金6万元，建成蔬菜大棚")
    [reply] = user.send(attachments=(Attachment("photo", "file-1", "大棚.jpg"),))
    assert "附件" in reply
    with Session(app.engine) as session:
        [row] = session.exec(select(AttachmentRow)).all()
        assert row.update_id == _updates(app)[0].id and row.filename == "大棚.jpg"


def test_a_photo_before_the_text_is_adopted_by_it(app: App) -> None:
    user = county_contact(app)
    assert "请再发送一段文字" in user.send(attachments=(Attachment("photo", "file-2"),))[0]
    user.send("投入资金6万元")
    with Session(app.engine) as session:
        assert session.exec(select(AttachmentRow)).one().update_id == _updates(app)[0].id


def test_a_failing_handler_apologises_and_keeps_the_message(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    user = county_contact(app)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("models.services.reports.record_update", boom)
    assert "出错" in user.send("投入资金1万元")[0]
    with Session(app.engine) as session:
        assert session.exec(select(InboundMessage).where(InboundMessage.text == "投入资金1万元")).one()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
