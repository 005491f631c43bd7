"""Benchmark: the router's CPU per progress report, in-process (no HTTP, no channel, no delivery).

What the inbound benches (telegram_inbound.py, wecom_inbound.py) cannot separate: the Python time
of storing a report, parsing it, filing it in the ledger and writing the reply row. Loads the same
data as they do (50 paired county contacts), warms up, then has the router store each report and
handle it, as the inbox does (bot.inbound: two transactions, no batching), and prints
milliseconds per message (wall and this process's CPU) and SQL statements per message;
`--profile FILE` writes cProfile stats of the measured part.

Usage:
    .venv/bin/python bench/inbound_profile.py [--messages 400] [--database sqlite|postgresql]
        [--pg postgresql://postgres@127.0.0.1:5432/test] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from inbound_common import create_pg_database, drop_pg_database, prepare_database  # noqa: E402

CONTACTS = 50
FIRST_USER = 10_000


def run(db_url: str, count: int, profile: str | None) -> dict[str, float]:
    from sqlalchemy import event

    from bot.db import make_engine
    from bot.messages import Incoming
    from bot.router import Router
    from handlers.context import HandlerSettings
    from handlers.register import default_handlers

    prepare_database(db_url, CONTACTS, "telegram", lambda n: str(FIRST_USER + n))
    engine = make_engine(db_url)
    statements = [0]
    event.listen(engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))
    # as the inbox's child process: its replies go to `pairbot run`'s queue, so they need no NOTIFY
    router = Router(engine, default_handlers(), HandlerSettings(zone=ZoneInfo("Asia/Shanghai")), lambda ids: None,
                    hands_over=True)
    with (REPO / "tests" / "data" / "samples" / "updates.jsonl").open(encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle if line.strip()][:40]
    serial = itertools.count(1)

    def message() -> Incoming:
        n = next(serial)
        sender = str(FIRST_USER + n % CONTACTS)
        return Incoming(channel="telegram", chat_id=sender, sender_id=sender, message_id=str(n),
                        text=texts[n % len(texts)])

    def one() -> None:  # as the inbox does: stored (a transaction), then handled (another)
        [stored] = router.store([message()])
        assert isinstance(stored, int), stored
        router.handle_stored([stored])

    for _ in range(40):  # warm: statement caches, imports, catalogs
        one()
    statements[0] = 0
    profiler = cProfile.Profile() if profile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for _ in range(count):
        one()
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)  # type: ignore[arg-type]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    engine.dispose()
    return {"ms_per_message": round(wall / count * 1000, 2), "cpu_ms_per_message": round(cpu / count * 1000, 2),
            "statements_per_message": round(statements[0] / count, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="an admin URL; a scratch database is created beside it")
    parser.add_argument("--profile", help="write cProfile stats of the measured messages here")
    args = parser.parse_args()
    if args.database == "sqlite":
        with tempfile.TemporaryDirectory() as workdir:
            result = run(f"sqlite:///{Path(workdir) / 'bench.db'}", args.messages, args.profile)
    else:
        pg_url = create_pg_database(args.pg)
        if pg_url is None:
            raise SystemExit(1)
        try:
            result = run(pg_url.replace("postgresql://", "postgresql+psycopg://"), args.messages, args.profile)
        finally:
            drop_pg_database(args.pg, pg_url)
    print(json.dumps({"database": args.database, "messages": args.messages, **result}))


if __name__ == "__main__":
    main()
