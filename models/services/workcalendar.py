"""China's working calendar and quiet hours: on which day something is due, and when a reminder may go out.

The rule: a due date that falls on a non-working day (weekend, official holiday, or a holiday listed in
`[schedule] holidays`) moves to the next working day; make-up working days (调休上班) count as working
days. chinese-calendar knows the official calendar of the years it ships with; for a later year the
fallback is Monday–Friday plus the configured lists, so an unknown year never raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_SHIFT_DAYS = 60  # a calendar that lists no working day for two months is a configuration error


class WorkCalendar:
    def __init__(self, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)

    def is_workday(self, day: date) -> bool:
        """Configured make-up days win, then configured holidays, then the official calendar (or Mon–Fri)."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        import chinese_calendar

        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:  # a year the installed chinese-calendar does not know yet
            return day.weekday() < 5

    def due_date(self, day: date) -> date:
        """The day something nominally due on `day` is really due: that day or the next working day."""
        shifted = day
        for _ in range(MAX_SHIFT_DAYS):
            if self.is_workday(shifted):
                return shifted
            shifted += timedelta(days=1)
        return day


def in_quiet_hours(moment: time, start: time, end: time) -> bool:
    """Whether a local time lies in [start, end), which may wrap past midnight; start == end means never."""
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which `day` begins in `zone`."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


WEEKDAYS_ZH = "一二三四五六日"


def day_label(day: date) -> str:
    """8月31日（周一）"""
    return f"{day.month}月{day.day}日（周{WEEKDAYS_ZH[day.weekday()]}）"
