"""Settings: file, environment overrides, and refusals that name the key, the source and what is expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

REPO = Path(__file__).resolve().parents[1]


def test_shipped_config_loads_with_working_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAIRBOT_CONFIG", raising=False)
    settings = load_settings(REPO / "config.toml")
    assert settings.database.url == "sqlite:///pairbot.db"
    assert settings.queue.url == "memory://"
    assert settings.telegram.token is None and settings.telegram.mode == "polling"
    assert settings.schedule.timezone == "Asia/Shanghai" and str(settings.schedule.quiet_start) == "21:00:00"


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[telegram]\ntoken = "from-file"\n[web]\nport = 9000\n', encoding="utf-8")
    monkeypatch.setenv("PAIRBOT_TELEGRAM__TOKEN", "123:from-env")
    monkeypatch.setenv("PAIRBOT_CONFIG", str(path))
    settings = load_settings()
    assert settings.telegram.token is not None and settings.telegram.token.get_secret_value() == "123:from-env"
    assert settings.web.port == 9000


def _refusal(path: Path, text: str) -> str:
    """The message of the ConfigError that loading `text` from `path` (and the environment) raises."""
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    return str(caught.value)


def test_bad_value_names_key_file_and_expectation(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    message = _refusal(path, '[telegram]\nmode = "push"\n[schedule]\ntimezone = "Mars/Olympus"\n')
    assert "[telegram] mode" in message and str(path) in message and "'polling' 或 'webhook'" in message
    assert "[schedule] timezone" in message and "IANA" in message


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PAIRBOT_QUEUE__URL", "kafka://x")
    with pytest.raises(ConfigError, match="PAIRBOT_QUEUE__URL"):
        load_settings(None)


def test_unknown_key_and_missing_named_file_are_refused(tmp_path: Path) -> None:
    assert "[databse]" in _refusal(tmp_path / "typo.toml", "[databse]\nurl = 'sqlite://'\n")
    with pytest.raises(ConfigError, match="不存在"):
        load_settings(tmp_path / "nope.toml")


def test_every_config_key_is_commented() -> None:
    lines = (REPO / "config.toml").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            assert lines[n - 1].lstrip().startswith("#"), f"config.toml line {n + 1} has no comment above it"


def test_a_bad_environment_list_item_is_blamed_on_the_variable(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    monkeypatch.setenv("PAIRBOT_SCHEDULE__HOLIDAYS", '["2027-10-01", "2027-13-01"]')
    path = tmp_path / "c.toml"
    message = _refusal(path, '[schedule]\nholidays = ["2027-10-01"]\n')
    assert "[schedule] holidays 第 2 项，来自环境变量 PAIRBOT_SCHEDULE__HOLIDAYS：应为日期 YYYY-MM-DD" in message
    assert "2027-13-01" in message and str(path) not in message


def test_the_variable_is_named_as_it_is_spelled_and_messages_are_chinese(monkeypatch: pytest.MonkeyPatch,
                                                                           tmp_path: Path) -> None:
    monkeypatch.setenv("pairbot_web__port", "abc")  # environment names are not case-sensitive
    with pytest.raises(ConfigError) as caught:
        load_settings(None)
    assert "[web] port，来自环境变量 pairbot_web__port：应为整数（实际为 'abc'）" in str(caught.value)
    monkeypatch.delenv("pairbot_web__port")
    path = tmp_path / "c.toml"
    assert f"[web] port，来自配置文件 {path}：应不大于 65535" in _refusal(path, "[web]\nport = 70000\n")


def test_a_rule_across_a_section_names_the_variables_that_fed_it(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("PAIRBOT_WECOM__SECRET", "s3cret")
    path = tmp_path / "c.toml"
    message = _refusal(path, '[wecom]\ncorp_id = "ww1234"\n')
    assert f"[wecom]，来自配置文件 {path} 和环境变量 PAIRBOT_WECOM__SECRET：" in message and "agent_id" in message
    assert "s3cret" not in message


def test_an_environment_list_that_is_not_json_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIRBOT_REMINDERS__AGREEMENT_STAGES", "30,14")
    with pytest.raises(ConfigError, match="环境变量 PAIRBOT_REMINDERS__AGREEMENT_STAGES 的值无法解析：列表和表须写成 JSON"):
        load_settings(None)


def test_holidays_from_the_environment_as_a_comma_list_with_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    monkeypatch.setenv("PAIRBOT_SCHEDULE__HOLIDAYS", "2027-10-01..2027-10-03, 2027-01-01")
    monkeypatch.setenv("PAIRBOT_SCHEDULE__WORKDAYS", '["2027-09-26"]')
    schedule = load_settings(None).schedule
    assert schedule.holidays == [date(2027, 10, 1), date(2027, 10, 2), date(2027, 10, 3), date(2027, 1, 1)]
    assert schedule.workdays == [date(2027, 9, 26)]
    monkeypatch.setenv("PAIRBOT_SCHEDULE__HOLIDAYS", "2027-10-07..2027-10-01")
    with pytest.raises(ConfigError, match="PAIRBOT_SCHEDULE__HOLIDAYS：日期区间“2027-10-07..2027-10-01”应从早到晚"):
        load_settings(None)


def test_holiday_ranges_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[schedule]\nholidays = ["2027-02-05..2027-02-11", 2027-10-01]\n', encoding="utf-8")
    holidays = load_settings(path).schedule.holidays
    assert len(holidays) == 8 and holidays[0].isoformat() == "2027-02-05" and holidays[-1].isoformat() == "2027-10-01"
