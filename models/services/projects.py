"""帮扶项目: the projects under pairings, their figures (from the updates that name them) and their end.

A project's figures are never stored: they are its counted updates read with the ledger's own
rules (`sums.walk`: increments add, running totals replace), so a project page and the pairing's
ledger can never disagree, and nothing is counted twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from models.pairing import OPEN_PROJECT_STATUSES, Pairing, PairingStatus, Project, ProjectStatus
from models.projects import Need, NeedStatus
from models.registry import Contact, County, Role
from models.reporting import ProgressUpdate
from models.services.audit import audit
from models.services.ledger import NotVisible, Scope
from models.services.needs import MAX_REASON, NeedError, clean_reason, contacts_of_county, contacts_of_organization, tell
from models.services.sums import COUNTED, FIGURES, Entry, walk

PROJECT_PREFIX = "project"  # callback data of the “which project?” choice


def visible_project(session: Session, scope: Scope, project_id: int) -> tuple[Project, Pairing, County]:
    """A project an admin of `scope` may see, with its pairing and county; NotVisible otherwise."""
    project = session.get(Project, project_id)
    pairing = session.get(Pairing, project.pairing_id) if project else None
    county = session.get(County, pairing.county_id) if pairing else None
    if project is None or pairing is None or county is None or not scope.allows(county.province):
        raise NotVisible(f"没有编号为 {project_id} 的项目。")
    return project, pairing, county


def project_updates(session: Session, project_id: int) -> list[ProgressUpdate]:
    """The updates that name the project, in the order they were sent (withdrawn and rejected included)."""
    return list(session.exec(select(ProgressUpdate).where(ProgressUpdate.project_id == project_id)
                             .order_by(col(ProgressUpdate.created_at), col(ProgressUpdate.id))).all())


def project_figures(updates: list[ProgressUpdate]) -> dict[str, float | int]:
    """A project's totals: its counted updates walked like a ledger account (FIGURES → total)."""
    counted = [Entry(u.id, {key: getattr(u, key) for key in FIGURES}, frozenset(u.cumulative or ()))  # type: ignore[arg-type]
               for u in updates if u.withdrawn_at is None and u.review_status in COUNTED]
    totals: dict[str, float | int] = {}
    for delta in walk(counted).values():
        for key, value in delta.items():
            totals[key] = round(totals.get(key, 0) + value, 4)
    return totals


def open_projects_of(session: Session, contact: Contact) -> list[Project]:
    """The open projects of the contact's pairings (what a progress update may name), oldest first."""
    query = select(Project).join(Pairing, col(Pairing.id) == Project.pairing_id).where(
        col(Project.status).in_(list(OPEN_PROJECT_STATUSES)),
        col(Pairing.status).in_([PairingStatus.active, PairingStatus.proposed]))
    if contact.role == Role.county and contact.county_id:
        query = query.where(Pairing.county_id == contact.county_id)
    elif contact.role == Role.organization and contact.organization_id:
        query = query.where(Pairing.organization_id == contact.organization_id)
    else:
        return []
    return list(session.exec(query.order_by(col(Project.id))).all())


def finish_project(session: Session, scope: Scope, project_id: int, status: ProjectStatus, reason: str, actor: str,
                   now: datetime, queued: list[int] | None = None) -> Project:
    """An admin marks a project 已完成 (done) or 已关闭 (closed, with a reason); its need follows."""
    project, pairing, _ = visible_project(session, scope, project_id)
    if project.status not in OPEN_PROJECT_STATUSES:
        raise NeedError(f"项目 #{project.id} 当前为{ProjectStatus(project.status).label}。")
    if status not in (ProjectStatus.done, ProjectStatus.closed):
        raise NeedError("项目只能标记为已完成或已关闭。")
    project.status = status
    project.close_reason = clean_reason(reason) if status == ProjectStatus.closed else reason.strip()[:MAX_REASON]
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
    ending = f"：{project.close_reason}" if project.close_reason else ""
    tell(session, contacts_of_county(session, pairing.county_id) + contacts_of_organization(session, pairing.organization_id),
         f"项目 #{project.id}「{project.name}」{ProjectStatus(status).label}{ending}。", queued)
    return project
