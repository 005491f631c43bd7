"""China's working calendar and quiet hours: on which day something is due, and when a reminder may go out.

The rules:
1. A due date that falls on a non-working day (weekend, official holiday, or a holiday listed in
   `[schedule] holidays`) moves to the next working day; make-up working days (调休上班) count as
   working days.
2. A reminder stage counts back from that (moved) due date, and a stage day that is not a working
   day moves to the working day before it: nothing is due to go out on a holiday.
3. chinese-calendar knows the official calendar of the years it ships with; for a later year the
   fallback is Monday–Friday plus the configured lists, so an unknown year never raises — but it
   is reported (`calendar_notes`) at start-up and in `pairbot cycles list`, with how to add its
   holidays.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.i18n import N_, _

MAX_SHIFT_DAYS = 60  # a calendar that lists no working day for two months is a configuration error


def how_to_add_holidays(year: int) -> str:
    """How to give pairbot a year's holidays (the settings and the variable to use), in the locale in force."""
    return _("在 config.toml 的 [schedule] holidays 中列出 {year} 年的法定节假日（可写区间，"
             "如 \"{year}-10-01..{year}-10-07\"），调休上班日列入 [schedule] workdays；或设置环境变量 "
             "PAIRBOT_SCHEDULE__HOLIDAYS={year}-01-01,{year}-10-01..{year}-10-07（PAIRBOT_SCHEDULE__WORKDAYS 同理）；"
             "或升级 chinese-calendar（pip install -U chinese-calendar）").format(year=year)


def official_years() -> range:
    """The years the installed chinese-calendar has the official holidays and make-up days of."""
    import chinese_calendar

    years = [day.year for day in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


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
        return self._nearest_workday(day, timedelta(days=1))

    def previous_workday(self, day: date) -> date:
        """`day` if it is a working day, else the last working day before it (where a stage goes out)."""
        return self._nearest_workday(day, timedelta(days=-1))

    def _nearest_workday(self, day: date, step: timedelta) -> date:
        shifted = day
        for _ in range(MAX_SHIFT_DAYS):
            if self.is_workday(shifted):
                return shifted
            shifted += step
        return day

    def calendar_notes(self, years: Iterable[int]) -> list[CalendarNote]:
        """What to say about the `years` chinese-calendar does not know (nothing about the ones it knows).

        A year without official data and without a configured holiday is counted Monday–Friday only
        (its Spring Festival and National Day are working days): a warning, with how to add them.
        A year whose holidays come from `[schedule] holidays` alone: a note saying so.
        """
        known = official_years()
        notes = []
        for year in sorted(set(years)):
            if year in known:
                continue
            configured = sorted(d for d in self.holidays if d.year == year)
            if configured:
                text = _("日历提示：chinese-calendar 没有 {year} 年的数据，该年按周一至周五、[schedule] holidays 中的 "
                         "{n} 个节假日（{first} 至 {last}）和 [schedule] workdays 计算工作日。").format(
                    year=year, n=len(configured), first=configured[0].isoformat(), last=configured[-1].isoformat())
            else:
                text = _("日历警告：chinese-calendar 没有 {year} 年的法定节假日数据，也没有配置该年的节假日，"
                         "该年只按周一至周五计算工作日（春节、国庆等假期会被当作工作日，提醒可能在假期发出）。"
                         "添加方法：{how}。").format(year=year, how=how_to_add_holidays(year))
            notes.append(CalendarNote(year, len(configured), text))
        return notes


class CalendarNote(NamedTuple):
    """A year chinese-calendar does not know: how many holidays are configured for it, and what to tell people."""

    year: int
    configured: int
    text: str

    @property
    def warning(self) -> bool:
        """Nothing configured either: that year is counted Monday–Friday only."""
        return self.configured == 0


def years_ahead(today: date) -> tuple[int, int]:
    """The years due dates and reminder stages planned from `today` can fall in (stages reach ≤ 366 days ahead)."""
    return today.year, today.year + 1


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


# Monday first, as date.weekday() counts; marked for the catalog, `_()` where shown (weekday_name).
WEEKDAYS = (N_("周一"), N_("周二"), N_("周三"), N_("周四"), N_("周五"), N_("周六"), N_("周日"))
# One msgid per month, so English can say “Mon 31 August”.
DAY_LABELS = (N_("1月{day}日（{weekday}）"), N_("2月{day}日（{weekday}）"), N_("3月{day}日（{weekday}）"),
              N_("4月{day}日（{weekday}）"), N_("5月{day}日（{weekday}）"), N_("6月{day}日（{weekday}）"),
              N_("7月{day}日（{weekday}）"), N_("8月{day}日（{weekday}）"), N_("9月{day}日（{weekday}）"),
              N_("10月{day}日（{weekday}）"), N_("11月{day}日（{weekday}）"), N_("12月{day}日（{weekday}）"))


def weekday_name(day: date) -> str:
    """周一 … 周日 (Mon … Sun) in the locale in force."""
    return _(WEEKDAYS[day.weekday()])


def day_label(day: date) -> str:
    """8月31日（周一）, in the locale in force (Mon 31 August)."""
    return _(DAY_LABELS[day.month - 1]).format(day=day.day, weekday=weekday_name(day))
