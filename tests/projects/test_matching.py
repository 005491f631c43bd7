"""The ranking's order inside and across tiers, declined organizations, limits, and rank_all = rank, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import astuple

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.db import unit_of_work
from models.pairing import Project
from models.projects import ClaimStatus, Need, NeedClaim
from models.services.matching import rank, rank_all
from tests.factories import add_org, pair
from tests.projects.world import World, build, offer

CODES = ["51100000500013497H", "51100000500017842G", "51100000500023086Q"]


@pytest.fixture
def world(engine: Engine) -> World:
    world = build(engine)
    close = add_org(engine, "近额基金会", CODES[0])  # 四川, capacity close to the amount
    nationwide = add_org(engine, "全国公益会", CODES[1])  # anywhere, a vast capacity
    experienced = add_org(engine, "经验协会", CODES[2])  # no offer, one past 教育 project
    offer(engine, close, "教育", ["四川省"], 100)
    offer(engine, nationwide, "教育", [], 1000)
    for org, n in ((world.far_org, 2), (experienced, 1)):  # 云南公益会's offer does not serve 四川: tier 3
        pairing_id = pair(engine, org, world.other_county)
        with unit_of_work(engine) as session:
            session.add_all(Project(pairing_id=pairing_id, name=f"项目{i}", field="教育") for i in range(n))
    return world


def _need(engine: Engine, world: World, amount: float | None = 80) -> Need:
    with unit_of_work(engine) as session:
        need = Need(county_id=world.county, field="教育", title="图书室", description="图书室", amount_wan=amount,
                    status="published")
        session.add(need)
    return need


def _names(engine: Engine, need: Need, limit: int = 20) -> list[tuple[str, int]]:
    with Session(engine) as session:
        return [(c.name, c.tier) for c in rank(session, session.get(Need, need.id), limit)]  # type: ignore[arg-type]


def test_tiers_and_the_order_within_them(engine: Engine, world: World) -> None:
    need = _need(engine, world)
    assert _names(engine, need) == [
        ("结对基金会", 1),
        ("近额基金会", 2), ("教育促进会", 2), ("全国公益会", 2),  # 1.8 (四川, 80/100) > 1.16 (四川, 80/500) > 0.58
        ("云南公益会", 3), ("经验协会", 3),  # 2 projects before 1
    ]
    assert _names(engine, need, 3) == [("结对基金会", 1), ("近额基金会", 2), ("教育促进会", 2)]
    with Session(engine) as session:
        reasons = {c.name: c.reasons for c in rank(session, session.get(Need, need.id))}  # type: ignore[arg-type]
    assert reasons["全国公益会"] == ("教育领域供给，服务全国，能力 1000 万元",)
    assert reasons["云南公益会"] == ("教育领域项目 2 个",)
    without_amount = _need(engine, world, amount=None)  # every offer fits; 四川 ones first, then by id
    assert [name for name, tier in _names(engine, without_amount) if tier == 2] == ["教育促进会", "近额基金会", "全国公益会"]


def test_declined_organizations_leave_every_tier(engine: Engine, world: World) -> None:
    need = _need(engine, world)
    with unit_of_work(engine) as session:
        for org in (world.paired_org, world.far_org, world.offering_org):
            session.add(NeedClaim(need_id=need.id, organization_id=org, status=ClaimStatus.declined, reason="婉拒"))
    assert _names(engine, need) == [("近额基金会", 2), ("全国公益会", 2), ("经验协会", 3)]


def test_rank_all_ranks_each_need_as_rank_does(engine: Engine, world: World) -> None:
    needs = [_need(engine, world, amount) for amount in (80, 300, 900, None)]
    with Session(engine) as session:
        together = rank_all(session, needs, 4)
        for need in needs:
            alone = rank(session, need, 4)
            assert [astuple(c) for c in together[need.id]] == [astuple(c) for c in alone]  # type: ignore[index]
    assert [(c.name, c.tier) for c in together[needs[2].id]] == [  # type: ignore[index]  # only 1,000 万元 covers 900
        ("结对基金会", 1), ("全国公益会", 2), ("云南公益会", 3), ("经验协会", 3)]
