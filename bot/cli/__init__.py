"""The `pairbot` command line. Commands only parse input and call services; heavy imports happen inside them.

One module per command or command group; each has `register(app)`. `build_app` is the one place that
makes the Typer tree, when `pairbot` starts. This package imports none of its modules at import time,
and they never import it, so `import bot.cli.X` runs no cycle (tests/test_cli_package.py).
"""

from __future__ import annotations

import importlib
import inspect
import re
import signal
import sys
from functools import cache
from typing import Any

import typer
from typer.models import DefaultPlaceholder

from bot.i18n import N_, _

HELP = N_("结对帮扶助手 pairbot — 社会组织与国家乡村振兴重点帮扶县结对帮扶的 Telegram / 企业微信机器人。")

# In `pairbot --help` order (single commands are listed before command groups).
MODULES: tuple[str, ...] = (
    "init", "invite", "parse", "simulate", "run", "export", "worker", "scheduler",
    "imports", "telegram", "admin", "review", "broadcast", "cycles", "agreement", "reminders",
    "ledger", "pairing", "contacts", "needs", "groups",
)


def build_app() -> typer.Typer:
    """The whole `pairbot` command tree, freshly made."""
    from bot.cli.common import root
    from bot.cli.library_texts import install

    install()  # click's own words (Usage:, Options, Aborted!) follow the locale too
    app = typer.Typer(help=_(HELP), no_args_is_help=True, add_completion=False, rich_markup_mode=None)
    app.callback()(root)
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}").register(app)
    _short_helps(app)
    return app


SHORT_HELP = 48  # characters of a Chinese first sentence shown in a command list


def _short_helps(app: typer.Typer) -> None:
    """Click shortens a help text for the command list at a space, and Chinese has none: a long first
    sentence showed as "...". A command or group without a short help gets its first sentence."""
    for command in app.registered_commands:
        if command.short_help is None:
            command.short_help = _first_sentence(command.help or inspect.getdoc(command.callback) or "")
    for group in app.registered_groups:
        help = group.typer_instance.info.help
        if isinstance(group.short_help, DefaultPlaceholder) and isinstance(help, str):
            group.short_help = _first_sentence(help)
        _short_helps(group.typer_instance)


def _first_sentence(text: str) -> str | None:
    """The text up to its first 。 or ；, cut to SHORT_HELP characters at a word's or clause's end (never inside a
    word such as “contacts”); None (click's own way) for other text."""
    if not re.search("[\u4e00-\u9fff]", text):
        return None
    sentence = re.split("[。；\n]", text.strip(), maxsplit=1)[0]
    if len(sentence) <= SHORT_HELP:
        return sentence
    cut = sentence[:SHORT_HELP - 1]
    ends = [m.start() for m in re.finditer(r"[、，,：:（( ]", cut) if m.start() >= SHORT_HELP // 2]
    return (cut[:ends[-1]] if ends else cut).rstrip() + "…"


@cache
def _app() -> typer.Typer:
    return build_app()


def __getattr__(name: str) -> Any:
    """`bot.cli.app`: the tree built once, for tests and embedding (`main` builds its own)."""
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _dump_stacks_on_sigusr1() -> None:
    """`kill -USR1 PID` prints every thread's stack to stderr: how to see where a hung process waits.

    A Python-level handler, so the stacks are read holding the interpreter lock: faulthandler's own C
    handler reads other threads' frames while they run and can crash the process (it did, SIGSEGV, in
    tests/reminders/test_leader.py)."""
    import faulthandler

    if hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, lambda *_: faulthandler.dump_traceback(all_threads=True))


def main() -> None:
    """The `pairbot` entry point: the language first (help texts are made in it), then the command tree."""
    from bot.config import configured_locale
    from bot.i18n import cli_locale, set_installation_locale, set_locale

    configured = configured_locale(sys.argv[1:])
    set_installation_locale(configured)  # what contacts who chose no language read (notices written from here)
    set_locale(cli_locale(configured))  # what the operator reads
    # SIGTERM (kill, a service manager, a CI timeout) stops a command as Ctrl-C does, so its cleanup runs:
    # the open transaction is rolled back, an export's half-written file removed. `pairbot run`, `worker`
    # and `scheduler` put their own handlers in place of this one.
    signal.signal(signal.SIGTERM, _interrupt)
    _dump_stacks_on_sigusr1()
    try:
        build_app()()
    except Exception as exc:
        from bot.cli.common import database_unusable, file_unusable, interrupted

        if interrupted(exc):  # Ctrl-C inside a database call: the driver's clean-up error is not the news
            typer.echo(_("已中断，未完成的部分没有写入。"), err=True)
            raise SystemExit(130) from None
        message = _contended(exc) or database_unusable(exc) or file_unusable(exc)
        if message is None:
            raise
        typer.echo(message, err=True)
        raise SystemExit(1) from None


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


CONFLICTS = {"40P01", "40001"}  # PostgreSQL: deadlock detected, serialization failure (the transaction was undone)


def _contended(exc: Exception) -> str | None:
    """What to tell the operator when the command lost a contest for the database to another process
    (SQLite's busy timeout ran out; PostgreSQL broke a deadlock with it): its transaction was undone and
    running it again later works, so a message, not a traceback. None for any other error."""
    import sqlite3

    from bot.db import BUSY_SECONDS

    original = getattr(exc, "orig", None)
    if isinstance(original, sqlite3.OperationalError) and "database is locked" in str(original):
        return _("数据库正忙：另一个进程（如 pairbot run、导入或 pairbot ledger rebuild）占用写锁超过 {seconds} 秒，"
                 "本命令未完成的部分没有写入。请稍后重试。").format(seconds=BUSY_SECONDS)
    if getattr(original, "sqlstate", None) in CONFLICTS:
        return _("数据库忙：本命令与另一个进程（如 pairbot run）同时修改同一批数据，数据库撤销了本命令未完成的部分。请重试。")
    return None
