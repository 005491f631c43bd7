"""Benchmark: import 100,000 contacts from CSV with `pairbot import contacts`, on SQLite and PostgreSQL.

Runs the real CLI in a child process and reports wall time and the child's peak RSS, plus
`pairbot --help` start-up time, beside the goal of issue 15 (100,000 rows in ≤ 10 s on PostgreSQL,
memory flat: rows are checked one by one, then staged — COPY on PostgreSQL — and upserted set-wise). Usage:

    .venv/bin/python bench/import_contacts.py [--rows 100000] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 10  # 100,000 contacts on PostgreSQL (issue 15)


def run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MiB and stdout of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    out = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"pairbot {' '.join(args)} failed")
    return elapsed, usage.ru_maxrss // 1024, out.strip()


def write_contacts(path: Path, rows: int, counties: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "role", "county", "organization", "phone", "telegram_id", "wecom_userid"])
        for n in range(rows):
            writer.writerow([f"联络员{n:06d}", "county", counties[n % len(counties)], "", f"138{n:08d}",
                             str(100_000_000 + n), f"user{n}"])


def bench_backend(label: str, url: str, csv_path: Path, workdir: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {"PAIRBOT_DATABASE__URL": url}
    run(["init"], env, workdir)
    seconds, rss, out = run(["import", "contacts", str(csv_path)], env, workdir)
    again, _, out_again = run(["import", "contacts", str(csv_path)], env, workdir)
    return {"backend": label, "import_seconds": round(seconds, 1), "peak_rss_mib": rss, "summary": out,
            "reimport_seconds": round(again, 1), "reimport_summary": out_again}


def pg_admin(admin_url: str, statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def help_startup(workdir: Path, runs: int = 10) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")}
    times = [run(["--help"], env, workdir)[0] for _ in range(runs)]
    return round(sorted(times)[len(times) // 2] * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="an admin URL; a scratch database is created beside it ('' to skip)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from models.services.importing import reference_counties

    with reference_counties().open(encoding="utf-8") as handle:
        counties = [row["code"] for row in csv.DictReader(handle)]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "contacts.csv"
        write_contacts(csv_path, args.rows, counties)
        results = [bench_backend("sqlite", f"sqlite:///{workdir / 'bench.db'}", csv_path, workdir)]
        if args.pg:
            name = f"pairbot_bench_{uuid.uuid4().hex[:8]}"
            pg_admin(args.pg, f'CREATE DATABASE "{name}"')
            try:
                url = args.pg.rsplit("/", 1)[0] + f"/{name}"
                results.append(bench_backend("postgresql", url, csv_path, workdir))
            finally:
                pg_admin(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(json.dumps({"rows": args.rows, "csv_mib": round(csv_path.stat().st_size / 2**20, 1),
                          "help_median_ms": help_startup(workdir), "results": results}, ensure_ascii=False, indent=2))
        print(f"goal: {GOAL_SECONDS} s for 100,000 rows on PostgreSQL, memory flat")
        for r in results:
            print(f"{r['backend']}: import {r['import_seconds']} s (peak RSS {r['peak_rss_mib']} MiB), "
                  f"re-import {r['reimport_seconds']} s")


if __name__ == "__main__":
    main()
