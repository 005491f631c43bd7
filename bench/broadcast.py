"""Benchmark: a broadcast to N Telegram recipients against a Bot API stand-in that enforces Telegram's limits.

The stand-in (tests/standins/ratelimited_api.py, run as its own process) refuses anything over
30 messages/s overall or 1/s per chat with 429 + retry_after, and fails 5% of the requests that
pass (half 500s, half timeouts: held `--hang` seconds and dropped unanswered). The real Telegram
channel (python-telegram-bot) sends through it. Reported per mode: delivered, duplicates, elapsed
(from the broadcast's rows being committed and enqueued to the last recipient's message accepted)
and efficiency = (N / 30 s) / elapsed.

Modes: `embedded` (memory:// queue, workers inside the process, as `pairbot run`) and `redis`
(a private redis-server, `pairbot worker --processes 2` as a child process, limits shared in Redis).

Hand-off modes: the broadcast is written by `pairbot broadcast --to all --yes` in a process of its
own while another process sends: `cli-embedded` (`pairbot run`, memory://, SQLite: woken through
data_version; with `--db postgresql` through LISTEN/NOTIFY) and `cli-redis` (`pairbot worker
--processes 2`, Redis, PostgreSQL: the CLI enqueues). `relay_after_seconds` is 60, so only the
hand-off explains a prompt start. Reported besides: first_send_s (from the broadcast's rows being
written to the first message accepted), elapsed and efficiency from the same moment, and
command_s (from starting the CLI, Python's start-up included, to the last message accepted).

    .venv/bin/python bench/broadcast.py [--recipients 1000] [--modes embedded,redis,cli-embedded,cli-redis]
                                        [--threads 8] [--db auto|sqlite|postgresql] [--hang 1.0]
                                        [--failure-rate 0.05]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PG_ADMIN = os.environ.get("PAIRBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


class StandIn:
    """The rate-limited Bot API stand-in in a child process, queried over its control endpoints."""

    def __init__(self, failure_rate: float, hang: float, seed: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.standins.ratelimited_api", "--failure-rate", str(failure_rate),
             "--hang", str(hang), "--seed", str(seed)], cwd=REPO, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        info = json.loads(self.process.stdout.readline())
        self.api_base_url, self.token, self.port = info["api_base_url"], info["token"], info["port"]

    def stats(self) -> dict[str, Any]:
        return self._control("_stats")

    def progress(self) -> dict[str, Any]:
        return self._control("_progress")

    def _control(self, command: str) -> dict[str, Any]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/{command}", data=b"{}", method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def database(kind: str, workdir: Path) -> tuple[str, Any]:
    """A fresh, migrated database and a function that drops it."""
    from sqlalchemy import create_engine, text

    from bot.db import make_engine, migrate

    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        drop = lambda: None  # noqa: E731
    else:
        name = f"pairbot_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"

        def drop() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url, drop


def seed(url: str, recipients: int, first_chat: int) -> list[str]:
    from bot.db import make_engine, unit_of_work
    from models.registry import ChannelIdentity, Contact

    engine = make_engine(url)
    chats = [str(first_chat + n) for n in range(recipients)]
    with unit_of_work(engine) as session:
        contacts = [Contact(name=f"联络员{n:04d}", role="county", last_channel="telegram") for n in range(recipients)]
        session.add_all(contacts)
        session.flush()
        session.add_all([ChannelIdentity(contact_id=c.id, channel="telegram", external_id=chat)
                         for c, chat in zip(contacts, chats)])
    engine.dispose()
    return chats


def broadcast(engine: Any) -> tuple[list[int], float]:
    """Write the broadcast as `pairbot broadcast --to all --yes` does; the delivery ids and the seconds it took."""
    from bot.db import unit_of_work
    from models.base import utcnow
    from models.services.broadcast import Segment, queue_broadcast

    start = time.perf_counter()
    with unit_of_work(engine) as session:
        ids = queue_broadcast(session, Segment("all"), "请于8月31日前签订帮扶协议。", require_ack=False,
                              actor="bench", now=utcnow()).delivery_ids
    return ids, time.perf_counter() - start


def wait_delivered(standin: StandIn, chats: set[str], start: float, limit: float) -> tuple[float, dict[str, Any]]:
    """Seconds from `start` (perf_counter) until every chat had its message accepted; then the final stats."""
    while time.perf_counter() - start < limit:
        if standin.progress()["chats"] >= len(chats):
            elapsed = time.perf_counter() - start
            time.sleep(3)  # late duplicates would show up now
            return elapsed, standin.stats()
        time.sleep(0.02)
    return float("nan"), standin.stats()


def settings_for(url: str, queue_url: str, queue_name: str, standin: StandIn, threads: int) -> Any:
    from bot.config import Settings

    return Settings(database={"url": url}, queue={"url": queue_url, "name": queue_name, "worker_threads": threads},
                    telegram={"token": standin.token, "api_base_url": standin.api_base_url})


def run_embedded(url: str, chats: list[str], standin: StandIn, threads: int) -> dict[str, Any]:
    from bot.app import App
    from bot.channels.telegram import register_telegram

    app = App(settings_for(url, "memory://", "deliveries", standin, threads))
    channel = register_telegram(app)
    assert channel is not None
    channel._ready()  # getMe, as `pairbot run` does when it starts the channel
    app.queue.start_worker()
    app.start_relay()
    try:
        ids, written = broadcast(app.engine)
        start = time.perf_counter()
        app.queue.enqueue(ids)
        elapsed, stats = wait_delivered(standin, set(chats), start, 300)
    finally:
        app.close()
        channel.stop()
    return {"written_s": written, "elapsed_s": elapsed, "stats": stats}


def run_redis(url: str, chats: list[str], standin: StandIn, threads: int, processes: int) -> dict[str, Any]:
    from bot.db import make_engine
    from bot.queue import DeliveryQueue
    from tests.standins.redis_server import RedisServer

    redis = RedisServer().start()
    queue_name = f"bench-{uuid.uuid4().hex[:6]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {
        "PAIRBOT_DATABASE__URL": url, "PAIRBOT_QUEUE__URL": redis.url, "PAIRBOT_QUEUE__NAME": queue_name,
        "PAIRBOT_TELEGRAM__TOKEN": standin.token, "PAIRBOT_TELEGRAM__API_BASE_URL": standin.api_base_url,
        "PAIRBOT_CONFIG": str(REPO / "config.toml"),
    }
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    worker = subprocess.Popen([sys.executable, "-m", "bot", "worker", "--processes", str(processes),
                               "--threads", str(threads)], cwd=REPO, env=env, stdout=log, stderr=log,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while Path(log.name).read_text().count("pairbot worker:") < processes:
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("workers did not start:\n" + Path(log.name).read_text()[-3000:])
            time.sleep(0.2)
        engine = make_engine(url)
        ids, written = broadcast(engine)
        engine.dispose()
        queue = DeliveryQueue(redis.url, lambda *_: None, queue_name=queue_name)
        start = time.perf_counter()
        queue.enqueue(ids)
        queue.close()
        elapsed, stats = wait_delivered(standin, set(chats), start, 300)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        redis.stop()
    return {"written_s": written, "elapsed_s": elapsed, "stats": stats}


def cli_env(url: str, standin: StandIn, **extra: str) -> dict[str, str]:
    from tests.standins.redis_server import free_port

    return {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {
        "PAIRBOT_DATABASE__URL": url, "PAIRBOT_QUEUE__RELAY_AFTER_SECONDS": "60",
        "PAIRBOT_TELEGRAM__TOKEN": standin.token, "PAIRBOT_TELEGRAM__API_BASE_URL": standin.api_base_url,
        "PAIRBOT_TELEGRAM__MODE": "webhook", "PAIRBOT_TELEGRAM__SECRET_TOKEN": "bench",
        "PAIRBOT_WEB__PORT": str(free_port()), "PAIRBOT_CONFIG": str(REPO / "config.toml"),
    } | extra


def run_handoff(url: str, chats: list[str], standin: StandIn, threads: int, queue_url: str) -> dict[str, Any]:
    """A sender process (`pairbot run`, or `pairbot worker --processes 2` on a broker), then the CLI broadcast."""
    from sqlalchemy import func
    from sqlmodel import select

    from bot.db import make_engine, unit_of_work
    from models.messaging import Delivery

    env = cli_env(url, standin, PAIRBOT_QUEUE__URL=queue_url, PAIRBOT_QUEUE__WORKER_THREADS=str(threads))
    embedded = queue_url.startswith("memory://")
    args, ready, count = (["run", "--no-console"], "pairbot serving", 1) if embedded else (
        ["worker", "--processes", "2", "--threads", str(threads)], "pairbot worker:", 2)
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    sender = subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=REPO, env=env, stdout=log, stderr=log,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while Path(log.name).read_text().count(ready) < count:
            if sender.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("sender did not start:\n" + Path(log.name).read_text()[-3000:])
            time.sleep(0.2)
        time.sleep(1)  # let the sender settle (the channel's first request, the hand-off's first look)
        command = time.monotonic()
        subprocess.run([sys.executable, "-m", "bot", "broadcast", "--to", "all", "--text", "请于8月31日前签订帮扶协议。",
                        "--yes"], cwd=REPO, env=env, check=True, capture_output=True, timeout=120)
        offset = time.time() - time.monotonic()  # the rows' created_at is wall-clock UTC; the stand-in's, monotonic
        engine = make_engine(url)
        with unit_of_work(engine) as session:
            written = session.exec(select(func.max(Delivery.created_at))).one()
        engine.dispose()
        assert written is not None
        t0 = (written if written.tzinfo else written.replace(tzinfo=timezone.utc)).timestamp() - offset
        _, stats = wait_delivered(standin, set(chats), time.perf_counter(), 300)
    finally:
        os.killpg(sender.pid, signal.SIGTERM)
        sender.wait(timeout=60)
    return {"written_s": t0 - command, "command": command, "t0": t0, "stats": stats}


def summarise(mode: str, result: dict[str, Any], recipients: int) -> dict[str, Any]:
    stats = result["stats"]
    per_chat: dict[str, int] = {}
    for chat, _, _ in stats["accepted"]:
        per_chat[chat] = per_chat.get(chat, 0) + 1
    times = sorted(at for _, _, at in stats["accepted"])
    busiest, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= 1.0:
            first += 1
        busiest = max(busiest, last - first + 1)
    extra: dict[str, Any] = {}
    if "t0" in result:  # hand-off: measured on the stand-in's clock from the rows being written
        first_accept: dict[str, float] = {}
        for chat, _, at in stats["accepted"]:
            first_accept.setdefault(chat, at)
        result["elapsed_s"] = max(first_accept.values()) - result["t0"]
        extra = {"first_send_s": round(times[0] - result["t0"], 3),
                 "command_s": round(max(first_accept.values()) - result["command"], 2),
                 "efficiency_from_command": round((recipients / 30) / (max(first_accept.values()) - result["command"]), 3)}
    elapsed = result["elapsed_s"]
    return extra | {
        "mode": mode, "recipients": recipients, "delivered": len(per_chat),
        "duplicates": sum(n - 1 for n in per_chat.values()), "elapsed_s": round(elapsed, 2),
        "efficiency": round((recipients / 30) / elapsed, 3), "broadcast_write_s": round(result["written_s"], 2),
        "platform_answers": stats["outcomes"], "max_accepted_in_1s": busiest,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--modes", default="embedded,redis")
    parser.add_argument("--threads", type=int, default=8, help="worker threads per process")
    parser.add_argument("--processes", type=int, default=2, help="worker processes in the redis mode")
    parser.add_argument("--db", choices=("auto", "sqlite", "postgresql"), default="auto",
                        help="auto: SQLite for embedded (its default), PostgreSQL for redis (production)")
    parser.add_argument("--hang", type=float, default=1.0, help="seconds an injected timeout holds the request")
    parser.add_argument("--failure-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1, help="failure pattern of the first run (then seed+1, …)")
    parser.add_argument("--runs", type=int, default=1, help="runs per mode; the summary gives each and the median")
    options = parser.parse_args()
    results: dict[str, list[dict[str, Any]]] = {}
    for mode in options.modes.split(","):
        for run in range(options.runs):
            summary = bench_once(mode, options, options.seed + run)
            results.setdefault(mode, []).append(summary)
            print(json.dumps(summary, ensure_ascii=False), flush=True)
    for mode, runs in results.items():
        efficiencies = sorted(r["efficiency"] for r in runs)
        print(f"{mode}: {len(runs)} runs, delivered {min(r['delivered'] for r in runs)}/{options.recipients}, "
              f"duplicates {max(r['duplicates'] for r in runs)}, elapsed "
              f"{', '.join(str(r['elapsed_s']) for r in runs)} s, efficiency median "
              f"{efficiencies[len(efficiencies) // 2]} (min {efficiencies[0]}, max {efficiencies[-1]})")


def bench_once(mode: str, options: argparse.Namespace, seed_value: int) -> dict[str, Any]:
    standin = StandIn(options.failure_rate, options.hang, seed_value)
    workdir = Path(tempfile.mkdtemp(prefix="pairbot-bench-"))
    db = options.db if options.db != "auto" else "sqlite" if mode.endswith("embedded") else "postgresql"
    url, drop = database(db, workdir)
    try:
        chats = seed(url, options.recipients, 10_000_000)
        if mode == "embedded":
            result = run_embedded(url, chats, standin, options.threads)
        elif mode == "redis":
            result = run_redis(url, chats, standin, options.threads, options.processes)
        elif mode == "cli-embedded":
            result = run_handoff(url, chats, standin, options.threads, "memory://")
        elif mode == "cli-redis":
            from tests.standins.redis_server import RedisServer

            redis = RedisServer().start()
            try:
                result = run_handoff(url, chats, standin, options.threads, redis.url)
            finally:
                redis.stop()
        else:
            raise SystemExit(f"unknown mode {mode!r}")
    finally:
        standin.stop()
        drop()
    return summarise(mode, result, options.recipients) | {"db": db, "threads": options.threads, "seed": seed_value}


if __name__ == "__main__":
    main()
