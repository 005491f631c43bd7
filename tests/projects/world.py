"""A small 项目库 world: two counties, three organizations, contacts reachable on the console channel."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from bot.db import unit_of_work
from models.projects import Offer
from models.registry import Contact, Role
from models.services.registry import bind_identity
from tests.factories import CODES, add_org, county_id, load_counties, pair


@dataclass
class World:
    county: int  # 布拖县 (四川)
    other_county: int  # 昭觉县 (四川)
    paired_org: int  # paired with 布拖县
    offering_org: int  # an offer in 教育 for 四川
    far_org: int  # an offer in 教育 for 云南 only
    county_contact: int
    paired_contact: int
    offering_contact: int
    pairing: int


def contact(engine: Engine, name: str, role: Role, *, county: int | None = None, org: int | None = None,
            channel: str = "console", external_id: str | None = None) -> int:
    with unit_of_work(engine) as session:
        row = Contact(name=name, role=role, county_id=county, organization_id=org)
        session.add(row)
        session.flush()
        bind_identity(session, row, channel, external_id or name)
        return row.id  # type: ignore[return-value]


def offer(engine: Engine, org: int, field: str, provinces: list[str], capacity: float | None) -> None:
    with unit_of_work(engine) as session:
        session.add(Offer(organization_id=org, field=field, provinces=provinces, capacity_wan=capacity))


def build(engine: Engine) -> World:
    load_counties(engine)
    county, other = county_id(engine, "布拖县"), county_id(engine, "昭觉县")
    paired, offering, far = (add_org(engine, name, code) for name, code in
                             zip(("结对基金会", "教育促进会", "云南公益会"), CODES))
    pairing = pair(engine, paired, county)
    offer(engine, offering, "教育", ["四川省"], 500)
    offer(engine, far, "教育", ["云南省"], 500)
    return World(county, other, paired, offering, far,
                 contact(engine, "县联络员", Role.county, county=county),
                 contact(engine, "结对联络人", Role.organization, org=paired),
                 contact(engine, "促进会联络人", Role.organization, org=offering), pairing)
