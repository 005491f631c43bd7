"""Settings: `config.toml` (or `--config` / `PAIRBOT_CONFIG`) overridden by `PAIRBOT_<SECTION>__<KEY>`.

Loaded once at start-up by `load_settings` and passed down; nothing here runs at import time.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError, ValidationInfo, field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from bot.i18n import N_, _, joined, os_reason
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

DEFAULT_CONFIG = Path("config.toml")

# An empty secret in config.toml means "not configured", like a missing key.
Secret = Annotated[SecretStr | None, BeforeValidator(lambda value: value or None)]
MAX_DATE_RANGE_DAYS = 366


def _date_list(value: Any) -> Any:
    """A list of days: a TOML list, or from the environment JSON or "2027-10-01,2027-10-02"; "A..B" is A to B."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise ValueError(_('应为日期列表，例如 2027-10-01,2027-10-02 或 ["2027-10-01","2027-10-02"]')) from None
        else:
            value = [part for part in re.split(r"[,，\s]+", text) if part]
    if not isinstance(value, list):
        return value  # pydantic says a list is expected
    days: list[Any] = []
    for item in value:
        days += _date_range(item) if isinstance(item, str) and ".." in item else [item]
    return days


def _date_range(text: str) -> list[date]:
    """'2027-10-01..2027-10-07' → the seven days, both ends included."""
    first, _dots, last = text.partition("..")
    try:
        start, end = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
    except ValueError:
        raise ValueError(_("日期区间应为 YYYY-MM-DD..YYYY-MM-DD，例如 2027-10-01..2027-10-07，而不是“{text}”").format(
            text=text)) from None
    if not 0 <= (end - start).days <= MAX_DATE_RANGE_DAYS:
        raise ValueError(_("日期区间“{text}”应从早到晚，且不超过 {days} 天").format(text=text, days=MAX_DATE_RANGE_DAYS))
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


# `[schedule] holidays` / `workdays`: NoDecode lets an environment variable be a plain comma list, not only JSON.
DateList = Annotated[list[date], NoDecode, BeforeValidator(_date_list)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AppSettings(_Section):
    # Empty: the CLI follows LC_ALL / LANG (zh… or en…), else Chinese. Chat and pages follow each person.
    locale: Literal["", "zh_CN", "en"] = ""


class DatabaseSettings(_Section):
    url: str = "sqlite:///pairbot.db"

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+", "postgres:")):
            raise ValueError(_("应为 sqlite:///路径 或 postgresql://用户@主机/数据库"))
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
            raise ValueError(_("应为 memory://、redis://主机:端口/N 或 amqp://用户:密码@主机:端口/"))
        return value

    @field_validator("ratelimit_url")
    @classmethod
    def _redis_only(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://")):
            raise ValueError(_("应为空，或 redis://主机:端口/N（保存共享限速的 Redis）"))
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
            raise ValueError(_('mode = "webhook" 时必须设置：1–256 个字符 A-Z a-z 0-9 _ -，例如 `openssl rand -hex 32` 的输出'))
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError(_("应为 1–256 个字符 A-Z a-z 0-9 _ -（Telegram 接受的字符）"))
        return value


class WecomSettings(_Section):
    corp_id: str = ""
    agent_id: int | None = None
    secret: Secret = None
    token: Secret = None
    encoding_aes_key: Secret = None
    api_base_url: str = "https://qyapi.weixin.qq.com"
    webhooks: dict[str, str] = {}
    callback_threads: int = Field(4, ge=1, le=64)  # unused since the inbox (bot.inbound); older files still load

    @field_validator("encoding_aes_key")
    @classmethod
    def _aes_key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9+/]{43}", value.get_secret_value()):
            raise ValueError(_("应为应用“接收消息”设置中 43 个字符的 EncodingAESKey"))
        return value

    @model_validator(mode="after")
    def _agent_with_app(self) -> WecomSettings:
        if self.corp_id and self.secret and self.agent_id is None:
            raise ValueError(_("设置了 corp_id 和 secret 时必须设置 [wecom] agent_id（应用的 AgentId，例如 1000002）"))
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
            raise ValueError(_("应为 http://主机[:端口] 或 https://主机（管理员打开的地址）"))
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
    holidays: DateList = []
    workdays: DateList = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(_("应为 IANA 时区名，例如 Asia/Shanghai")) from None
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

    app: AppSettings = AppSettings()
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


def configured_locale(argv: list[str]) -> str:
    """`[app] locale` as the command line will see it (PAIRBOT_APP__LOCALE, else the config file named by
    --config / PAIRBOT_CONFIG / ./config.toml), read before the settings are: help texts need it first.
    Empty when unset or unreadable (loading the settings reports a broken file properly)."""
    if os.environ.get("PAIRBOT_APP__LOCALE"):
        return os.environ["PAIRBOT_APP__LOCALE"]
    explicit = None
    for index, arg in enumerate(argv):
        if arg in ("--config", "-c") and index + 1 < len(argv):
            explicit = argv[index + 1]
        elif arg.startswith("--config="):
            explicit = arg.partition("=")[2]
    path, _named = config_path(explicit)
    try:
        app = tomllib.loads(path.read_text(encoding="utf-8")).get("app", {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return ""
    locale = app.get("locale", "") if isinstance(app, dict) else ""
    return locale if isinstance(locale, str) else ""


def load_settings(explicit: str | Path | None = None) -> Settings:
    path, named = config_path(explicit)
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(_("配置文件 {path} 无法解析：{reason}").format(path=path, reason=_unreadable(exc))) from None
        except OSError as exc:  # a directory, no permission
            raise ConfigError(_("配置文件 {path} 无法读取：{reason}").format(path=path, reason=os_reason(exc))) from None
    elif named:
        raise ConfigError(_("配置文件 {path} 不存在").format(path=path))
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path, data)) from None
    except SettingsError as exc:  # an environment value that should be JSON (a list, a table) is not
        raise ConfigError(_undecodable(exc)) from None


def _unreadable(exc: tomllib.TOMLDecodeError | UnicodeDecodeError) -> str:
    """Why a config file cannot be read, in the locale in force: where the TOML breaks (tomllib says it in
    English only), or that the file is not UTF-8."""
    if isinstance(exc, UnicodeDecodeError):
        return _("文件不是 UTF-8 编码")
    where = re.search(r"line (\d+), column (\d+)", str(exc))
    if where is None:
        return _("不是合法的 TOML")
    return _("第 {line} 行第 {column} 列不是合法的 TOML").format(line=where.group(1), column=where.group(2))


ENV_PREFIX = "PAIRBOT_"


def _environment(names: list[str]) -> str | None:
    """The first of `names` set in the environment, as it is spelled there (the names are case-insensitive)."""
    present = {key.upper(): key for key in os.environ}
    return next((present[name.upper()] for name in names if name.upper() in present), None)


def _section_variables(section: str) -> list[str]:
    prefix = f"{ENV_PREFIX}{section}".upper()
    return sorted(k for k in os.environ if k.upper() == prefix or k.upper().startswith(prefix + "__"))


def _source(loc: list[str], path: Path, data: dict[str, Any]) -> str:
    """Where the bad value came from: the environment variable that set it (the longest match), else the file."""
    keys = [part for part in loc if not part.isdigit()]
    candidates = [ENV_PREFIX + "__".join(part.upper() for part in keys[:n]) for n in range(len(keys), 0, -1)]
    variable = _environment(candidates)
    if variable is not None:
        return _("环境变量 {name}").format(name=variable)
    if len(keys) == 1:  # a rule across a section: its values may come from both
        variables = _section_variables(keys[0])
        if variables:
            if keys[0] in data:
                return _("配置文件 {path} 和环境变量 {names}").format(path=path, names=joined(variables))
            return _("环境变量 {name}").format(name=joined(variables))
    return _("配置文件 {path}").format(path=path) if path.exists() else _("默认值")


# Pydantic's error types, said in Chinese (the others keep pydantic's English message).
_EXPLAINED = {
    "missing": N_("缺少这一项"),
    "extra_forbidden": N_("没有这个设置项（拼写错误？config.toml 列出了全部设置项）"),
    "int_parsing": N_("应为整数"), "int_type": N_("应为整数"), "int_from_float": N_("应为整数"),
    "float_parsing": N_("应为数字"), "float_type": N_("应为数字"),
    "bool_parsing": N_("应为 true 或 false"), "bool_type": N_("应为 true 或 false"),
    "date_parsing": N_("应为日期 YYYY-MM-DD"), "date_from_datetime_parsing": N_("应为日期 YYYY-MM-DD"),
    "date_from_datetime_inexact": N_("应为日期 YYYY-MM-DD"), "date_type": N_("应为日期 YYYY-MM-DD"),
    "time_parsing": N_("应为时刻 HH:MM"), "time_type": N_("应为时刻 HH:MM"),
    "string_type": N_("应为字符串"), "list_type": N_("应为列表"), "dict_type": N_("应为表（TOML 表或 JSON 对象）"),
    "too_short": N_("至少要有 {min_length} 项"), "too_long": N_("最多 {max_length} 项"),
    "greater_than_equal": N_("应不小于 {ge}"), "greater_than": N_("应大于 {gt}"),
    "less_than_equal": N_("应不大于 {le}"), "less_than": N_("应小于 {lt}"),
    "string_pattern_mismatch": N_("格式不对，应符合 {pattern}"),
    "literal_error": N_("应为 {expected}"),
}
_UNEXPLAINED = N_("值无效")  # a pydantic error type not listed above: its English message is not shown


def _explain(err: ErrorDetails) -> str:
    context = dict(err.get("ctx") or {})
    if err["type"] == "value_error":  # our validators' own (Chinese) messages
        return str(context.get("error", err["msg"]))
    if err["type"] == "literal_error":
        context["expected"] = str(context.get("expected", "")).replace(" or ", _(" 或 "))
    template = _(_EXPLAINED.get(err["type"], _UNEXPLAINED))
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return template


def _describe(exc: ValidationError, path: Path, data: dict[str, Any]) -> str:
    """One line per bad setting: the key, where its value came from, what is expected, what was given."""
    lines = [_("配置有误，未启动：")]
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        keys = [part for part in loc if not part.isdigit()]
        shown = f"[{keys[0]}] {'.'.join(keys[1:])}" if len(keys) > 1 else (f"[{keys[0]}]" if keys else "?")
        shown += "".join(_(" 第 {n} 项").format(n=int(part) + 1) for part in loc if part.isdigit())
        explained, got = _explain(err), err.get("input")
        silent = isinstance(got, dict) or err["type"] == "missing" or str(got) in explained
        shown_got = "" if silent else _("（实际为 {value}）").format(value=repr(got))
        lines.append("  " + _("{key}，来自{source}：{problem}{given}").format(
            key=shown, source=_source(loc, path, data), problem=explained, given=shown_got))
    return "\n".join(lines)


def _undecodable(exc: SettingsError) -> str:
    """A list or table given in an environment variable that is not JSON: name the variable and the form."""
    match = re.search(r'field "(\w+)"', str(exc))
    section = match.group(1) if match else ""
    model = Settings.model_fields[section].annotation if section in Settings.model_fields else None
    fields = getattr(model, "model_fields", {})
    bad = []
    for variable in _section_variables(section):
        key = variable.upper().removeprefix(f"{ENV_PREFIX}{section}__".upper()).lower()
        if key in fields and get_origin(fields[key].annotation) in (list, dict):
            try:
                json.loads(os.environ[variable])
            except ValueError:
                bad.append(variable)
    named = joined(bad or _section_variables(section)) or f"{ENV_PREFIX}{section.upper()}__…"
    return _("配置有误，未启动：环境变量 {names} 的值无法解析：列表和表须写成 JSON，例如 {example1}、{example2}").format(
        names=named, example1="PAIRBOT_REMINDERS__AGREEMENT_STAGES='[30,14,7]'",
        example2="PAIRBOT_WECOM__WEBHOOKS='{\"group\": \"KEY\"}'")


def configured_channels(settings: Settings) -> list[str]:
    """The platforms this configuration has credentials for (the others are not started, and cannot send)."""
    names = []
    if settings.telegram.token:
        names.append("telegram")
    if settings.wecom.corp_id and settings.wecom.secret:
        names.append("wecom")
    return names
