"""A province as people write it (四川, 四川省, 广西, 广西壮族自治区 …) → the full name the counties use.

Only provinces that have key counties in the County table are known: a group, a broadcast or an
admin scope for any other province would reach nobody.
"""

from __future__ import annotations

from sqlmodel import Session, select

from models.registry import County

SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市")


class UnknownProvince(LookupError):
    """No key county lies in a province of that name; the message is Chinese and lists the known ones."""


def short_name(province: str) -> str:
    """四川省 → 四川, 广西壮族自治区 → 广西 (a name without a known suffix stays as it is)."""
    for suffix in SUFFIXES:
        if province.endswith(suffix) and len(province) > len(suffix):
            return province[: -len(suffix)]
    return province


def find_province(session: Session, name: str) -> str:
    """The full name of the province `name` means, among the provinces of the key counties."""
    wanted = name.strip()
    known = sorted(set(session.exec(select(County.province).distinct()).all()))
    if wanted in known:
        return wanted
    matches = [p for p in known if short_name(p) == short_name(wanted)] if wanted else []
    if len(matches) == 1:
        return matches[0]
    listed = "、".join(known) if known else "（重点县名单为空，请先运行 pairbot init）"
    raise UnknownProvince(f"未找到省份“{wanted}”。可用全称或简称，例如 四川省 或 四川。重点县所在省份：{listed}")
