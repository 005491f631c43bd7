"""Dialogs: 撤回 quotes what it withdrew; a second 撤回 asks which one, and the question survives a restart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.channels.console import NAME as CONSOLE, ConsoleChannel
from bot.config import Settings
from models.reporting import PendingQuestion, ProgressUpdate
from tests.conftest import simulator
from tests.handlers.test_reporting import Clock, county_contact

START = datetime(2026, 11, 28, 23, 50, tzinfo=UTC)  # 11-29 07:50 in Asia/Shanghai


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def clocked(settings: Settings, clock: Clock) -> Iterator[App]:
    app = App(settings, channels={CONSOLE: ConsoleChannel()}, clock=clock)
    app.queue.start_worker()
    yield app
    app.close()


def _live(app: App) -> list[str]:
    with Session(app.engine) as session:
        rows = session.exec(select(ProgressUpdate).order_by(ProgressUpdate.id)).all()
        return [u.raw_text for u in rows if u.withdrawn_at is None]


def _three_updates(app: App, clock: Clock):  # type: ignore[no-untyped-def]
    user = county_contact(app)
    for minute, text in ((6, "本月投入帮扶资金20万元，带动38户增收"), (1, "培训农民150人"), (1, "捐赠图书价值2万元")):
        clock.advance(minutes=minute)
        user.send(text)
    return user


def test_withdraw_quotes_the_time_and_first_words(clocked: App, clock: Clock) -> None:
    user = county_contact(clocked)
    clock.advance(minutes=6)
    user.send("本月投入帮扶资金20万元，带动38户增收，用于藏白菊种植基地建设")
    clock.advance(minutes=2)
    assert user.send("撤回") == ["已撤回您 11-29 07:56 提交的进展：“本月投入帮扶资金20万元…”。"]
    assert _live(clocked) == []


def test_a_second_withdraw_asks_which_and_is_answered_by_number(clocked: App, clock: Clock) -> None:
    user = _three_updates(clocked, clock)
    assert "图书" in user.send("撤回")[0]
    [question] = user.send("撤回")
    assert "撤回哪一条" in question and "撤回 1" in question
    assert "1. 11-29 07:57 “培训农民150人”" in question and "2. 11-29 07:56 “本月投入帮扶资金20万元…”" in question
    assert len(_live(clocked)) == 2  # nothing withdrawn silently
    assert "请回复“撤回 1”到“撤回 2”之间的序号" in user.send("撤回 5")[0]
    assert user.send("撤回 2") == ["已撤回您 11-29 07:56 提交的进展：“本月投入帮扶资金20万元…”。"]
    assert _live(clocked) == ["培训农民150人"]
    [again] = user.send("撤回 2")  # the question was answered: a new list, and still nothing silent
    assert "撤回哪一条" in again and "2." not in again and _live(clocked) == ["培训农民150人"]


def test_a_report_sent_after_a_withdrawal_is_what_the_next_withdraw_takes(clocked: App, clock: Clock) -> None:
    user = _three_updates(clocked, clock)
    assert "图书" in user.send("撤回")[0]
    clock.advance(minutes=2)
    user.send("本月帮扶困难户12户")
    clock.advance(minutes=1)
    assert user.send("撤回") == ["已撤回您 11-29 08:00 提交的进展：“本月帮扶困难户12户”。"]
    assert "您刚撤回过一条进展" in user.send("撤回")[0]  # and right after that one, it asks again


def test_the_question_survives_a_restart(settings: Settings, clock: Clock) -> None:
    first = App(settings, channels={CONSOLE: ConsoleChannel()}, clock=clock)
    first.queue.start_worker()
    try:
        user = _three_updates(first, clock)
        user.send("撤回")
        assert "撤回哪一条" in user.send("撤回")[0]
    finally:
        first.close()
    second = App(settings, channels={CONSOLE: ConsoleChannel()}, clock=clock)
    second.queue.start_worker()
    try:
        assert "培训农民150人" in simulator(second, "c1").send("撤回 1")[0]
        assert _live(second) == ["本月投入帮扶资金20万元，带动38户增收"]
        with Session(second.engine) as session:
            kinds = [(q.kind, q.answered_at is not None) for q in session.exec(select(PendingQuestion)).all()]
        assert kinds == [("choose_withdraw", True)]
    finally:
        second.close()


def test_the_window_bounds_what_may_be_withdrawn(clocked: App, clock: Clock, settings: Settings) -> None:
    user = _three_updates(clocked, clock)
    user.send("撤回")
    clock.advance(minutes=settings.reports.withdraw_minutes - 1)  # the first update is now too old
    [question] = user.send("撤回")
    assert "培训农民150人" in question and "投入帮扶资金" not in question
    clock.advance(minutes=5)
    assert "不能自行撤回" in user.send("撤回 1")[0]
    assert len(_live(clocked)) == 2


def test_a_bare_number_does_not_answer_the_withdraw_question(clocked: App, clock: Clock) -> None:
    user = _three_updates(clocked, clock)
    user.send("撤回")
    user.send("撤回")
    assert "已撤回" not in user.send("1")[0]
    assert len(_live(clocked)) == 2


def test_withdraw_with_a_question_mark_explains_instead(clocked: App, clock: Clock) -> None:
    user = county_contact(clocked)
    user.send("培训农民150人")
    [reply] = user.send("撤销？")
    assert "发送“撤回”可删除" in reply and "“培训农民150人”" in reply
    assert _live(clocked) == ["培训农民150人"]
