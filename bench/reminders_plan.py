"""Benchmark: planning the reminder due set on PostgreSQL for 10k, 100k and 1M contacts, three obligations each.

For each size a scratch database is created, migrated and filled with COPY: N/2 organizations and
N/2 counties (31 provinces), a pairing for each organization with its county plus one more for
every 10th, one contact with one chat identity on each side, agreements for 30% of the pairings,
December progress updates for 20%, year-end statistics filed for 5%, and 32 admins. Three
obligations apply to every pairing: an agreement deadline, a monthly progress cycle and the
year-end statistics, all due on 31 December 2026 (stages 30/14/7/3/1 and 5/1).

At 2026-12-28 09:00 (Asia/Shanghai, a Monday: nothing is planned on a non-working day) a stage of
all three is due (3 days before; the monthly 5-day stage moved to Friday 25th), so one tick plans the full due
set. Reported per size: the stage tick (plan_reminders, the whole due set, best of 3), its SQL share
(the three set-wise queries executed and fetched), the steady tick once everything is in the
reminder ledger (what every later minute costs), and at 10k the write path (claim + Delivery rows).
The database is dropped afterwards unless --keep.

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
from models.services.obligations import add_obligation, load_obligations, occurrences  # noqa: E402
from models.services.reminders import Policy, owed_query, plan_reminders, queue_reminders  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
MOMENT = datetime(2026, 12, 28, 9, 0, tzinfo=ZONE)
CREATED = datetime(2026, 11, 1, tzinfo=UTC)
PROVINCES = ["北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
             "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
             "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
             "宁夏回族自治区", "新疆维吾尔自治区"]


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


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
    """COPY the registry in; returns row counts."""
    import psycopg

    half = contacts // 2
    now = datetime(2026, 10, 1, tzinfo=UTC)
    december = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
    counts: dict[str, int] = {}
    with psycopg.connect(psycopg_url(url)) as connection, connection.cursor() as cursor:
        def copy(table: str, columns: str, rows: Any) -> None:
            n = 0
            with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as stream:
                for row in rows:
                    stream.write_row(row)
                    n += 1
            counts[table] = n

        copy("county", "id, code, name, prefecture, province, level, created_at",
             ((i, f"{i:06d}", f"测试县{i}", "", PROVINCES[i % len(PROVINCES)], "national", now)
              for i in range(1, half + 1)))
        copy("organization", "id, name, credit_code, level, kind, province, supervisor, created_at",
             ((i, f"测试社会组织{i}", f"B{i:017d}", "全国性", "基金会", "", "", now) for i in range(1, half + 1)))
        pairings = [(i, i, i) for i in range(1, half + 1)]
        pairings += [(half + n, i, i % half + 1) for n, i in enumerate(range(10, half + 1, 10), start=1)]
        copy("pairing", "id, organization_id, county_id, status, created_at",
             ((pid, org, county, "active", now) for pid, org, county in pairings))
        copy("contact", "id, name, role, county_id, organization_id, provinces, phone, active, created_at",
             [(i, f"组织联络人{i}", "organization", None, i, "[]", "", True, now) for i in range(1, half + 1)]
             + [(half + i, f"县联络员{i}", "county", i, None, "[]", "", True, now) for i in range(1, half + 1)]
             + [(2 * half + n + 1, f"管理员{p}", "admin", None, None, json.dumps([p], ensure_ascii=False), "", True,
                 now) for n, p in enumerate(PROVINCES)]
             + [(2 * half + len(PROVINCES) + 1, "总管理员", "admin", None, None, "[]", "", True, now)])
        total_contacts = 2 * half + len(PROVINCES) + 1
        copy("channelidentity", "id, contact_id, channel, external_id, created_at",
             ((i, i, "telegram", str(10_000_000 + i), now) for i in range(1, total_contacts + 1)))
        copy("agreement", "pairing_id, season, signed_on, amount_wan, document, created_at",
             ((pid, 2026, date(2026, 6, 1), 50.0, "", now) for pid, _, _ in pairings if pid % 10 < 3))
        update_columns = "contact_id, pairing_id, cycle_id, period, channel, raw_text, fields, review_status, " \
                         "review_note, created_at"
        copy("progressupdate", update_columns,
             ((org, pid, None, "2026-12", "telegram", "本月投入资金5万元", "[]", "received", "", december)
              for pid, org, _ in pairings if pid % 5 == 0))
        connection.commit()
        for table in ("county", "organization", "pairing", "contact", "channelidentity"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                           f"(SELECT max(id) FROM \"{table}\"))")
        connection.commit()
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


def sql_only(engine: Any, policy: Policy) -> tuple[float, int]:
    """Execute and fetch the three set-wise stage queries, without building messages (collector paused, as in
    plan_reminders)."""
    import gc

    gc.disable()
    with Session(engine) as session:
        start = time.perf_counter()
        rows = 0
        for obligation in load_obligations(session):
            for occ in occurrences(obligation, MOMENT.date(), policy.calendar, ZONE, policy.escalate_days + 1,
                                   max(obligation.stages) + 1):
                stage = occ.latest_stage(MOMENT, ZONE)
                if stage is not None:
                    rows += len(session.execute(owed_query(occ, str(stage), obligation.roles)).all())
        elapsed = time.perf_counter() - start
    gc.enable()
    return elapsed, rows


def fill_ledger(url: str, dues: list[Any]) -> None:
    import psycopg

    with psycopg.connect(psycopg_url(url)) as connection, connection.cursor() as cursor:
        with cursor.copy("COPY remindersent (obligation, obligation_id, period, stage, contact_id, due_on, created_at)"
                         " FROM STDIN") as stream:
            for d in dues:
                stream.write_row((d.obligation.value, d.obligation_id, d.period, d.stage, d.contact_id, d.due_on,
                                  MOMENT))
        cursor.execute("ANALYZE remindersent")
        connection.commit()


def run_size(admin_url: str, contacts: int, keep: bool) -> dict[str, Any]:
    name = f"pairbot_bench_{contacts}_{uuid.uuid4().hex[:6]}"
    url = create_database(admin_url, name)
    result: dict[str, Any] = {"contacts": contacts, "database": name}
    try:
        engine = make_engine(url)
        migrate(engine)
        start = time.perf_counter()
        result["rows"] = load(url, contacts)
        add_obligations(url)
        result["load_seconds"] = round(time.perf_counter() - start, 1)
        policy = Policy(zone=ZONE)

        def plan() -> list[Any]:
            with Session(engine) as session:
                return plan_reminders(session, MOMENT, policy)

        result["stage_tick_seconds"], dues = best_of(3, plan)
        result["due"] = len(dues)
        result["stage_sql_seconds"], result["due_rows"] = min(sql_only(engine, policy) for _ in range(3))
        fill_ledger(url, dues)
        result["steady_tick_seconds"], after = best_of(3, plan)
        result["due_after_ledger"] = len(after)
        if contacts <= 10_000:
            with engine.begin() as connection:
                connection.execute(text("TRUNCATE remindersent"))
            start = time.perf_counter()
            written = 0
            for first in range(0, len(dues), 500):
                with unit_of_work(engine) as session:
                    written += len(queue_reminders(session, dues[first:first + 500], MOMENT))
            result["write_seconds"] = round(time.perf_counter() - start, 2)
            result["written"] = written
        engine.dispose()
    finally:
        if not keep:
            drop_database(admin_url, name)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    for key in ("stage_tick_seconds", "stage_sql_seconds", "steady_tick_seconds"):
        result[key] = round(result[key], 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    args = parser.parse_args()
    results = []
    for size in args.sizes:
        result = run_size(args.pg, size, args.keep)
        results.append(result)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    print("\n| contacts | due set | stage tick (all) | of which SQL | steady tick | load (COPY) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['contacts']:,} | {r['due']:,} | {r['stage_tick_seconds']:.2f} s | {r['stage_sql_seconds']:.2f} s "
              f"| {r['steady_tick_seconds']:.3f} s | {r['load_seconds']:.0f} s |")


if __name__ == "__main__":
    main()
