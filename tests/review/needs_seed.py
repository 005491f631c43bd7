"""A small 项目库 on top of the review ledger (tests/review/seed.py), written through the needs services.

Needs in 布拖县 and 昭觉县 (四川), 马山县 (广西) and 会泽县 (云南), one in each state the pages show;
one became a project that a progress update names; a 云南 admin sees only 会泽县's need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from bot.db import unit_of_work
from models.projects import Offer
from models.registry import Contact, Role
from models.services import needs
from models.services.access import set_password
from models.services.ledger import Scope
from models.services.needs import NeedFields
from models.services.reports import record_update
from tests.factories import county_id
from tests.projects.world import contact
from tests.review.seed import NOW, PASSWORD, XSS, Ledger, _contact as admin_contact

ALL = Scope()


@dataclass
class Library:
    yunnan_admin: int
    draft: int  # 布拖县, 教育, a draft with a <script> in its description
    stale: int  # 布拖县, 产业, published 40 days ago, nobody took it on
    claimed: int  # 昭觉县, 教育, 中国乡村发展基金会's claim waits for the county
    in_progress: int  # 布拖县, 产业, confirmed: a project under 乡发-布拖
    project: int
    project_update: int  # the progress update that names the project
    mashan: int  # 马山县 (广西), published
    huize: int  # 会泽县 (云南), published


def _need(engine: Engine, county: int, field: str, description: str, amount: float | None, *, author: int | None = None,
          published_days_ago: int | None = None) -> int:
    with unit_of_work(engine) as session:
        need = needs.create_need(session, county, NeedFields(field, description, amount, households=30),
                                 "test", contact_id=author, now=NOW - timedelta(days=60))
        if published_days_ago is not None:
            needs.publish(session, ALL, need.id, "test", NOW - timedelta(days=published_days_ago))  # type: ignore[arg-type]
        return need.id  # type: ignore[return-value]


def seed_library(engine: Engine, ledger: Ledger) -> Library:
    yunnan_admin = admin_contact(engine, "赵处长", Role.admin, provinces=["云南省"])
    with unit_of_work(engine) as session:
        set_password(session, session.get(Contact, yunnan_admin), PASSWORD, "test", NOW)  # type: ignore[arg-type]
    buto, zhaojue, mashan, huize = (ledger.counties["布拖县"], ledger.counties["昭觉县"], ledger.counties["马山县"],
                                    county_id(engine, "会泽县"))
    # Reachable contacts: the county (told when its need is published or closed) and two organizations.
    contact(engine, "县联络员甲", Role.county, county=buto)
    xiangfa = contact(engine, "乡发联络人", Role.organization, org=ledger.orgs["乡发"])
    contact(engine, "爱德联络人", Role.organization, org=ledger.orgs["爱德"])
    with unit_of_work(engine) as session:
        session.add(Offer(organization_id=ledger.orgs["川扶"], field="产业", provinces=["四川省"], capacity_wan=300))

    draft = _need(engine, buto, "教育", XSS + "，需要图书和课桌椅。", 20, author=ledger.county_contact)
    stale = _need(engine, buto, "产业", "冷链仓储设备，服务全县果蔬合作社", 80, published_days_ago=40)
    claimed = _need(engine, zhaojue, "教育", "乡村学校营养餐补助", 35, published_days_ago=5)
    in_progress = _need(engine, buto, "产业", "藏白菊烘干车间建设", 120, published_days_ago=20)
    with unit_of_work(engine) as session:
        needs.claim(session, session.get(Contact, xiangfa), claimed, NOW - timedelta(days=2))  # type: ignore[arg-type]
        claim = needs.claim(session, session.get(Contact, xiangfa), in_progress, NOW - timedelta(days=10))  # type: ignore[arg-type]
        claim_id = claim.id
    with unit_of_work(engine) as session:
        project = needs.confirm(session, session.get(Contact, ledger.county_contact), claim_id,  # type: ignore[arg-type]
                                NOW - timedelta(days=9))
        project_id = project.id
    with unit_of_work(engine) as session:  # the update names its project, as a contact writes it
        recorded = record_update(session, session.get(Contact, xiangfa),  # type: ignore[arg-type]
                                 f"项目{project_id}：投入烘干车间建设资金60万元，带动45户增收。", "console",
                                 NOW - timedelta(days=5))
        assert recorded.update.project_id == project_id
        update_id = recorded.update.id
    return Library(yunnan_admin, draft, stale, claimed, in_progress, project_id, update_id,  # type: ignore[arg-type]
                   _need(engine, mashan, "就业", "就业技能培训基地", 50, published_days_ago=3),
                   _need(engine, huize, "健康", "村卫生室设备更新", 15, published_days_ago=1))
