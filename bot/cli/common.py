"""What every `pairbot` command shares: the --config option, loading the settings, failing with a reason.

Light on purpose (typer only): `pairbot --help` imports every command module, and commands import
their services inside the function body.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer

from bot.i18n import _

if TYPE_CHECKING:
    from bot.config import Settings

F = TypeVar("F", bound=Callable[..., Any])

ConfigOption = Annotated[
    Optional[Path], typer.Option("--config", "-c", help=_("配置文件（默认：./config.toml 或 $PAIRBOT_CONFIG）。"))
]


# Bounds of a row number typed on the command line (the INTEGER keys: models.base.MAX_ID, kept equal by
# a test). Outside them click refuses the number with its usage error (exit 2) before any query, so a
# number past 64 bits cannot reach the database driver (it raised OverflowError, a traceback).
ROW_ID_RANGE: dict[str, int] = {"min": 1, "max": 2**31 - 1}


def root(ctx: typer.Context, config: ConfigOption = None) -> None:
    """The root callback: remembers --config for `settings_from(ctx)`."""
    ctx.obj = {"config": config}


def settings_from(ctx: typer.Context) -> Settings:
    """The settings named by --config (or the defaults); a broken config file exits 2 with the reason."""
    from bot.config import ConfigError, load_settings

    try:
        return load_settings(ctx.obj.get("config") if ctx.obj else None)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `message` on stderr and return the Exit to raise."""
    typer.echo(message, err=True)
    return typer.Exit(code)


# SQLSTATEs of a schema that is missing or older than the code: no such table, no such column.
_SCHEMA_MISSING = ("42P01", "42703")


def interrupted(exc: BaseException) -> bool:
    """Was `exc` caused by Ctrl-C (or SIGTERM)? An interrupt that lands inside a database call leaves the driver's
    connection mid-query, and cleaning it up raises an error of its own with the KeyboardInterrupt as its context."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def database_unusable(exc: BaseException) -> str | None:
    """What to tell the operator when a command failed because the database cannot be used: it cannot be
    opened or reached, or it was never initialised (or not upgraded) with `pairbot init`. None for any
    other error, which is a bug and keeps its traceback."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    if not isinstance(exc, (OperationalError, ProgrammingError)):
        return None
    reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
    code = getattr(exc.orig, "sqlstate", None)
    if code in _SCHEMA_MISSING or reason.startswith(("no such table", "no such column")):
        return _("数据库还没有初始化，或版本比程序旧（{reason}）：请先运行 pairbot init。").format(reason=reason)
    if isinstance(exc, OperationalError):
        return _("无法使用数据库（{reason}）：请检查 [database] url（或 PAIRBOT_DATABASE__URL）所指的数据库"
                 "是否存在、能否连接，文件所在的目录是否存在。").format(reason=reason)
    return None


def file_unusable(exc: BaseException) -> str | None:
    """What to tell the operator when a file named on the command line cannot be reached (a name too long for
    the file system, a folder where a file belongs, no permission); None for any other error."""
    from bot.i18n import os_reason

    if not isinstance(exc, OSError) or exc.filename is None:
        return None
    return _("无法访问 {file}：{reason}").format(file=exc.filename, reason=os_reason(exc))


def require_schema(settings: Settings) -> None:
    """Refuse, exit 1 with what to do, to start a long-running process on a database `pairbot init` has not
    made or upgraded (it would start and then fail in every thread with missing tables)."""
    from bot.db import make_engine, schema_revisions

    engine = make_engine(settings.database.url)
    try:
        current, newest = schema_revisions(engine)
    finally:
        engine.dispose()
    if not current:
        raise fail(_("数据库 {url} 还没有初始化：请先运行 pairbot init。").format(url=safe_url(settings.database.url)))
    if current != newest:
        raise fail(_("数据库 {url} 的版本（{current}）与程序（{newest}）不一致：请运行 pairbot init 升级。").format(
            url=safe_url(settings.database.url), current=", ".join(sorted(current)), newest=", ".join(sorted(newest))))


def safe_url(url: str) -> str:
    """A database URL fit to print: the password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


class Group:
    """The commands of one `pairbot NAME …` group, collected when its module is imported.

    The Typer object is made only in `register`, called from `bot.cli.build_app`: the command tree
    is built in one place, when `pairbot` starts (where help texts can later be translated).
    """

    def __init__(self, name: str, help: str) -> None:
        self.name = name
        self.help = help  # marked with N_(), translated when the tree is built
        self._commands: list[tuple[str, str | None, Callable[..., Any], dict[str, Any]]] = []

    def command(self, name: str, help: str | None = None, **options: Any) -> Callable[[F], F]:
        """Collect `pairbot GROUP NAME`; `help` (marked with N_()) replaces the docstring in `--help`;
        `options` go to Typer's `command` (short_help, also marked, and hidden)."""

        def add(function: F) -> F:
            self._commands.append((name, help, function, options))
            return function

        return add

    def register(self, app: typer.Typer) -> None:
        group = typer.Typer(help=_(self.help), no_args_is_help=True)
        for name, help, function, options in self._commands:
            if options.get("short_help"):
                options = {**options, "short_help": _(options["short_help"])}
            group.command(name, help=_(help) if help else None, **options)(function)
        app.add_typer(group, name=self.name)
