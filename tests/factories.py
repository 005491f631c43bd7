"""Small builders for test data, written through the same services the bot uses."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlmodel import select

from bot.db import unit_of_work
from models.pairing import Agreement, Pairing, PairingStatus
from models.registry import County, Organization, Role
from models.services.importing import import_file, reference_counties
from models.services.invites import create_invite
from models.services.registry import set_pairing_status

# Codes that pass the GB 32100-2015 check (see tests/test_credit_code.py for their sources).
CODES = ["53100000500019795A", "53100000500021676K", "51100000500009247D", "51100000500002862F"]


def load_counties(engine: Engine) -> None:
    import_file(engine, "counties", reference_counties(), actor="test")


def add_org(engine: Engine, name: str, code: str) -> int:
    with unit_of_work(engine) as session:
        org = Organization(name=name, credit_code=code, level="全国性", kind="基金会")
        session.add(org)
        session.flush()
        return org.id  # type: ignore[return-value]


def county_id(engine: Engine, name: str) -> int:
    with unit_of_work(engine) as session:
        county = session.exec(select(County).where(County.name == name)).one()
        return county.id  # type: ignore[return-value]


def pair(engine: Engine, org_id: int, county: int, agreed_wan: float | None = None) -> int:
    with unit_of_work(engine) as session:
        pairing = Pairing(organization_id=org_id, county_id=county)
        set_pairing_status(session, pairing, PairingStatus.active, "test")
        if agreed_wan is not None:
            session.add(Agreement(pairing_id=pairing.id, season=2026, signed_on=date(2026, 8, 1), amount_wan=agreed_wan))
        return pairing.id  # type: ignore[return-value]


def invite(engine: Engine, role: Role, *, county: int | None = None, org: int | None = None,
           days: int = 7, name: str = "") -> str:
    with unit_of_work(engine) as session:
        row = create_invite(
            session, role, actor="test", expires_days=days, name=name,
            county=session.get(County, county) if county else None,
            organization=session.get(Organization, org) if org else None,
        )
        return row.code
