"""`pairbot import needs FILE` and `pairbot import offers FILE`: the 项目库 in bulk.

Rows go through the rules chat uses (`needs.check_fields`, `offers.check_offer`; amounts read by
`need_text`, provinces by `provinces`), so a value refused in chat is refused here too, reported
by file, row and column like every import.
Natural keys make a re-import change nothing:
- a need is its county and its description: the same row again is unchanged; other figures,
  field or date update it while it is a draft or published (later it belongs to the county and
  the organization that took it on, and the import refuses to change it). 已发布 in the file
  publishes a draft (the county is told); 草稿 never takes a published need back.
- an offer is its organization, field and provinces: capacity and description update it.

Importing this module registers both kinds in `importing.IMPORTERS` (importing.py imports it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields as dataclass_fields, replace
from datetime import date
from typing import Any

from sqlmodel import col, select

from bot.i18n import _

from models.base import utcnow
from models.projects import Need, NeedStatus, Offer
from models.services.audit import audit
from models.services.importing import IMPORTERS, RowError, _changed, _Importer
from models.services.ledger import Scope
from models.services.need_text import bare_amount, read_amount
from models.services.needs import NeedError, NeedFields, check_fields, create_need, publish
from models.services.offers import check_offer
from models.services.provinces import province_list
from models.services.sums import LEDGER_ZONE
from models.services.tabular import Row
from bot.vocabulary import FIELD, NEED_STATUS

NEED_COLUMNS: Mapping[str, Sequence[str]] = {
    "county": ("county", "需求县", "县", "县名", "县代码", "帮扶县", "所在县"),
    "field": ("field", "帮扶领域", "领域", "类别"),
    "description": ("description", "需求内容", "需求描述", "需求", "内容", "描述"),
    "amount_wan": ("amount_wan", "需求金额", "金额", "所需资金", "资金需求", "amount"),
    "households": ("households", "受益户数", "户数", "带动户数"),
    "people": ("people", "受益人数", "人数", "带动人数"),
    "wanted_by": ("wanted_by", "期望完成日期", "期望完成时间", "完成时间", "截止日期"),
    "status": ("status", "状态"),
}
OFFER_COLUMNS: Mapping[str, Sequence[str]] = {
    "organization": ("organization", "社会组织", "组织", "组织名称", "单位", "统一社会信用代码", "信用代码"),
    "field": ("field", "帮扶领域", "领域", "类别"),
    "provinces": ("provinces", "服务省份", "省份", "帮扶省份", "服务地区", "地区"),
    "capacity_wan": ("capacity_wan", "帮扶能力", "能力", "可投入资金", "资金规模", "金额", "capacity"),
    "description": ("description", "供给内容", "说明", "内容", "描述"),
}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T\s].*)?")
_NEED_VALUES = tuple(f.name for f in dataclass_fields(NeedFields))
_NEED_BASELINE = NeedFields(description="-")  # a valid need: one value of a row put in it is checked alone


class _ProjectImporter(_Importer):
    def amount(self, row: Row, name: str) -> float | None:
        """万元, read as chat reads it: a number alone (80), or with its unit (约80万元, 1.2亿, 300000元)."""
        text = row.values.get(name, "")
        if not text:
            return None
        try:
            float(text.replace(",", ""))
        except ValueError:
            value, problem = read_amount(text)
        else:
            value, problem = bare_amount(text.replace(",", ""))
        if value is None:
            raise RowError(self.col(name), problem or _("“{text}”不是金额（单位：万元，例如 80 或 80万元）").format(text=text))
        return value

    def field(self, row: Row, name: str) -> str:
        """产业, industry, 产业帮扶, 教育类…: one of FIELD_ORDER ("" when empty)."""
        return self.choice(row, name, FIELD)

    def whole(self, row: Row, name: str, unit: str) -> int | None:
        text = row.values.get(name, "").replace(",", "").strip().removesuffix("次").removesuffix(unit).strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            raise RowError(self.col(name), _("“{text}”不是整数").format(text=row.values[name])) from None

    def checked(self, check: Callable[..., Any], columns: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        """The chat rules (`check`) on one value of the row at a time, so a refusal names its column."""
        for name, args in columns:
            try:
                check(*args)
            except NeedError as exc:
                raise RowError(self.col(name), str(exc)) from None


class NeedImporter(_ProjectImporter):
    columns = NEED_COLUMNS
    required = ("county", "description")

    def apply(self, row: Row) -> str:
        county = self.county(self.need(row, "county"), "county")
        values = NeedFields(
            field=self.field(row, "field") or "其他", description=self.need(row, "description"),
            amount_wan=self.amount(row, "amount_wan"), households=self.whole(row, "households", "户"),
            people=self.whole(row, "people", "人"), wanted_by=self._date(row, "wanted_by"))
        status = NeedStatus(self.choice(row, "status", NEED_STATUS) or NeedStatus.draft)
        values = self._checked(values, today=None)
        self.claim((county.id, values.description), row, "description")
        need = self.session.exec(select(Need).where(Need.county_id == county.id, Need.description == values.description)
                                 .order_by(col(Need.id).desc())).first()
        if need is None:
            self._checked(values, today=_today())
            create_need(self.session, county.id, values, self.actor, source="import", status=status)  # type: ignore[arg-type]
            return "created"
        changed = self._update(need, values)
        if status == NeedStatus.published and need.status == NeedStatus.draft:
            publish(self.session, Scope(), need.id, self.actor, utcnow())  # type: ignore[arg-type]
            changed = True
        return "updated" if changed else "unchanged"

    def _update(self, need: Need, values: NeedFields) -> bool:
        wanted = {name: getattr(values, name) for name in _NEED_VALUES if name != "description"}
        before = {name: getattr(need, name) for name in wanted}
        differs = [name for name, value in wanted.items() if before[name] != value]
        if not differs:
            return False
        if need.status not in (NeedStatus.draft, NeedStatus.published):
            raise RowError(self.col(differs[0]), _("需求 #{id} 当前为{status}，不能再由导入修改").format(
                id=need.id, status=NeedStatus(need.status).label))
        if "wanted_by" in differs:
            self._checked(values, today=_today())
        _changed(need, wanted)
        need.updated_at = utcnow()
        self.session.add(need)
        audit(self.session, self.actor, "need.edit", f"need:{need.id}", source="import",
              before={name: _plain(before[name]) for name in differs})
        return True

    def _checked(self, values: NeedFields, today: date | None) -> NeedFields:
        """`check_fields`, each value alone first (in a need that is otherwise valid) to name its column."""
        self.checked(lambda value: check_fields(value, today), [
            (name, (replace(_NEED_BASELINE, **{name: getattr(values, name)}),)) for name in _NEED_VALUES])
        return check_fields(values, today)

    def _date(self, row: Row, name: str) -> date | None:
        text = row.values.get(name, "")
        if not text:
            return None
        match = _DATE.fullmatch(text)
        try:
            if match:
                return date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
        raise RowError(self.col(name), _("“{text}”不是日期（例如 2026-12-31 或 2026年12月31日）").format(text=text))


class OfferImporter(_ProjectImporter):
    columns = OFFER_COLUMNS
    required = ("organization", "field")

    def apply(self, row: Row) -> str:
        org = self.organization(self.need(row, "organization"), "organization")
        try:
            provinces = province_list(row.values.get("provinces", ""))
        except ValueError as exc:
            raise RowError(self.col("provinces"), str(exc)) from None
        self.need(row, "field")
        field, capacity = self.field(row, "field"), self.amount(row, "capacity_wan")
        self.checked(check_offer, [("field", ([field], [], None, "")), ("capacity_wan", (["其他"], [], capacity, ""))])
        description = check_offer([field], provinces, capacity, row.values.get("description", ""))
        self.claim((org.id, field, frozenset(provinces)), row, "provinces")
        offer = next((o for o in self.session.exec(select(Offer).where(
            Offer.organization_id == org.id, Offer.field == field).order_by(col(Offer.id))).all()
            if frozenset(o.provinces or ()) == frozenset(provinces)), None)
        if offer is None:
            offer = Offer(organization_id=org.id, field=field, provinces=provinces, capacity_wan=capacity,
                          description=description, source="import")
            self.session.add(offer)
            self.session.flush()
            audit(self.session, self.actor, "offer.create", f"offer:{offer.id}", source="import",
                  organization=org.id, field=field, provinces=provinces, capacity_wan=capacity)
            return "created"
        before = {"capacity_wan": offer.capacity_wan, "description": offer.description}
        if not _changed(offer, {"capacity_wan": capacity, "description": description}):
            return "unchanged"
        offer.updated_at = utcnow()
        self.session.add(offer)
        audit(self.session, self.actor, "offer.edit", f"offer:{offer.id}", source="import", before=before)
        return "updated"


def _today() -> date:
    """Beijing's date: a new or changed wanted-by date must lie ahead of it."""
    return utcnow().astimezone(LEDGER_ZONE).date()


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


IMPORTERS.update({"needs": NeedImporter, "offers": OfferImporter})
