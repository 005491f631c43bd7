"""The services behind the CLI in both languages: a tour of `pairbot pairing`, `contacts`, `groups` and
`cycles list` through every reply and refusal of models/services/{pairings,contacts,groups,workcalendar}.py —
in Chinese no English prose, in English no Chinese besides what the test itself wrote — and a broken
configuration reported in the language `pairbot` runs in."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.db import make_engine, unit_of_work
from bot.i18n import using
from models.base import utcnow
from models.pairing import Pairing, PairingStatus
from models.registry import ChannelIdentity, Contact, County, Group, Role
from models.services import pairings
from models.services.workcalendar import WorkCalendar, day_label, official_years, years_ahead
from tests.factories import CODES, add_org, load_counties
from tests.i18n.checks import chinese_in, english_prose
from tests.i18n.test_cli_language import _names

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("cli_run_dump.py")
ORGS = ("结对基金会", "教育促进会", "云南公益会")
ADMIN, AMU, JIKE = "王管理", "阿木", "吉克"
GROUP_TITLE, ROBOT, CONFIGURED_ROBOT = "联络员群", "四川群", "配置群"
# What the test writes: names, places, reasons, tags, group titles stay as written in either language.
DATA = [*ORGS, ADMIN, AMU, JIKE, GROUP_TITLE, ROBOT, CONFIGURED_ROBOT, "四川省", "四川", "布拖县", "昭觉县",
        "不存在的基金会", "不存在县", "乱写", "省厅安排", "组团帮扶", "一对多帮扶", "再来一次", "凉山组团", "组织换届",
        "换届完成", "协议到期", "原牵头单位退出", "调离", "没有的标签", "不存在的群", "不存在的人", "凉山", "凉 山", "新群"]
# Code in Chinese screens: a package and the command that upgrades it (chinese-calendar, pip install -U).
ALLOWED = {"chinese", "calendar", "pip", "install"}


def _world(url: str) -> dict[str, int]:
    """Counties, three organizations, an admin, two 阿木 in different counties (one with a chat account that
    stopped answering) and two Telegram groups of the same title; returns the ids the tour needs."""
    engine = make_engine(url)
    load_counties(engine)
    for name, code in zip(ORGS, CODES):
        add_org(engine, name, code)
    with unit_of_work(engine) as session:
        county = {c.name: c.id for c in session.exec(select(County).where(County.name.in_(["布拖县", "昭觉县"])))}
        admin = Contact(name=ADMIN, role=Role.admin, provinces=["四川省"])
        amu = Contact(name=AMU, role=Role.county, county_id=county["布拖县"])
        other = Contact(name=AMU, role=Role.county, county_id=county["昭觉县"])
        jike = Contact(name=JIKE, role=Role.county, county_id=county["布拖县"])
        groups = [Group(channel="telegram", chat_id=f"-100{n}", title=GROUP_TITLE, tags=["四川"]) for n in (1, 2)]
        session.add_all([admin, amu, other, jike, *groups])
        session.flush()
        session.add(ChannelIdentity(contact_id=amu.id, channel="telegram", external_id="1001",
                                    unreachable_since=utcnow()))
        ids = {"admin": admin.id, "amu": amu.id, "other": other.id, "jike": jike.id, "group": groups[0].id}
    engine.dispose()
    return ids  # type: ignore[return-value]


def _tour(ids: dict[str, int]) -> list[tuple[list[str], int]]:
    """Every command with the exit code it must end with (the refusals must really be refusals)."""
    a, b, c = (f"{org}/布拖县" for org in ORGS)
    amu, admin, other = str(ids["amu"]), str(ids["admin"]), str(ids["other"])
    group = str(ids["group"])
    return [
        (["pairing", "add", "--org", ORGS[0], "--county", "布拖县", "--reason", "省厅安排", "--group", "凉山组团",
          "--leading"], 0),
        (["pairing", "add", "--org", ORGS[1], "--county", "布拖县", "--reason", "组团帮扶", "--group", "凉山组团"], 0),
        (["pairing", "add", "--org", ORGS[1], "--county", "昭觉县", "--reason", "一对多帮扶"], 0),
        (["pairing", "add", "--org", ORGS[0], "--county", "布拖县", "--reason", "再来一次"], 1),
        (["pairing", "add", "--org", "不存在的基金会", "--county", "布拖县", "--reason", "再来一次"], 1),
        (["pairing", "add", "--org", ORGS[2], "--county", "不存在县", "--reason", "再来一次"], 1),
        (["pairing", "add", "--org", ORGS[2], "--county", "昭觉县", "--reason", "  "], 1),
        (["pairing", "add", "--org", ORGS[2], "--county", "昭觉县", "--reason", "再来一次", "--group", "  "], 1),
        (["pairing", "suspend", a, "--reason", "组织换届", "--date", "2026-11-20"], 0),
        (["pairing", "suspend", a, "--reason", "组织换届"], 1),
        (["pairing", "resume", a, "--reason", "换届完成"], 0),
        (["pairing", "activate", a, "--reason", "换届完成"], 1),
        (["pairing", "end", f"{ORGS[1]}/昭觉县", "--reason", "协议到期"], 0),
        (["pairing", "resume", f"{ORGS[1]}/昭觉县", "--reason", "协议到期"], 1),
        (["pairing", "end", f"{ORGS[1]}/昭觉县", "--reason", "协议到期"], 1),
        (["pairing", "replace", f"{ORGS[1]}/昭觉县", "--org", ORGS[2], "--reason", "协议到期"], 1),
        (["pairing", "replace", a, "--org", ORGS[0], "--reason", "原牵头单位退出"], 1),
        (["pairing", "replace", a, "--org", ORGS[2], "--reason", "原牵头单位退出"], 0),
        (["pairing", "add", "--org", ORGS[2], "--county", "昭觉县", "--reason", "一对多帮扶"], 0),
        (["pairing", "suspend", "9999", "--reason", "乱写"], 1),
        (["pairing", "suspend", "乱写", "--reason", "乱写"], 1),
        (["pairing", "suspend", f"{ORGS[0]}/昭觉县", "--reason", "乱写"], 1),
        (["pairing", "suspend", c, "--reason", "乱写", "--date", "2026-13-01"], 2),
        (["pairing", "suspend", c, "--reason", "乱写", "--date", "2999-01-01"], 1),
        (["pairing", "list"], 0),
        (["pairing", "show", a], 0),
        (["pairing", "show", b], 0),
        (["pairing", "show", c], 0),
        (["contacts", "list"], 0),
        (["contacts", "show", amu], 0),
        (["contacts", "show", AMU], 1),
        (["contacts", "show", "9999"], 1),
        (["contacts", "show", "不存在的人"], 1),
        (["contacts", "deactivate", admin, "--reason", "调离"], 1),
        (["contacts", "deactivate", other, "--reason", " "], 1),
        (["contacts", "deactivate", other, "--reason", "调离"], 0),
        (["contacts", "deactivate", other, "--reason", "调离"], 1),
        (["contacts", "reactivate", amu, "--reason", "调离"], 1),
        (["contacts", "unbind", amu, "--channel", "wecom"], 1),
        (["contacts", "unbind", amu, "--channel", "telegram", "--id", "999"], 1),
        (["contacts", "merge", amu, amu], 1),
        (["contacts", "merge", amu, admin], 1),
        (["contacts", "unbind", amu, "--channel", "telegram"], 0),
        (["contacts", "list", "--inactive"], 0),
        (["groups", "list"], 0),
        (["groups", "tag", GROUP_TITLE, "凉山"], 1),
        (["groups", "tag", "不存在的群", "凉山"], 1),
        (["groups", "tag", group, "凉 山"], 1),
        (["groups", "tag", group, "凉山"], 0),
        (["groups", "untag", group, "没有的标签"], 1),
        (["groups", "add-robot", CONFIGURED_ROBOT, "some-key-0001"], 1),
        (["groups", "add-robot", ROBOT, "https://example.com/cgi-bin/webhook/send"], 1),
        (["groups", "add-robot", ROBOT, "short"], 1),
        (["groups", "add-robot", ROBOT, "key-one-0001"], 0),
        (["groups", "create-wecom-chat", "--name", "新群", "--owner", "u1", "--member", "u1"], 1),
        (["groups", "create-wecom-chat", "--name", "新群", "--owner", " ", "--member", "u2"], 1),
        (["cycles", "list"], 0),
    ]


def _run(locale: str, url: str, commands: list[list[str]]) -> list[dict[str, Any]]:
    env = {"PAIRBOT_APP__LOCALE": locale, "PAIRBOT_DATABASE__URL": url, "COLUMNS": "200",
           "PAIRBOT_WECOM__WEBHOOKS": json.dumps({CONFIGURED_ROBOT: "config-key-0001"}, ensure_ascii=False)}
    result = subprocess.run([sys.executable, str(DRIVER)], input=json.dumps({"env": env, "commands": commands}),
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def tours(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> dict[str, list[dict[str, Any]]]:
    """The tour in each language, each on its own copy of the same world."""
    found = {}
    for locale in ("zh_CN", "en"):
        path = tmp_path_factory.mktemp(locale) / "pairbot.db"
        path.write_bytes(sqlite_template.read_bytes())
        url = f"sqlite:///{path}"
        ids = _world(url)
        tour = _tour(ids)
        results = _run(locale, url, [args for args, _code in tour])
        assert [(r["args"], r["code"]) for r in results] == [(args, code) for args, code in tour], \
            [(r["args"], r["stderr"]) for r, (_a, code) in zip(results, tour) if r["code"] != code]
        found[locale] = results
    return found


def test_every_reply_of_the_tour_is_chinese_in_chinese(tours: dict[str, list[dict[str, Any]]]) -> None:
    allowed = _names() | ALLOWED
    problems = {" ".join(r["args"]): english_prose(r["stdout"] + r["stderr"], allowed) for r in tours["zh_CN"]}
    assert {args: words for args, words in problems.items() if words} == {}
    said = "".join(r["stdout"] + r["stderr"] for r in tours["zh_CN"])
    for chinese in ("当前为暂停，不能暂停", "由云南公益会接替：原牵头单位退出", "组团式（牵头）", "一对多", "（无法送达）",
                    "有 2 位联系人叫“阿木”", "这是唯一的在用管理员", "有多个群叫“联络员群”：#1（Telegram）、#2（Telegram）",
                    "企业微信群聊需要 2–2000 位成员", "生效日期应为 YYYY-MM-DD 格式"):
        assert chinese in said


def test_every_reply_of_the_tour_is_english_in_english(tours: dict[str, list[dict[str, Any]]]) -> None:
    problems = {" ".join(r["args"]): chinese_in(r["stdout"] + r["stderr"], DATA) for r in tours["en"]}
    assert {args: found for args, found in problems.items() if found} == {}
    said = "".join(r["stdout"] + r["stderr"] for r in tours["en"])
    for english in ("cannot be suspended", "Taken over by 云南公益会: 原牵头单位退出", "group (lead)", "one-to-many",
                    "(unreachable)", "2 contacts are called \"阿木\"", "the only active administrator",
                    "Several groups are called \"联络员群\": #1 (Telegram), #2 (Telegram)",
                    "A WeCom group chat needs 2–2000 members", "The effective date should be YYYY-MM-DD"):
        assert english in said


def test_the_calendar_says_unknown_years_in_the_locale_in_force() -> None:
    unknown = max(official_years()) + 50
    quiet = WorkCalendar()
    configured = WorkCalendar(holidays=[date(unknown, 10, 1), date(unknown, 10, 2)])
    for calendar, zh, en in ((quiet, "日历警告", "Calendar warning"), (configured, "日历提示", "Calendar note")):
        [note] = calendar.calendar_notes([unknown])
        assert note.text.startswith(zh) and english_prose(note.text, _names() | ALLOWED) == []
        with using("en"):
            [note] = calendar.calendar_notes([unknown])
        assert note.text.startswith(en) and chinese_in(note.text) == []
    assert day_label(date(2026, 8, 31)) == "8月31日（周一）"
    with using("en"):
        assert day_label(date(2026, 8, 31)) == "Mon 31 August"


def test_cycles_list_warns_of_an_unknown_year_in_its_language(tours: dict[str, list[dict[str, Any]]]) -> None:
    from datetime import UTC, datetime

    if all(year in official_years() for year in years_ahead(datetime.now(UTC).date())):
        pytest.skip("chinese-calendar knows this year and the next: no calendar note to show")
    [zh] = [r for r in tours["zh_CN"] if r["args"] == ["cycles", "list"]]
    [en] = [r for r in tours["en"] if r["args"] == ["cycles", "list"]]
    assert "日历警告" in zh["stdout"] and "Calendar warning" in en["stdout"]


def test_kinds_and_verbs_of_pairings_in_both_languages() -> None:
    assert pairings.kind_label(None, 2, 2) == "一对多、多对一"
    with using("en"):
        assert pairings.kind_label(None, 2, 2) == "one-to-many, many-to-one"
        assert pairings.kind_label(True, 1, 1) == "group (lead)"
        with pytest.raises(pairings.PairingError, match="not \"2026/1/1\""):
            pairings.parse_day("2026/1/1")
    active = Pairing(id=7, organization_id=1, county_id=1, status=PairingStatus.active)
    assert pairings.actions_for(active) == [("suspend", "暂停"), ("end", "结束")]
    with using("en"):
        assert pairings.actions_for(active) == [("suspend", "Suspend"), ("end", "End")]
        assert PairingStatus.suspended.label == "suspended"  # the status, apart from the verb


BAD_CONFIG = """[web]
port = "abc"
[schedule]
holidays = ["2027-10-07..2027-10-01"]
timezone = "Mars/Base"
[database]
url = "mysql://x"
[app]
colour = 1
[reminders]
agreement_stages = []
monthly_due = "soon"
[telegram]
mode = "push"
"""


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_broken_configuration_is_reported_in_the_language_pairbot_runs_in(locale: str, tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(BAD_CONFIG, encoding="utf-8")
    (tmp_path / "broken.toml").write_text("[web\nport = 1\n", encoding="utf-8")
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PAIRBOT_APP__LOCALE": locale}
    runs = [({"PAIRBOT_QUEUE__URL": "ftp://x", "PAIRBOT_WEB__SESSION_MINUTES": "0"}, ["--config", "bad.toml"]),
            ({"PAIRBOT_REMINDERS__AGREEMENT_STAGES": "30,14"}, []),
            ({}, ["--config", "broken.toml"]),
            ({}, ["--config", "missing.toml"])]
    said = []
    for env, args in runs:
        result = subprocess.run([sys.executable, "-m", "bot", *args, "cycles", "list"], capture_output=True,
                                text=True, env=base | env, cwd=tmp_path, timeout=60)
        assert result.returncode == 2 and result.stdout == "", result.stderr
        said.append(result.stderr)
    text = "\n".join(said)
    assert text.count("\n  [") == 10  # one line per bad setting
    if locale == "en":
        assert chinese_in(text) == []
        assert "invalid TOML at line 1, column 5" in text and "from environment variable PAIRBOT_QUEUE__URL" in text
    else:
        given = re.sub(r"'[^'\n]*'", " ", text)  # values as given ('push', 'polling' or 'webhook') are code
        assert english_prose(given, _names() | {"colour", "iana"}) == []
        assert "第 1 行第 5 列不是合法的 TOML" in text and "来自环境变量 PAIRBOT_QUEUE__URL" in text
