"""Benchmark: what hostile input costs — an XLSX bomb, millions of bad rows, thirty parallel logins, forged WeCom callbacks.

- `xlsx-bomb`: a small workbook whose shared-string table unpacks to `--bomb-gib` GiB (a few MB on disk,
  like the issue's 4.4 MB file with 2 GB of shared strings), imported with `pairbot import contacts` in a
  child process: exit code, the message, wall time and the child's peak RSS.
- `bad-rows`: a CSV of `--bad-rows` rows that are all refused (an unknown role): wall time, peak RSS,
  refusals counted and listed (the listing is capped at 1,000).
- `parallel-login`: `pairbot run --no-console` (SQLite, and PostgreSQL unless `--pg ''`) with an admin
  whose password is set; 30 httpx clients post the login form at once — 29 wrong passwords and the
  right one — through real HTTP. Passwords evaluated are counted from the audit log (every check is
  audited as review.login_failed or review.login); answers by status; wall time. `--rounds` repeats it
  with a fresh admin, each round from its own client address (X-Forwarded-For, which uvicorn trusts
  from 127.0.0.1).
- `wecom-forged`: the same server with `[wecom]` callback settings; a 1 MB body of nested XML with a
  forged signature: time to its 403 (median of 20), and /healthz latency alone and while 4 senders
  post the forgery in a loop (p50 / p95 of 50 probes).

Usage:
    .venv/bin/python bench/hostile_input.py [--only xlsx-bomb bad-rows parallel-login wecom-forged]
        [--bomb-gib 2] [--bad-rows 3000000] [--rounds 3] [--pg postgresql://postgres@127.0.0.1:5432/test | --pg '']
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.inbound_common import create_pg_database, drop_pg_database, free_port, wait_healthy  # noqa: E402
from tests.hostile.workbooks import replace_part, shared_strings, workbook  # noqa: E402
from tests.integration.wecom_support import SAMPLE_AES_KEY, SAMPLE_CORP_ID, SAMPLE_TOKEN  # noqa: E402

PASSWORD = "correct horse battery"
ATTEMPTS = 30


def clean_env(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | extra


def pairbot(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True)


def peak_rss_of(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Run the CLI in a child process and reap it ourselves: exit code, wall seconds, the child's own peak RSS
    (MiB), stdout and stderr."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    chunks: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda name, pipe: chunks.__setitem__(name, pipe.read()), args=(name, pipe))
               for name, pipe in (("out", child.stdout), ("err", child.stderr))]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(child.pid, 0)
    for reader in readers:
        reader.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    return {"exit": child.returncode, "seconds": round(time.perf_counter() - start, 2),
            "peak_rss_mib": usage.ru_maxrss // 1024, "stdout": chunks["out"].decode(), "stderr": chunks["err"].decode()}


# --- imports -------------------------------------------------------------------------------------


def xlsx_bomb(workdir: Path, gib: float) -> dict[str, Any]:
    env = clean_env(PAIRBOT_DATABASE__URL=f"sqlite:///{workdir / 'bomb.db'}")
    assert pairbot(["init"], env, workdir).returncode == 0
    path = workbook(workdir / "bomb.xlsx", [["姓名", "角色"], ["张三", "管理员"]])
    started = time.perf_counter()
    replace_part(path, "xl/sharedStrings.xml", shared_strings(int(gib * 2**30)))
    built = time.perf_counter() - started
    result = peak_rss_of(["import", "contacts", str(path)], env, workdir)
    return {"file_mib": round(path.stat().st_size / 2**20, 1), "shared_strings_gib": gib,
            "built_seconds": round(built, 1), "exit": result["exit"], "seconds": result["seconds"],
            "peak_rss_mib": result["peak_rss_mib"], "message": result["stderr"].strip().splitlines()[-1:]}


def bad_rows(workdir: Path, rows: int) -> dict[str, Any]:
    env = clean_env(PAIRBOT_DATABASE__URL=f"sqlite:///{workdir / 'bad.db'}")
    assert pairbot(["init"], env, workdir).returncode == 0
    path = workdir / "bad.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("姓名,角色,电话\n")
        for n in range(rows):
            handle.write(f"坏{n},不存在的角色,138{n:08d}\n")
    result = peak_rss_of(["import", "contacts", str(path)], env, workdir)
    listed = [line for line in result["stderr"].splitlines() if "bad.csv 第 " in line]
    return {"rows": rows, "csv_mib": round(path.stat().st_size / 2**20, 1), "exit": result["exit"],
            "seconds": result["seconds"], "peak_rss_mib": result["peak_rss_mib"], "listed": len(listed),
            "summary": result["stdout"].strip(), "tail": result["stderr"].strip().splitlines()[-1:]}


# --- the server: logins and forged callbacks -----------------------------------------------------


def start_server(db_url: str, workdir: Path, port: int) -> subprocess.Popen[bytes]:
    env = clean_env(PAIRBOT_DATABASE__URL=db_url, PAIRBOT_WEB__PORT=str(port), PAIRBOT_WECOM__CORP_ID=SAMPLE_CORP_ID,
                    PAIRBOT_WECOM__TOKEN=SAMPLE_TOKEN, PAIRBOT_WECOM__ENCODING_AES_KEY=SAMPLE_AES_KEY)
    assert pairbot(["init"], env, workdir).returncode == 0
    log = workdir / f"server-{port}.log"
    process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--no-console"], cwd=workdir, env=env,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    wait_healthy(port, process, log)
    return process


def add_admin(db_url: str, name: str) -> None:
    from bot.db import make_engine, unit_of_work
    from models.base import utcnow
    from models.registry import Contact, Role
    from models.services.access import set_password

    engine = make_engine(db_url)
    with unit_of_work(engine) as session:
        contact = Contact(name=name, role=Role.admin)
        session.add(contact)
        session.flush()
        set_password(session, contact, PASSWORD, "bench", utcnow())
    engine.dispose()


def evaluations(db_url: str) -> int:
    from sqlmodel import Session, col, func, select

    from bot.db import make_engine
    from models.messaging import AuditLog

    engine = make_engine(db_url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(AuditLog).where(
            col(AuditLog.action).in_(["review.login_failed", "review.login"]))).one()
    engine.dispose()
    return count


def parallel_login(db_url: str, base: str, rounds: int) -> list[dict[str, Any]]:
    import re

    import httpx

    csrf = re.compile(r'name="csrf" value="([^"]+)"')

    def attempt(name: str, password: str, client: str) -> int:
        with httpx.Client(base_url=base, headers={"X-Forwarded-For": client}, timeout=120) as browser:
            form = browser.get("/review/login")
            token = csrf.search(form.text).group(1)  # type: ignore[union-attr]
            return browser.post("/review/login", data={"who": name, "password": password, "csrf": token}).status_code

    results = []
    for round_ in range(rounds):
        name = f"管理员{round_}"
        add_admin(db_url, name)
        before = evaluations(db_url)
        passwords = ["wrong password!"] * (ATTEMPTS - 1) + [PASSWORD]
        started = time.perf_counter()
        with ThreadPoolExecutor(ATTEMPTS) as pool:
            statuses = list(pool.map(lambda p: attempt(name, p, f"198.51.100.{round_ + 1}"), passwords))
        elapsed = time.perf_counter() - started
        results.append({"evaluated": evaluations(db_url) - before, "seconds": round(elapsed, 2),
                        "answers": {str(s): statuses.count(s) for s in sorted(set(statuses))},
                        "signed_in": statuses.count(303)})
    return results


def wecom_forged(base: str) -> dict[str, Any]:
    import httpx

    nested = b"<a>" * 140_000 + b"x" + b"</a>" * 140_000
    forged = b"<xml><Encrypt>" + b"A" * 4000 + b"</Encrypt>" + nested + b"</xml>"
    url = f"{base}/wecom/callback?msg_signature={'0' * 40}&timestamp={int(time.time())}&nonce=n"

    def probe(client: httpx.Client, count: int) -> list[float]:
        latencies = []
        for _ in range(count):
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies

    with httpx.Client(base_url=base, timeout=60) as client:
        answers = []
        for _ in range(20):
            started = time.perf_counter()
            status = client.post(url, content=forged).status_code
            answers.append((status, (time.perf_counter() - started) * 1000))
        quiet = probe(client, 50)
        stop = threading.Event()

        def sender() -> None:
            with httpx.Client(timeout=60) as own:
                while not stop.is_set():
                    own.post(url, content=forged)

        senders = [threading.Thread(target=sender) for _ in range(4)]
        for thread in senders:
            thread.start()
        time.sleep(0.5)
        loaded = probe(client, 50)
        stop.set()
        for thread in senders:
            thread.join()

    def p(values: list[float], q: float) -> float:
        return round(sorted(values)[min(len(values) - 1, int(q * len(values)))], 1)

    return {"body_kib": len(forged) // 1024, "statuses": sorted({s for s, _ in answers}),
            "answer_ms_median": round(statistics.median(ms for _, ms in answers), 1),
            "healthz_ms_quiet": {"p50": p(quiet, 0.5), "p95": p(quiet, 0.95)},
            "healthz_ms_under_4_senders": {"p50": p(loaded, 0.5), "p95": p(loaded, 0.95)}}


def server_part(label: str, db_url: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    process = start_server(db_url, workdir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        result: dict[str, Any] = {"backend": label}
        if "parallel-login" in args.only:
            result["parallel_login"] = parallel_login(db_url, base, args.rounds)
        if "wecom-forged" in args.only:
            result["wecom_forged"] = wecom_forged(base)
        return result
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parts = ["xlsx-bomb", "bad-rows", "parallel-login", "wecom-forged"]
    parser.add_argument("--only", nargs="+", choices=parts, default=parts)
    parser.add_argument("--bomb-gib", type=float, default=2.0)
    parser.add_argument("--bad-rows", type=int, default=3_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="an admin URL; a scratch database is created beside it ('' to skip)")
    args = parser.parse_args()
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if "xlsx-bomb" in args.only:
            report["xlsx_bomb"] = xlsx_bomb(workdir, args.bomb_gib)
        if "bad-rows" in args.only:
            report["bad_rows"] = bad_rows(workdir, args.bad_rows)
        if {"parallel-login", "wecom-forged"} & set(args.only):
            report["server"] = [server_part("sqlite", f"sqlite:///{workdir / 'server.db'}", workdir, args)]
            db_url = create_pg_database(args.pg) if args.pg else None
            if db_url:
                try:
                    report["server"].append(server_part("postgresql", db_url, workdir, args))
                finally:
                    drop_pg_database(args.pg, db_url)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
