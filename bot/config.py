"""Settings: `config.toml` (or `--config` / `PAIRBOT_CONFIG`) overridden by `PAIRBOT_<SECTION>__<KEY>`.

Loaded once at start-up by `load_settings` and passed down; nothing here runs at import time.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError, ValidationInfo, field_validator,
    model_validator,
)
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
    name: str = Field("deliveries", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    ratelimit_url: str = ""
    sending_timeout_seconds: float = Field(120.0, gt=0)

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("memory://", "redis://", "rediss://", "amqp://", "amqps://")):
            raise ValueError("expected memory://, redis://HOST:PORT/N or amqp://USER:PASS@HOST:PORT/")
        return value

    @field_validator("ratelimit_url")
    @classmethod
    def _redis_only(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://")):
            raise ValueError("expected empty or redis://HOST:PORT/N (the Redis that holds the shared rate limits)")
        return value


class TelegramSettings(_Section):
    token: Secret = None
    api_base_url: str = "https://api.telegram.org/bot"
    mode: Literal["polling", "webhook"] = "polling"
    secret_token: Secret = Field(None, validate_default=True)
    bot_username: str = ""

    @field_validator("secret_token")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token; without it anyone could post updates.
        if value is None and info.data.get("mode") == "webhook" and info.data.get("token") is not None:
            raise ValueError('required when mode = "webhook": 1-256 characters A-Z a-z 0-9 _ -, '
                             "for example from `openssl rand -hex 32`")
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("expected 1-256 characters A-Z a-z 0-9 _ - (what Telegram accepts)")
        return value


class WecomSettings(_Section):
    corp_id: str = ""
    agent_id: int | None = None
    secret: Secret = None
    token: Secret = None
    encoding_aes_key: Secret = None
    api_base_url: str = "https://qyapi.weixin.qq.com"
    webhooks: dict[str, str] = {}
    callback_threads: int = Field(4, ge=1, le=64)

    @field_validator("encoding_aes_key")
    @classmethod
    def _aes_key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9+/]{43}", value.get_secret_value()):
            raise ValueError("expected the 43-character EncodingAESKey from the app's 接收消息 settings")
        return value

    @model_validator(mode="after")
    def _agent_with_app(self) -> WecomSettings:
        if self.corp_id and self.secret and self.agent_id is None:
            raise ValueError("[wecom] agent_id is required with corp_id and secret (the app's AgentId, e.g. 1000002)")
        return self


class WebSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    max_body_bytes: int = Field(1_048_576, gt=0)
    base_url: str = ""
    session_minutes: int = Field(480, ge=1, le=10_080)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("expected http://HOST[:PORT] or https://HOST (the address admins open)")
        return value.rstrip("/")

    @property
    def public_url(self) -> str:
        """Where browsers reach this app: base_url, else the address it listens on."""
        return self.base_url or f"http://{self.host}:{self.port}"


class ScheduleSettings(_Section):
    timezone: str = "Asia/Shanghai"
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    tick_seconds: int = Field(60, ge=1, le=3600)
    in_run: bool = True
    leader_retry_seconds: float = Field(5.0, gt=0, le=300)
    holidays: list[date] = []
    workdays: list[date] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone such as Asia/Shanghai") from None
        return value


Stages = Annotated[list[Annotated[int, Field(ge=0, le=366)]], Field(min_length=1)]
MONTH_DAY = r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"


class RemindersSettings(_Section):
    """Defaults for the obligations `pairbot init` creates and for `pairbot cycles add`; see README."""

    agreement_due: str = Field("08-31", pattern=rf"^({MONTH_DAY})?$")
    agreement_stages: Stages = [30, 14, 7, 3, 1]
    monthly_due: str = Field("end", pattern=r"^(end|day:([1-9]|[12][0-9]|3[01]))$")
    monthly_stages: Stages = [5, 1]
    year_end_due: str = Field("12-31", pattern=rf"^{MONTH_DAY}$")
    year_end_stages: Stages = [30, 14, 7, 3, 1]
    stages: Stages = [7, 3, 1]
    reply_window_hours: int = Field(72, ge=0, le=24 * 31)
    escalate_days: int = Field(7, ge=1, le=366)
    summary_weekday: int = Field(1, ge=1, le=7)
    # Admins' daily digest (每日待办); inside quiet hours it waits for their end; "" sends none.
    digest_time: Annotated[time | None, BeforeValidator(lambda value: value or None)] = time(9, 0)
    # Obligation kinds that keep reminding contacts who sent 退订 (agreement, monthly, quarterly, annual).
    mandatory: list[Literal["agreement", "monthly", "quarterly", "annual"]] = ["agreement", "annual"]


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
    reminders: RemindersSettings = RemindersSettings()

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
