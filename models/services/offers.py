"""供给: what an organization can give — a field, the provinces it works in (none: 全国), a capacity in 万元.

Offers feed the ranking (`models.services.matching`); an organization contact registers them in
chat (供给 …) and withdraws them (撤回供给 N); withdrawn offers stay as rows, inactive.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from bot.i18n import _
from models.projects import Offer
from models.registry import Contact, Role
from models.services.audit import audit
from models.services.needs import MAX_DESCRIPTION, NeedError
from models.services.need_text import FIELD_LABELS, field_choices, field_label, fields_in, read_amount, wan_text
from models.services.provinces import PROVINCES, nationwide, province_list, provinces_in
from models.services.sums import BOUNDS


def register_offers(session: Session, contact: Contact, fields: Sequence[str], provinces: Sequence[str],
                    capacity_wan: float | None, description: str, now: datetime) -> list[tuple[Offer, bool]]:
    """One offer per field named, for the contact's organization: (offer, created). An offer is known by its
    organization, field and provinces (in any order), as in `pairbot import offers`: one already registered is
    updated (capacity, description; taken up again if withdrawn) instead of a second being made. NeedError names
    the first bad value."""
    if contact.role != Role.organization or contact.organization_id is None:
        raise NeedError(_("只有社会组织联络人可以登记供给。"))
    description = check_offer(fields, provinces, capacity_wan, description)
    actor, done = f"contact:{contact.id}", []
    for field in dict.fromkeys(fields):
        row = same_offer(session, contact.organization_id, field, provinces)
        if row is None:
            row = Offer(organization_id=contact.organization_id, contact_id=contact.id, field=field,
                        description=description, provinces=list(provinces), capacity_wan=capacity_wan, created_at=now)
            session.add(row)
            session.flush()
            audit(session, actor, "offer.create", f"offer:{row.id}", field=row.field, provinces=row.provinces,
                  capacity_wan=row.capacity_wan)
            done.append((row, True))
            continue
        before = {"capacity_wan": row.capacity_wan, "description": row.description, "active": row.active}
        row.capacity_wan, row.description, row.active, row.updated_at = capacity_wan, description, True, now
        session.add(row)
        audit(session, actor, "offer.edit", f"offer:{row.id}", source="chat", before=before)
        done.append((row, False))
    return done


def same_offer(session: Session, organization_id: int, field: str, provinces: Sequence[str]) -> Offer | None:
    """The organization's offer in this field for these provinces (any order), an active one first."""
    wanted = frozenset(provinces)
    rows = session.exec(select(Offer).where(Offer.organization_id == organization_id, Offer.field == field)
                        .order_by(col(Offer.active).desc(), col(Offer.id))).all()
    return next((row for row in rows if frozenset(row.provinces or ()) == wanted), None)


_SEGMENTS = re.compile(r"[，,;；。\n]+")
_PARTS = re.compile(r"[、/／\s]+")
_ANYWHERE = re.compile(r"\b(?:nationwide|anywhere)\b", re.IGNORECASE)  # the English answers' 全国


def provinces_written(text: str) -> list[str]:
    """The provinces a chat offer names (“供给 领域，省份，金额”) as full names, none for 全国; NeedError with the
    importer's reason (`province_list`) for a name in the provinces' place that is no province (火星, 四州),
    so an unknown name is never dropped nor read as 全国."""
    if nationwide(text) or _ANYWHERE.search(text):
        return []
    for index, segment in enumerate(part for part in _SEGMENTS.split(text) if part.strip()):
        parts = [part for part in _PARTS.split(segment.strip()) if part]
        known = [part for part in parts if provinces_in(part)]
        other = [part for part in parts if not provinces_in(part) and not _other_piece(part)]
        if other and (known or (index == 1 and len(other) == len(parts))):
            try:
                province_list(other[0])
            except ValueError as exc:
                raise NeedError(str(exc)) from None
    return provinces_in(text)


def _other_piece(part: str) -> bool:
    """A piece of an offer that is no province: a field, an amount or any figure."""
    return bool(fields_in(part)) or bool(re.search(r"\d", part)) or read_amount(part) != (None, None)


def check_offer(fields: Sequence[str], provinces: Sequence[str], capacity_wan: float | None, description: str) -> str:
    """The rules for an offer however it comes in (chat, an import row); NeedError names the first bad value.

    Returns the description as stored.
    """
    if not fields:
        raise NeedError(_("请写明帮扶领域：{choices}。").format(choices=field_choices()))
    unknown = [field for field in fields if field not in FIELD_LABELS]
    if unknown:
        raise NeedError(_("帮扶领域“{field}”无法识别，请写：{choices}。").format(field=unknown[0], choices=field_choices()))
    strange = [province for province in provinces if province not in PROVINCES]
    if strange:
        raise NeedError(_("省份“{province}”无法识别。").format(province=strange[0]))
    if capacity_wan is not None and (not math.isfinite(capacity_wan) or not 0 < capacity_wan <= BOUNDS["funds_wan"]):
        raise NeedError(_("帮扶能力须大于 0、不超过 {most}。").format(most=wan_text(BOUNDS["funds_wan"], grouped=True)))
    return description.replace("\x00", "").strip()[:MAX_DESCRIPTION]


def offers_of(session: Session, contact: Contact, limit: int = 20) -> list[Offer]:
    """The organization's offers, active ones first, newest first."""
    if contact.role != Role.organization or contact.organization_id is None:
        return []
    return list(session.exec(select(Offer).where(Offer.organization_id == contact.organization_id)
                             .order_by(col(Offer.active).desc(), col(Offer.id).desc()).limit(limit)).all())


def withdraw_offer(session: Session, contact: Contact, offer_id: int, now: datetime) -> Offer:
    """Deactivate one of the organization's offers: it is no longer used for ranking."""
    row = session.get(Offer, offer_id)
    if row is None or contact.role != Role.organization or row.organization_id != contact.organization_id:
        raise NeedError(_("没有编号为 {id} 的本组织供给。").format(id=offer_id))
    if not row.active:
        raise NeedError(_("供给 #{id} 已经撤回了。").format(id=offer_id))
    row.active = False
    row.updated_at = now
    session.add(row)
    audit(session, f"contact:{contact.id}", "offer.withdraw", f"offer:{row.id}")
    return row


def describe(offer: Offer) -> str:
    """“#3 教育 · 四川、云南 · 200 万元” — how chat names an offer."""
    capacity = f" · {wan_text(offer.capacity_wan)}" if offer.capacity_wan is not None else ""
    state = "" if offer.active else _("（已撤回）")
    return f"#{offer.id} {field_label(offer.field)} · {provinces_text(offer.provinces)}{capacity}{state}"


def provinces_text(provinces: Sequence[str]) -> str:
    """“四川、云南”, or 全国 (nationwide) for an offer that names none; province names stay as written."""
    return _("、").join(PROVINCES.get(p, p) for p in provinces) if provinces else _("全国")
