"""Pairing agreements (帮扶协议): recording them per season, amendments, and the read API.

An agreement belongs to a pairing and a *season*: the year whose 31 August deadline it meets
(`models.pairing.agreement_season` gives the default from the signing date). For one pairing and
season there is at most one *current* agreement; recording another is an **amendment**: a new
row is written and the earlier one is marked superseded (`superseded_by_id`, `superseded_at`).
Superseded versions are history: they are never added to the current one (协议金额 30 then 31 → 31).

Read API (for the ledger, the export and the review pages):

- `current_agreements(session, pairing_ids=None, season=None)` — the current version per pairing
  and season, i.e. what counts.
- `current_agreement(session, pairing_id, season)` — one of those, or None.
- `agreement_history(session, pairing_id, season=None)` — every version, newest first.
- `is_current()` — the SQL condition "not superseded", to add to a query on `Agreement`.
- `has_current_agreement(pairing_id, season=None)` — an SQL EXISTS for "the pairing has a current
  agreement (for that season)", to use in a WHERE clause.
- `deadline_season(due_on)` — the season an agreement deadline asks for.
- `listing(session, organization=None, county=None, season=None, history=False)` — plain rows (dicts)
  as `pairbot agreement list --json` prints them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists
from sqlmodel import Session, col, select

from bot.i18n import _
from models.base import utcnow
from models.pairing import Agreement, Pairing, PairingStatus, agreement_season
from models.registry import County, Organization
from models.services.amounts import amount_text
from models.services.audit import audit
from models.services.registry import find_organization, require_county

MAX_AMOUNT_WAN = 1_000_000  # 万元: anything larger is not a plausible agreement
FIRST_SEASON = 2000
DOCUMENT_MAX = 512  # Agreement.document's column length

CREATED, AMENDED, UNCHANGED = "created", "amended", "unchanged"


class AgreementError(ValueError):
    """An agreement record that is refused; the message says why, in Chinese."""


@dataclass(frozen=True)
class AgreementResult:
    """What `record_agreement` did: outcome created / amended / unchanged; `superseded` for an amendment."""

    agreement: Agreement  # the current version after the call
    outcome: str
    pairing: Pairing
    organization: Organization
    county: County
    superseded: Agreement | None = None


# --- read API ------------------------------------------------------------------------------------

def is_current() -> ColumnElement[bool]:
    """SQL condition: the agreement row is the current version (not superseded)."""
    return col(Agreement.superseded_by_id).is_(None)


def has_current_agreement(pairing_id: Any, season: int | None = None) -> ColumnElement[bool]:
    """SQL EXISTS: a current agreement for the pairing column/value `pairing_id` (and `season`, if given)."""
    a = Agreement.__table__.alias("current_agreement")  # type: ignore[attr-defined]
    conditions = [a.c.pairing_id == pairing_id, a.c.superseded_by_id.is_(None)]
    if season is not None:
        conditions.append(a.c.season == season)
    return exists().where(*conditions)


def deadline_season(due_on: date) -> int:
    """The season an agreement deadline due on `due_on` asks for: only agreements of it fulfil it."""
    return due_on.year


def current_agreements(session: Session, pairing_ids: Iterable[int] | None = None,
                       season: int | None = None) -> list[Agreement]:
    """The current (not superseded) agreement per pairing and season, by pairing then season.

    `pairing_ids` limits to those pairings (None: all), `season` to one season. Should two rows
    ever both be current for one pairing and season, only the newest is returned.
    """
    params: dict[str, Any] = {}
    if pairing_ids is not None:
        params["pairing_ids"] = list(pairing_ids)
        if not params["pairing_ids"]:
            return []
    if season is not None:
        params["season"] = season
    newest: dict[tuple[int, int], Agreement] = {}
    for row in session.exec(_current_query(pairing_ids is not None, season is not None), params=params).all():
        newest[(row.pairing_id, row.season)] = row
    return [newest[key] for key in sorted(newest)]


@cache
def _current_query(of_pairings: bool, of_season: bool) -> Any:
    """`current_agreements`' statement, built once per shape (a report with funds asks it)."""
    query = select(Agreement).where(is_current())
    if of_pairings:
        query = query.where(col(Agreement.pairing_id).in_(bindparam("pairing_ids", expanding=True)))
    if of_season:
        query = query.where(Agreement.season == bindparam("season"))
    return query.order_by(col(Agreement.id))


def current_agreement(session: Session, pairing_id: int, season: int) -> Agreement | None:
    """The pairing's current agreement for the season, or None."""
    found = current_agreements(session, [pairing_id], season)
    return found[0] if found else None


def agreement_history(session: Session, pairing_id: int, season: int | None = None) -> list[Agreement]:
    """Every version of the pairing's agreements (superseded ones too), newest first: by season, then recording."""
    query = select(Agreement).where(Agreement.pairing_id == pairing_id)
    if season is not None:
        query = query.where(Agreement.season == season)
    return list(session.exec(query.order_by(col(Agreement.season).desc(), col(Agreement.id).desc())).all())


def listing(session: Session, organization: str | None = None, county: str | None = None,
            season: int | None = None, history: bool = False) -> list[dict[str, Any]]:
    """Agreements as plain rows for `pairbot agreement list`: current ones, or with `history` every version.

    Ordered by pairing, then newest first. An unknown organization or county is an AgreementError.
    """
    query = (select(Agreement, Pairing, Organization, County)
             .join(Pairing, col(Pairing.id) == Agreement.pairing_id)
             .join(Organization, col(Organization.id) == Pairing.organization_id)
             .join(County, col(County.id) == Pairing.county_id))
    if organization is not None:
        org = find_organization(session, organization)
        if org is None:
            raise AgreementError(_("未找到社会组织“{name}”").format(name=organization.strip()))
        query = query.where(Pairing.organization_id == org.id)
    if county is not None:
        try:
            query = query.where(Pairing.county_id == require_county(session, county).id)
        except LookupError as exc:
            raise AgreementError(str(exc)) from None
    if season is not None:
        query = query.where(Agreement.season == season)
    if not history:
        query = query.where(is_current())
    rows = session.exec(query.order_by(col(Pairing.id), col(Agreement.season).desc(), col(Agreement.id).desc())).all()
    successors = {a.id: a for a in _by_id(session, {a.superseded_by_id for a, *_ in rows if a.superseded_by_id})}
    return [_as_row(a, p, o, k, successors.get(a.superseded_by_id)) for a, p, o, k in rows]


def _by_id(session: Session, ids: set[int]) -> list[Agreement]:
    return list(session.exec(select(Agreement).where(col(Agreement.id).in_(list(ids))))) if ids else []


def _as_row(agreement: Agreement, pairing: Pairing, org: Organization, county: County,
            successor: Agreement | None) -> dict[str, Any]:
    return {"id": agreement.id, "pairing_id": pairing.id, "organization": org.name,
            "county": f"{county.province}{county.name}", "county_code": county.code, "season": agreement.season,
            "signed_on": agreement.signed_on.isoformat(), "amount_wan": agreement.amount_wan,
            "document": agreement.document, "current": agreement.superseded_by_id is None,
            "superseded_by": agreement.superseded_by_id,
            "superseded_by_signed_on": successor.signed_on.isoformat() if successor else None,
            "superseded_at": agreement.superseded_at.isoformat() if agreement.superseded_at else None}


# --- checks --------------------------------------------------------------------------------------

def _find_pairing(session: Session, organization: str, county: str) -> tuple[Pairing, Organization, County]:
    """The pairing between them, locked for this unit of work; AgreementError naming what is missing."""
    org = find_organization(session, organization)
    if org is None:
        raise AgreementError(_("未找到社会组织“{name}”，请检查名称或先导入社会组织").format(name=organization.strip()))
    try:
        county_row = require_county(session, county)
    except LookupError as exc:
        raise AgreementError(str(exc)) from None
    pairing = session.exec(select(Pairing).where(Pairing.organization_id == org.id,
                                                 Pairing.county_id == county_row.id).with_for_update()).first()
    where = f"{county_row.province}{county_row.name}"
    if pairing is None:
        raise AgreementError(_("{org} 与 {county} 没有结对关系，请先导入结对").format(org=org.name, county=where))
    if pairing.status == PairingStatus.ended:
        raise AgreementError(_("{org} 与 {county} 的结对（编号 {id}）状态为“已结束”，不能登记协议").format(
            org=org.name, county=where, id=pairing.id))
    return pairing, org, county_row


def check_amount(amount_wan: float | None) -> float | None:
    """A finite amount in [0, 1,000,000] 万元, or None; AgreementError otherwise."""
    if amount_wan is None:
        return None
    if not math.isfinite(amount_wan) or not 0 <= amount_wan <= MAX_AMOUNT_WAN:
        raise AgreementError(_("协议金额应为 0 到 {max} 万元之间的数，而不是“{amount}”").format(
            max=f"{MAX_AMOUNT_WAN:,}", amount=amount_wan))
    return float(amount_wan)


def check_dates(signed_on: date, season: int | None, today: date) -> int:
    """The season (default: from the signing date); AgreementError for a future date or an absurd season."""
    if signed_on > today + timedelta(days=1):
        raise AgreementError(_("签订日期 {signed} 晚于今天（{today}），请检查日期").format(
            signed=signed_on.isoformat(), today=today.isoformat()))
    if season is None:
        season = agreement_season(signed_on)
    if season < FIRST_SEASON:
        raise AgreementError(_("协议年度 {season} 不合理：应不早于 {first} 年").format(season=season, first=FIRST_SEASON))
    if abs(season - signed_on.year) > 1:
        raise AgreementError(_("协议年度 {season} 与签订日期 {signed} 相差超过一年，请检查 --season 或 --signed").format(
            season=season, signed=signed_on.isoformat()))
    return season


def check_document(document: str) -> str:
    """The document reference, trimmed; AgreementError when too long."""
    document = document.strip()
    if len(document) > DOCUMENT_MAX:
        raise AgreementError(_("协议文件说明过长（{n} 字），最多 {max} 字").format(n=len(document), max=DOCUMENT_MAX))
    return document


# --- recording -----------------------------------------------------------------------------------

def record_agreement(
    session: Session, organization: str, county: str, signed_on: date, amount_wan: float | None, actor: str,
    document: str = "", season: int | None = None, today: date | None = None,
) -> AgreementResult:
    """Record a signed agreement for the pairing and season; it fulfils that season's agreement deadline.

    No current agreement for the season: created. Exactly the current one again: unchanged (an
    omitted amount or document counts as the current one's). Anything else: amended — a new row
    supersedes the current one, whose omitted amount or document it keeps; amounts are never
    added up. `today` (default: the UTC date) bounds the signing date. Audited.
    """
    pairing, org, county_row = _find_pairing(session, organization, county)
    amount_wan = check_amount(amount_wan)
    document = check_document(document)
    season = check_dates(signed_on, season, today or utcnow().date())
    current = current_agreement(session, pairing.id, season)  # type: ignore[arg-type]
    if current is not None:
        amount_wan = current.amount_wan if amount_wan is None else amount_wan
        document = document or current.document
        if (current.signed_on, current.amount_wan, current.document) == (signed_on, amount_wan, document):
            return AgreementResult(current, UNCHANGED, pairing, org, county_row)
    agreement = Agreement(pairing_id=pairing.id, season=season, signed_on=signed_on, amount_wan=amount_wan,
                          document=document)
    session.add(agreement)
    session.flush()
    if current is not None:
        current.superseded_by_id, current.superseded_at = agreement.id, utcnow()
        session.add(current)
        session.flush()
    outcome = CREATED if current is None else AMENDED
    audit(session, actor, f"agreement.{outcome}", f"pairing:{pairing.id}", agreement_id=agreement.id, season=season,
          signed_on=signed_on.isoformat(), amount_wan=amount_wan, document=document,
          **({} if current is None else {"superseded_id": current.id, "superseded_signed_on":
                                         current.signed_on.isoformat(), "superseded_amount_wan": current.amount_wan}))
    return AgreementResult(agreement, outcome, pairing, org, county_row, current)


# --- wording -------------------------------------------------------------------------------------

def describe(agreement: Agreement) -> str:
    """2026-08-20 签订，协议金额 30 万元，文件 X — one version, in the locale in force."""
    parts = [_("{day} 签订").format(day=agreement.signed_on.isoformat())]
    parts.append(_("协议金额未填") if agreement.amount_wan is None
                 else _("协议金额 {amount} 万元").format(amount=amount_text(agreement.amount_wan)))
    if agreement.document:
        parts.append(_("文件 {document}").format(document=agreement.document))
    return _("，").join(parts)


def result_text(result: AgreementResult) -> str:
    """The one-line Chinese report of `record_agreement` for the admin."""
    who = _("结对 {id}（{org}—{county}）").format(id=result.pairing.id, org=result.organization.name,
                                                 county=f"{result.county.province}{result.county.name}")
    what = _("{pairing} {season} 年度帮扶协议（{version}）").format(pairing=who, season=result.agreement.season,
                                                             version=describe(result.agreement))
    if result.outcome == CREATED:
        return _("已登记：{what}").format(what=what)
    if result.outcome == UNCHANGED:
        return _("已存在，未改动：{what}").format(what=what)
    old = result.superseded
    assert old is not None
    return _("已修订：{what}；原版本（{old}）已被取代，保留在历史中，金额以新版本为准，不累加").format(
        what=what, old=describe(old))
