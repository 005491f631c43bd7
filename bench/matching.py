"""Benchmark: the 项目库's matching (models/services/matching.py) for 10,000 needs against 2,000 organizations.

The data (bulk Core inserts, deterministic): 160 counties in 10 provinces; 2,000 organizations, each
paired with 2 counties (5% of the pairings ended) and offering 1–3 of the 7 fields in 1–3 provinces
(a quarter nationwide, a tenth without a capacity); 8,000 past projects under random pairings;
10,000 needs (90% published or claimed) and 3,000 declined claims. Then, on SQLite and on
PostgreSQL (a scratch database beside --pg, analyzed after the load):

- *one need*: `rank(session, need)` in a fresh session, the need read by id (--needs of them, median
  and p95; goal ≤ 50 ms);
- *a province*: its open needs read and ranked with `rank_all` in one session (every province once,
  median and worst; goal ≤ 2 s).

    .venv/bin/python bench/matching.py [--needs 200] [--pg postgresql://postgres@127.0.0.1:5432/test|'']
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
PROVINCES = ["内蒙古自治区", "广西壮族自治区", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省",
             "青海省"]
FIELDS = ["产业", "就业", "教育", "健康", "养老", "消费", "其他"]
SIZES = {"counties": 160, "organizations": 2_000, "projects": 8_000, "needs": 10_000, "declined": 3_000}


def build(engine, seed: int = 1) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Fill a migrated, empty database; returns row counts."""
    from sqlalchemy import insert, select

    from models.pairing import Pairing, Project
    from models.projects import Need, NeedClaim, Offer
    from models.registry import County, Organization

    rng = random.Random(seed)
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    with engine.begin() as db:
        db.execute(insert(County.__table__), [
            {"code": f"{900000 + i}", "name": f"第{i + 1:03d}县", "prefecture": "", "province": PROVINCES[i % 10],
             "level": "national", "created_at": now} for i in range(SIZES["counties"])])
        db.execute(insert(Organization.__table__), [
            {"name": f"社会组织{i:04d}", "credit_code": f"5{i:017d}", "level": "全国性", "kind": "基金会",
             "province": rng.choice(PROVINCES), "supervisor": "", "created_at": now}
            for i in range(SIZES["organizations"])])
        counties = list(db.execute(select(County.id)).scalars())
        orgs = list(db.execute(select(Organization.id)).scalars())
        db.execute(insert(Pairing.__table__), [
            {"organization_id": org, "county_id": county, "status": "ended" if rng.random() < 0.05 else "active",
             "created_at": now - timedelta(days=rng.randint(60, 900))}
            for org in orgs for county in rng.sample(counties, 2)])
        pairings = list(db.execute(select(Pairing.id)).scalars())
        offers = []
        for org in orgs:
            for field in rng.sample(FIELDS, rng.randint(1, 3)):
                provinces = [] if rng.random() < 0.25 else rng.sample(PROVINCES, rng.randint(1, 3))
                offers.append({"organization_id": org, "field": field, "description": f"{field}帮扶",
                               "provinces": provinces, "active": rng.random() < 0.95, "source": "import",
                               "capacity_wan": None if rng.random() < 0.1 else float(rng.randint(10, 2_000)),
                               "created_at": now})
        db.execute(insert(Offer.__table__), offers)
        db.execute(insert(Project.__table__), [
            {"pairing_id": rng.choice(pairings), "name": f"项目{i}", "field": rng.choice(FIELDS), "description": "",
             "amount_wan": float(rng.randint(5, 500)), "status": rng.choice(["active", "done", "planned"]),
             "close_reason": "", "created_at": now} for i in range(SIZES["projects"])])
        statuses = ["published"] * 7 + ["claimed"] * 2 + ["draft"]
        db.execute(insert(Need.__table__), [
            {"county_id": rng.choice(counties), "field": rng.choice(FIELDS), "title": f"需求{i}", "description": f"需求{i}",
             "amount_wan": None if rng.random() < 0.15 else float(rng.randint(5, 1_000)),
             "status": rng.choice(statuses), "close_reason": "", "source": "import", "created_at": now}
            for i in range(SIZES["needs"])])
        needs = list(db.execute(select(Need.id)).scalars())
        declined = {(rng.choice(needs), rng.choice(orgs)) for _ in range(SIZES["declined"])}
        db.execute(insert(NeedClaim.__table__), [
            {"need_id": need, "organization_id": org, "status": "declined", "reason": "婉拒", "decided_by": "bench",
             "created_at": now} for need, org in declined])
    return {"offers": len(offers), "pairings": len(pairings), "declined": len(declined)}


def measure(url: str, samples: int) -> dict[str, float]:
    from sqlmodel import Session, col, select

    from bot.db import make_engine
    from models.projects import OPEN_NEED_STATUSES, Need
    from models.registry import County
    from models.services.matching import rank, rank_all

    engine = make_engine(url)
    with Session(engine) as session:
        ids = list(session.exec(select(Need.id)).all())
    picked = random.Random(2).sample(ids, samples)
    for need_id in picked[:10]:  # warm-up: connections, statement caches
        with Session(engine) as session:
            rank(session, session.get(Need, need_id))  # type: ignore[arg-type]
    one: list[float] = []
    for need_id in picked:
        started = time.perf_counter()
        with Session(engine) as session:
            rank(session, session.get(Need, need_id))  # type: ignore[arg-type]
        one.append((time.perf_counter() - started) * 1000)
    province: list[float] = []
    ranked = 0
    for name in PROVINCES:
        started = time.perf_counter()
        with Session(engine) as session:
            needs = list(session.exec(select(Need).join(County, col(County.id) == Need.county_id).where(
                County.province == name, col(Need.status).in_(list(OPEN_NEED_STATUSES)))).all())
            ranked += len(rank_all(session, needs))
        province.append(time.perf_counter() - started)
    engine.dispose()
    one.sort()
    return {"one_median_ms": round(statistics.median(one), 1), "one_p95_ms": round(one[int(len(one) * 0.95) - 1], 1),
            "province_median_s": round(statistics.median(province), 3), "province_max_s": round(max(province), 3),
            "province_needs": ranked // len(PROVINCES)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=200, help="how many single needs to rank")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="an admin URL; a scratch database is created beside it ('' to skip)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from sqlalchemy import text

    from bench.export import create_pg_database, drop_pg_database
    from bot.db import make_engine, migrate

    OUT.mkdir(parents=True, exist_ok=True)
    runs = [("sqlite", f"sqlite:///{OUT / f'matching-{uuid.uuid4().hex[:6]}.db'}", False)]
    if args.pg:
        try:
            runs.append(("postgresql", create_pg_database(args.pg), True))
        except Exception as exc:  # noqa: BLE001 — an unreachable server only skips that backend
            print(f"postgresql skipped: {exc.__class__.__name__}: {exc}".splitlines()[0])
    table = []
    for label, url, scratch in runs:
        print(f"{label}: {url}")
        try:
            engine = make_engine(url)
            migrate(engine)
            started = time.perf_counter()
            counts = build(engine)
            with engine.begin() as db:
                db.execute(text("ANALYZE"))
            engine.dispose()
            print(f"  data: {SIZES} {counts} ({time.perf_counter() - started:.1f} s)")
            figures = measure(url, args.needs)
            print(f"  {figures}")
            table.append((label, figures))
        finally:
            if scratch:
                drop_pg_database(args.pg, url)
            else:
                for suffix in ("", "-wal", "-shm"):
                    Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    print("\n| backend | one need (median / p95) | a province's open needs with rank_all (median / worst) |")
    print("|---|---|---|")
    for label, f in table:
        print(f"| {label} | {f['one_median_ms']} / {f['one_p95_ms']} ms | {f['province_median_s']} / "
              f"{f['province_max_s']} s ({f['province_needs']} needs) |")


if __name__ == "__main__":
    main()
