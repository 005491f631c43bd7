"""Platform rate limits, applied before every send and shared by every worker.

Each limit is a `Rule`: at most `limit` messages per `period` seconds, in bursts of at most
`burst`. A limiter spaces messages with GCRA (the generic cell rate algorithm, a leaky bucket
kept as one "theoretical arrival time" per key): a message reserves one slot under all its rules
at once, or none, and learns how long to wait for it. The emission interval
T = period / (limit - burst + 1) and a tolerance of (burst - 1)·T mean that no window of `period`
seconds, wherever it starts, ever holds more than `limit` of our messages; `PACE` keeps a little
under each platform figure besides, for the jitter between a slot and the request's arrival.

A send the platform did not count (5xx, timeout, a claim lost to another worker) gives its slot
back (`cancel`), so the bucket stays level with the platform's own; a platform's `retry_after`
holds the keys of that one chat (`hold`) while everyone else carries on.

Spacing alone is not enough: a slot is a time on our side, and a request reaches the platform a
little later — a database claim, the HTTP client, a busy machine — so a late message and the ones
on time after it can land in one second together (38 in one second, pacing at exactly 30/s). So
each send also passes a sliding window at the moment of the request (`admit`): a message counts
in a rule's window from the moment it is admitted until its answer comes back (`finish`), and a
new one is admitted only while fewer than `limit` messages count within the last `period`. The
platform receives a message between those two moments, so no window of `period` on its clock
can hold more than `limit` of ours, however late a request was. `PACE` keeps the spacing a little
under each limit, so that the window rarely has to hold anyone back.

Two implementations share that interface and the same tests:
- `MemoryLimiter`: a dict and a lock, for the embedded default (one process);
- `RedisLimiter`: one Lua script per call, atomic on the Redis server and timed by its clock, so
  workers on any number of machines share one budget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

PACE = 0.96  # the fraction of each platform limit the spacing uses; the window guarantees the limit itself
IN_FLIGHT_SECONDS = 120.0  # a request whose answer never came (the worker died) stops counting after this
KEY_PREFIX = "pairbot:ratelimit:"


@dataclass(frozen=True)
class Rule:
    key: str
    limit: int
    period: float  # seconds
    burst: int = 1

    @property
    def interval(self) -> float:
        """Seconds between slots in steady state."""
        return self.period / PACE / (self.limit - self.burst + 1)

    @property
    def tolerance(self) -> float:
        return (self.burst - 1) * self.interval


@dataclass(frozen=True)
class Reservation:
    granted: bool
    wait: float  # granted: sleep this long, then send; refused: nothing reserved, try again after this long


@dataclass(frozen=True)
class Admission:
    granted: bool
    wait: float  # refused: the window may have room after this long
    token: str = ""  # granted: hand back to `finish`


class RateLimiter(Protocol):
    def reserve(self, rules: Sequence[Rule], max_wait: float) -> Reservation:
        """Take one slot under every rule if it comes within `max_wait` seconds; otherwise take none."""
        ...

    def cancel(self, rules: Sequence[Rule]) -> None:
        """Give back a reserved slot the platform did not count (the send was not made, or was refused)."""
        ...

    def hold(self, rules: Sequence[Rule], seconds: float) -> None:
        """Nothing passes these rules for `seconds`: the platform asked us to wait (retry_after)."""
        ...

    def admit(self, rules: Sequence[Rule], token: str) -> Admission:
        """Right before the request: count it in every rule's window if each has room, else in none.

        `token` names the row: admitting a row again drops its earlier admission if that is still
        unanswered, which can only belong to a worker that died before claiming it. An answered one
        keeps counting (`finish` files it under a name of its own): a message that sent an older row
        of its chat is admitted again for its own row, and the send it made must still count."""
        ...

    def finish(self, rules: Sequence[Rule], token: str) -> None:
        """The answer came, or the request was not made after all: it counts until now (plus the period)."""
        ...

    def withdraw(self, rules: Sequence[Rule], token: str) -> None:
        """This caller's admission, surely never sent: it stops counting at once (not a period more, which
        a message throttled again and again would pile up in a group's window)."""
        ...

    def close(self) -> None: ...


class Unlimited:
    """No limits: for tests of the outbox itself and for channels without any."""

    def reserve(self, rules: Sequence[Rule], max_wait: float) -> Reservation:
        return Reservation(True, 0.0)

    def cancel(self, rules: Sequence[Rule]) -> None:
        pass

    def hold(self, rules: Sequence[Rule], seconds: float) -> None:
        pass

    def admit(self, rules: Sequence[Rule], token: str) -> Admission:
        return Admission(True, 0.0, token)

    def finish(self, rules: Sequence[Rule], token: str) -> None:
        pass

    def withdraw(self, rules: Sequence[Rule], token: str) -> None:
        pass

    def close(self) -> None:
        pass


# --- Which rules apply to a message ----------------------------------------------------------------------

TELEGRAM_OVERALL = Rule("telegram:all", 30, 1.0)


def rules_for(channel: str, chat_id: str, group: bool = False) -> list[Rule]:
    """The platform limits one message counts against (Telegram Bot FAQ; WeCom 发送应用消息 and 群机器人 docs)."""
    if channel == "telegram":
        if group or chat_id.startswith("-"):
            return [TELEGRAM_OVERALL, Rule(f"telegram:group:{chat_id}", 20, 60.0, burst=5)]
        return [TELEGRAM_OVERALL, Rule(f"telegram:chat:{chat_id}", 1, 1.0)]
    if channel == "wecom":
        if group or chat_id.startswith("appchat:"):
            return [Rule(f"wecom:group:{chat_id}", 20, 60.0, burst=5)]
        return [Rule(f"wecom:member:{chat_id}", 30, 60.0, burst=10),
                Rule(f"wecom:member-hour:{chat_id}", 1000, 3600.0, burst=10)]
    if channel == "wecom_robot":
        return [Rule(f"wecom_robot:{chat_id}", 20, 60.0, burst=5)]
    return []


def per_recipient(rules: Sequence[Rule]) -> list[Rule]:
    """The rules about one chat, not the bot's overall budget: what a platform's retry_after holds back."""
    return [rule for rule in rules if rule is not TELEGRAM_OVERALL] or list(rules)


# --- In-process --------------------------------------------------------------------------------------------


class MemoryLimiter:
    """GCRA in a dict; correct for the workers of one process."""

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}
        self._window: dict[str, dict[str, float]] = {}  # rule key -> token -> until when it counts
        self._lock = threading.Lock()

    def reserve(self, rules: Sequence[Rule], max_wait: float) -> Reservation:
        with self._lock:
            now = time.monotonic()
            tats = [max(self._tat.get(rule.key, now), now) for rule in rules]
            wait = max([tat - rule.tolerance - now for rule, tat in zip(rules, tats)] + [0.0])
            if wait > max_wait:
                return Reservation(False, wait)
            for rule, tat in zip(rules, tats):
                self._tat[rule.key] = max(tat, now + wait) + rule.interval
            if len(self._tat) > 10_000:
                self._forget(now)
            return Reservation(True, wait)

    def cancel(self, rules: Sequence[Rule]) -> None:
        with self._lock:
            for rule in rules:
                if rule.key in self._tat:
                    self._tat[rule.key] -= rule.interval

    def hold(self, rules: Sequence[Rule], seconds: float) -> None:
        with self._lock:
            now = time.monotonic()
            for rule in rules:
                self._tat[rule.key] = max(self._tat.get(rule.key, now), now + seconds + rule.tolerance)

    def admit(self, rules: Sequence[Rule], token: str) -> Admission:
        with self._lock:
            now = time.monotonic()
            wait = 0.0
            for rule in rules:
                window = self._window.setdefault(rule.key, {})
                window.pop(token, None)
                for old in [t for t, until in window.items() if until <= now - rule.period]:
                    del window[old]
                if len(window) >= rule.limit:
                    ends = sorted(window.values())
                    wait = max(wait, ends[len(window) - rule.limit] + rule.period - now)
            if wait > 0:
                return Admission(False, wait)
            for rule in rules:
                self._window[rule.key][token] = now + IN_FLIGHT_SECONDS
            return Admission(True, 0.0, token)

    def finish(self, rules: Sequence[Rule], token: str) -> None:
        with self._lock:
            now = time.monotonic()
            for rule in rules:
                window = self._window.get(rule.key, {})
                if token in window:
                    del window[token]
                    window[f"{token}@{now:.6f}"] = now  # answered: no later admission of the row replaces it

    def withdraw(self, rules: Sequence[Rule], token: str) -> None:
        with self._lock:
            for rule in rules:
                self._window.get(rule.key, {}).pop(token, None)

    def _forget(self, now: float) -> None:
        """Drop keys whose buckets are empty again, so a million chats do not keep a million entries."""
        for key in [key for key, tat in self._tat.items() if tat < now]:
            del self._tat[key]
        for key in [key for key, window in self._window.items() if not window or max(window.values()) < now - 3600]:
            del self._window[key]

    def close(self) -> None:
        pass


# --- Redis -------------------------------------------------------------------------------------------------

# KEYS: one per rule. ARGV: mode ("reserve" | "cancel" | "hold"), max_wait or hold in ms, then interval
# and tolerance in ms for each key. Times come from the Redis server, the one clock every worker
# shares. Numbers are returned as strings (Redis would truncate Lua numbers to integers).
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local mode, arg = ARGV[1], tonumber(ARGV[2])
local tats = {}
for i, key in ipairs(KEYS) do
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  tats[i] = tat
end
local function store(i, tat)
  local ttl = math.ceil(tat - now + tonumber(ARGV[2 + 2 * i])) + 1000
  if ttl > 0 then redis.call('SET', KEYS[i], string.format('%.3f', tat), 'PX', ttl) end
end
if mode == 'reserve' then
  local wait = 0
  for i = 1, #KEYS do
    local w = tats[i] - tonumber(ARGV[2 + 2 * i]) - now
    if w > wait then wait = w end
  end
  if wait > arg then return {0, string.format('%.3f', wait)} end
  for i = 1, #KEYS do
    local tat = tats[i]
    if tat < now + wait then tat = now + wait end
    store(i, tat + tonumber(ARGV[1 + 2 * i]))
  end
  return {1, string.format('%.3f', wait)}
elseif mode == 'cancel' then
  for i = 1, #KEYS do store(i, tats[i] - tonumber(ARGV[1 + 2 * i])) end
elseif mode == 'hold' then
  for i = 1, #KEYS do
    local held = now + arg + tonumber(ARGV[2 + 2 * i])
    if tats[i] > held then held = tats[i] end
    store(i, held)
  end
end
return {1, '0'}
"""


# KEYS: one sorted set per rule (token -> until when it counts, in ms of the Redis clock). ARGV: mode
# ("admit" | "finish" | "withdraw"), token, IN_FLIGHT in ms, then limit and period in ms for each key.
_WINDOW_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local mode, token, inflight = ARGV[1], ARGV[2], tonumber(ARGV[3])
if mode == 'admit' then
  local wait = 0
  for i, key in ipairs(KEYS) do
    local limit, period = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
    redis.call('ZREM', key, token)
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
    local count = redis.call('ZCARD', key)
    if count >= limit then
      local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
      local w = tonumber(oldest[2]) + period - now
      if w > wait then wait = w end
    end
  end
  if wait > 0 then return {0, string.format('%.3f', wait)} end
  for i, key in ipairs(KEYS) do
    redis.call('ZADD', key, string.format('%.3f', now + inflight), token)
    redis.call('PEXPIRE', key, math.ceil(inflight + tonumber(ARGV[3 + 2 * i])))
  end
elseif mode == 'withdraw' then
  for _, key in ipairs(KEYS) do redis.call('ZREM', key, token) end
else
  for _, key in ipairs(KEYS) do
    -- answered: filed under a name of its own, so that no later admission of the row replaces it
    if redis.call('ZREM', key, token) == 1 then
      redis.call('ZADD', key, string.format('%.3f', now), token .. '@' .. string.format('%.3f', now))
    end
  end
end
return {1, '0'}
"""


class RedisLimiter:
    """GCRA on Redis: the same budget for every worker process on every machine."""

    def __init__(self, url: str, prefix: str = KEY_PREFIX) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = prefix
        self._script = self.client.register_script(_SCRIPT)
        self._window_script = self.client.register_script(_WINDOW_SCRIPT)

    def _call(self, mode: str, rules: Sequence[Rule], arg_seconds: float) -> Reservation:
        args: list[str] = [mode, f"{arg_seconds * 1000:.3f}"]
        for rule in rules:
            args += [f"{rule.interval * 1000:.3f}", f"{rule.tolerance * 1000:.3f}"]
        granted, wait_ms = self._script(keys=[self.prefix + rule.key for rule in rules], args=args)
        return Reservation(bool(int(granted)), float(wait_ms) / 1000)

    def reserve(self, rules: Sequence[Rule], max_wait: float) -> Reservation:
        return self._call("reserve", rules, max_wait) if rules else Reservation(True, 0.0)

    def cancel(self, rules: Sequence[Rule]) -> None:
        if rules:
            self._call("cancel", rules, 0)

    def hold(self, rules: Sequence[Rule], seconds: float) -> None:
        if rules:
            self._call("hold", rules, seconds)

    def _window(self, mode: str, rules: Sequence[Rule], token: str) -> Admission:
        args: list[str] = [mode, token, f"{IN_FLIGHT_SECONDS * 1000:.0f}"]
        for rule in rules:
            args += [str(rule.limit), f"{rule.period * 1000:.3f}"]
        granted, wait_ms = self._window_script(keys=[f"{self.prefix}window:{rule.key}" for rule in rules], args=args)
        return Admission(bool(int(granted)), float(wait_ms) / 1000, token if int(granted) else "")

    def admit(self, rules: Sequence[Rule], token: str) -> Admission:
        return self._window("admit", rules, token) if rules else Admission(True, 0.0, token)

    def finish(self, rules: Sequence[Rule], token: str) -> None:
        if rules and token:
            self._window("finish", rules, token)

    def withdraw(self, rules: Sequence[Rule], token: str) -> None:
        if rules and token:
            self._window("withdraw", rules, token)

    def close(self) -> None:
        self.client.close()


def build_limiter(queue_url: str, ratelimit_url: str = "", installation: str = "") -> RateLimiter:
    """Redis when one is configured (the limiter's own URL, else the queue's), in-process otherwise.

    `installation` ([queue] name) keeps the keys of installations sharing one Redis apart: each has its own
    bots, so its own platform limits."""
    url = ratelimit_url or (queue_url if queue_url.startswith(("redis://", "rediss://")) else "")
    return RedisLimiter(url, f"{KEY_PREFIX}{installation}:" if installation else KEY_PREFIX) if url else MemoryLimiter()
