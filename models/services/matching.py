"""Which organizations to ask first for a need: the 项目库's ranking.

Three tiers, in order (DESIGN, issue 13):
1. organizations already paired with the need's county (结对组织), those with a matching offer first;
2. organizations whose active offer (供给) names the need's field, works in its province (or
   anywhere) and can cover the amount sought;
3. organizations with past projects in that field.
Within a tier the better fit comes first — a paired organization with an offer in the field and
more past projects; an offer for the province rather than nationwide, with a capacity closer to
the amount; more past projects — and ties go to the lower organization id, so the order is
stable. The data of many needs is loaded once (`Matcher`), so a province's needs rank in one pass.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.i18n import N_, _
from models.pairing import Pairing, PairingStatus, Project
from models.projects import ClaimStatus, Need, NeedClaim, Offer
from models.registry import County, Organization
from models.services.need_text import field_label, wan_text

TIERS = {1: N_("已结对"), 2: N_("供给匹配"), 3: N_("同领域项目经验")}  # `tier_label` shows them
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
        return _(TIERS[self.tier])


@dataclass(frozen=True)
class _OfferFit:
    organization_id: int
    provinces: frozenset[str]
    capacity_wan: float | None


@dataclass(frozen=True)
class _Pick:
    """A place in a need's ranking before organization names are read (they are read once for many needs)."""

    organization_id: int
    tier: int
    score: float
    reasons: tuple[str, ...]


class Matcher:
    """The offers, pairings and past projects relevant to a set of needs, read in a few queries.

    What does not depend on the need itself is worked out once per field (past projects, most
    first) and per field and province (the offers that work there), so ranking a province's
    needs costs a pass over the few hundred offers of one field and province per need.
    """

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
                col(Offer.active).is_(True), col(Offer.field).in_(fields)).order_by(col(Offer.id))).all():
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
        self._past_order: dict[str, list[tuple[int, int]]] = {}
        self._offers_in: dict[tuple[str, str], list[tuple[int, float, _OfferFit]]] = {}

    def rank(self, need: Need, limit: int = DEFAULT_LIMIT) -> list[Candidate]:
        return self.named(self.picks(need, limit))

    def picks(self, need: Need, limit: int = DEFAULT_LIMIT) -> list[_Pick]:
        """The need's best `limit` organizations, tier by tier (see the module's docstring)."""
        field, amount, county_id = need.field, need.amount_wan, need.county_id
        province = self.province.get(county_id, "")
        past = self.past.get(field, {})
        fits = self._fitting_offers(field, province, amount)
        paired = self.paired.get(county_id, set())
        declined = self.declined.get(need.id or 0, set())  # the county already said no to them
        picks = [_Pick(org_id, 1, score, tuple(_paired_reasons(org_id in fits, past.get(org_id, 0), field)))
                 for score, org_id in _best(limit, (
                     ((2 if org_id in fits else 0) + min(past.get(org_id, 0), 10) / 10, org_id)
                     for org_id in paired if org_id not in declined))]
        if len(picks) < limit:
            offered = _best(limit - len(picks), ((score, org_id) for org_id, (score, _fit) in fits.items()
                                                 if org_id not in paired and org_id not in declined))
            picks += [_Pick(org_id, 2, score, tuple(_offer_reasons(fits[org_id][1], field, province)))
                      for score, org_id in offered]
        if len(picks) < limit:
            for org_id, n in self._most_projects(field):
                if org_id in paired or org_id in fits or org_id in declined:
                    continue
                picks.append(_Pick(org_id, 3, float(n), (_projects_reason(field, n),)))
                if len(picks) == limit:
                    break
        return picks

    def named(self, picks: Sequence[_Pick]) -> list[Candidate]:
        names = self._names_of(pick.organization_id for pick in picks)
        return [Candidate(p.organization_id, names.get(p.organization_id, str(p.organization_id)), p.tier, p.reasons,
                          round(p.score, 3)) for p in picks]

    def _fitting_offers(self, field: str, province: str, amount: float | None) -> dict[int, tuple[float, _OfferFit]]:
        """The best offer per organization (with its score) that works in the province and can cover the amount."""
        best: dict[int, tuple[float, _OfferFit]] = {}
        for org_id, base, fit in self._offers_where(field, province):
            capacity = fit.capacity_wan
            if amount is not None and capacity is not None and capacity < amount:
                continue
            score = base + amount / capacity if amount and capacity else base
            held = best.get(org_id)
            if held is None or score > held[0]:
                best[org_id] = (score, fit)
        return best

    def _offers_where(self, field: str, province: str) -> list[tuple[int, float, _OfferFit]]:
        """The field's offers that work in the province, with the province's part of the score."""
        key = (field, province)
        if key not in self._offers_in:
            self._offers_in[key] = [(fit.organization_id, _place_score(fit, province), fit)
                                    for fit in self.offers.get(field, ())
                                    if not fit.provinces or province in fit.provinces]
        return self._offers_in[key]

    def _most_projects(self, field: str) -> list[tuple[int, int]]:
        """(organization, past projects in the field), most first, then the lower id."""
        if field not in self._past_order:
            self._past_order[field] = sorted(self.past.get(field, {}).items(), key=lambda item: (-item[1], item[0]))
        return self._past_order[field]

    def _names_of(self, org_ids: Iterable[int]) -> dict[int, str]:
        missing = list({org_id for org_id in org_ids if org_id not in self._names})
        for start in range(0, len(missing), 1000):
            self._names.update(self.session.exec(select(Organization.id, Organization.name)
                                                 .where(col(Organization.id).in_(missing[start:start + 1000]))).all())
        return self._names


def _best(n: int, scored: Iterable[tuple[float, int]]) -> list[tuple[float, int]]:
    """The n highest scores, ties to the lower organization id."""
    return heapq.nsmallest(n, scored, key=lambda item: (-item[0], item[1]))


def _place_score(fit: _OfferFit, province: str) -> float:
    """A province-specific offer beats a nationwide one (`_fitting_offers` adds how closely the capacity fits)."""
    return 1.0 if province in fit.provinces else 0.5


def _paired_reasons(offers: bool, projects: int, field: str) -> list[str]:
    reasons = [_("已与本县结对")]
    if offers:
        reasons.append(_("有{field}领域供给").format(field=field_label(field)))
    if projects:
        reasons.append(_projects_reason(field, projects))
    return reasons


def _projects_reason(field: str, projects: int) -> str:
    return _("{field}领域项目 {n} 个").format(field=field_label(field), n=projects)


def _offer_reasons(fit: _OfferFit, field: str, province: str) -> list[str]:
    where = _("服务{province}").format(province=province) if province in fit.provinces else _("服务全国")
    capacity = _("，能力 {amount}").format(amount=wan_text(fit.capacity_wan)) if fit.capacity_wan is not None else ""
    return [_("{field}领域供给，{where}{capacity}").format(field=field_label(field), where=where, capacity=capacity)]


def rank(session: Session, need: Need, limit: int = DEFAULT_LIMIT) -> list[Candidate]:
    """The ranking of one need (its page, `pairbot needs match ID`)."""
    return Matcher(session, [need]).rank(need, limit)


def rank_all(session: Session, needs: Sequence[Need], limit: int = DEFAULT_LIMIT) -> dict[int, list[Candidate]]:
    """The rankings of many needs (a province's), with their data and the organizations' names read once."""
    matcher = Matcher(session, needs)
    picks = {need.id: matcher.picks(need, limit) for need in needs if need.id is not None}
    matcher.named([pick for ranked in picks.values() for pick in ranked])
    return {need_id: matcher.named(ranked) for need_id, ranked in picks.items()}
