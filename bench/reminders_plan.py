"""Benchmark: the reminder tick on PostgreSQL for 10k, 100k and 1M contacts, three obligations each.

For each size a scratch database is created, migrated and filled set-wise in the server
(generate_series): N/2 organizations and
N/2 counties (31 provinces), a pairing for each organization with its county plus one more for
every 10th, one contact with one chat identity on each side, agreements for 30% of the pairings,
December progress updates for 20%, year-end statistics filed for 5%, and 32 admins. Three
obligations apply to every pairing: an agreement deadline, a monthly progress cycle and the
year-end statistics, all due on 31 December 2026 (stages 30/14/7/3/1 and 5/1).

At 2026-12-28 09:00 (Asia/Shanghai, a Monday: nothing is planned on a non-working day) a stage of
all three is due (3 days before; the monthly 5-day stage moved to Friday 25th), so one tick plans the full due
set. Reported per size: the plan (iter_reminders: the whole due set streamed with its texts, best of 2),
the whole stage tick as the scheduler runs it (jobs.reminders.run_tick: plan, claim the ledger rows,
write the Delivery rows, batch by batch), reminders written per second, the process's peak RSS, and
the steady tick once everything is in the ledger (what every later minute costs; it writes nothing).
Peak RSS is the process's: run one size alone (`--sizes 1000000`) for that size's figure. The
database is dropped afterwards unless --keep.

    .venv/bin/python bench/reminders_plan.py [--sizes 10000 100000 1000000] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bot.db import make_engine, migrate, unit_of_work  # noqa: E402
from jobs.reminders import run_tick  # noqa: E402
from models.services.obligations import add_obligation  # noqa: E402
from models.services.reminders import Policy, iter_reminders  # noqa: E402

GOAL_PLAN_SECONDS, GOAL_RSS_MIB, GOAL_ROWS_PER_SECOND = 10, 1024, 10_000  # issue 15, at 1,000,000 contacts
ZONE = ZoneInfo("Asia/Shanghai")
MOMENT = datetime(2026, 12, 28, 9, 0, tzinfo=ZONE)
CREATED = datetime(2026, 11, 1, tzinfo=UTC)
PROVINCES = ["北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
             "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
             "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
             "宁夏回族自治区", "新疆维吾尔自治区"]


def create_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def load(url: str, contacts: int) -> dict[str, int]:
    """Fill the registry set-wise in the server (generate_series), so a million contacts load in seconds;
    returns row counts."""
    half = contacts // 2
    values = {"half": half, "now": datetime(2026, 10, 1, tzinfo=UTC), "december": datetime(2026, 12, 10, 2, 0, tzinfo=UTC),
              "provinces": PROVINCES, "signed": date(2026, 6, 1)}
    statements = [
        ("county", "INSERT INTO county (id, code, name, prefecture, province, level, created_at) "
                   "SELECT i, lpad(i::text, 6, '0'), '测试县' || i, '', (CAST(:provinces AS text[]))[1 + i % 31], "
                   "'national', :now FROM generate_series(1, :half) AS i"),
        ("organization", "INSERT INTO organization (id, name, credit_code, level, kind, province, supervisor, "
                         "created_at) SELECT i, '测试社会组织' || i, 'B' || lpad(i::text, 17, '0'), '全国性', '基金会', '', '', "
                         ":now FROM generate_series(1, :half) AS i"),
        # One pairing per organization with its county, and one more for every 10th organization.
        ("pairing", "INSERT INTO pairing (id, organization_id, county_id, status, created_at) "
                    "SELECT i, i, i, 'active', :now FROM generate_series(1, :half) AS i UNION ALL "
                    "SELECT :half + n, 10 * n, (10 * n) % :half + 1, 'active', :now "
                    "FROM generate_series(1, :half / 10) AS n"),
        ("contact", "INSERT INTO contact (id, name, role, county_id, organization_id, provinces, phone, active, "
                    "created_at) SELECT i, '组织联络人' || i, 'organization', NULL, i, '[]'::json, '', true, :now "
                    "FROM generate_series(1, :half) AS i UNION ALL "
                    "SELECT :half + i, '县联络员' || i, 'county', i, NULL, '[]'::json, '', true, :now "
                    "FROM generate_series(1, :half) AS i UNION ALL "
                    "SELECT 2 * :half + n, '管理员' || p, 'admin', NULL, NULL, json_build_array(p), '', true, :now "
                    "FROM unnest(CAST(:provinces AS text[])) WITH ORDINALITY AS a(p, n) UNION ALL "
                    "SELECT 2 * :half + 32, '总管理员', 'admin', NULL, NULL, '[]'::json, '', true, :now"),
        ("channelidentity", "INSERT INTO channelidentity (id, contact_id, channel, external_id, created_at) "
                            "SELECT id, id, 'telegram', (10000000 + id)::text, :now FROM contact"),
        ("agreement", "INSERT INTO agreement (pairing_id, season, signed_on, amount_wan, document, created_at) "
                      "SELECT id, 2026, :signed, 50.0, '', :now FROM pairing WHERE id % 10 < 3"),
        ("progressupdate", "INSERT INTO progressupdate (contact_id, pairing_id, cycle_id, period, channel, raw_text, "
                           "fields, review_status, review_note, created_at) SELECT organization_id, id, NULL, "
                           "'2026-12', 'telegram', '本月投入资金5万元', '[]'::json, 'received', '', :december "
                           "FROM pairing WHERE id % 5 = 0"),
    ]
    counts: dict[str, int] = {}
    engine = make_engine(url)
    with engine.begin() as connection:
        for table, statement in statements:
            counts[table] = connection.execute(text(statement), values).rowcount
        for table in ("county", "organization", "pairing", "contact", "channelidentity"):
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                    f"(SELECT max(id) FROM \"{table}\"))"))
    engine.dispose()
    return counts


def add_obligations(url: str) -> int:
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        add_obligation(session, "2026年帮扶协议补签", "agreement", "2026-12-31", [30, 14, 7, 3, 1], actor="bench",
                       now=CREATED)
        add_obligation(session, "月度进展", "monthly", "end", [5, 1], actor="bench", now=CREATED)
        annual = add_obligation(session, "年度统计", "annual", "12-31", [30, 14, 7, 3, 1], actor="bench", now=CREATED)
    with engine.begin() as connection:  # 5% already filed their year-end statistics under the cycle
        connection.execute(text(
            "INSERT INTO progressupdate (contact_id, pairing_id, cycle_id, period, channel, raw_text, fields, "
            "review_status, review_note, created_at) SELECT organization_id, id, :cycle, '2026', 'telegram', "
            "'全年投入100万元', '[]', 'received', '', :at FROM pairing WHERE id % 20 = 1"),
            {"cycle": annual.id, "at": datetime(2026, 12, 20, tzinfo=UTC)})
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return annual.id


def best_of(runs: int, work: Any) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def rss_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def run_size(admin_url: str, contacts: int, keep: bool, database: str | None = None,
             skip_tick: bool = False) -> dict[str, Any]:
    """Load a scratch database (or reuse `database`, kept, as loaded by an earlier --keep run) and measure it."""
    name = database or f"pairbot_bench_{contacts}_{uuid.uuid4().hex[:6]}"
    url = admin_url.rsplit("/", 1)[0] + f"/{name}" if database else create_database(admin_url, name)
    keep = keep or database is not None
    result: dict[str, Any] = {"contacts": contacts, "database": name, "load_seconds": 0.0}
    try:
        engine = make_engine(url)
        if database is None:
            migrate(engine)
            start = time.perf_counter()
            result["rows"] = load(url, contacts)
            add_obligations(url)
            result["load_seconds"] = round(time.perf_counter() - start, 1)
        policy = Policy(zone=ZONE)

        def plan() -> int:  # the stage tick's reading side: every Due streamed, text composed, nothing kept
            with Session(engine) as session:
                return sum(1 for _ in iter_reminders(session, MOMENT, policy))

        result["plan_seconds"], result["due"] = best_of(2, plan)
        result["plan_peak_rss_mib"] = rss_mib()
        queued = [0]

        def enqueue(ids: Any) -> None:
            queued[0] += len(ids)

        result["tick_seconds"], result["reminders_per_second"], result["tick_peak_rss_mib"] = 0.0, 0, rss_mib()
        if not skip_tick:
            start = time.perf_counter()
            report = run_tick(engine, policy, MOMENT, enqueue)  # the whole stage tick: plan, claim, deliveries
            result["tick_seconds"] = time.perf_counter() - start
            result["written"] = queued[0]
            result["reminders_per_second"] = round(report.planned / result["tick_seconds"])
            result["tick_peak_rss_mib"] = rss_mib()
        with engine.connect() as connection:
            connection.execute(text("ANALYZE remindersent"))
            connection.execute(text("ANALYZE delivery"))
            connection.commit()
            result["ledger_rows"] = connection.execute(text("SELECT count(*) FROM remindersent")).scalar()
            result["delivery_rows"] = connection.execute(text("SELECT count(*) FROM delivery")).scalar()
        result["steady_tick_seconds"] = 0.0
        if result["ledger_rows"] >= result["due"]:  # a steady tick only once the whole due set is in the ledger
            result["steady_tick_seconds"], again = best_of(2, lambda: run_tick(engine, policy, MOMENT, enqueue))
            result["written_by_second_tick"] = len(again.queued)
        engine.dispose()
    finally:
        if not keep:
            drop_database(admin_url, name)
    for key in ("plan_seconds", "tick_seconds", "steady_tick_seconds"):
        result[key] = round(result[key], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--database", help="reuse this database kept by an earlier --keep run of the same size "
                                           "(no load; kept again); with one size only")
    parser.add_argument("--skip-tick", action="store_true",
                        help="measure the plan (and the steady tick, against what the ledger holds) but not the "
                             "whole stage tick: for iterating, or on a --database whose ledger is already full")
    args = parser.parse_args()
    if args.database and len(args.sizes) != 1:
        parser.error("--database takes one size")
    results = []
    for size in args.sizes:
        result = run_size(args.pg, size, args.keep, args.database, args.skip_tick)
        results.append(result)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    print(f"\ngoal at 1,000,000 contacts: plan ≤ {GOAL_PLAN_SECONDS} s, peak RSS ≤ {GOAL_RSS_MIB} MiB, "
          f"≥ {GOAL_ROWS_PER_SECOND:,} reminders/s written")
    print("| contacts | due set | plan (streamed) | whole stage tick (plan + write) | reminders/s | peak RSS "
          "| steady tick | load |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['contacts']:,} | {r['due']:,} | {r['plan_seconds']:.2f} s | {r['tick_seconds']:.1f} s "
              f"| {r['reminders_per_second']:,} | {r['tick_peak_rss_mib']} MiB | {r['steady_tick_seconds']:.2f} s "
              f"| {r['load_seconds']:.0f} s |")


if __name__ == "__main__":
    main()
