"""The review pages over HTTP: what they show, the review actions, escaping, and the admin's provinces."""

from __future__ import annotations

import re

from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.app import App
from models.messaging import AuditLog
from models.reporting import ProgressEdit, ProgressUpdate, ReviewStatus
from tests.review.conftest import Clock, sign_in
from tests.review.seed import XSS, Ledger


def _update(app: App, update_id: int) -> ProgressUpdate:
    with Session(app.engine) as session:
        row = session.get(ProgressUpdate, update_id)
        assert row is not None
        return row


def _actions(app: App) -> list[str]:
    with Session(app.engine) as session:
        return [a.action for a in session.exec(select(AuditLog).where(AuditLog.action.like("review.%"))
                                               .order_by(AuditLog.id)).all()]


def test_user_text_is_escaped_everywhere(client: TestClient, ledger: Ledger) -> None:
    sign_in(client)
    buto = ledger.counties["布拖县"]
    for path in ("/review/queue", f"/review/updates/{ledger.flagged[0]}", f"/review/counties/{buto}"):
        html = client.get(path).text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;本月走访了解情况" in html, path
        assert "<script>" not in html, path
    assert XSS.startswith("<script>")


def test_matrix_filters_by_province_and_overdue(client: TestClient, ledger: Ledger) -> None:
    sign_in(client)
    page = client.get("/review/", params={"province": "四川省"}).text
    assert "布拖县" in page and "昭觉县" in page and "马山县" not in page
    assert "共 <strong>25</strong> 个县" in page and "协议逾期 1" in page
    for typed in ("四川", " 四川省 "):  # the short form, or spaces around the full one, name the same province
        short = client.get("/review/", params={"province": typed}).text
        assert "共 <strong>25</strong> 个县" in short and "马山县" not in short, typed
    overdue = client.get("/review/", params={"only": "overdue"}).text
    assert re.findall(r'counties/\d+">([^<]+)</a>', overdue) == ["马山县", "布拖县"]


def test_county_and_pairing_pages_show_the_timeline_with_figures(client: TestClient, ledger: Ledger) -> None:
    sign_in(client)
    county = client.get(f"/review/counties/{ledger.counties['昭觉县']}").text
    assert "四川省扶贫基金会" in county and "蔬菜大棚" in county and "<dd>30 万元</dd>" in county
    pairing = client.get(f"/review/pairings/{ledger.pairings['乡发-布拖']}").text
    assert "中国乡村发展基金会 ↔ 布拖县" in pairing and "2026-08-01 签订，100 万元" in pairing
    assert "藏白菊" in pairing and "<dd>38 户</dd>" in pairing and "马山县教育帮扶" not in pairing


def test_every_timeline_link_opens_even_for_a_withdrawn_update(client: TestClient, review_app: App,
                                                               ledger: Ledger) -> None:
    """Links on the county and pairing timelines keep the /review prefix, and a withdrawn update's page
    (its withdraw edit has no new figures) renders."""
    from bot.db import unit_of_work

    with unit_of_work(review_app.engine) as session:
        update = session.get(ProgressUpdate, ledger.flagged[0])
        update.withdrawn_at = update.created_at
        session.add(ProgressEdit(update_id=update.id, kind="withdraw", actor="test", old_text=update.raw_text,
                                 edited_at=update.created_at))
        session.add(update)
    sign_in(client)
    for page in (f"/review/counties/{ledger.counties['布拖县']}", f"/review/pairings/{ledger.pairings['乡发-布拖']}"):
        links = set(re.findall(r'href="(/[^"]*updates/\d+)"', client.get(page).text))
        assert links and all(link.startswith("/review/updates/") for link in links), links
        assert all(client.get(link).status_code == 200 for link in links)
    assert client.get(f"/review/updates/{ledger.flagged[0]}").status_code == 200


def test_accept_from_the_queue(client: TestClient, review_app: App, ledger: Ledger) -> None:
    csrf = sign_in(client)
    queue = client.get("/review/queue").text
    assert "待核对 2 条" in queue and "未识别出数字或帮扶领域" in queue
    first = ledger.flagged[0]
    response = client.post(f"/review/updates/{first}/accept", data={"csrf": csrf, "next": "/review/queue"})
    assert response.status_code == 303 and response.headers["location"] == f"/review/queue?done=accept:{first}"
    after = client.get(response.headers["location"]).text
    assert f"进展 #{first} 已通过" in after and "待核对 1 条" in after
    assert _update(review_app, first).review_status == ReviewStatus.accepted
    assert _actions(review_app)[-1] == "review.accept"


def test_correct_records_a_review_edit_and_enters_the_ledger(client: TestClient, review_app: App,
                                                            ledger: Ledger) -> None:
    csrf = sign_in(client)
    big = ledger.flagged[1]
    form = {"csrf": csrf, "funds_wan": "20", "households": "10", "people": "", "fields": ["产业", "就业"],
            "note": "核实为20万元", "next": f"/review/updates/{big}"}
    response = client.post(f"/review/updates/{big}/correct", data=form)
    assert response.status_code == 303
    update = _update(review_app, big)
    assert (update.funds_wan, update.households, update.fields, update.review_status, update.review_note) == \
        (20, 10, ["产业", "就业"], ReviewStatus.accepted, "核实为20万元")
    assert update.raw_text == "本月投入资金20亿元，带动10户。"  # the words as sent are never changed
    with Session(review_app.engine) as session:
        [edit] = session.exec(select(ProgressEdit).where(ProgressEdit.update_id == big)).all()
        assert edit.kind == "review" and edit.old_parsed["funds_wan"] == 200000 and edit.new_parsed["funds_wan"] == 20
        assert edit.actor == f"contact:{ledger.admin} via web"
        [audited] = session.exec(select(AuditLog).where(AuditLog.action == "review.correct")).all()
        assert audited.target == f"update:{big}" and audited.details["new"]["households"] == 10
    page = client.get(response.headers["location"]).text
    assert f"进展 #{big} 已更正并通过" in page and "审核更正" in page and "已审核" in page
    assert "王主任（审核页面）" in page and 'name="funds_wan" inputmode="decimal" value="20"' in page
    totals = client.get("/review/totals").text
    assert "<strong>75</strong> 万元" in totals  # 55 before, plus the corrected 20


def test_bad_correction_names_the_field_and_changes_nothing(client: TestClient, review_app: App,
                                                            ledger: Ledger) -> None:
    csrf = sign_in(client)
    big = ledger.flagged[1]
    for value, message in (("二十", "投入资金应为数字"), ("-5", "投入资金不能为负数"), ("inf", "投入资金应为有限的数字"),
                           ("1e308", "投入资金不能超过 1,000,000万元"), ("nan", "投入资金应为有限的数字")):
        response = client.post(f"/review/updates/{big}/correct", data={"csrf": csrf, "funds_wan": value})
        assert response.status_code == 400 and message in response.text
        assert f'value="{value}"' in response.text  # what the reviewer typed is kept in the form
    response = client.post(f"/review/updates/{big}/correct", data={"csrf": csrf, "households": "3.5"})
    assert response.status_code == 400 and "户数应为整数" in response.text
    assert _update(review_app, big).review_status == ReviewStatus.flagged and _actions(review_app) == ["review.login"]


def test_reject_needs_a_reason(client: TestClient, review_app: App, ledger: Ledger) -> None:
    csrf = sign_in(client)
    first = ledger.flagged[0]
    refused = client.post(f"/review/updates/{first}/reject", data={"csrf": csrf, "note": " "})
    assert refused.status_code == 400 and "请填写退回原因" in refused.text
    for action in ("reject", "accept"):  # the note goes to the sender and the audit log as written: a short one
        long = client.post(f"/review/updates/{first}/{action}", data={"csrf": csrf, "note": "无关" * 50_000})
        assert long.status_code == 400 and "原因最多 500 字（实际 100000 字）" in long.text
    assert _update(review_app, first).review_status == ReviewStatus.flagged
    done = client.post(f"/review/updates/{first}/reject", data={"csrf": csrf, "note": "内容与帮扶无关",
                                                                 "next": "/review/queue"})
    assert done.status_code == 303
    update = _update(review_app, first)
    assert update.review_status == ReviewStatus.rejected and update.review_note == "内容与帮扶无关"
    assert _actions(review_app)[-1] == "review.reject"


def test_a_province_admin_sees_only_their_provinces(client: TestClient, review_app: App, ledger: Ledger) -> None:
    csrf = sign_in(client, "李处长")
    matrix = client.get("/review/").text
    assert "李处长（广西壮族自治区）" in matrix and "马山县" in matrix and "布拖县" not in matrix
    assert "四川省" not in matrix  # not even in the province filter
    assert client.get("/review/", params={"province": "四川省"}).text.count("counties/") == 0
    assert client.get(f"/review/counties/{ledger.counties['布拖县']}").status_code == 404
    assert client.get(f"/review/pairings/{ledger.pairings['乡发-布拖']}").status_code == 404
    assert client.get(f"/review/updates/{ledger.flagged[0]}").status_code == 404
    assert "待核对 0 条" in client.get("/review/queue").text
    response = client.post(f"/review/updates/{ledger.flagged[0]}/accept", data={"csrf": csrf})
    assert response.status_code == 404
    assert _update(review_app, ledger.flagged[0]).review_status == ReviewStatus.flagged
    totals = client.get("/review/totals").text
    assert "广西壮族自治区" in totals and "四川省" not in totals and "<strong>5</strong> 万元" in totals
    broadcasts = client.get("/review/broadcasts").text  # only 张敏 (中国乡村发展基金会 works in 马山县) is in scope
    assert re.search(r'<td class="num">1</td>\s*<td class="num">0</td>\s*<td class="num">0</td>\s*'
                     r'<td class="num">1</td>\s*<td class="num">0</td>\s*<td class="num">0/1</td>', broadcasts)
    detail = client.get(f"/review/broadcasts/{ledger.broadcast}").text
    assert "张敏" in detail and "阿木" not in detail


def test_broadcast_status_and_acknowledgements(client: TestClient, ledger: Ledger) -> None:
    sign_in(client)
    page = client.get("/review/broadcasts").text
    assert "请于11月30日前报送年度统计表" in page
    assert re.search(r'<td class="num">3</td>\s*<td class="num">2</td>\s*<td class="num">0</td>\s*'
                     r'<td class="num">1</td>\s*<td class="num">0</td>\s*<td class="num">1/3</td>', page)
    detail = client.get(f"/review/broadcasts/{ledger.broadcast}").text
    assert detail.index("阿木") < detail.index("吉克")  # acknowledged first
    assert "2026-11-20 10:00" in detail and "失败" in detail


def test_totals_page_draws_the_cumulative_chart(client: TestClient, ledger: Ledger) -> None:
    sign_in(client)
    page = client.get("/review/totals").text
    for question in ("在哪里扶贫", "扶了谁", "扶了多少", "效果怎么样"):
        assert question in page
    assert page.count("<svg") == 2 and page.count("<polyline") == 2
    assert "累计投入资金" in page and "累计受益户数" in page and "2026-05" in page
    assert "<strong>3</strong> / 97 个重点县已结对" in page


def test_totals_page_stamps_the_moment_it_was_computed_and_claims_no_cache(
        client: TestClient, review_app: App, ledger: Ledger, clock: Clock) -> None:
    """No cache (README): an update filed a moment ago is in the figures, and the stamp is this request's time."""
    from datetime import timedelta

    from bot.db import unit_of_work
    from models.registry import Contact
    from models.services.reports import record_update

    sign_in(client)
    before = client.get("/review/totals").text
    assert "统计于 2026-11-20 10:00。" in before and "<strong>55</strong> 万元" in before
    clock.now += timedelta(seconds=30)
    with unit_of_work(review_app.engine) as session:
        contact = session.get(Contact, ledger.county_contact)
        record_update(session, contact, "向布拖县投入帮扶资金5万元", "console", clock.now)  # type: ignore[arg-type]
    clock.now += timedelta(minutes=3)
    after = client.get("/review/totals").text
    assert "统计于 2026-11-20 10:03。" in after and "<strong>60</strong> 万元" in after
    english = client.get("/review/totals", headers={"Accept-Language": "en"}).text
    assert "Computed at 2026-11-20 10:03." in english
    for page in (before, after, english):
        assert "重复打开" not in page and "within a minute" not in page


def test_long_lists_are_paged(client: TestClient, review_app: App, ledger: Ledger) -> None:
    from datetime import timedelta

    from bot.db import unit_of_work
    from models.registry import Contact
    from models.services.reports import record_update
    from tests.review.seed import NOW

    with unit_of_work(review_app.engine) as session:
        amu = session.get(Contact, ledger.county_contact)
        for n in range(120):  # no figures: each one is flagged
            record_update(session, amu, f"第{n}次走访，情况良好", "console", NOW - timedelta(minutes=n))  # type: ignore[arg-type]
    sign_in(client)
    first = client.get("/review/queue").text
    assert "待核对 122 条" in first and first.count('<article class="review">') == 50
    assert '<a href="/review/queue?page=3">3</a>' in first and "<strong>1</strong>" in first
    last = client.get("/review/queue", params={"page": 3}).text
    assert last.count('<article class="review">') == 22
    county = client.get(f"/review/counties/{ledger.counties['布拖县']}", params={"page": 2}).text
    assert f'href="/review/counties/{ledger.counties["布拖县"]}?page=1"' in county
