"""操作日志: the audit page (filters, pages, scope, escaping, absurd input) and the export's 操作日志 sheet."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import openpyxl
from starlette.testclient import TestClient

from bot.app import App
from bot.db import unit_of_work
from models.messaging import AuditLog
from models.projects import Need
from models.registry import Group
from models.services.export import export_workbook
from models.services.ledger import Scope
from tests.review.conftest import sign_in
from tests.review.seed import NOW, Ledger
from tests.review.test_export import ZONE, _records

ROW = re.compile(r"<tr>\s*<td>(\d{4}-\d\d-\d\d \d\d:\d\d)</td>")


def _entries(app: App, ledger: Ledger) -> dict[str, str]:
    """Entries about both provinces, 李处长's own action in 四川, and one with markup in every field."""
    with unit_of_work(app.engine) as session:
        group = Group(channel="telegram", chat_id="-1001", title="马山县工作群", province="广西壮族自治区")
        need = Need(county_id=ledger.counties["马山县"], title="饮水工程")
        session.add_all([group, need])
        session.flush()
        targets = {"zhaojue": f"pairing:{ledger.pairings['川扶-昭觉']}", "mashan": f"pairing:{ledger.pairings['乡发-马山']}",
                   "amu": f"contact:{ledger.county_contact}", "group": f"group:{group.id}", "need": f"need:{need.id}",
                   "update": f"update:{ledger.flagged[0]}"}
        at = NOW - timedelta(days=1)
        session.add_all([
            AuditLog(at=at, actor="cli", action="pairing.suspended", target=targets["zhaojue"], details={"reason": "调整"}),
            AuditLog(at=at, actor="cli", action="pairing.ended", target=targets["mashan"], details={"reason": "期满"}),
            AuditLog(at=at, actor="test", action="contact.pause", target=targets["amu"]),
            AuditLog(at=at, actor="cli", action="group.tag", target=targets["group"], details={"province": "广西壮族自治区"}),
            AuditLog(at=at, actor="cli", action="need.publish", target=targets["need"]),
            AuditLog(at=at, actor=f"contact:{ledger.gx_admin} via web", action="review.accept", target=targets["update"]),
            AuditLog(at=NOW - timedelta(days=40), actor="<b>bold</b>", action="<i>act</i>", target="<u>t</u>",
                     details={"note": "<script>alert(1)</script>", "link": "http://x/review/login/SECRETTOKEN"}),
        ])
    return targets


def _page(client: TestClient, **params: str) -> str:
    response = client.get("/review/audit", params=params)
    assert response.status_code == 200, response.text
    return response.text


def test_all_province_admins_see_everything_and_filter_it(client: TestClient, review_app: App, ledger: Ledger) -> None:
    targets = _entries(review_app, ledger)
    sign_in(client)
    page = _page(client)
    assert '<a href="/review/audit" class="current">操作日志</a>' in page
    for target in targets.values():
        assert target in page
    assert "&lt;script&gt;" in page and "<script>" not in page and "<b>bold</b>" not in page
    assert "SECRETTOKEN" not in page  # login links are masked in details

    pairings = _page(client, action="pairing.")
    assert targets["zhaojue"] in pairings and targets["mashan"] in pairings and targets["amu"] not in pairings
    assert f'<a href="/review/pairings/{ledger.pairings["川扶-昭觉"]}">' in pairings and "结对调整" in pairings
    by_name = _page(client, actor="李处长")
    assert "李处长（审核页面）" in by_name and targets["update"] in by_name and targets["zhaojue"] not in by_name
    assert targets["amu"] in _page(client, actor="tes")  # the start of a recorded actor
    old = _page(client, **{"from": "2026-10-01", "to": "2026-10-15"})
    assert "&lt;u&gt;t&lt;/u&gt;" in old and targets["zhaojue"] not in old
    assert "没有符合条件的记录" in _page(client, action="nothing.")


def test_province_admins_see_their_provinces_and_their_own_actions(client: TestClient, review_app: App,
                                                                   ledger: Ledger) -> None:
    targets = _entries(review_app, ledger)
    sign_in(client, "李处长")
    page = _page(client)
    for seen in ("mashan", "group", "need", "update"):  # the 四川 update: his own review
        assert targets[seen] in page, seen
    for hidden in ("zhaojue", "amu"):
        assert targets[hidden] not in page, hidden
    assert "review.login" in page and "&lt;script&gt;" not in page  # his sign-in; not the unscoped entry


def test_absurd_filters_are_refused_and_pages_past_the_end_are_not_found(client: TestClient, review_app: App,
                                                                         ledger: Ledger) -> None:
    with unit_of_work(review_app.engine) as session:
        session.add_all([AuditLog(at=NOW, actor="cli", action=f"test.{n}") for n in range(60)])
    sign_in(client)
    assert len(ROW.findall(_page(client))) == 50
    assert len(ROW.findall(_page(client, page="2"))) > 10  # unfiltered too: the 60, the sign-in and the seed's
    second = _page(client, action="test.", page="2")
    assert len(ROW.findall(second)) == 10 and 'href="/review/audit?action=test.&amp;page=1"' in second
    for params in ({"from": "99999-01-01"}, {"from": "2026-13-01"}, {"to": "1899-12-31"}, {"from": "9999-12-31"},
                   {"from": "2026-11-02", "to": "2026-11-01"}, {"actor": "x" * 200}, {"action": "y" * 65},
                   {"page": "abc"}, {"page": "0"}, {"page": "-1"}, {"page": "9" * 40}):
        response = client.get("/review/audit", params=params)
        assert response.status_code == 400, params
        assert "notice error" in response.text and response.headers["content-security-policy"]
    assert client.get("/review/audit", params={"page": "999999"}).status_code == 404
    assert client.get("/review/audit", params={"from": "<script>"}).text.count("<script>") == 0


def test_the_export_has_an_audit_sheet_scoped_like_the_page(client: TestClient, review_app: App, ledger: Ledger,
                                                             tmp_path: Path) -> None:
    targets = _entries(review_app, ledger)
    path = tmp_path / "all.xlsx"
    export_workbook(review_app.engine, path, Scope(), zone=ZONE, year=2026, actor="test", now=NOW)
    rows = _records(openpyxl.load_workbook(path)["操作日志"])
    assert {targets[k] for k in targets} <= {r["对象"] for r in rows}
    marked = next(r for r in rows if r["对象"] == "<u>t</u>")
    assert "SECRETTOKEN" not in marked["详情"] and marked["操作人"] == "<b>bold</b>"
    accepted = next(r for r in rows if r["操作代码"] == "review.accept")
    assert (accepted["操作人"], accepted["操作"]) == ("李处长（审核页面）", "审核通过")
    assert accepted["时间"] == (NOW - timedelta(days=1)).astimezone(ZONE).replace(tzinfo=None)

    guangxi = tmp_path / "gx.xlsx"  # the command line's --province: the province's entries, nobody's own
    export_workbook(review_app.engine, guangxi, Scope(("广西壮族自治区",)), zone=ZONE, year=2026, actor="cli", now=NOW)
    assert {r["对象"] for r in _records(openpyxl.load_workbook(guangxi)["操作日志"])} == {
        targets["mashan"], targets["group"], targets["need"]}

    csrf = sign_in(client, "李处长")  # the download: his provinces and his own actions
    download = tmp_path / "download.xlsx"
    download.write_bytes(client.post("/review/export", data={"csrf": csrf}).content)
    seen = {r["对象"] for r in _records(openpyxl.load_workbook(download)["操作日志"])}
    assert {targets["mashan"], targets["group"], targets["need"], targets["update"]} <= seen
    assert targets["zhaojue"] not in seen and targets["amu"] not in seen and "<u>t</u>" not in seen
