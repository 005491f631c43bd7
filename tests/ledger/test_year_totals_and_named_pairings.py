"""A stranger's reports: what a careful official reads in them is what the ledger sums."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from models.services.ledger import Scope, totals
from models.services.parsing import YEAR_TO_DATE, parse_update
from models.services.sums import figures_by
from bot.app import App
from models.registry import Role
from models.reporting import ProgressUpdate
from sqlmodel import select
from tests.conftest import simulator
from tests.factories import CODES, add_org, county_id, invite, load_counties, pair
from tests.ledger.world import World, build


def _updates(app: App) -> list[ProgressUpdate]:
    with Session(app.engine) as session:
        return list(session.exec(select(ProgressUpdate).order_by(ProgressUpdate.id)).all())


@pytest.fixture
def world(engine: Engine) -> World:
    return build(engine)


@pytest.mark.parametrize("text", [
    "本月投入资金20万元，全年累计投入资金300万元",
    "全年累計投入資金300萬元，帶動農戶1200戶",
    "当年累计投入资金300万元",
    "当年度累计到位资金300万元",
    "年内累计投入帮扶资金300万元",
])
def test_a_total_of_the_whole_year_runs_from_january(text: str) -> None:
    parsed = parse_update(text)
    assert parsed.funds_wan == 300 and "funds_wan" in parsed.cumulative and YEAR_TO_DATE in parsed.cumulative


@pytest.mark.parametrize("text", [
    "去年全年累计投入资金300万元",
    "2025年全年累计投入资金300万元",
    "三年内累计投入资金300万元",
    "结对当年投入50万元，截至目前累计投入300万元",
])
def test_a_total_of_another_span_is_no_total_of_this_year(text: str) -> None:
    parsed = parse_update(text)
    assert parsed.funds_wan == 300 and "funds_wan" in parsed.cumulative and YEAR_TO_DATE not in parsed.cumulative


def test_this_years_total_keeps_the_years_before(world: World) -> None:
    """500 put in during 2026, then in 2027 "全年累计投入资金300万元": 800 in all, 300 in 2027 — not 300 in all."""
    world.add("布拖联络员", "一-布拖", funds_wan=500)
    world.clock += timedelta(days=365)  # into 2027
    world.add("布拖联络员", "一-布拖", funds_wan=100)
    parsed = parse_update("本月投入资金20万元，全年累计投入资金300万元")
    world.add("布拖联络员", "一-布拖", cumulative=tuple(parsed.cumulative), funds_wan=parsed.funds_wan)
    with Session(world.engine) as session:
        assert figures_by(session, Scope(), "all", year=2027)[None].funds_wan == 300
        assert totals(session, Scope())[1].funds_wan == 800


def test_figures_said_of_two_of_the_senders_pairings_wait_for_a_reviewer(app: App) -> None:
    """"向布拖县投入10万元，向昭觉县投入20万元" is one update: filed under either pairing it would put all 30 there,
    so it waits for a reviewer to share the figures out — and stays waiting once a pairing is chosen."""
    load_counties(app.engine)
    org = add_org(app.engine, "中国社会福利基金会", CODES[0])
    pair(app.engine, org, county_id(app.engine, "布拖县"))
    pair(app.engine, org, county_id(app.engine, "昭觉县"))
    user = simulator(app, "o1")
    user.send(f"绑定 {invite(app.engine, Role.organization, org=org)}")
    [asked] = user.send("本月向布拖县投入资金10万元，向昭觉县投入资金20万元")
    assert "提到多个结对，数字需分别核对" in asked
    user.press(1)
    [both] = _updates(app)
    assert both.pairing_id is not None and both.review_status == "flagged"
    with Session(app.engine) as session:
        assert totals(session, Scope())[1].funds_wan == 0
    [one] = user.send("向布拖县捐赠图书价值2万元")  # one pairing named: filed and counted
    assert "核对" not in one
    with Session(app.engine) as session:
        assert totals(session, Scope())[1].funds_wan == 2


@pytest.mark.parametrize("text", ["投入资金.5万元", "投入资金．5万元，帮扶12户", "已完成.5万元用于修路", "帮扶.8万户"])
def test_a_number_opening_with_its_decimal_point_counts_nothing_and_is_flagged(text: str) -> None:
    """".5万元" is 0.5 万元, or a full stop before 5 万元: never the 5 (ten times 0.5) it used to count."""
    parsed = parse_update(text)
    assert parsed.funds_wan is None and parsed.households in (None, 12) and "数字异常" in parsed.flags


@pytest.mark.parametrize(("text", "funds"), [("投入资金0.5万元", 0.5), ("1.投入资金5万元.2.帮扶10户", 5),
                                             ("捐款50000元整，收据编号NO.0012345", 5)])
def test_a_decimal_point_inside_or_after_a_number_still_reads(text: str, funds: float) -> None:
    parsed = parse_update(text)
    assert parsed.funds_wan == funds and not parsed.flags


@pytest.mark.parametrize("text", ["累计投入资金300万元，今年累计投入80万元", "截至目前累计投入资金300万元，今年以来累计投入80万元",
                                  "结对以来累计投入资金300万元，今年累计投入80万元", "今年累计投入80万元，累计投入资金300万元"])
def test_this_years_total_beside_the_total_to_date_is_inside_it(text: str) -> None:
    """300 to date, of which 80 this year: 300, a total to date — not 380, and not a total of this year."""
    parsed = parse_update(text)
    assert parsed.funds_wan == 300 and parsed.cumulative == ("funds_wan",)


def test_a_total_to_last_years_end_and_this_years_total_make_a_total_to_date() -> None:
    """截至去年底累计300 + 今年累计80 is 380 to date: not a total of this year, which would count 300 twice."""
    for text in ("截至去年底累计投入300万元，今年累计投入80万元", "截至去年底累计投入300万元，今年累计投入80万元，本月投入10万元"):
        parsed = parse_update(text)
        assert parsed.funds_wan == 380 and parsed.cumulative == ("funds_wan",)


def test_a_total_to_date_beside_this_years_leaves_the_years_before_alone(world: World) -> None:
    """200 in 2026; in 2027 "累计投入资金300万元，今年累计投入80万元": 300 in all (100 of it in 2027), not 580."""
    world.add("布拖联络员", "一-布拖", funds_wan=200)
    world.clock += timedelta(days=365)  # into 2027
    parsed = parse_update("累计投入资金300万元，今年累计投入80万元")
    world.add("布拖联络员", "一-布拖", cumulative=tuple(parsed.cumulative), funds_wan=parsed.funds_wan)
    with Session(world.engine) as session:
        assert totals(session, Scope())[1].funds_wan == 300
        assert figures_by(session, Scope(), "all", year=2027)[None].funds_wan == 100
