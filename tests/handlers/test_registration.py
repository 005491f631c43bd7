"""Dialogs: strangers, invites, help. Each test reads as a chat: what the user sends, what the bot answers."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.app import App
from bot.messages import Incoming
from models.base import utcnow
from models.messaging import AuditLog, Delivery, InboundMessage, Invite
from models.registry import ChannelIdentity, Contact, Role
from models.reporting import ProgressUpdate
from tests.conftest import simulator
from tests.factories import county_id, invite, load_counties


def test_stranger_is_told_how_to_register_and_nothing_is_stored(app: App) -> None:
    user = simulator(app)
    assert "绑定 邀请码" in user.send("本月投入资金20万元")[0]
    assert "绑定 邀请码" in user.send("帮助")[0]
    with Session(app.engine) as session:
        assert session.exec(select(ProgressUpdate)).all() == []
        assert len(session.exec(select(InboundMessage)).all()) == 2  # the raw messages are kept, not as updates


def test_invite_binds_a_county_contact_once(app: App) -> None:
    load_counties(app.engine)
    code = invite(app.engine, Role.county, county=county_id(app.engine, "布拖县"), name="阿木")
    user = simulator(app, "u1")
    [reply] = user.send(f"绑定 {code}")
    assert "绑定成功" in reply and "四川省布拖县" in reply and "阿木" in reply
    assert "您是县联络员（四川省布拖县）" in user.send("帮助")[0]

    other = simulator(app, "u2")
    [refused] = other.send(f"绑定 {code.lower()}")
    assert "已被使用过" in refused
    assert "绑定 邀请码" in other.send("你好")[0]
    with Session(app.engine) as session:
        identities = session.exec(select(ChannelIdentity)).all()
        assert [(i.channel, i.external_id) for i in identities] == [("console", "u1")]
        actions = [a.action for a in session.exec(select(AuditLog)).all()]
        assert "invite.redeem" in actions and "invite.refused" in actions


def test_start_command_forms_and_traditional_characters(app: App) -> None:
    load_counties(app.engine)
    county = county_id(app.engine, "布拖县")
    first, second = invite(app.engine, Role.county, county=county), invite(app.engine, Role.county, county=county)
    assert "绑定成功" in simulator(app, "a").send(f"/start@pairbot_bot {first}")[0]
    assert "绑定成功" in simulator(app, "b").send(f"綁定{second}")[0]
    assert "您是县联络员" in simulator(app, "b").send("幫助")[0]


def test_expired_and_unknown_codes_bind_nothing(app: App) -> None:
    code = invite(app.engine, Role.admin)
    with Session(app.engine) as session:
        row = session.exec(select(Invite).where(Invite.code == code)).one()
        row.expires_at = utcnow() - timedelta(minutes=1)
        session.add(row)
        session.commit()
    user = simulator(app, "late")
    assert "已于" in user.send(f"绑定 {code}")[0] and "过期" in user.send(f"绑定 {code}")[0]
    assert "无效" in user.send("绑定 NOSUCH99")[0]
    with Session(app.engine) as session:
        assert session.exec(select(Contact)).all() == []


def test_binding_in_a_group_is_refused(app: App) -> None:
    code = invite(app.engine, Role.admin)
    app.router.handle(Incoming(channel="console", chat_id="group-1", sender_id="g", chat_type="group",
                               text=f"绑定 {code}", message_id="m1"))
    app.queue.join()
    with Session(app.engine) as session:
        [delivery] = session.exec(select(Delivery)).all()
        assert "私聊" in delivery.text and delivery.chat_id == "group-1"
        assert session.exec(select(Invite).where(Invite.code == code)).one().used_at is None


def test_admin_help_differs_from_reporter_help(app: App) -> None:
    user = simulator(app, "boss")
    user.send(f"绑定 {invite(app.engine, Role.admin)}")
    [reply] = user.send("/help")
    assert "管理员" in reply and "更正" not in reply


def test_every_reply_is_a_delivery_row_marked_sent(app: App) -> None:
    user = simulator(app)
    user.send("你好")
    with Session(app.engine) as session:
        [delivery] = session.exec(select(Delivery)).all()
        assert delivery.status == "sent" and delivery.platform_message_id and delivery.attempts == 1


def test_a_private_message_makes_an_unreachable_identity_reachable_again(app: App) -> None:
    user = simulator(app, "back")
    user.send(f"绑定 {invite(app.engine, Role.admin)}")
    with Session(app.engine) as session:
        identity = session.exec(select(ChannelIdentity).where(ChannelIdentity.external_id == "back")).one()
        identity.unreachable_since = utcnow()
        session.add(identity)
        session.commit()
    user.send("我是谁")
    with Session(app.engine) as session:
        identity = session.exec(select(ChannelIdentity).where(ChannelIdentity.external_id == "back")).one()
        assert identity.unreachable_since is None
        assert session.exec(select(AuditLog).where(AuditLog.action == "identity.reachable")).one()


def test_a_code_typed_in_full_width_or_pasted_with_invisible_characters_binds(app: App) -> None:
    # A Chinese input method in full-width mode types ＴＵＫＺ…; a code copied from a web page may carry a
    # zero-width space. Both were "邀请码 … 无效".
    load_counties(app.engine)
    county = county_id(app.engine, "布拖县")
    first, second = invite(app.engine, Role.county, county=county), invite(app.engine, Role.county, county=county)
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in first.lower())
    assert "绑定成功" in simulator(app, "a").send(f"绑定 {full_width}")[0]
    assert "绑定成功" in simulator(app, "b").send(f"绑定 {second[:4]}\u200b{second[4:]}\u3000")[0]
