"""The ledger's read side on SQLite and PostgreSQL: coverage and overdue rules, scope, totals, statistics."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.app import App
from bot.db import unit_of_work
from models.pairing import Agreement
from models.services.ledger import Scope, coverage, monthly_series, totals, update_page, year_statistics
from tests.review.seed import NOW, Ledger

ZONE = ZoneInfo("Asia/Shanghai")


def _by_name(rows):  # type: ignore[no-untyped-def]
    return {r.name: r for r in rows}


def test_coverage_counts_pairings_agreements_and_overdue(review_app: App, ledger: Ledger) -> None:
    with Session(review_app.engine) as session:
        data = coverage(session, Scope(), NOW, ZONE)
    rows = _by_name(data.rows)
    assert len(data.rows) == 97 and data.paired == 3
    buto, zhaojue, mashan = rows["布拖县"], rows["昭觉县"], rows["马山县"]
    assert (buto.active, buto.signed, buto.agreement_overdue) == (2, 1, 1)  # 爱德基金会 has no agreement
    assert buto.last_update == NOW - timedelta(days=2)  # 阿木's update, not yet filed under a pairing, counts
    assert buto.stale == 1  # 中国乡村发展基金会's last update there is 170 days old
    assert (zhaojue.active, zhaojue.signed, zhaojue.overdue) == (2 - 1, 1, False)
    assert zhaojue.last_update == NOW - timedelta(days=10)
    assert mashan.agreement_overdue == 1 and mashan.stale == 1  # no agreement, last update 110 days ago
    assert data.overdue == 2 and data.fully_signed == 1


def test_agreement_is_not_overdue_before_31_august(review_app: App, ledger: Ledger) -> None:
    july = NOW.replace(month=7, day=1)
    with Session(review_app.engine) as session:
        rows = _by_name(coverage(session, Scope(), july, ZONE).rows)
    assert rows["布拖县"].agreement_overdue == 0 and rows["马山县"].agreement_overdue == 0


def test_a_recorded_agreement_clears_the_overdue_flag(review_app: App, ledger: Ledger) -> None:
    with unit_of_work(review_app.engine) as session:
        # Signed late, recorded for the overdue season (pairbot agreement record --season 2026).
        session.add(Agreement(pairing_id=ledger.pairings["爱德-布拖"], season=NOW.year, signed_on=NOW.date(), amount_wan=30))
    with Session(review_app.engine) as session:
        buto = _by_name(coverage(session, Scope(), NOW, ZONE).rows)["布拖县"]
    assert (buto.signed, buto.agreement_overdue, buto.stale) == (2, 0, 1)  # still stale: no recent update


def test_scope_limits_every_query_to_the_admins_provinces(review_app: App, ledger: Ledger) -> None:
    guangxi = Scope(("广西壮族自治区",))
    with Session(review_app.engine) as session:
        rows = coverage(session, guangxi, NOW, ZONE).rows
        assert {r.province for r in rows} == {"广西壮族自治区"} and len(rows) == 20
        assert Scope(("广西壮族自治区",)).narrowed("四川省").provinces == ()  # a filter cannot widen a scope
        assert coverage(session, guangxi.narrowed("四川省"), NOW, ZONE).rows == []
        updates = update_page(session, guangxi)
        assert [r.county_name for r in updates.rows] == ["马山县"]
        by_province, overall = totals(session, guangxi)
        assert [t.province for t in by_province] == ["广西壮族自治区"]
        assert overall.funds_wan == 5 and overall.people == 120
        assert [(r.county, r.organization) for r in year_statistics(session, guangxi, 2026)] == \
            [("马山县", "中国乡村发展基金会")]


def test_totals_answer_where_whom_how_much_and_effect(review_app: App, ledger: Ledger) -> None:
    with Session(review_app.engine) as session:
        by_province, overall = totals(session, Scope())
    sichuan = next(t for t in by_province if t.province == "四川省")
    # Flagged updates (the <script> one, the 20亿 one) are not counted until a reviewer accepts them.
    assert (sichuan.paired_counties, sichuan.organizations, sichuan.active_pairings) == (2, 3, 3)
    assert (sichuan.agreements, sichuan.agreed_wan) == (2, 150)
    assert (sichuan.funds_wan, sichuan.sales_wan, sichuan.households, sichuan.people, sichuan.projects) == \
        (50, 12, 170, 156, 2)
    assert sichuan.fields == {"产业": 2, "消费": 1, "就业": 1}
    assert overall.organizations == 3  # 中国乡村发展基金会 works in two provinces, counted once
    assert overall.funds_wan == 55 and overall.counties == 97 and overall.paired_counties == 3


def test_monthly_series_is_cumulative_in_local_months(review_app: App, ledger: Ledger) -> None:
    with Session(review_app.engine) as session:
        points = monthly_series(session, Scope())
    # Months without counted updates (September, October) keep their place on the time axis.
    assert [p.month for p in points] == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert [p.cumulative_funds_wan for p in points] == [30, 50, 50, 55, 55, 55, 55]
    assert [p.funds_wan for p in points][-3:] == [0, 0, 0]
    assert points[-1].cumulative_households == 170


def test_year_statistics_rows_per_organization_and_county(review_app: App, ledger: Ledger) -> None:
    with Session(review_app.engine) as session:
        rows = {(r.county, r.organization): r for r in year_statistics(session, Scope(), 2026)}
        assert list(year_statistics(session, Scope(), 2025))[0].funds_wan == 0  # pairings listed, no figures
    zhaojue = rows[("昭觉县", "四川省扶贫基金会")]
    assert (zhaojue.agreed_wan, zhaojue.funds_wan, zhaojue.sales_wan, zhaojue.households, zhaojue.people,
            zhaojue.projects, zhaojue.fields) == (50, 30, 12, 132, 156, 2, ["产业", "就业", "消费"])
    assert rows[("布拖县", "爱德基金会")].funds_wan == 0 and rows[("布拖县", "爱德基金会")].agreed_wan is None
    assert len(rows) == 4
