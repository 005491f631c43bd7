"""Benchmark: replies queued after a burst of reports — several to each chat — against Telegram's limits.

What `bench/broadcast.py` does not show: a broadcast is one message to each of many chats, so the
per-chat limit (1 a second) never binds. Replies after a burst of reports are several messages to
each chat, queued together: each chat's second reply must wait its second, and the bot's overall
30 a second must not wait with it. `--order pairs` queues each chat's replies two by two (A A B B
…, as when people send two reports in a row); `round-robin` one each in turn (A B C … A B C).

The App sends on the embedded queue (memory://, worker threads in this process, as `pairbot run`)
through the real Telegram channel to the rate-limited stand-in (tests/standins/ratelimited_api.py,
its own process, no injected failures). Reported: seconds until the last reply was accepted, replies
a second and as a fraction of the ideal (the overall limit, or the chat's own 1 a second if that is
longer), 429s the stand-in answered, and chats whose replies arrived out of the order written.

    .venv/bin/python bench/reply_burst.py [--chats 50] [--per-chat 10] [--order pairs|round-robin]
                                          [--db sqlite|postgresql] [--threads 4]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from broadcast import StandIn, database, seed, settings_for  # noqa: E402


def queue_replies(engine: object, chats: list[str], per_chat: int, order: str) -> list[int]:
    """The reply rows, written in one transaction as the inbox writes them; the text names chat and number."""
    from bot.db import unit_of_work
    from models.services.outbox import queue_message

    if order == "pairs":
        sequence = [(chat, k) for first in range(0, per_chat, 2) for chat in chats
                    for k in range(first, min(first + 2, per_chat))]
    else:
        sequence = [(chat, k) for k in range(per_chat) for chat in chats]
    with unit_of_work(engine) as session:  # type: ignore[arg-type]
        rows = [queue_message(session, "telegram", chat, f"{chat}:{k}") for chat, k in sequence]
        session.flush()
        return [row.id for row in rows]  # type: ignore[misc]


def run(db: str, chats_count: int, per_chat: int, order: str, threads: int) -> dict[str, object]:
    from bot.app import App
    from bot.channels.telegram import register_telegram

    with tempfile.TemporaryDirectory() as tmp:
        url, drop = database(db, Path(tmp))
        standin = StandIn(failure_rate=0.0, hang=1.0, seed=1)
        try:
            chats = seed(url, chats_count, 20_000)
            app = App(settings_for(url, "memory://", "deliveries", standin, threads))
            channel = register_telegram(app)
            assert channel is not None
            channel._ready()
            app.queue.start_worker()
            app.start_relay()
            try:
                ids = queue_replies(app.engine, chats, per_chat, order)
                start = time.perf_counter()
                app.queue.enqueue(ids)
                while standin.progress()["accepted"] < len(ids) and time.perf_counter() - start < 600:
                    time.sleep(0.05)
                elapsed = time.perf_counter() - start
                stats = standin.stats()
            finally:
                app.close()
                channel.stop()
        finally:
            standin.stop()
            drop()
    received: dict[str, list[int]] = defaultdict(list)
    for (chat, _message_id, _at), text in zip(stats["accepted"], stats["texts"]):
        received[chat].append(int(text.split(":")[1]))
    ideal = max(len(ids) / 30, per_chat - 1)
    return {"db": db, "order": order, "replies": len(ids), "threads": threads, "seconds": round(elapsed, 1),
            "per_second": round(len(ids) / elapsed, 1), "of_ideal": round(ideal / elapsed, 2),
            "refused_429": stats["outcomes"].get("429", 0),
            "chats_out_of_order": sum(1 for got in received.values() if got != sorted(got)),
            "first_out_of_order": next(({chat: got} for chat, got in received.items() if got != sorted(got)), None),
            "outcomes": stats["outcomes"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--per-chat", type=int, default=10)
    parser.add_argument("--order", choices=["pairs", "round-robin"], default="pairs")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    print(json.dumps(run(args.db, args.chats, args.per_chat, args.order, args.threads), ensure_ascii=False))


if __name__ == "__main__":
    main()
