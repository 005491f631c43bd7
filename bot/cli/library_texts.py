"""Click and Typer's own words (Usage:, Options, Aborted!, Missing argument …) in the locale in force.

Both libraries call gettext's module functions, bound as `_` and `ngettext` in each of their modules at
import. Pointing those names at `bot.i18n` makes them follow `[app] locale` / LANG like our own texts;
their Chinese is in bot/locales/zh_CN/LC_MESSAGES/click.po.
"""

from __future__ import annotations

import importlib

from bot import i18n

MODULES = ("click.core", "click.decorators", "click.exceptions", "click.formatting", "click.parser",
           "click.termui", "click.types", "click.utils", "click._termui_impl", "typer.core")


def install() -> None:
    """Route click's and typer's texts through our catalogs (idempotent)."""
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # a click or typer without that module: its texts stay English
            continue
        if hasattr(module, "_"):
            module._ = i18n._  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = i18n.ngettext  # type: ignore[attr-defined]
