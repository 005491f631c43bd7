"""Benchmark: inbound Telegram throughput through the webhook — pairbot beside a bare python-telegram-bot echo bot.

Both run as separate processes on uvicorn and send to the same stand-in Bot API (a thread of
this process); a load generator (httpx, N concurrent connections) posts text updates with the
secret-token header and measures messages per second.

- pairbot: `pairbot run` in webhook mode. One request = secret check → PTB Update → inbox (in the
  inbox's child process, bot.inbound_process) → message stored (group commit) → HTTP answer; then
  the stored message is handled: progress update parsed and stored, confirmation Delivery row
  written. Replies go out afterwards through the delivery workers, so three figures: *accepted*
  (last HTTP answer), *processed* (the last reply row committed, read from the database — the
  figure compared with the echo) and *replied* (last sendMessage at the stand-in, paced by
  Telegram's 30 messages a second).
- bare PTB: an Application with one MessageHandler that echoes the text with reply_text; the
  route awaits `process_update`, so its answer comes after the reply was sent.

The echo bot runs just before pairbot for each database, and the ratio of the two is printed:
the machine's other load changes from minute to minute, so only figures measured side by side
compare.

Usage:
    .venv/bin/python bench/telegram_inbound.py [--messages 2000] [--concurrency 16] [--contacts 50]
        [--database sqlite|postgresql|both] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from inbound_common import (  # noqa: E402
    add_common_arguments,
    backends,
    free_port,
    prepare_database,
    processed_count,
    ratio,
    wait_for,
    wait_healthy,
)
from tests.standins.telegram_api import TOKEN, TelegramApiStandIn, Updates  # noqa: E402

SECRET = "bench-secret-token"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_USER = 10_000


# --- the two servers ---------------------------------------------------------------------------------


def start_pairbot(db_url: str, api: TelegramApiStandIn, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {
        "PAIRBOT_DATABASE__URL": db_url, "PAIRBOT_WEB__PORT": str(port),
        "PAIRBOT_TELEGRAM__TOKEN": TOKEN, "PAIRBOT_TELEGRAM__API_BASE_URL": api.base_url,
        "PAIRBOT_TELEGRAM__MODE": "webhook", "PAIRBOT_TELEGRAM__SECRET_TOKEN": SECRET,
    }
    return subprocess.Popen([sys.executable, "-m", "bot", "run", "--no-console"], cwd=log.parent, env=env,
                            stdin=subprocess.DEVNULL, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def start_echo(api: TelegramApiStandIn, port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, __file__, "serve-echo", api.base_url, str(port)], cwd=REPO,
                            stdin=subprocess.DEVNULL, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def serve_echo(api_url: str, port: int) -> None:
    """The bare python-telegram-bot bot: echo every text, webhook on uvicorn."""
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    application = Application.builder().token(TOKEN).base_url(api_url).job_queue(None).build()

    async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    application.add_handler(MessageHandler(filters.TEXT, echo))

    async def webhook(request: Request) -> Response:
        if request.headers.get(HEADER) != SECRET:
            return Response(status_code=403)
        await application.process_update(Update.de_json(await request.json(), application.bot))
        return Response()

    async def health(_: Request) -> Response:
        return Response("ok")

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with application:
            await application.start()
            yield
            await application.stop()

    web = Starlette(routes=[Route("/webhook", webhook, methods=["POST"]), Route("/healthz", health)],
                    lifespan=lifespan)
    uvicorn.run(web, host="127.0.0.1", port=port, log_level="warning")


# --- data and load -----------------------------------------------------------------------------------


def message_texts() -> itertools.cycle[str]:
    with (REPO / "tests" / "data" / "samples" / "updates.jsonl").open(encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle if line.strip()][:40]
    return itertools.cycle(texts or ["本月投入帮扶资金20万元，带动38户增收"])


async def load(url: str, contacts: int, count: int, concurrency: int, serial: itertools.count[int],
               updates: Updates) -> dict[str, Any]:
    """Post `count` updates with `concurrency` connections; throughput and latency of the HTTP answers."""
    import httpx

    texts = message_texts()
    bodies = []
    for n in range(count):
        update = updates.message(FIRST_USER + n % contacts, f"{next(texts)}（第{next(serial)}条）")
        bodies.append(json.dumps({"update_id": next(serial), **update}, ensure_ascii=False).encode())
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    pending = iter(bodies)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=120,
                                 headers={HEADER: SECRET, "Content-Type": "application/json"}) as client:
        async def worker() -> None:
            for body in pending:
                began = time.perf_counter()
                response = await client.post(url, content=body)
                latencies.append(time.perf_counter() - began)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {"seconds": elapsed, "per_second": count / elapsed, "statuses": statuses,
            "p50_ms": latencies[len(latencies) // 2] * 1000, "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000}


def run_one(label: str, process: subprocess.Popen[bytes], port: int, path: str, api: TelegramApiStandIn,
            args: argparse.Namespace, log: Path, db_url: str | None = None) -> dict[str, Any]:
    serial, updates = itertools.count(1), Updates()
    engine = None
    if db_url is not None:
        from bot.db import make_engine

        engine = make_engine(db_url)
    try:
        wait_healthy(port, process, log)
        url = f"http://127.0.0.1:{port}{path}"
        warm = min(100, args.messages)
        asyncio.run(load(url, args.contacts, warm, args.concurrency, serial, updates))
        api.wait_for(lambda: len(api.requests("sendMessage")) >= warm, timeout=120)
        before = len(api.requests("sendMessage"))
        stored_before = processed_count(engine) if engine else (0, 0)
        began = time.perf_counter()
        result = asyncio.run(load(url, args.contacts, args.messages, args.concurrency, serial, updates))
        figures: dict[str, Any] = {"bot": label, "accepted_per_s": round(result["per_second"], 1)}
        if engine is not None:
            target = (stored_before[0] + args.messages, stored_before[1] + args.messages)
            done = wait_for(lambda: all(n >= t for n, t in zip(processed_count(engine), target)), timeout=600)
            figures["processed_per_s"] = round(args.messages / (done - began), 1)
        api.wait_for(lambda: len(api.requests("sendMessage")) >= before + args.messages, timeout=600)
        replied = time.perf_counter() - began
    finally:
        process.terminate()
        process.wait(timeout=60)
        if engine is not None:
            engine.dispose()
    return {**figures, "replied_per_s": round(args.messages / replied, 1), "p50_ms": round(result["p50_ms"], 1),
            "p95_ms": round(result["p95_ms"], 1), "statuses": result["statuses"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    args = parser.parse_args()
    api = TelegramApiStandIn().start()
    results, summary = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            for backend, db_url in backends(args, workdir):
                # The echo bot just before pairbot, so both meet the same load from the rest of the machine.
                port, log = free_port(), workdir / f"echo-{backend}.log"
                echo = run_one("bare python-telegram-bot echo", start_echo(api, port, log), port, "/webhook", api,
                               args, log)
                prepare_database(db_url, args.contacts, "telegram", lambda n: str(FIRST_USER + n))
                port, log = free_port(), workdir / f"pairbot-{backend}.log"
                mine = run_one("pairbot", start_pairbot(db_url, api, port, log), port, "/telegram/webhook", api,
                               args, log, db_url)
                mine["ratio_to_echo"] = ratio(mine["processed_per_s"], echo["accepted_per_s"])
                results += [{"database": backend, **echo}, {"database": backend, **mine}]
                summary.append(f"{backend}: pairbot {mine['processed_per_s']} msg/s processed (stored, parsed, reply "
                               f"row committed; answered {mine['accepted_per_s']} msg/s once stored), bare PTB echo "
                               f"{echo['accepted_per_s']} msg/s → {mine['ratio_to_echo']}×")
    finally:
        api.stop()
    print(json.dumps({"messages": args.messages, "concurrency": args.concurrency, "senders": args.contacts,
                      "cpus": os.cpu_count(), "results": results}, ensure_ascii=False, indent=2))
    print("\n".join(summary))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve-echo":
        serve_echo(sys.argv[2], int(sys.argv[3]))
    else:
        main()
