"""A synthetic national ledger for the review benchmarks: 160 key counties, 1,000 organizations, their
pairings, agreements and contacts, N progress updates and some broadcast deliveries.

Rows go in with bulk Core inserts (the bot's services would take hours for a million updates); the
figures are consistent with the texts, so the totals and statistics have real work to do.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select

PROVINCES = ["内蒙古自治区", "广西壮族自治区", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省",
             "青海省"]
FIELDS = ["产业", "就业", "教育", "健康", "养老", "消费", "其他"]
TEXTS = [
    ("本月投入帮扶资金{a}万元，用于{f}项目建设，带动{h}户增收。", ("funds_wan", "households")),
    ("捐赠物资折合{a}万元，惠及群众{p}人。", ("funds_wan", "people")),
    ("采购销售农特产品{a}万元，带动{h}户脱贫户增收。", ("sales_wan", "households")),
    ("开展技能培训{p}人次，新建{f}项目{n}个。", ("people", "projects")),
    ("签订帮扶协议，计划投入{a}万元。", ("committed_wan",)),
]
BATCH = 20_000


def build(engine: Engine, *, counties: int = 160, organizations: int = 1_000, updates: int = 1_000_000,
          deliveries: int = 20_000, seed: int = 1, log: Any = print) -> dict[str, int]:
    """Fill a migrated, empty database; returns row counts. Deterministic for a given seed."""
    from models import (Agreement, Broadcast, Contact, County, Delivery, Organization, Pairing, ProgressUpdate,
                        Role)

    rng = random.Random(seed)
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    started = time.perf_counter()
    with engine.begin() as db:
        db.execute(insert(County.__table__), [
            {"code": f"{900000 + i}", "name": f"第{i + 1:03d}县", "prefecture": f"{PROVINCES[i % 10][:2]}{i // 10 % 4 + 1}州",
             "province": PROVINCES[i % len(PROVINCES)], "level": "national", "created_at": now}
            for i in range(counties)])
        db.execute(insert(Organization.__table__), [
            {"name": f"社会组织{i:04d}", "credit_code": f"5{i:017d}", "level": "全国性", "kind": "基金会",
             "province": rng.choice(PROVINCES), "supervisor": "", "created_at": now} for i in range(organizations)])
        county_ids = list(db.execute(select(County.id).order_by(County.id)).scalars())
        org_ids = list(db.execute(select(Organization.id).order_by(Organization.id)).scalars())
        pairs = []
        for org in org_ids:
            for county in rng.sample(county_ids, 2):
                pairs.append({"organization_id": org, "county_id": county,
                              "status": "ended" if rng.random() < 0.05 else "active",
                              "created_at": now - timedelta(days=rng.randint(60, 900))})
        db.execute(insert(Pairing.__table__), pairs)
        pairings = list(db.execute(select(Pairing.id, Pairing.organization_id, Pairing.county_id)
                                   .order_by(Pairing.id)).all())
        db.execute(insert(Agreement.__table__), [
            {"pairing_id": pid, "season": 2026, "signed_on": date(2026, rng.randint(1, 8), rng.randint(1, 28)),
             "amount_wan": float(rng.randint(10, 500)), "document": "", "created_at": now}
            for pid, _, _ in pairings if rng.random() < 0.7])
        person = {"county_id": None, "organization_id": None, "provinces": [], "phone": "", "active": True,
                  "created_at": now}
        db.execute(insert(Contact.__table__), [
            person | {"name": f"联络人{org:04d}", "role": Role.organization, "organization_id": org} for org in org_ids] + [
            person | {"name": f"县联络员{c:03d}", "role": Role.county, "county_id": c} for c in county_ids] + [
            person | {"name": "管理员", "role": Role.admin}])
        contact_of = dict(db.execute(select(Contact.organization_id, Contact.id)
                                     .where(Contact.role == Role.organization)).all())
    log(f"  registry: {counties} counties, {organizations} organizations, {len(pairings)} pairings "
        f"({time.perf_counter() - started:.1f} s)")
    table = ProgressUpdate.__table__
    span = 730 * 86_400
    for first in range(0, updates, BATCH):
        rows = []
        for _ in range(min(BATCH, updates - first)):
            pid, org, _ = pairings[rng.randrange(len(pairings))]
            template, keys = TEXTS[rng.randrange(len(TEXTS))]
            values = {"a": rng.randint(1, 200), "h": rng.randint(5, 300), "p": rng.randint(10, 2_000),
                      "n": rng.randint(1, 5), "f": rng.choice(FIELDS[:5])}
            figures = {"funds_wan": None, "committed_wan": None, "sales_wan": None, "households": None,
                       "people": None, "projects": None}
            for key in keys:
                figures[key] = float(values["a"]) if key.endswith("_wan") else values[
                    {"households": "h", "people": "p", "projects": "n"}[key]]
            roll = rng.random()
            rows.append({
                "contact_id": contact_of[org], "pairing_id": pid, "period": "", "channel": "wecom",
                "raw_text": template.format(**values), **figures,
                "fields": ["消费"] if "sales_wan" in keys else [values["f"]],
                "review_status": "flagged" if roll < 0.01 else "accepted" if roll < 0.03 else "received",
                "review_note": "", "created_at": now - timedelta(seconds=rng.randrange(span)),
                "withdrawn_at": now if rng.random() < 0.005 else None,
            })
        with engine.begin() as db:
            db.execute(insert(table), rows)
        if (first // BATCH) % 10 == 0:
            log(f"  updates: {first + len(rows):,} ({time.perf_counter() - started:.0f} s)")
    with engine.begin() as db:
        broadcast_ids = [db.execute(insert(Broadcast.__table__).values(
            segment="all", text=f"通知{n}：请按时报送进展。", require_ack=True, created_by="bench", created_at=now,
            status="queued", scope=[], unreachable=[])).inserted_primary_key[0] for n in range(5)]
        contact_ids = list(db.execute(select(Contact.id).order_by(Contact.id)).scalars())
        db.execute(insert(Delivery.__table__), [
            {"channel": "wecom", "chat_id": f"u{n}", "contact_id": contact_ids[n % len(contact_ids)],
             "broadcast_id": broadcast_ids[n % 5], "text": "请按时报送进展。", "buttons": [], "status": "sent",
             "attempts": 1, "last_error": "", "created_at": now, "sent_at": now,
             "acknowledged_at": now if n % 3 else None} for n in range(deliveries)])
        total = db.execute(select(func.count()).select_from(table)).scalar_one()
    # Bulk inserts bypass the session hook that keeps the ledger's sums: compute them once, as a migration would.
    from models.services.sums import rebuild_all

    summing = time.perf_counter()
    with engine.begin() as db:
        rebuild_all(db)
    log(f"  ledger sums rebuilt in {time.perf_counter() - summing:.0f} s")
    if engine.dialect.name == "postgresql":  # what autovacuum does within a minute of a bulk load
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
            db.exec_driver_sql("ANALYZE")
    log(f"  done: {total:,} updates in {time.perf_counter() - started:.0f} s")
    return {"counties": counties, "organizations": organizations, "pairings": len(pairings), "updates": total}
