"""The WeCom (企业微信) channel: sending through the app's API and through group robots.

Addressing (the `chat_id` of a Delivery):
- channel `wecom`, chat id `USERID` → `message/send` to that member (private chat with the app);
- channel `wecom`, chat id `appchat:CHATID` → `appchat/send` to a group chat the app created;
- channel `wecom_robot`, chat id `TAG` → the group robot webhook `[wecom.webhooks] TAG`, or the one
  registered under TAG with `pairbot groups add-robot` (kept in the database), for groups the app
  is not in (a robot can only post, it cannot receive).
WeCom app messages have no inline buttons, so buttons become numbered choices in the text and a
numbered reply presses them (bot/channels/wecom_choices.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from sqlmodel import col, select
from wechatpy.exceptions import WeChatClientException

from bot.channels.base import Channel, SendError
from bot.channels.wecom_choices import NAME, with_choices
from bot.channels.wecom_client import TIMEOUT_SECONDS, WecomClient
from bot.config import WecomSettings
from bot.db import unit_of_work
from bot.messages import Outgoing
from models.registry import Group
from models.services.groups import (APPCHAT_PREFIX, ROBOT_CHANNEL, leave_group, record_group, robot_webhook,
                                    tag_group, webhook_url)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.app import App

log = logging.getLogger(__name__)

ROBOT = ROBOT_CHANNEL
TEXT_LIMIT_BYTES = 2048  # WeCom's limit for a text message's content
RATE_LIMITED = frozenset({45009, 45011, 45033})  # frequency / concurrency limits
UNREACHABLE = frozenset({40031, 60102, 60111, 81013})  # invalid or departed user, outside the app's visible range
BUSY = -1  # 系统繁忙
RATE_LIMIT_WAIT = 60.0  # seconds; WeCom's limits are per minute
ROBOT_INVALID = frozenset({93000})  # the webhook key was deleted or is wrong


class WecomChannel:
    """Private messages (`message/send`) and app group chats (`appchat/send`) from the WeCom app."""

    name = NAME

    def __init__(self, client: WecomClient, agent_id: int) -> None:
        self.client = client
        self.agent_id = agent_id

    def send(self, message: Outgoing) -> str:
        text = with_choices(message.text, message.buttons)
        return [self._send_text(message.chat_id, chunk) for chunk in split_text(text)][0]

    def _send_text(self, chat_id: str, content: str) -> str:
        if chat_id.startswith(APPCHAT_PREFIX):
            group = chat_id[len(APPCHAT_PREFIX):]
            self._call("appchat/send", lambda: self.client.appchat.send_text(group, content))
            return ""  # appchat/send returns no message id
        result = self._call("message/send", lambda: self.client.message.send_text(self.agent_id, chat_id, content))
        if result.get("invaliduser"):
            raise SendError(f"企业微信 message/send: 成员 {result['invaliduser']} 无效或不在应用可见范围内",
                            permanent=True)
        return str(result.get("msgid", ""))

    def _call(self, api: str, request: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            return self.client.call(request)
        except (WeChatClientException, requests.RequestException) as exc:
            raise send_error(api, exc) from None

    def close(self) -> None:
        self.client.close()


class WecomRobotChannel:
    """Group robots (群机器人): `chat_id` is a tag of `[wecom.webhooks]` (the webhook URL or key), or, with an
    engine, of a robot registered in the database (`pairbot groups add-robot`); the config wins."""

    name = ROBOT

    def __init__(self, webhooks: Mapping[str, str], api_base_url: str, timeout: float = TIMEOUT_SECONDS,
                 engine: Engine | None = None) -> None:
        self.webhooks = dict(webhooks)
        self.base_url = api_base_url.rstrip("/")
        self.timeout = timeout
        self.engine = engine
        self._http = requests.Session()

    def url_for(self, tag: str) -> str | None:
        value = self.webhooks.get(tag)
        if not value and self.engine is not None:
            with unit_of_work(self.engine) as session:
                value = robot_webhook(session, tag)
        return webhook_url(value, self.base_url) if value else None

    def send(self, message: Outgoing) -> str:
        url = self.url_for(message.chat_id)
        if url is None:
            raise SendError(f"没有群机器人“{message.chat_id}”（[wecom.webhooks] 和 pairbot groups add-robot 中都没有）",
                            permanent=True)
        for chunk in split_text(with_choices(message.text, message.buttons)):
            self._post(url, {"msgtype": "text", "text": {"content": chunk}})
        return f"{ROBOT}:{message.chat_id}"

    def _post(self, url: str, body: dict[str, Any]) -> None:
        try:
            response = self._http.post(url, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise send_error("webhook/send", exc) from None
        if response.status_code >= 400:
            raise SendError(f"企业微信 webhook/send: HTTP {response.status_code}")
        try:
            result = response.json()
        except ValueError:
            raise SendError("企业微信 webhook/send: 应答不是 JSON") from None
        code = int(result.get("errcode", 0))
        if code in ROBOT_INVALID:
            raise SendError(f"企业微信 webhook/send: errcode {code} 群机器人地址无效", permanent=True)
        if code != 0:
            raise send_error("webhook/send", WeChatClientException(code, result.get("errmsg", "")))

    def close(self) -> None:
        self._http.close()


def send_error(api: str, exc: Exception) -> SendError:
    """What the outbox should do about a failed call: wait (rate limit), give up (recipient gone) or back off."""
    if isinstance(exc, WeChatClientException):
        code = exc.errcode
        if code is None:
            status = exc.response.status_code if exc.response is not None else "?"
            return SendError(f"企业微信 {api}: HTTP {status}")
        where = f"企业微信 {api}: errcode {code} {exc.errmsg or ''}".rstrip()
        if code in RATE_LIMITED:
            return SendError(f"{where}（频率限制）", retry_after=RATE_LIMIT_WAIT)
        if code in UNREACHABLE:
            return SendError(f"{where}（成员无效、已离职或不在应用可见范围内）", permanent=True)
        if code == BUSY:
            return SendError(f"{where}（系统繁忙）")
        return SendError(where)
    return SendError(f"企业微信 {api}: 网络错误 {type(exc).__name__}（{_where(exc)}）")


def _where(exc: Exception) -> str:
    """The URL a request failed on, without its query: it carries the access token or the secret."""
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    return urlsplit(url)._replace(query="", fragment="").geturl() if isinstance(url, str) else "?"


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut at line ends where possible."""
    if len(text.encode()) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line.encode()) > limit:
            if current:
                chunks.append(current)
                current = ""
            head = _prefix_within(line, limit)
            chunks.append(head)
            line = line[len(head):]
        if len((current + line).encode()) > limit:
            chunks.append(current)
            current = ""
        current += line
    if current:
        chunks.append(current)
    return [chunk.rstrip("\n") for chunk in chunks if chunk.strip()]


def _prefix_within(line: str, limit: int) -> str:
    size = 0
    for n, char in enumerate(line):
        size += len(char.encode())
        if size > limit:
            return line[:n]
    return line


def wecom_channels(settings: WecomSettings, engine: Engine | None = None) -> dict[str, Channel]:
    """The configured WeCom channels: the app when corp_id and secret are set; robots when webhooks are
    configured, or always with an engine (robots registered in the database need no credentials)."""
    channels: dict[str, Channel] = {}
    if settings.corp_id and settings.secret:
        if settings.agent_id is None:
            raise ValueError("[wecom] agent_id 未设置：企业微信应用的 AgentId（例如 1000002）")
        client = WecomClient(settings.corp_id, settings.secret.get_secret_value(), settings.api_base_url)
        channels[NAME] = WecomChannel(client, settings.agent_id)
    if settings.webhooks or engine is not None:
        channels[ROBOT] = WecomRobotChannel(settings.webhooks, settings.api_base_url, engine=engine)
    return channels


def create_app_chat(settings: WecomSettings, name: str, owner: str, members: list[str],
                    chat_id: str | None = None) -> str:
    """Create a WeCom app group chat (`appchat/create`) and return its chat id; SendError says why not."""
    if not (settings.corp_id and settings.secret):
        raise SendError("企业微信应用未配置：需要 [wecom] corp_id 和 secret（群聊由应用创建）", permanent=True)
    client = WecomClient(settings.corp_id, settings.secret.get_secret_value(), settings.api_base_url)
    try:
        result = client.call(lambda: client.appchat.create(chat_id=chat_id, name=name, owner=owner,
                                                           user_list=members))
    except (WeChatClientException, requests.RequestException) as exc:
        raise send_error("appchat/create", exc) from None
    finally:
        client.close()
    return str(result["chatid"])


def sync_robot_groups(app: App, tags: list[str]) -> None:
    """One Group row per configured robot, tagged with its name, so `group:TAG` broadcasts reach it; a robot
    no longer configured becomes inactive, unless it was registered in the database (`groups add-robot`)."""
    with unit_of_work(app.engine) as session:
        for tag in tags:
            group, _ = record_group(session, ROBOT, tag, title=tag)
            if tag not in group.tags:
                tag_group(session, group, "config:[wecom.webhooks]", tags=[*group.tags, tag])
        active = session.exec(select(Group).where(Group.channel == ROBOT, col(Group.active).is_(True))).all()
        for group in active:
            if group.chat_id not in tags and not group.webhook:
                leave_group(session, ROBOT, group.chat_id)


class WecomComponent:
    """Part of `pairbot run`: registers the WeCom channels with the app (at construction, before any
    worker sends) and records the robot groups at start."""

    name = "wecom"

    def __init__(self, app: App, channels: dict[str, Channel]) -> None:
        self.app = app
        self.channels = channels
        app.channels.update(channels)

    def start(self) -> None:
        sync_robot_groups(self.app, sorted(self.app.settings.wecom.webhooks))
        log.info("WeCom channels ready: %s", ", ".join(sorted(self.channels)))

    def stop(self) -> None:
        for channel in self.channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                close()


def wecom_component(app: App) -> WecomComponent | None:
    channels = wecom_channels(app.settings.wecom, app.engine)
    return WecomComponent(app, channels) if channels else None
