"""Benchmark: server time per request of the review pages for 160 key counties and 1,000 organizations
(2,000 pairings), on SQLite and PostgreSQL: the coverage matrix (all provinces, one province), the totals
page (from the ledger's stored sums), the review queue and a county page.

The time is measured inside the ASGI app (request in → last byte out), signed in as an admin, after a
warm-up. The ledger comes from bench/ledger_data.py with --updates progress updates (default 100,000);
pass --db sqlite:///bench/out/ledger-1000000.db to reuse the export benchmark's million-update ledger. Usage:

    .venv/bin/python bench/coverage_matrix.py [--updates 100000] [--requests 30] [--pg postgresql://…/test|'']
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
PAGES = {"matrix (all)": "/review/", "matrix (one province)": "/review/?province=四川省",
         "totals": "/review/totals", "review queue": "/review/queue",
         "county page": "/review/counties/1"}


class Timed:
    """ASGI wrapper recording the server time of each HTTP request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.times: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        start = time.perf_counter()
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.times.append(time.perf_counter() - start)


def measure(url: str, requests: int) -> dict[str, dict[str, float]]:
    from starlette.testclient import TestClient

    from bot.app import App
    from bot.config import Settings
    from bot.db import unit_of_work
    from bot.web import build_web
    from models.registry import Contact, Role
    from models.services.access import set_password
    from models.base import utcnow
    from sqlmodel import select

    app = App(Settings(database={"url": url}))
    with unit_of_work(app.engine) as session:
        admin = session.exec(select(Contact).where(Contact.role == Role.admin)).first()
        set_password(session, admin, "bench-password-1", "bench", utcnow())  # type: ignore[arg-type]
        name = admin.name  # type: ignore[union-attr]
    timed = Timed(build_web(app))
    results = {}
    with TestClient(timed) as client:
        form = client.get("/review/login").text
        csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        client.post("/review/login", data={"who": name, "password": "bench-password-1", "csrf": csrf})
        for label, path in PAGES.items():
            for _ in range(3):
                assert client.get(path).status_code == 200
            timed.times.clear()
            for _ in range(requests):
                client.get(path)
            ms = sorted(t * 1000 for t in timed.times)
            results[label] = {"median_ms": round(statistics.median(ms), 1),
                              "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 1)}
    app.close()
    return results


def prepare(url: str, updates: int) -> None:
    from sqlalchemy import func, select

    from bench.ledger_data import build
    from bot.db import make_engine, migrate
    from models import ProgressUpdate

    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as db:
        have = db.execute(select(func.count()).select_from(ProgressUpdate.__table__)).scalar_one()
    if have == 0:
        build(engine, updates=updates)
    else:
        print(f"  reusing the ledger with {have:,} updates")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--db", default="", help="an existing ledger database URL instead of a new SQLite one")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="an admin URL; a scratch database is created beside it ('' to skip)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from bench.export import create_pg_database, drop_pg_database

    OUT.mkdir(parents=True, exist_ok=True)
    runs: list[tuple[str, str, bool]] = []
    if args.db:
        runs.append(("given", args.db, False))
    else:
        runs.append(("sqlite", f"sqlite:///{OUT / f'matrix-{args.updates}-{uuid.uuid4().hex[:6]}.db'}", False))
    if args.pg:
        runs.append(("postgresql", create_pg_database(args.pg), True))
    table = []
    for label, url, scratch in runs:
        print(f"{label}: {url}")
        try:
            prepare(url, args.updates)
            for page, figures in measure(url, args.requests).items():
                table.append((label, page, figures))
                print(f"  {page}: {figures}")
        finally:
            if scratch:
                drop_pg_database(args.pg, url)
            elif label == "sqlite":
                for suffix in ("", "-wal", "-shm"):
                    Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    print("\n| backend | page | median | p95 |")
    print("|---|---|---|---|")
    for label, page, figures in table:
        print(f"| {label} | {page} | {figures['median_ms']} ms | {figures['p95_ms']} ms |")


if __name__ == "__main__":
    main()
