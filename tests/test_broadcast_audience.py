"""`pairbot broadcast` as a stranger meets it beside a running bot: a large audience resolves in a few statements
(the preview and the queueing each read every recipient's chat accounts), and a text that would be refused is
refused before the preview is shown."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.db import unit_of_work
from models.base import utcnow
from models.registry import ChannelIdentity, Contact, Role
from models.services import broadcast as service
from models.services.registry import contact_address
from tests.factories import county_id, load_counties

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def add_contacts(engine: Engine, n: int, start: int) -> None:
    """n county contacts of every shape contact_address knows: a chosen channel, the channel used last, an
    unreachable account beside a reachable one, no reachable account, no account at all."""
    county = county_id(engine, "布拖县")
    long_ago = utcnow() - timedelta(days=3)
    with unit_of_work(engine) as session:
        for i in range(start, start + n):
            shape = i % 5
            contact = Contact(name=f"联络员{i}", role=Role.county, county_id=county,
                              preferred_channel="wecom" if shape == 0 else None,
                              last_channel="telegram" if shape == 1 else None)
            session.add(contact)
            session.flush()
            if shape == 4:
                continue
            session.add(ChannelIdentity(contact_id=contact.id, channel="telegram", external_id=f"{i}",
                                        unreachable_since=long_ago if shape in (2, 3) else None))
            session.add(ChannelIdentity(contact_id=contact.id, channel="wecom", external_id=f"u{i}",
                                        unreachable_since=long_ago if shape == 3 else None))


def test_resolving_an_audience_costs_the_same_for_40_contacts_and_for_400(engine: Engine) -> None:
    load_counties(engine)
    segment = service.parse_segment("county")
    add_contacts(engine, 40, 0)
    with Session(engine) as session, counted(engine) as few:
        small = service.resolve_audience(session, segment)
    add_contacts(engine, 360, 40)
    with Session(engine) as session, counted(engine) as many:
        large = service.resolve_audience(session, segment)
    assert len(small.recipients) == 24 and len(large.recipients) == 240
    assert len(many) <= len(few) + 2, (len(few), len(many))  # a statement per 500 contacts, not one per contact


def test_each_recipient_is_addressed_as_contact_address_does(engine: Engine) -> None:
    load_counties(engine)
    add_contacts(engine, 25, 0)
    with Session(engine) as session:
        audience = service.resolve_audience(session, service.parse_segment("county"))
        chosen = {r.contact_id: (r.channel, r.chat_id) for r in audience.recipients}
        for contact in session.exec(select(Contact)).all():
            expected = contact_address(session, contact)
            assert chosen.get(contact.id) == expected, contact.name
            assert (contact.id in audience.unreachable) == (expected is None)


def pairbot(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | env
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=120)


def test_a_text_too_long_is_refused_before_the_preview(tmp_path: Path, sqlite_url: str) -> None:
    env = {"PAIRBOT_DATABASE__URL": sqlite_url}
    assert pairbot("init", cwd=tmp_path, env=env).returncode == 0
    result = pairbot("broadcast", "--to", "all", "--text", "长" * 3001, "--yes", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "广播内容过长（3001 字）" in result.stderr
    assert "收件人" not in result.stdout  # no preview of a notice that cannot be sent
