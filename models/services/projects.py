"""帮扶项目: the projects under pairings, their figures (from the updates that name them) and their end.

A project's figures are never stored: they are its counted updates read with the ledger's own
rules (`sums.walk`: increments add, running totals replace), so a project page and the pairing's
ledger can never disagree, and nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bot.i18n import _
from models.base import count_of
from models.pairing import OPEN_PROJECT_STATUSES, Pairing, PairingStatus, Project, ProjectStatus
from models.projects import Need, NeedStatus
from models.registry import Contact, County, Organization, Role
from models.reporting import ProgressUpdate
from models.services.audit import audit
from models.services.ledger import NotVisible, Page, Scope, update_page
from models.services.needs import (NeedError, clean_reason, contacts_of_county, contacts_of_organization,
                                   tell_each)
from models.services.needs_listing import HistoryRow, history_rows
from models.services.parsing import FIELD_ORDER
from models.services.sums import COUNTED, entry_of, walk

PROJECT_PREFIX = "project"  # callback data of the “which project?” choice


def visible_project(session: Session, scope: Scope, project_id: int) -> tuple[Project, Pairing, County]:
    """A project an admin of `scope` may see, with its pairing and county; NotVisible otherwise."""
    project = session.get(Project, project_id)
    pairing = session.get(Pairing, project.pairing_id) if project else None
    county = session.get(County, pairing.county_id) if pairing else None
    if project is None or pairing is None or county is None or not scope.allows(county.province):
        raise NotVisible(_("没有编号为 {id} 的项目。").format(id=project_id))
    return project, pairing, county


def project_updates(session: Session, project_id: int) -> list[ProgressUpdate]:
    """The updates that name the project, in the order they were sent (withdrawn and rejected included)."""
    return list(session.exec(select(ProgressUpdate).where(ProgressUpdate.project_id == project_id)
                             .order_by(col(ProgressUpdate.created_at), col(ProgressUpdate.id))).all())


def project_figures(updates: list[ProgressUpdate]) -> dict[str, float | int]:
    """A project's totals: its counted updates walked like a ledger account (FIGURES → total)."""
    counted = [entry_of(u) for u in updates if u.withdrawn_at is None and u.review_status in COUNTED]
    totals: dict[str, float | int] = {}
    for delta in walk(counted).values():
        for key, value in delta.items():
            totals[key] = round(totals.get(key, 0) + value, 4)
    return totals


def open_projects_of(session: Session, contact: Contact) -> list[Project]:
    """The open projects of the contact's pairings (what a progress update may name), oldest first."""
    if contact.role == Role.county and contact.county_id:
        query, owner = _open_projects_query(True), contact.county_id
    elif contact.role == Role.organization and contact.organization_id:
        query, owner = _open_projects_query(False), contact.organization_id
    else:
        return []
    return list(session.exec(query, params={"owner": owner}).all())


@cache
def _open_projects_query(of_county: bool) -> Any:
    """Built once per side (asked for every report): the open projects of a county's or organization's pairings."""
    owner = Pairing.county_id if of_county else Pairing.organization_id
    return select(Project).join(Pairing, col(Pairing.id) == Project.pairing_id).where(
        col(Project.status).in_(list(OPEN_PROJECT_STATUSES)),
        col(Pairing.status).in_([PairingStatus.active, PairingStatus.proposed]),
        owner == bindparam("owner")).order_by(col(Project.id))


def finish_project(session: Session, scope: Scope, project_id: int, status: ProjectStatus, reason: str, actor: str,
                   now: datetime, queued: list[int] | None = None) -> Project:
    """An admin marks a project 已完成 (done) or 已关闭 (closed, with a reason); its need follows."""
    project, pairing, _county = visible_project(session, scope, project_id)
    if project.status not in OPEN_PROJECT_STATUSES:
        raise NeedError(_("项目 #{id} 当前为{status}。").format(id=project.id, status=ProjectStatus(project.status).label))
    if status not in (ProjectStatus.done, ProjectStatus.closed):
        raise NeedError(_("项目只能标记为已完成或已关闭。"))
    project.status = status
    project.close_reason = clean_reason(reason) if status == ProjectStatus.closed or reason.strip() else ""
    project.closed_at = now
    session.add(project)
    audit(session, actor, f"project.{status.value}", f"project:{project.id}", reason=project.close_reason)
    need = session.get(Need, project.need_id) if project.need_id else None
    if need is not None:
        need.status = NeedStatus.done if status == ProjectStatus.done else NeedStatus.closed
        need.close_reason = project.close_reason
        need.updated_at = now
        session.add(need)
        audit(session, actor, f"need.project_{status.value}", f"need:{need.id}", project=project.id,
              reason=project.close_reason)
    def notice() -> str:
        if not project.close_reason:
            return _("项目 #{id}「{name}」{status}。").format(id=project.id, name=project.name,
                                                        status=ProjectStatus(status).label)
        return _("项目 #{id}「{name}」{status}：{reason}。").format(id=project.id, name=project.name,
                                                             status=ProjectStatus(status).label, reason=project.close_reason)

    tell_each(session, contacts_of_county(session, pairing.county_id)
              + contacts_of_organization(session, pairing.organization_id), notice, queued)
    return project


# --- the review pages -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectFilter:
    """The 帮扶项目 listing's filters; unknown values are ignored."""

    province: str = ""
    field: str = ""
    status: str = ""

    @classmethod
    def parse(cls, params: Any) -> ProjectFilter:
        field, status = params.get("field", ""), params.get("status", "")
        return cls(str(params.get("province", "")), field if field in FIELD_ORDER else "",
                   status if status in set(ProjectStatus) else "")

    def query(self) -> dict[str, str]:
        return {key: value for key, value in vars(self).items() if value}


@dataclass
class ProjectRow:
    project: Project
    county: County
    organization: str


def project_page(session: Session, scope: Scope, filters: ProjectFilter, page: int = 1, per_page: int = 50) -> Page:
    """Projects under pairings in scope, newest first, with their county and organization."""
    scope = scope.narrowed(filters.province)
    where = [scope.county_filter()]
    if filters.field:
        where.append(col(Project.field) == filters.field)
    if filters.status:
        where.append(col(Project.status) == filters.status)
    base = _project_rows().where(*where)
    total = session.execute(count_of(base)).scalar_one()
    result = session.exec(base.order_by(col(Project.id).desc()).offset((max(1, page) - 1) * per_page)
                          .limit(per_page)).all()
    return Page([ProjectRow(*row) for row in result], int(total), max(1, page), per_page)


def projects_of_county(session: Session, county_id: int) -> list[ProjectRow]:
    """The projects of a county's pairings, newest first (the county page; its scope is checked there)."""
    result = session.exec(_project_rows().where(Pairing.county_id == county_id).order_by(col(Project.id).desc()))
    return [ProjectRow(*row) for row in result.all()]


def _project_rows() -> Any:
    """Projects joined to their pairing's county and organization (name): the rows of a ProjectRow."""
    return (select(Project, County, Organization.name).join(Pairing, col(Pairing.id) == Project.pairing_id)
            .join(County, col(County.id) == Pairing.county_id)
            .join(Organization, col(Organization.id) == Pairing.organization_id))


@dataclass
class ProjectDetail:
    project: Project
    pairing: Pairing
    county: County
    organization: str
    need: Need | None
    figures: dict[str, float | int]
    updates: Page
    history: list[HistoryRow]


def project_detail(session: Session, scope: Scope, project_id: int, page: int = 1) -> ProjectDetail:
    """Everything a project's page shows: its figures, the updates that name it, its history and its need's."""
    project, pairing, county = visible_project(session, scope, project_id)
    organization = session.get(Organization, pairing.organization_id)
    need = session.get(Need, project.need_id) if project.need_id else None
    targets = [f"project:{project.id}"] + ([f"need:{need.id}"] if need else [])
    return ProjectDetail(project, pairing, county, organization.name if organization else "", need,
                         project_figures(project_updates(session, project.id)),  # type: ignore[arg-type]
                         update_page(session, scope, project_id=project.id, page=page),
                         history_rows(session, targets))
