"""A stand-in for the WeCom API (qyapi.weixin.qq.com) on 127.0.0.1, for tests and benchmarks.

It implements the calls pairbot makes — `gettoken`, `message/send`, `appchat/create`,
`appchat/send` and `webhook/send` — checks access tokens the way WeCom does (41001 missing, 40014
unknown, 42001 expired), records every request, and fails on demand: `fail_next(path, errcode=45009)`,
`fail_next(path, status=500)`, `expire_tokens()`, `departed.add(userid)` (→ 81013 + invaliduser).
Created app chats are kept in `chats` (chat id → name, owner, members); `appchat/send` to an
unknown one answers 86003 once any chat was created through the stand-in.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GETTOKEN = "/cgi-bin/gettoken"
MESSAGE_SEND = "/cgi-bin/message/send"
APPCHAT_SEND = "/cgi-bin/appchat/send"
APPCHAT_CREATE = "/cgi-bin/appchat/create"
WEBHOOK_SEND = "/cgi-bin/webhook/send"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any] | None
    status: int
    answer: dict[str, Any] | None


@dataclass
class Failure:
    status: int = 200
    errcode: int | None = None
    errmsg: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class WecomApiStandIn:
    def __init__(self, corp_id: str = "ww-test-corp", secret: str = "test-secret", expires_in: int = 7200) -> None:
        self.corp_id = corp_id
        self.secret = secret
        self.expires_in = expires_in
        self.calls: list[Call] = []
        self.departed: set[str] = set()
        self.robot_keys: set[str] | None = None  # None: any key is a robot
        self.chats: dict[str, dict[str, Any]] = {}  # app chats created through appchat/create
        self._valid: set[str] = set()
        self._expired: set[str] = set()
        self._failures: dict[str, list[Failure]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> WecomApiStandIn:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="wecom-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WecomApiStandIn:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def fail_next(self, path: str, *, errcode: int | None = None, errmsg: str = "", status: int = 200,
                  times: int = 1, **extra: Any) -> None:
        with self._lock:
            self._failures.setdefault(path, []).extend(Failure(status, errcode, errmsg, extra) for _ in range(times))

    def expire_tokens(self) -> None:
        """Every token issued so far now answers 42001, as after its 7200 seconds."""
        with self._lock:
            self._expired |= self._valid
            self._valid.clear()

    def calls_to(self, path: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.path == path]

    def delivered(self, path: str) -> list[dict[str, Any]]:
        """Bodies of the sends that succeeded."""
        return [call.body or {} for call in self.calls_to(path) if call.answer and call.answer.get("errcode") == 0]

    def texts_to(self, user: str) -> list[str]:
        return [body["text"]["content"] for body in self.delivered(MESSAGE_SEND) if body.get("touser") == user]

    # -- behaviour -----------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, str], body: dict[str, Any] | None
               ) -> tuple[int, dict[str, Any] | None]:
        with self._lock:
            status, answer = self._answer(method, path, query, body)
            self.calls.append(Call(method, path, query, body, status, answer))
            return status, answer

    def _answer(self, method: str, path: str, query: dict[str, str], body: dict[str, Any] | None
                ) -> tuple[int, dict[str, Any] | None]:
        if path == GETTOKEN and method == "GET":
            return 200, self._token(query)
        if path not in (MESSAGE_SEND, APPCHAT_SEND, APPCHAT_CREATE, WEBHOOK_SEND) or method != "POST":
            return 404, None
        if path == WEBHOOK_SEND:
            if self.robot_keys is not None and query.get("key") not in self.robot_keys:
                return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        else:
            refused = self._check_token(query.get("access_token"))
            if refused is not None:
                return 200, refused
        failure = self._next_failure(path)
        if failure is not None:
            if failure.status != 200:
                return failure.status, None
            return 200, {"errcode": failure.errcode, "errmsg": failure.errmsg or "error", **failure.extra}
        if body is None:
            return 200, {"errcode": 47001, "errmsg": "data format error"}
        if path == MESSAGE_SEND:
            user = str(body.get("touser", ""))
            if user in self.departed:
                return 200, {"errcode": 81013, "errmsg": "user & party & tag all invalid", "invaliduser": user}
            return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": f"msg-{next(self._ids)}"}
        if path == APPCHAT_CREATE:
            return 200, self._create_chat(body)
        if path == APPCHAT_SEND and self.chats and body.get("chatid") not in self.chats:
            return 200, {"errcode": 86003, "errmsg": "chat not found"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _create_chat(self, body: dict[str, Any]) -> dict[str, Any]:
        members = [str(user) for user in body.get("userlist") or []]
        if len(members) < 2 or any(user in self.departed for user in members):
            return {"errcode": 86216, "errmsg": "invalid chat member"}
        chat_id = str(body.get("chatid") or f"chat{next(self._ids)}")
        if chat_id in self.chats:
            return {"errcode": 86215, "errmsg": "chat id already exists"}
        self.chats[chat_id] = {"name": body.get("name", ""), "owner": body.get("owner", ""), "members": members}
        return {"errcode": 0, "errmsg": "ok", "chatid": chat_id}

    def _token(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("corpid") != self.corp_id:
            return {"errcode": 40013, "errmsg": "invalid corpid"}
        if query.get("corpsecret") != self.secret:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        token = f"token-{next(self._ids)}"
        self._valid.add(token)
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.expires_in}

    def _check_token(self, token: str | None) -> dict[str, Any] | None:
        if not token:
            return {"errcode": 41001, "errmsg": "access_token missing"}
        if token in self._expired:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if token not in self._valid:
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        return None

    def _next_failure(self, path: str) -> Failure | None:
        pending = self._failures.get(path)
        return pending.pop(0) if pending else None


def _handler(standin: WecomApiStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw.decode("utf-8")) if raw else None
            except ValueError:
                body = None
            status, answer = standin.answer(method, parts.path, query, body)
            payload = json.dumps(answer, ensure_ascii=False).encode() if answer is not None else b"error"
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: object) -> None:  # quiet
            return

    return Handler
