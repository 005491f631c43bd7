"""Jinja2 for the review pages: autoescaped templates and the filters that format ledger values in Chinese."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader

from bot.i18n import _, ngettext

from models.pairing import PairingStatus, ProjectStatus
from models.projects import ClaimStatus, NeedStatus
from models.services.ledger import delivery_status_label, review_label

LabelledStatus = PairingStatus | ProjectStatus | ClaimStatus | NeedStatus
TEMPLATES = Path(__file__).resolve().parent / "templates"
CHANNELS = {"telegram": "Telegram", "wecom": "企业微信", "console": "终端"}


def make_environment(zone: ZoneInfo) -> Environment:
    # autoescape=True everywhere: all that users wrote (update texts, names, notices) is escaped.
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    # {{ _("…") }} and {% trans %} follow the request's locale (bot/i18n.py's context variable).
    env.install_gettext_callables(_, ngettext, newstyle=True)  # type: ignore[attr-defined]

    def when(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "—"

    def day(value: datetime | date | None) -> str:
        if value is None:
            return "—"
        return (value.astimezone(zone) if isinstance(value, datetime) else value).strftime("%Y-%m-%d")

    def wan(value: float | None) -> str:
        if value is None:
            return "—"
        return f"{value:,.4f}".rstrip("0").rstrip(".")

    def plain(value: int | float | None) -> str:
        """A number as typed into a form: no separators, no trailing zeros."""
        if value is None:
            return ""
        return str(value) if isinstance(value, int) else f"{value:.4f}".rstrip("0").rstrip(".")

    def num(value: int | float | None) -> str:
        return "—" if value is None else f"{value:,}"

    env.filters.update(when=when, day=day, wan=wan, num=num, plain=plain, pairing_status=label_of(PairingStatus),
                       need_status=label_of(NeedStatus), claim_status=label_of(ClaimStatus),
                       project_status=label_of(ProjectStatus), review=review_label, delivery=delivery_status_label,
                       channel=lambda v: CHANNELS.get(v, v))
    env.globals["page_numbers"] = page_numbers  # a global, so imported macros (the pager) see it too
    return env


def label_of(kind: type[LabelledStatus]) -> Callable[[str], str]:
    """A filter that shows a stored status in Chinese (the status itself if it is not one of `kind`)."""

    def label(value: str) -> str:
        try:
            return kind(value).label
        except ValueError:
            return value

    return label


def page_numbers(page: int, pages: int) -> list[int]:
    """The page links to show: first, last and a few around the current one (0 marks a gap)."""
    wanted = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[int] = []
    for n in wanted:
        if out and n - out[-1] > 1:
            out.append(0)
        out.append(n)
    return out
