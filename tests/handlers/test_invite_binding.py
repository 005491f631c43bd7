"""Binding codes whose contact or role changed meaning: a code for a contact deactivated since is refused
unspent, and an admin moving to another admin scope is not told it stops being an admin."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import App
from bot.db import unit_of_work
from models.messaging import Invite
from models.registry import ChannelIdentity, Contact, Role
from models.services import contacts
from models.services.invites import create_invite
from tests.conftest import simulator
from tests.factories import invite
from tests.handlers.test_reporting import county_contact

LOSES_ADMIN = "您将不再是管理员"


def _code_for(app: App, name: str) -> str:
    with unit_of_work(app.engine) as session:
        return create_invite(session, Role.county, actor="test", expires_days=7,
                             contact=contacts.find(session, name)).code


def _spent(app: App, code: str) -> bool:
    with Session(app.engine) as session:
        return session.exec(select(Invite).where(Invite.code == code)).one().used_at is not None


def _role_of(app: App, sender: str) -> tuple[str, list[str]] | None:
    with Session(app.engine) as session:
        identity = session.exec(select(ChannelIdentity).where(ChannelIdentity.external_id == sender)).first()
        contact = session.get(Contact, identity.contact_id) if identity else None
        return (contact.role, list(contact.provinces)) if contact else None


def test_a_code_for_a_contact_deactivated_since_is_refused_and_not_spent(app: App) -> None:
    county_contact(app, sender="phone")  # 测试用户, county contact of 布拖县
    code = _code_for(app, "测试用户")
    with unit_of_work(app.engine) as session:
        contacts.deactivate(session, contacts.find(session, "测试用户"), "测试", "test")
    desk = simulator(app, "desk")
    [reply] = desk.send(f"绑定 {code}")
    assert "已停用" in reply and "重新启用" in reply and "邀请码未使用" in reply and "绑定成功" not in reply
    assert not _spent(app, code) and _role_of(app, "desk") is None
    boss = simulator(app, "boss")  # a chat bound elsewhere is refused before it is asked to move
    boss.send(f"绑定 {invite(app.engine, Role.admin, name='王主任')}")
    [asked] = boss.send(f"绑定 {code}")
    assert "已停用" in asked and "确认改绑" not in asked and not _spent(app, code)
    with unit_of_work(app.engine) as session:
        contacts.reactivate(session, contacts.find(session, "测试用户"), "调回", "test")
    assert desk.send(f"绑定 {code}")[0].startswith("绑定成功")
    assert _spent(app, code)


def test_a_contact_deactivated_between_question_and_answer_keeps_the_code(app: App) -> None:
    county_contact(app, sender="phone")
    code = _code_for(app, "测试用户")
    boss = simulator(app, "boss")
    boss.send(f"绑定 {invite(app.engine, Role.admin, name='王主任')}")
    assert "确认改绑吗" in boss.send(f"绑定 {code}")[0]
    with unit_of_work(app.engine) as session:
        contacts.deactivate(session, contacts.find(session, "测试用户"), "测试", "test")
    assert "已停用" in boss.send("确认改绑")[0]
    assert not _spent(app, code) and _role_of(app, "boss") == (Role.admin, [])


def test_an_admin_moving_to_another_admin_scope_is_not_told_it_stops_being_admin(app: App) -> None:
    boss = simulator(app, "boss")
    boss.send(f"绑定 {invite(app.engine, Role.admin, name='王主任')}")
    with unit_of_work(app.engine) as session:
        code = create_invite(session, Role.admin, actor="test", expires_days=7, provinces=["广东"]).code
    [question] = boss.send(f"绑定 {code}")
    assert "将把它改为管理员（广东省）" in question and LOSES_ADMIN not in question
    assert boss.send("确认改绑")[0].startswith("已改绑：这个聊天账号现在登记为管理员（广东省）")
    assert _role_of(app, "boss") == (Role.admin, ["广东省"])


def test_an_admin_moving_to_a_county_contact_is_still_warned(app: App) -> None:
    boss = simulator(app, "boss")
    boss.send(f"绑定 {invite(app.engine, Role.admin, name='王主任')}")
    county_contact(app, sender="phone")
    [question] = boss.send(f"绑定 {_code_for(app, '测试用户')}")  # joins an existing county contact
    assert LOSES_ADMIN in question
