"""Benchmark: inbound WeCom throughput through the encrypted callback — pairbot beside a bare wechatpy echo bot.

Run the same way as bench/telegram_inbound.py, so the figures compare: both servers run as
separate processes on uvicorn and send to the same stand-in WeCom API (a thread of this
process); a load generator (httpx, N concurrent connections; messages sealed beforehand with
the independent WXBizMsgCrypt of tests/integration/wecom_support.py) posts progress updates
from registered county contacts, after a warm-up of 100.

- pairbot: `pairbot run --no-console` with `[wecom]` configured. One request = signature check →
  AES decrypt → defusedxml parse → raw message committed (group commit) → answered (empty 200);
  the router then handles the stored row: parses and stores the progress update and writes the
  confirmation Delivery row; the delivery workers send it through `message/send`. Three figures:
  *answered* (last HTTP answer), *processed* (every message handled with its reply row written —
  the full inbound path, the figure compared with the echo bot), *replied*
  (last reply accepted by the stand-in; pairbot's outbox keeps to WeCom's per-member limit of 30
  messages a minute, so with 40 messages per sender this is rate-limited by design).
- bare wechatpy echo: a Starlette route on uvicorn that checks the signature, decrypts with
  `WeChatCrypto`, parses, sends the text back with wechatpy's `message.send_text` and then answers.

The echo bot runs just before pairbot for each database, and the ratio is printed (pairbot's
*processed* to the echo's answered): only figures measured side by side compare.

Usage:
    .venv/bin/python bench/wecom_inbound.py [--messages 2000] [--concurrency 16] [--contacts 50]
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
from tests.integration.wecom_support import (  # noqa: E402
    SAMPLE_AES_KEY, SAMPLE_CORP_ID, SAMPLE_TOKEN, IndependentCrypto, SignedPost, message_xml, seal,
)
from tests.standins.wecom_api import MESSAGE_SEND, WecomApiStandIn  # noqa: E402

AGENT = 1000002
SECRET = "bench-secret"
FIRST_MSG_ID = 6_000_000_000_000_000_000


def sender(n: int) -> str:
    return f"lianluoyuan{n:03d}"


# --- the two servers ---------------------------------------------------------------------------------


def start_pairbot(db_url: str, api: WecomApiStandIn, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {
        "PAIRBOT_DATABASE__URL": db_url, "PAIRBOT_WEB__PORT": str(port),
        "PAIRBOT_WECOM__CORP_ID": SAMPLE_CORP_ID, "PAIRBOT_WECOM__AGENT_ID": str(AGENT),
        "PAIRBOT_WECOM__SECRET": SECRET, "PAIRBOT_WECOM__TOKEN": SAMPLE_TOKEN,
        "PAIRBOT_WECOM__ENCODING_AES_KEY": SAMPLE_AES_KEY, "PAIRBOT_WECOM__API_BASE_URL": api.url,
    }
    return subprocess.Popen([sys.executable, "-m", "bot", "run", "--no-console"], cwd=log.parent, env=env,
                            stdin=subprocess.DEVNULL, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def start_echo(api: WecomApiStandIn, port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, __file__, "serve-echo", api.url, str(port)], cwd=REPO,
                            stdin=subprocess.DEVNULL, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def serve_echo(api_url: str, port: int) -> None:
    """The bare wechatpy bot: decrypt every callback, echo its text through message/send, then answer."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
    from wechatpy.enterprise.crypto import WeChatCrypto

    from bot.channels.wecom_callback import parse_xml
    from bot.channels.wecom_client import WecomClient

    crypto = WeChatCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_CORP_ID)
    client = WecomClient(SAMPLE_CORP_ID, SECRET, api_url)

    async def callback(request: Request) -> Response:
        params = request.query_params
        envelope = parse_xml(await request.body())
        plain = crypto.decrypt_message({"Encrypt": envelope["Encrypt"]}, params["msg_signature"],
                                       params["timestamp"], params["nonce"])
        message = parse_xml(plain)
        await run_in_threadpool(client.message.send_text, AGENT, message["FromUserName"], message["Content"])
        return Response()

    async def health(_: Request) -> Response:
        return Response("ok")

    web = Starlette(routes=[Route("/wecom/callback", callback, methods=["POST"]), Route("/healthz", health)])
    uvicorn.run(web, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- data and load -----------------------------------------------------------------------------------


def message_texts() -> itertools.cycle[str]:
    with (REPO / "tests" / "data" / "samples" / "updates.jsonl").open(encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle if line.strip()][:40]
    return itertools.cycle(texts or ["本月投入帮扶资金20万元，带动38户增收"])


def sealed(contacts: int, count: int, serial: itertools.count[int]) -> list[SignedPost]:
    crypto = IndependentCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_CORP_ID)
    texts = message_texts()
    posts = []
    for n in range(count):
        number = next(serial)
        plain = message_xml(sender(n % contacts), "text", FIRST_MSG_ID + number, SAMPLE_CORP_ID, AGENT,
                            Content=f"{next(texts)}（第{number}条）")
        posts.append(seal(crypto, plain, agent_id=AGENT))
    return posts


async def load(base: str, posts: list[SignedPost], concurrency: int) -> dict[str, Any]:
    """Post every message with `concurrency` connections; throughput and latency of the HTTP answers."""
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    pending = iter(posts)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        async def worker() -> None:
            for post in pending:
                began = time.perf_counter()
                response = await client.post(post.path, content=post.body.encode())
                latencies.append(time.perf_counter() - began)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {"seconds": elapsed, "per_second": len(posts) / elapsed, "statuses": statuses,
            "p50_ms": latencies[len(latencies) // 2] * 1000, "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000}


def run_one(label: str, process: subprocess.Popen[bytes], port: int, api: WecomApiStandIn, args: argparse.Namespace,
            log: Path, db_url: str | None) -> dict[str, Any]:
    serial = itertools.count(1)
    engine = None
    if db_url is not None:
        from bot.db import make_engine

        engine = make_engine(db_url)
    sent = lambda: len(api.delivered(MESSAGE_SEND))  # noqa: E731
    try:
        wait_healthy(port, process, log)
        base = f"http://127.0.0.1:{port}"
        warm = min(100, args.messages)
        asyncio.run(load(base, sealed(args.contacts, warm, serial), args.concurrency))
        wait_for(lambda: sent() >= warm, timeout=120)
        before, stored_before = sent(), processed_count(engine) if engine else (0, 0)
        posts = sealed(args.contacts, args.messages, serial)
        began = time.perf_counter()
        result = asyncio.run(load(base, posts, args.concurrency))
        figures: dict[str, Any] = {"bot": label, "answered_per_s": round(result["per_second"], 1)}
        if engine is not None:
            target = (stored_before[0] + args.messages, stored_before[1] + args.messages)
            done = wait_for(lambda: all(n >= t for n, t in zip(processed_count(engine), target)), timeout=600)
            figures["processed_per_s"] = round(args.messages / (done - began), 1)
        replied = wait_for(lambda: sent() >= before + args.messages, timeout=900)
        figures["replied_per_s"] = round(args.messages / (replied - began), 1)
    finally:
        process.terminate()
        process.wait(timeout=60)
        if engine is not None:
            engine.dispose()
    return {**figures, "p50_ms": round(result["p50_ms"], 1), "p95_ms": round(result["p95_ms"], 1),
            "statuses": result["statuses"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    args = parser.parse_args()
    results, summary = [], []
    with WecomApiStandIn(corp_id=SAMPLE_CORP_ID, secret=SECRET) as api, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for backend, db_url in backends(args, workdir):
            # The echo bot just before pairbot, so both meet the same load from the rest of the machine.
            port, log = free_port(), workdir / f"echo-{backend}.log"
            echo = run_one("bare wechatpy echo", start_echo(api, port, log), port, api, args, log, None)
            prepare_database(db_url, args.contacts, "wecom", sender)
            port, log = free_port(), workdir / f"pairbot-{backend}.log"
            mine = run_one("pairbot", start_pairbot(db_url, api, port, log), port, api, args, log, db_url)
            mine["ratio_to_echo"] = ratio(mine["processed_per_s"], echo["answered_per_s"])
            results += [{"database": backend, **echo}, {"database": backend, **mine}]
            summary.append(f"{backend}: pairbot {mine['processed_per_s']} msg/s processed (stored, parsed, reply row "
                           f"committed; answered {mine['answered_per_s']} msg/s once stored), bare wechatpy echo "
                           f"{echo['answered_per_s']} msg/s → {mine['ratio_to_echo']}×")
    print(json.dumps({"messages": args.messages, "concurrency": args.concurrency, "senders": args.contacts,
                      "cpus": os.cpu_count(), "results": results}, ensure_ascii=False, indent=2))
    print("\n".join(summary))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve-echo":
        serve_echo(sys.argv[2], int(sys.argv[3]))
    else:
        main()
