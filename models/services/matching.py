"""Which organizations to ask first for a need: the 项目库's ranking.

Three tiers, in order (DESIGN, issue 13):
1. organizations already paired with the need's county (结对组织), those with a matching offer first;
2. organizations whose active offer (供给) names the need's field, works in its province (or
   anywhere) and can cover the amount sought;
3. organizations with past projects in that field.
Within a tier the better fit comes first (see `_score`); ties go to the lower organization id so
the order is stable. The data of many needs is loaded once (`Matcher`), so a province's needs
rank in one pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.pairing import Pairing, PairingStatus, Project
from models.projects import ClaimStatus, Need, NeedClaim, Offer
from models.registry import County, Organization

TIERS = {1: "已结对", 2: "供给匹配", 3: "同领域项目经验"}
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Candidate:
    organization_id: int
    name: str
    tier: int
    reasons: tuple[str, ...]
    score: float

    @property
    def tier_label(self) -> str:
        return TIERS[self.tier]


@dataclass(frozen=True)
class _OfferFit:
    organization_id: int
    provinces: frozenset[str]
    capacity_wan: float | None


class Matcher:
    """The offers, pairings and past projects relevant to a set of needs, read in a few queries."""

    def __init__(self, session: Session, needs: Sequence[Need]) -> None:
        self.session = session
        county_ids = {need.county_id for need in needs}
        fields = {need.field for need in needs}
        self.province = dict(session.exec(select(County.id, County.province)
                                          .where(col(County.id).in_(county_ids))).all())
        self.paired: dict[int, set[int]] = defaultdict(set)
        for county_id, org_id in session.exec(select(Pairing.county_id, Pairing.organization_id).where(
                col(Pairing.county_id).in_(county_ids), Pairing.status == PairingStatus.active)).all():
            self.paired[county_id].add(org_id)
        self.offers: dict[str, list[_OfferFit]] = defaultdict(list)
        for org_id, field, provinces, capacity in session.exec(select(
                Offer.organization_id, Offer.field, Offer.provinces, Offer.capacity_wan).where(
                col(Offer.active).is_(True), col(Offer.field).in_(fields))).all():
            self.offers[field].append(_OfferFit(org_id, frozenset(provinces or ()), capacity))
        self.past: dict[str, dict[int, int]] = defaultdict(dict)
        for org_id, field, n in session.exec(select(Pairing.organization_id, Project.field, func.count())
                                             .join(Pairing, col(Pairing.id) == Project.pairing_id)
                                             .where(col(Project.field).in_(fields))
                                             .group_by(Pairing.organization_id, Project.field)).all():
            self.past[field][org_id] = int(n)
        need_ids = [need.id for need in needs]
        self.declined: dict[int, set[int]] = defaultdict(set)
        for need_id, org_id in session.exec(select(NeedClaim.need_id, NeedClaim.organization_id).where(
                col(NeedClaim.need_id).in_(need_ids), NeedClaim.status == ClaimStatus.declined)).all():
            self.declined[need_id].add(org_id)
        self._names: dict[int, str] = {}

    def rank(self, need: Need, limit: int = DEFAULT_LIMIT) -> list[Candidate]:
        province = self.province.get(need.county_id, "")
        found: dict[int, tuple[int, float, list[str]]] = {}
        past = self.past.get(need.field, {})
        fits = {fit.organization_id: fit for fit in self._fitting_offers(need, province)}
        for org_id in self.paired.get(need.county_id, ()):
            reasons = ["已与本县结对"]
            if org_id in fits:
                reasons.append(f"有{need.field}领域供给")
            if past.get(org_id):
                reasons.append(f"{need.field}领域项目 {past[org_id]} 个")
            found[org_id] = (1, (2 if org_id in fits else 0) + min(past.get(org_id, 0), 10) / 10, reasons)
        for org_id, fit in fits.items():
            if org_id not in found:
                found[org_id] = (2, _score(fit, need.amount_wan, province), _offer_reasons(fit, need, province))
        for org_id, n in past.items():
            if org_id not in found:
                found[org_id] = (3, float(n), [f"{need.field}领域项目 {n} 个"])
        for org_id in self.declined.get(need.id or 0, ()):  # the county already said no to them
            found.pop(org_id, None)
        best = sorted(found.items(), key=lambda item: (item[1][0], -item[1][1], item[0]))[:limit]
        names = self._names_of([org_id for org_id, _ in best])
        return [Candidate(org_id, names.get(org_id, str(org_id)), tier, tuple(reasons), round(score, 3))
                for org_id, (tier, score, reasons) in best]

    def _fitting_offers(self, need: Need, province: str) -> Iterable[_OfferFit]:
        """The best offer per organization that works in the province and can cover the amount."""
        best: dict[int, _OfferFit] = {}
        for fit in self.offers.get(need.field, ()):
            if fit.provinces and province not in fit.provinces:
                continue
            if need.amount_wan is not None and fit.capacity_wan is not None and fit.capacity_wan < need.amount_wan:
                continue
            held = best.get(fit.organization_id)
            if held is None or _score(fit, need.amount_wan, province) > _score(held, need.amount_wan, province):
                best[fit.organization_id] = fit
        return best.values()

    def _names_of(self, org_ids: Iterable[int]) -> dict[int, str]:
        missing = [org_id for org_id in org_ids if org_id not in self._names]
        if missing:
            self._names.update(self.session.exec(select(Organization.id, Organization.name)
                                                 .where(col(Organization.id).in_(missing))).all())
        return self._names


def _score(fit: _OfferFit, amount: float | None, province: str) -> float:
    """A province-specific offer beats a nationwide one; a capacity close to the amount beats a vast one."""
    score = 1.0 if province in fit.provinces else 0.5
    if amount and fit.capacity_wan:
        score += amount / fit.capacity_wan  # ≤ 1, since smaller capacities were filtered out
    return score


def _offer_reasons(fit: _OfferFit, need: Need, province: str) -> list[str]:
    where = f"服务{province}" if province in fit.provinces else "服务全国"
    capacity = f"，能力 {fit.capacity_wan:g} 万元" if fit.capacity_wan is not None else ""
    return [f"{need.field}领域供给，{where}{capacity}"]


def rank(session: Session, need: Need, limit: int = DEFAULT_LIMIT) -> list[Candidate]:
    """The ranking of one need (its page, `pairbot needs match ID`)."""
    return Matcher(session, [need]).rank(need, limit)


def rank_all(session: Session, needs: Sequence[Need], limit: int = DEFAULT_LIMIT) -> dict[int, list[Candidate]]:
    """The rankings of many needs (a province's), with their data read once."""
    matcher = Matcher(session, needs)
    return {need.id: matcher.rank(need, limit) for need in needs if need.id is not None}
