"""A stand-in for the Telegram Bot API's sendMessage that enforces Telegram's limits, for tests and benchmarks.

It listens on 127.0.0.1 and answers `getMe` and `sendMessage` (JSON, form or multipart bodies,
as python-telegram-bot sends them) the way the Bot API does, and:
- enforces the limits on accepted messages: overall a bucket refilled at 30 messages per second
  that holds at most 5 (the FAQ's "30 messages per second or so": short bursts pass, the sustained
  rate cannot exceed 30/s); per private chat 1 per second and per group (a negative chat id) 20
  per minute, both as sliding windows; a message over a limit is refused with 429 and
  `parameters.retry_after` (whole seconds, as Telegram gives them);
- injects failures in `failure_rate` of the requests that pass the limits, half `500 Internal
  Server Error` and half timeouts (the request is held `hang_seconds` and the connection closed
  unanswered, like a gateway timeout); neither records the message, so a retry is safe;
- answers 403 "bot was blocked by the user" for chats in `blocked`;
- records every accepted message (`accepted`), in order, with the time it was accepted;
- `hold_after(n)`: the n-th accepted message (counting from now) is recorded but its answer is
  held until `release()` — a send the platform took whose sender may die before hearing back.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

OVERALL = (30, 1.0, 5)  # messages per second, bucket size
PRIVATE_CHAT = (1, 1.0)
GROUP = (20, 60.0)
BOT = {"id": 777000111, "is_bot": True, "first_name": "pairbot", "username": "pairbot_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}


@dataclass(frozen=True)
class Accepted:
    chat_id: str
    text: str
    message_id: int
    at: float  # time.monotonic() when accepted
    buttons: list[list[dict[str, Any]]]


class RateLimitedBotApi:
    def __init__(self, token: str = "123456:TEST", failure_rate: float = 0.05, hang_seconds: float = 1.0,
                 seed: int = 1, latency: float = 0.0, port: int = 0) -> None:
        self.token = token
        self.failure_rate = failure_rate
        self.hang_seconds = hang_seconds
        self.latency = latency  # seconds added to every answered request (a platform that is far away)
        self.blocked: set[str] = set()
        self.accepted: list[Accepted] = []
        self.outcomes: Counter[str] = Counter()  # ok / 429 / 500 / timeout / 403 / error
        self._random = random.Random(seed)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._overall_tat = 0.0  # GCRA: the theoretical arrival time of the next message
        self._chats: dict[str, deque[float]] = {}
        self._hold_countdown: int | None = None
        self.holding = threading.Event()  # set while a held answer waits for release()
        self.held: Accepted | None = None  # the message whose answer was held
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="ratelimited-bot-api", daemon=True)

    # --- control -------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def api_base_url(self) -> str:
        """What `[telegram] api_base_url` should be (PTB appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> RateLimitedBotApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def hold_after(self, n: int) -> None:
        with self._lock:
            self._hold_countdown = n
            self._release.clear()

    def release(self) -> None:
        self._release.set()

    def per_chat(self) -> Counter[str]:
        with self._lock:
            return Counter(a.chat_id for a in self.accepted)

    def duplicates(self) -> int:
        return sum(n - 1 for n in self.per_chat().values() if n > 1)

    def max_in_window(self, period: float = 1.0) -> int:
        """The most messages accepted in any window of `period` seconds (a check on the enforcement itself)."""
        times = sorted(a.at for a in self.accepted)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= period:
                start += 1
            best = max(best, end - start + 1)
        return best

    def stats(self) -> dict[str, Any]:
        with self._lock:
            accepted = [[a.chat_id, a.message_id, a.at] for a in self.accepted]
            return {"accepted": accepted, "texts": [a.text for a in self.accepted], "outcomes": dict(self.outcomes),
                    "holding": self.holding.is_set()}

    def _control(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """The same controls over HTTP, for a stand-in running in another process (the benchmark)."""
        command = path.split("?")[0]
        if command == "/_progress":  # cheap enough to poll often
            with self._lock:
                return {"accepted": len(self.accepted), "chats": len({a.chat_id for a in self.accepted})}
        if command == "/_hold":
            self.hold_after(int(body.get("n", 1)))
        elif command == "/_release":
            self.release()
        elif command == "/_block":
            self.blocked.add(str(body["chat_id"]))
        return self.stats()

    # --- the API -------------------------------------------------------------------------------------

    def _decide(self, chat_id: str, text: str, buttons: list[list[dict[str, Any]]]) -> tuple[str, Any]:
        """One sendMessage: (outcome, detail) under the lock, in the order Telegram would check."""
        with self._lock:
            now = time.monotonic()
            if chat_id in self.blocked:
                return "403", None
            rate, period, size = OVERALL
            interval = period / rate
            tat = max(self._overall_tat, now)
            if now < tat - (size - 1) * interval:
                return "429", max(1, math.ceil(tat - (size - 1) * interval - now))
            count, span = GROUP if chat_id.startswith("-") else PRIVATE_CHAT
            chat = self._chats.setdefault(chat_id, deque())
            while chat and chat[0] <= now - span:
                chat.popleft()
            if len(chat) >= count:
                return "429", max(1, math.ceil(chat[0] + span - now))
            roll = self._random.random()
            if roll < self.failure_rate / 2:
                return "500", None
            if roll < self.failure_rate:
                return "timeout", None
            self._overall_tat = tat + interval
            chat.append(now)
            accepted = Accepted(chat_id, text, next(self._ids), now, buttons)
            self.accepted.append(accepted)
            held = False
            if self._hold_countdown is not None:
                self._hold_countdown -= 1
                if self._hold_countdown <= 0:
                    self._hold_countdown = None
                    held = True
            return "ok", (accepted, held)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                self.do_POST()

            def do_POST(self) -> None:  # noqa: N802
                prefix = f"/bot{api.token}/"
                body = self._params()
                if self.path.startswith("/_"):
                    return self._answer(200, api._control(self.path, body))
                if not self.path.startswith(prefix):
                    return self._answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                method = self.path[len(prefix):].split("?")[0]
                if method == "getMe":
                    return self._answer(200, {"ok": True, "result": BOT})
                if method != "sendMessage":
                    return self._answer(200, {"ok": True, "result": True})
                chat_id = str(body.get("chat_id", ""))
                markup = body.get("reply_markup") or {}
                if isinstance(markup, str):
                    markup = json.loads(markup)
                outcome, detail = api._decide(chat_id, str(body.get("text", "")), markup.get("inline_keyboard", []))
                with api._lock:
                    api.outcomes[outcome] += 1
                if api.latency:
                    time.sleep(api.latency)
                if outcome == "403":
                    return self._answer(403, {"ok": False, "error_code": 403,
                                              "description": "Forbidden: bot was blocked by the user"})
                if outcome == "429":
                    return self._answer(429, {"ok": False, "error_code": 429,
                                              "description": f"Too Many Requests: retry after {detail}",
                                              "parameters": {"retry_after": detail}})
                if outcome == "500":
                    return self._answer(500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
                if outcome == "timeout":
                    time.sleep(api.hang_seconds)
                    self.close_connection = True
                    return None
                accepted, held = detail
                if held:
                    api.held = accepted
                    api.holding.set()
                    api._release.wait()
                    api.holding.clear()
                chat_type = "group" if chat_id.startswith("-") else "private"
                return self._answer(200, {"ok": True, "result": {
                    "message_id": accepted.message_id, "date": int(time.time()), "from": BOT,
                    "chat": {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id, "type": chat_type},
                    "text": accepted.text,
                }})

            def _params(self) -> dict[str, Any]:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                kind = self.headers.get("Content-Type", "")
                if "json" in kind:
                    return json.loads(raw or b"{}")
                if "multipart/form-data" in kind:
                    return _multipart(raw, kind)
                return dict(parse_qsl(raw.decode()))

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client is gone (killed, or timed out)
                    self.close_connection = True

        return Handler


def _multipart(raw: bytes, content_type: str) -> dict[str, Any]:
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[str(name)] = part.get_payload(decode=True).decode()
    return fields


def main() -> None:
    """`python -m tests.standins.ratelimited_api [--port N] [--failure-rate F] [--hang S] [--seed N]`."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--failure-rate", type=float, default=0.05)
    parser.add_argument("--hang", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    standin = RateLimitedBotApi(failure_rate=options.failure_rate, hang_seconds=options.hang, seed=options.seed,
                                port=options.port).start()
    print(json.dumps({"api_base_url": standin.api_base_url, "token": standin.token, "port": standin.port}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    standin.stop()


if __name__ == "__main__":
    main()
