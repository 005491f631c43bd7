"""The short lists chat shows about the 项目库: a county's needs, the drafts an admin may publish, names."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from models.projects import Need, NeedStatus
from models.registry import County, Organization
from models.services.ledger import Scope

LIST_LIMIT = 20


def county_needs(session: Session, county_id: int, limit: int = LIST_LIMIT) -> list[Need]:
    """The county's needs, newest first; withdrawn drafts left out."""
    return list(session.exec(select(Need).where(Need.county_id == county_id, Need.status != NeedStatus.withdrawn)
                             .order_by(col(Need.id).desc()).limit(limit)).all())


def drafts_in(session: Session, scope: Scope, limit: int = LIST_LIMIT) -> list[Need]:
    """Drafts waiting to be published in the admin's provinces, oldest first (first come, first published)."""
    return list(session.exec(select(Need).join(County, col(County.id) == Need.county_id)
                             .where(Need.status == NeedStatus.draft, scope.county_filter())
                             .order_by(col(Need.id)).limit(limit)).all())


def county_names(session: Session, county_ids: Iterable[int]) -> dict[int, str]:
    """county id → “四川省布拖县”."""
    ids = list(set(county_ids))
    rows = session.exec(select(County.id, County.province, County.name).where(col(County.id).in_(ids))).all()
    return {county_id: f"{province}{name}" for county_id, province, name in rows}


def organization_names(session: Session, organization_ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(organization_ids))
    return dict(session.exec(select(Organization.id, Organization.name).where(col(Organization.id).in_(ids))).all())
