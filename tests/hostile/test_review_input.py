"""Hostile input to the review pages, on SQLite and PostgreSQL: ids no row can have, names no admin has,
years no 统计表 has, bodies too big, NUL bytes. Each is a 4xx with a Chinese reason, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.app import App
from bot.web import build_web
from tests.hostile import assert_refused
from tests.review.conftest import csrf_of, sign_in
from tests.review.seed import PASSWORD, Ledger
from tests.test_cli import pairbot

BAD_IDS = [str(2**31), str(2**32), str(2**63), str(2**64 + 7), "9" * 40, "-1", "0x10", "abc", "%C2%B2", "1.5", "%EF%BC%91"]  # ², full-width 1
PAGES = ["counties", "pairings", "updates", "broadcasts", "needs", "projects"]


@pytest.fixture
def web(review_app: App) -> Iterator[TestClient]:
    with TestClient(build_web(review_app), follow_redirects=False, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("page", PAGES)
def test_ids_that_cannot_exist_are_the_404_page(web: TestClient, ledger: Ledger, page: str) -> None:
    sign_in(web)
    for bad in BAD_IDS:
        assert_refused(web.get(f"/review/{page}/{bad}"), 404, "没有找到")


def test_decisions_on_ids_that_cannot_exist_are_the_404_page(web: TestClient, ledger: Ledger) -> None:
    csrf = sign_in(web)
    for bad in BAD_IDS:
        assert_refused(web.post(f"/review/updates/{bad}/accept", data={"csrf": csrf}), 404, "没有找到")
    assert_refused(web.post(f"/review/updates/{ledger.flagged[0]}/explode", data={"csrf": csrf}), 404)


def test_page_and_done_parameters_never_fail(web: TestClient, ledger: Ledger) -> None:
    sign_in(web)
    for value in [str(2**31), str(2**63), "9" * 40, "-3", "abc", "²", ""]:
        for path in ("/review/queue", f"/review/counties/{ledger.counties['布拖县']}",
                     f"/review/pairings/{ledger.pairings['乡发-布拖']}"):
            assert web.get(path, params={"page": value}).status_code == 200
        page = web.get("/review/queue", params={"done": f"accept:{value}"})
        assert page.status_code == 200 and "已通过" not in page.text


def test_login_names_that_no_admin_has_get_the_usual_answer(web: TestClient, ledger: Ledger) -> None:
    form = web.get("/review/login")
    for who in ["²", "١٢", "a\x00b", "\x00", str(2**31), str(2**63), "9" * 40, "-1", "王主任\x00", "𝟙"]:
        answer = web.post("/review/login", data={"who": who, "password": PASSWORD, "csrf": csrf_of(form.text)})
        assert_refused(answer, 401, "姓名（或编号）或密码不正确")


def test_a_file_where_the_csrf_token_belongs_is_refused(web: TestClient, ledger: Ledger) -> None:
    web.get("/review/login")
    answer = web.post("/review/login", data={"who": "王主任", "password": PASSWORD},
                      files={"csrf": ("csrf.txt", b"token")})
    assert_refused(answer, 403)
    csrf = sign_in(web)
    forged = web.post(f"/review/updates/{ledger.flagged[0]}/accept", files={"csrf": ("x", csrf.encode())})
    assert_refused(forged, 403, "安全校验未通过")


@pytest.mark.parametrize("year", ["0", "99999", "-5", "1999", "2101", "abc", "二〇二六", "1e3", "２０２６年"])
def test_export_year_out_of_range_is_a_400(web: TestClient, ledger: Ledger, year: str) -> None:
    csrf = sign_in(web)
    assert_refused(web.post("/review/export", data={"csrf": csrf, "year": year}), 400, "统计年度")


def test_export_year_out_of_range_is_refused_by_the_cli(review_app: App, ledger: Ledger, tmp_path: Path) -> None:
    env = {"PAIRBOT_DATABASE__URL": review_app.settings.database.url}
    for year in ("0", "99999", "-1"):
        result = pairbot("export", "--out", str(tmp_path / "x.xlsx"), "--year", year, cwd=tmp_path, env=env)
        assert result.returncode == 2 and "统计年度" in result.stderr, result.stderr
        assert not (tmp_path / "x.xlsx").exists()


def test_bodies_over_the_limit_are_a_413_declared_or_streamed(web: TestClient, review_app: App,
                                                             ledger: Ledger) -> None:
    limit = review_app.settings.web.max_body_bytes
    csrf = sign_in(web)
    big = {"csrf": csrf, "note": "x" * (limit + 10)}
    assert_refused(web.post(f"/review/updates/{ledger.flagged[0]}/reject", data=big), 413, "max_body_bytes")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the guard counts as the body arrives
        yield f"csrf={csrf}&note=".encode()
        for _ in range(limit // 65536 + 2):
            yield b"y" * 65536

    streamed = web.post(f"/review/updates/{ledger.flagged[0]}/reject", content=chunks(),
                        headers={"content-type": "application/x-www-form-urlencoded"})
    assert_refused(streamed, 413)
    assert_refused(web.post("/review/login", content=b"who=" + b"a" * (limit + 1),
                            headers={"content-type": "application/x-www-form-urlencoded"}), 413)


def test_nul_in_path_or_query_is_a_400(web: TestClient, ledger: Ledger) -> None:
    sign_in(web)
    for path in ("/review/?province=%00", "/review/queue?page=1%00", "/review/static/%00",
                 "/review/counties/1%00", "/review/login?next=/review/%00"):
        assert_refused(web.get(path), 400, "NUL")


def test_nul_in_form_fields_is_kept_visible_not_a_500(web: TestClient, ledger: Ledger) -> None:
    csrf = sign_in(web)
    rejected = web.post(f"/review/updates/{ledger.flagged[0]}/reject", data={"csrf": csrf, "note": "原因\x00"})
    assert rejected.status_code == 303
    page = web.get(f"/review/updates/{ledger.flagged[0]}")
    assert "原因\\u0000" in page.text
    export = web.post("/review/export", data={"csrf": csrf, "province": "四川省\x00"})  # names no province
    assert export.status_code == 400 and "省份“四川省\\u0000”无法识别" in export.text


def test_unknown_paths_and_methods_answer_in_chinese(web: TestClient, ledger: Ledger) -> None:
    assert_refused(web.get("/review/nothing-here"), 404)
    assert_refused(web.get("/nothing"), 404)
    assert_refused(web.delete("/review/login"), 405)
    assert_refused(web.get("/telegram/webhook"), 405)
    assert_refused(web.put("/healthz"), 405)


def test_malformed_forms_are_a_4xx(web: TestClient, ledger: Ledger) -> None:
    web.get("/review/login")
    for content_type, body in [("multipart/form-data", b"--x\r\n"), ("multipart/form-data; boundary=x", b"garbage"),
                               ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n"),
                               ("application/x-www-form-urlencoded", b"\xff\xfe=%ff%fe&csrf=%C0%80")]:
        answer = web.post("/review/login", content=body, headers={"content-type": content_type})
        assert 400 <= answer.status_code < 500, (content_type, body, answer.status_code)
        assert_refused(answer, answer.status_code)
