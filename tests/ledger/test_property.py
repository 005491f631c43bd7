"""Property: for any ledger, the web totals, the Excel 统计表 合计 and the sum of the 进展 sheet agree,
and all equal what a careful official computes by hand (an independent model of the rule below).

Rule (README, "Running totals"): per account (a pairing, or the sender of updates with no pairing),
counted updates in the order sent; an increment adds, a running total replaces; withdrawn, rejected
and still-flagged updates do not count.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import load_workbook
from sqlalchemy import Engine, delete
from sqlmodel import Session

from bot.db import unit_of_work
from models.ledger import LedgerCountyMonth, LedgerMonth
from models.reporting import ProgressEdit, ProgressUpdate, ReviewStatus
from models.services import review
from models.services.export import export_workbook
from models.services.ledger import Scope, totals
from models.services.sums import LEDGER_ZONE
from tests.ledger.world import World, build

ACCOUNTS = ["一-布拖", "二-布拖", "一-昭觉", None]  # None: no pairing chosen (the 布拖 contact's own account)
KEYS = ("funds_wan", "households", "people")

money = st.one_of(st.none(), st.integers(0, 5000).map(lambda n: n / 4))
count = st.one_of(st.none(), st.integers(0, 2000))
step = st.fixed_dictionaries({
    "account": st.sampled_from(ACCOUNTS),
    "funds_wan": money, "households": count, "people": count,
    "cumulative": st.lists(st.sampled_from(KEYS), unique=True, max_size=2),
    "fate": st.sampled_from(["keep", "keep", "keep", "withdraw", "reject", "flag", "correct", "move"]),
    "correction": money,
})


def _expected(steps: list[dict[str, Any]]) -> dict[str, float]:
    """The hand computation: per account, walk the counted updates in order."""
    accounts: dict[Any, dict[str, float]] = {}
    for s in steps:
        if s["fate"] in ("withdraw", "reject", "flag"):
            continue
        values = {**{k: s[k] for k in KEYS}, **({"funds_wan": s["correction"]} if s["fate"] == "correct" else {})}
        account = accounts.setdefault("一-布拖" if s["fate"] == "move" else s["account"], {})
        for key in KEYS:
            if values[key] is None:
                continue
            account[key] = values[key] if key in s["cumulative"] else account.get(key, 0) + values[key]
    return {key: sum(a.get(key, 0) for a in accounts.values()) for key in KEYS}


def _play(world: World, steps: list[dict[str, Any]]) -> None:
    ids = []
    for s in steps:
        status = ReviewStatus.flagged if s["fate"] in ("flag", "reject") else ReviewStatus.received
        account = s["account"] if s["fate"] != "move" else None
        ids.append(world.add("布拖联络员", account, status=status, cumulative=tuple(s["cumulative"]),
                             **{k: s[k] for k in KEYS}))
    for update_id, s in zip(ids, steps):  # later events, in an order unlike the sending order
        with unit_of_work(world.engine) as session:
            update = session.get(ProgressUpdate, update_id)
            if s["fate"] == "withdraw":
                update.withdrawn_at = world.tick()
            elif s["fate"] == "reject":
                review.reject(session, Scope(), update_id, "test", world.tick(), "不实")
            elif s["fate"] == "correct":
                figures = review.read_figures(
                    {**{k: "" if update.__dict__[k] is None else str(update.__dict__[k]) for k in KEYS},
                     "funds_wan": "" if s["correction"] is None else str(s["correction"]),
                     **{f"cumulative_{k}": "1" for k in s["cumulative"]}}, ["产业"])
                review.correct(session, Scope(), update_id, figures, "test", world.tick())
            elif s["fate"] == "move":
                update.pairing_id = world.pairings["一-布拖"]
            session.add(update)


def _reset(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        for table in (ProgressEdit, LedgerCountyMonth, LedgerMonth, ProgressUpdate):
            session.execute(delete(table))


def _sheet_sums(path: Path) -> tuple[dict[str, float], dict[str, float]]:
    """(sum of the 进展 sheet's 计入台账 columns, the 统计表's 合计 row)."""
    book = load_workbook(path, read_only=True)
    rows = list(book["进展"].iter_rows(values_only=True))
    header = rows[0]
    ledger = {key: sum(r[header.index(f"计入台账：{label}")] or 0 for r in rows[1:])
              for key, label in (("funds_wan", "投入资金"), ("households", "户数"), ("people", "人数"))}
    stats = list(book["2026年度统计"].iter_rows(values_only=True))
    head, total = stats[1], stats[-1]
    assert total[0] == "合计"
    statistics = {key: total[head.index(label)] or 0 for key, label in (
        ("funds_wan", "投入资金（万元）"), ("households", "受益户数"), ("people", "受益人数"))}
    return ledger, statistics


@pytest.fixture
def world(engine: Engine) -> World:
    return build(engine)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_web_excel_and_updates_sheet_agree_with_the_hand_computation(
    world: World, tmp_path: Path, steps: list[dict[str, Any]]
) -> None:
    _reset(world.engine)
    world.clock = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    _play(world, steps)
    expected = _expected(steps)
    with Session(world.engine) as session:
        _, overall = totals(session, Scope())
    web = {key: getattr(overall, key) for key in KEYS}
    out = tmp_path / "ledger.xlsx"
    export_workbook(world.engine, out, Scope(), zone=LEDGER_ZONE, year=2026, actor="test")
    sheet, statistics = _sheet_sums(out)
    for key in KEYS:
        assert web[key] == pytest.approx(expected[key], abs=1e-6), (key, steps)
        assert sheet[key] == pytest.approx(expected[key], abs=1e-6), (key, steps)
        assert statistics[key] == pytest.approx(expected[key], abs=1e-6), (key, steps)
