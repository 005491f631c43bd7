"""Only a report closes a reminder: thanks, help requests and questions in its thread leave it open."""

from __future__ import annotations

import pytest

from bot.app import App
from tests.reminders.test_replies import _reminder_message_id, _say, _stages, _tick, _updates, _year_end, clocked
from tests.reminders.world import Clock, build_world, ledger, local

__all__ = ["clocked"]  # the fixture, shared with test_replies


@pytest.mark.parametrize("text", ["收到，谢谢", "help", "怎么填？", "好的👍", "这个要报什么"])
def test_a_non_report_in_the_thread_leaves_the_reminder_open(clocked: tuple[App, Clock], text: str) -> None:
    app, clock = clocked
    world = build_world(app.engine)
    _year_end(app, clock)
    clock.set(local("2026-12-01 09:00"))
    _tick(app)
    thread = _reminder_message_id(app, "orgB")
    answer = _say(app, "orgB", text, reply_to=thread)
    assert "已记入" not in answer
    assert _updates(app) == [] and all(r.answered_at is None for r in ledger(app.engine))
    answer = _say(app, "orgB", "全年投入帮扶资金120万元，带动300户增收", reply_to=thread)
    assert "已记入“年度统计（2026年）”" in answer
    clock.set(local("2026-12-24 09:00"))
    _tick(app)
    assert _stages(app, world, "orgB") == ["30"]


def test_a_non_report_within_the_window_neither_files_nor_stops(clocked: tuple[App, Clock]) -> None:
    app, clock = clocked
    world = build_world(app.engine)
    _year_end(app, clock)
    clock.set(local("2026-12-01 09:00"))
    _tick(app)
    clock.set(local("2026-12-01 15:00"))
    answer = _say(app, "orgA", "谢谢")
    assert "“年度统计（2026年）”的提醒仍有效" in answer
    assert _updates(app) == []
    clock.set(local("2026-12-24 09:00"))
    _tick(app)
    assert _stages(app, world, "orgA") == ["30", "7"]  # still reminded: thanks is not a report


def test_an_activity_without_figures_answers_the_reminder(clocked: tuple[App, Clock]) -> None:
    app, clock = clocked
    world = build_world(app.engine)
    _year_end(app, clock)
    clock.set(local("2026-12-01 09:00"))
    _tick(app)
    answer = _say(app, "orgA", "组织志愿者到布拖县开展了冬季送温暖慰问活动", reply_to=_reminder_message_id(app, "orgA"))
    assert "已记入“年度统计（2026年）”" in answer
    [update] = _updates(app)
    assert update.review_status == "flagged"  # no figures: a reviewer looks at it
    assert [r.update_id for r in ledger(app.engine) if r.contact_id == world.contacts["orgA"]] == [update.id]
