"""`pairbot cycles`, `pairbot agreement record` and `pairbot reminders due`, as an admin runs them.

`pairbot init` runs as a child process (it creates the default obligations); the commands under
test run in-process through typer's runner, with the same root callback and settings loading.
"""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path

import typer
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from bot.cli import build_app
from bot.db import make_engine
from models.registry import Role
from tests.factories import CODES, add_org, county_id, pair
from tests.reminders.world import SHANGHAI, add_contact
from tests.test_cli import workdir  # noqa: F401  (fixture: a database made by `pairbot init`)


@cache
def _app() -> typer.Typer:
    return build_app()  # every command (cycles, agreement, pairing …), as `pairbot` builds it


def pairbot(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    config = cwd / "empty.toml"
    config.touch()
    result = CliRunner().invoke(_app(), ["--config", str(config), *args], env=env)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def _row_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        tables = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
        counts = {t: connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
    engine.dispose()
    return counts


def test_obligations_from_the_command_line(workdir: tuple[Path, dict[str, str]]) -> None:  # noqa: F811
    cwd, env = workdir
    listed = pairbot("cycles", "list", "--json", cwd=cwd, env=env)
    assert listed.returncode == 0, listed.stderr
    names = [row["name"] for row in json.loads(listed.stdout)]
    assert names[1:] == ["月度进展", "年度统计"] and names[0].endswith("年帮扶协议签订")

    added = pairbot("cycles", "add", "四川季度进展", "--kind", "quarterly", "--due", "day:10", "--stages", "7,1",
                    "--province", "四川省", "--audience", "organization", cwd=cwd, env=env)
    assert added.returncode == 0, added.stderr
    assert "已添加：四川季度进展" in added.stdout and "四川省" in added.stdout and "提醒社会组织联络人" in added.stdout
    changed = pairbot("cycles", "set", "四川季度进展", "--stages", "14,3", "--all-pairings", cwd=cwd, env=env)
    assert changed.returncode == 0 and "提前 14,3 天" in changed.stdout and "全部结对" not in changed.stdout
    paused = pairbot("cycles", "pause", "月度进展", cwd=cwd, env=env)
    assert paused.returncode == 0 and "已暂停" in paused.stdout
    rows = {r["name"]: r for r in json.loads(pairbot("cycles", "list", "--json", cwd=cwd, env=env).stdout)}
    assert rows["月度进展"]["active"] is False and rows["四川季度进展"]["provinces"] == []
    assert rows["四川季度进展"]["roles"] == ["organization"] and rows["四川季度进展"]["stages"] == [14, 3]
    assert pairbot("cycles", "resume", "月度进展", cwd=cwd, env=env).returncode == 0

    for args, message in (
        (("cycles", "add", "x", "--kind", "monthly", "--due", "15"), "end（期末最后一天）或 day:N"),
        (("cycles", "add", "月度进展", "--kind", "monthly", "--due", "end"), "已有名为“月度进展”"),
        (("cycles", "set", "没有这个", "--due", "end"), "没有名为“没有这个”的报送事项"),
        (("cycles", "add", "y", "--kind", "agreement", "--due", "2026-09-01", "--stages", "a"), "逗号分隔的天数"),
    ):
        refused = pairbot(*args, cwd=cwd, env=env)
        assert refused.returncode == 2 and message in refused.stderr, refused.stderr


def test_record_an_agreement_and_see_what_is_due(workdir: tuple[Path, dict[str, str]]) -> None:  # noqa: F811
    cwd, env = workdir
    url = env["PAIRBOT_DATABASE__URL"]
    engine = make_engine(url)
    org = add_org(engine, "中国自动化学会", CODES[3])
    butuo = county_id(engine, "布拖县")
    pair(engine, org, butuo)
    add_contact(engine, "王芳", Role.organization, org=org)
    add_contact(engine, "阿木", Role.county, county=butuo)
    engine.dispose()
    assert pairbot("cycles", "add", "2026协议", "--kind", "agreement", "--due", "2026-08-31", cwd=cwd,
                   env=env).returncode == 0

    before = _row_counts(url)
    due = pairbot("reminders", "due", "--at", "2026-08-24T10:00", cwd=cwd, env=env)
    assert due.returncode == 0, due.stderr
    assert _row_counts(url) == before  # sends nothing, writes nothing
    records = json.loads(due.stdout)
    agreement = sorted((r["contact"], r["channel"], r["stage"], r["due_date"]) for r in records
                       if r["obligation"] == "2026协议")
    assert agreement == [("王芳", "console", 7, "2026-08-31"), ("阿木", "console", 7, "2026-08-31")]
    assert json.loads(pairbot("reminders", "due", "--at", "2026-08-24T23:00+08:00", cwd=cwd, env=env).stdout) == []

    recorded = pairbot("agreement", "record", "--organization", "中国自动化学会", "--county", "513429",
                       "--signed", "2026-08-20", "--amount", "30", cwd=cwd, env=env)
    assert recorded.returncode == 0 and "已登记" in recorded.stdout and "30 万元" in recorded.stdout, recorded.stderr
    again = pairbot("agreement", "record", "--organization", "中国自动化学会", "--county", "布拖县",
                    "--signed", "2026-08-20", "--amount", "30", cwd=cwd, env=env)
    assert "已存在，未改动" in again.stdout
    after = json.loads(pairbot("reminders", "due", "--at", "2026-08-24T10:00", cwd=cwd, env=env).stdout)
    assert [r for r in after if r["obligation"] == "2026协议"] == []

    bad = pairbot("agreement", "record", "--organization", "中国自动化学会", "--county", "布拖县",
                  "--signed", "8月20日", cwd=cwd, env=env)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    bad_at = pairbot("reminders", "due", "--at", "明天", cwd=cwd, env=env)
    assert bad_at.returncode == 2 and "ISO-8601" in bad_at.stderr


def test_cycles_list_shows_the_next_due_date_its_reminder_days_and_calendar_gaps(
        workdir: tuple[Path, dict[str, str]]) -> None:  # noqa: F811
    from datetime import date

    from bot.config import RemindersSettings
    from models.base import utcnow
    from models.services.seasons import current_season
    from models.services.workcalendar import WEEKDAYS, WorkCalendar, years_ahead

    cwd, env = workdir
    today = utcnow().astimezone(SHANGHAI).date()
    season = current_season(RemindersSettings(), today)
    rows = {r["name"]: r for r in json.loads(pairbot("cycles", "list", "--json", cwd=cwd, env=env).stdout)}
    agreement = rows[f"{season}年帮扶协议签订"]  # init made the current season's deadline
    assert agreement["season"] == season and agreement["due"] == f"{season}-08-31"
    due = date.fromisoformat(agreement["next_due"])
    calendar = WorkCalendar()
    assert due >= date(season, 8, 31) and calendar.is_workday(due)
    assert set(agreement["stage_days"]) == {"30", "14", "7", "3", "1"}
    assert all(calendar.is_workday(date.fromisoformat(d)) for d in agreement["stage_days"].values())
    assert rows["年度统计"]["next_period"] == str(today.year)

    next_year = today.year + 1
    variables = env | {"PAIRBOT_SCHEDULE__HOLIDAYS": f"{next_year}-10-01..{next_year}-10-07"}
    listed = pairbot("cycles", "list", cwd=cwd, env=variables)
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if line.startswith(f"{season}年帮扶协议签订："))
    assert f"下次截止 {due.isoformat()}（{WEEKDAYS[due.weekday()]}）" in line and "提醒日 " in line
    configured = WorkCalendar(holidays=[date(next_year, 10, d) for d in range(1, 8)])
    for note in configured.calendar_notes(years_ahead(today)):  # the years chinese-calendar does not know
        assert note.text in listed.stdout
    for note in calendar.calendar_notes(years_ahead(today)):
        assert note.warning and "PAIRBOT_SCHEDULE__HOLIDAYS" in note.text
        assert note.text in pairbot("cycles", "list", "--json", cwd=cwd, env=env).stderr
