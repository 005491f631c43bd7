"""The county page's figures: its pairings, its unfiled updates (未指定结对) and a county total, read from the
ledger the same way `pairbot ledger totals`, /review/totals and the export read them."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from sqlmodel import select
from starlette.testclient import TestClient

from bot.app import App
from bot.db import unit_of_work
from models.registry import Contact, Role
from models.reporting import ProgressUpdate
from models.services.access import set_password
from models.services.reports import record_update
from tests.factories import CODES, add_org, county_id, load_counties, pair
from tests.review.conftest import sign_in
from tests.review.seed import NOW, PASSWORD
from tests.test_cli import pairbot


def _contact(app: App, name: str, role: Role, **scope: object) -> Contact:
    with unit_of_work(app.engine) as session:
        contact = Contact(name=name, role=role, **scope)  # type: ignore[arg-type]
        session.add(contact)
        session.flush()
        if role == Role.admin:
            set_password(session, contact, PASSWORD, "test", NOW)
        session.expunge(contact)
        return contact


def _report(app: App, contact: Contact, text: str, days_ago: int) -> None:
    with unit_of_work(app.engine) as session:
        sender = session.get(Contact, contact.id)
        record_update(session, sender, text, "console", NOW - timedelta(days=days_ago))  # type: ignore[arg-type]


def _row(html: str, label: str) -> list[str]:
    """The cells of the pairings table's row that starts with `label` (tags stripped)."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if cells and cells[0] == label:
            return cells
    raise AssertionError(f"no row {label!r}")


def test_county_page_counts_unfiled_updates_and_totals_as_the_ledger_does(
        client: TestClient, review_app: App, db_url: str, tmp_path: Path) -> None:
    load_counties(review_app.engine)
    buto = county_id(review_app.engine, "布拖县")
    xiangfa, aide = add_org(review_app.engine, "中国乡村发展基金会", CODES[0]), add_org(review_app.engine, "爱德基金会", CODES[1])
    pair(review_app.engine, xiangfa, buto)
    pair(review_app.engine, aide, buto)
    _contact(review_app, "王主任", Role.admin)
    amu = _contact(review_app, "阿木", Role.county, county_id=buto)  # two pairings: never says which one
    zhang = _contact(review_app, "张敏", Role.organization, organization_id=xiangfa)  # one pairing: filed
    _report(review_app, amu, "本月投入资金100万元，带动64户。", 30)
    _report(review_app, amu, "截至目前累计投入帮扶资金120万元。", 20)  # a running total: 120, not 220
    _report(review_app, zhang, "投入帮扶资金19万元，开展技能培训。", 10)
    with unit_of_work(review_app.engine) as session:
        filed = {u.raw_text[:4]: u.pairing_id for u in session.exec(select(ProgressUpdate)).all()}
    assert filed == {"本月投入": None, "截至目前": None, "投入帮扶": filed["投入帮扶"]} and filed["投入帮扶"]

    cli = pairbot("ledger", "totals", "--json", "--province", "四川", cwd=tmp_path, env={"PAIRBOT_DATABASE__URL": db_url})
    assert cli.returncode == 0, cli.stderr
    sichuan = next(row for row in json.loads(cli.stdout) if row["province"] == "四川省")
    assert (sichuan["funds_wan"], sichuan["households"], sichuan["updates"]) == (139, 64, 3)

    sign_in(client)
    page = client.get(f"/review/counties/{buto}").text
    assert _row(page, "中国乡村发展基金会")[3:6] == ["19", "0", "1"]
    assert _row(page, "未指定结对")[3:6] == ["120", "64", "2"]
    total = _row(page, "本县合计")
    assert total[3:6] == [f"{sichuan['funds_wan']:g}", str(sichuan["households"]), str(sichuan["updates"])]
