"""The 通知回执 page lists the contacts who sent 退订, within the admin's provinces."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from bot.app import App
from bot.db import unit_of_work
from models.registry import Contact
from models.services.registry import pause_contact
from tests.review.conftest import sign_in
from tests.review.seed import NOW, Ledger


def test_the_notices_page_lists_who_paused(review_app: App, ledger: Ledger, client: TestClient) -> None:
    with unit_of_work(review_app.engine) as session:
        contact = session.get(Contact, ledger.county_contact)  # 阿木, 布拖县 (四川)
        pause_contact(session, contact, "test", NOW - timedelta(days=1))  # type: ignore[arg-type]
    sign_in(client)
    page = client.get("/review/broadcasts").text
    assert "已退订的联系人" in page and "<td>阿木</td><td>县联络员（四川省布拖县）</td>" in page


def test_an_admin_of_another_province_does_not_see_them(review_app: App, ledger: Ledger, client: TestClient) -> None:
    with unit_of_work(review_app.engine) as session:
        pause_contact(session, session.get(Contact, ledger.county_contact), "test", NOW)  # type: ignore[arg-type]
    sign_in(client, "李处长")  # 广西 only
    page = client.get("/review/broadcasts").text
    assert "阿木" not in page and "没有联系人退订。" in page
