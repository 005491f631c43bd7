"""Shared pieces for the reminder tests: a controllable clock and a small registry of pairings and contacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import App
from bot.db import unit_of_work
from models.messaging import Delivery
from models.registry import Contact, Role
from models.reminders import ReminderSent
from models.services.obligations import add_obligation
from models.services.registry import bind_identity
from tests.factories import CODES, add_org, county_id, load_counties, pair

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONSOLE = "console"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def local(text: str) -> datetime:
    """'2026-08-02 08:00' in Asia/Shanghai, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@dataclass
class World:
    """Two pairings in Sichuan (A, B), one in Yunnan (C, agreement already signed) and their contacts."""

    pairings: dict[str, int] = field(default_factory=dict)
    contacts: dict[str, int] = field(default_factory=dict)  # name → id; the console chat id is the name too
    organizations: dict[str, int] = field(default_factory=dict)
    counties: dict[str, int] = field(default_factory=dict)


def add_contact(engine: Engine, name: str, role: Role, *, county: int | None = None, org: int | None = None,
                provinces: list[str] | None = None, channel: str = CONSOLE) -> int:
    with unit_of_work(engine) as session:
        contact = Contact(name=name, role=role, county_id=county, organization_id=org, provinces=provinces or [])
        session.add(contact)
        session.flush()
        bind_identity(session, contact, channel, name)
        return contact.id  # type: ignore[return-value]


def build_world(engine: Engine) -> World:
    load_counties(engine)
    world = World()
    world.organizations = {"A": add_org(engine, "中国社会福利基金会", CODES[0]),
                           "B": add_org(engine, "中国自动化学会", CODES[3]),
                           "C": add_org(engine, "中国扶贫基金会", CODES[1])}
    world.counties = {"A": county_id(engine, "布拖县"), "B": county_id(engine, "昭觉县"),
                      "C": county_id(engine, _a_yunnan_county(engine))}
    world.pairings = {"A": pair(engine, world.organizations["A"], world.counties["A"]),
                      "B": pair(engine, world.organizations["B"], world.counties["B"]),
                      "C": pair(engine, world.organizations["C"], world.counties["C"], agreed_wan=50)}
    for side in "ABC":
        world.contacts[f"org{side}"] = add_contact(engine, f"org{side}", Role.organization,
                                                   org=world.organizations[side])
        world.contacts[f"county{side}"] = add_contact(engine, f"county{side}", Role.county,
                                                      county=world.counties[side])
    world.contacts["adminSC"] = add_contact(engine, "adminSC", Role.admin, provinces=["四川省"])
    world.contacts["adminAll"] = add_contact(engine, "adminAll", Role.admin)
    world.contacts["adminYN"] = add_contact(engine, "adminYN", Role.admin, provinces=["云南省"])
    return world


def _a_yunnan_county(engine: Engine) -> str:
    from models.registry import County

    with Session(engine) as session:
        names = session.exec(select(County.name).where(County.province == "云南省").order_by(County.code))
        return names.first()  # type: ignore[return-value]


def agreement_deadline(engine: Engine, created: datetime, due: str = "2026-08-31",
                       stages: tuple[int, ...] = (30, 14, 7, 3, 1), name: str = "2026年帮扶协议签订") -> None:
    with unit_of_work(engine) as session:
        add_obligation(session, name, "agreement", due, stages, actor="test", now=created)


def ledger(engine: Engine) -> list[ReminderSent]:
    with Session(engine) as session:
        return list(session.exec(select(ReminderSent).order_by(ReminderSent.id)).all())


def deliveries(engine: Engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)).all())


def sent_to(app: App, chat_id: str) -> list[str]:
    channel = app.channels[CONSOLE]
    return [m.text for m in channel.sent if m.chat_id == chat_id]  # type: ignore[attr-defined]


def day(value: str) -> date:
    return date.fromisoformat(value)


