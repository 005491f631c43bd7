"""Benchmark: `pairbot export` of a ledger with 1,000,000 progress updates — wall time and the export
process's memory (peak RSS, and RSS sampled through the run to show it stays flat), on SQLite and PostgreSQL.

The ledger is built once per backend with bench/ledger_data.py (160 counties, 1,000 organizations);
the SQLite file is kept in bench/out/ and reused by later runs. Usage:

    .venv/bin/python bench/export.py [--updates 1000000] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"


def rss_mib(pid: int) -> float | None:
    """The resident memory of a running process, or None once it is gone."""
    import psutil

    try:
        return psutil.Process(pid).memory_info().rss / 2**20
    except psutil.Error:
        return None


def export(url: str, out: Path) -> dict[str, object]:
    """Run `pairbot export` in a child: wall seconds, peak RSS (from wait4) and RSS sampled every 0.5 s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {"PAIRBOT_DATABASE__URL": url}
    log = OUT / "export.log"
    start = time.perf_counter()
    with log.open("w") as sink:
        child = subprocess.Popen([sys.executable, "-m", "bot", "export", "--out", str(out), "--force"], cwd=OUT,
                                 env=env, stdout=sink, stderr=subprocess.STDOUT)
        samples: list[tuple[float, float]] = []
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            value = rss_mib(child.pid)
            if value is not None:
                samples.append((time.perf_counter() - start, value))
            time.sleep(0.5)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting again
    if child.returncode != 0:
        raise SystemExit(f"pairbot export failed:\n{log.read_text()}")
    quarters = [min(samples, key=lambda s: abs(s[0] - elapsed * q))[1] for q in (0.25, 0.5, 0.75, 1.0)] \
        if samples else []
    return {"seconds": round(elapsed, 1), "peak_rss_mib": usage.ru_maxrss // 1024,
            "rss_at_25_50_75_100pct_mib": [round(v) for v in quarters],
            "file_mib": round(out.stat().st_size / 2**20, 1), "summary": log.read_text().strip()}


def prepare(url: str, updates: int, fresh: bool) -> None:
    from sqlalchemy import func, select

    from bench.ledger_data import build
    from bot.db import make_engine, migrate
    from models import ProgressUpdate

    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as db:
        have = db.execute(select(func.count()).select_from(ProgressUpdate.__table__)).scalar_one()
    if have == updates and not fresh:
        print(f"  reusing the ledger with {have:,} updates")
    elif have == 0:
        build(engine, updates=updates)
    else:
        raise SystemExit(f"{url} holds {have:,} updates, not {updates:,}: remove it or pass another --updates")
    engine.dispose()


def create_pg_database(admin_url: str) -> str:
    from sqlalchemy import create_engine, text

    name = f"pairbot_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(admin_url: str, url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=1_000_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="an admin URL; a scratch database is created beside it ('' to skip)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the SQLite ledger")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    sqlite_path = OUT / f"ledger-{args.updates}.db"
    if args.fresh:
        sqlite_path.unlink(missing_ok=True)
    print(f"SQLite {sqlite_path}")
    url = f"sqlite:///{sqlite_path}"
    prepare(url, args.updates, args.fresh)
    results.append({"backend": "sqlite", **export(url, OUT / "ledger-sqlite.xlsx")})
    print(json.dumps(results[-1], ensure_ascii=False))
    if args.pg:
        url = create_pg_database(args.pg)
        print(f"PostgreSQL {url}")
        try:
            prepare(url, args.updates, True)
            results.append({"backend": "postgresql", **export(url, OUT / "ledger-postgresql.xlsx")})
            print(json.dumps(results[-1], ensure_ascii=False))
        finally:
            drop_pg_database(args.pg, url)
    print("\n| backend | updates | export time | peak RSS | RSS at 25/50/75/100 % | file |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['backend']} | {args.updates:,} | {r['seconds']} s | {r['peak_rss_mib']} MiB | "
              f"{' / '.join(map(str, r['rss_at_25_50_75_100pct_mib']))} MiB | {r['file_mib']} MiB |")


if __name__ == "__main__":
    main()
