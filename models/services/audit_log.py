"""The audit trail read side: who did what, filtered, paginated and limited to what an admin may see.

An admin of every province sees every entry. An admin scoped to provinces sees the entries whose
target lies in those provinces — a county, a pairing, a project, a progress update, a need, a
contact (county contacts there, organization contacts paired there) or a group tagged with such a
province — and every entry of their own (actor `contact:ID …`, or their own contact as the target).
The same rule serves the 操作日志 page and the sheet of the Excel export.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, String, cast, false, literal, or_, true, union_all
from sqlmodel import Session, col, select

from bot.i18n import N_, _
from models.base import count_of
from models.messaging import AuditLog
from models.pairing import Pairing, Project
from models.projects import Need
from models.registry import Contact, County, Group, Role
from models.reporting import ProgressUpdate
from models.services.ledger import Scope, actor_labels, update_scope, visible_organization_ids
from models.services.workcalendar import local_midnight

PER_PAGE = 50
MAX_ACTOR, MAX_ACTION = 128, 64
YEARS = (2000, 2100)  # dates outside are refused (400), never turned into an overflow
LOGIN_LINK = re.compile(r"(/review/login/)[A-Za-z0-9_\-]+")  # a live login token never leaves in a listing
ACTIONS = {  # what the common actions mean, for the page and the sheet (others are shown as written)
    "review.accept": N_("审核通过"), "review.reject": N_("退回进展"), "review.correct": N_("更正数字"),
    "review.login": N_("登录审核页面"), "review.login_failed": N_("登录失败"),
    "review.link_issued": N_("申请登录链接"),
    "review.logout": N_("退出审核页面"), "export": N_("导出台账"), "admin.set_password": N_("设置密码"),
    "broadcast.queue": N_("发送广播"), "broadcast.draft": N_("起草广播"), "broadcast.nudge": N_("催办回执"),
    "invite.create": N_("生成邀请码"), "invite.redeem": N_("绑定邀请码"), "invite.refused": N_("邀请码被拒"),
    "identity.rebind": N_("改绑聊天账号"), "identity.moved": N_("聊天账号转移"),
    "contact.pause": N_("退订提醒"), "contact.resume": N_("恢复提醒"), "contact.deactivate": N_("停用联系人"),
    "contact.reactivate": N_("重新启用联系人"), "contact.unbind": N_("解绑聊天账号"),
    "contact.merge": N_("合并联系人"), "simulate.as": N_("模拟器中以联系人身份对话"),
    "report.correct": N_("更正进展"), "report.withdraw": N_("撤回进展"),
    "group.recorded": N_("登记群"), "group.left": N_("退出群"), "group.tag": N_("群标签与省份"),
    "group.add_robot": N_("登记群机器人"),
    "group.update_robot": N_("更换群机器人地址"), "group.create_wecom_chat": N_("创建企业微信群聊"),
}
PREFIXES = {"pairing.": N_("结对调整"), "agreement.": N_("帮扶协议"), "need.": N_("项目库需求"),
            "project.": N_("帮扶项目"), "import.": N_("导入"), "obligation.": N_("报送事项")}
LINKS = {"county": "counties", "pairing": "pairings", "update": "updates", "broadcast": "broadcasts", "need": "needs",
         "project": "projects"}


class AuditQueryError(ValueError):
    """A filter that cannot be used (too long, not a date, a year out of range); the message is Chinese."""


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""  # a contact's name, or the start of the actor as recorded (cli, contact:7, telegram:…)
    action: str = ""  # the start of the action (review., pairing.suspend …)
    start: date | None = None  # first day, local
    end: date | None = None  # last day, local

    @classmethod
    def parse(cls, params: dict[str, str]) -> AuditFilter:
        actor, action = params.get("actor", "").strip(), params.get("action", "").strip()
        if len(actor) > MAX_ACTOR or len(action) > MAX_ACTION:
            raise AuditQueryError(_("操作人最多 {actor} 个字，操作最多 {action} 个字。").format(actor=MAX_ACTOR,
                                                                                  action=MAX_ACTION))
        start, end = _day(params.get("from", "")), _day(params.get("to", ""))
        if start and end and start > end:
            raise AuditQueryError(_("开始日期晚于结束日期。"))
        return cls(actor, action, start, end)

    def params(self) -> dict[str, str]:
        """The query string that keeps this filter (for the pager)."""
        values = {"actor": self.actor, "action": self.action, "from": self.start.isoformat() if self.start else "",
                  "to": self.end.isoformat() if self.end else ""}
        return {k: v for k, v in values.items() if v}


def _day(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or not YEARS[0] <= day.year <= YEARS[1]:
        raise AuditQueryError(_("日期应为 {first}–{last} 年间的 YYYY-MM-DD。").format(first=YEARS[0], last=YEARS[1]))
    return day


def _as_targets(kind: str, ids: Select[Any]) -> Select[Any]:
    """`kind:ID` strings of the ids a query selects, to compare with AuditLog.target."""
    [column] = ids.selected_columns
    return ids.with_only_columns(literal(f"{kind}:", String) + cast(column, String))


def _own(viewer: int) -> ColumnElement[bool]:
    me = f"contact:{viewer}"
    return or_(col(AuditLog.actor) == me, col(AuditLog.actor).startswith(f"{me} ", autoescape=True),
               col(AuditLog.target) == me)


def visible_entries(scope: Scope, viewer: int | None = None) -> ColumnElement[bool]:
    """The entries an admin with `scope` (and contact id `viewer`) may see."""
    if scope.provinces is None:
        return true()
    own = _own(viewer) if viewer is not None else false()
    if not scope.provinces:
        return own
    counties = select(County.id).where(scope.county_filter())
    pairings = select(Pairing.id).where(col(Pairing.county_id).in_(counties))
    contacts = select(Contact.id).where(or_(
        (col(Contact.role) == Role.county.value) & col(Contact.county_id).in_(counties),
        (col(Contact.role) == Role.organization.value)
        & col(Contact.organization_id).in_(visible_organization_ids(scope))))
    targets = union_all(
        _as_targets("county", counties), _as_targets("pairing", pairings),
        _as_targets("project", select(Project.id).where(col(Project.pairing_id).in_(pairings))),
        _as_targets("update", select(ProgressUpdate.id).where(update_scope(scope))),
        _as_targets("need", select(Need.id).where(col(Need.county_id).in_(counties))),
        _as_targets("contact", contacts),
        _as_targets("group", select(Group.id).where(col(Group.province).in_(scope.provinces))),
    )
    return or_(col(AuditLog.target).in_(targets), own)


def _matching(session: Session, wanted: AuditFilter, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.actor:
        named = session.exec(select(Contact.id).where(Contact.name == wanted.actor)).all()
        conditions.append(or_(col(AuditLog.actor).startswith(wanted.actor, autoescape=True), *(
            or_(col(AuditLog.actor) == f"contact:{i}", col(AuditLog.actor).startswith(f"contact:{i} ")) for i in named)))
    if wanted.action:
        conditions.append(col(AuditLog.action).startswith(wanted.action, autoescape=True))
    if wanted.start:
        conditions.append(col(AuditLog.at) >= local_midnight(wanted.start, zone))
    if wanted.end:
        conditions.append(col(AuditLog.at) < local_midnight(wanted.end + timedelta(days=1), zone))
    return conditions


def entries_query(session: Session, scope: Scope, viewer: int | None, wanted: AuditFilter,
                  zone: ZoneInfo) -> Select[Any]:
    """The visible entries matching the filter, newest first."""
    return (select(AuditLog).where(visible_entries(scope, viewer), *_matching(session, wanted, zone))
            .order_by(col(AuditLog.id).desc()))


@dataclass
class AuditPage:
    rows: list[AuditLog]
    total: int
    page: int
    per_page: int
    actors: dict[str, str] = field(default_factory=dict)  # actor → name, where it is a contact

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def audit_page(session: Session, scope: Scope, viewer: int | None, wanted: AuditFilter, zone: ZoneInfo,
               page: int = 1, per_page: int = PER_PAGE) -> AuditPage:
    """One page of entries; LookupError for a page past the last."""
    query = entries_query(session, scope, viewer, wanted, zone)
    total = session.execute(count_of(query)).scalar_one()
    result = AuditPage([], total, page, per_page)
    if page > result.pages:
        raise LookupError(page)
    result.rows = list(session.exec(query.offset((page - 1) * per_page).limit(per_page)).all())
    result.actors = actor_names(session, {r.actor for r in result.rows})
    return result


def actor_names(session: Session, actors: set[str]) -> dict[str, str]:
    """Who acted, by name: "王主任（审核页面）" as on the pairing page; a bare contact:N is just the name."""
    return actor_labels(session, actors, bare_names=True)


def action_label(action: str) -> str:
    """审核通过, 结对调整 … for the actions people look for; the recorded name otherwise."""
    if action in ACTIONS:
        return _(ACTIONS[action])
    return next((_(label) for prefix, label in PREFIXES.items() if action.startswith(prefix)), "")


def target_link(target: str) -> str | None:
    """The review page of a target (`pairing:3` → /pairings/3), when there is one."""
    kind, _, number = target.partition(":")
    return f"/{LINKS[kind]}/{number}" if kind in LINKS and number.isdigit() else None


def details_text(details: dict[str, Any] | None, limit: int = 300) -> str:
    text = LOGIN_LINK.sub(r"\1…", json.dumps(details or {}, ensure_ascii=False, default=str))
    return "" if text == "{}" else text if len(text) <= limit else text[: limit - 1] + "…"


def sheet_rows(session: Session, scope: Scope, viewer: int | None, zone: ZoneInfo, batch: int) -> Iterator[list[Any]]:
    """Every visible entry, oldest first, as rows of the 操作日志 sheet: streamed `batch` at a time (a server-side
    cursor on PostgreSQL), the actors of each batch named with one query."""
    query = (entries_query(session, scope, viewer, AuditFilter(), zone).order_by(None).order_by(col(AuditLog.id))
             .with_only_columns(AuditLog.id, AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.target,
                                AuditLog.details))
    for chunk in session.execute(query.execution_options(yield_per=batch)).partitions(batch):
        names = actor_names(session, {row[2] for row in chunk})
        for number, at, actor, action, target, details in chunk:
            yield [number, at, names.get(actor, actor), actor, action_label(action), action, target,
                   details_text(details, limit=2_000)]
