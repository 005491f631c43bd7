"""供给 (offers): what an organization can give — one field, the provinces it works in, a capacity in 万元.

`check_offer` holds the rules for every way an offer comes in (an import row, chat, a page), as
`needs.check_fields` does for needs; `create_offer` writes one with an audit row (target
``offer:<id>``). An offer with no provinces works anywhere (全国), which is how matching reads it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sqlmodel import Session

from models.projects import Offer
from models.services.audit import audit
from models.services.needs import MAX_DESCRIPTION, NeedError
from models.services.parsing import FIELD_ORDER
from models.services.sums import BOUNDS

PROVINCES: tuple[str, ...] = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
    "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
    "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省", "宁夏回族自治区",
    "新疆维吾尔自治区",
)
NATIONWIDE = ("全国", "全国各地", "不限", "不限地区", "各省")
_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市")
_SHORT = {name.removesuffix(next(s for s in _SUFFIXES if name.endswith(s))): name for name in PROVINCES}
_SEPARATORS = re.compile(r"[、,，;；/／\s]+")


class OfferError(NeedError):
    """An offer that cannot be taken as given; the message is Chinese and names what to fix."""


@dataclass(frozen=True)
class OfferFields:
    """What an offer says, as entered (validated by `check_offer`); provinces empty means anywhere."""

    field: str = "其他"
    provinces: tuple[str, ...] = ()
    capacity_wan: float | None = None
    description: str = ""


def province_names(text: str) -> tuple[str, ...]:
    """Full province names from a list written with 、 , ； or spaces, in full (四川省) or short (四川).

    全国 / 不限 (or nothing) means anywhere: an empty tuple. Raises OfferError naming the unknown one.
    """
    names: list[str] = []
    for part in _SEPARATORS.split(text.strip()):
        if not part:
            continue
        if part in NATIONWIDE:
            return ()
        name = part if part in PROVINCES else _SHORT.get(part)
        if name is None:
            raise OfferError(f"省份“{part}”无法识别，请写省份全称或简称（如 四川省、四川），多个用“、”分隔；不限地区写“全国”。")
        if name not in names:
            names.append(name)
    return tuple(names)


def check_offer(values: OfferFields) -> OfferFields:
    """The same rules for every way an offer comes in; raises OfferError naming the first bad value."""
    if values.field not in FIELD_ORDER:
        raise OfferError(f"帮扶领域“{values.field}”无法识别，请写：{'、'.join(FIELD_ORDER)}。")
    unknown = [p for p in values.provinces if p not in PROVINCES]
    if unknown:
        raise OfferError(f"省份“{unknown[0]}”无法识别，请写省份全称，如 四川省。")
    capacity = values.capacity_wan
    if capacity is not None and (not math.isfinite(capacity) or not 0 < capacity <= BOUNDS["funds_wan"]):
        raise OfferError(f"帮扶能力须在 0 到 {BOUNDS['funds_wan']:,} 万元之间。")
    description = values.description.replace("\x00", "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise OfferError(f"供给说明过长（{len(description)} 字），请控制在 {MAX_DESCRIPTION} 字以内。")
    provinces = tuple(sorted(set(values.provinces), key=PROVINCES.index))
    return OfferFields(values.field, provinces, capacity, description)


def create_offer(session: Session, organization_id: int, values: OfferFields, actor: str, *,
                 contact_id: int | None = None, source: str = "chat") -> Offer:
    """A new active offer of the organization, audited."""
    values = check_offer(values)
    offer = Offer(organization_id=organization_id, contact_id=contact_id, field=values.field,
                  provinces=list(values.provinces), capacity_wan=values.capacity_wan,
                  description=values.description, source=source)
    session.add(offer)
    session.flush()
    audit(session, actor, "offer.create", f"offer:{offer.id}", organization=organization_id, field=values.field,
          provinces=list(values.provinces), capacity_wan=values.capacity_wan, source=source)
    return offer


def provinces_label(provinces: list[str] | tuple[str, ...]) -> str:
    return "、".join(provinces) if provinces else "全国"
