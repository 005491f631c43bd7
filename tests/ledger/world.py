"""A small ledger world for the sums tests: counties, two organizations, pairings and contacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.db import unit_of_work
from models.ledger import LedgerMonth
from models.registry import Contact, Role
from models.reporting import ProgressUpdate, ReviewStatus
from models.services.sums import FIGURES
from tests.factories import CODES, add_org, county_id, load_counties, pair

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


@dataclass
class World:
    engine: Engine
    pairings: dict[str, int] = field(default_factory=dict)  # "org-county" → pairing id
    contacts: dict[str, int] = field(default_factory=dict)
    clock: datetime = T0

    def tick(self, hours: float = 1) -> datetime:
        self.clock += timedelta(hours=hours)
        return self.clock

    def add(self, contact: str, pairing: str | None, status: str = ReviewStatus.received,
            cumulative: tuple[str, ...] = (), **figures: float | int | None) -> int:
        """One update written straight to the table (the session hook does the rest)."""
        with unit_of_work(self.engine) as session:
            update = ProgressUpdate(
                contact_id=self.contacts[contact], pairing_id=self.pairings[pairing] if pairing else None,
                channel="console", raw_text=str(figures), created_at=self.tick(), review_status=status,
                cumulative=list(cumulative), fields=["产业"], **figures)
            session.add(update)
            session.flush()
            return update.id  # type: ignore[return-value]


def build(engine: Engine) -> World:
    load_counties(engine)
    world = World(engine)
    butuo, zhaojue = county_id(engine, "布拖县"), county_id(engine, "昭觉县")
    one, two = add_org(engine, "中国社会福利基金会", CODES[0]), add_org(engine, "爱德基金会", CODES[1])
    world.pairings = {"一-布拖": pair(engine, one, butuo), "二-布拖": pair(engine, two, butuo),
                      "一-昭觉": pair(engine, one, zhaojue)}
    with unit_of_work(engine) as session:
        for name, role, county, org in (("布拖联络员", Role.county, butuo, None), ("昭觉联络员", Role.county, zhaojue, None),
                                        ("一号联络人", Role.organization, None, one)):
            contact = Contact(name=name, role=role, county_id=county, organization_id=org)
            session.add(contact)
            session.flush()
            world.contacts[name] = contact.id  # type: ignore[assignment]
    return world


def month_sums(engine: Engine, **where: int | None) -> dict[str, float]:
    """The stored LedgerMonth figures summed over the rows matching `where` (pairing_id=…, sender_id=…)."""
    with Session(engine) as session:
        rows = session.exec(select(LedgerMonth)).all()
    out = dict.fromkeys(FIGURES, 0.0)
    for row in rows:
        if all(getattr(row, key) == value for key, value in where.items()):
            for key in FIGURES:
                out[key] += getattr(row, key)
    return out
