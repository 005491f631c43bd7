"""The everyday chat speaks one language at a time: a tour through every chat handler in Chinese finds no
English prose, the same tour after “语言 English” finds no Chinese besides what the test itself wrote; and
notices composed for someone else (a reminder, a broadcast) follow the recipient's language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import App
from bot.channels.console import NAME as CONSOLE, ConsoleChannel
from bot.db import unit_of_work
from bot.i18n import using
from bot.simulator import Simulator
from models.base import utcnow
from models.messaging import Delivery, Invite
from models.registry import Contact, Role
from models.services.broadcast import parse_segment, queue_broadcast
from models.services.reminders import Policy, plan_reminders, queue_reminders
from models.services.reports import excerpt
from tests.conftest import make_settings
from tests.factories import CODES, add_org, county_id, invite, load_counties, pair
from tests.i18n.checks import chinese_in, english_prose
from tests.reminders.test_agreements import engine, world  # noqa: F401  (fixtures: the reminder world)
from tests.reminders.world import SHANGHAI, World, agreement_deadline, local

ORG = "中国社会福利基金会"
COUNTY = "布拖县"
REPORT = "本月向布拖县拐乐村投入帮扶资金20万元，带动38户增收。"
NO_FIGURES = "组织志愿者到村里开展慰问活动"
CORRECTION = "本月投入帮扶资金25万元，带动40户增收"
NOTICE = "明天上午九点召开视频调度会"
# Names and texts the test writes: they stay as written in an English screen.
DATA = [ORG, COUNTY, "火星", "四川省布拖县", "四川省", "张三", "阿木", "测试用户", REPORT, NO_FIGURES, CORRECTION, NOTICE,
        *(excerpt(text) for text in (REPORT, NO_FIGURES, CORRECTION)), "2026年帮扶协议签订"]
# Words a Chinese screen may show as they are: command arguments and segment names.
ALLOWED = {"admin", "invite", "broadcast", "export", "import", "auto"}


@pytest.fixture(params=["zh_CN", "en"])
def tour(request: pytest.FixtureRequest, db_url: str) -> Iterator[tuple[App, str]]:
    """An app whose installation language is the tour's (so strangers are answered in it too)."""
    locale = request.param
    application = App(make_settings(db_url, app={"locale": locale}), channels={CONSOLE: ConsoleChannel()})
    application.queue.start_worker()
    yield application, locale
    application.close()


class Checked:
    """Collects every reply of the tour, so each can be checked for the wrong language."""

    def __init__(self) -> None:
        self.replies: list[tuple[str, str]] = []

    def send(self, user: Simulator, text: str = "", **kwargs: object) -> list[str]:
        replies = user.send(text, **kwargs)  # type: ignore[arg-type]
        assert replies, f"no reply to {text!r}"
        self.replies += [(text, reply) for reply in replies]
        return replies


def _wrong_language(locale: str, reply: str) -> list[str]:
    return english_prose(reply, ALLOWED) if locale == "zh_CN" else chinese_in(reply, DATA)


def test_every_chat_reply_is_in_the_contacts_language(tour: tuple[App, str]) -> None:
    app, locale = tour
    log = Checked()
    load_counties(app.engine)
    cid = county_id(app.engine, COUNTY)
    pair(app.engine, add_org(app.engine, ORG, CODES[0]), cid)

    # Strangers: help, chatter, an expired and an unknown code.
    stranger = Simulator(app, "stranger", "路人")
    log.send(stranger, "你好")
    log.send(stranger, "/help")
    expired = invite(app.engine, Role.county, county=cid)
    with unit_of_work(app.engine) as session:
        row = session.exec(select(Invite).where(Invite.code == expired)).one()
        row.expires_at = utcnow() - timedelta(minutes=1)
        session.add(row)
    log.send(stranger, f"/start {expired}")
    log.send(stranger, "/start NOSUCH99")

    # A county contact registers, chooses the language, and goes through every reporting step.
    county = Simulator(app, "county", "阿木")
    log.send(county, f"/start {invite(app.engine, Role.county, county=cid)}")
    if locale == "en":
        log.send(county, "语言 English")
    for text in ("/help", "帮助", "我是谁", "/start", REPORT, REPORT, NO_FIGURES, f"更正 {CORRECTION}", "更正",
                 "更正 你好", "撤回？", "撤回", "撤回", "撤回 1", "撤回 1", "你好", "谢谢", "怎么填？", "asdfgh",
                 "/nosuch", "帮组", "撤了", "渠道", "渠道 企业微信", "渠道 火星", "渠道 自动", "退订", "退订",
                 "恢复", "恢复", "登录", "收到", f"/start {invite(app.engine, Role.county, county=cid)}", "取消改绑",
                 "确认改绑"):
        log.send(county, text)

    # The first administrator: name, role and scope read naturally; login, broadcast preview, confirm, 收到.
    admin = Simulator(app, "admin", "张三")
    log.send(admin, f"/start {invite(app.engine, Role.admin, name='管理员')}")
    if locale == "en":
        log.send(admin, "/lang en")
    [whoami] = log.send(admin, "/whoami")
    assert whoami == ("张三，管理员（全部省份）。" if locale == "zh_CN" else "张三, administrator (all provinces).")
    for text in ("/help", "登录", "广播", "广播 火星 你好", f"广播 all 回执 {NOTICE}", "取消",
                 f"广播 county:{COUNTY} 回执 {NOTICE}"):
        log.send(admin, text)
    preview = log.replies[-1][1]
    if locale == "zh_CN":
        assert "（终端模拟器 1）" in preview and "console" not in preview
    else:
        assert "(terminal simulator 1)" in preview
    log.send(admin, "确认")
    log.send(county, "收到")
    log.send(county, "收到")

    problems = [(text, reply, wrong) for text, reply in log.replies if (wrong := _wrong_language(locale, reply))]
    assert problems == [], "\n".join(map(repr, problems))


def test_an_activity_without_figures_is_explained_once(app: App) -> None:
    load_counties(app.engine)
    cid = county_id(app.engine, COUNTY)
    pair(app.engine, add_org(app.engine, ORG, CODES[0]), cid)
    county = Simulator(app, "county", "阿木")
    county.send(f"绑定 {invite(app.engine, Role.county, county=cid)}")
    [reply] = county.send(NO_FIGURES)
    assert reply.startswith("已记录您的进展，但没有识别出数字或帮扶领域。将由管理员核对。")
    assert reply.count("识别出数字或帮扶领域") == 1
    [corrected] = county.send("更正 召开结对帮扶工作推进会议")
    assert corrected.count("识别出数字或帮扶领域") == 1


def _set_locale(engine: Engine, contact_id: int, locale: str | None) -> None:
    with unit_of_work(engine) as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        contact.locale = locale
        session.add(contact)


def _texts_to(engine: Engine, name: str) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery.text).where(Delivery.chat_id == name).order_by(Delivery.id)).all())


def test_a_reminder_is_composed_in_its_recipients_language(engine: Engine, world: World) -> None:  # noqa: F811
    agreement_deadline(engine, local("2026-08-01 00:00"))
    _set_locale(engine, world.contacts["countyA"], "en")
    with unit_of_work(engine) as session:
        dues = plan_reminders(session, local("2026-08-26 09:00"), Policy(zone=SHANGHAI))
        assert dues and queue_reminders(session, dues, local("2026-08-26 09:00"))
    [english] = _texts_to(engine, "countyA")
    [chinese] = _texts_to(engine, "countyB")
    assert english.startswith("[2026 assistance agreement] Please sign the pairing assistance agreement by Mon 31 August")
    assert chinese_in(english, DATA) == []
    assert chinese.startswith("【2026年帮扶协议签订】请于8月31日（周一）前签订结对帮扶协议")


def test_reminders_planned_in_another_language_reach_each_recipient_in_theirs(engine: Engine,  # noqa: F811
                                                                                 world: World) -> None:
    """Planned while English is in force (a CLI run in English): a contact who chose none still reads the
    installation's Chinese, one who chose English reads English; a contact with two pairings names both."""
    agreement_deadline(engine, local("2026-08-01 00:00"))
    pair(engine, world.organizations["B"], world.counties["A"])  # countyA now has two pairings
    _set_locale(engine, world.contacts["countyB"], "en")
    with unit_of_work(engine) as session, using("en"):
        dues = plan_reminders(session, local("2026-08-26 09:00"), Policy(zone=SHANGHAI))
        assert {d.contact_id for d in dues} >= {world.contacts["countyA"], world.contacts["countyB"]}
        assert all(d.text.startswith("[2026 assistance agreement]") for d in dues)
        assert queue_reminders(session, dues, local("2026-08-26 09:00"))
    [chinese] = _texts_to(engine, "countyA")
    [english] = _texts_to(engine, "countyB")
    assert chinese.startswith("【2026年帮扶协议签订】请于8月31日（周一）前签订结对帮扶协议")
    assert "、" in chinese  # both of countyA's pairings, in Chinese
    assert english.startswith("[2026 assistance agreement] Please sign the pairing assistance agreement by Mon 31 August")
    assert english.endswith(". Once signed, please give the agreement to your administrator to record.")


def test_a_notice_keeps_the_admins_words_in_the_recipients_frame(engine: Engine, world: World) -> None:  # noqa: F811
    _set_locale(engine, world.contacts["orgA"], "en")
    with unit_of_work(engine) as session:
        queue_broadcast(session, parse_segment("all"), NOTICE, require_ack=True, actor="test", now=utcnow())
    [english] = _texts_to(engine, "orgA")
    [chinese] = _texts_to(engine, "orgB")
    assert english == f"[Notice] {NOTICE}\n\nPlease press \"Received\" or reply /ack to confirm receipt."
    assert chinese == f"【通知】{NOTICE}\n\n请点“收到”或回复“收到”确认。"
    with Session(engine) as session:
        buttons = {d.chat_id: d.buttons[0][0] for d in session.exec(select(Delivery)).all()}
    assert (buttons["orgA"], buttons["orgB"]) == ("Received", "收到")
