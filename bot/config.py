"""Settings: `config.toml` (or `--config` / `PAIRBOT_CONFIG`) overridden by `PAIRBOT_<SECTION>__<KEY>`.

Loaded once at start-up by `load_settings` and passed down; nothing here runs at import time.
"""

from __future__ import annotations

import os
import tomllib
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_CONFIG = Path("config.toml")

# An empty secret in config.toml means "not configured", like a missing key.
Secret = Annotated[SecretStr | None, BeforeValidator(lambda value: value or None)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(_Section):
    url: str = "sqlite:///pairbot.db"

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+", "postgres:")):
            raise ValueError("expected sqlite:///PATH or postgresql://USER@HOST/DB")
        return value


class QueueSettings(_Section):
    url: str = "memory://"
    relay_after_seconds: float = Field(10.0, gt=0)
    worker_threads: int = Field(4, ge=1, le=64)

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("memory://", "redis://", "rediss://", "amqp://", "amqps://")):
            raise ValueError("expected memory://, redis://HOST:PORT/N or amqp://USER:PASS@HOST:PORT/")
        return value


class TelegramSettings(_Section):
    token: Secret = None
    api_base_url: str = "https://api.telegram.org/bot"
    mode: Literal["polling", "webhook"] = "polling"
    secret_token: Secret = None
    bot_username: str = ""


class WecomSettings(_Section):
    corp_id: str = ""
    agent_id: int | None = None
    secret: Secret = None
    token: Secret = None
    encoding_aes_key: Secret = None
    api_base_url: str = "https://qyapi.weixin.qq.com"
    webhooks: dict[str, str] = {}


class WebSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    max_body_bytes: int = Field(1_048_576, gt=0)


class ScheduleSettings(_Section):
    timezone: str = "Asia/Shanghai"
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone such as Asia/Shanghai") from None
        return value


class ReportsSettings(_Section):
    withdraw_minutes: int = Field(60, ge=0)


class InvitesSettings(_Section):
    expires_days: int = Field(14, ge=1, le=365)


class Settings(BaseSettings):
    """Every section of config.toml; environment variables win over the file."""

    model_config = SettingsConfigDict(
        env_prefix="PAIRBOT_", env_nested_delimiter="__", extra="forbid", nested_model_default_partial_update=True
    )

    database: DatabaseSettings = DatabaseSettings()
    queue: QueueSettings = QueueSettings()
    telegram: TelegramSettings = TelegramSettings()
    wecom: WecomSettings = WecomSettings()
    web: WebSettings = WebSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    reports: ReportsSettings = ReportsSettings()
    invites: InvitesSettings = InvitesSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file arrives as init kwargs; the environment must override it.
        return env_settings, init_settings

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.schedule.timezone)


class ConfigError(Exception):
    """A setting that cannot be used; the message names the key, where it came from, and what is expected."""


def config_path(explicit: str | Path | None = None) -> tuple[Path, bool]:
    """The file to read and whether the user named it (a named file must exist)."""
    if explicit:
        return Path(explicit), True
    if os.environ.get("PAIRBOT_CONFIG"):
        return Path(os.environ["PAIRBOT_CONFIG"]), True
    return DEFAULT_CONFIG, False


def load_settings(explicit: str | Path | None = None) -> Settings:
    path, named = config_path(explicit)
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"配置文件 {path} 无法解析: {exc}") from None
    elif named:
        raise ConfigError(f"配置文件 {path} 不存在 (config file not found)")
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None


def _describe(exc: ValidationError, path: Path) -> str:
    lines = [f"配置有误 (invalid configuration), 文件 {path}:"]
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        section, key = (loc[0], ".".join(loc[1:])) if len(loc) > 1 else ("", loc[0] if loc else "?")
        env_name = "PAIRBOT_" + "__".join(part.upper() for part in loc)
        source = f"环境变量 {env_name}" if env_name in os.environ else f"{path}"
        shown = f"[{section}] {key}" if section else key
        got = err.get("input")
        got_text = "" if isinstance(got, dict) else f" (got {got!r})"
        lines.append(f"  {shown} in {source}: {err['msg']}{got_text}")
    return "\n".join(lines)
