"""`pairbot needs …` and `pairbot projects …`: the 项目库 from the command line.

The command line acts as an operator of every province (actor ``cli``). Each command is one
unit of work around one service call (`models.services.needs`, `needs_listing`, `projects`,
`matching`); notices the step writes (to the county, the organizations) are handed to the
queue after commit. A step the service refuses — an unknown number, a need in the wrong status, an
option naming nothing — prints its Chinese reason and exits with 1 (`bot.cli.support.in_session`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer

from bot.i18n import N_, _, joined, pgettext

from bot.cli.common import ROW_ID_RANGE, Group, fail, settings_from
from models.services.amounts import amount_text


if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.config import Settings
    from models.pairing import Project
    from models.projects import Need
    from models.registry import County
    from models.services.ledger import Scope
    from models.services.matching import Candidate
    from models.services.needs_listing import HistoryRow

T = TypeVar("T")
needs_commands = Group("needs", N_("项目库需求：list 列表、show 详情、publish 发布、close 关闭、match 匹配排序、push 推送给社会组织。"))
projects_commands = Group("projects", N_("帮扶项目（由确认承接的需求建立）：list 列表、show 详情与进展数字、close 关闭、done 完成。"))

NeedId = Annotated[int, typer.Argument(help=_("需求编号"), show_default=False, **ROW_ID_RANGE)]
ProjectId = Annotated[int, typer.Argument(help=_("项目编号"), show_default=False, **ROW_ID_RANGE)]
Json = Annotated[bool, typer.Option("--json", help=_("以 JSON 输出"))]
Province = Annotated[Optional[list[str]], typer.Option(help=_("只看这些省份（全称或简称，可重复）；不填为全部"))]
CountyOpt = Annotated[Optional[str], typer.Option("--county", help=_("只看这个县（县名或 6 位代码）"))]
FieldOpt = Annotated[Optional[str], typer.Option("--field", help=_("只看这个领域：产业、就业、教育、健康、养老、消费、其他"))]
Limit = Annotated[int, typer.Option("--limit", min=1, max=10_000, help=_("最多列出多少条（最新的在前）"))]

def _run(settings: Settings, work: Callable[[Session, datetime, Any], T]) -> T:
    """`work(session, now, zone)` in one unit of work; a refusal (unknown number, wrong status, an option
    naming nothing) is its Chinese reason and exit code 1."""
    from bot.cli.support import in_session
    from models.services.ledger import NotVisible
    from models.services.needs import NeedError

    return in_session(settings, work, (NeedError, NotVisible, _BadOption))


def _read(ctx: typer.Context, work: Callable[[Session, datetime, Any], T]) -> T:

    return _run(settings_from(ctx), work)


def _show(ctx: typer.Context, work: Callable[[Session, datetime, Any], T], as_json: bool,
          print_text: Callable[[T], None]) -> None:
    """Read with `work`, then print it as JSON (--json) or as text and tables."""
    data = _read(ctx, work)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        print_text(data)


def _act(ctx: typer.Context, act: Callable[[Session, datetime, list[int]], str]) -> None:
    """A step that changes something: what `act` says it did is printed after commit, then its notices are
    handed to the queue."""
    from bot.cli.support import handed_over

    settings = settings_from(ctx)
    queued: list[int] = []
    typer.echo(_run(settings, lambda session, now, _zone: act(session, now, queued)))
    if queued:
        typer.echo(_("通知 {n} 条：{handover}").format(n=len(queued), handover=handed_over(settings, queued)))


class _BadOption(ValueError):
    """An option value that names nothing (a province, county, field or status that does not exist)."""


# --- needs ----------------------------------------------------------------------------------------------


@needs_commands.command("list", N_("列出需求（最新的在前），可按省份、县、领域、状态筛选。"))
def needs_list(
    ctx: typer.Context, province: Province = None, county: CountyOpt = None, field_: FieldOpt = None,
    status: Annotated[Optional[str], typer.Option(
        "--status", help=_("只看这个状态：草稿、已发布、已认领、实施中、已完成、已关闭、已撤回（或 draft、published …）"))] = None,
    limit: Limit = 200, as_json: Json = False,
) -> None:
    """列出需求（最新的在前），可按省份、县、领域、状态筛选。"""
    from models.projects import NEED_STATUS_LABELS
    from models.services.needs_listing import NeedFilter, need_page

    def work(session: Session, now: datetime, zone: Any) -> list[dict[str, Any]]:
        scope = _scope(province)
        wanted = NeedFilter(county_id=_county_id(session, county), field=_field(field_),
                            status=_status(status, NEED_STATUS_LABELS))
        return [_need_dict(row.need, row.county, zone) | {"organizations": row.organizations, "project_id": row.project_id}
                for row in need_page(session, scope, wanted, now, per_page=limit).rows]

    _show(ctx, work, as_json, lambda rows: _table(
        _("项目库需求"), (_("编号"), _("省份"), _("县"), _("领域"), _("需求"), _("金额（万元）"), _("状态"),
                          _("认领组织"), _("登记时间")), [
            (str(r["id"]), r["province"], r["county"], r["field"], r["title"], _amount(r["amount_wan"]),
             r["status_label"], joined(r["organizations"]) or "—", _minute(r["created_at"])) for r in rows],
        empty=_("没有符合条件的需求。")))


@needs_commands.command("show", N_("一条需求的详情：内容、各组织的接单、建立的项目、匹配排序和办理经过。"))
def needs_show(ctx: typer.Context, need_id: NeedId, as_json: Json = False) -> None:
    """一条需求的详情：内容、各组织的接单、建立的项目、匹配排序和办理经过。"""
    from models.services.ledger import Scope
    from models.services.needs_listing import need_detail

    def work(session: Session, _now: datetime, zone: Any) -> dict[str, Any]:
        detail = need_detail(session, Scope(), need_id)
        return _need_dict(detail.need, detail.county, zone) | {
            "author": detail.author, "source_label": detail.source,
            "project_id": detail.project.id if detail.project else None,
            "claims": [{"id": c.claim.id, "organization_id": c.claim.organization_id, "organization": c.organization,
                        "status": c.claim.status, "status_label": _claim_label(c.claim.status),
                        "reason": c.claim.reason, "created_at": _iso(c.claim.created_at, zone),
                        "decided_at": _iso(c.claim.decided_at, zone)} for c in detail.claims],
            "ranking": [_candidate_dict(n, c) for n, c in enumerate(detail.ranking, start=1)],
            "history": _history(detail.history, zone)}

    _show(ctx, work, as_json, _print_need)


@needs_commands.command("publish", N_("发布一条草稿需求：社会组织即可接单；同时通知县联络员。"))
def needs_publish(ctx: typer.Context, need_id: NeedId) -> None:
    """发布一条草稿需求：社会组织即可接单；同时通知县联络员。"""
    from models.services import needs
    from models.services.ledger import Scope

    def publish(session: Session, now: datetime, queued: list[int]) -> str:
        return _("已发布：{need}。").format(need=needs.need_label(needs.publish(session, Scope(), need_id, "cli", now, queued)))

    _act(ctx, publish)


@needs_commands.command("close", N_("关闭一条不再承接的需求（须写原因）；通知县联络员和等待确认的接单组织。"))
def needs_close(
    ctx: typer.Context, need_id: NeedId,
    reason: Annotated[str, typer.Option("--reason", help=_("关闭原因（必填），会告知县联络员和等待确认的接单组织"))] = "",
) -> None:
    """关闭一条不再承接的需求（须写原因）；通知县联络员和等待确认的接单组织。"""
    from models.services import needs
    from models.services.ledger import Scope

    def close(session: Session, now: datetime, queued: list[int]) -> str:
        need = needs.close_need(session, Scope(), need_id, reason, "cli", now, queued)
        return _("已关闭：{need}（{reason}）。").format(need=needs.need_label(need), reason=need.close_reason)

    _act(ctx, close)


@needs_commands.command("match", N_("需求的匹配排序：先是已与该县结对的组织，再是供给匹配的组织，再是有同领域项目经验的组织。"))
def needs_match(
    ctx: typer.Context, need_id: NeedId,
    top: Annotated[int, typer.Option("--top", min=1, max=200, help=_("列出前几家社会组织"))] = 20,
    as_json: Json = False,
) -> None:
    """需求的匹配排序：先是已与该县结对的组织，再是供给匹配的组织，再是有同领域项目经验的组织。"""
    from models.services import needs
    from models.services.ledger import Scope
    from models.services.matching import rank

    def work(session: Session, _now: datetime, _zone: Any) -> tuple[str, list[dict[str, Any]]]:
        need = needs.visible_need(session, Scope(), need_id)
        return needs.need_label(need), [_candidate_dict(n, c) for n, c in enumerate(rank(session, need, top), start=1)]

    label, ranking = _read(ctx, work)
    if as_json:
        typer.echo(json.dumps(ranking, ensure_ascii=False, indent=1))
        return
    _table(_("{need} 的匹配排序").format(need=label), (_("名次"), _("层级"), _("社会组织"), _("理由")),
           _ranking_rows(ranking), empty=_("{need}：没有已结对、供给匹配或有同领域项目经验的社会组织。").format(need=label))


@needs_commands.command("push", N_("把已发布的需求推送给排序靠前的社会组织（带“接单”按钮）：先列出对象并询问，--yes 直接发送。已接单的组织不再推送；通知经发件箱按各渠道的频率限制发出。"))
def needs_push(
    ctx: typer.Context, need_id: NeedId,
    top: Annotated[int, typer.Option("--top", min=1, max=200, help=_("推送给排序前几家社会组织"))] = 10,
    yes: Annotated[bool, typer.Option("--yes", "-y", help=_("不询问，直接加入发送队列"))] = False,
) -> None:
    """把已发布的需求推送给排序靠前的社会组织（带“接单”按钮）：先列出对象并询问，--yes 直接发送。

    已接单的组织不再推送；通知经发件箱按各渠道的频率限制发出。
    """
    from models.services import needs
    from models.services.ledger import Scope

    def dry_run(session: Session, now: datetime, _zone: Any) -> tuple[str, list[tuple[str, int]]]:
        """The same call, undone: who would be reached."""
        label = needs.need_label(needs.visible_need(session, Scope(), need_id))
        savepoint = session.begin_nested()
        try:
            return label, needs.push(session, Scope(), need_id, top, "cli", now)
        finally:
            savepoint.rollback()

    label, preview = _read(ctx, dry_run)
    reached = sum(n for _name, n in preview)
    _table(_("推送{need}").format(need=label), (_("社会组织"), _("可送达的联络人")),
           [(name, str(n)) for name, n in preview], empty=_("排序中没有尚未接单的社会组织。"))
    if reached == 0:
        raise fail(_("没有可以送达的社会组织联络人，未推送。"))
    if not yes:
        typer.confirm(_("向 {organizations} 家社会组织的 {contacts} 位联络人推送{need}？").format(
            organizations=len(preview), contacts=reached, need=label), abort=True)

    def push(session: Session, now: datetime, queued: list[int]) -> str:
        sent = needs.push(session, Scope(), need_id, top, "cli", now, queued)
        return _("已推送{need}：{organizations} 家社会组织，{contacts} 位联络人。").format(
            need=label, organizations=len(sent), contacts=sum(n for _name, n in sent))

    _act(ctx, push)


# --- projects -------------------------------------------------------------------------------------------


@projects_commands.command("list", N_("列出帮扶项目（最新的在前），可按省份、领域、状态筛选。"))
def projects_list(
    ctx: typer.Context, province: Province = None, field_: FieldOpt = None,
    status: Annotated[Optional[str], typer.Option(
        "--status", help=_("只看这个状态：计划中、实施中、已完成、已关闭（或 planned、active、done、closed）"))] = None,
    limit: Limit = 200, as_json: Json = False,
) -> None:
    """列出帮扶项目（最新的在前），可按省份、领域、状态筛选。"""
    from models.pairing import ProjectStatus
    from models.services.projects import ProjectFilter, project_page

    def work(session: Session, _now: datetime, zone: Any) -> list[dict[str, Any]]:
        wanted = ProjectFilter(field=_field(field_), status=_status(status, {s.value: s.label for s in ProjectStatus}))
        return [_project_dict(row.project, row.county, row.organization, zone)
                for row in project_page(session, _scope(province), wanted, per_page=limit).rows]

    _show(ctx, work, as_json, lambda rows: _table(
        _("帮扶项目"), (_("编号"), _("省份"), _("县"), _("社会组织"), _("项目名称"), _("领域"), _("金额（万元）"),
                        _("状态"), _("需求")), [
            (str(r["id"]), r["province"], r["county"], r["organization"], r["name"], r["field"],
             _amount(r["amount_wan"]), r["status_label"], f"#{r['need_id']}" if r["need_id"] else "—") for r in rows],
        empty=_("没有符合条件的项目。")))


@projects_commands.command("show", N_("一个项目的详情：结对双方、状态、进展数字（按台账口径汇总注明该项目的进展）、进展和经过。"))
def projects_show(ctx: typer.Context, project_id: ProjectId, as_json: Json = False) -> None:
    """一个项目的详情：结对双方、状态、进展数字（按台账口径汇总注明该项目的进展）、进展和经过。"""
    from models.services.ledger import Scope, review_label
    from models.services.projects import project_detail

    def work(session: Session, _now: datetime, zone: Any) -> dict[str, Any]:
        detail = project_detail(session, Scope(), project_id)
        return _project_dict(detail.project, detail.county, detail.organization, zone) | {
            "figures": detail.figures,
            "updates": [{"id": row.update.id, "created_at": _iso(row.update.created_at, zone),
                         "contact": row.contact_name, "text": row.update.raw_text,
                         "review_status": row.update.review_status, "review_label": review_label(row.update.review_status),
                         "withdrawn": row.update.withdrawn_at is not None} for row in detail.updates.rows],
            "updates_total": detail.updates.total,
            "history": _history(detail.history, zone)}

    _show(ctx, work, as_json, _print_project)


@projects_commands.command("close", N_("关闭一个无法完成的项目（须写原因，对应需求一并关闭）；通知双方联络人。"))
def projects_close(
    ctx: typer.Context, project_id: ProjectId,
    reason: Annotated[str, typer.Option("--reason", help=_("关闭原因（必填），会告知双方联络人"))] = "",
) -> None:
    """关闭一个无法完成的项目（须写原因，对应需求一并关闭）；通知双方联络人。"""
    _finish(ctx, project_id, "closed", reason)


@projects_commands.command("done", N_("把项目标记为已完成（对应需求一并完成）；通知双方联络人。"))
def projects_done(
    ctx: typer.Context, project_id: ProjectId,
    note: Annotated[str, typer.Option("--note", help=_("说明（可选），会告知双方联络人"))] = "",
) -> None:
    """把项目标记为已完成（对应需求一并完成）；通知双方联络人。"""
    _finish(ctx, project_id, "done", note)


def _finish(ctx: typer.Context, project_id: int, status: str, reason: str) -> None:
    from models.pairing import ProjectStatus
    from models.services.ledger import Scope
    from models.services.projects import finish_project

    def finish(session: Session, now: datetime, queued: list[int]) -> str:
        project = finish_project(session, Scope(), project_id, ProjectStatus(status), reason, "cli", now, queued)
        ending = f"：{project.close_reason}" if project.close_reason else ""
        return _("项目 #{id}「{name}」{status}{ending}。").format(
            id=project.id, name=project.name, status=ProjectStatus(status).label, ending=ending)

    _act(ctx, finish)


def register(app: typer.Typer) -> None:
    needs_commands.register(app)
    projects_commands.register(app)


# --- options ----------------------------------------------------------------------------------------------


def _scope(provinces: list[str] | None) -> Scope:
    """--province (repeatable, full or short names, 、 between) as a scope; none: every province."""
    from models.services.ledger import Scope
    from models.services.provinces import province_list

    if not provinces:
        return Scope()
    try:
        return Scope(tuple(name for given in provinces for name in province_list(given)) or None)
    except ValueError as exc:
        raise _BadOption(_("--province：{reason}").format(reason=exc)) from None


def _county_id(session: Session, county: str | None) -> int | None:
    from models.services.registry import require_county

    try:
        return require_county(session, county).id if county else None
    except LookupError as exc:
        raise _BadOption(_("--county：{reason}").format(reason=exc)) from None


def _field(field_: str | None) -> str:
    from models.services.parsing import FIELD_ORDER

    if field_ and field_ not in FIELD_ORDER:
        raise _BadOption(_("--field 应为 {fields} 之一，而不是“{given}”").format(fields=joined(FIELD_ORDER), given=field_))
    return field_ or ""


def _status(status: str | None, labels: dict[str, str]) -> str:
    """--status by value (published) or label (已发布); labels: value → label."""
    if not status:
        return ""
    wanted = status.lower() if status.lower() in labels else {label: value for value, label in labels.items()}.get(status)
    if not wanted:
        raise _BadOption(_("--status 应为 {labels}（或 {values}）之一，而不是“{given}”").format(
            labels=joined(labels.values()), values=joined(labels), given=status))
    return wanted


# --- what is printed ------------------------------------------------------------------------------------


def _need_dict(need: Need, county: County | None, zone: Any) -> dict[str, Any]:
    from models.projects import NEED_STATUS_LABELS

    return {"id": need.id, "province": county.province if county else "", "county": county.name if county else "",
            "county_code": county.code if county else "", "field": need.field, "title": need.title,
            "description": need.description, "amount_wan": need.amount_wan, "households": need.households,
            "people": need.people, "wanted_by": need.wanted_by.isoformat() if need.wanted_by else None,
            "status": need.status, "status_label": _(NEED_STATUS_LABELS.get(need.status, need.status)),
            "close_reason": need.close_reason, "source": need.source, "created_at": _iso(need.created_at, zone),
            "published_at": _iso(need.published_at, zone)}


def _project_dict(project: Project, county: County, organization: str, zone: Any) -> dict[str, Any]:
    from models.pairing import ProjectStatus

    return {"id": project.id, "name": project.name, "field": project.field, "description": project.description,
            "amount_wan": project.amount_wan, "status": project.status,
            "status_label": ProjectStatus(project.status).label, "close_reason": project.close_reason,
            "need_id": project.need_id, "pairing_id": project.pairing_id, "province": county.province,
            "county": county.name, "organization": organization,
            "created_at": _iso(project.created_at, zone), "closed_at": _iso(project.closed_at, zone)}


def _history(rows: list[HistoryRow], zone: Any) -> list[dict[str, Any]]:
    return [{"at": _iso(row.at, zone), "actor": row.actor, "action": row.action, "note": row.note} for row in rows]


def _candidate_dict(place: int, candidate: Candidate) -> dict[str, Any]:
    return {"rank": place, "organization_id": candidate.organization_id, "organization": candidate.name,
            "tier": candidate.tier, "tier_label": candidate.tier_label, "reasons": list(candidate.reasons),
            "score": candidate.score}


def _print_need(data: dict[str, Any]) -> None:
    console = _console()
    console.print(_("需求 #{id}「{title}」 {status}").format(id=data["id"], title=data["title"],
                                                          status=data["status_label"]), style="bold", markup=False)
    author = "，" + data["author"] if data["author"] else ""
    lines = [(N_("所在县"), f"{data['province']}{data['county']}（{data['county_code']}）"), (N_("领域"), data["field"]),
             (N_("内容"), data["description"]), (N_("金额"), pgettext("cli", "{amount} 万元").format(amount=_amount(data["amount_wan"]))),
             (N_("受益"), _("{households} 户，{people} 人").format(households=data["households"] or "—",
                                                                people=data["people"] or "—")),
             (N_("期望完成"), data["wanted_by"] or "—"),
             (N_("登记时间"), f"{_minute(data['created_at'])}（{data['source_label']}{author}）"),
             (N_("发布时间"), _minute(data["published_at"])), (N_("关闭原因"), data["close_reason"] or "—"),
             (N_("建立的项目"), f"#{data['project_id']}（pairbot projects show {data['project_id']}）"
              if data["project_id"] else "—")]
    for label, value in lines:
        console.print(_("{label}：{value}").format(label=_(label), value=value), markup=False)
    _table(_("接单情况"), (_("编号"), _("社会组织"), _("状态"), _("原因"), _("时间")), [
        (str(c["id"]), c["organization"], c["status_label"], c["reason"] or "—", _minute(c["created_at"]))
        for c in data["claims"]], empty=_("还没有社会组织接单。"))
    _table(_("匹配排序（前 20）"), (_("名次"), _("层级"), _("社会组织"), _("理由")), _ranking_rows(data["ranking"]),
           empty="")
    _print_history(data["history"])


def _print_project(data: dict[str, Any]) -> None:
    from bot.cli.ledger import COLUMNS

    console = _console()
    console.print(_("项目 #{id}「{name}」 {status}").format(id=data["id"], name=data["name"],
                                                         status=data["status_label"]), style="bold", markup=False)
    need = f"#{data['need_id']}（pairbot needs show {data['need_id']}）" if data["need_id"] else "—"
    for label, value in ((N_("结对"), f"{data['organization']} ↔ {data['province']}{data['county']}"),
                         (N_("领域"), data["field"]),
                         (N_("金额"), pgettext("cli", "{amount} 万元").format(amount=_amount(data["amount_wan"]))), (N_("需求"), need),
                         (N_("建立时间"), _minute(data["created_at"])), (N_("结束时间"), _minute(data["closed_at"])),
                         (N_("原因/说明"), data["close_reason"] or "—")):
        console.print(_("{label}：{value}").format(label=_(label), value=value), markup=False)
    figures = data["figures"]
    console.print(_("进展数字（按台账口径：累计数替换此前的数字，不重复计入）：") if figures else _("还没有计入的进展数字。"))
    for key, label in COLUMNS:
        if key in figures:
            console.print("  " + _("{label}：{value}").format(label=_(label), value=_number(figures[key])), markup=False)
    _table(_("进展（共 {n} 条，最新的在前）").format(n=data["updates_total"]),
           (_("编号"), _("时间"), _("报送人"), _("内容"), _("状态")), [
        (str(u["id"]), _minute(u["created_at"]), u["contact"], u["text"][:60],
         _("已撤回") if u["withdrawn"] else u["review_label"]) for u in data["updates"]], empty="")
    _print_history(data["history"])


def _print_history(history: list[dict[str, Any]]) -> None:
    _table(_("经过"), (_("时间"), _("操作"), _("操作人"), _("说明")), [
        (_minute(h["at"]), h["action"], h["actor"], h["note"] or "—") for h in history], empty="")


def _ranking_rows(ranking: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    return [(str(c["rank"]), c["tier_label"], c["organization"], "；".join(c["reasons"])) for c in ranking]


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]], *, empty: str) -> None:
    from bot.cli.tables import Table

    console = _console()
    if not rows:
        if empty:
            console.print(empty, markup=False)
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _console() -> Any:
    from bot.cli.tables import console

    return console()


def _iso(moment: datetime | None, zone: Any) -> str | None:
    return moment.astimezone(zone).isoformat(timespec="minutes") if moment else None


def _minute(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "—"


def _amount(value: float | None) -> str:
    return amount_text(value) if value is not None else "—"


def _number(value: float | int | None) -> str:
    return "—" if value is None else amount_text(value, grouped=True)


def _claim_label(status: str) -> str:
    from models.projects import ClaimStatus

    return ClaimStatus(status).label

