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


def test_bad_value_names_key_file_and_expectation(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[telegram]\nmode = "push"\n[schedule]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "[telegram] mode" in message and str(path) in message and "'polling' or 'webhook'" in message
    assert "[schedule] timezone" in message and "IANA" in message


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PAIRBOT_QUEUE__URL", "kafka://x")
    with pytest.raises(ConfigError, match="PAIRBOT_QUEUE__URL"):
        load_settings(None)


def test_unknown_key_and_missing_named_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text("[databse]\nurl = 'sqlite://'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="databse"):
        load_settings(path)
    with pytest.raises(ConfigError, match="不存在"):
        load_settings(tmp_path / "nope.toml")


def test_every_config_key_is_commented() -> None:
    lines = (REPO / "config.toml").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            assert lines[n - 1].lstrip().startswith("#"), f"config.toml line {n + 1} has no comment above it"
