"""A report costs the same however long its sender's history: nothing on the inbound path reads every
earlier update (a contact files hundreds over the years, and the router handles one message at a time)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event
from sqlmodel import Session, select

from bot.app import App
from models.reporting import PendingQuestion, ProgressUpdate
from models.services.ledger import Scope, totals
from tests.handlers.test_reporting import county_contact

HISTORY = 300


@contextmanager
def counting_loads() -> Iterator[list[int]]:
    """How many rows the ORM turns into objects (updates, questions) while the block runs."""
    loaded = [0]

    def count(*_: object) -> None:
        loaded[0] += 1

    for model in (ProgressUpdate, PendingQuestion):
        event.listen(model, "load", count)
    try:
        yield loaded
    finally:
        for model in (ProgressUpdate, PendingQuestion):
            event.remove(model, "load", count)


def _add_history(app: App, count: int) -> None:
    """`count` earlier updates of the sender, older than anything sent in the test, through the ORM (sums kept)."""
    with Session(app.engine) as session:
        first = session.exec(select(ProgressUpdate).order_by(ProgressUpdate.id).limit(1)).one()
        for n in range(count):
            session.add(ProgressUpdate(
                contact_id=first.contact_id, pairing_id=first.pairing_id, channel=first.channel, raw_text=f"培训{n}人",
                period=first.period, people=1, fields=["教育"],
                created_at=first.created_at - timedelta(days=1, minutes=n)))
        session.commit()


def test_a_report_reads_no_more_rows_after_hundreds_of_earlier_ones(app: App) -> None:
    user = county_contact(app)
    user.send("本月投入帮扶资金20万元，带动38户增收")
    with counting_loads() as few:
        [reply] = user.send("本月又投入帮扶资金5万元")
    assert "结对台账累计：投入资金 25 万元" in reply

    _add_history(app, HISTORY)
    with counting_loads() as many:
        [reply] = user.send("本月再投入帮扶资金1万元")
    assert "结对台账累计：投入资金 26 万元" in reply
    assert many[0] == few[0] <= 2  # the sender's last update (a repeat?) and nothing else
    with Session(app.engine) as session:
        row = totals(session, Scope())[1]
        assert (row.funds_wan, row.people, row.updates) == (26, HISTORY, HISTORY + 3)  # the history counted


def test_a_report_is_parsed_once(app: App, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Deciding that a message is a report and recording it read the same parse (the parser is most of a
    report's Python time; a lost cache once made every report cost three parses)."""
    from models.services import parsing

    readings = [0]
    original = parsing._Reader.__init__

    def counted(self, text: str) -> None:  # type: ignore[no-untyped-def]
        readings[0] += 1
        original(self, text)

    monkeypatch.setattr(parsing._Reader, "__init__", counted)
    user = county_contact(app)
    [reply] = user.send(f"本月向结对县捐赠资金13万元，培训农民45人（{uuid.uuid4().hex}）")  # never parsed before
    assert "13 万元" in reply
    assert readings[0] == 1
