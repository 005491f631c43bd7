"""A small ledger for the review tests, written through the services the bot uses.

Three organizations, four pairings in two provinces (四川省, 广西壮族自治区), updates spread over
several months, two of them flagged (one carrying a <script> tag), a broadcast with acknowledgements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import select

from bot.db import unit_of_work
from models.messaging import Broadcast, Delivery, DeliveryStatus
from models.pairing import Agreement
from models.registry import Contact, Role
from models.services.access import set_password
from models.services.reports import record_update
from tests.factories import CODES, add_org, county_id, load_counties, pair

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 2026-11-20 10:00 in Asia/Shanghai, after the 31 August deadline
PASSWORD = "correct horse battery"
XSS = "<script>alert('x')</script>本月走访了解情况"


@dataclass
class Ledger:
    counties: dict[str, int]
    orgs: dict[str, int]
    pairings: dict[str, int]
    admin: int
    gx_admin: int
    county_contact: int
    flagged: list[int]
    broadcast: int


def _contact(engine: Engine, name: str, role: Role, **scope: object) -> int:
    with unit_of_work(engine) as session:
        contact = Contact(name=name, role=role, **scope)  # type: ignore[arg-type]
        session.add(contact)
        session.flush()
        return contact.id  # type: ignore[return-value]


def _update(engine: Engine, contact_id: int, text: str, at: datetime) -> int:
    with unit_of_work(engine) as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        return record_update(session, contact, text, "console", at).update.id  # type: ignore[return-value]


def seed(engine: Engine) -> Ledger:
    load_counties(engine)
    counties = {name: county_id(engine, name) for name in ("布拖县", "昭觉县", "马山县")}
    orgs = {"乡发": add_org(engine, "中国乡村发展基金会", CODES[0]),
            "爱德": add_org(engine, "爱德基金会", CODES[1]),
            "川扶": add_org(engine, "四川省扶贫基金会", CODES[2])}
    pairings = {"乡发-布拖": pair(engine, orgs["乡发"], counties["布拖县"], agreed_wan=100),
                "爱德-布拖": pair(engine, orgs["爱德"], counties["布拖县"]),
                "川扶-昭觉": pair(engine, orgs["川扶"], counties["昭觉县"], agreed_wan=50),
                "乡发-马山": pair(engine, orgs["乡发"], counties["马山县"])}
    admin = _contact(engine, "王主任", Role.admin)
    gx_admin = _contact(engine, "李处长", Role.admin, provinces=["广西壮族自治区"])
    buto = _contact(engine, "阿木", Role.county, county_id=counties["布拖县"])
    zhaojue = _contact(engine, "吉克", Role.county, county_id=counties["昭觉县"])
    xiangfa = _contact(engine, "张敏", Role.organization, organization_id=orgs["乡发"])
    with unit_of_work(engine) as session:
        for contact_id in (admin, gx_admin):
            set_password(session, session.get(Contact, contact_id), PASSWORD, "test", NOW)  # type: ignore[arg-type]
    start = NOW - timedelta(days=200)
    _update(engine, zhaojue, "四川省扶贫基金会投入帮扶资金30万元，建设蔬菜大棚项目2个，带动52户增收。", start)
    _update(engine, zhaojue, "采购销售农产品12万元，惠及农户80户。", start + timedelta(days=60))
    _update(engine, zhaojue, "开展技能培训，培训156人，其中女性80人。", NOW - timedelta(days=10))
    # 张敏 has two pairings (布拖, 马山): naming the county files the update under it.
    _update(engine, xiangfa, "向布拖县投入帮扶资金20万元，用于藏白菊种植基地，带动38户增收。", start + timedelta(days=30))
    _update(engine, xiangfa, "马山县教育帮扶：资助学生120名，捐赠图书价值5万元。", start + timedelta(days=90))
    flagged = [
        _update(engine, buto, XSS, NOW - timedelta(days=3)),  # no figures → flagged
        _update(engine, buto, "本月投入资金20亿元，带动10户。", NOW - timedelta(days=2)),  # implausibly large
    ]
    with unit_of_work(engine) as session:
        notice = Broadcast(segment="all", text="请于11月30日前报送年度统计表。", require_ack=True, created_by="test",
                           created_at=NOW - timedelta(days=1))
        session.add(notice)
        session.flush()
        for contact_id, status, acked in ((buto, DeliveryStatus.sent, True), (zhaojue, DeliveryStatus.sent, False),
                                          (xiangfa, DeliveryStatus.failed, False)):
            session.add(Delivery(channel="console", chat_id=f"c{contact_id}", contact_id=contact_id,
                                 broadcast_id=notice.id, text=notice.text, status=status,
                                 sent_at=NOW if status == DeliveryStatus.sent else None,
                                 acknowledged_at=NOW if acked else None))
        broadcast_id = notice.id
    return Ledger(counties, orgs, pairings, admin, gx_admin, buto, flagged, broadcast_id)  # type: ignore[arg-type]


def agreement_dates(engine: Engine) -> list[date]:
    with unit_of_work(engine) as session:
        return [a.signed_on for a in session.exec(select(Agreement)).all()]
