"""`pairbot groups`: tags and provinces on groups, WeCom app chats created through the API (the stand-in),
group robots registered in the database — and `group:` / `province:` notices reaching them, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bot.app import App
from bot.channels.wecom import ROBOT, sync_robot_groups, wecom_channels
from bot.db import make_engine, unit_of_work
from models.messaging import AuditLog, Delivery, DeliveryStatus
from models.registry import Group
from models.services.broadcast import BroadcastError, Segment, resolve_audience
from models.services.groups import record_group
from models.services.provinces import UnknownProvince, find_province
from tests.conftest import make_settings
from tests.reminders.test_cli_reminders import pairbot
from tests.standins.wecom_api import APPCHAT_CREATE, APPCHAT_SEND, WEBHOOK_SEND, WecomApiStandIn
from tests.test_cli import workdir  # noqa: F401  (fixture: a database made by `pairbot init`)

Workdir = tuple[Path, dict[str, str]]


@pytest.fixture
def api() -> Iterator[WecomApiStandIn]:
    with WecomApiStandIn() as standin:
        yield standin


def wecom_env(api: WecomApiStandIn) -> dict[str, str]:
    return {"PAIRBOT_WECOM__CORP_ID": api.corp_id, "PAIRBOT_WECOM__SECRET": api.secret,
            "PAIRBOT_WECOM__AGENT_ID": "1000002", "PAIRBOT_WECOM__API_BASE_URL": api.url}


def rows(url: str, *where: object) -> list[Group]:
    engine = make_engine(url)
    with Session(engine) as session:
        found = list(session.exec(select(Group).where(*where).order_by(col(Group.id))).all())
    engine.dispose()
    return found


def test_provinces_are_found_by_full_or_short_name(workdir: Workdir) -> None:  # noqa: F811
    engine = make_engine(workdir[1]["PAIRBOT_DATABASE__URL"])
    with Session(engine) as session:
        assert find_province(session, "四川") == find_province(session, "四川省") == "四川省"
        assert find_province(session, "广西") == find_province(session, " 广西壮族自治区 ") == "广西壮族自治区"
        assert {find_province(session, name) for name in ("西藏自治区", "西藏", "西藏自治區")} == {"西藏自治区"}
        for wrong in ("四", "火星", "", "四川四川"):
            with pytest.raises(UnknownProvince, match="可用全称、简称或繁体"):
                find_province(session, wrong)
    engine.dispose()


def test_telegram_groups_are_tagged_and_placed_from_the_command_line(workdir: Workdir) -> None:  # noqa: F811
    cwd, env = workdir
    url = env["PAIRBOT_DATABASE__URL"]
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        record_group(session, "telegram", "-100500", "布拖县帮扶工作群")
    engine.dispose()

    tagged = pairbot("groups", "tag", "--", "-100500", "县联络员", "凉山", cwd=cwd, env=env)
    assert tagged.returncode == 0 and "标签：凉山、县联络员" in tagged.stdout, tagged.stderr
    placed = pairbot("groups", "set-province", "布拖县帮扶工作群", "四川", cwd=cwd, env=env)
    assert placed.returncode == 0 and "四川省" in placed.stdout, placed.stderr
    untagged = pairbot("groups", "untag", "1", "凉山", cwd=cwd, env=env)
    assert untagged.returncode == 0 and "标签：县联络员" in untagged.stdout

    for args, message in ((("groups", "set-province", "1", "火星"), "未找到省份“火星”"),
                          (("groups", "tag", "999", "x"), "没有找到群“999”"),
                          (("groups", "tag", "1", "有 空格"), "不含空格"),
                          (("groups", "untag", "1", "没有的"), "没有标签：没有的")):
        refused = pairbot(*args, cwd=cwd, env=env)
        assert refused.returncode == 1 and message in refused.stderr, (args, refused.stderr)

    [listed] = json.loads(pairbot("groups", "list", "--json", cwd=cwd, env=env).stdout)
    assert listed | {"id": 0} == {"id": 0, "channel": "telegram", "chat_id": "-100500", "title": "布拖县帮扶工作群",
                                  "province": "四川省", "kind": "", "tags": ["县联络员"], "active": True, "robot": "",
                                  "host": ""}
    engine = make_engine(url)
    with Session(engine) as session:
        actions = [a.action for a in session.exec(select(AuditLog).where(AuditLog.target == "group:1")
                                                  .order_by(col(AuditLog.id))).all()]
    engine.dispose()
    assert actions == ["group.recorded", "group.tag", "group.tag", "group.tag"]


def test_app_chats_and_robots_reach_province_and_group_notices(workdir: Workdir,  # noqa: F811
                                                                api: WecomApiStandIn) -> None:
    cwd, env = workdir
    env = env | wecom_env(api)
    url = env["PAIRBOT_DATABASE__URL"]

    created = pairbot("groups", "create-wecom-chat", "--name", "四川县联络员群", "--owner", "zhangsan",
                      "--member", "lisi", "--member", "wangwu", "--member", "zhangsan", "--province", "四川",
                      "--tag", "县联络员", cwd=cwd, env=env)
    assert created.returncode == 0, created.stderr
    [(chat_id, chat)] = api.chats.items()
    assert chat == {"name": "四川县联络员群", "owner": "zhangsan", "members": ["zhangsan", "lisi", "wangwu"]}
    assert f"appchat:{chat_id}" in created.stdout
    refused = pairbot("groups", "create-wecom-chat", "--name", "x", "--owner", "a", "--member", "a", cwd=cwd, env=env)
    assert refused.returncode == 1 and "2–2000 位成员" in refused.stderr and len(api.calls_to(APPCHAT_CREATE)) == 1
    api.departed.add("gone")
    failed = pairbot("groups", "create-wecom-chat", "--name", "y", "--owner", "a", "--member", "gone", cwd=cwd, env=env)
    assert failed.returncode == 1 and "创建群聊失败" in failed.stderr and "86216" in failed.stderr
    assert api.secret not in failed.stderr

    key = "robot-key-guangxi-01"
    added = pairbot("groups", "add-robot", "广西联络员群", f"{api.url}/cgi-bin/webhook/send?key={key}",
                    "--province", "广西", cwd=cwd, env=env)
    assert added.returncode == 0 and "已登记群机器人“广西联络员群”" in added.stdout, added.stderr
    assert key not in added.stdout and api.url.split("//")[1] in added.stdout
    for webhook, message in (("https://example.com/hook", "Webhook 地址"), ("short", "8–128 个字母"),
                             ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123", "key 应为 8–128 个字母")):
        bad = pairbot("groups", "add-robot", "坏机器人", webhook, cwd=cwd, env=env)
        assert bad.returncode == 1 and message in bad.stderr
    listing = pairbot("groups", "list", "--json", cwd=cwd, env=env)
    assert key not in listing.stdout and "robot-key" not in pairbot("groups", "list", cwd=cwd, env=env).stdout
    robot = next(r for r in json.loads(listing.stdout) if r["channel"] == ROBOT)
    assert (robot["chat_id"], robot["province"], robot["tags"], robot["robot"]) == (
        "广西联络员群", "广西壮族自治区", ["广西联络员群"], "database")
    engine = make_engine(url)
    with Session(engine) as session:
        audits = session.exec(select(AuditLog).where(col(AuditLog.action).like("group.%"))).all()
        assert all(key not in json.dumps(a.details) for a in audits)
    engine.dispose()

    for segment, reached in (("province:广西", "1 个收件人"), ("province:四川省", "1 个收件人"),
                             ("group:县联络员", "1 个收件人")):
        sent = pairbot("broadcast", "--to", segment, "--text", f"{segment} 的通知", "--yes", cwd=cwd, env=env)
        assert sent.returncode == 0 and reached in sent.stdout, (segment, sent.stdout, sent.stderr)

    settings = make_settings(url, wecom={"corp_id": api.corp_id, "secret": api.secret, "agent_id": 1000002,
                                         "api_base_url": api.url})
    app = App(settings)
    app.channels.update(wecom_channels(settings.wecom, app.engine))  # no [wecom.webhooks]: the robot is in the db
    app.queue.start_worker()
    try:
        with Session(app.engine) as session:
            pending = list(session.exec(select(Delivery.id).where(Delivery.status == DeliveryStatus.pending)).all())
        app.queue.enqueue(pending)  # type: ignore[arg-type]
        app.queue.join()
        with Session(app.engine) as session:
            assert {d.status for d in session.exec(select(Delivery)).all()} == {DeliveryStatus.sent}
        [robot_call] = api.calls_to(WEBHOOK_SEND)
        assert robot_call.query["key"] == key and robot_call.body["text"]["content"] == "【通知】province:广西 的通知"
        chat_texts = sorted(b["text"]["content"] for b in api.delivered(APPCHAT_SEND) if b["chatid"] == chat_id)
        assert chat_texts == ["【通知】group:县联络员 的通知", "【通知】province:四川省 的通知",
                              "本群已接入结对帮扶助手（四川县联络员群）。有关结对帮扶的通知会发到这里。"]

        sync_robot_groups(app, [])  # a start with no [wecom.webhooks]: the registered robot stays
        assert [g.active for g in rows(url, Group.channel == ROBOT)] == [True]
    finally:
        app.close()

    engine = make_engine(url)
    with Session(engine) as session:  # an admin scoped to 广西 reaches only the 广西 groups
        everyone = resolve_audience(session, Segment("all"), ["广西壮族自治区"])
        assert [r.chat_id for r in everyone.recipients if r.group_id] == ["广西联络员群"]
        assert not resolve_audience(session, Segment("group", "县联络员"), ["广西壮族自治区"]).recipients
        with pytest.raises(BroadcastError, match="您只能向您负责的省份"):
            resolve_audience(session, Segment("province", "四川"), ["广西壮族自治区"])
    engine.dispose()


def test_a_robot_named_in_the_config_cannot_be_registered_again(workdir: Workdir,  # noqa: F811
                                                                api: WecomApiStandIn) -> None:
    cwd, env = workdir
    env = env | {"PAIRBOT_WECOM__WEBHOOKS": json.dumps({"县联络员群": "config-key-0001"})}
    refused = pairbot("groups", "add-robot", "县联络员群", "other-key-0001", cwd=cwd, env=env)
    assert refused.returncode == 1 and "已在配置文件 [wecom.webhooks] 中" in refused.stderr
    again = [pairbot("groups", "add-robot", "四川群", key, cwd=cwd, env=env) for key in ("key-one-0001", "key-two-0002")]
    assert "已登记群机器人“四川群”" in again[0].stdout and "已更换群机器人“四川群”的地址" in again[1].stdout
    [robot] = rows(env["PAIRBOT_DATABASE__URL"], Group.channel == ROBOT)
    assert robot.webhook == "key-two-0002"
    listed = pairbot("groups", "list", cwd=cwd, env=env | {"COLUMNS": "160"})  # wide enough for the whole host
    assert listed.returncode == 0 and "key-two" not in listed.stdout and "qyapi.weixin.qq.com" in listed.stdout
