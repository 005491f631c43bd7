"""An invite is single-use even when many chats send its code at the same moment (parallel requests,
several `pairbot run` processes on one PostgreSQL): exactly one binds, every other one is told it was used."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, select

from bot.db import make_engine, unit_of_work
from models.messaging import Invite
from models.registry import ChannelIdentity, Contact, Role
from models.services.invites import InviteError, redeem_invite
from tests.factories import county_id, invite, load_counties

CHATS = 8


def test_parallel_redemptions_of_one_code_bind_exactly_one_chat(db_url: str) -> None:
    engine = make_engine(db_url)
    load_counties(engine)
    code = invite(engine, Role.county, county=county_id(engine, "布拖县"), name="阿木")
    start = threading.Barrier(CHATS)

    def redeem(n: int) -> str:
        start.wait()
        try:
            with unit_of_work(engine) as session:
                redeem_invite(session, code, "telegram", str(900 + n), f"用户{n}")
        except InviteError as exc:
            return str(exc)
        return "bound"

    with ThreadPoolExecutor(CHATS) as pool:
        outcomes = list(pool.map(redeem, range(CHATS)))
    assert outcomes.count("bound") == 1, outcomes
    assert all("已被使用过" in outcome for outcome in outcomes if outcome != "bound"), outcomes
    with Session(engine) as session:
        assert len(session.exec(select(ChannelIdentity)).all()) == 1
        assert len(session.exec(select(Contact).where(Contact.role == Role.county)).all()) == 1
        assert session.exec(select(Invite)).one().used_by_contact_id is not None
    engine.dispose()
