"""Telegram end to end: the real python-telegram-bot Application against a stand-in Bot API on 127.0.0.1.

Updates go in by long polling (injected into the stand-in's getUpdates) or by POST to the
webhook route; replies come out through the outbox, the delivery workers and PTB's Bot, and are
read back from the stand-in's request log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.app import App
from bot.channels.telegram import TelegramChannel, register_telegram
from bot.components import build_components
from bot.config import ConfigError, load_settings
from bot.db import unit_of_work
from bot.web import build_web
from models.messaging import Delivery, InboundMessage
from models.registry import ChannelIdentity, Group, Role
from models.reporting import Attachment as AttachmentRow
from models.reporting import ProgressEdit, ProgressUpdate
from models.services import groups
from tests.conftest import make_settings
from tests.factories import CODES, add_org, county_id, invite, load_counties, pair
from tests.standins.telegram_api import BOT_USERNAME, TOKEN, TelegramApiStandIn, Updates

SECRET = "s3cret-token_for-tests"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Bot:
    app: App
    channel: TelegramChannel
    api: TelegramApiStandIn
    updates: Updates

    def rows(self, model: Any) -> list[Any]:
        with Session(self.app.engine) as session:
            return list(session.exec(select(model).order_by(model.id)).all())

    def say(self, user_id: int, text: str = "", **extra: Any) -> list[str]:
        """Send a private message by polling and return everything the bot has sent that user so far."""
        before = len(self.api.sent_texts(user_id))
        self.api.inject(self.updates.message(user_id, text, **extra))
        sent = self.api.wait_sent(user_id, before + 1)[before:]
        self.app.queue.join()  # the worker has recorded the send too
        return sent


def start_bot(db_url: str, api: TelegramApiStandIn, mode: str = "polling") -> Bot:
    settings = make_settings(db_url, telegram={"token": TOKEN, "api_base_url": api.base_url, "mode": mode,
                                               "secret_token": SECRET, "bot_username": BOT_USERNAME})
    app = App(settings)
    app.queue.start_worker()
    channel = register_telegram(app)
    assert channel is not None
    channel.start()
    return Bot(app, channel, api, Updates())


def stop_bot(bot: Bot) -> None:
    bot.channel.stop()
    bot.app.close()


@pytest.fixture
def polling(sqlite_url: str, telegram_api: TelegramApiStandIn) -> Iterator[Bot]:  # noqa: F811
    bot = start_bot(sqlite_url, telegram_api)
    yield bot
    stop_bot(bot)


@pytest.fixture
def webhook(sqlite_url: str, telegram_api: TelegramApiStandIn) -> Iterator[Bot]:  # noqa: F811
    bot = start_bot(sqlite_url, telegram_api, mode="webhook")
    yield bot
    stop_bot(bot)


def county_reporter(bot: Bot, user_id: int, counties: tuple[str, ...] = ("布拖县",)) -> None:
    """An organization paired with the given counties, whose contact binds by a /start deep link."""
    load_counties(bot.app.engine)
    org = add_org(bot.app.engine, "中国社会福利基金会", CODES[0])
    for name in counties:
        pair(bot.app.engine, org, county_id(bot.app.engine, name))
    code = invite(bot.app.engine, Role.organization, org=org, name="李娜")
    [reply] = bot.say(user_id, f"/start {code}")
    assert "绑定成功" in reply


# --- (a) polling: stranger, deep-link invite, progress update ---------------------------------------


def test_polling_stranger_invite_and_progress_update(db_url: str, telegram_api: TelegramApiStandIn) -> None:  # noqa: F811
    bot = start_bot(db_url, telegram_api)
    try:
        [hint] = bot.say(1001, "你好")
        assert "还没有登记" in hint and "绑定 邀请码" in hint
        county_reporter(bot, 1001)
        text = "本月向布拖县拐乐村投入帮扶资金20万元，带动38户增收。"
        [confirmation] = bot.say(1001, text)
        assert confirmation.startswith("已记录：") and "20 万元" in confirmation and "38 户" in confirmation
        [update] = bot.rows(ProgressUpdate)
        assert update.raw_text == text and update.funds_wan == 20 and update.households == 38
        assert update.channel == "telegram" and update.pairing_id is not None
        [identity] = bot.rows(ChannelIdentity)
        assert (identity.channel, identity.external_id) == ("telegram", "1001")
        bot.app.queue.join()
        deliveries = bot.rows(Delivery)
        assert [d.status for d in deliveries] == ["sent"] * 3
        assert all(d.platform_message_id and d.platform_message_id.isdigit() for d in deliveries)
        assert [p["allowed_updates"] for p in telegram_api.requests("getUpdates")][0] == \
            ["message", "edited_message", "callback_query", "my_chat_member"]
    finally:
        stop_bot(bot)


def test_photo_with_caption_is_an_update_with_its_attachment(polling: Bot) -> None:
    county_reporter(polling, 1002)
    [reply] = polling.say(1002, caption="捐赠图书价值2万元", photo="photo-abc")
    assert reply.startswith("已记录：")
    [row] = polling.rows(AttachmentRow)
    assert (row.kind, row.file_id) == ("photo", "photo-abc")  # the largest size
    [reply] = polling.say(1002, document=("doc-1", "协议.pdf"))
    assert "附件" in reply
    assert [(r.kind, r.file_id, r.filename) for r in polling.rows(AttachmentRow)][1] == ("file", "doc-1", "协议.pdf")


# --- (b) webhook ------------------------------------------------------------------------------------


def _post(client: TestClient, api: TelegramApiStandIn, update: dict[str, Any], secret: str | None = SECRET,
          ) -> Any:
    headers = {HEADER: secret} if secret is not None else {}
    return client.post("/telegram/webhook", json={"update_id": api.next_update_id(), **update}, headers=headers)


def test_webhook_checks_the_secret_size_and_json(webhook: Bot) -> None:
    api, updates = webhook.api, webhook.updates
    with TestClient(build_web(webhook.app)) as client:
        assert _post(client, api, updates.message(2001, "你好"), secret="wrong").status_code == 403
        assert _post(client, api, updates.message(2001, "你好"), secret=None).status_code == 403
        assert webhook.rows(InboundMessage) == []

        huge = updates.message(2001, "投" * (webhook.app.settings.web.max_body_bytes // 3 + 10))
        assert _post(client, api, huge).status_code == 413
        bad = client.post("/telegram/webhook", content=b"{not json", headers={HEADER: SECRET})
        assert bad.status_code == 400
        assert client.post("/telegram/webhook", json=[1, 2], headers={HEADER: SECRET}).status_code == 400
        assert client.post("/telegram/webhook", json={"hello": 1}, headers={HEADER: SECRET}).status_code == 400
        assert webhook.rows(InboundMessage) == []

        update = {"update_id": api.next_update_id(), **updates.message(2001, "你好")}
        answer = client.post("/telegram/webhook", json=update, headers={HEADER: SECRET})
        assert answer.status_code == 200 and answer.json() == {"ok": True}
        [stored] = webhook.rows(InboundMessage)  # stored before the answer
        assert (stored.chat_id, stored.text) == ("2001", "你好")
        assert client.post("/telegram/webhook", json=update, headers={HEADER: SECRET}).status_code == 200
        assert len(webhook.rows(InboundMessage)) == 1  # Telegram's resend is recognised
        assert "还没有登记" in api.wait_sent(2001)[0]
        assert client.get("/healthz").status_code == 200


def test_webhook_button_press_stops_the_spinner_and_files_the_update(webhook: Bot) -> None:
    """A press posted to the webhook: its spinner is stopped through the Bot on the channel's own loop
    (the web server's loop is another), and the press is handled like a polled one."""
    api, updates, engine = webhook.api, webhook.updates, webhook.app.engine
    load_counties(engine)
    org = add_org(engine, "中国社会福利基金会", CODES[0])
    for name in ("布拖县", "昭觉县"):
        pair(engine, org, county_id(engine, name))
    code = invite(engine, Role.organization, org=org, name="李娜")
    with TestClient(build_web(webhook.app)) as client:
        assert _post(client, api, updates.message(4101, f"/start {code}")).status_code == 200
        assert _post(client, api, updates.message(4101, "捐赠图书价值2万元")).status_code == 200
        assert "哪一个" in api.wait_sent(4101, 2)[1]
        markup = api.requests("sendMessage")[-1]["reply_markup"]
        [_, zhaojue] = [row[0] for row in markup["inline_keyboard"]]
        assert _post(client, api, updates.press(4101, zhaojue["callback_data"])).status_code == 200
    assert "昭觉县" in api.wait_sent(4101, 3)[2]
    assert len(api.requests("answerCallbackQuery")) == 1
    [update] = webhook.rows(ProgressUpdate)
    assert update.pairing_id is not None


def test_webhook_answers_500_when_the_update_cannot_be_stored_so_telegram_resends(webhook: Bot) -> None:
    update = {"update_id": webhook.api.next_update_id(), **webhook.updates.message(2004, "你好")}
    with TestClient(build_web(webhook.app)) as client:
        with webhook.app.engine.begin() as connection:  # the table is briefly unusable, as in an outage
            connection.exec_driver_sql("ALTER TABLE inboundmessage RENAME TO inboundmessage_away")
        try:
            assert client.post("/telegram/webhook", json=update, headers={HEADER: SECRET}).status_code == 500
        finally:
            with webhook.app.engine.begin() as connection:
                connection.exec_driver_sql("ALTER TABLE inboundmessage_away RENAME TO inboundmessage")
        assert client.post("/telegram/webhook", json=update, headers={HEADER: SECRET}).status_code == 200
    assert [m.chat_id for m in webhook.rows(InboundMessage)] == ["2004"]


def test_webhook_stores_nul_bytes_and_absurd_figures(db_url: str, telegram_api: TelegramApiStandIn) -> None:  # noqa: F811
    """A NUL in the text (PostgreSQL text cannot hold it) and figures no ledger can sum: answered 200 once,
    stored and flagged, never a 500 that Telegram would resend for ever."""
    bot = start_bot(db_url, telegram_api, mode="webhook")
    try:
        load_counties(bot.app.engine)
        org = add_org(bot.app.engine, "中国社会福利基金会", CODES[0])
        pair(bot.app.engine, org, county_id(bot.app.engine, "布拖县"))
        code = invite(bot.app.engine, Role.organization, org=org, name="李娜")
        texts = ["本月投入帮扶资金5万元\x00，带动3户", "带动3000000000户增收", "惠及3000亿亿人"]
        with TestClient(build_web(bot.app)) as client:
            assert _post(client, bot.api, bot.updates.message(3001, f"/start {code}")).status_code == 200
            for text in texts:
                update = bot.updates.message(3001, text)
                assert _post(client, bot.api, update).status_code == 200, text
        stored = bot.rows(ProgressUpdate)
        assert [u.raw_text for u in stored] == [texts[0].replace("\x00", "\\u0000"), *texts[1:]]
        assert stored[0].funds_wan == 5 and [u.review_status for u in stored[1:]] == ["flagged", "flagged"]
        assert (stored[1].households, stored[2].people) == (None, None)
    finally:
        stop_bot(bot)


def test_webhook_route_is_closed_in_polling_mode(polling: Bot) -> None:
    with TestClient(build_web(polling.app)) as client:
        response = _post(client, polling.api, polling.updates.message(2002, "你好"))
    assert response.status_code == 404
    assert polling.rows(InboundMessage) == []


def test_webhook_binds_and_records_on_a_real_server(webhook: Bot) -> None:
    """Through uvicorn and httpx rather than the test client: invite, then an update."""
    import threading

    import httpx
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(build_web(webhook.app), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        webhook.api.wait_for(lambda: server.started, timeout=10)
        port = server.servers[0].sockets[0].getsockname()[1]
        load_counties(webhook.app.engine)
        cid = county_id(webhook.app.engine, "布拖县")
        pair(webhook.app.engine, add_org(webhook.app.engine, "中国社会福利基金会", CODES[0]), cid)
        code = invite(webhook.app.engine, Role.county, county=cid)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={HEADER: SECRET}) as client:
            for text in (f"/start {code}", "培训农民120人"):
                update = {"update_id": webhook.api.next_update_id(), **webhook.updates.message(2003, text)}
                assert client.post("/telegram/webhook", json=update).status_code == 200
        sent = webhook.api.wait_sent(2003, 2)
        assert "绑定成功" in sent[0] and "120 人" in sent[1]
        assert webhook.rows(ProgressUpdate)[0].people == 120
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- (c) edits --------------------------------------------------------------------------------------


def test_editing_the_message_corrects_its_update(polling: Bot) -> None:
    county_reporter(polling, 3001)
    original = polling.updates.message(3001, "培训农民120人")
    polling.api.inject(original)
    polling.api.wait_sent(3001, 2)
    polling.api.inject(polling.updates.edit(original, "培训农民150人"))
    [reply] = polling.api.wait_sent(3001, 3)[2:]
    assert "已按修改后的消息更正" in reply and "150 人" in reply
    [update] = polling.rows(ProgressUpdate)
    assert update.people == 150 and update.raw_text == "培训农民150人"
    [edit] = polling.rows(ProgressEdit)
    assert edit.kind == "edit" and edit.old_text == "培训农民120人"
    revisions = [(m.message_id, m.revision) for m in polling.rows(InboundMessage) if m.text.startswith("培训")]
    assert revisions == [(str(original["message"]["message_id"]), 0), (str(original["message"]["message_id"]), 1)]


# --- (d) button presses -----------------------------------------------------------------------------


def test_button_press_files_the_update_and_a_forged_press_is_refused(polling: Bot) -> None:
    county_reporter(polling, 4001, counties=("布拖县", "昭觉县"))
    [question] = polling.say(4001, "捐赠图书价值2万元")
    assert "哪一个" in question
    markup = polling.api.requests("sendMessage")[-1]["reply_markup"]
    buttons = [row[0] for row in markup["inline_keyboard"]]
    assert [b["text"] for b in buttons] == ["四川省布拖县", "四川省昭觉县"]

    forged = buttons[1]["callback_data"].rsplit(":", 1)[0] + ":999999"
    polling.api.inject(polling.updates.press(4001, forged))
    [refused] = polling.api.wait_sent(4001, 3)[2:]
    assert "不在可选范围" in refused
    assert polling.rows(ProgressUpdate)[0].pairing_id is None

    polling.api.inject(polling.updates.press(4001, buttons[1]["callback_data"]))
    [filed] = polling.api.wait_sent(4001, 4)[3:]
    assert "昭觉县" in filed
    assert polling.rows(ProgressUpdate)[0].pairing_id is not None
    assert len(polling.api.requests("answerCallbackQuery")) == 2  # every press stops its spinner


# --- (e) groups -------------------------------------------------------------------------------------


def test_group_membership_and_addressing(polling: Bot) -> None:
    api, updates = polling.api, polling.updates
    county_reporter(polling, 5001)
    group = updates.group(-100_500, "布拖县帮扶工作群")
    api.inject(updates.membership(group, by=5001, old="left", new="member"))
    [row] = api.wait_for(lambda: polling.rows(Group))
    assert (row.channel, row.chat_id, row.title, row.active) == ("telegram", "-100500", "布拖县帮扶工作群", True)

    for text in ("投入资金5万元", "撤回", "帮助", "/help@some_other_bot"):  # chatter, not for the bot
        api.inject(updates.message(5001, text, chat=group))
    addressed = updates.message(5001, f"@{BOT_USERNAME} 投入资金8万元，带动12户", chat=group)
    api.inject(addressed)
    [reply] = api.wait_sent(-100_500)
    assert reply.startswith("已记录：") and "8 万元" in reply
    sent = api.requests("sendMessage")[-1]
    assert sent["reply_parameters"]["message_id"] == addressed["message"]["message_id"]
    [update] = polling.rows(ProgressUpdate)
    assert update.raw_text == "投入资金8万元，带动12户"  # without the @mention

    bot_said = updates.bot_message(group, int(api.requests("sendMessage")[-1]["reply_parameters"]["message_id"]))
    api.inject(updates.message(5001, "培训农民30人", chat=group, reply_to=bot_said))
    api.inject(updates.message(5001, "/help", chat=group))
    later = api.wait_sent(-100_500, 3)[1:]  # two workers may send the two answers in either order
    assert sorted("30 人" in text for text in later) == [False, True]
    assert sorted("您是" in text for text in later) == [False, True]

    api.inject(updates.membership(group, by=5001, old="member", new="left"))
    api.wait_for(lambda: not polling.rows(Group)[0].active)
    assert len(polling.rows(ProgressUpdate)) == 2


def test_a_recorded_group_keeps_its_title_tags_and_province(polling: Bot) -> None:
    """Renamed, removed and added again: one row, the latest title, and what an admin set stays."""
    api, updates = polling.api, polling.updates
    load_counties(polling.app.engine)
    group = updates.group(-100_600, "昭觉县工作群")
    api.inject(updates.membership(group, by=5001, old="left", new="member"))
    [row] = api.wait_for(lambda: polling.rows(Group))
    with unit_of_work(polling.app.engine) as session:
        recorded = groups.find_group(session, "昭觉县工作群")
        groups.set_province(session, groups.add_tags(session, recorded, ["县联络员"], "test"), "四川", "test")
    renamed = {"message": {"message_id": 90, "date": 1, "from": updates.user(5001), "chat": group,
                           "new_chat_title": "昭觉县帮扶工作群"}}
    api.inject(renamed)
    api.wait_for(lambda: polling.rows(Group)[0].title == "昭觉县帮扶工作群")
    api.inject(updates.membership(updates.group(-100_600, "昭觉县帮扶工作群"), by=5001, old="member", new="left"))
    api.wait_for(lambda: not polling.rows(Group)[0].active)
    api.inject(updates.membership(updates.group(-100_600, "昭觉县帮扶工作群"), by=5001, old="left", new="member"))
    api.wait_for(lambda: polling.rows(Group)[0].active)
    [row] = polling.rows(Group)
    assert (row.chat_id, row.title, row.tags, row.province) == ("-100600", "昭觉县帮扶工作群", ["县联络员"], "四川省")
    assert not polling.rows(ProgressUpdate) and not api.requests("sendMessage")  # service messages: no reply


# --- (f) send errors --------------------------------------------------------------------------------


def _delivery(bot: Bot, chat_id: str) -> Delivery:
    return [d for d in bot.rows(Delivery) if d.chat_id == chat_id][-1]


def test_flood_control_retry_after_is_honoured(polling: Bot) -> None:
    polling.api.fail_next("sendMessage", 429, retry_after=1)
    polling.api.inject(polling.updates.message(6001, "你好"))
    polling.api.wait_sent(6001)
    attempts = [c for c in polling.api.calls if c.method == "sendMessage"]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.9
    polling.app.queue.join()
    delivery = _delivery(polling, "6001")
    assert (delivery.status, delivery.attempts) == ("sent", 2) and "Flood control" in delivery.last_error


def test_blocked_user_marks_the_identity_unreachable(polling: Bot) -> None:
    county_reporter(polling, 6002)
    polling.api.fail_next("sendMessage", 403)
    polling.api.inject(polling.updates.message(6002, "投入资金5万元"))
    polling.api.wait_for(lambda: _delivery(polling, "6002").status == "blocked")
    [identity] = polling.rows(ChannelIdentity)
    assert identity.unreachable_since is not None
    assert "blocked by the user" in _delivery(polling, "6002").last_error
    assert len(polling.rows(ProgressUpdate)) == 1  # the update itself was kept


def test_server_error_is_retried(polling: Bot) -> None:
    polling.api.fail_next("sendMessage", 500)
    polling.api.inject(polling.updates.message(6003, "你好"))
    polling.api.wait_sent(6003)
    polling.app.queue.join()
    delivery = _delivery(polling, "6003")
    assert (delivery.status, delivery.attempts) == ("sent", 2) and "Internal Server Error" in delivery.last_error


def test_unknown_chat_is_given_up(polling: Bot) -> None:
    polling.api.fail_next("sendMessage", 400)
    polling.api.inject(polling.updates.message(6004, "你好"))
    polling.api.wait_for(lambda: polling.rows(Delivery) and _delivery(polling, "6004").status == "blocked")
    assert "chat not found" in _delivery(polling, "6004").last_error.lower()


# --- wiring and operations --------------------------------------------------------------------------


def test_components_register_telegram_only_with_a_token(sqlite_url: str, telegram_api: TelegramApiStandIn  # noqa: F811
                                                        ) -> None:
    without = App(make_settings(sqlite_url))
    try:
        assert all(getattr(c, "name", "") != "telegram" for c in build_components(without))
        assert "telegram" not in without.channels
    finally:
        without.close()
    with_token = App(make_settings(sqlite_url, telegram={"token": TOKEN, "api_base_url": telegram_api.base_url}))
    try:
        components = build_components(with_token)
        assert with_token.channels["telegram"] in components
    finally:
        with_token.close()


def test_webhook_mode_without_a_secret_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[telegram]\ntoken = "1:abc"\nmode = "webhook"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[telegram\] secret_token，.*mode = \"webhook\" 时必须设置"):
        load_settings(path)


def test_set_webhook_command_registers_url_secret_and_update_kinds(tmp_path: Path,
                                                                   telegram_api: TelegramApiStandIn  # noqa: F811
                                                                   ) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {
        "PAIRBOT_TELEGRAM__TOKEN": TOKEN, "PAIRBOT_TELEGRAM__API_BASE_URL": telegram_api.base_url,
        "PAIRBOT_TELEGRAM__MODE": "webhook", "PAIRBOT_TELEGRAM__SECRET_TOKEN": SECRET,
        "PAIRBOT_DATABASE__URL": f"sqlite:///{tmp_path / 'p.db'}",
    }

    def pairbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", "telegram", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)

    url = "https://pairbot.example.cn/telegram/webhook"
    done = pairbot("set-webhook", url)
    assert done.returncode == 0, done.stderr
    assert "已设置 webhook" in done.stdout
    [params] = telegram_api.requests("setWebhook")
    assert params["url"] == url and params["secret_token"] == SECRET
    assert params["allowed_updates"] == ["message", "edited_message", "callback_query", "my_chat_member"]
    info = pairbot("webhook-info")
    assert json.loads(info.stdout)["url"] == url
    assert pairbot("delete-webhook").returncode == 0 and telegram_api.webhook == {}

    env.pop("PAIRBOT_TELEGRAM__SECRET_TOKEN")
    env["PAIRBOT_TELEGRAM__MODE"] = "polling"
    refused = pairbot("set-webhook", url)
    assert refused.returncode == 2 and "secret_token" in refused.stderr


def test_a_rejected_token_is_reported_without_the_token(sqlite_url: str, telegram_api: TelegramApiStandIn  # noqa: F811
                                                        ) -> None:
    wrong = "7000001:WRONG-token-value"
    app = App(make_settings(sqlite_url, telegram={"token": wrong, "api_base_url": telegram_api.base_url}))
    channel = register_telegram(app)
    assert channel is not None
    try:
        with pytest.raises(ConfigError) as caught:
            channel.start()
        assert "拒绝了 [telegram] token" in str(caught.value) and wrong not in str(caught.value)
    finally:
        channel.stop()
        app.close()
