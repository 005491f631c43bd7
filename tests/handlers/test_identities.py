"""Identities over time: a bound chat asks before it is moved, one person keeps one contact across chats,
and contacts are deactivated, reactivated, unbound and merged with an audit trail."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.db import unit_of_work
from models.messaging import AuditLog
from models.registry import ChannelIdentity, Contact, Role
from models.reporting import ProgressUpdate
from models.services import contacts
from models.services.invites import create_invite
from tests.conftest import simulator
from tests.factories import invite
from tests.handlers.test_reporting import county_contact
from tests.reminders.test_cli_reminders import pairbot as pairbot_group
from tests.test_cli import pairbot, workdir  # noqa: F401  (workdir: a database made by `pairbot init`)


def _admin(app: App, sender: str = "boss"):  # type: ignore[no-untyped-def]
    user = simulator(app, sender)
    user.send(f"绑定 {invite(app.engine, Role.admin, name='王主任')}")
    return user


def _contact_of(app: App, sender: str) -> Contact | None:
    with Session(app.engine) as session:
        identity = session.exec(select(ChannelIdentity).where(ChannelIdentity.external_id == sender)).first()
        return session.get(Contact, identity.contact_id) if identity else None


def test_an_admin_redeeming_another_code_is_asked_and_warned_first(app: App) -> None:
    boss = _admin(app)
    county_user = county_contact(app, sender="c9")  # makes a county and a pairing to invite for
    county_code = invite(app.engine, Role.county, county=_contact_of(app, "c9").county_id)  # type: ignore[union-attr]
    [question] = boss.send(f"绑定 {county_code}")
    assert "这个聊天账号已登记为管理员（全部省份），姓名：王主任。" in question
    assert "县联络员（四川省布拖县）" in question and "您将不再是管理员" in question
    assert [b.label for b in boss.channel.sent[-1].buttons] == ["确认改绑", "取消"]
    assert boss.press(2)[0].startswith("已取消，您仍是管理员")
    assert _contact_of(app, "boss").role == Role.admin  # type: ignore[union-attr]
    boss.send(f"绑定 {county_code}")  # the code was not spent by asking
    assert boss.send("确认改绑")[0].startswith("已改绑：这个聊天账号现在登记为县联络员（四川省布拖县）")
    assert _contact_of(app, "boss").role == Role.county  # type: ignore[union-attr]
    assert county_user.send("我是谁")[0].startswith("测试用户")  # the other contact is untouched


def test_a_forged_or_foreign_answer_moves_nothing(app: App) -> None:
    boss = _admin(app)
    county_contact(app, sender="c9")
    code = invite(app.engine, Role.county, county=_contact_of(app, "c9").county_id)  # type: ignore[union-attr]
    boss.send(f"绑定 {code}")
    question = boss.channel.sent[-1].buttons[0].data
    stranger = simulator(app, "c9")
    assert stranger.send(callback_data=question) == ["没有待确认的改绑。如需绑定，请发送“绑定 邀请码”。"]
    assert boss.send(callback_data="rebind:999999999999999999999:yes")[0].startswith("没有待确认的改绑")
    assert _contact_of(app, "boss").role == Role.admin  # type: ignore[union-attr]
    assert boss.send(callback_data=question)[0].startswith("已改绑")
    assert boss.send(callback_data=question)[0].startswith("没有待确认的改绑")  # answered once only


def test_an_invite_for_an_existing_contact_adds_a_second_chat(app: App) -> None:
    first = county_contact(app, sender="phone")
    person = _contact_of(app, "phone")
    with unit_of_work(app.engine) as session:
        code = create_invite(session, Role.county, actor="test", expires_days=7,
                             contact=session.get(Contact, person.id)).code  # type: ignore[union-attr]
    second = simulator(app, "desk")
    assert "绑定成功" in second.send(f"绑定 {code}")[0]
    assert _contact_of(app, "desk").id == person.id  # type: ignore[union-attr]
    first.send("本月投入资金10万元")
    second.send("本月又投入资金5万元")
    with Session(app.engine) as session:
        senders = {u.contact_id for u in session.exec(select(ProgressUpdate)).all()}
    assert senders == {person.id}  # type: ignore[union-attr]
    with unit_of_work(app.engine) as session:
        again = create_invite(session, Role.county, actor="test", expires_days=7,
                              contact=session.get(Contact, person.id)).code  # type: ignore[union-attr]
    assert "无需再绑定；邀请码未使用" in first.send(f"绑定 {again}")[0]


def test_a_deactivated_contact_cannot_report_until_reactivated(app: App) -> None:
    user = county_contact(app)
    with unit_of_work(app.engine) as session:
        contacts.deactivate(session, contacts.find(session, "测试用户"), "调离", "test")
    assert "您的账号已停用" in user.send("本月投入资金10万元")[0]  # told why, not asked to register
    with unit_of_work(app.engine) as session:
        contacts.reactivate(session, contacts.find(session, "测试用户"), "调回", "test")
    assert user.send("本月投入资金10万元")[0].startswith("已记录")


def test_merging_moves_chats_and_updates_and_the_ledger_follows(app: App) -> None:
    first = county_contact(app, sender="a1")
    second = simulator(app, "a2")
    second.send(f"绑定 {invite(app.engine, Role.county, county=_contact_of(app, 'a1').county_id, name='阿木')}")  # type: ignore[union-attr]
    second.send("培训农民30人")
    keep, gone = _contact_of(app, "a1"), _contact_of(app, "a2")
    with unit_of_work(app.engine) as session:
        moved = contacts.merge(session, session.get(Contact, gone.id), session.get(Contact, keep.id), "test")  # type: ignore[arg-type,union-attr]
    assert moved == {"identities": 1, "updates": 1, "attachments": 0, "questions": 0}
    assert _contact_of(app, "a2").id == keep.id  # type: ignore[union-attr]
    assert first.send("我是谁")[0] == second.send("我是谁")[0]
    with Session(app.engine) as session:
        assert not session.get(Contact, gone.id).active  # type: ignore[union-attr]
        assert session.exec(select(AuditLog.action).where(AuditLog.target == f"contact:{gone.id}")).all() == [  # type: ignore[union-attr]
            "contact.merge"]


def test_the_last_admin_cannot_be_deactivated(app: App) -> None:
    _admin(app)
    with unit_of_work(app.engine) as session, pytest.raises(contacts.ContactError, match="唯一的在用管理员"):
        contacts.deactivate(session, contacts.find(session, "王主任"), "离职", "test")


def test_the_last_admin_of_every_province_cannot_be_deactivated_beside_scoped_ones(app: App) -> None:
    _admin(app)
    with unit_of_work(app.engine) as session:
        session.add(Contact(name="川办", role=Role.admin, provinces=["四川省"]))
    with unit_of_work(app.engine) as session, pytest.raises(contacts.ContactError, match="唯一负责全部省份"):
        contacts.deactivate(session, contacts.find(session, "王主任"), "离职", "test")
    with unit_of_work(app.engine) as session, pytest.raises(contacts.ContactError, match="原因最多 500 字"):
        contacts.deactivate(session, contacts.find(session, "川办"), "调" * 501, "test")  # refused, not cut
    with unit_of_work(app.engine) as session:  # a scoped admin can go while the national one stays
        contacts.deactivate(session, contacts.find(session, "川办"), "调岗", "test")
    with unit_of_work(app.engine) as session:
        session.add(Contact(name="李处", role=Role.admin, provinces=[]))
    with unit_of_work(app.engine) as session:  # another admin of every province: now it can
        contacts.deactivate(session, contacts.find(session, "王主任"), "离职", "test")


def test_contacts_commands_and_invite_for_a_contact(workdir) -> None:  # noqa: F811
    cwd, env = workdir
    (cwd / "contacts.csv").write_text("name,role,county,phone\n阿木,county,布拖县,139 1234 5678\n"
                                      "吉克,county,昭觉县,abc\n", encoding="utf-8")
    imported = pairbot("import", "contacts", "contacts.csv", cwd=cwd, env=env)
    assert "contacts.csv 第 3 行，列 phone" in imported.stderr and "11 位手机号" in imported.stderr
    listed = json.loads(pairbot_group("contacts", "list", "--json", cwd=cwd, env=env).stdout)
    assert [(c["name"], c["phone"], c["scope"]) for c in listed] == [("阿木", "13912345678", "县联络员（四川省布拖县）")]
    made = pairbot("invite", "--contact", "阿木", "--json", cwd=cwd, env=env)
    assert made.returncode == 0 and json.loads(made.stdout)["contact"]["name"] == "阿木", made.stderr
    both = pairbot("invite", "--contact", "阿木", "--role", "admin", cwd=cwd, env=env)
    assert both.returncode == 2 and "请不要同时使用" in both.stderr
    for args, code, text in ((("contacts", "deactivate", "阿木", "--reason", "调离"), 0, "已停用联系人 阿木"),
                             (("contacts", "deactivate", "阿木", "--reason", "调离"), 1, "已停用"),
                             (("contacts", "reactivate", "阿木", "--reason", ""), 1, "请写明原因"),
                             (("contacts", "reactivate", "阿木", "--reason", "调回"), 0, "已重新启用"),
                             (("contacts", "unbind", "阿木", "--channel", "telegram"), 1, "没有绑定的账号"),
                             (("contacts", "show", "无此人"), 1, "没有名为“无此人”的联系人"),
                             (("contacts", "merge", "阿木", "阿木"), 1, "不能把联系人合并到自己")):
        result = pairbot_group(*args, cwd=cwd, env=env)
        assert result.returncode == code and text in (result.stdout + result.stderr), (args, result.stderr)
    shown = json.loads(pairbot_group("contacts", "show", "阿木", "--json", cwd=cwd, env=env).stdout)
    assert [line.split(" ", 2)[2].split(" ")[0] for line in shown["history"]] == ["contact.reactivate",
                                                                                 "contact.deactivate"]
