"""China's 31 provincial-level divisions by full name, and the short forms people write (四川, 广西, 西藏 …)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlmodel import Session, col, select

from bot.i18n import _, joined

from models.registry import County

# Full name → the short form. Offers, admins' scopes and counties all use the full name.
PROVINCES: dict[str, str] = {
    "北京市": "北京", "天津市": "天津", "河北省": "河北", "山西省": "山西", "内蒙古自治区": "内蒙古",
    "辽宁省": "辽宁", "吉林省": "吉林", "黑龙江省": "黑龙江", "上海市": "上海", "江苏省": "江苏",
    "浙江省": "浙江", "安徽省": "安徽", "福建省": "福建", "江西省": "江西", "山东省": "山东",
    "河南省": "河南", "湖北省": "湖北", "湖南省": "湖南", "广东省": "广东", "广西壮族自治区": "广西",
    "海南省": "海南", "重庆市": "重庆", "四川省": "四川", "贵州省": "贵州", "云南省": "云南",
    "西藏自治区": "西藏", "陕西省": "陕西", "甘肃省": "甘肃", "青海省": "青海", "宁夏回族自治区": "宁夏",
    "新疆维吾尔自治区": "新疆",
}
# Traditional spellings of the short forms that differ from the Simplified ones.
_TRADITIONAL = {"遼寧": "辽宁", "黑龍江": "黑龙江", "江蘇": "江苏", "廣東": "广东", "廣西": "广西", "貴州": "贵州",
                "雲南": "云南", "陝西": "陕西", "甘肅": "甘肃", "寧夏": "宁夏", "內蒙古": "内蒙古", "重慶": "重庆"}
NATIONWIDE = ("全国", "全國", "不限", "各省", "全部省份")

_LIST_SEPARATORS = re.compile(r"[、,，;；/／\s]+")
_BY_SHORT = {short: full for full, short in PROVINCES.items()}
_SUFFIXES = "省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|壯族自治區|回族自治區|維吾爾自治區|自治區"
_NAME_RE = re.compile(
    "(" + "|".join(sorted([*_BY_SHORT, *_TRADITIONAL], key=len, reverse=True)) + f")(?:{_SUFFIXES})?")


def provinces_in(text: str) -> list[str]:
    """The provinces a text names, as full names, in the order written, each once (四川、雲南 → 四川省, 云南省)."""
    found: list[str] = []
    for match in _NAME_RE.finditer(text):
        short = _TRADITIONAL.get(match.group(1), match.group(1))
        full = _BY_SHORT[short]
        if full not in found:
            found.append(full)
    return found


def province_list(text: str) -> list[str]:
    """A list as a file or an option writes it (四川、云南省; 、 , ； / or spaces between): full names, none for
    全国 or nothing; ValueError naming a part that is no province."""
    if nationwide(text):
        return []
    for part in _LIST_SEPARATORS.split(text.strip()):
        if part and not provinces_in(part):
            raise ValueError(_("省份“{name}”无法识别，请写省份全称或简称（如 四川省、四川），多个用“、”分隔；不限地区写“全国”。")
                             .format(name=part))
    return provinces_in(text)


def nationwide(text: str) -> bool:
    return any(word in text for word in NATIONWIDE)


def short_names(provinces: list[str]) -> str:
    """四川省、云南省 → “四川、云南”; none → “全国”."""
    return joined(PROVINCES.get(p, p) for p in provinces) or _("全国")


def full_name(text: str) -> str | None:
    """The full name of the one province `text` is (四川, 四川省, 廣西 → 广西壮族自治区); None otherwise."""
    match = _NAME_RE.fullmatch(text.strip())
    return _BY_SHORT[_TRADITIONAL.get(match.group(1), match.group(1))] if match else None


class UnknownProvince(LookupError):
    """A name that is none of the 31 provinces in any common form; the message is Chinese."""


def canonical(names: Iterable[str]) -> list[str]:
    """Full names of provinces written in any common form (西藏, 西藏自治区, 西藏自治區), each once, in order;
    UnknownProvince for the first name that is no province. For options and scopes given one name at a time."""
    found: list[str] = []
    for name in names:
        full = full_name(name)
        if full is None:
            raise UnknownProvince(_("省份“{name}”无法识别，请写省份全称、简称或繁体，例如 四川省、四川 或 西藏自治區。").format(
                name=name.strip()[:40]))
        if full not in found:
            found.append(full)
    return found


def find_province(session: Session, name: str) -> str:
    """The full name of the province `name` means, in any common form — also a province without key counties
    (organizations based in 西藏自治区 are reached by `province:西藏自治区`). An unknown name is refused with
    the provinces of the key counties as examples."""
    full = full_name(name)
    if full is not None:
        return full
    known = sorted(set(session.exec(select(County.province).distinct()).all()))
    listed = joined(known) if known else _("（重点县名单为空，请先运行 pairbot init）")
    raise UnknownProvince(_("未找到省份“{name}”。可用全称、简称或繁体，例如 四川省、四川 或 西藏自治區。重点县所在省份：{known}")
                          .format(name=name.strip()[:40], known=listed))


def key_county_provinces(session: Session, names: Iterable[str]) -> list[str]:
    """The provinces an export is asked for, as full names (`canonical`), each holding key counties: the ledger is
    kept by key county, so any other name would export an empty workbook. `pairbot export --province` and the
    review page's export form both read the province through this; UnknownProvince (Chinese) for the rest."""
    provinces = canonical(names)
    if provinces:
        known = set(session.exec(select(County.province).where(col(County.province).in_(provinces))).all())
        unknown = [p for p in provinces if p not in known]
        if unknown:
            raise UnknownProvince(_("重点县名单中没有这些省份：{provinces}（台账按重点县统计）").format(
                provinces=joined(unknown)))
    return provinces
