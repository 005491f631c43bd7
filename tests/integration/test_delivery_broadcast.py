"""Broadcasts: segments and scope, the CLI (send, status, nudge), admins' chat commands, 收到, /metrics.

Recipients chat on the console channel, so every message the bot sends lands in the console
transcript with its chat id; the chats read as dialogs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.app import App
from bot.channels.console import NAME as CONSOLE, ConsoleChannel
from bot.config import Settings
from bot.db import unit_of_work
from bot.messages import Incoming
from bot.web import build_web
from models.base import utcnow
from models.messaging import Broadcast, Delivery
from models.registry import ChannelIdentity, Contact, Group, Role
from models.services import broadcast as service
from tests.conftest import simulator
from tests.factories import CODES, add_org, county_id, load_counties, pair

REPO = Path(__file__).resolve().parents[2]


def person(app: App, name: str, role: Role, chat: str, *, county: str | None = None, org: int | None = None,
           provinces: tuple[str, ...] = (), channel: str = CONSOLE) -> int:
    with unit_of_work(app.engine) as session:
        contact = Contact(name=name, role=role, county_id=county_id(app.engine, county) if county else None,
                          organization_id=org, provinces=list(provinces), last_channel=channel)
        session.add(contact)
        session.flush()
        session.add(ChannelIdentity(contact_id=contact.id, channel=channel, external_id=chat))
        return contact.id  # type: ignore[return-value]


@pytest.fixture
def world(app: App) -> App:
    """Two Sichuan counties and one in Guizhou, an organization paired with 布拖县, admins national and scoped."""
    load_counties(app.engine)
    org = add_org(app.engine, "中国乡村发展基金会", CODES[0])
    pair(app.engine, org, county_id(app.engine, "布拖县"))
    person(app, "阿木", Role.county, "c-butuo", county="布拖县")
    person(app, "吉克", Role.county, "c-zhaojue", county="昭觉县")
    person(app, "杨梅", Role.county, "c-guizhou", county="从江县")
    person(app, "王芳", Role.organization, "o-fund", org=org)
    person(app, "李主任", Role.admin, "admin")
    person(app, "川办", Role.admin, "admin-sc", provinces=("四川省",))
    gone = person(app, "离职者", Role.county, "c-gone", county="布拖县")  # left: the platform said unreachable
    with unit_of_work(app.engine) as session:
        identity = session.exec(select(ChannelIdentity).where(ChannelIdentity.contact_id == gone)).one()
        identity.unreachable_since = utcnow()
        session.add(identity)
        session.add(Group(channel=CONSOLE, chat_id="g-sichuan", title="四川联络群", province="四川省", tags=["联络员"]))
        session.add(Group(channel=CONSOLE, chat_id="g-guizhou", title="贵州联络群", province="贵州省", tags=["联络员"]))
    return app


class Person:
    """Someone chatting with the bot on the console; sees only the messages sent to their own chat."""

    def __init__(self, app: App, chat: str) -> None:
        self.simulator = simulator(app, chat)
        self.chat = chat

    def send(self, text: str = "", *, callback_data: str | None = None) -> list[str]:
        console = self.simulator.channel
        before = len(console.sent)
        self.simulator.send(text, callback_data=callback_data)
        return [m.text for m in console.sent[before:] if m.chat_id == self.chat]

    def press(self, number: int) -> list[str]:
        """Press button `number` under the latest message to this chat that has buttons."""
        mine = [m for m in self.simulator.channel.sent if m.chat_id == self.chat and m.buttons]
        return self.send(callback_data=mine[-1].buttons[number - 1].data)


def received(app: App, chat: str) -> list[str]:
    console = app.channels[CONSOLE]
    assert isinstance(console, ConsoleChannel)
    return [m.text for m in console.sent if m.chat_id == chat]


def chats_of(audience: service.Audience) -> list[str]:
    return sorted(r.chat_id for r in audience.recipients)


# --- who a segment reaches ---------------------------------------------------------------------------------


def test_segments_reach_the_right_contacts_and_groups(world: App) -> None:
    with Session(world.engine) as session:
        def resolve(text: str, provinces: tuple[str, ...] = ()) -> service.Audience:
            return service.resolve_audience(session, service.parse_segment(text), provinces)

        everyone = resolve("all")
        assert chats_of(everyone) == sorted(["c-butuo", "c-zhaojue", "c-guizhou", "o-fund", "admin", "admin-sc",
                                             "g-sichuan", "g-guizhou"])
        assert len(everyone.unreachable) == 1 and "1 位联系人无法送达" in everyone.summary_zh()
        assert everyone.counts() == {CONSOLE: {"contacts": 6, "groups": 2}}
        assert chats_of(resolve("county")) == ["c-butuo", "c-guizhou", "c-zhaojue"]
        assert chats_of(resolve("管理员")) == ["admin", "admin-sc"]
        # a province: its county contacts, organizations paired there, its admins, its groups
        assert chats_of(resolve("province:四川省")) == ["admin-sc", "c-butuo", "c-zhaojue", "g-sichuan", "o-fund"]
        assert chats_of(resolve("province：四川")) == chats_of(resolve("province:四川省"))
        assert chats_of(resolve("county:布拖县")) == ["c-butuo", "o-fund"]
        assert chats_of(resolve("group:联络员")) == ["g-guizhou", "g-sichuan"]
        # an admin scoped to Sichuan reaches only Sichuan, whatever the segment
        assert chats_of(resolve("all", ("四川省",))) == ["admin-sc", "c-butuo", "c-zhaojue", "g-sichuan", "o-fund"]
        assert chats_of(resolve("group:联络员", ("四川省",))) == ["g-sichuan"]
        for text, message in (("province:贵州省", "您只能向您负责的省份"), ("county:从江县", "不在您负责的省份")):
            with pytest.raises(service.BroadcastError, match=message):
                resolve(text, ("四川省",))
        for text, message in (("everyone", "无法识别的广播对象"), ("county:不存在县", "未找到县"),
                              ("province:火星", "未找到省份"), ("group:无此标签", "没有带标签")):
            with pytest.raises(service.BroadcastError, match=message):
                resolve(text)


# --- the command line --------------------------------------------------------------------------------------


@pytest.fixture
def run_cli(world: App, settings: Settings, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`pairbot …` in a child process, as an admin runs it on the server, against the test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")}
    env |= {"PAIRBOT_DATABASE__URL": settings.database.url, "PAIRBOT_CONFIG": str(tmp_path / "pairbot.toml")}
    (tmp_path / "pairbot.toml").write_text("", encoding="utf-8")

    def invoke(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO, env=env, input=input,
                                capture_output=True, text=True, timeout=60)
        result.output = result.stdout + result.stderr  # type: ignore[attr-defined]
        return result

    return invoke


def test_cli_broadcast_asks_then_writes_rows_that_the_running_app_sends(world: App, run_cli: Callable[..., Any],
                                                                        ) -> None:
    declined = run_cli("broadcast", "--to", "county:布拖县", "--text", "请于8月31日前签订帮扶协议", input="n\n")
    assert declined.returncode == 1 and "终端模拟器" in declined.output and "已取消" in declined.output
    assert "1 位联系人没有可用的聊天账号" in declined.output
    with Session(world.engine) as session:
        assert session.exec(select(Delivery)).all() == []

    done = run_cli("broadcast", "--to", "county:布拖县", "--text", "请于8月31日前签订帮扶协议", "--ack", "--yes")
    assert done.returncode == 0, done.output
    assert "广播 #1 已加入发送队列：2 个收件人" in done.output
    with Session(world.engine) as session:
        rows = session.exec(select(Delivery).order_by(Delivery.id)).all()
        assert [(r.chat_id, r.status) for r in rows] == [("c-butuo", "pending"), ("o-fund", "pending")]
        assert rows[0].buttons == [["收到", f"ack:{rows[0].id}"]]
        assert session.get(Broadcast, 1).unreachable == [7]  # type: ignore[union-attr]
    assert world.relay_once() == 0  # younger than relay_after_seconds: the queue may still bring them
    with unit_of_work(world.engine) as session:  # time passes
        for row in session.exec(select(Delivery)).all():
            row.created_at = utcnow().replace(year=2020)
            session.add(row)
    assert world.relay_once() == 2
    world.queue.join()
    assert received(world, "c-butuo") == ["【通知】请于8月31日前签订帮扶协议\n\n请点“收到”或回复“收到”确认。"]

    status = json.loads(run_cli("broadcast", "status", "1", "--json").output)
    assert status["counts"] == {"total": 3, "sent": 2, "pending": 0, "failed": 0, "unreachable": 1, "acknowledged": 0}
    assert [line["name"] for line in status["unacknowledged"]] == ["阿木", "王芳"]
    assert [line["name"] for line in status["unreachable"]] == ["离职者"]
    table = run_cli("broadcast", "status", "1").output
    assert "尚未确认收到（2）" in table and "阿木" in table and "pairbot broadcast nudge 1" in table
    overview = json.loads(run_cli("broadcast", "status", "--json").output)
    assert overview["broadcasts"][0]["counts"]["sent"] == 2
    assert [row["name"] for row in overview["unreachable"]] == ["离职者"]

    Person(world, "c-butuo").send("收到")
    nudged = run_cli("broadcast", "nudge", "1", "--yes")
    assert "1 位收件人" in nudged.output
    world.relay_once()
    with unit_of_work(world.engine) as session:
        for row in session.exec(select(Delivery).where(Delivery.status == "pending")).all():
            row.created_at = utcnow().replace(year=2020)
            session.add(row)
    world.relay_once()
    world.queue.join()
    assert received(world, "c-butuo")[-1] == "已确认收到，谢谢！"
    [reminder] = received(world, "o-fund")[1:]
    assert reminder.startswith("【提醒】请确认收到以下通知：\n请于8月31日前签订帮扶协议")
    Person(world, "o-fund").press(1)
    final = json.loads(run_cli("broadcast", "status", "1", "--json").output)
    assert final["counts"]["acknowledged"] == 2 and final["unacknowledged"] == []
    assert "无需提醒" in run_cli("broadcast", "nudge", "1", "--yes").output


def test_cli_preview_warns_of_recipients_on_a_platform_without_a_token(world: App, run_cli: Callable[..., Any]) -> None:
    person(world, "扎西", Role.county, "9001", county="布拖县", channel="telegram")
    declined = run_cli("broadcast", "--to", "county:布拖县", "--text", "请于8月31日前签订帮扶协议", input="n\n")
    assert declined.returncode == 1
    assert "未启用 Telegram" in declined.output and "这 1 个收件人的消息将发送失败" in declined.output, declined.output
    only_console = run_cli("broadcast", "--to", "county:昭觉县", "--text", "通知", input="n\n")
    assert "未启用" not in only_console.output


def test_cli_refuses_bad_input_with_the_reason(world: App, run_cli: Callable[..., Any]) -> None:
    result = run_cli("broadcast", "--to", "county:火星县", "--text", "x", "--yes")
    assert result.returncode == 2 and "未找到县“火星县”" in result.output
    assert run_cli("broadcast", "--text", "x").returncode == 2
    assert "没有编号为 9 的广播" in run_cli("broadcast", "status", "9").output
    assert run_cli("broadcast", "--to", "county", "--text", "周五前提交月报", "--yes").returncode == 0
    assert "不要求回复“收到”，无需催办" in run_cli("broadcast", "nudge", "1", "--yes").output


# --- in chat -----------------------------------------------------------------------------------------------


def test_admin_previews_confirms_once_and_recipients_get_it(world: App) -> None:
    admin = Person(world, "admin")
    [preview] = admin.send("广播 county:布拖县 回执 明天上午9点召开视频调度会")
    assert "广播预览（#1）" in preview and "对象：布拖县" in preview and "联系人 2 位" in preview
    assert "1 位联系人无法送达" in preview and "收件人需回复“收到”确认" in preview
    assert received(world, "c-butuo") == []  # nothing goes out before the confirmation
    [confirmed] = admin.press(1)
    assert "广播 #1 已开始发送" in confirmed
    assert received(world, "c-butuo") == ["【通知】明天上午9点召开视频调度会\n\n请点“收到”或回复“收到”确认。"]
    assert "已经发送，不会重复发送" in admin.send(callback_data="bc:ok:1")[0]  # a replayed confirmation
    assert len(received(world, "c-butuo")) == 1

    butuo = Person(world, "c-butuo")
    assert butuo.press(1) == ["已确认收到，谢谢！"]
    assert butuo.send(callback_data=f"ack:{_delivery_to(world, 'c-butuo')}") == ["您已确认过这条通知，谢谢。"]
    fund = Person(world, "o-fund")
    assert fund.send(callback_data=f"ack:{_delivery_to(world, 'c-butuo')}") == ["无法确认：这条通知不是发给您的。"]
    assert fund.send("收到，谢谢！") == ["已确认收到，谢谢！"]
    assert fund.send("收到") == ["目前没有需要您确认的通知。"]
    with Session(world.engine) as session:
        assert all(d.acknowledged_at is not None for d in session.exec(select(Delivery).where(
            Delivery.broadcast_id == 1)).all())


def _delivery_to(app: App, chat: str) -> int:
    with Session(app.engine) as session:
        return session.exec(select(Delivery.id).where(Delivery.chat_id == chat, Delivery.broadcast_id.is_not(None))  # type: ignore[union-attr]
                            ).first()  # type: ignore[return-value]


def test_only_the_creator_confirms_and_others_are_refused_politely(world: App) -> None:
    [preview] = Person(world, "admin").send("/broadcast all 系统维护通知")
    assert "广播预览（#1）" in preview
    assert Person(world, "admin-sc").send(callback_data="bc:ok:1") == ["无法确认：没有找到您创建的这条广播。"]
    assert Person(world, "c-butuo").send("广播 all 我也想发") == ["抱歉，只有管理员可以发送广播。"]
    assert "无法确认" in Person(world, "c-butuo").send(callback_data="bc:ok:1")[0]
    assert "已取消广播 #1" in Person(world, "admin").send("取消")[0]
    assert "已取消" in Person(world, "admin").send(callback_data="bc:ok:1")[0]
    with Session(world.engine) as session:
        assert session.exec(select(Delivery).where(Delivery.broadcast_id.is_not(None))).all() == []  # type: ignore[union-attr]


def test_scoped_admin_broadcasts_within_their_provinces_only(world: App) -> None:
    sichuan = Person(world, "admin-sc")
    assert "您只能向您负责的省份（四川省）发送广播" in sichuan.send("广播 province:贵州省 通知")[0]
    [preview] = sichuan.send("广播 all 四川省内通知")
    assert "（限您负责的省份：四川省）" in preview and "联系人 4 位、群 1 个" in preview
    replies = sichuan.send("确认")  # the admin is in Sichuan too, so the notice comes to them as well
    assert any("已开始发送" in reply for reply in replies) and "【通知】四川省内通知" in replies
    assert received(world, "c-zhaojue") == ["【通知】四川省内通知"]
    assert received(world, "c-guizhou") == [] and received(world, "g-guizhou") == []
    assert "用法：广播 对象 内容" in sichuan.send("广播")[0]


def test_metrics_count_updates_deliveries_and_queue(world: App) -> None:
    Person(world, "admin").send("帮助")
    with TestClient(build_web(world)) as client:
        response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = response.text.splitlines()
    assert 'pairbot_updates_received_total{channel="console"} 1' in lines
    assert 'pairbot_deliveries{channel="console",status="sent"} 1' in lines
    assert 'pairbot_deliveries{channel="console",status="pending"} 0' in lines
    assert 'pairbot_queue_depth{source="ready"} 0' in lines
    assert "# TYPE pairbot_updates_received_total counter" in lines


def test_a_group_answers_a_notice_with_a_plain_shoudao(world: App) -> None:
    """In a group, anyone (registered or not) answers 收到 without addressing the bot; once is enough."""
    with unit_of_work(world.engine) as session:
        queued = service.queue_broadcast(session, service.parse_segment("group:联络员"), "明天停电检修",
                                         require_ack=True, actor="test", now=utcnow())
    world.queue.enqueue(queued.delivery_ids)
    world.queue.join()
    assert received(world, "g-sichuan") == ["【通知】明天停电检修\n\n请点“收到”或回复“收到”确认。"]

    def group_says(text: str, sender: str) -> list[str]:
        before = len(received(world, "g-sichuan"))
        world.router.handle(Incoming(channel=CONSOLE, chat_id="g-sichuan", sender_id=sender, text=text,
                                     message_id=f"m-{sender}-{text}", chat_type="group", addressed=False))
        world.queue.join()
        return received(world, "g-sichuan")[before:]

    assert group_says("收到", "stranger") == ["已确认收到，谢谢！"]
    assert group_says("收到", "someone-else") == []  # nothing left to acknowledge: ordinary chatter
    with Session(world.engine) as session:
        report = service.report(session, queued.broadcast.id)  # type: ignore[arg-type]
    assert report.counts["acknowledged"] == 1 and [line.chat_id for line in report.unacknowledged] == ["g-guizhou"]
