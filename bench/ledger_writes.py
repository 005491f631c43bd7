"""What keeping the ledger's sums costs a new progress update: milliseconds per insert with the
session hook of models/services/sums.py and without it, on a SQLite ledger built by
bench/ledger_data.py (--updates, default 200,000: about 100 updates per pairing).

    .venv/bin/python bench/ledger_writes.py [--updates 200000] [--inserts 200]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def per_insert(engine, contact_id: int, pairing_id: int, n: int) -> float:  # type: ignore[no-untyped-def]
    from bot.db import unit_of_work
    from models.reporting import ProgressUpdate

    started = time.perf_counter()
    for _ in range(n):
        with unit_of_work(engine) as session:
            session.add(ProgressUpdate(contact_id=contact_id, pairing_id=pairing_id, channel="console", raw_text="bench",
                                       funds_wan=1.0, created_at=datetime.now(UTC), fields=["产业"]))
    return (time.perf_counter() - started) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=200_000)
    parser.add_argument("--inserts", type=int, default=200)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from sqlalchemy import event, text
    from sqlalchemy.orm import Session

    from bench.ledger_data import build
    from bot.db import make_engine, migrate
    from models.services import sums

    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"writes-{uuid.uuid4().hex[:6]}.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
        build(engine, updates=args.updates, deliveries=10, log=lambda *_: None)
        with engine.connect() as db:
            pairing_id, contact_id, count = db.execute(text(
                "SELECT p.id, c.id, (SELECT count(*) FROM progressupdate u WHERE u.pairing_id = p.id) FROM pairing p "
                "JOIN contact c ON c.organization_id = p.organization_id ORDER BY p.id LIMIT 1")).one()
        with_sums = per_insert(engine, contact_id, pairing_id, args.inserts)
        event.remove(Session, "before_flush", sums._collect)
        event.remove(Session, "after_flush_postexec", sums._apply)
        without = per_insert(engine, contact_id, pairing_id, args.inserts)
        print(f"{count} updates in the pairing: {with_sums:.1f} ms per insert with the sums, {without:.1f} ms without")
    finally:
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
