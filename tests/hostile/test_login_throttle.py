"""The review login throttle, through real HTTP on uvicorn: atomic under parallel attempts, per client address
and per account name, and the same answers whether the name exists or not."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
from sqlmodel import Session, col, func, select

from bot.app import App
from models.messaging import AuditLog
from models.services.throttle import ACCOUNT_LIMIT, CLIENT_LIMIT, WINDOW
from tests.hostile import assert_refused, served
from tests.review.conftest import Clock, csrf_of
from tests.review.seed import PASSWORD, Ledger

WRONG = "not the password at all"


def evaluations(app: App) -> int:
    """Passwords checked so far: every check is audited, as a failure or as a sign-in."""
    with Session(app.engine) as session:
        return session.exec(select(func.count()).select_from(AuditLog).where(
            col(AuditLog.action).in_(["review.login_failed", "review.login"]))).one()


def attempt(base: str, who: str, password: str, client: str = "198.51.100.7") -> httpx.Response:
    """One sign-in from a fresh browser (its own login-form cookie) at `client`'s address."""
    with httpx.Client(base_url=base, headers={"X-Forwarded-For": client}, timeout=60) as browser:
        form = browser.get("/review/login")
        return browser.post("/review/login", data={"who": who, "password": password, "csrf": csrf_of(form.text)})


def test_thirty_parallel_attempts_evaluate_five_passwords(review_app: App, ledger: Ledger) -> None:
    passwords = [WRONG] * 29 + [PASSWORD]  # the right one last: it must not slip through past the limit
    with served(review_app) as base, ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(lambda password: attempt(base, "王主任", password), passwords))
        statuses = sorted(a.status_code for a in answers)
        assert evaluations(review_app) == ACCOUNT_LIMIT
        assert statuses.count(429) == 30 - ACCOUNT_LIMIT and set(statuses) <= {303, 401, 429}, statuses
        for answer in answers:
            if answer.status_code == 429:
                assert_refused(answer, 429, "次数过多")
        late = attempt(base, "王主任", PASSWORD)
        assert_refused(late, 429, "次数过多")  # the window is spent, right password or not
        assert evaluations(review_app) == ACCOUNT_LIMIT


def test_an_unknown_name_gets_the_same_answers_as_a_real_one(review_app: App, ledger: Ledger) -> None:
    with served(review_app) as base:
        real = [attempt(base, "王主任", WRONG, client="198.51.100.1") for _ in range(ACCOUNT_LIMIT + 2)]
        unknown = [attempt(base, "不存在的管理员", WRONG, client="198.51.100.2") for _ in range(ACCOUNT_LIMIT + 2)]
    assert [a.status_code for a in real] == [a.status_code for a in unknown] == [401] * ACCOUNT_LIMIT + [429] * 2
    error = '<p class="notice error">'

    def said(answer: httpx.Response) -> str:
        return answer.text.split(error, 1)[1].split("</p>", 1)[0]

    assert [said(a) for a in real] == [said(a) for a in unknown]
    assert evaluations(review_app) == 2 * ACCOUNT_LIMIT  # unknown names cost a (decoy) evaluation too


def test_a_client_address_is_throttled_across_names_and_others_are_not(review_app: App, ledger: Ledger) -> None:
    with served(review_app) as base:
        sprayed = [attempt(base, f"管理员{n}", WRONG, client="203.0.113.9") for n in range(CLIENT_LIMIT)]
        assert {a.status_code for a in sprayed} == {401}
        assert_refused(attempt(base, "王主任", PASSWORD, client="203.0.113.9"), 429, "次数过多")
        assert attempt(base, "王主任", PASSWORD, client="203.0.113.10").status_code == 303  # another client
        # IPv6: one host owns a /64, so its addresses share a bucket.
        v6 = [attempt(base, f"名{n}", WRONG, client=f"2001:db8:1:2::{n + 1:x}") for n in range(CLIENT_LIMIT)]
        assert {a.status_code for a in v6} == {401}
        assert_refused(attempt(base, "王主任", PASSWORD, client="2001:db8:1:2:ffff::1"), 429)
    assert evaluations(review_app) == 2 * CLIENT_LIMIT + 1


def test_spellings_of_a_name_share_its_bucket_and_the_window_ends(review_app: App, ledger: Ledger,
                                                                   clock: Clock) -> None:
    with served(review_app) as base:
        spellings = ["王主任", " 王主任 ", "王 主任", "王主任\u3000"]
        answers = [attempt(base, spellings[n % len(spellings)], WRONG) for n in range(ACCOUNT_LIMIT)]
        assert {a.status_code for a in answers} == {401}
        assert attempt(base, "王主任", PASSWORD).status_code == 429
        number = str(ledger.admin)  # the contact number is a name of its own, with its own bucket
        full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        for spelling in (number, "0" + number, full_width, "００" + full_width, number):
            assert attempt(base, spelling, WRONG).status_code == 401
        assert attempt(base, number, PASSWORD).status_code == 429  # 0-padded and full-width numbers are the same
        clock.now += WINDOW + timedelta(seconds=1)
        assert attempt(base, "王主任", PASSWORD).status_code == 303
