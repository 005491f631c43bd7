"""Reading a need (需求) or an offer (供给) from chat text: field, amount in 万元, beneficiaries, wanted-by date.

Two ways to read:
- `read_description`: a whole first message (“需求：冷链仓储设备，约80万元，受益300户，2027年6月底前”). Money,
  households, people and fields come from the update parser (`parse_update`), so a figure means the
  same here as in a progress update; a date with a year, or one followed by 前, is the wanted-by date.
- `read_answer`: a reply inside the guided dialog (“80万元”, “300户”, “2027年6月底”, “教育”, “跳过”). It is
  read token by token and is an answer only when nothing else is in it, so a progress report sent
  while the dialog is open is never mistaken for one.
Absurd figures (1e30万元, 10的20次方元, anything beyond the ledger's bounds) become a `problem` (in the locale
in force, saying what was refused and why) and are never taken. English answers (“800,000 yuan”, “300
households”, “education”, “skip”) are read too: `_from_english` turns their words into the Chinese ones first.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from bot.i18n import DEFAULT_LOCALE, N_, _, current
from models.services.amounts import amount_text
from models.services.parsing import FIELD_ORDER, FLAG_IMPLAUSIBLE, FLAG_RANGE, ParsedUpdate, _normalise, parse_update
from models.services.sums import BOUNDS

# Words people use for a need that the update parser does not tie to a field.
_EXTRA_FIELD_CUES = {"冷链": "产业", "仓储": "产业", "物流": "产业", "电商": "产业", "农产品": "消费"}
# A county that needs something bought (采购 路灯) does not ask for 消费帮扶, which sells its produce.
_CONSUMPTION = re.compile("消费|销售|带货|帮销|带销|代销|农产品|农副产品|特产|以购代")
SKIP_WORDS = ("跳过", "略过", "暂无", "不详", "不清楚", "不确定", "待定", "不限", "无要求", "没有", "不需要", "略", "无",
              "skip")
# The fields as people read them (FIELD_ORDER holds the stored values, which stay Chinese).
FIELD_LABELS = {"产业": N_("产业"), "就业": N_("就业"), "教育": N_("教育"), "健康": N_("健康"), "养老": N_("养老"),
                "消费": N_("消费"), "其他": N_("其他")}


def field_label(field: str) -> str:
    """A field (产业 …) in the locale in force; anything else as stored."""
    return _(FIELD_LABELS[field]) if field in FIELD_LABELS else field


def field_choices() -> str:
    """“产业、就业、…” — the fields to choose from, in the locale in force."""
    return _("、").join(field_label(field) for field in FIELD_ORDER)


def wan_text(value: float, grouped: bool = False) -> str:
    """An amount held in 万元 as people read it: “80 万元”; in English in yuan (“800,000 yuan”), since a unit
    of ten thousand is not one English readers count in."""
    if current() == DEFAULT_LOCALE:
        return f"{amount_text(value, grouped)} 万元"
    return _("{amount} 万元").format(amount=f"{value * 10_000:,.0f}")


def bounds_note() -> str:
    """The ledger's bounds, said once for every refused figure."""
    return _("金额须大于 0、不超过 {most}，户数、人数在 1 到 {households} 之间").format(
        most=wan_text(BOUNDS["funds_wan"], grouped=True), households=f"{BOUNDS['households']:,}")


_NUM = r"(?:\d+(?:,\d{3})*(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)"
_MONEY_UNIT = r"(?:亿元|亿|万元|万|千元|元)"
_COUNT_UNIT = r"(?:户|家庭|家|人次|人|名|位)"
_MONEY = re.compile(rf"{_NUM}\s*[余多]?\s*{_MONEY_UNIT}(?![户人名位家亩斤吨头只平方])")
_COUNT = re.compile(rf"{_NUM}\s*[万千百]?\s*[余多]?\s*{_COUNT_UNIT}")
_BARE = re.compile(_NUM)
# A negative figure (“-50万元”, “－30户”, “负50万”): refused as an answer, never read as a report.
_NEGATIVE = re.compile(rf"(?:[-−–—]|负)\s*{_NUM}\s*[万千百]?\s*[余多]?\s*(?:{_MONEY_UNIT}|{_COUNT_UNIT})?")
_ABSURD = re.compile(
    rf"[\d.]*\d\s*(?:[eE]\s*[+-]?\d+|的\s*{_NUM}\s*次[方幂]|\^\s*\d+|\*\*\s*\d+|[×xX]\s*10\s*\^?\s*\d+)\s*"
    rf"(?:{_MONEY_UNIT}|{_COUNT_UNIT})?|[^\s,;:。，；：]{{0,8}}次[方幂](?:{_MONEY_UNIT}|{_COUNT_UNIT})?")
_FIELD = re.compile("|".join([*FIELD_ORDER, "其它"]))
_SKIP = re.compile("|".join(sorted(SKIP_WORDS, key=len, reverse=True)), re.IGNORECASE)
_FILLER = re.compile(
    "大约|大概|预计|左右|以上|上下|需要|资金|金额|经费|投资|总共|合计|共计|受益|惠及|带动|覆盖|涉及|之前|以前|完成|期望|希望"
    "|争取|力争|截止|截至|领域|方面|帮扶|日期|时间|改为|改成|约|需|共|前|到|在|于|类|为|是|和|及|与")
_SEPARATOR = re.compile(r"[\s,，、。.;；:：!！~～()（）]+")

# English answer words → the Chinese the readers below know (input vocabulary, never shown).
_EN_NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)"
_ENGLISH: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"(?:cny|rmb|¥)\s*{_EN_NUMBER}", re.IGNORECASE), r"\1元"),
    (re.compile(rf"{_EN_NUMBER}\s*(?:yuan|rmb|cny)\b", re.IGNORECASE), r"\1元"),
    (re.compile(rf"{_EN_NUMBER}\s*households?\b", re.IGNORECASE), r"\1户"),
    (re.compile(rf"{_EN_NUMBER}\s*(?:people|persons?)\b", re.IGNORECASE), r"\1人"),
    (re.compile(r"\bcold[- ]chain\b", re.IGNORECASE), "冷链"),
    (re.compile(r"\bindustr(?:y|ies)\b", re.IGNORECASE), "产业"),
    (re.compile(r"\b(?:employment|jobs)\b", re.IGNORECASE), "就业"),
    (re.compile(r"\beducation\b", re.IGNORECASE), "教育"),
    (re.compile(r"\bhealth(?:\s*care)?\b", re.IGNORECASE), "健康"),
    (re.compile(r"\b(?:elderly|aged)(?:\s*care)?\b", re.IGNORECASE), "养老"),
    (re.compile(r"\bconsumption\b", re.IGNORECASE), "消费"),
    (re.compile(r"\b(?:by|before)\b", re.IGNORECASE), "前"),
    (re.compile(r"\b(?:about|around|approx(?:imately)?)\b", re.IGNORECASE), "约"),
)
_EN_OTHER = re.compile(r"^\s*other\s*$", re.IGNORECASE)


def _from_english(text: str) -> str:
    """English amounts, counts and fields written as the Chinese the readers know (“800,000 yuan” → 800,000元)."""
    if not re.search("[A-Za-z¥]", text):
        return text
    for regex, chinese in _ENGLISH:
        text = regex.sub(chinese, text)
    return _EN_OTHER.sub("其他", text)


# Dates: (pattern, builder(match, today) → date or None for a day that does not exist).
_SUFFIX = r"(底|末|份|初|上旬|中旬|下旬)?"
_FULL_DATE = re.compile(r"(20\d\d)\s*(?:年|[-/.])\s*(\d{1,2})\s*(?:月|[-/.])\s*(\d{1,2})\s*[日号]?")
_YEAR_MONTH = re.compile(rf"(20\d\d)\s*(?:年\s*(\d{{1,2}})\s*月{_SUFFIX}|[-/.]\s*(\d{{1,2}})(?![\d.]|\s*[万亿千百元户人]))")
_YEAR_END = re.compile(r"(20\d\d)\s*年\s*(底|末|内)?")
_NEAR_YEAR = re.compile(rf"([今明])年\s*(\d{{1,2}})\s*月\s*(?:(\d{{1,2}})\s*[日号]|{_SUFFIX})")
_MONTH_DAY = re.compile(r"(?<![\d年])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_MONTH = re.compile(rf"(?<![\d年])(\d{{1,2}})\s*月{_SUFFIX}")
_THIS_YEAR_END = re.compile(r"(今|明)?年?\s*年\s*[底末]")
_DATES = (_FULL_DATE, _YEAR_MONTH, _NEAR_YEAR, _YEAR_END, _THIS_YEAR_END, _MONTH_DAY, _MONTH)  # tried in this order


@dataclass(frozen=True)
class Reading:
    """What one text said about a need; None where it did not say."""

    fields: tuple[str, ...] = ()  # every field named; one is the need's field, several make the contact choose
    amount_wan: float | None = None
    households: int | None = None
    people: int | None = None
    wanted_by: date | None = None
    skip: bool = False  # 跳过: the question asked is answered with nothing
    bare: str | None = None  # a number without a unit (the amount asked for, in 万元), as written
    problems: tuple[str, ...] = ()  # what was refused and why

    @property
    def field(self) -> str | None:
        return self.fields[0] if len(self.fields) == 1 else None

    def says_anything(self) -> bool:
        return bool(self.fields or self.skip or self.bare or self.problems or any(
            v is not None for v in (self.amount_wan, self.households, self.people, self.wanted_by)))


def read_description(text: str, today: date) -> Reading:
    """A need as first written: everything the text states, with problems for what cannot be taken."""
    text = _from_english(text)
    folded = _normalise(text)
    absurd = _absurd(folded)
    parsed = parse_update(text)
    money = _money_of(parsed)
    if money is None and absurd is None and not parsed.flags:  # the parser's own doubts stand
        found = _MONEY.search(folded)
        money = _money_value(found.group()) if found else None
    problems = [absurd] if absurd else []
    problems += _flag_problems(parsed, absurd_named=absurd is not None)
    return Reading(fields=_fields(folded, parsed), amount_wan=None if absurd else money,
                   households=parsed.households, people=parsed.people,
                   wanted_by=_deadline_in(folded, today), problems=tuple(problems))


def read_answer(text: str, today: date) -> Reading | None:
    """A dialog reply made only of answer pieces (amount, 户/人, date, field, 跳过); None for anything else."""
    text = _from_english(text)
    folded = _normalise(text).strip()
    reading = Reading()
    absurd = _ABSURD.search(folded)
    if absurd is not None:  # refused, and the rest must still read as an answer
        reading = Reading(problems=(_absurd(folded),))  # type: ignore[arg-type]
        folded = folded[:absurd.start()] + " " + folded[absurd.end():]
    position = 0
    while position < len(folded):
        for regex, take in _TOKENS:
            match = regex.match(folded, position)
            if match and match.end() > position:
                reading = take(reading, match, today)
                position = match.end()
                break
        else:
            return None  # a word that is no part of an answer: not an answer
    return reading if reading.says_anything() else None


def read_amount(text: str) -> tuple[float | None, str | None]:
    """An amount in 万元 from an offer or need text: (value, None), (None, None) or (None, problem)."""
    text = _from_english(text)
    folded = _normalise(text)
    absurd = _absurd(folded)
    if absurd is not None:
        return None, absurd
    parsed = parse_update(text)
    problems = _flag_problems(parsed)
    money = _money_of(parsed)
    if money is None and not problems:
        found = _MONEY.search(folded)
        money = _money_value(found.group()) if found else None
        if found and money is None:
            problems.append(_("金额“{written}”超出范围：{bounds}。").format(written=found.group(), bounds=bounds_note()))
    return money, (problems[0] if problems and money is None else None)


def fields_in(text: str) -> tuple[str, ...]:
    text = _from_english(text)
    return _fields(_normalise(text), parse_update(text))


# --- pieces --------------------------------------------------------------------------------------------

def _fields(folded: str, parsed: ParsedUpdate) -> tuple[str, ...]:
    """The fields named, specific ones before 其他 (which only counts when nothing specific is named)."""
    named = list(dict.fromkeys([*parsed.fields, *(field for cue, field in _EXTRA_FIELD_CUES.items() if cue in folded)]))
    if "消费" in named and not _CONSUMPTION.search(folded):
        named.remove("消费")
    specific = tuple(field for field in named if field != "其他")
    return specific or tuple(named)


def _money_of(parsed: ParsedUpdate) -> float | None:
    for value in (parsed.funds_wan, parsed.committed_wan, parsed.sales_wan):
        if value is not None:
            return value
    return None


def _money_value(written: str) -> float | None:
    """万元 for “80万”, “八十万元”, “1.5亿”, “5000元” (the parser reads the number); None beyond the bounds."""
    unit = re.search(r"亿|万|千元|元$", written)
    suffix = "元" if unit and unit.group() in ("亿", "万") and not written.endswith("元") else ""
    value = parse_update(f"投入{written}{suffix}").funds_wan
    return value if value is not None and value > 0 else None


def _count_value(written: str) -> tuple[str, int | None]:
    name = "households" if re.search("户|家", written) else "people"
    parsed = parse_update(("带动" if name == "households" else "惠及") + written)
    return name, getattr(parsed, name)


def _absurd(folded: str) -> str | None:
    found = _ABSURD.search(folded)
    if found is None:
        return None
    return _("“{written}”不是可以采用的数字（{bounds}），未采用。").format(written=found.group().strip(),
                                                                   bounds=bounds_note())


def _flag_problems(parsed: ParsedUpdate, absurd_named: bool = False) -> list[str]:
    """The parser's doubts as problems; an absurd figure already named with what was written is not said twice."""
    problems = []
    if FLAG_IMPLAUSIBLE in parsed.flags and not absurd_named:
        problems.append(_("有数字超出合理范围（{bounds}），未采用。").format(bounds=bounds_note()))
    if FLAG_RANGE in parsed.flags:
        problems.append(_("区间数字（如 80-100万元）未采用，请写一个数。"))
    return problems


def _deadline_in(folded: str, today: date) -> date | None:
    """A wanted-by date in a description, the first in the future: a full date or a year and month anywhere
    (2027年6月底), other forms only when they end in 底/末/内 or are followed by 前 (6月30日前, 年底前)."""
    for regex in _DATES:
        for match in regex.finditer(folded):
            anywhere = regex in (_FULL_DATE, _YEAR_MONTH, _NEAR_YEAR) or match.group().endswith(("底", "末", "内"))
            if not anywhere and not re.match(r"\s*(之|以)?前", folded[match.end():]):
                continue
            day = _date_of(match, today)
            if day is not None and day >= today:
                return day
    return None


def _date_of(match: re.Match[str], today: date) -> date | None:
    """The date a matched date pattern means; None for a day that does not exist (2027-02-30)."""
    pattern, groups = match.re, match.groups()
    try:
        if pattern is _FULL_DATE:
            return date(int(groups[0]), int(groups[1]), int(groups[2]))
        if pattern is _YEAR_MONTH:
            return _in_month(int(groups[0]), int(groups[1] or groups[3]), groups[2])
        if pattern is _YEAR_END:
            return date(int(groups[0]), 12, 31)
        if pattern is _THIS_YEAR_END:
            return date(today.year + (groups[0] == "明"), 12, 31)
        if pattern is _NEAR_YEAR:
            year = today.year + (groups[0] == "明")
            month = int(groups[1])
            return date(year, month, int(groups[2])) if groups[2] else _in_month(year, month, groups[3])
        if pattern is _MONTH_DAY:
            return _next(lambda year: date(year, int(groups[0]), int(groups[1])), today)
        return _next(lambda year: _in_month(year, int(groups[0]), groups[1]), today)
    except ValueError:
        return None


def _in_month(year: int, month: int, part: str | None) -> date:
    last = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0
    day = {"初": 10, "上旬": 10, "中旬": 20}.get(part or "", last)
    return date(year, month, day)


def _next(make: Callable[[int], date], today: date) -> date:
    """A date written without a year: this year's, or next year's once this year's has passed."""
    this_year = make(today.year)
    return this_year if this_year >= today else make(today.year + 1)


# --- the answer tokens, tried in order at each position -------------------------------------------------

def _take_date(reading: Reading, match: re.Match[str], today: date) -> Reading:
    day = _date_of(match, today)
    if day is None:
        return replace(reading, problems=(*reading.problems, _("日期“{written}”不存在，请重新填写。").format(
            written=match.group().strip())))
    if day < today:
        return replace(reading, problems=(*reading.problems, _("日期 {day} 已经过去，请写一个将来的日期。").format(
            day=day.isoformat())))
    return replace(reading, wanted_by=reading.wanted_by or day)


def _take_money(reading: Reading, match: re.Match[str], _today: date) -> Reading:
    value = _money_value(match.group())
    if value is None:
        return replace(reading, problems=(*reading.problems, _("金额“{written}”不可采用：{bounds}。").format(
            written=match.group().strip(), bounds=bounds_note())))
    return replace(reading, amount_wan=reading.amount_wan if reading.amount_wan is not None else value)


def _take_count(reading: Reading, match: re.Match[str], _today: date) -> Reading:
    name, value = _count_value(match.group())
    if value is None or value <= 0:
        return replace(reading, problems=(*reading.problems, _("“{written}”不可采用：{bounds}。").format(
            written=match.group().strip(), bounds=bounds_note())))
    return replace(reading, **{name: getattr(reading, name) or value})


def _take_negative(reading: Reading, match: re.Match[str], _today: date) -> Reading:
    return replace(reading, problems=(*reading.problems, _("“{written}”是负数，不可采用：{bounds}。").format(
        written=match.group().strip(), bounds=bounds_note())))


def _take_bare(reading: Reading, match: re.Match[str], _today: date) -> Reading:
    return replace(reading, bare=reading.bare or match.group())


def _take_field(reading: Reading, match: re.Match[str], _today: date) -> Reading:
    field = "其他" if match.group() == "其它" else match.group()
    return reading if field in reading.fields else replace(reading, fields=(*reading.fields, field))


def _take_skip(reading: Reading, _match: re.Match[str], _today: date) -> Reading:
    return replace(reading, skip=True)


def _take_nothing(reading: Reading, _match: re.Match[str], _today: date) -> Reading:
    return reading


_TOKENS: tuple[tuple[re.Pattern[str], Callable[[Reading, re.Match[str], date], Reading]], ...] = (
    *((regex, _take_date) for regex in _DATES),
    (_NEGATIVE, _take_negative), (_COUNT, _take_count), (_MONEY, _take_money), (_BARE, _take_bare),
    (_FIELD, _take_field), (_SKIP, _take_skip), (_FILLER, _take_nothing), (_SEPARATOR, _take_nothing),
)


def bare_amount(written: str) -> tuple[float | None, str | None]:
    """A number written alone, answering “how much?”: 万元 as the Chinese question asks, yuan as the English one does."""
    value = _money_value(f"{written}万元" if current() == DEFAULT_LOCALE else f"{written}元")
    return (value, None) if value is not None else (None, _("金额“{written}”不可采用：{bounds}。").format(
        written=written, bounds=bounds_note()))
