"""Adjusting a pairing from its page: type and group shown, changes with a reason and a day, scope and CSRF."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.review.conftest import sign_in
from tests.review.seed import Ledger


def _change(client: TestClient, csrf: str, pairing: int, **form: str):  # type: ignore[no-untyped-def]
    return client.post(f"/review/pairings/{pairing}/change", data={"csrf": csrf, **form})


def test_the_page_shows_the_type_and_suspends_with_a_reason(client: TestClient, ledger: Ledger) -> None:
    csrf = sign_in(client)
    pairing = ledger.pairings["乡发-布拖"]
    page = client.get(f"/review/pairings/{pairing}").text
    assert "类型：一对多、多对一" in page and 'value="suspend"' in page  # 乡发 has two counties, 布拖 two orgs
    done = _change(client, csrf, pairing, action="suspend", reason="组织换届", date="2026-11-20")
    assert done.status_code == 303 and done.headers["location"].endswith(f"/pairings/{pairing}?changed=suspend")
    page = client.get(done.headers["location"]).text
    assert "已暂停，变更已记入下方记录。" in page and "状态：暂停" in page
    assert "结对中 → 暂停，2026-11-20 起（组织换届）" in page and "王主任（审核页面）" in page
    assert 'value="resume"' in page and 'value="suspend"' not in page


def test_the_matrix_names_how_each_county_is_paired(client: TestClient, ledger: Ledger) -> None:
    sign_in(client)
    matrix = client.get("/review/").text
    assert "2 家（多对一）" in matrix and "1 家（一对多）" in matrix and "1 家（一对一）" in matrix


def test_replacing_from_the_page_goes_to_the_successor(client: TestClient, ledger: Ledger) -> None:
    csrf = sign_in(client)
    done = _change(client, csrf, ledger.pairings["爱德-布拖"], action="replace", organization="四川省扶贫基金会",
                   reason="爱德退出")
    assert done.status_code == 303
    successor = client.get(done.headers["location"]).text
    assert "四川省扶贫基金会 ↔ 布拖县" in successor and "接替爱德基金会：爱德退出" in successor


def test_refusals_re_render_the_page_with_the_reason(client: TestClient, ledger: Ledger) -> None:
    csrf = sign_in(client)
    pairing = ledger.pairings["乡发-布拖"]
    for form, message in (({"action": "suspend", "reason": " "}, "请写明原因"),
                          ({"action": "resume", "reason": "x"}, "不能恢复"),
                          ({"action": "end", "reason": "x", "date": "2999-01-01"}, "晚于今天"),
                          ({"action": "end", "reason": "x", "date": "明天"}, "YYYY-MM-DD"),
                          ({"action": "end", "reason": "x", "date": "0001-01-01"}, "早于 2000-01-01"),
                          ({"action": "suspend", "reason": "x", "date": "1969-12-31"}, "早于 2000-01-01"),
                          ({"action": "drop", "reason": "x"}, "未知的操作"),
                          ({"action": "replace", "reason": "x", "organization": "<b>无名</b>"}, "找不到社会组织")):
        response = _change(client, csrf, pairing, **form)
        assert response.status_code == 400 and message in response.text, (form, response.text[-500:])
        assert "<b>无名</b>" not in response.text
    assert "状态：结对中" in client.get(f"/review/pairings/{pairing}").text


def test_the_form_refuses_a_day_before_the_last_change_and_a_reason_too_long(client: TestClient,
                                                                          ledger: Ledger) -> None:
    csrf = sign_in(client)
    pairing = ledger.pairings["乡发-布拖"]
    assert _change(client, csrf, pairing, action="suspend", reason="组织换届", date="2026-11-20").status_code == 303
    early = _change(client, csrf, pairing, action="resume", reason="恢复", date="2026-11-01")
    assert early.status_code == 400 and "生效日期 2026-11-01 早于上一次变更的生效日期 2026-11-20" in early.text
    long = _change(client, csrf, pairing, action="resume", reason="因" * 501, date="2026-11-20")
    assert long.status_code == 400 and "原因最多 500 字（实际 501 字）" in long.text
    assert "状态：暂停" in client.get(f"/review/pairings/{pairing}").text


def test_other_provinces_and_forged_forms_change_nothing(client: TestClient, ledger: Ledger) -> None:
    csrf = sign_in(client, "李处长")  # 广西 only
    pairing = ledger.pairings["乡发-布拖"]
    assert _change(client, csrf, pairing, action="end", reason="x").status_code == 404
    assert _change(client, "forged", ledger.pairings["乡发-马山"], action="end", reason="x").status_code == 403
    assert _change(client, csrf, 999_999, action="end", reason="x").status_code == 404
    assert "状态：结对中" in client.get(f"/review/pairings/{ledger.pairings['乡发-马山']}").text
