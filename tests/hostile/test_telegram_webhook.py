"""Hostile bodies to the Telegram webhook, with the right secret: each is a 4xx with a Chinese reason, never a
500 (which Telegram would resend for ever), never an exception's name; sane updates still go through."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from bot.web import build_web
from models.messaging import InboundMessage
from models.registry import Group, Role
from models.reporting import Attachment
from tests.factories import county_id, invite, load_counties
from tests.hostile import assert_refused
from tests.integration.test_telegram import HEADER, SECRET, Bot, start_bot, stop_bot
from tests.standins.telegram_api import TelegramApiStandIn

BIG = 2**63


@pytest.fixture
def hook(db_url: str, telegram_api: TelegramApiStandIn):  # type: ignore[no-untyped-def]  # noqa: F811
    bot = start_bot(db_url, telegram_api, mode="webhook")
    yield bot
    stop_bot(bot)


def _post(client: TestClient, content: bytes) -> Any:
    return client.post("/telegram/webhook", content=content, headers={HEADER: SECRET,
                                                                       "content-type": "application/json"})


def _update(bot: Bot, **message: Any) -> dict[str, Any]:
    update = {"update_id": bot.api.next_update_id(), **bot.updates.message(4001, "你好")}
    update["message"].update(message)
    return update


def test_deep_json_is_a_400(hook: Bot) -> None:
    with TestClient(build_web(hook.app), raise_server_exceptions=False) as client:
        for depth in (100_000, 5_000):
            assert_refused(_post(client, b"[" * depth + b"]" * depth), 400, "JSON")
            assert_refused(_post(client, b'{"a":' * depth + b"1" + b"}" * depth), 400, "JSON")
        # Nested just under the parser's limit, where the update reads it: reply inside reply inside reply …
        nested: dict[str, Any] = _update(hook)["message"]
        for _ in range(900):
            nested = {**_update(hook)["message"], "reply_to_message": nested}
        response = _post(client, json.dumps({"update_id": hook.api.next_update_id(), "message": nested}).encode())
        assert response.status_code in (200, 400), response.text
        assert "Error" not in response.text
    assert len(hook.rows(InboundMessage)) <= 1


@pytest.mark.parametrize("date", [1e20, -1e20, 10**30, "1e20", float("1e308")])
def test_absurd_dates_are_a_400(hook: Bot, date: Any) -> None:
    with TestClient(build_web(hook.app), raise_server_exceptions=False) as client:
        assert_refused(_post(client, json.dumps(_update(hook, date=date)).encode()), 400, "Telegram Update")
    assert hook.rows(InboundMessage) == []


def test_nan_and_infinity_are_a_400(hook: Bot) -> None:
    with TestClient(build_web(hook.app), raise_server_exceptions=False) as client:
        for literal in (b"NaN", b"Infinity", b"-Infinity"):
            body = json.dumps(_update(hook)).replace('"date": ', '"date": ' + literal.decode() + ', "x": ', 1)
            assert_refused(_post(client, body.encode()), 400)
    assert hook.rows(InboundMessage) == []


@pytest.mark.parametrize("where", ["message_id", "from", "chat", "update_id"])
@pytest.mark.parametrize("value", [BIG, 2**200, -BIG - 1])
def test_ids_past_64_bits_are_a_400(hook: Bot, where: str, value: int) -> None:
    update = _update(hook)
    if where == "update_id":
        update["update_id"] = value
    elif where == "message_id":
        update["message"]["message_id"] = value
    else:
        update["message"][where] = {**update["message"][where], "id": value}
    with TestClient(build_web(hook.app), raise_server_exceptions=False) as client:
        assert_refused(_post(client, json.dumps(update).encode()), 400, "Telegram Update")
    assert hook.rows(InboundMessage) == []


def test_wrong_types_and_garbage_are_a_400(hook: Bot) -> None:
    bodies = [b"", b"null", b"1e999", b'"text"', b"\xff\xfe\x00", json.dumps({"update_id": "x"}).encode(),
              json.dumps({"update_id": 1, "message": "text"}).encode(),
              json.dumps({"update_id": 1, "message": {"chat": []}}).encode(),
              json.dumps(_update(hook, text=12345)).encode(), json.dumps(_update(hook, chat=None)).encode()]
    with TestClient(build_web(hook.app), raise_server_exceptions=False) as client:
        for body in bodies:
            response = _post(client, body)
            assert response.status_code in (200, 400), (body, response.text)
            assert "Error" not in response.text and "Exception" not in response.text
        assert client.post("/telegram/webhook", json=_update(hook), headers={HEADER: SECRET}).status_code == 200


def test_a_lone_surrogate_is_stored_as_its_visible_escape(hook: Bot) -> None:
    # JSON may escape half a UTF-16 pair ("\ud800"); no database can store it as text, so, like a NUL, it is
    # kept as the visible escape, answered 200 (not a 500 that Telegram would resend for ever).
    body = json.dumps(_update(hook, text="你好\ud800，\udcff")).encode()
    assert b"\\ud800" in body
    with TestClient(build_web(hook.app), raise_server_exceptions=False) as client:
        response = _post(client, body)
    assert response.status_code == 200, response.text
    [row] = hook.rows(InboundMessage)
    assert row.text == "你好\\ud800，\\udcff"


@pytest.mark.parametrize("title", ["群\x00名", "群\ud800名", "群" + "\x00" * 127])
def test_a_group_title_no_database_can_store_is_kept_visibly(hook: Bot, title: str) -> None:
    # The bot added to a group whose title holds a NUL or half a UTF-16 pair: a 500 Telegram resent for ever.
    chat = hook.updates.group(-100777, title)
    update = {"update_id": hook.api.next_update_id(), **hook.updates.membership(chat, 4001, old="left", new="member")}
    with TestClient(build_web(hook.app), raise_server_exceptions=False) as client:
        response = _post(client, json.dumps(update).encode())
    assert response.status_code == 200, response.text
    [group] = hook.rows(Group)
    assert group.title.startswith("群\\u") and len(group.title) <= 128


@pytest.mark.parametrize("name", ["附件" * 200, "\x00" * 255])
def test_a_file_name_longer_than_its_column_is_cut_not_a_500(hook: Bot, name: str) -> None:
    # A county contact's document whose name (after NULs became \u0000) is past Attachment.filename's 256.
    load_counties(hook.app.engine)
    code = invite(hook.app.engine, Role.county, county=county_id(hook.app.engine, "布拖县"))
    bind = {"update_id": hook.api.next_update_id(), **hook.updates.message(4001, f"/start {code}")}
    update = {"update_id": hook.api.next_update_id(), **hook.updates.message(4001, document=("doc-1", name))}
    with TestClient(build_web(hook.app), raise_server_exceptions=False) as client:
        assert _post(client, json.dumps(bind).encode()).status_code == 200
        response = _post(client, json.dumps(update).encode())
    assert response.status_code == 200, response.text
    [attachment] = hook.rows(Attachment)
    assert attachment.file_id == "doc-1" and 0 < len(attachment.filename) <= 256
