"""China's 31 provincial-level divisions by full name, and the short forms people write (四川, 广西, 西藏 …).

Counties, admins' scopes and offers all store the full name; files and options may use either.
"""

from __future__ import annotations

import re

PROVINCES: tuple[str, ...] = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
    "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
    "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省", "宁夏回族自治区",
    "新疆维吾尔自治区",
)
NATIONWIDE = ("全国", "全国各地", "不限", "不限地区", "各省")
_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市")
_BY_SHORT = {name.removesuffix(next(s for s in _SUFFIXES if name.endswith(s))): name for name in PROVINCES}
_SEPARATORS = re.compile(r"[、,，;；/／\s]+")


class UnknownProvince(ValueError):
    """A name that is no province; the message is Chinese and says how to write one."""


def province_names(text: str) -> tuple[str, ...]:
    """Full names from a list written with 、 , ； or spaces, in full (四川省) or short (四川), each once.

    全国 / 不限 (or nothing) means anywhere: an empty tuple.
    """
    names: list[str] = []
    for part in _SEPARATORS.split(text.strip()):
        if not part:
            continue
        if part in NATIONWIDE:
            return ()
        name = part if part in PROVINCES else _BY_SHORT.get(part)
        if name is None:
            raise UnknownProvince(f"省份“{part}”无法识别，请写省份全称或简称（如 四川省、四川），多个用“、”分隔；不限地区写“全国”。")
        if name not in names:
            names.append(name)
    return tuple(names)
