"""The review pages' language: how a request's locale is chosen, and the page bugs of issue 14 that were
about words and numbers (every notice recipient listed, a Chinese reason for an unconfigured channel,
plain numbers on the 万元 axis, the incomplete county list explained, one province order everywhere)."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from bot.app import App
from bot.db import unit_of_work
from bot.i18n import using
from bot.review.chart import line_chart
from models.registry import Contact
from models.services import ledger
from models.services.broadcast import report
from models.services.export import export_workbook
from models.services.ledger import Scope
from tests.i18n.checks import chinese_in, english_prose
from tests.review.conftest import client, clock, review_app, sign_in  # noqa: F401 (fixtures)
from tests.review.rich_seed import Rich, seed_rich
from tests.review.seed import NOW


@pytest.fixture
def rich(review_app: App) -> Rich:
    return seed_rich(review_app.engine)


def _heading(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)  # type: ignore[union-attr]


def test_the_page_language_follows_lang_then_the_admin_then_the_browser(client: TestClient, review_app: App,
                                                                       rich: Rich) -> None:
    assert "管理员登录" in client.get("/review/login").text  # nothing said: Chinese
    assert "Administrator sign-in" in client.get("/review/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert "管理员登录" in client.get("/review/login", headers={"Accept-Language": "fr, zh-CN;q=0.8, en;q=0.5"}).text
    sign_in(client)
    with unit_of_work(review_app.engine) as session:
        session.get(Contact, rich.ledger.admin).locale = "en"  # type: ignore[union-attr]
    page = client.get("/review/", headers={"Accept-Language": "zh-CN"}).text
    assert "Coverage of the key assistance counties" in page and '<html lang="en">' in page
    switched = client.get("/review/queue?page=1&lang=zh")
    assert switched.status_code == 303 and switched.headers["location"] == "/review/queue?page=1"
    assert "pairbot_lang=zh_CN" in switched.headers["set-cookie"]
    page = client.get("/review/queue").text  # the cookie (an explicit choice) wins over the admin's own
    assert _heading(page).startswith("审核队列") and 'href="?lang=en"' in page and "English" in page


def test_an_unknown_address_is_refused_in_the_pages_language(client: TestClient) -> None:
    assert client.get("/review/nothing-here").text == "没有找到该页面"
    client.cookies.set("pairbot_lang", "en", path="/review")
    assert client.get("/review/nothing-here").text == "Page not found"


def test_a_notice_lists_every_recipient_as_broadcast_status_counts_them(client: TestClient, review_app: App,
                                                                      rich: Rich) -> None:
    with unit_of_work(review_app.engine) as session:
        counts = report(session, rich.broadcast).counts
    sign_in(client)
    page = client.get(f"/review/broadcasts/{rich.broadcast}").text
    rows = re.findall(r'<tr class="delivery-(\w+)">', page)
    assert len(rows) == counts["total"] and rows.count("unreachable") == counts["unreachable"] > 0
    assert "没有可用的聊天账号" in page and "渠道 Telegram 未配置，未能发送。" in page
    assert "not configured" not in page and ">failed<" not in page and ">telegram<" not in page
    listing = client.get("/review/broadcasts").text
    assert f">{counts['total']}<" in listing
    client.cookies.set("pairbot_lang", "en", path="/review")
    page = client.get(f"/review/broadcasts/{rich.broadcast}").text
    assert "Not sent: the Telegram channel is not configured." in page and "No usable chat account" in page


def test_the_funds_axis_reads_plain_numbers_in_its_unit() -> None:
    svg = str(line_chart("累计投入资金", ["2026-10", "2026-11"], [3000.0, 12119.0], "万元", "#000"))
    assert "万<" not in svg and "12,119" in svg and "20,000" in svg and "累计投入资金（万元）" in svg


def test_the_matrix_says_the_county_list_is_incomplete_and_how_to_complete_it(client: TestClient, rich: Rich,
                                                                              review_app: App) -> None:
    sign_in(client)
    page = client.get("/review/").text
    with unit_of_work(review_app.engine) as session:
        known = ledger.known_counties(session)
    assert known < ledger.KEY_COUNTIES
    assert f"已登记 {known} 个，全国共 160 个" in page and "pairbot import counties FILE" in page


def test_totals_and_matrix_list_provinces_in_one_order(client: TestClient, rich: Rich) -> None:
    sign_in(client)
    matrix = client.get("/review/").text
    in_matrix = list(dict.fromkeys(re.findall(r"<tr[^>]*>\s*<td>([^<]+)</td>", matrix.split("<tbody>")[1])))
    totals = client.get("/review/totals").text.split('class="grid totals"')[1]
    in_totals = re.findall(r"<tr[^>]*>\s*<td>([^<]+)</td>", totals)[:-1]
    assert in_totals == in_matrix


def test_the_export_speaks_the_requesting_language(review_app: App, rich: Rich, tmp_path: Path) -> None:
    for locale, sheet, header in (("zh_CN", "社会组织", "社会组织名称"), ("en", "Organization", "Organization")):
        path = tmp_path / f"{locale}.xlsx"
        with using(locale):
            export_workbook(review_app.engine, path, Scope(), zone=review_app.settings.zone, year=2026, actor="test",
                            now=NOW)
        book = openpyxl.load_workbook(path)
        assert book.sheetnames[0] == sheet and book[sheet]["B1"].value == header
        cells = " ".join(str(c.value) for ws in book for row in ws.iter_rows(max_row=1) for c in row if c.value)
        if locale == "en":
            assert chinese_in(cells) == [] and "Statistics 2026" in book.sheetnames
        else:
            assert english_prose(cells) == []


def test_an_organizations_level_and_kind_and_the_import_note_follow_the_page_language(
        client: TestClient, review_app: App, rich: Rich) -> None:
    from models.pairing import Pairing, PairingStatus
    from models.registry import Organization
    from models.services.registry import set_pairing_status

    with unit_of_work(review_app.engine) as session:
        pairing = session.exec(select(Pairing).order_by(Pairing.id)).first()
        org = session.get(Organization, pairing.organization_id)
        org.level, org.kind = "全国性", "基金会"
        session.add(org)
        set_pairing_status(session, pairing, PairingStatus.suspended, "import", "导入")
        pairing_id = pairing.id
    sign_in(client)
    page = f"/review/pairings/{pairing_id}"
    client.get(page, params={"lang": "en"})  # sets the language, then redirects to the page
    english = client.get(page).text
    assert "national foundation" in english and "(Import)" in english and "导入" not in english, english
    client.get(page, params={"lang": "zh"})
    chinese = client.get(page).text
    assert "全国性 基金会" in chinese and "（导入）" in chinese
