"""Jinja2 for the review pages: autoescaped templates and the filters that format ledger values in the page's
language (bot.i18n's locale in force: Chinese labels in Chinese, never a stored "failed" or "telegram")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader

import re

from bot.i18n import N_, _, current, ngettext
from bot.vocabulary import ORG_KIND, ORG_LEVEL

from models.pairing import PairingStatus, ProjectStatus
from models.projects import ClaimStatus, NeedStatus
from models.services.amounts import amount_text
from models.services.ledger import delivery_error, delivery_status_label, review_label
from models.services.reports import flag_label

LabelledStatus = PairingStatus | ProjectStatus | ClaimStatus | NeedStatus
TEMPLATES = Path(__file__).resolve().parent / "templates"
CHANNELS = {"telegram": N_("Telegram"), "wecom": N_("企业微信"), "console": N_("终端")}
# Why an organization is recommended for a need (models.services.matching), shown in the page's language.
REASONS = [
    (re.compile(r"^有(?P<field>.+)领域供给$"), N_("有{field}领域供给")),
    (re.compile(r"^(?P<field>.+)领域项目 (?P<n>\d+) 个$"), N_("{field}领域项目 {n} 个")),
    (re.compile(r"^(?P<field>.+?)领域供给，服务全国，能力 (?P<amount>[\d.]+) 万元$"), N_("{field}领域供给，服务全国，能力 {amount} 万元")),
    (re.compile(r"^(?P<field>.+?)领域供给，服务全国$"), N_("{field}领域供给，服务全国")),
    (re.compile(r"^(?P<field>.+?)领域供给，服务(?P<province>.+?)，能力 (?P<amount>[\d.]+) 万元$"),
     N_("{field}领域供给，服务{province}，能力 {amount} 万元")),
    (re.compile(r"^(?P<field>.+?)领域供给，服务(?P<province>.+)$"), N_("{field}领域供给，服务{province}")),
]
# Reasons an update waits for review (models.services.reports.review_flags), joined by "；" in review_note.


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
        return amount_text(float(value), grouped=True)

    def plain(value: int | float | None) -> str:
        """A number as typed into a form: no separators, no trailing zeros."""
        if value is None:
            return ""
        return amount_text(value)

    def num(value: int | float | None) -> str:
        return "—" if value is None else f"{value:,}"

    env.filters.update(when=when, day=day, wan=wan, num=num, plain=plain, pairing_status=label_of(PairingStatus),
                       need_status=label_of(NeedStatus), claim_status=label_of(ClaimStatus),
                       project_status=label_of(ProjectStatus), review=review_label, delivery=delivery_status_label,
                       channel=channel_label, tr=translated, field=translated, unit=unit_label, note=review_note,
                       delivery_error=delivery_error, reason=match_reason, org_level=ORG_LEVEL.shown,
                       org_kind=ORG_KIND.shown)
    env.globals["page_numbers"] = page_numbers  # a global, so imported macros (the pager) see it too
    return env


def label_of(kind: type[LabelledStatus]) -> Callable[[str], str]:
    """A filter that shows a stored status in the page's language (the status itself if it is not one of `kind`)."""

    def label(value: str) -> str:
        try:
            return _(kind(value).label)
        except ValueError:
            return value

    return label


def translated(value: object) -> str:
    """A label the code made (a field name such as 产业, 合计, a history action) in the page's language; anything
    else (names, what people wrote) as it is."""
    text = "" if value is None else str(value)
    return _(text) if text else text


def channel_label(value: str | None) -> str:
    return _(CHANNELS[value]) if value in CHANNELS else (value or "")


def unit_label(unit: str) -> str:
    """万元, 户, 人 in the page's language; 个 (a count of projects) needs no word in English."""
    if unit == "个" and current() != "zh_CN":
        return ""
    return _(unit)


def review_note(note: str) -> str:
    """Why an update waits for review, each reason in the page's language; a reviewer's own note as written."""
    return _("；").join(flag_label(part) for part in note.split("；"))


def page_numbers(page: int, pages: int) -> list[int]:
    """The page links to show: first, last and a few around the current one (0 marks a gap)."""
    wanted = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[int] = []
    for n in wanted:
        if out and n - out[-1] > 1:
            out.append(0)
        out.append(n)
    return out


def match_reason(reason: str) -> str:
    """A recommendation's reason (已与本县结对, 有产业领域供给 …) in the page's language."""
    for pattern, message in REASONS:
        found = pattern.match(reason)
        if found:
            values = found.groupdict()
            values["field"] = _(values["field"])
            return _(message).format(**values)
    return _(reason)
