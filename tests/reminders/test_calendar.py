"""Time done right: the working-day rule, quiet hours, periods and due dates, the latest-stage rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from models.reminders import ObligationKind
from models.services.obligations import Obligation, ObligationError, check_due_rule, occurrences, parse_stages
from models.services.workcalendar import WorkCalendar, in_quiet_hours, local_midnight, official_years
from tests.reminders.world import SHANGHAI, local

CAL = WorkCalendar()


def test_a_due_date_on_an_official_holiday_moves_to_the_next_working_day() -> None:
    assert CAL.due_date(date(2026, 10, 1)) == date(2026, 10, 8)  # National Day, 1–7 October 2026
    assert CAL.due_date(date(2026, 2, 16)) == date(2026, 2, 24)  # Spring Festival 15–23 February 2026
    assert CAL.due_date(date(2025, 8, 31)) == date(2025, 9, 1)  # a Sunday
    assert CAL.due_date(date(2026, 8, 31)) == date(2026, 8, 31)  # a Monday stays


def test_a_make_up_working_day_is_a_working_day() -> None:
    assert date(2026, 10, 10).weekday() == 5 and CAL.is_workday(date(2026, 10, 10))  # Saturday, 调休上班
    assert CAL.due_date(date(2026, 10, 10)) == date(2026, 10, 10)
    assert CAL.due_date(date(2026, 10, 7)) == date(2026, 10, 8)


def test_a_year_chinese_calendar_does_not_know_falls_back_to_weekends_and_configured_days() -> None:
    import chinese_calendar

    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2031, 10, 1))
    assert CAL.due_date(date(2031, 10, 1)) == date(2031, 10, 1)  # a Wednesday: no official data, no crash
    assert CAL.due_date(date(2031, 10, 4)) == date(2031, 10, 6)  # Saturday → Monday
    configured = WorkCalendar(holidays=[date(2031, 10, d) for d in range(1, 8)], workdays=[date(2031, 10, 11)])
    assert configured.due_date(date(2031, 10, 1)) == date(2031, 10, 8)
    assert configured.due_date(date(2031, 10, 11)) == date(2031, 10, 11)  # a configured make-up Saturday


def test_configured_holidays_add_local_days_to_known_years() -> None:
    assert WorkCalendar(holidays=[date(2026, 8, 31)]).due_date(date(2026, 8, 31)) == date(2026, 9, 1)


@pytest.mark.parametrize(("moment", "quiet"), [
    (time(20, 59), False), (time(21, 0), True), (time(23, 30), True), (time(0, 0), True), (time(7, 59), True),
    (time(8, 0), False), (time(12, 0), False),
])
def test_quiet_hours_wrap_past_midnight(moment: time, quiet: bool) -> None:
    assert in_quiet_hours(moment, time(21, 0), time(8, 0)) is quiet


def test_quiet_hours_within_a_day_and_none() -> None:
    assert in_quiet_hours(time(13, 0), time(12, 0), time(14, 0))
    assert not in_quiet_hours(time(15, 0), time(12, 0), time(14, 0))
    assert not in_quiet_hours(time(3, 0), time(8, 0), time(8, 0))


def _cycle(kind: str, rule: str, stages: tuple[int, ...] = (5, 1)) -> Obligation:
    return Obligation(ObligationKind.cycle, 1, "进展", kind, rule, stages)


def test_monthly_periods_end_and_day_rules() -> None:
    [aug] = occurrences(_cycle("monthly", "end"), date(2026, 8, 20), CAL, SHANGHAI, 0, 20)
    assert (aug.period, aug.due) == ("2026-08", date(2026, 8, 31))
    assert aug.opens == local_midnight(date(2026, 8, 1), SHANGHAI)
    assert aug.closes == datetime(2026, 8, 31, 16, 0, tzinfo=UTC)  # 1 September 00:00 in Shanghai
    [jan] = occurrences(_cycle("monthly", "end"), date(2026, 1, 25), CAL, SHANGHAI, 0, 20)
    assert jan.due == date(2026, 2, 2)  # 31 January 2026 is a Saturday
    [sep] = occurrences(_cycle("monthly", "day:5"), date(2026, 10, 1), CAL, SHANGHAI, 0, 10)
    assert (sep.period, sep.due) == ("2026-09", date(2026, 10, 8))  # 5 October is in the National Day holiday
    [feb] = occurrences(_cycle("monthly", "day:31"), date(2026, 3, 1), CAL, SHANGHAI, 0, 40)
    assert (feb.period, feb.due) == ("2026-02", date(2026, 3, 31))


def test_quarterly_and_annual_periods() -> None:
    [q3] = occurrences(_cycle("quarterly", "end"), date(2026, 9, 20), CAL, SHANGHAI, 0, 15)
    assert (q3.period, q3.due, q3.title) == ("2026-Q3", date(2026, 9, 30), "进展（2026年第3季度）")
    [year] = occurrences(_cycle("annual", "12-31", (30,)), date(2026, 12, 1), CAL, SHANGHAI, 0, 31)
    assert (year.period, year.due, year.title) == ("2026", date(2026, 12, 31), "进展（2026年）")
    assert year.opens == local_midnight(date(2026, 1, 1), SHANGHAI)


def test_only_the_latest_due_stage_is_planned() -> None:
    deadline = Obligation(ObligationKind.deadline, 1, "协议", "agreement", "2026-08-31", (30, 14, 7, 3, 1))
    [occ] = occurrences(deadline, date(2026, 8, 1), CAL, SHANGHAI, 0, 31)
    assert occ.latest_stage(local("2026-07-30 23:59"), SHANGHAI) is None
    assert occ.latest_stage(local("2026-07-31 00:00"), SHANGHAI) == 30  # 1 August is a Saturday: the Friday before
    assert occ.latest_stage(local("2026-08-26 10:00"), SHANGHAI) == 7  # after downtime: 7, not 30 and 14
    # 3 and 1 days before a Monday are Friday and Sunday: both go out on Friday, as one message (the later stage).
    assert occ.latest_stage(local("2026-08-27 23:59"), SHANGHAI) == 7
    assert occ.latest_stage(local("2026-08-28 08:00"), SHANGHAI) == 1
    assert occ.latest_stage(local("2026-08-31 20:00"), SHANGHAI) == 1
    assert occ.latest_stage(local("2026-09-01 00:00"), SHANGHAI) is None  # due date over: overdue instead


def test_stages_count_back_from_the_moved_due_date_and_never_land_on_a_holiday() -> None:
    deadline = Obligation(ObligationKind.deadline, 1, "协议", "agreement", "2026-10-01", (30, 14, 7, 3, 1))
    [occ] = occurrences(deadline, date(2026, 9, 1), CAL, SHANGHAI, 0, 40)
    assert occ.due == date(2026, 10, 8)  # National Day, 1–7 October 2026
    days = {stage: occ.stage_day(stage) for stage in deadline.stages}
    # 7 days before 8 October is 1 October, National Day: the stage goes out on Wednesday 30 September.
    assert days == {30: date(2026, 9, 8), 14: date(2026, 9, 24), 7: date(2026, 9, 30), 3: date(2026, 9, 30),
                    1: date(2026, 9, 30)}
    assert occ.stage_time(7, SHANGHAI) == local_midnight(date(2026, 9, 30), SHANGHAI)
    assert occ.latest_stage(local("2026-10-01 09:00"), SHANGHAI) == 1  # sent on the 30th; nothing new on holidays


def test_no_stage_day_is_a_non_working_day() -> None:
    configured = WorkCalendar(holidays=[date(2027, 10, d) for d in range(1, 8)], workdays=[date(2027, 9, 26)])
    for cal in (CAL, configured):
        for offset in range(0, 730, 3):
            nominal = date(2026, 1, 1) + timedelta(days=offset)
            deadline = Obligation(ObligationKind.deadline, 1, "协议", "agreement", nominal.isoformat(),
                                  (30, 14, 7, 3, 1, 0))
            [occ] = occurrences(deadline, nominal, cal, SHANGHAI, 0, 70)
            for stage in deadline.stages:
                day = occ.stage_day(stage)
                assert cal.is_workday(day) and day <= occ.due - timedelta(days=stage), (nominal, stage, day)


def test_the_overdue_window_starts_on_the_first_working_day_after_the_due_date() -> None:
    deadline = Obligation(ObligationKind.deadline, 1, "协议", "agreement", "2026-09-30", (7,))
    [occ] = occurrences(deadline, date(2026, 9, 30), CAL, SHANGHAI, 0, 1)
    assert occ.closes == local_midnight(date(2026, 10, 1), SHANGHAI)
    # National Day fills the first seven days after it: the digest may still go out from 8 to 14 October.
    assert occ.escalation_ends(7, SHANGHAI) == local_midnight(date(2026, 10, 15), SHANGHAI)


def test_years_the_calendar_does_not_know_are_named_with_how_to_add_holidays() -> None:
    assert 2026 in official_years() and 2031 not in official_years()
    assert CAL.calendar_notes([2026]) == []
    [warning] = CAL.calendar_notes([2026, 2031])
    assert warning.warning and warning.year == 2031
    assert "没有 2031 年的法定节假日数据" in warning.text and "[schedule] holidays" in warning.text
    assert "PAIRBOT_SCHEDULE__HOLIDAYS" in warning.text
    configured = WorkCalendar(holidays=[date(2031, 10, d) for d in range(1, 8)])
    [note] = configured.calendar_notes([2031])
    assert not note.warning and "7 个节假日（2031-10-01 至 2031-10-07）" in note.text


def test_periods_due_before_the_obligation_existed_are_never_overdue() -> None:
    created = local("2026-08-10 12:00")
    monthly = Obligation(ObligationKind.cycle, 1, "进展", "monthly", "end", (5, 1), since=created)
    found = occurrences(monthly, date(2026, 8, 10), CAL, SHANGHAI, 60, 60)
    assert [(o.period, o.can_be_overdue(SHANGHAI)) for o in found] == [
        ("2026-06", False), ("2026-07", False), ("2026-08", True), ("2026-09", True)]


@pytest.mark.parametrize(("kind", "rule", "message"), [
    ("agreement", "08-31", "YYYY-MM-DD"), ("monthly", "day:0", "day:N"), ("monthly", "15", "end"),
    ("annual", "02-30", "MM-DD"), ("weekly", "end", "类型应为"),
])
def test_bad_rules_are_refused_with_what_is_expected(kind: str, rule: str, message: str) -> None:
    with pytest.raises(ObligationError, match=message):
        check_due_rule(kind, rule)


def test_stages_parse_in_any_order_and_refuse_nonsense() -> None:
    assert parse_stages("7，30, 1 3") == (30, 7, 3, 1)
    for bad in ("", "a,b", "400", "-1"):
        with pytest.raises(ObligationError):
            parse_stages(bad)
