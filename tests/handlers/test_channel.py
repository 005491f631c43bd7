"""Dialogs: 渠道 / /channel — one person on two channels chooses where the bot writes to them."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import App
from bot.db import unit_of_work
from bot.messages import Incoming
from models.messaging import AuditLog, Delivery
from models.registry import Contact, Role
from models.services.registry import bind_identity, contact_address, find_identity
from tests.conftest import simulator
from tests.factories import CODES, add_org, county_id, invite, load_counties, pair


def _registered(app: App, sender: str = "c1"):  # type: ignore[no-untyped-def]
    load_counties(app.engine)
    cid = county_id(app.engine, "布拖县")
    pair(app.engine, add_org(app.engine, "中国社会福利基金会", CODES[0]), cid)
    user = simulator(app, sender)
    user.send(f"绑定 {invite(app.engine, Role.county, county=cid)}")
    return user


def _also_on_telegram(app: App, console_sender: str, telegram_id: str) -> None:
    with unit_of_work(app.engine) as session:
        identity = find_identity(session, "console", console_sender)
        assert identity is not None
        contact = session.get(Contact, identity.contact_id)
        assert contact is not None
        bind_identity(session, contact, "telegram", telegram_id)
        contact.last_channel = "console"  # as if they went back to the console afterwards
        session.add(contact)


def _contact(app: App) -> Contact:
    with Session(app.engine) as session:
        [contact] = session.exec(select(Contact)).all()
        return contact


def _address(app: App) -> tuple[str, str] | None:
    with Session(app.engine) as session:
        [contact] = session.exec(select(Contact)).all()
        return contact_address(session, contact)


def test_channel_shows_bound_channels_and_automatic_choice(app: App) -> None:
    user = _registered(app)
    [reply] = user.send("/channel")
    assert "已绑定的渠道：终端模拟器" in reply and "自动" in reply and "目前是终端模拟器" in reply
    assert user.send("渠道")[0] == reply


def test_choosing_a_bound_channel_routes_messages_there_and_is_audited(app: App) -> None:
    user = _registered(app)
    _also_on_telegram(app, "c1", "5550001")
    assert _address(app) == ("console", "c1")  # automatic: the channel used last

    [reply] = user.send("渠道 Telegram")
    assert "以后消息发到Telegram" in reply
    assert _contact(app).preferred_channel == "telegram"
    assert _address(app) == ("telegram", "5550001")
    assert "当前：Telegram（您选择的）" in user.send("渠道")[0]

    [reply] = user.send("/channel auto")
    assert "最近使用的渠道" in reply
    assert _contact(app).preferred_channel is None and _address(app) == ("console", "c1")
    with Session(app.engine) as session:
        changes = session.exec(select(AuditLog).where(AuditLog.action == "contact.preferred_channel")).all()
        assert [(a.details["previous"], a.details["chosen"]) for a in changes] == [(None, "telegram"), ("telegram", None)]


def test_a_channel_without_an_identity_is_refused(app: App) -> None:
    user = _registered(app)
    [reply] = user.send("渠道 企业微信")
    assert "还没有在企业微信上绑定" in reply and "已绑定：终端模拟器" in reply
    assert _contact(app).preferred_channel is None
    assert "无法识别的渠道“fax”" in user.send("/channel fax")[0]


def test_text_that_merely_starts_with_the_word_is_a_progress_update(app: App) -> None:
    user = _registered(app)
    [reply] = user.send("渠道建设投入20万元")
    assert reply.startswith("已记录：") and "20 万元" in reply
    [reply] = user.send("渠道 建设投入20万元")
    assert reply.startswith("已记录：") and "20 万元" in reply


def test_an_unknown_channel_word_is_answered_as_one(app: App) -> None:
    user = _registered(app)
    [reply] = user.send("渠道 火星")
    assert "无法识别的渠道“火星”" in reply and "可选：Telegram、企业微信、自动" in reply
    assert _contact(app).preferred_channel is None


def test_strangers_are_told_to_register(app: App) -> None:
    assert "绑定 邀请码" in simulator(app, "nobody").send("渠道")[0]


def test_group_messages_not_addressed_to_the_bot_change_nothing(app: App) -> None:
    user = _registered(app)
    user.send("投入资金5万元")
    for text in ("撤回", "渠道 自动", "帮助"):
        app.router.handle(Incoming(channel="console", chat_id="group-9", sender_id="c1", chat_type="group",
                                   addressed=False, text=text, message_id=f"g-{text}"))
    app.queue.join()
    with Session(app.engine) as session:
        assert not session.exec(select(Delivery).where(Delivery.chat_id == "group-9")).all()
    assert "已撤回" in user.send("撤回")[0]  # the update was still there
