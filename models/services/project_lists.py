"""The 项目库's lists: needs and projects of an admin's provinces, filtered by county, field and status.

One query each, joined to the county (and for projects the pairing and organization), newest
first, so a page and `pairbot needs list` / `pairbot projects list` show the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from models.pairing import Pairing, Project
from models.projects import Need
from models.registry import County, Organization
from models.services.ledger import Scope

DEFAULT_LIMIT = 200


@dataclass(frozen=True)
class Filters:
    """What a list is narrowed to; empty means no filter on that column."""

    county_id: int | None = None
    field: str = ""
    status: str = ""
    limit: int = DEFAULT_LIMIT

    def where(self, county: Any, field: Any, status: Any) -> list[ColumnElement[bool]]:
        """The conditions on the given columns for the filters that are set."""
        wanted = ((county, self.county_id), (field, self.field or None), (status, self.status or None))
        return [column == value for column, value in wanted if value is not None]


def find_needs(session: Session, scope: Scope, filters: Filters = Filters()) -> list[tuple[Need, County]]:
    """The needs of the scope's provinces that pass the filters, newest first."""
    query = select(Need, County).join(County, col(County.id) == Need.county_id).where(
        scope.county_filter(), *filters.where(Need.county_id, Need.field, Need.status))
    return list(session.exec(query.order_by(col(Need.id).desc()).limit(filters.limit)).all())


def find_projects(session: Session, scope: Scope, filters: Filters = Filters(),
                  ) -> list[tuple[Project, County, Organization]]:
    """The projects under pairings in the scope's provinces that pass the filters, newest first."""
    query = (select(Project, County, Organization).join(Pairing, col(Pairing.id) == Project.pairing_id)
             .join(County, col(County.id) == Pairing.county_id)
             .join(Organization, col(Organization.id) == Pairing.organization_id)
             .where(scope.county_filter(), *filters.where(Pairing.county_id, Project.field, Project.status)))
    return list(session.exec(query.order_by(col(Project.id).desc()).limit(filters.limit)).all())
