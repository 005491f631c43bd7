"""A stand-in for the Telegram Bot API on 127.0.0.1, for tests and benchmarks.

It answers the methods python-telegram-bot calls for pairbot — getMe, getUpdates (long poll),
sendMessage, answerCallbackQuery, editMessageReplyMarkup, setWebhook, deleteWebhook,
getWebhookInfo, close, logOut — in the Bot API's shape (`{"ok": true, "result": …}`, errors with
`error_code`, `description` and `parameters.retry_after`), checks the token in the URL, records
every request, queues injected updates for getUpdates (which refuses with 409 while a webhook is
set, like Telegram), and fails on demand: `fail_next("sendMessage", 429, retry_after=1)`,
`fail_next("sendMessage", 403)`, `fail_next("sendMessage", 500, count=2)`.

`Updates` builds update objects (private and group messages with their entities, edits,
photos, button presses, the bot being added to or removed from a group).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


BOT_ID = 7_000_001
BOT_USERNAME = "pairbot_test_bot"
TOKEN = f"{BOT_ID}:AAtest-token-for-the-stand-in"
JSON_PARAMS = {"reply_markup", "reply_parameters", "allowed_updates", "link_preview_options", "entities"}
ADMIN_RIGHTS = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users",
                "can_post_stories", "can_edit_stories", "can_delete_stories")
DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
}


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    status: int
    at: float  # time.monotonic() when it arrived


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None


class TelegramApiStandIn:
    def __init__(self, token: str = TOKEN, bot_id: int = BOT_ID, username: str = BOT_USERNAME) -> None:
        self.token = token
        self.me = {"id": bot_id, "is_bot": True, "first_name": "结对帮扶助手", "username": username,
                   "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100_000)
        self._failures: dict[str, list[Failure]] = {}
        self._changed = threading.Condition()
        self._stopping = False
        self._server: ThreadingHTTPServer | None = None

    # -- control -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """What `[telegram] api_base_url` should be (PTB appends the token)."""
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/bot"

    def start(self) -> TelegramApiStandIn:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="telegram-standin", daemon=True).start()
        return self

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def inject(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        with self._changed:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._changed.notify_all()
            return update["update_id"]

    def pending_updates(self) -> list[dict[str, Any]]:
        """The queued updates getUpdates has not had acknowledged yet (by a later call's offset)."""
        with self._changed:
            return list(self._updates)

    def next_update_id(self) -> int:
        """An update id for an update posted to a webhook instead of queued."""
        return next(self._update_ids)

    def fail_next(self, method: str, status: int, count: int = 1, *, retry_after: int | None = None,
                  description: str | None = None) -> None:
        text = description or DESCRIPTIONS.get(status, f"Error {status}").format(retry_after=retry_after)
        with self._changed:
            self._failures.setdefault(method, []).extend(Failure(status, text, retry_after) for _ in range(count))

    def requests(self, method: str, status: int | None = 200) -> list[dict[str, Any]]:
        """The parameters of every call of `method` (by default the ones answered with success), oldest first."""
        with self._changed:
            return [c.params for c in self.calls if c.method == method and (status is None or c.status == status)]

    def sent_texts(self, chat_id: int | str) -> list[str]:
        return [p["text"] for p in self.requests("sendMessage") if str(p["chat_id"]) == str(chat_id)]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
        """Wait until predicate() is truthy (re-checked on every request and every 0.05 s); returns its value."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout} s; calls: {[c.method for c in self.calls]}")
                self._changed.wait(min(left, 0.05))

    def wait_sent(self, chat_id: int | str, count: int = 1, timeout: float = 15.0) -> list[str]:
        """The texts sent to a chat, once there are at least `count` of them."""
        self.wait_for(lambda: len(self.sent_texts(chat_id)) >= count, timeout)
        return self.sent_texts(chat_id)

    # -- the API -------------------------------------------------------------------------------
    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._changed:
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
        if failure is not None:
            body: dict[str, Any] = {"ok": False, "error_code": failure.status, "description": failure.description}
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return failure.status, body
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        return handler(params)

    def _api_getMe(self, _: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": self.me}

    def _api_getUpdates(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.webhook.get("url"):
            return 409, {"ok": False, "error_code": 409, "description": "Conflict: can't use getUpdates method "
                         "while webhook is active; use deleteWebhook to delete the webhook first"}
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 100))
        deadline = time.monotonic() + float(params.get("timeout", 0))
        with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._stopping and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())
            return 200, {"ok": True, "result": self._updates[:limit]}

    def _api_sendMessage(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = int(params["chat_id"])
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                   "from": self.me, "text": params["text"]}
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return 200, {"ok": True, "result": message}

    def _api_answerCallbackQuery(self, _: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": True}

    def _api_editMessageReplyMarkup(self, _: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": True}

    def _api_setWebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.webhook = dict(params)
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}

    def _api_deleteWebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.webhook = {}
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            with self._changed:
                self._updates.clear()
        return 200, {"ok": True, "result": True, "description": "Webhook is already deleted"}

    def _api_getWebhookInfo(self, _: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        info = {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}
        if "allowed_updates" in self.webhook:
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return 200, {"ok": True, "result": info}

    def _api_close(self, _: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": True}

    def _api_logOut(self, _: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": True}

    def record(self, method: str, params: dict[str, Any], status: int) -> None:
        with self._changed:
            self.calls.append(Call(method, params, status, time.monotonic()))
            self._changed.notify_all()


def _handler(api: TelegramApiStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            self._serve()

        def do_POST(self) -> None:  # noqa: N802
            self._serve()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            token, _, method = parts.path.removeprefix("/bot").partition("/")
            params = dict(parse_qsl(parts.query)) | self._body()
            if token != api.token:
                status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            else:
                status, body = api.answer(method, params)
            api.record(method, params, status)
            data = json.dumps(body, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a cancelled long poll)
                self.close_connection = True

        def _body(self) -> dict[str, Any]:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if not raw:
                return {}
            if self.headers.get("Content-Type", "").startswith("application/json"):
                return json.loads(raw)
            params: dict[str, Any] = dict(parse_qsl(raw, keep_blank_values=True))
            for key in JSON_PARAMS & params.keys():
                params[key] = json.loads(params[key])
            return params

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return Handler


class Updates:
    """Builds Bot API update objects (without update_id: inject() or the test adds it)."""

    def __init__(self, bot_id: int = BOT_ID, bot_username: str = BOT_USERNAME) -> None:
        self.bot = {"id": bot_id, "is_bot": True, "first_name": "结对帮扶助手", "username": bot_username}
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)

    @staticmethod
    def user(user_id: int, name: str = "测试用户") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "zh-hans"}

    @staticmethod
    def group(chat_id: int, title: str = "布拖县帮扶工作群") -> dict[str, Any]:
        return {"id": chat_id, "type": "supergroup", "title": title}

    def message(self, user_id: int, text: str = "", *, chat: dict[str, Any] | None = None, caption: str = "",
                photo: str | None = None, document: tuple[str, str] | None = None,
                reply_to: dict[str, Any] | None = None, name: str = "测试用户") -> dict[str, Any]:
        """A new message: `{"message": …}`; private unless `chat` (see group()) is given."""
        sender = self.user(user_id, name)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()), "from": sender,
            "chat": chat or {"id": user_id, "type": "private", "first_name": name},
        }
        if text:
            message["text"] = text
            message["entities"] = entities(text)
        if caption:
            message["caption"] = caption
            message["caption_entities"] = entities(caption)
        if photo:
            message["photo"] = [{"file_id": f"{photo}-small", "file_unique_id": f"{photo}-s", "width": 90,
                                 "height": 90},
                                {"file_id": photo, "file_unique_id": f"{photo}-l", "width": 1280, "height": 960}]
        if document:
            file_id, file_name = document
            message["document"] = {"file_id": file_id, "file_unique_id": f"{file_id}-u", "file_name": file_name}
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return {"message": {k: v for k, v in message.items() if v != []}}

    def edit(self, original: dict[str, Any], text: str) -> dict[str, Any]:
        """The same message (same message_id), edited: `{"edited_message": …}`."""
        message = dict(original["message"])
        message.update(text=text, entities=entities(text), edit_date=int(time.time()))
        return {"edited_message": {k: v for k, v in message.items() if v != []}}

    def bot_message(self, chat: dict[str, Any], message_id: int, text: str = "") -> dict[str, Any]:
        """A message the bot sent, as it appears in `reply_to_message`."""
        return {"message_id": message_id, "date": int(time.time()), "from": self.bot, "chat": chat, "text": text}

    def press(self, user_id: int, data: str, *, message_id: int = 1, chat: dict[str, Any] | None = None
              ) -> dict[str, Any]:
        """A button press on a message of the bot's: `{"callback_query": …}`."""
        chat = chat or {"id": user_id, "type": "private", "first_name": "测试用户"}
        return {"callback_query": {
            "id": f"cbq-{next(self._callback_ids)}", "from": self.user(user_id), "chat_instance": "ci-1",
            "data": data, "message": self.bot_message(chat, message_id),
        }}

    def membership(self, chat: dict[str, Any], by: int, *, old: str, new: str) -> dict[str, Any]:
        """The bot's own status in a chat changed (added: left → member; removed: member → left)."""
        return {"my_chat_member": {
            "chat": chat, "from": self.user(by), "date": int(time.time()),
            "old_chat_member": self._member(old), "new_chat_member": self._member(new),
        }}

    def _member(self, status: str) -> dict[str, Any]:
        member: dict[str, Any] = {"status": status, "user": self.bot}
        if status == "administrator":
            member |= dict.fromkeys(ADMIN_RIGHTS, False) | {"can_manage_chat": True}
        if status == "kicked":
            member["until_date"] = 0
        return member


def entities(text: str) -> list[dict[str, Any]]:
    """The bot_command and mention entities Telegram would attach (offsets in UTF-16 code units)."""
    found = []
    for n, word in _words(text):
        kind = "bot_command" if word.startswith("/") and n == 0 else "mention" if word.startswith("@") else None
        if kind and len(word) > 1:
            offset = len(text[:n].encode("utf-16-le")) // 2
            found.append({"type": kind, "offset": offset, "length": len(word.encode("utf-16-le")) // 2})
    return found


def _words(text: str) -> Iterator[tuple[int, str]]:
    start = None
    for n, char in enumerate(text + " "):
        if char.isspace() or char in "，,:：":
            if start is not None:
                yield start, text[start:n]
                start = None
        elif start is None:
            start = n
