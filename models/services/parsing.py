"""Read the figures out of a free-text progress update (进展).

Contacts report in whatever words come to hand: "本月投入帮扶资金20万元,带动38户增收",
"捐款150000元用于助学", "協議投資三千萬元". `parse_update` turns such a message into the
ledger's parsed fields (DESIGN.md, "Parsed fields of a progress update"): money in 万元 split
into money put in, money promised and consumption sales; households, people and projects;
and the assistance fields named.

How it works, in order:

1. Normalise: a pasted table becomes one sentence per row (each number after its column's label and
   with its unit, see _tables_as_sentences); NFKC (full-width digits and punctuation become ASCII), a small
   Traditional→Simplified table limited to the characters the cue words use, dashes to "-",
   and colloquial amounts made regular: "5w" → 5万, "5k" → 5千元, "500块(钱)" → 500元, "1 000 000元"
   → 1000000元, "20(二十)万元" → 20万元, "1.5个亿" → 1.5亿, "RMB 5,000" → ¥5,000, "逾千人"/"近百户"
   → 逾一千人/近一百户 (approximations 余 多 约 近 逾 左右 上 以上 keep the stated number).
2. Find every number (Arabic with thousands separators and decimals, Chinese and capital
   numerals, mixtures such as "3万5千") and read the unit after it. Only four kinds of figure
   are kept: money (元, ¥, or a bare 万/亿 not followed by a measure word), households (户,
   家庭, 家 where families are meant, N个家庭), people (人 名 位 人次, N个学生, 八十六个人, 18口人) and projects
   (项目N个, N个项目, planned ones too). Years, dates, 期, 次, 批, 吨, 亩, percentages, phone
   numbers and ordinals are dropped, and so is a difference from another period ("较上月增加
   10万元", "比去年多带动20户"), a figure denied ("不是52万"), helpers ("派出医疗专家48人",
   "医疗队8人"; their per-head gifts still multiply), donors (爱心网友), targets (目标), audiences (观看量,
   游客) and a place's population ("该村共有农户523户", "脱贫人口6.2万人") — and the parts (其中) of any of
   these; counts that only the state's money reached; a figure said to be wrong ("上报的128万元有误"); a range ("150-200户", "3-5万元") is dropped and noted
   (flag 数字为区间); an amount restated right after itself ("15万元(大写:壹拾伍万元整)") is
   read once.
3. Decide what each money figure is from cue words in its clause: the nearest verb before
   it (投入 / 销售 / 协议 / 增收 …), else one after it ("300万元已拨付"), else a weak noun
   (资金 价值 款), else the rest of the sentence; with a stated unit and no cue at all it is
   money put in. Promises (协议 承诺 签约) and future markers (计划 拟 准备 将 待 争取 明年, a
   deadline such as 年底前 anywhere before the verb in its clause, 将 right before a verb of giving; not period
   words such as 下半年) turn money into committed_wan unless the clause — or, for a plan, the rest of its
   sentence ("计划投入80万元,现已全部拨付到位") — says it was paid, and so do what is left to pay ("剩余80万元")
   and money not yet arrived ("还没到位"); an agreement paid
   in full ("协议资金200万元已全部到位") is both. A per-head rate
   ("每人2000元", "1500元/人") is multiplied by the count of people or households nearest to it
   in its sentence, a per-unit one ("每头8000元") by the count of that unit ("25头"); a rate
   with no count or an average outcome (人均增收) is dropped. A gift to each (各捐赠, 分别捐赠,
   人均资助, a bare 人均 after giving, 一台 opening a clause) is multiplied by the count before it ("为3所村小各捐赠2万元"
   → 6; recipients named in a list count too, and so do items given to each: "3所小学各捐赠电脑室一间,每间4万元" → 12),
   a per-head rate taking the count in its own clause first; and an amount paid
   每年/每月/每季度 by the duration its sentence gives when that is past or promised ("已发放6个月",
   "承诺…连续三年"), else it is dropped. A span of years after an agreement ("签了协议,三年投入…") and a
   remainder paid over years ("分两年拨付") are committed. A bare amount whose clause has no verb takes the one of
   the next clause ("40万元资金,准备在11月份拨付到位" is committed).
   Money others paid (财政, 衔接资金, 配套资金, 自筹) is not the organizations' (nor are the people it
   reached), and a total holding it does not count; money asked for (申请资助), lent (贷款, "…贷")
   or still needed (还需) is not put in; buying the
   paired county's produce (买了结对县的大米, 订购) and paying for it (花了, 货款) is sales.
4. Sum each kind, leaving out sub-counts after 其中/包括/分别为 or a colon after a figure, an
   amount replaced by a later one ("由200万元调整为260万元"), shares of an amount given before them
   ("投入20万元,10万元用于修路,10万元用于助学": an amount given a use with 用于 …, while the
   shares fit in it; see allocated_shares), trainees' placements counted after the trainees,
   and letting a 合计/共计 total stand in for the parts it covers (also a 总计: label, a count equal to the sum
   listed in a sentence with a total word, and a heading's subtotal followed by items that add up to it,
   headed_parts). What arrived of an amount
   ("落实资金20万元,已到位15万元") is the money put in, the amount is committed (paid_parts); a
   project's total investment gives way to the contributions to it (project_totals); plans that
   are the rest of a pledge are part of it (pledged_parts); and an earlier period's figure beside
   this period's of the same kind ("本月…30万元,上月到位10万元") was reported then (earlier_periods).
   A figure after a running-total cue (累计 截至目前 至今 迄今 … ; 共计/总计 unless they restate
   parts, and not after 本月/本次 …) is the pairing's total to date: where a kind has one, it
   alone counts — unless it is a total to an earlier date ("截至上月累计", "截至2024年底", "截至去年底",
   "截至上季度末"), which this period's figures add to — and the kind is listed in `cumulative`. A named
   year ends a cue's reach unless the total runs from it ("自2021年结对以来累计").
5. Bound the results: a sum that is not finite or beyond _BOUNDS (1,000,000 万元; 10,000,000
   households or people; 100,000 projects) becomes None with the flag 数字异常; a figure written
   as an exponent, NaN or infinity before a unit ("1e30万元", "inf户") counts nothing and is
   flagged the same way.

Everything is linear in the text: a handful of regex scans with possessive quantifiers (no
backtracking), then per figure a bisect look-up and a scan of at most _REACH characters around it.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from functools import lru_cache
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import NamedTuple

from bot.i18n import N_, _
from models.services.amounts import amount_text


FIELD_ORDER: tuple[str, ...] = ("产业", "就业", "教育", "健康", "养老", "消费", "其他")

_FUNDS, _COMMITTED, _SALES = "funds_wan", "committed_wan", "sales_wan"
_HOUSEHOLDS, _PEOPLE, _PROJECTS = "households", "people", "projects"
_MONEY_KINDS = (_FUNDS, _COMMITTED, _SALES)
_COUNT_KINDS = (_HOUSEHOLDS, _PEOPLE, _PROJECTS)


@dataclass(frozen=True)
class ParsedUpdate:
    """The parsed fields of one progress update; None where the text does not say."""

    funds_wan: float | None = None
    committed_wan: float | None = None
    sales_wan: float | None = None
    households: int | None = None
    people: int | None = None
    projects: int | None = None
    fields: tuple[str, ...] = ()
    # Names of the figure fields above whose figure is a running total (累计, 截至目前 …): the
    # pairing's total to date, never to be added to the increments it contains; and YEAR_TO_DATE when
    # they are this year's totals to date ("今年累计", "1-11月累计"), which the years before add to.
    cumulative: tuple[str, ...] = ()
    # Review flags: "数字异常" (a figure not finite or implausibly large, stored as None) and
    # "数字为区间" (a range such as 150-200户, left out).
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready mapping with the keys of shared/samples/updates.jsonl, in that order, then
        "cumulative" and "flags" (lists)."""
        return {
            "funds_wan": self.funds_wan,
            "committed_wan": self.committed_wan,
            "sales_wan": self.sales_wan,
            "households": self.households,
            "people": self.people,
            "projects": self.projects,
            "fields": list(self.fields),
            "cumulative": list(self.cumulative),
            "flags": list(self.flags),
        }

    def has_figures(self) -> bool:
        """True when an amount or a count was understood (fields alone do not count)."""
        return any(getattr(self, name) is not None for name in _FIGURE_NAMES)

    def is_empty(self) -> bool:
        """True when no figure and no field was understood (the bot then asks again); flags alone
        (a range, an absurd number) leave it empty."""
        return not self.has_figures() and not self.fields

    def summary_zh(self) -> str:
        """Short echo for the sender to confirm, in the locale in force (Chinese by default), e.g.
        "投入资金 20 万元，受益 38 户，领域：产业"; a running total reads "累计投入资金 120 万元"."""
        parts = []
        for name, (plain, running) in _SUMMARY_LABELS.items():
            value = getattr(self, name)
            if value is None:
                continue
            shown = _format_number(value) if name in _MONEY_NAMES else str(value)
            said = _(running if name in self.cumulative else plain).format(n=shown)
            parts.append(_("今年{running}").format(running=said) if name in self.cumulative
                         and YEAR_TO_DATE in self.cumulative else said)
        if self.fields:
            parts.append(_("领域：{fields}").format(fields=_("、").join(field_label(f) for f in self.fields)))
        return _("，").join(parts)


YEAR_TO_DATE = "year_to_date"  # in ParsedUpdate.cumulative: its running totals run from 1 January
_MONEY_NAMES = ("funds_wan", "committed_wan", "sales_wan")
_FIGURE_NAMES = (*_MONEY_NAMES, "households", "people", "projects")


# Each figure as echoed: (increment, running total); one sentence each, so a translation may reorder it.
_SUMMARY_LABELS = {
    "funds_wan": (N_("投入资金 {n} 万元"), N_("累计投入资金 {n} 万元")),
    "committed_wan": (N_("协议/承诺 {n} 万元"), N_("累计协议/承诺 {n} 万元")),
    "sales_wan": (N_("消费帮扶销售 {n} 万元"), N_("累计消费帮扶销售 {n} 万元")),
    "households": (N_("受益 {n} 户"), N_("累计受益 {n} 户")),
    "people": (N_("惠及 {n} 人"), N_("累计惠及 {n} 人")),
    "projects": (N_("项目 {n} 个"), N_("累计项目 {n} 个")),
}
# The assistance fields (stored in Chinese, as FIELD_ORDER) as shown to people.
FIELD_LABELS = {"产业": N_("产业"), "就业": N_("就业"), "教育": N_("教育"), "健康": N_("健康"), "养老": N_("养老"),
                "消费": N_("消费"), "其他": N_("其他")}


def field_label(field: str) -> str:
    """An assistance field (产业 …) in the locale in force; an unknown one as stored."""
    return _(FIELD_LABELS[field]) if field in FIELD_LABELS else field


def _format_number(value: float) -> str:
    """20.0 → "20", 0.35 → "0.35": no float noise and no trailing zeros in the echo."""
    return amount_text(float(value))


# ---------------------------------------------------------------------------------------------
# 1. Normalisation
# ---------------------------------------------------------------------------------------------

def _traditional_characters() -> dict[str, str]:
    """Traditional characters and their Simplified form, from OpenCC's character table (its first
    reading). Characters that are themselves in use in Simplified text (覆, 乾, 藉 …) are left out, so
    the mapping cannot damage a Simplified message; 於 and 帳 are read as in reports (于, 账)."""
    from importlib.resources import files

    def table(name: str) -> dict[str, list[str]]:
        lines = files("opencc").joinpath(f"dictionary/{name}").read_text(encoding="utf-8").splitlines()
        return {key: values.split() for key, _tab, values in (line.partition("\t") for line in lines)}

    to_simplified, to_traditional = table("TSCharacters.txt"), table("STCharacters.txt")
    simplified = {char for forms in to_simplified.values() for char in forms} | set(to_traditional)
    return {traditional: forms[0] for traditional, forms in to_simplified.items()
            if traditional not in simplified and forms[0] != traditional} | {"於": "于", "帳": "账"}


_TRADITIONAL = _traditional_characters()
# Invisible format characters (zero-width space and joiners, word joiner, BOM, soft hyphen,
# direction marks) are dropped: pasted from web pages or chat apps they sit inside figures
# ("3\u200d8户") and would split one number into two.
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
_TRANSLATION = str.maketrans(
    {**_TRADITIONAL, **dict.fromkeys(_INVISIBLE), "−": "-", "〜": "~", "\u3000": " ",
     "俩": "两个", "仨": "三个",  # spoken counts: "建了俩光伏项目" is two projects
     "廿": "二十", "卅": "三十"})  # "廿万元" is 20万元
# A dash between two quantities joins a range ("150—200户"); any other dash is punctuation
# ("资金——20万元"), never a minus sign.
_RANGE_DASH_RE = re.compile(r"(?<=[\d一二两三四五六七八九十百千万亿元户人名个项位月年])[—–](?=[\d一二两三四五六七八九十])")
_DASH_RE = re.compile("[—–]+")

# Colloquial money and counts, rewritten into the forms the rest of the parser reads:
# "5w"/"5W" → "5万"; "500块(钱)" → "500元"; "逾千人", "近百户", "上万元" → "逾一千人" …
_NUMBER_END = r"[\d十百千万亿拾佰仟余多来]"
_W_RE = re.compile(r"(?<=\d) ?[wW](?![A-Za-z])")  # also "打了20 w 过去"
# One space between Chinese words, or between a number and a Chinese word, as some people type
# ("走访 了 困难 家庭 7 户 23 口 人"): dropped. Runs of spaces (a table's cells) and spaces between
# digits (spaced thousands) or Latin words stay.
_HAN = "\u4e00-\u9fff"
_WORD_SPACE_RE = re.compile(rf"(?<=[{_HAN},;:()!?、。]) (?=[{_HAN}\d,;:()!?、。])|(?<=\d) (?=[{_HAN},;:()!?、。])")
# After "一户"/"一人": an amount follows in its clause, so it is a rate ("一户差不多两百块钱", "一人发两百块").
_LABEL_REACH = 12  # a label before a colon ("1-9月实际到位:") is short
_RANK_BEFORE_RE = re.compile("提升|上升|下降|前进|后退|排名|名次|跃升|进位")
_RATE_AMOUNT_AFTER_RE = re.compile(r"[^\d,。;:]{0,6}?[\d一二两三四五六七八九十百千万]+(?:元|块|万)")
_MONEY_NOUNS_AFTER = rf"助学金|奖学金|慰问金|善款|资金|红包|补贴|补助|[{_HAN}]{{0,2}}费"  # "200块生活费", "5k助学金"
# "5k" / "5K元" → 5千元 (money: chat shorthand for thousands of yuan).
# Not where a noun follows ("4K投影仪", "3.2k人次"): only before 元, a break, or a word that goes with money.
_K_RE = re.compile(rf"(?<=\d)[kK](?!\s?[人户次单个名位])"
                   rf"(?=$|[^A-Za-z{_HAN}]|[元块钱的给用到已左多余]|{_MONEY_NOUNS_AFTER})元?")
# Typed fast on a phone: shorthand for the fields ("消帮3.2w", "产帮5万"), 户 mistyped as its homophone 护 after a
# number or as a label ("帮扶20护", "护数15", "每护500元"; not 护理, 护士, 护林员, 护栏 …).
_SHORTHAND_RE = re.compile("消帮|产帮|教帮")
_SHORTHAND = {"消帮": "消费帮扶", "产帮": "产业帮扶", "教帮": "教育帮扶"}
_HU_TYPO_RE = re.compile(r"(?<=[\d一二两三四五六七八九十百千万多余])护(?![理士工卫林栏坡航送])|(?<=每)护|护(?=数)")
# Labels over their values, slashed: "资金/户/人:8万/20/65" (labels without digits, values without colons).
_SLASHED_LABELS_RE = re.compile(r"(?P<labels>[^\d/:,。;\n]{1,6}(?:/[^\d/:,。;\n]{1,6}){1,7}):(?P<values>[^/:,。;\n]{1,12}"
                                r"(?:/[^/:,。;\n]{1,12}){1,7})")
# A heading of plans opening a line or sentence ("下月计划:", "二、下一步工作打算", "2026年工作计划如下:"): what
# follows under it is planned (see _Reader._plan_sections).
_PLAN_HEADING_RE = re.compile(
    r"(?:^|(?<=[。;\n]))[^\S\n]*+(?:[一二三四五六七八九十]{1,3}[、.]|\([一二三四五六七八九十]{1,3}\)|\d{1,2}[、.])?[^\S\n]*+"
    r"(?:下月|下个月|下一步|下阶段|下一阶段|下季度|下半年|明年|下年度|\d{4}年)(?:工作)?(?:计划|打算|安排|重点|思路)"
    r"(?:如下)?[^\S\n]*+(?::|(?=\n)|$)", re.MULTILINE)
_LINE_END_RE = re.compile(r"\n")
_NEXT_HEADING_RE = re.compile(r"^[^\S\n]*+(?:[一二三四五六七八九十]{1,3}、|\([一二三四五六七八九十]{1,3}\))", re.MULTILINE)
_DONE_MARK_RE = re.compile("实际|已完成|完成情况")
_BLANK_LINE_RE = re.compile(r"\n[^\S\n]*+\n")
# A chat's heading line, a sender and a time ("张元 11:20", "11:20 张元"): no figure ("张元 11:20" is no 20 元).
_STAMP_LINE_RE = re.compile(r"^(?:[^\d\n:,。]{1,12} \d{1,2}:\d{2}(?::\d{2})?|\d{1,2}:\d{2}(?::\d{2})? [^\d\n:,。]{1,12}) *$",
                            re.MULTILINE)
# An amount said before its "one": "四百块钱一户,一共十一户" is 400 元 a household, "6块一斤" 6 元 a jin.
_RATE_AFTER_RE = re.compile(r"(?P<amount>(?<![\d.])\d+(?:\.\d+)?元|(?<![一二两三四五六七八九十百千万])[一二两三四五六七八九十百千]+元)"
                            r"一(?P<unit>[户人套件只台头斤枚箱袋份])(?![\d一二两三四五六七八九十])")
# A unit noted in a line of figures: "捐赠资金(单位:元):教育 50000,医疗 30000" — its bare numbers are in it.
_UNIT_NOTE_RE = re.compile(r"(?P<note>单位:(?P<unit>万元|元)\)?)(?P<rest>[^\n]*)")
_BARE_NUMBER_RE = re.compile(r"(?<![\d.])(?<!\d,)\d++(?:,\d{3}(?!\d))*+(?:\.\d+)?+(?![\d.%]|,\d{3}(?!\d)|\s?[万亿千百元块户人名位个项次年月日号期岁斤亩头只台套kKwW])")
# A bare number per head or household at the end of a clause, after a word of giving money: yuan ("送慰问金每户800").
_BARE_RATE_RE = re.compile(r"每[人户名生位](?:发放|补助|资助|奖励)?\d+(?:\.\d+)?(?![\d.,%万千百元户人名个])(?=$|[,。;!?\s)])")
_RATE_MONEY_RE = re.compile("资助|补助|补贴|慰问金|奖励|奖学金|助学金|救助|红包|生活费|过节费|发放|发了|送了|捐")
_RATE_MONEY_REACH = 30
# Labels before their numbers, run together: "资金8万户20" is 8 万元 and 20 households, not 80,000 households (and
# "资金8万元户20" is no 万元户);
# a clause opening "户20人66" is 20 households and 66 people ("农户56户212人" is not such a run). A comma goes
# where the next label starts.
_MONEY_THEN_LABEL_RE = re.compile(
    r"(?P<amount>(?:资金|投入|捐款|金额|钱|款|帮扶)\d+(?:\.\d+)?万元?) ?(?=[户人]\d++(?![.\d]|[万千百][户人名口]|[户人名口](?!\d)))")
_LABEL_RUN_RE = re.compile(rf"(?<![{_HAN}])(?P<first>[户人]\d+)(?=(?:户|人|项目|资金|钱|投入|金额)\d)")


def _typed_fast(text: str) -> str:
    """Phone shorthand and run-together labels, in the forms the rest of the parser reads."""
    if "帮" in text:
        text = _SHORTHAND_RE.sub(lambda match: _SHORTHAND[match.group()], text)
    if "护" in text:
        text = _HU_TYPO_RE.sub("户", text)
    if "/" in text:
        text = _SLASHED_LABELS_RE.sub(_labels_beside_values, text)
    if "单位" in text:
        text = _UNIT_NOTE_RE.sub(_unit_noted, text)
    if "每" in text:
        text = _BARE_RATE_RE.sub(_rate_in_yuan, text)
    if "元一" in text:
        text = _RATE_AFTER_RE.sub(r"每\g<unit>\g<amount>", text)
    text = _MONEY_THEN_LABEL_RE.sub(r"\g<amount>,", text)
    return _LABEL_RUN_RE.sub(r"\g<first>,", text)


def _unit_noted(match: re.Match[str]) -> str:
    """The rest of a line after "(单位:元)" with its bare numbers given that unit."""
    unit = match.group("unit")
    return match.group("note") + _BARE_NUMBER_RE.sub(lambda number: number.group() + unit, match.group("rest"))


def _labels_beside_values(match: re.Match[str]) -> str:
    """"资金/户/人:8万/20/65" as "资金8万,户20,人65" (as many labels as values; else as written)."""
    labels, values = match.group("labels").split("/"), match.group("values").split("/")
    if len(labels) != len(values):
        return match.group()
    return ",".join(label.strip() + value.strip() for label, value in zip(labels, values))


def _rate_in_yuan(match: re.Match[str]) -> str:
    """"资助大学生8名,每人5000": a bare number per head after a word of giving money is yuan."""
    before = match.string[max(0, match.start() - _RATE_MONEY_REACH):match.start()]
    return match.group() + "元" if _RATE_MONEY_RE.search(before) else match.group()


# Digits grouped in fours, as some people group by 万: "12,3456元" is 123,456 元, "1 0000元" 10,000 元. Read before
# NFKC, where a typed "，" (a clause break) still differs from the ASCII comma; only before a unit.
_UNIT_AHEAD = r"(?= ?[余多]?(?:千万|百万|[万萬亿億])?(?:元|圆|圓|块|塊|户|戶|人|名|位|项|項|个|個))"
_GROUPED_BY_WAN_RE = re.compile(r"(?<![\d.,])\d{1,4}+(?:[, ]\d{4}+)++(?![\d.,])" + _UNIT_AHEAD)
# Any other grouping of an amount ("12,34元", "1,00,000元", a decimal comma "2,5万元", a list "2,3,5万元") has no
# one reading: it counts nothing and is flagged 数字异常 (as "nan", see _UNREADABLE_FIGURE_RE) for a reviewer.
_GROUPED_AMOUNT_RE = re.compile(r"(?<![\d.,])\d++(?:,\d++)++(?:\.\d++)?+(?![\d.,])"
                                r"(?= ?[余多]?(?:千万|百万|[万萬亿億])?(?:元|圆|圓|块|塊))")
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def _digit_groups(text: str) -> str:
    """Numbers grouped in fours joined up; amounts grouped any other irregular way made unreadable."""
    text = _GROUPED_BY_WAN_RE.sub(lambda match: match.group().replace(",", "").replace(" ", ""), text)
    return _GROUPED_AMOUNT_RE.sub(lambda match: match.group() if _THOUSANDS_RE.fullmatch(match.group()) else "nan",
                                  text)


# Digits grouped by spaces, as some keyboards and spreadsheets write them: "1 000 000元", "1 200户".
_SPACED_THOUSANDS_RE = re.compile(r"(?<=\d) (?=\d{3}(?![\d.]))")
# A count times a rate: "特等奖2人×5000元" → 2人每人5000元, read as any per-head rate.
_TIMES_RATE_RE = re.compile(r"(?<!\d)(?P<count>\d++)(?P<unit>[人户名位套只头台])\s*+[×xX*]\s*+(?=\d)")
# A line break between a number and its unit, as pasted from narrow columns: "资金20\n万元".
_BROKEN_FIGURE_RE = re.compile(r"(?<=\d)[ \t]*\r?\n[ \t]*(?=[万亿元户人名])")
# A number said again in brackets before its unit: "20(二十)万元", "三十(30)万元".
_SAID_AGAIN_RE = re.compile(
    r"(?<=\d)\([〇零一二两三四五六七八九十百千壹贰叁肆伍陆柒捌玖拾佰仟]+\)(?=[万亿元])"
    r"|(?<=[一二两三四五六七八九十百千])\(\d+(?:\.\d+)?\)(?=[万亿元])")
# "1.5个亿", "3个亿" → 1.5亿, 3亿.
_GE_YI_RE = re.compile(r"(?<=[\d一二两三四五六七八九十])个(?=亿)")
# A currency name before the number: "RMB 5,000", "人民币5,000元" → ¥5,000.
_CURRENCY_BEFORE_RE = re.compile(r"(?:RMB|rmb|CNY|人民币)\s*(?=\d)")
_KUAI_RE = re.compile(
    rf"(?<={_NUMBER_END})(?:块钱|圆)|(?<={_NUMBER_END})块(?=$|[^\u4e00-\u9fff]|[的给用到已左以钱和及加]|{_MONEY_NOUNS_AFTER})")
_BARE_MAGNITUDE_RE = re.compile(
    r"(?<=[逾近约超上过达])(?=[百千万亿][千万亿]?[余多]?[元人户名位家个项])"
    r"|(?<![\d〇零一二两三四五六七八九十百千万亿几数每.,])(?=[百千万][余多][元人户名位家个项])")


# A table pasted from a spreadsheet or a document: cells split by tabs, "|" or runs of spaces.
_CELL_SPLIT_RE = re.compile(r"\t|\||\s{2,}")
_MAX_CSV_LINE = 2_000  # a spreadsheet row; a longer line is prose
# A single space between two words, where a line typed without punctuation puts its commas (see _spaces_as_commas).
_SPACED_CLAUSE_RE = re.compile(r"(?<=[\u4e00-\u9fff\d])[ ](?=[\u4e00-\u9fff\d])")
_PUNCTUATED_RE = re.compile(r"[,.;:!?。、|\t]|\s{2}")
_MAX_SPACED_LINE = 2_000
_CSV_SEPARATOR_RE = re.compile(r"(?<!\d),|,(?!\d{3}(?!\d))")
_MAX_TITLE = 60  # a table's title line
_TITLE_UNIT_RE = re.compile(r"[(（](万元|千元|元|万|人次|人|户)[)）]\s*[:：]?\s*$")
_TITLE_UNITS = {"万": "万元"}
_SALES_TITLE_RE = re.compile("消费帮扶|消费扶贫|帮销|带销|采购|销售|带货")
_FUNDS_TITLE_RE = re.compile("投入|捐赠|资金(?!来源)")
_PLAN_TITLE_RE = re.compile("协议约定|计划|拟|安排|预算")
_DONE_TITLE_RE = re.compile("完成|到位|已|实际|进展")
_NUMBER_CELL_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?")  # "-5" in a row of adjustments
_HEADER_UNIT_RE = re.compile(r"(?P<label>.*?)[(\[](?P<unit>万元|千元|元|户|人次|人|个|项)[)\]]$")
_SHEET_UNIT_RE = re.compile(r"(?:单位[:：]\s*|[(（](?=[^)）]{1,6}[)）]\s*$))(?P<unit>万元|千元|元|人次|人|户|万(?=[)）]))", re.M)
# ("单位：万元", or a title line ending in "（万元）"/"（万）")
_PRICE_HEADER_RE = re.compile("单价|价格|均价|标准")
_NOTE_HEADER_RE = re.compile("备注|说明|附注")
_VALUE_UNIT_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?\s*(?:万元|万|元|户|人次|人|个|项)")  # "12.6万", "38户"
_TIME_HEADER_RE = re.compile("年度|年份|月份|日期|时间|季度|期数|(?i:date|year|month)")  # a first column of dates labels rows
_CORNER_UNITS = ("万元", "千元", "元", "户", "人次", "人")  # a unit in a table's corner cell applies to its columns
_SHEET_COUNT_UNITS = ("人次", "人", "户")  # "（单位：人次）" over a table of counts: every column is one
_SEPARATOR_ROW_RE = re.compile(r"\s*\|?(?:\s*:?-+:?\s*\|)+(?:\s*:?-+:?\s*)?|\s*:?-{3,}:?\s*")  # Markdown's "|---|---|", "|-|-|"
# A total row's label as typed in aligned columns or in English: "合  计", "Total".
_TOTAL_ROW_LABEL_RE = re.compile(r"^(\s*\|?\s*)(?:(合|小|总)\s+计|(?i:total|sum|subtotal))(?=\s|\||$)")
_EMPTY_CELL_RE = re.compile(r"(?<=[\t|])\s*[—–/]+\s*(?=[\t|]|$)|(?<=\s{2})[—–/]+(?=\s{2}|$)")  # "—" for nothing
_INFERRED_UNITS = (("户数", "户"), ("户", "户"), ("人次", "人次"), ("人数", "人"), ("人", "人"), ("项目数", "个"),
                   ("项目个数", "个"), ("households", "户"), ("families", "户"), ("people", "人"), ("persons", "人"),
                   ("beneficiaries", "人"), ("projects", "个"), ("yuan", "元"), ("rmb", "元"), ("cny", "元"),
                   ("项目", "个"))
_TOTAL_ROWS = ("合计", "小计", "总计", "共计")
# Column headings that name periods (a transposed table: kinds in the rows, periods in the columns).
_PERIOD_HEADER_RE = re.compile(r"本月|当月|本季|本年|本期|上月|累计|今年|全年|\d{1,2}月|\d{4}年|季度|年初至今|年初以来|上半年|下半年"
                               r"|完成|实际|合计|总计")
# Columns of such a table that hold no figure of this report: another period's, a ratio, a target, a note.
_SKIPPED_COLUMN_RE = re.compile(r"同期|同比|环比|增减|增幅|增长|完成率|占比|比例|比重|目标|计划|备注|%")
# A period column that holds the total to date: "1-10月累计", "年初至今", "今年1-10月", "1-10月".
_TO_DATE_HEADER_RE = re.compile(r"累计|年初至今|年初以来|\d{1,2}\s*[-—~至到]\s*\d{1,2}月")
# A line inside a table naming the section below it ("产业帮扶"): short, no figure, no cell split.
_SECTION_LINE_RE = re.compile(r"[^\d\t|]{1,12}")
_ROW_NUMBER_HEADERS = frozenset({"序号", "编号", "序", "No", "NO", "No.", "#"})


def _tables_as_sentences(text: str) -> str:
    """Rewrite each pasted table as sentences the parser reads, one per row, each cell after its
    column's label and with the column's unit: "项目 | 投入金额(万元) | 受益户数 / 大棚 | 45 | 60" becomes
    "大棚投入金额45万元,受益户数60户;". A 合计 row totals its columns. Other lines stay as they are."""
    lines = [_EMPTY_CELL_RE.sub("", _TOTAL_ROW_LABEL_RE.sub(_total_label, line)) for line in text.split("\n")]
    sheet_unit = _SHEET_UNIT_RE.search(text)
    out: list[str] = []
    index = 0
    while index < len(lines):
        if _SEPARATOR_ROW_RE.fullmatch(lines[index]):  # a "|---|" line with no header above it names nothing
            out.append(lines[index])
            index += 1
            continue
        header = _cells(lines[index])
        titled = None if header else _titled_rows(lines, index)
        if titled is not None:
            sentences, index = titled
            out.append(lines[index - len(sentences) - 1])
            out.extend(sentences)
            continue
        if any(_is_number_cell(cell) for cell in header):
            header = []  # a header names its columns; a line of numbers is a row (and is not scanned ahead from)
            sentences, end = _form_rows(lines, index)
            if end > index:  # the lines of a form, read; or, with fewer than two values, kept as they are
                out.extend(sentences if len(sentences) >= 2 else lines[index:end])
                index = end
                continue
        numbered = bool(header) and header[0] in _ROW_NUMBER_HEADERS  # a first column of row numbers (序号)
        if numbered:
            header = header[1:]
        rows = []
        end = index + 1
        if header and end < len(lines) and _SEPARATOR_ROW_RE.fullmatch(lines[end]):
            end += 1
        headings: dict[int, str] = {}  # section lines inside the table ("产业帮扶" above its rows), by row index
        while header and end < len(lines):
            row = _row(lines[end], len(header), numbered)
            if row is None and _SECTION_LINE_RE.fullmatch(lines[end].strip()) and end + 1 < len(lines) \
                    and _row(lines[end + 1], len(header), numbered) is not None:
                headings[len(rows)] = lines[end].strip()
                end += 1
                continue
            if row is None and _empty_row(lines[end], len(header), numbered):
                end += 1  # "消费\t—\t—" with nothing in it: the table goes on
                continue
            if row is None:
                break
            rows.append(row)
            end += 1
        unit = {"万": "万元"}.get(sheet_unit.group("unit"), sheet_unit.group("unit")) if sheet_unit else None
        if rows and header:
            corner = _HEADER_UNIT_RE.match(header[0])
            unit = header[0] if header[0] in _CORNER_UNITS else corner.group("unit") if corner else unit  # "服务类别(人次)"
            if all(_NUMBER_CELL_RE.match(row[0]) for row in rows) and not _TIME_HEADER_RE.search(header[0]):
                header, rows = ["", *header], [["", *row] for row in rows]  # "资金 | 户 | 人" over numbers only
        if rows and _is_transposed(header, rows, unit):
            out.extend(_transposed_sentences(header, rows, unit))
            index = end
            continue
        columns = [_column(cell, unit) for cell in header] if rows else []
        has_units = any(unit for _, unit in columns[1:]) or any(
            not _NUMBER_CELL_RE.fullmatch(cell) and _NUMBER_CELL_RE.match(cell) for row in rows for cell in row[1:])
        if not rows and end > index + 1:
            out.extend(lines[index:end])  # a header over empty rows only: none of them starts a table either
            index = end
            continue
        if not rows or not has_units or any(_is_number_cell(cell) for cell in header):
            out.append(lines[index])
            index += 1
            continue
        # The kind a title line above the table or a section line inside it names ("11月消费帮扶明细：",
        # "二、消费帮扶"), said before each of its rows: the rows' money is of that kind unless a row says otherwise.
        title_kind = _kind_word(lines[index - 1]) if index else ""
        kinds, kind = [], title_kind
        for position in range(len(rows)):
            if position in headings:
                kind = _kind_word(headings[position]) or title_kind
            kinds.append(kind)
        rows = _totals_stand_for_rows(rows)  # the same rows in the same order
        row_kind = {id(row): kind for row, kind in zip(rows, kinds)}
        # A 合计 row totals its columns wherever it stands: it is read after the rows it sums.
        out.extend(heading + ";" for heading in headings.values())  # kept as words (fields), with no figure
        for row in sorted(rows, key=lambda row: row[0] == "合计" or row[0] == "总计"):
            total = row[0] if row[0].startswith(_TOTAL_ROWS) else ""
            parts, totalled = [], set()  # 合计 before the first cell of each unit: columns of one unit add up
            for cell, (label, unit) in zip(row[1:], columns[1:]):
                if cell and (unit or not _NUMBER_CELL_RE.fullmatch(cell)):
                    word = total if unit not in totalled else ""
                    totalled.add(unit)
                    if _NOTE_HEADER_RE.search(label):  # "备注: 已于上月报送" speaks of the figure before it
                        parts.append(cell)
                        continue
                    parts.append(f"{word}{_label_before(label)}{cell}{unit if _NUMBER_CELL_RE.fullmatch(cell) else ''}")
            out.append(row_kind.get(id(row), title_kind) + ("" if total else row[0]) + ",".join(parts) + ";")
        index = end
    return "\n".join(out)


def _titled_rows(lines: list[str], index: int) -> tuple[list[str], int] | None:
    """Rows of a label and a number under a title that gives their unit ("各渠道帮销（万）" over "线上\t12.3",
    "线下\t8.7"): one sentence per row, and the index after them; None when lines[index] is not such a title."""
    unit = _TITLE_UNIT_RE.search(lines[index]) if len(lines[index]) <= _MAX_TITLE else None
    if unit is None:
        return None
    sentences, end = [], index + 1
    while end < len(lines):
        cells = _cells(lines[end])
        if len(cells) != 2 or not _NUMBER_CELL_RE.fullmatch(cells[1]) or _NUMBER_CELL_RE.match(cells[0]):
            break
        sentences.append(f"{_kind_word(lines[index])}{cells[0]}{cells[1]}{_TITLE_UNITS.get(unit.group(1), unit.group(1))};")
        end += 1
    return (sentences, end) if len(sentences) >= 2 else None


def _form_rows(lines: list[str], index: int) -> tuple[list[str], int]:
    """Lines of a label and its value, as a form is filled in ("受益户数 | 57", "资金\t12.6万", "户\t38"): one
    sentence per value with a unit (the label's, or the value's own), and the index after the form's lines (a line
    without a unit, "填报日期 | 2024-12-02", or a "|---|" line among them goes by); index itself when there are none."""
    sentences, end, last = [], index, index
    while end < len(lines):
        if _SEPARATOR_ROW_RE.fullmatch(lines[end]):
            end += 1
            continue
        cells = _cells(lines[end])
        if len(cells) != 2 or not _NUMBER_CELL_RE.match(cells[1]) or _NUMBER_CELL_RE.match(cells[0]):
            break
        label, unit = _column(cells[0], None)
        if _NUMBER_CELL_RE.fullmatch(cells[1]) and unit:
            sentences.append(f"{_label_before(label)}{cells[1]}{unit};")
        elif not _NUMBER_CELL_RE.fullmatch(cells[1]) and _VALUE_UNIT_RE.fullmatch(cells[1]):
            sentences.append(f"{_label_before(label)}{cells[1]};")
        end += 1
        last = end
    return sentences, last


def _kind_word(line: str) -> str:
    """The word a table's title or section line gives its rows: 消费帮扶 for sales, 计划 for plans, else ""."""
    if len(line) > _MAX_TITLE or _NUMBER_CELL_RE.search(line) and not _PERIOD_HEADER_RE.search(line):
        return ""
    if _SALES_TITLE_RE.search(line) and not _FUNDS_TITLE_RE.search(line):
        return "消费帮扶"
    if _PLAN_TITLE_RE.search(line) and not _DONE_TITLE_RE.search(line):
        return "计划"
    if _TO_DATE_HEADER_RE.search(line):
        return "累计"  # "1-11月累计", "今年累计:": the rows are totals to date
    return ""


def _label_before(label: str) -> str:
    """A column's label as written before its number: an English one keeps a space ("Households 180")."""
    label = label.strip()
    return f"{label} " if label[-1:].isascii() and label[-1:].isalpha() else label


def _total_label(match: re.Match[str]) -> str:
    """"合  计" → "合计", "Total"/"Subtotal" → "合计"/"小计"."""
    kind = match.group(2) or ("小" if match.group().strip(" |").lower().startswith("sub") else "合")
    return f"{match.group(1)}{kind}计"


def _is_number_cell(cell: str) -> bool:
    """A cell that starts with a number and is not a period's heading ("1-10月累计", "2025年")."""
    return _NUMBER_CELL_RE.match(cell) is not None and _PERIOD_HEADER_RE.search(cell) is None


def _is_transposed(header: list[str], rows: list[list[str]], sheet_unit: str | None) -> bool:
    """Do the columns name periods and the rows name what is counted ("指标 | 本月 | 1-10月累计" over
    "投入资金(万元) | 22 | 186")? Then each column is read as one period's sentence."""
    periods = [cell for cell in header[1:] if not _SKIPPED_COLUMN_RE.search(cell)]
    return (len(header) >= 2 and bool(periods) and all(_PERIOD_HEADER_RE.search(cell) for cell in periods)
            and not any(_column(cell, None)[1] for cell in header[1:])
            and any(_row_unit(row[0], sheet_unit) for row in rows))


def _row_unit(label: str, sheet_unit: str | None) -> str | None:
    """The unit of a row named in the first column: its own ("投入资金(万元)", "受益户数"), else the sheet's money unit
    ("单位:元" over "助学金 | 24,000")."""
    return _column(label, sheet_unit)[1] or (sheet_unit if sheet_unit in ("万元", "千元", "元") else None)


def _transposed_sentences(header: list[str], rows: list[list[str]], sheet_unit: str | None) -> list[str]:
    """One sentence per period column: "1-10月累计投入资金186万元,受益户数640户;"."""
    labelled = [(row, _column(row[0], sheet_unit)[0], _row_unit(row[0], sheet_unit)) for row in rows]
    sentences = []
    for column, period in enumerate(header[1:], start=1):
        if _SKIPPED_COLUMN_RE.search(period) or column >= min(len(row) for row, _label, _unit in labelled):
            continue
        # a running-total column ("1-10月累计", "年初至今", "1-10月") says 累计 before each figure: the total to date;
        # a 合计 column totals the columns before it
        lead = "累计" if _TO_DATE_HEADER_RE.search(period) else "合计" if period in ("合计", "总计") else ""
        parts = [f"{lead}{_label_before(label)}{row[column]}{unit}" for row, label, unit in labelled
                 if unit and row[column] and _NUMBER_CELL_RE.fullmatch(row[column])]
        if parts:
            sentences.append(("" if lead else period) + ",".join(parts) + ";")
    return sentences


def _totals_stand_for_rows(rows: list[list[str]]) -> list[list[str]]:
    """A table's 合计 row, column by column, in place of the rows above it: their numbers in the columns it
    totals are left out (a 小计 row's too), so the figures are counted once whatever the parser makes of
    each row. Not where a row is others' money (财政, 自筹 …): the total that holds it must be seen to."""
    grand = [row for row in rows if row[0] in ("合计", "总计")]
    if len(grand) != 1 or any(_OTHER_PAYER_RE.search(row[0]) for row in rows):
        return rows
    totalled = [i for i, cell in enumerate(grand[0]) if i and _NUMBER_CELL_RE.fullmatch(cell)]
    return [row if row is grand[0] else [cell if i not in totalled or not _NUMBER_CELL_RE.fullmatch(cell) else ""
                                          for i, cell in enumerate(row)]
            for row in rows]


def _cells(line: str) -> list[str]:
    """The cells of a table line, or [] when it is not one (fewer than three cells)."""
    cells = [cell.strip() for cell in _CELL_SPLIT_RE.split(line.strip(" \r").strip("|"))]  # "产业\t36\t\t": empty cells count
    return cells if len(cells) >= 3 or (len(cells) == 2 and _CELL_SPLIT_RE.search(line.strip().strip("|"))) else []


def _row(line: str, width: int, numbered: bool) -> list[str] | None:
    """The cells of a table's data line (its row number dropped), or None when the line is not one:
    another width, or no cell after the first that starts with a number."""
    row = _cells(line)
    if numbered and row and row[0].isdigit():
        row = row[1:]
    elif numbered and row and row[0].startswith(_TOTAL_ROWS) and len(row) == width + 1 and not row[1]:
        row = [row[0], *row[2:]]  # "合计\t\t100": the total's label stands in the 序号 column
    if len(row) > 1 and not row[0] and row[1].startswith(_TOTAL_ROWS):
        row = [row[1], "", *row[2:]]  # "\t小计\t21\t85": the total's label in the second column
    if len(row) != width or not any(_NUMBER_CELL_RE.match(cell) for cell in row[1:]):
        return None
    return row


def _empty_row(line: str, width: int, numbered: bool) -> bool:
    """A table line of the right width with nothing after its first cell."""
    cells = _cells(line)
    if numbered and cells and cells[0].isdigit():
        cells = cells[1:]
    return len(cells) == width and not any(cells[1:])


def _column(header: str, sheet_unit: str | None) -> tuple[str, str | None]:
    """A header cell's label and the unit of its numbers: "投入金额(万元)" → ("投入金额", "万元"), "受益户数"
    → ("受益户数", "户"), "金额" → ("金额", the sheet's 单位:元 line, else None); a price column ("单价（元）")
    has none: a price is no figure."""
    if _PRICE_HEADER_RE.search(header):
        return header, None
    stated = _HEADER_UNIT_RE.match(header)
    if stated:
        return stated.group("label"), stated.group("unit")
    for ending, unit in _INFERRED_UNITS:
        if header.endswith(ending) or header.lower().endswith(ending):
            return header, unit
    if any(word in header for word in ("金额", "资金", "投入", "价值", "销售", "额", "捐", "款", "折价", "折合")):
        return header, sheet_unit if sheet_unit not in _SHEET_COUNT_UNITS else None
    return header, sheet_unit if sheet_unit in _SHEET_COUNT_UNITS else None


# Volunteers abroad mix English into their reports ("donated 5万 to the school, 帮扶了20户"): the few words
# that carry a figure's meaning are read as their Chinese, so every rule applies to them.
_ENGLISH_WORDS = {
    **dict.fromkeys(("donated", "donates", "donate", "donating"), "捐赠"),
    **dict.fromkeys(("raised", "invested", "funded", "paid", "spent", "contributed"), "投入"),
    **dict.fromkeys(("bought", "purchased"), "购买"),
    **dict.fromkeys(("sold", "sales"), "销售"),
    **dict.fromkeys(("pledged", "promised", "committed"), "承诺"),
    **dict.fromkeys(("plans to", "plan to", "planned to", "will"), "计划"),
    "next year": "明年", "next month": "下月", "last month": "上月", "this month": "本月",
    "should be": "应为", "not": "不是", "correction": "更正", "so far": "累计", "in total": "共",
    **dict.fromkeys(("transferred", "disbursed", "delivered", "received", "arrived"), "到位"),
    **dict.fromkeys(("cumulative", "cumulatively", "to date", "year-to-date", "as of"), "累计"),
    **dict.fromkeys(("of which", "including"), "其中"),
    **dict.fromkeys(("total", "totals"), "合计"),
    **dict.fromkeys(("budget", "plans", "plan", "will be", "we'll be", "estimated", "est."), "计划"),
    **dict.fromkeys(("agreement", "mou"), "协议"),
    "correct amount": "应为", "consumption assistance": "消费帮扶", "consumption support": "消费帮扶",
    "gmv": "销售额", "funds": "资金", "funding": "资金",
}
# English magnitudes and units after a number: "0.5 million", "1.2m", "30 wan", "45,000 yuan", "18 hh", "2 projects".
_ENGLISH_UNIT_RE = re.compile(
    r"(?<=\d)[ \t]?(?:(?P<million>million|mn|m)(?:[ \t]?(?:yuan|rmb|cny))?|(?P<wan>wan)|(?P<yuan>yuan|rmb|cny)"
    r"|(?P<households>hh)|(?P<projects>projects?|proj)|(?P<visits>person-times|participants|beneficiaries|elders|elderly people))"
    r"(?![A-Za-z])", re.IGNORECASE)
_ENGLISH_UNITS = {"million": "百万元", "wan": "万", "yuan": "元", "households": "户", "projects": "个项目",
                  "visits": "人"}
# Form labels in English, before their numbers: "Households: 73", "HH: 88", "Ppl: 310", "Projects: 2", "Proj: 1".
_ENGLISH_LABEL_RE = re.compile(
    r"(?<![A-Za-z])(?:(?P<households>households|hh)|(?P<people>people|ppl|beneficiaries|persons)"
    r"|(?P<projects>projects|proj))\s?:(?=\s?\d)", re.IGNORECASE)
# An amount "each" after people or households counted: "18 students, 4k each" is 每人4k, read as any rate per head.
_ENGLISH_EACH_RE = re.compile(r"(?P<amount>(?:(?:rmb|cny|¥)\s?)?\d[\d,]*(?:\.\d+)?\s?(?:k|千元|元|万|百万元)?)"
                              r"(?:\s[a-z]+)?\s(?:each|apiece)(?![A-Za-z])", re.IGNORECASE)
_EACH_REACH = 80
_ENGLISH_LABELS = {"households": "受益户数:", "people": "受益人数:", "projects": "项目数:"}  # (户 or 人 opening the
# label would join it to a number on the line above, as a unit broken off: see _BROKEN_FIGURE_RE)
_ENGLISH_RE = re.compile(r"(?<![A-Za-z])(?:" + "|".join(sorted(map(re.escape, _ENGLISH_WORDS), key=len, reverse=True))
                         + r")(?![A-Za-z])", re.IGNORECASE)
# People and households counted in English after a number: "300 students", "150 households".
_ENGLISH_COUNT_RE = re.compile(
    r"(?<=\d)\+?[ \t]?(?:[a-z-]{3,12} )?(?:(?P<households>households|families)|(?P<people>students|people|persons|villagers"
    r"|children|kids|patients|farmers|elderly|seniors|pupils|trainees|ppl|girls|boys|women|teachers))(?![A-Za-z])",
    re.IGNORECASE)  # "38 herder households", "900+ households"
_ENGLISH_HINT_RE = re.compile("[A-Za-z]{4}")


def _each_as_rate(match: re.Match[str]) -> str:
    """"4k each" as 每人4k (or 每户) after the people or households it is for; as written after anything else."""
    before = match.string[max(0, match.start() - _EACH_REACH):match.start()]
    who = max(before.rfind("人"), before.rfind("户"))
    return f"每{before[who]}{match.group('amount')}" if who >= 0 else match.group()


def _english_words_in_chinese(text: str) -> str:
    """The English words of a mixed report that carry a figure's meaning, as Chinese ("donated 5万" → "捐赠 5万")."""
    text = _ENGLISH_COUNT_RE.sub(lambda match: "户" if match.group("households") else "人", text)
    text = _ENGLISH_UNIT_RE.sub(lambda match: _ENGLISH_UNITS[match.lastgroup], text)  # type: ignore[index]
    text = _ENGLISH_LABEL_RE.sub(lambda match: _ENGLISH_LABELS[match.lastgroup], text)  # type: ignore[index]
    text = _ENGLISH_EACH_RE.sub(_each_as_rate, text)
    return _ENGLISH_RE.sub(lambda match: _ENGLISH_WORDS[" ".join(match.group().lower().split())], text)


def _csv_as_tabs(text: str) -> str:
    """Comma-separated lines exported from a spreadsheet ("村名,受益户数,投入金额(万元)" over "岩脚村,32,4.5"), as
    the tab-separated table they are: at least a header and two rows of one width, each row with a number
    after its first cell. Prose that happens to hold ASCII commas is left as it is."""
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        width = _csv_width(lines[index])
        end = index + 1
        while width and end < len(lines) and _csv_width(lines[end]) == width and _csv_row_has_number(lines[end]):
            end += 1
        if width >= 2 and end - index >= 3:
            out.extend("\t".join(cell.strip() for cell in row) for row in csv.reader(lines[index:end]))
        else:
            out.extend(lines[index:end])
        index = end
    return "\n".join(out)


def _csv_width(line: str) -> int:
    """How many cells a comma-separated line has (0 for a line without ASCII commas, too long to be one, or
    aligned with tabs or runs of spaces: another kind of table, whose numbers may hold commas, "5,300")."""
    if ("," not in line or len(line) > _MAX_CSV_LINE or "\t" in line or "  " in line or "|" in line
            or _CSV_SEPARATOR_RE.search(line) is None):  # every comma of "100,000" groups digits
        return 0
    return len(next(csv.reader([line]), []))


def _csv_row_has_number(line: str) -> bool:
    return any(_NUMBER_CELL_RE.fullmatch(cell.strip()) for cell in next(csv.reader([line]), [])[1:])


def _spaces_as_commas(line: str) -> str:
    """A line typed with spaces where commas go ("落实资金三十万 目前到账二十万"), as the clauses it holds. Only a
    line with no punctuation of its own whose spaced pieces are phrases (four characters or more, as a rule):
    one spaced word by word ("走访 了 困难 家庭 7 户") keeps its words together."""
    if not _SPACED_CLAUSE_RE.search(line) or _PUNCTUATED_RE.search(line) or len(line) > _MAX_SPACED_LINE:
        return line
    pieces = line.split()
    lengths = sorted(len(piece) for piece in pieces)
    if len(pieces) < 2 or lengths[len(lengths) // 2] < 4:
        return line
    return _SPACED_CLAUSE_RE.sub(",", line)


# 负 right before a number is its sign ("投入资金负20万元" is -20, held for review), not a word (负责 负债)
_NEGATIVE_RE = re.compile("负(?=[0-9零〇一二两三四五六七八九十])")


def _normalise(text: str) -> str:
    """Full-width → ASCII (NFKC), Traditional → Simplified, dashes → "-", and colloquial
    amounts made regular: 5w → 5万, 500块钱 → 500元, 逾千人 → 逾一千人."""
    if "," in text and "\n" in text:
        text = _csv_as_tabs(text)
    if "," in text or " " in text:
        text = _digit_groups(text)
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATION)
    if _ENGLISH_HINT_RE.search(text):
        text = _english_words_in_chinese(text)
    if "\n" in text and ("\t" in text or "|" in text or "  " in text):
        text = _tables_as_sentences(text)
    if " " in text:
        text = "\n".join(_spaces_as_commas(line) for line in text.split("\n"))
    if ":" in text and "\n" in text:
        text = _STAMP_LINE_RE.sub("", text)
    text = _WORD_SPACE_RE.sub("", text)
    text = _NEGATIVE_RE.sub("-", text)
    text = _DASH_RE.sub(",", _RANGE_DASH_RE.sub("-", text))
    text = _W_RE.sub("万", text)
    text = _K_RE.sub("千元", text)
    text = _typed_fast(_KUAI_RE.sub("元", text))
    text = _SPACED_THOUSANDS_RE.sub("", text)
    text = _BROKEN_FIGURE_RE.sub("", text)
    text = _TIMES_RATE_RE.sub(r"\g<count>\g<unit>每\g<unit>", text)
    text = _SAID_AGAIN_RE.sub("", text)
    text = _GE_YI_RE.sub("", text)
    text = _CURRENCY_BEFORE_RE.sub("¥", text)
    return _BARE_MAGNITUDE_RE.sub("一", text)


# ---------------------------------------------------------------------------------------------
# 2. Segmentation: sentences, clauses (comma level) and list items (、 level)
# ---------------------------------------------------------------------------------------------

_SENTENCE_ENDS = frozenset("。!?;\n")
_CLAUSE_ENDS = _SENTENCE_ENDS | frozenset(",:()[]")
_ITEM_ENDS = _CLAUSE_ENDS | frozenset("、")
# A comma between thousands ("8,000元") ends nothing.
_BOUNDARY_RE = re.compile(r"[。!?;\n:()\[\]、]|,(?<!\d,)|,(?!\d{3}(?!\d))")
# How far (in characters) a cue word may stand from the figure it governs. Real clauses are far
# shorter; the bound keeps the work per figure constant, so a 100k-character message without
# punctuation still parses in linear time.
_REACH = 100


class _Segments:
    """Boundary positions of one text, so that any offset finds its sentence, clause and item."""

    def __init__(self, text: str) -> None:
        self.length = len(text)
        sentence, clause, item = [], [], []
        for match in _BOUNDARY_RE.finditer(text):
            char, pos = match.group(), match.start()
            item.append(pos)
            if char in _CLAUSE_ENDS:
                clause.append(pos)
            if char in _SENTENCE_ENDS:
                sentence.append(pos)
        self._bounds = {"sentence": sentence, "clause": clause, "item": item}

    def span(self, level: str, pos: int) -> tuple[int, int]:
        """[start, end) of the unit of `level` containing `pos` (boundary characters excluded)."""
        bounds = self._bounds[level]
        index = bisect_right(bounds, pos - 1)
        start = bounds[index - 1] + 1 if index else 0
        end = bounds[index] if index < len(bounds) else self.length
        return start, end

    def near(self, level: str, pos: int) -> tuple[int, int]:
        """The unit's span cut to _REACH characters either side of `pos`: where cues are looked for."""
        start, end = self.span(level, pos)
        return max(start, pos - _REACH), min(end, pos + _REACH)


# ---------------------------------------------------------------------------------------------
# 3. Numbers
# ---------------------------------------------------------------------------------------------

_CN_DIGITS = {
    "〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
    "八": 8, "九": 9, "壹": 1, "贰": 2, "叁": 3, "參": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8,
    "玖": 9,
}
_SMALL_MAGNITUDES = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_MAGNITUDES = {"万": 10_000, "亿": 100_000_000}
_CN_DIGIT_CHARS = "".join(_CN_DIGITS)

# An Arabic number ("1,250,000", "8.5"), optionally with Chinese magnitudes ("2.3亿", "3千万")
# and one more digit group after them ("3万5千", colloquial "1万2"). Possessive quantifiers
# keep the scan linear whatever follows.
_ARABIC = r"\d+(?:,\d{3}(?!\d))*+(?:\.\d+)?+"
_ARABIC_RUN = rf"{_ARABIC}(?:[十百千万亿]++(?:\d(?!\d|[.,]\d)[十百千万亿]*+)?)?"
_CN_RUN = rf"[{_CN_DIGIT_CHARS}十拾][{_CN_DIGIT_CHARS}十拾百佰千仟万亿点]*+"
_NUMBER_RE = re.compile(rf"(?P<sign>-)?(?:(?P<arabic>{_ARABIC_RUN})|(?P<chinese>{_CN_RUN}))")
_NUMBER_TOKEN_RE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|.")

# What may follow a number: a vague qualifier (余 多 来), a magnitude written after it
# ("20余万元"), and the unit that says what is counted.
_UNIT_RE = re.compile(
    r" ?(?P<qualifier>[余多来几])?(?P<magnitude>千万|百万|万|亿)?[余多]? ?"
    r"(?P<unit>人民币|元|人次|人|名|位|例|户|家庭|家|个人(?!民)|口人|号人|个|项|处)?"
)
_SPOKEN_PEOPLE_UNITS = ("个人", "口人", "号人")  # "培训了八十六个人", "5户18口人", "一百三十多号人": people, as 人
# A number after which 几 only leaves the last digit open ("三十几", "一百二十几", "20几"): it keeps the number,
# as 多 does. Not "十几" (a dozen or so) nor "几十" (some tens): those are as vague as a guess.
_SOME_AFTER_RE = re.compile(rf"[{_CN_DIGIT_CHARS}十百千万]+[十百千万]|\d*[1-9]0+")
_MAGNITUDE_WORDS = {"千万": 10_000_000, "百万": 1_000_000, "万": 10_000, "亿": 100_000_000}


def _number_value(raw: str) -> float | None:
    """Value of a numeral run such as "1,200", "一百二十", "三千五", "2.3亿", "3万5千", "三点五".

    Returns None for strings that are not a well-formed number ("二〇二四", "十四五"), which
    are then ignored rather than misread.
    """
    total = section = number = 0.0
    has_number = False
    previous = ""  # "digit", "zero", "small", "big", "point"
    last_magnitude = 0
    fraction_scale = 0.0
    any_digit = False  # "0万元" is zero, not "no number"
    for token in _NUMBER_TOKEN_RE.findall(raw):
        if token[0].isdigit() or token in _CN_DIGITS:
            any_digit = True
            digit = float(token.replace(",", "")) if token[0].isdigit() else _CN_DIGITS[token]
            if fraction_scale:
                number += digit * fraction_scale
                fraction_scale /= 10
                continue
            if previous == "digit":
                return None
            number, has_number = digit, True
            previous = "zero" if digit == 0 else "digit"
        elif token == "点":
            if not has_number or fraction_scale:
                return None
            fraction_scale, previous = 0.1, "point"
        elif token in _SMALL_MAGNITUDES:
            magnitude = _SMALL_MAGNITUDES[token]
            if section and previous != "big" and magnitude > last_magnitude:  # "三十五千" (叁拾伍仟) is 35 thousand
                section = (section + number) * magnitude
            else:
                section += (number if has_number else 1) * magnitude
            number, has_number, fraction_scale = 0.0, False, 0.0
            previous, last_magnitude = "small", magnitude
        elif token in _BIG_MAGNITUDES:
            magnitude = _BIG_MAGNITUDES[token]
            if magnitude == 100_000_000:
                total = (total + section + number) * magnitude
            else:
                total += (section + number) * magnitude
            section = number = 0.0
            has_number, fraction_scale = False, 0.0
            previous, last_magnitude = "big", magnitude
        else:
            return None
    if previous == "digit" and last_magnitude and _single_digit_tail(raw):
        # Colloquial "三千五" = 3500, "两万五" = 25000: the last digit counts in the next
        # magnitude down.
        number *= last_magnitude / 10
    if not (total or section or has_number or any_digit):
        return None
    return total + section + number


def _period_ordinal(word: re.Match[str]) -> int | None:
    """The year, quarter or month a period word names ("2023年" → 2023, "三季度" → 3, "9月份" → 9)."""
    if word.lastgroup == "year":
        return int(word.group()[:4].translate(_CN_YEAR_DIGITS))
    if word.lastgroup == "quarter":
        digit = word.group().lstrip("第")[0]
        return int(digit) if digit.isdigit() else "一二三四".index(digit) + 1
    if word.lastgroup == "month":
        return _month_number(word.group().rstrip("份").rstrip("月"))
    return None


def _month_number(raw: str) -> int:
    """"9" → 9, "十一" → 11."""
    return int(raw) if raw.isdigit() else int(_number_value(raw) or 0)


def _last_match(pattern: re.Pattern[str], text: str, start: int, end: int) -> re.Match[str] | None:
    """The last match of `pattern` in text[start:end] (callers keep the window short)."""
    last = None
    for last in pattern.finditer(text, start, end):  # noqa: B007 - only the last one is wanted
        pass
    return last


def _distance(start: int, pos: int) -> int:
    """How far a count at `start` is from a rate at `pos`, one after the rate counting 10 characters further."""
    return pos - start if start <= pos else start - pos + 10


def _single_digit_tail(raw: str) -> bool:
    """True when the run ends in one digit right after a magnitude ("三千五", "1万2")."""
    return len(raw) >= 2 and raw[-2] in "十拾百佰千仟万亿" and (raw[-1] in _CN_DIGITS or raw[-1].isdigit())


# ---------------------------------------------------------------------------------------------
# 4. Cue words
# ---------------------------------------------------------------------------------------------

# Kinds of money cue. A "decisive" cue names what the money is; the others only qualify it.
_CUE_FUNDS = "funds"          # 投入 捐赠 … money or goods put in
_CUE_PAID = "paid"            # 拨付 到位 已投入 … put in, and says it happened
_CUE_SALES = "sales"          # 销售 成交 带货 … consumption assistance
_CUE_PROMISE = "promise"      # 协议 承诺 签约 … agreed, not yet spent
_CUE_FUTURE = "future"        # 计划 拟 明年 … not yet happened
_CUE_PLANNED = "planned"      # 将投入 待拨付 尚未到位 … a verb of putting money in, not yet done
_CUE_DONE = "done"            # 已 实际 … has happened
_CUE_OUTCOME = "outcome"      # 增收 收入 产值 缺口 贷款 … money that is not an input
_CUE_WEAK = "weak"            # 资金 价值 经费 … money nouns, funds when nothing else says
_CUE_PURCHASE = "purchase"    # 采购: sales, unless it is buying inputs (then money put in)
_CUE_BUY = "buy"              # 购买: sales when it is produce that is bought, else money put in
_CUE_SPEND = "spend"          # 花了 货款: sales when the sentence bought produce before, else money put in
_CUE_NEUTRAL = "neutral"      # 按计划 …: swallows words that would otherwise mislead

# A field's name with an amount right after it is money put in for that field ("产业帮扶5万,消费帮扶2万,教育帮扶1万"),
# unless it names a part of an amount before it ("协议…600万元,其中产业帮扶400万元"): then the whole's kind is its.
_FIELD_NAMES = frozenset("产业帮扶 教育帮扶 医疗帮扶 健康帮扶 就业帮扶 生态帮扶 文化帮扶 养老帮扶 助学帮扶".split())
_AMOUNT_AFTER_NAME_RE = re.compile(r"(?:资金|金额)?[: ]?(?:约|共|达|投入)?\d")
_MONEY_CUES: dict[str, str] = {
    **dict.fromkeys(
        "投入 投资 捐赠 捐款 捐助 捐资 捐建 捐献 捐 资助 援助 援建 拨款 筹集 募集 筹措 出资 发放 "
        "赠送 支持 减免 承担 支出 用于 打款 汇款 转账 打了 转了 汇了 投 拨 拿出 出了 贴息 "
        "配备 配发 配了 打过去 转过去 汇过去 打过来 转过来 汇过来 送去 送了 给了 收到 支付 打到 转到 汇到 打给 转给 汇给".split(), _CUE_FUNDS),
    **dict.fromkeys(_FIELD_NAMES, _CUE_FUNDS),
    **dict.fromkeys(
        "拨付 到位 到账 兑现 已投入 已捐赠 已捐 已拨 已支付 已发放 已落实 实际投入 实际到位 到了 补上了 补齐了 补足了"
        .split(), _CUE_PAID),
    **dict.fromkeys(
        "销售 销售额 销售收入 成交 带货 帮销 带销 代销 收购 卖 卖出 售出 出售 认购 以购代捐 以购代帮 "
        "消费帮扶 消费 交易额 订单 展销 滞销 832平台 进货 下单 下了一单".split(),
        _CUE_SALES),
    **dict.fromkeys("协议 承诺 签约 签订 签署 签了 约定 认捐 意向 答应".split(), _CUE_PROMISE),
    **dict.fromkeys(
        "计划 拟 预计 将于 将在 将会 将要 即将 准备 打算 原定 明年 下个月 下月 下一步 今后 未来 后续 尚未".split(),
        _CUE_FUTURE),
    **dict.fromkeys(
        "预算 应拨付 应到位 应投入 应支付 走流程 到不了 审批中 将投入 将捐赠 将拨付 待拨付 待到位 未到位 未拨付 尚未到位 尚未拨付 没到位 没有到位 还没到位 还未到位 "
        "没拨付 还没拨付 没有拨付 还没到 还未到 尚未到 没到账 未到账 还没到账".split(), _CUE_PLANNED),
    **dict.fromkeys("已 实际".split(), _CUE_DONE),
    **dict.fromkeys(
        "增收 收入 挣 产值 分红 工资 薪酬 利润 营收 效益 节约 节省 贷款 信贷 融资 借款 借给 借支 缺口 需要 需求 尚需 还需 仍需 急需 亟需 申请 "
        "争取 撬动 引进 引入 单价 价格 收益 营业额 盈利 租金 余额 比去年 比上年 较去年 较上年 同比 环比 贷 "
        "收购价 销售价 市场价 批发价 零售价 保护价 均价 售价 出厂价 注册资金 注册资本".split(),
        _CUE_OUTCOME),
    **dict.fromkeys(
        "资金 善款 经费 物资 款物 价值 折合 折价 基金 助学金 奖学金 慰问金 救助金 补贴 补助 现金 费用 "
        "慰问品 保费 保险 学费 医药费 医疗费 生活费 总投资 总投资额 款 钱 金额 户均价值 人均价值 "
        "工资补贴 工资补助 薪酬补贴".split(), _CUE_WEAK),  # a subsidy towards wages is given, not earned
    **dict.fromkeys("采购 订购 订购了".split(), _CUE_PURCHASE),
    **dict.fromkeys("购买 买 买了 自购".split(), _CUE_BUY),
    **dict.fromkeys("花了 花费 货款".split(), _CUE_SPEND),
    "按计划": _CUE_NEUTRAL,
    # A reference to an agreement ("按照协议捐赠救护车2台"): what was done under it is what its verb says.
    **dict.fromkeys("按协议 按照协议 根据协议 依照协议 依据协议 按帮扶协议 按照帮扶协议 根据帮扶协议 协议签订后 签约后 签订协议后"
                    .split(), _CUE_NEUTRAL),  # (约定 after it still names the agreement's terms: "按照协议约定,三年…600万元")
    **dict.fromkeys("汇率 按汇率 当日汇率".split(), _CUE_NEUTRAL),  # "按汇率折算约人民币46万元": a conversion, the gift's kind
}
_BROUGHT_IN = frozenset({"引进", "引入", "撬动", "争取"})  # others' money an organization brings in
_INVESTORS_RE = re.compile("(?:龙头)?(?:企业|公司|社会资本|社会资金|外部资金|客商|外资)?")  # "引进企业投资200万元"
_INVESTOR_WORD_RE = re.compile("企业|公司|资本|客商|外资|老板|厂家|厂商|投资方|集团")
_SPENDING_CUES = frozenset({_CUE_PURCHASE, _CUE_BUY, _CUE_SPEND})  # what money is used for, not money given
_DECISIVE = frozenset({_CUE_FUNDS, _CUE_PAID, _CUE_PLANNED, _CUE_SALES, _CUE_PROMISE, _CUE_OUTCOME})

# A span of years opening a clause ("三年投入1200万元", "5年内捐赠"): see _Reader._pledged_over_years.
_YEARS_AHEAD_RE = re.compile(r"\s*(?:[两二三四五六七八九十]|[2-9]|10)年(?:内|间|共|累计|计划|合计)?")
# After a sales word, money given for it rather than sales: "消费帮扶补贴", "销售奖补资金".
_SUBSIDY_AFTER_RE = re.compile("补贴|补助|奖补|奖励|资金|基金|专项|专柜|专区|专馆")  # "消费帮扶专柜2台": equipment
# Just before a verb of giving: the money was asked for, not given ("申请资助15万元").
_APPLIED_RE = re.compile("申请")
# What follows 采购 when it is spending on inputs, and what follows 购买 when it is produce.
_INPUT_GOODS_RE = re.compile(
    "种苗|鸡苗|猪苗|鱼苗|树苗|苗木|化肥|饲料|农资|设备|器材|器械|物资|图书|书包|文具|药品|衣物|被褥|校服|用品"
    "|车辆|冷藏车|货车|救护车|校车|农机|机械|电脑|空调|床|轮椅"
    "|(?<![飞有商时契危生转随])机(?![构关会制遇])|厨具|餐具|炊具|棉被|家具|仪器|(?<![礼典司])仪(?![式表])|冰箱|冰柜|电器|家电|电视|桌椅|课桌|书柜|柜子|电子屏|显示屏|灯具|路灯")  # 缝纫机, 收割机
_DONATED_RE = re.compile("捐赠|捐给|赠送|捐献|送给|捐出|无偿提供|免费提供|免费发放|无偿|免费送")  # bought to be given away: money put in
_PRODUCE_RE = re.compile("(?:农产品|农副产品|农特产品)(?!质量|检测|质检|检验)|特产|扶贫产品|帮扶产品|结对县|帮扶县|脱贫县"
                         "|结对村|对口县|受援县|县里|我县|本县|当地|村里|本村")  # not "农产品检测站": a place that tests them  # a county contact's own county


def _alternation(words) -> re.Pattern[str]:
    """One regex matching any of `words`, longest first so that "销售收入" beats "收入"."""
    return re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)))


_MONEY_CUE_RE = _alternation(_MONEY_CUES)
# Adjustment verbs: the figure after them in their clause is taken away, not added (a negative
# figure, flagged for review like any other).
_DECREASE_RE = re.compile("(?:调减|核减|冲减|扣减|减少|扣除|冲销|冲回|退回|收回)(?![到至为])|多报|多计|多填|重复报")
# Right after a figure: it was reported twice or too much ("帮扶资金10万元系重复报送,请核减"), a decrease too.
_REPORTED_TWICE_AFTER_RE = re.compile(r"\s?(?:系|属|属于|为|是)?(?:重复报送|重复上报|重复填报|重复统计|重复报|多报)")
_RETURNED_AFTER_RE = re.compile(r"\s?(?:因[^,。;:\d]{1,10}?)?(?:已经?|现已|均已)?(?:退回|退还|返还|收回)(?!给)")  # "…因项目调整已退回"
# Right before a figure: it is denied ("投入资金是25万不是52万"), so it does not count.
# A number inside quotes that close on a name's word: "“一元助学”计划", "「百万」行动" (see _Reader._is_distractor).
_OPENING_QUOTE_RE = re.compile(r"[“「『《\"][^\d“”「」『』《》\"]{0,3}$")
_QUOTED_NAME_RE = re.compile(r"[^\d“”「」『』《》\",。;:]{0,6}[”」』》\"](?:计划|项目|活动|行动|工程|基金|品牌|工作室|专项|公益)")
# Said not to have been reached: "另有30户因外出务工未能派发", "尚未发放的12户".
_FUTURE_AFTER_RE = re.compile("[^,。;:\\d]{0,4}?(?:明天|下次|下周|下月|改天|以后|再送|再发|待)")
_LEFT_TO_REACH_RE = re.compile("(?:还剩|剩下|剩余|尚余|还有)$")  # "已发放72户,还剩8户明天再送"
_NOT_REACHED_RE = re.compile("(?:未能|尚未|还未|未|没能|没有|还没有?)(?:派发|发放|发到|领取|领到|送到|参加|参与|到场|覆盖|入户|走访|享受|联系上)")
_YUAN_NAMED_RE = re.compile("人民币|折合|折算|合计约?人民币|RMB|rmb")
# Right after a figure: it is the base a share is of ("目标(600万元)的113.9%", "任务100户的120%").
_TARGET_AFTER_RE = re.compile(r"\s?的(?:任务|目标|指标)")
_AFTER_FIGURE_BASE_RE = re.compile(r"\s?[)”\"]?\s?的\s?(?:\d+(?:\.\d+)?|百分之)")
_FOREIGN_CURRENCY_RE = re.compile("港币|港元|美元|欧元|日元|英镑|澳元|加元|新台币|台币|卢布|韩元|(?i:USD|HKD|EUR|US\\$)")
# The digits a count of 位 announces ("后四位1234"), unlike an age after a count ("126位80岁以上老人").
_DIGITS_AFTER_RE = re.compile(r"\d{3,}(?!\d*岁)")
# Said to be wrong before it in its clause, with no other number between: "此前误报本月拨付资金为80万元",
# "上条误写成12,600人次", "之前写成5000万元了", "上次误报成了360万元".
_MISREPORTED_RE = re.compile("误报|误写|误填|错报|错写|写错|报错|写成|报成|填成|打成|误传|误录")
# Said to be wrong right after it: "(上报的128万元有误)".
# Before a figure in its clause: it was reported before, in its own message ("上半年已报送投入资金40万元").
_REPORTED_BEFORE_RE = re.compile("已报送|已上报|已报过|此前报送|之前报送|上次报送|前期已报|已经报送|已经上报|已经报过")
# An earlier month's report named before a figure that holds what is corrected: "10月报的消费帮扶12万元里,有2万元…".
_EARLIER_REPORT_RE = re.compile("(?:\\d{1,2}|[一二三四五六七八九十]{1,3})月份?(?:报送|上报|报)的")
_HOLDS_AFTER_RE = re.compile("[”\"]?(?:里|中)")
# Right after a figure: it is part of one given above ("价值38万元,已含在上述资金中"), so not added to it.
_COUNTED_ABOVE_AFTER_RE = re.compile(r"\s?[,(]?\s?(?:(?:已|均已|均|都已)?(?:含在|包含在|计入|含于|包括在)(?:上述|以上|前述|上面|前面)"
                                     r"|(?:都|均|也)在[^()\d]{0,4}\d*[^()\d]{0,6}?(?:里|中|内)\))")  # "(都在86人次里)"
_REPORTED_AFTER_RE = re.compile(
    r"\s?[,(]?(?:该款项?|该笔(?:资金|款项)?|此款|这笔(?:钱|资金|款)?|以上|上述)?(?:已经?|均已|都已)"
    r"(?:在|于)?(?:上次|上月|之前|此前|\d{1,2}月份?|[一二三四五六七八九十]{1,3}月份?)?(?:报送|上报|报过)")  # "…,该款项已在8月份报送"
_WRONG_AFTER_RE = re.compile(r"\s?(?:是|系|属)?(?:有误|有错|错误|是错的|不对|不准确|作废|口误|笔误)")
_NEGATED_RE = re.compile("(?:(?:不是|并非|而非|并不是)(?:上报|填报|原报|所报|之前报|上次说|之前说|刚才说|上次报|[^\\d,。;:]{1,3}了)?的?|(?<![除是])非"
                         "|误报为?|错报为?|误填为?|误写为?|原报(?:价值|金额|资金)?为?|原填报?为?|原上报为?|原承诺(?:投入|金额)?为?)$")
# "应为15万元(原报51万元)", "价值为1.6万元,非16万元": the figure replaced or denied
# Words between a project label and its count that say it was corrected ("项目应为5个", "项目由3个调整为4个").
_CORRECTED_TO_RE = re.compile(r"(?:应为|应是|改为|调整为|订正为|更正为|为|由|(?:由\d+个)?调整为)$")
# Between a figure and a later one of its kind: the later one corrects it ("“帮扶50户”应为“帮扶45户”").
_CORRECTION_RE = re.compile("应为|应是|应该是|更正为|更改为|修改为|改成|改为|订正为|纠正为|不对,?是"
                            "|说错了|说错|口误|笔误|搞错了|记错了|打错了|写错了")  # spoken: "三十万,哦口误,十三万"
_ACTUAL_RE = re.compile("实际")
# A correction labelled as such reaches back over a sentence end ("已拨付300万元;更正:…应为280万元").
_EXPLICIT_CORRECTION_RE = re.compile("更正|订正|纠正|说错了|口误|笔误|搞错了|记错了")
# An amount said to be replaced by a later one of its sentence: 由/从/原 before it ("由200万元",
# "原协议200万元"), 调整为/增加到/改为 … before the new one ("调整为260万元"). Only the new one counts.
_OLD_VALUE_RE = re.compile("由|从|原")
_NEW_VALUE_RE = re.compile(
    "(?:调整|变更|修改|修订|提高|增加|上调|下调|减少|降低|压减|调增|调减|追加|调|改|增|减|提|降)(?:为|到|至|成了?)")  # "调成了22万"
# A comparison (较上月增加, 比去年同期多, 同比减少 …) before a figure in its clause: the figure is a
# difference between two periods, not something put in or reached.
# The other period's figure a comparison starts from, right before it: "比二〇二三年的46万元", "较上年同期的30万元".
_COMPARED_WITH_RE = re.compile(
    r"(?:较|比|相比|相较于?)(?:去年|上年|上月|上个月|上季度|上期|(?:19|20)\d{2}年|二〇[〇零一二三四五六七八九]{2}年)"
    r"(?:同期|全年|度)?的?$")
_COMPARISON_RE = re.compile(r"(?:较|同比|环比|相比|相较|比)[^,;:!?。]{0,10}?(?:增加|增长|减少|下降|提高|降低|上升|多|少)")

_FIELD_CUES: dict[str, str | None] = {
    **dict.fromkeys(
        "产业 种植 养殖 合作社 基地 冷库 大棚 光伏 村集体 集体经济 加工 农业 农技 茶园 果园 园区 种苗 "
        "鸡苗 猪苗 鱼苗 仔猪 牛犊 羊羔 种羊 种牛 母牛 种薯 种子 良种 畜牧 中药材 食用菌 民宿 乡村旅游 种养 "
        "苗木 农机 农用 农具 化肥 农资 饲料 发展生产".split(),
        "产业"),
    **dict.fromkeys(
        "就业 务工 岗位 上岗 招聘 劳务 用工 技能培训 扶贫车间 帮扶车间 就业车间 劳动力 农民工".split(), "就业"),
    **dict.fromkeys(
        "教育 学校 大学 教师 学生 助学 奖学金 奖教 村小 小学 中学 中心校 幼儿园 学前 支教 校长 校服 书包 "
        "文具 课桌 教学 研学 图书 学习用品 研学基地 实践基地".split(), "教育"),
    **dict.fromkeys(
        "健康 医疗 医生 医院 医务 医护 村医 中医 义诊 巡诊 会诊 体检 诊疗 卫生院 卫生室 卫生 疾病 大病 "
        "患者 康复 药品 救护车 白内障 眼疾 重症 就医 医保 手术 治疗 筛查 疫苗 妇幼".split(), "健康"),
    **dict.fromkeys("养老 敬老院 老人 老年 幸福院 孤寡 助老 长者 日间照料 五保".split(), "养老"),
    **dict.fromkeys("消费 销售 卖 售出 出售 带货 帮销 带销 代销 收购 成交 展销 滞销 以购代捐 以购代帮 认购".split(), "消费"),
    **dict.fromkeys(
        "其他 饮水 供水 自来水 净水 道路 公路 修路 硬化 桥梁 危房 危旧房 住房 安居 人居环境 改厕 厕所 环境卫生 "
        "卫生厕所 环境整治 垃圾 污水 路灯 亮化 文化 农家书屋 活动室 体育 健身 救灾 应急 防汛 生态 植树 "
        "造林 绿化 基础设施 乡村建设 孤儿 困境儿童 事实无人抚养".split(), "其他"),
    "卫生间": None,
}
_FIELD_CUE_RE = _alternation(_FIELD_CUES)

# 合计 共计 累计 … before a figure: it is a total, covering the figures of its kind before it.
_BRACKET_REACH = 6  # characters between a figure and the bracket that breaks it down ("6万元的农机具(")
# A heading line of a pasted report: "一、", "(二)", "第三部分"; its subtotal stands within this many characters.
_HEADING_REACH = 60
_HEADING_RE = re.compile(r"\s*(?:[一二三四五六七八九十]{1,3}[、.]|\([一二三四五六七八九十]{1,3}\)|第[一二三四五六七八九十]{1,3}[部分项类])")
# A total label opening its sentence ("总计:项目5个,投入资金165万元"): every figure of the sentence is a total.
_MAX_SUMMARY_FIGURES = 200  # a summary restates a report's few figures; a text with thousands is not read for one
_OPENING_LABEL_RE = re.compile(r"\s*(?:\d{1,4}[年月]份?)?[^\d:,。;\n]{2,14}:")  # "协议签订:", "11月消费帮扶明细:" opening a message
_SUMMARY_LABEL_RE = re.compile(r"(?:^|(?<=[。;\n]))[^\S\n]*+(?:小结|总结|综上|汇总|本月小结)\s?[:,]")  # [^\S\n]: a run of blank lines is not rescanned from each
_TOTAL_LABEL_RE = re.compile(r"\s*(?:合计|共计|总计|小计|汇总)\s?:")
_TOTAL_RE = re.compile(r"合计|共计|总计|小计|累计|总共|一共|总额|总投入|总投资|总价值|总金额|总值|(?<![公中])共(?![同建享青产])"
                       r"|全年(?!计划|目标|预计)")  # "上半年投入35万元,下半年投入40万元,全年投入75万元"
# 其中 包括 (含 …: the figures after it are parts of one already given. A part-list runs over at
# most this many further clauses (real ones have two or three).
_SUB_RE = re.compile(r"其中|包括|包含|内含|这当中|具体来说|具体如下|明细如下|(?<=[(,:])含|分别为|分别是|具体为|具体是|(?<=[\d十百千万亿两一二三四五六七八九〇零多余][元户人名个项次位万亿]|人次)\s?:"
                     r"|(?<=[户人名个位力众童生员者])中,?(?:已经|已|目前|共)?有")  # "帮扶的32户中有12户已经脱贫"; "30人次:" but not "公益岗位:"
_SALES_FIELD_LABELS = frozenset({"消费帮扶", "消费", "消费扶贫"})  # the field's name, which a share of a plan may carry
_RECEIVED_HELP_RE = re.compile("(?:得到|获得|受到|接受)了?(?:救助|帮扶|资助|帮助|救治|慰问|安置)")
_RECIPIENT_MARKS = frozenset("为给向对帮")
_MAX_PART_CLAUSES = 8
_MAX_PART_FIGURES = 64  # a list of parts holds a few dozen figures at most; the bound keeps hostile text linear and quick
_KINDS_SAMPLED = 16  # the kinds of a clause's figures, from its first few (see _sub_scope_end)
_MAX_PARTS_ADDING_UP = 24
# A heading that opens the details of an overview given before it: its figures may add up to the overview's.
_DETAILS_HEADING_RE = re.compile("具体工作|主要工作|具体情况|主要做法|具体做法|工作开展情况|分项情况|明细")  # how many figures after 其中 may be parts that add up to the whole
# An amount followed by 用于/用来 … says what money is for ("10万元用于修路").
_USE_VERBS = "用于|用来|用在|用作|用以"
_USE_RE = re.compile(_USE_VERBS)
_ALLOCATION_RE = re.compile(rf"\s*+(?:专门|专项|全部|主要|分别|均|都|将|已)?(?:{_USE_VERBS})")
# Before an amount in its clause: it is new money, not a share of an amount given before.
_NEW_MONEY_RE = re.compile(r"另|还(?![差欠需])|又|再|追加|新增|此外|加上")
# In a plan under a pledge 再 is the next tranche ("计划下半年再拨付60万元"), not more money.
_NEW_PLEDGE_RE = re.compile(r"另|又|追加|新增|此外|加上")
# Paid cues that say money arrived, whoever paid it (see paid_parts).
_ARRIVAL_WORDS = ("到位", "到账", "兑现")
_TRANCHE_RE = re.compile("首批|首期|第一批|第一期|头批")  # "…基金500万元,首批拨付150万元": the first part of it paid
# A count of projects after its label, in a form-like report: "项目个数:2个", "实施项目:3个", "项目数量2个".
_PROJECT_LABEL_RE = re.compile(r"项目(?:个数|数量|数)?\s*:?\s*(?:共|为|达)?$")
_PLACES_COUNTED = frozenset("村乡镇县区组点")
_LEVEL_RE = re.compile("(?:村|乡|镇|县)级")  # "村级光伏电站": a level, not a count of villages
_PROJECT_DONE_RE = re.compile("项目(?:竣工|完工|建成|实施|开工|投产|落地|启动|验收)了?$")  # "饮水工程项目竣工2个"
# A project's size, not what was given to it: "项目总投资500万元" (see project_totals).
_PROJECT_SIZE_RE = re.compile("总投资|总造价|总规模|总预算|预算总额|总概算|(?<![年度])预算(?![资内外])")
# The period a figure is of, by the last such word before it in its sentence (see earlier_periods).
_PERIOD_WORD_RE = re.compile(
    r"(?P<earlier>上月|上个月|上周|上季度|上一季度|上期|上次|去年|上年|上一年|上学期|上个学期)"
    r"|(?P<current>本月|当月|这个月|本周|这周|本季度|本期|本次|此次|这次|今年|本年|当年|本学期|这学期|这个学期)"
    r"|(?P<year>(?<!\d)(?:19|20)\d{2}(?:年(?!度?(?:以来|起|至|到))|(?=全年|年度))|二〇[〇零一二三四五六七八九]{2}年)"
    r"|(?P<quarter>第?[一二三四1-4](?:季度|季))"
    r"|(?P<month>(?<![\d一二三四五六七八九十.-])(?:1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])月份?(?![\d底末初中前]))")
# Right after an earlier period's amount: it arrived in this one ("…的10万元已于本月到位").
_ARRIVED_NOW_RE = re.compile(r"[^,。;:]{0,4}?(?:本月|当月|这个月|本季度|本期)[^,。;:]{0,4}?(?:到位|到账|拨付|支付|发放)")
_CN_YEAR_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
# Trainees and, after them, those of them placed in work: the second count is part of the first.
_TRAINED_RE = re.compile("培训|参训|学员")
_SCREENED_RE = re.compile("筛查|体检|检查|义诊|诊疗|检测")
_FOUND_AMONG_RE = re.compile("发现|查出|检出|筛出|确诊")
# What became of some of those trained: placed in work, or passed ("46人取得初级证书", "签了用工合同").
_PLACED_RE = re.compile("上岗|就业|务工|转移|找到活|找到工作|找到了工作|接到订单|接到了订单|卖货|开网店|开店|创业"
                        "|证书|结业证|合格证|持证|考核合格|考试合格|考核通过|通过考核|用工合同|劳动合同")
_TRAINING_REACH = 40  # how far before a count its training may be named ("3期培训班,每期40人,学员年龄…")
# Rates that are dropped when no count multiplies them (see _PER_HEAD_RE, _PER_MEASURE_RE):
# averages ("人均增收3000元") never are. For counts a recurrence is no rate: "每年奖励优秀学生50名"
# still reaches 50 students.
_PER_UNIT_RE = re.compile(r"每|人均|户均|亩均|年均|月均|平均|各(?=[捐投拨发补奖资援])")
# Counts per session or place ("每期30人", "每村30户"), and the sessions or places counted ("5期", "3个村").
_EACH_BEFORE_COUNT_RE = re.compile(r"各(?![级类地种项])[^\d,。;:、]{0,4}$")
_PER_UNIT_OF_COUNT_RE = re.compile(  # "每期30人", and the spoken "一场五十来人"
    "(?:每(?:个)?|(?<![\\d〇零一二两三四五六七八九十百千万第几])一)(?P<measure>期|批|场|班|村|所|校|乡镇|片区)")
_UNITS_COUNT_RE = re.compile(rf"(?P<number>{_ARABIC}|[{_CN_DIGIT_CHARS}十]+)个?(?:村|乡镇|所|期|批|场|班|片区)")
_PER_UNIT_COUNT_RE = re.compile(r"每(?!个?[年月季周天期次村所校乡批场班片])|人均|户均|亩均|平均")
_PHONE_RE = re.compile(r"电话|手机|热线|联系方式|tel|Tel|TEL")
# People who give the help rather than receive it ("组织30名志愿者"), unless the clause says
# they are the ones trained or helped ("培训村医48人次").
_PROVIDER_WORDS = tuple(
    "志愿者 专家 医生 护士 护理人员 医护 医务人员 医疗队员 教师 老师 队员 工作人员 工作组 专班 干部 党员 员工 职工 "
    "义工 讲师 律师 技术人员 技术员 第一书记 驻村 社工 团队 医疗队 工作队 服务队 专家组 医疗组 帮扶队 支教队 "
    "农技人员 农技员 专家团队 一行 主播 网友 爱心人士 爱心网友 捐赠人 捐款人 捐赠者 捐助人 认捐人 "
    "同事 教职工 会员 支教团 服务团 志愿团 志愿队 文艺队 演出队 宣讲团 专家团 医疗团 评估组 检查组 督导组 考察组 调研组 "
    "volunteers volunteer staff colleagues employees".split())
# Sending people out, or their trips to study the county, make them helpers ("派出医疗专家12批次48人",
# "组织员工赴结对县考察3次共30人次"), whatever they are called, up to a word of helping someone.
_TAKING_PART_RE = re.compile("(?:累计|共计|共)?(?:参与|参加|出动)$")
_TRAINED_AFTER_RE = re.compile("进修|轮训|受训|参训|参加培训|接受培训|跟岗|跟班学习|挂职")
_SENT_RE = re.compile("派出|选派|派驻|选调|外派|调研|考察")
_BARE_CLAUSE_RE = re.compile(r"\s*(?:累计|共计|合计|总计|共|计|约|近|达|逾|超)*\s*")
# A count said again for what follows ("为上述86人每人发放交通补贴"): counted where it was first said.
_AFORESAID_RE = re.compile("(?:上述|(?<![岁年级米度分])以上|前述|这些)$")  # not "90岁以上3人": an age
# Words pointing back at a figure said before: "这85户每户领取化肥2袋", "参训的42名村医", "上面说的5.6万元".
_POINTS_BACK_RE = re.compile("(?:这|该|此|上述|(?<![岁年级米度分])以上|前述|这些|上面说的|上面的|前面说的|前面的|刚才说的|参训的|受训的|受益的)"
                             "(?:[台辆套批笔项个](?:价值|金额|总价)?的?)?$")  # "这台价值38万元的冷藏车"
# A chat log pasted or forwarded: lines opened by a speaker ("县财政-小吴:", "回复 张敏:", "昨天 21:03 王会长:") or a
# quoted message ("「李主任:…」", "引用 王会长 的消息"), with a speaker speaking twice or the marks of a chat (@, [OK],
# times, 收到) — a report's headings ("产业帮扶:", "一、资金到位情况:") are lines of a label too. Its speakers repeat
# each other's figures when they confirm, quote or send a line twice: a figure said again on another line is counted
# once (see said_again).
_SPEAKER_LINE_RE = re.compile(
    r"^(?P<quote>回复|引用|「|\"|转发)|^(?:[^\n]{0,8}\d{1,2}:\d{2}\s?)?(?P<speaker>[^\n:,。;!?、\d]{1,12}):(?!\d)", re.MULTILINE)
_QUOTE_OPENERS = frozenset({"回复", "引用", "「"})
_QUOTE_DIVIDER_RE = re.compile(r"^[-—_ ]{5,}$", re.MULTILINE)  # under a quoted message: "- - - - - - -"
_CHAT_MARK_RE = re.compile(r"@[^\s@]|\[[^\]\n]{1,4}\]|[「」]|\d{1,2}:\d{2}|收到|好的")


def _is_chat_log(text: str) -> bool:
    """Two speakers' lines with a chat's marks, or a quoted message answered below it (WeChat's 「…」 over a
    dashed line, 引用 … with an @)."""
    head = text[:_MAX_CHAT_HEAD]
    if "\n" not in head:
        return False
    lines = [match.group("speaker") or match.group("quote") for match in _SPEAKER_LINE_RE.finditer(head)]
    marked = _CHAT_MARK_RE.search(head) is not None
    if any(line in _QUOTE_OPENERS for line in lines) and (marked or _QUOTE_DIVIDER_RE.search(head)):
        return True
    return len(lines) >= 2 and (len(set(lines)) < len(lines) or marked)


# Audiences are not people reached ("直播间观看量5.6万人次").
_AUDIENCE_RE = re.compile("观看|浏览|点击|播放|阅读|点赞|转发|关注|粉丝|游客|接待|在线人数|同时在线|访客|买家|下单人数|客流|观众|听众|吸引了?(?:市民|游客|观众|网友|顾客|客商|群众)")
# Targets are not what was reached ("年度目标帮扶100户"): only for counts; money after a target is a plan.
_TARGET_LABEL_RE = re.compile("目标(?:任务)?[:：]|(?<![^。;\n])\\s*(?:年度|全年|今年)?(?:工作)?目标(?:任务)?,")  # a target heading its sentence
_TARGET_RE = re.compile("目标|任务数|目标任务|(?i:target)")
_TARGET_SAID_RE = re.compile("(?:目标|任务)(?:是|为)")  # "消费帮扶目标是500万" in the figure's own clause: a target
# "N批次48人": a count of batches between the helpers' name and their head count.
_BATCH_COUNT_RE = re.compile(r"[\d一二两三四五六七八九十]+(?:批次|批|支|个)$")
_PROVIDER_RE = _alternation(_PROVIDER_WORDS)
_PROVIDER_BEFORE_GE_RE = re.compile("(?:" + "|".join(map(re.escape, sorted(_PROVIDER_WORDS, key=len, reverse=True)))
                                    + r")(?:共|一共|有)?$")  # "义工二十个": the helpers' count with 个
_NEEDY_RE = re.compile("(?:老|困难|贫困|退休|患病|生病|孤寡|留守|残疾)$")  # before a helper's word: one helped
_HELPING_AFTER_RE = re.compile("(?:也|都|一起|主动|自发|自愿)?(?:来|前来|参与|参加)?(?:帮忙|帮工|投工投劳|义务劳动)")
_LATIN_WORD_RE = re.compile(r"\s?([A-Za-z]{2,20})")
_BENEFICIARY_RE = re.compile(
    "培训|参训|受训|带教|指导(?![组员])|培养|进修|资助|慰问|帮助|救助|受益|惠及|覆盖|带动|服务|体检|招聘|吸纳|安置|表彰|奖励|为|向|给")
# Money other payers put in — the state (财政, 衔接资金, matching funds 配套资金) or the villagers
# themselves (自筹) — before a figure in its clause: not the organizations' money, nor the people
# or households it reached ("县级配套资金20万元", "县教育局配套资助学生120人").
_OTHER_PAYER_RE = re.compile(
    r"(?P<state>财政|衔接资金|福彩|彩票公益金|政府投入|政府资金|整合资金|涉农资金|专项债"
    r"|(?:县|市|省|区|州)?(?:乡村振兴局|民政局|农业农村局|发改委|发改局|政府)(?=[^,。;]{0,8}?(?:拨|下达|安排|投入|出资))"
    r"|(?:县|市|省|区|州)[^\d,。;:、()]{0,6}?(?:局|委)(?=[^,。;:、]{0,6}?(?:拨|下达|安排|投入|出资|出了|配套))"
    # a bureau opening its clause hands out what it pays: "县人社局本月发放稳岗补贴38万元" (not "联合县民政局发放…")
    r"|(?<![^,。;:\n])(?:县|市|省|区|州)[^\d,。;:、()]{0,6}?(?:局|委)(?=[^,。;:、]{0,6}?(?:发放|兑现|支付))"
    # the county as a payer, and the people's bodies the state funds: "县里奖励资金10万元", "妇联出了5千"
    r"|(?<![从向为给对在])(?:县里|市里|省里|镇里|乡里|上级)(?=[^,。;:、]{0,4}?(?:奖励|奖补|拨|下达|补贴|补助|出资|出了|出(?=[\d一二两三四五六七八九十])|配套))"
    r"|(?:县|市|省)?(?:妇联|残联|团委|团县委|科协)(?=[^,。;:、]{0,4}?(?:出了|出资|拨|投入|配套|发放)))"
    r"|(?:群众|村民|农户|村集体|受益户|地方)自筹|投工投劳"
    r"|(?P<matching>配套(?:资金|衔接|财政|资助|[\d一二三四五六七八九十])|(?:县级|县里|县财政|市级|省级|财政)配套|\d+:\d+配套)")
# Before the state's money word, it is whom the money went to ("为县财政局困难职工捐款", "向县财政专户缴入").
# The state or the villagers named as payer right after an amount: "其余35万元由县衔接资金解决".
# Or named right after it as the kind of money: "省里下了200万财政资金".
_PAID_BY_AFTER_RE = re.compile(r"\s?由[^,。;:()]{0,8}?(?:财政|衔接资金|政府|群众自筹|村民自筹|村集体)"
                               r"|的?(?:中央|省级|市级|县级)?(?:财政|衔接)(?:专项|补助|扶贫)?资金")
_RECIPIENT_BEFORE_RE = re.compile(r"[为向给对](?:县|市|省|区|乡|镇)?级?$")
# Matching funds are the state's when the state is named before them ("县教育局配套资助", "县级配套").
_STATE_NAMED_RE = re.compile("县|市|省|政府|财政|局|衔接")
_REACHED_BEFORE_RE = re.compile("惠及|帮扶|帮助|受益|为|向|给")
_OWN_SUBJECT_RE = re.compile("我会|我们|我单位|本单位|我公司|本会|我院|我校|公司|基金会|协会|商会|企业")
# Descriptions of a place ("全村现有农户300户") rather than of people reached.
# A count of those a place has or a disaster hit, unless a word of helping stands before it ("脱贫人口6.2万人",
# "受灾农户380户"; but "为受灾农户380户发放").
_STATISTIC_RE = re.compile("人口|受灾")
_DESCRIPTION_RE = re.compile("现有|总人口|常住|户籍|辖|共有农户|(?:全|该|本)(?:村|乡|镇|县)(?:共|一共|总共)?有|(?:村|乡|镇|县)里(?:(?:共|一共|总共)有?|有)"
                             "|(?:村|乡|镇|县|组|校|院|园)(?:共|总共|一共)有")  # "岩脚村共有420户1,630人"

# How far before a spending verb a future marker makes it a plan ("计划下个月拨付", "将于10月底前捐赠").
_PLAN_REACH = 10
_DONE_RE = re.compile("已|(?<![说讲答应示告知])了|实际")  # not the 了 of a saying: "会长说了年底前再拨20万"
_DATE_AFTER_RE = re.compile("[年月日号]|月份")  # after a number that is a date, not an amount
# Before a spending verb these make it a plan: 待 (waiting for: "待验收后拨付"; not 接待/期待/招待/待遇)
# and 争取/力争 (striving to: "争取年内到位"), unless 已/了 comes between; a deadline ("年底前到位",
# "10月底前拨付") unless its clause says it happened ("已于年底前到位").
_DEADLINE = (r"(?:(?:年底|年末|月底|月末|季末|季度末|(?<!\d)\d{1,2}月(?:底|末)|[一二三四五六七八九十]{1,2}月(?:底|末)"
             r"|(?<![\d年])\d{1,2}月\d{1,2}[日号])前"  # a day with no year; "2024年9月30日前投入" is past
             r"|(?<![今本])年内(?=到位|拨付|到账|支付|付清)|月内(?=到位|拨付|到账|支付|付清))")
_PLAN_MARKER_RE = re.compile(
    r"(?<![接期招对善等])待(?!遇)|争取|力争|承诺(?=[^,。;:\d]{0,6}?(?:投入|捐赠|捐|拨付|资助|援建|支付))"
    r"|(?<![已并])将(?=(?:[为向给对][^,。;:\d]{1,8}?)?(?:追加|再|继续|陆续|分批|逐步|另行)?(?:投入|捐赠|捐|拨付|拨|发放|支付|到位|资助|援建))"
    rf"|(?P<deadline>{_DEADLINE}"
    r"|分[两二三四五六七八九十\d]{1,2}年|分[两二三四五六七八九十\d]{1,2}期(?=到位|拨付|到账|支付|付清))")
# ("余下180万元分两年拨付到位", "100万元分两期到位": to be paid over years, or in instalments to come);
# 将 right before a verb of giving is the future ("将追加投入15万元"; "将20万元拨付到村" is 把).
_DEADLINE_RE = re.compile(f"(?P<deadline>{_DEADLINE})")
# Before an amount in its clause: what is left of a sum, not yet paid ("已到位120万元,剩余80万元"),
# unless the clause says it was paid or gives it a use (then it is a share, see allocated_shares).
_REMAINDER_RE = re.compile("剩余|余下|剩下|尚余|尾款|余款|其余(?![\\d一二两三四五六七八九十几]+个?[所村户人家名位项乡镇校])"
                           "|还差|尚差|尚欠|还欠")  # not "其余两所各4.5万": the other schools
# Before a verb of paying, what makes it still to come: "剩余60万元验收后支付", "剩下的争取年底前打过来".
_TO_COME_BEFORE_RE = re.compile("(?:后|前|待|争取|再|将|会|届时)$")
_NAME_CLOSERS = frozenset("”\"'’》」』")
# Per-head rates that a count in the same sentence multiplies ("15名学生,每人2000元", "1500元/人"):
# the count's kind by the word after 每 (or after "/").
_PER_HEAD_RE = re.compile(  # "每人", "每户", and the spoken "一户差不多两百块钱", "一人发两百块"
    r"(?:每(?:一|个)?|(?<![\d〇零一二两三四五六七八九十百千万第几])一(?=[人户][^户人]))"
    r"(?:(?P<people>人|名|位|例|生|学生|孩子|儿童|老人|患者|娃儿|娃娃|娃|小孩)|(?P<households>户|家))")
# Other per-unit rates that a count of the same unit multiplies: "发放牛犊25头,每头价值8000元".
# Recurrences (每年 每月 每次) are not among them.
_PER_MEASURE = "measure:"
_MEASURES = "头只羽台套亩个所座辆间口株棵斤吨箱件批份罐袋盒瓶桶包床村校室张把副双架"
# A unit price right before an amount given with items counted before it: "捐赠负压救护车2台,单价48万元" is 96.
_ONE_ITEM_RE = re.compile(f"一[{_MEASURES}]")  # one item each, which 分别 shares out: "分别捐赠一台…"
_NUMBER_START_RE = re.compile(r"(?:约|共|达|了|差不多|大概|大约|将近|接近)?[\d一二两三四五六七八九十]")
_PRICE_OF_SALE_BEFORE = frozenset("客售购场")  # 客单价, 销售单价, 收购单价, 市场单价: prices, never a gift's
_UNIT_PRICE_RE = re.compile(r"单价(?:为|是|约|大约|均为)?\s*$")
_ITEMS_COUNTED_RE = re.compile(f"(?:\\d+|[一二两三四五六七八九十]{{1,3}})(?P<measure>[{_MEASURES}])")
_PER_MEASURE_RE = re.compile(f"每一?(?P<measure>[{_MEASURES}])")
# "捐了2台救护车,一台40多万": a clause opening with 一 and a measure word is a rate per item, as 每台 is.
_ONE_EACH_RE = re.compile(r"\s*(?:[^\d,。;:、()]{1,4}?)?一(?P<measure>[头只台套所座辆间株棵箱件份])(?:就|要|是|约|大概|差不多)?\s*")  # "鸡苗一只五块"
# "…物资一套(价值800元)", "每人送一件羽绒服(价值260元)", "每户发了一套救灾物资,价值800元": one item and its name.
_ONE_ITEM_BEFORE_RE = re.compile(f"一[{_MEASURES}][^\\d,。;:、()]{{0,8}}$|[^\\d,。;:、()]{{0,8}}?\\d+[{_MEASURES}]$")
_VALUE_OPENS_RE = re.compile(r"\s*(?:价值|价格|折价|合计价值)")  # a clause after a comma that only values the item before
# "2600元一台": the amount is per the item named right after it, as 每台 is (the clause ends there).
_ONE_EACH_AFTER_RE = re.compile(f"一(?P<measure>[{_MEASURES}])(?=$|[,。;:、()!?\\s])")
_ALL_PAID_RE = re.compile("全部|全额|足额")
# An amount paid 每年/每月/每季度 and how long ("连续三年", "6个月", "2个季度"): see _Reader._recurrences.
_RECURRENCE_RE = re.compile("每个?(?P<unit>年|月|季)")  # "每个月给12位老人每人发200块"
_DURATION_RE = re.compile(r"(?P<count>(?<![\d.])\d{1,2}(?![\d.])|[一二两三四五六七八九十]{1,3})(?P<unit>年(?![级底初末前后度中])|个月|个季度)")
_DURATION_UNITS = {"年": "年", "月": "个月", "季": "个季度"}
_PER_YEAR = {("年", "月"): 12, ("年", "季"): 4}  # a duration in years for an amount paid monthly or quarterly
_PAST_DURATION_RE = re.compile("已|(?<![订签定署约])了|共|累计|连续")  # not a promise's 了: "签订了五年帮扶协议", "签约了"
# A span of named months or years an amount recurred over ("4月至6月每月…", "(1月-6月)", "2024-2026年每年…"): as
# many months or years as it names, reported as done (a promise over it is committed all the same).
_SPAN = "span"  # `_recurrences`' "past" for a span: done, unless a promise makes the whole span committed
_SPAN_RE = re.compile(r"(?<!\d)(?P<from>1[0-2]|[1-9])(?:月份?)?(?:至|到|-|~)(?P<to>1[0-2]|[1-9])月"
                      r"|(?<!\d)(?P<yfrom>20\d\d)年?(?:至|到|-|~)(?P<yto>20\d\d)年")
_MAX_RECURRENCES = {"年": 20, "月": 60, "季": 40}
# An average that is a gift to each ("人均资助5000元"), unlike one that is an outcome ("人均增收").
_AVERAGE_GIFT_RE = re.compile(
    "(?P<who>[人户])均(?:资助|补助|补贴|发放|配发|配送|赠送|奖励|捐赠|捐款|救助|慰问|采购|购买|认购|价值"
    "|(?P<bare>(?=[\\d一二三四五六七八九十两])))")
# Something handed to each before an average ("40户每户配了一套家具,户均1200元"): the average is a gift.
_HANDED_EACH_RE = re.compile("每(?:人|户|家|位|名)(?:配|送|发|给|赠|捐|补)")
# 各/分别 before a verb of giving: the amount goes to each of a count before it (see _Reader._each).
_EACH_RE = re.compile(r"各(?=[捐投拨发补奖资援赠配送购建安提\d一二三四五六七八九十两])|分别(?=[捐投拨发补奖资援赠配送向给为])")
# Recipients named in a list right before 各/分别 ("向拉觉村、哈甘村分别捐赠", "在拉觉村和哈甘村各投入"): as many
# as the names.
_TIMES = "times:"
_NAMED_LIST_RE = re.compile(r"[^\d,。;:、()和与及]{2,12}(?:[、和与及][^\d,。;:、()和与及]{2,12})++(?=(?:[都也])?$)")
_LIST_JOINER_RE = re.compile("[、和与及]")
_EACH_COUNTS = {"人": _PEOPLE, "名": _PEOPLE, "位": _PEOPLE, "户": _HOUSEHOLDS}
_COUNTED_RE = re.compile(
    rf"(?:{_ARABIC}|[{_CN_DIGIT_CHARS}十百千]+)(?:余|多)?(?P<measure>[所家户人名位村校座个])")
_PER_HEAD_SUFFIX = {"人": _PEOPLE, "名": _PEOPLE, "位": _PEOPLE, "生": _PEOPLE, "户": _HOUSEHOLDS,
                    "家": _HOUSEHOLDS}
# Nouns after "N个" that make it a count of people or of households ("85个学生", "56个困难家庭").
_GE_BETWEEN = r"[^\d,。;、!?:()\s村乡镇县区所校园点组班队的和及与]{0,4}?"
_PERSON_AFTER_GE_RE = re.compile(  # "85个学生", "12个考上大学的孩子" (a short clause with 的 between)
    r"(?:[^\d,。;、!?:()\s村乡镇县区所校园点组班队的]{1,6}的)?" + _GE_BETWEEN + "(?:学生|孩子|儿童|老人|群众|村民(?!小?组)|农民|妇女|患者|病人|劳动力|残疾人|学员|主播|乡亲|工人|青年|娃|小孩|绣娘|月嫂)")  # not "4个村民小组"
_FAMILY_AFTER_GE_RE = re.compile(_GE_BETWEEN + "家庭")
# "36家" counts households only where the clause speaks of households or families.
_HOUSEHOLD_CONTEXT_RE = re.compile("户|家庭|农民|群众|村民")
# "8家困难户", "15家困难家庭": 家 counting households named right after it.
_HOUSEHOLD_AFTER_JIA_RE = re.compile(r"[^\d,。;、!?:()\s的]{0,4}?(?:户|家庭)")
_ORGANISATION_AFTER_JIA_RE = re.compile(
    "[^,。;:、]{0,5}?(?:企业|单位|公司|医院|机构|银行|商户|社会组织|合作社|学校|爱心|协会|商会)")
# A figure restated in capital numerals or in digits right after itself: "15万元(大写:壹拾伍万元整)".
# Between an amount and the same amount said again: a bracket ("15万元(大写:壹拾伍万元整)"), or 即/折合/相当于
# ("1万元,折合人民币10000元"); only an equal value (or 大写) is a restatement.
_CONVERTED_BEFORE_RE = re.compile(r"(?:折合|约合|相当于|折价)\s*(?:人民币)?\s*¥?\s*$")
_RESTATEMENT_RE = re.compile(r"整?\s*(?:\((?:大写)?[:]?|,?\s*(?:即|也就是|折合|约合|合|相当于))\s*(?:人民币)?\s*¥?\s*")

_MONEY_NOUN_AFTER_RE = re.compile("的(?:慰问金|资金|善款|补贴|补助|助学金|奖学金|救助金|学费|医药费|生活费|现金|红包|款)")
_AFTER_BARE_THOUSANDS = ("左右", "给", "用", "已", "的", "多", "余", "块")
# Measure words after a bare 万: "1.2万的学习用品" and "60万下个月到" are money, "20万斤" is not.
_MEASURE_WORD_RE = re.compile(
    "[人户斤吨亩株只头棵册件份套台辆箱袋盒本个次名位条张瓶双支包羽尾枚平米公千克升间座所家批场期项处种片根粒笔例单字"
    "美欧英港韩澳卢]")  # the last ones: foreign currencies (5万美元)

# A count after its label, with no unit: "受益户数:120", "受益人数为480", "项目数:5".
_COUNT_LABEL_RE = re.compile(r"(?:(?P<what>户数|人数|人次|受益人口|项目数|受益户|受益人)(?:为|达|共|是|约|近)?[: ]?"
                             r"|(?:(?<=[;,、:\n])|(?<![\s\S]))(?P<bare>户|人|项目)[: ]?)$")  # "…;户137;人489;项目3": a list of labels

_LEADING_QUALIFIERS = "共计达有约近逾超过总数合等了一"  # 一 of 一共
_RANGE_JOINERS = "-~至到"
_QUANTITY_END_CHARS = "元万亿人户名个项次位"


# Running totals: strong cues always mean "to date"; weak ones (共计 总计) only when they do not
# restate parts listed before them. A period word (本月 本次 …) before a weak cue in its sentence,
# right before a strong one ("本月累计"), or between the cue and the figure, makes it this
# report's own figure.
_CUTOFF_OPENS_RE = re.compile(r"\s*(?:截至|截止|到)")  # a clause that dates the running total after it
_RUNNING_RE = re.compile(
    r"(?P<strong>累计|累积|截至目前|截止目前|截至|截止|至今|迄今|到目前为止|目前为止|(?<!今年)(?<!本年)(?<!年初)以来)"
    r"|(?P<weak>共计|总计)")
_PERIOD_RE = re.compile(
    r"本次|此次|这次|本月|当月|这个月|本周|这周|本季度|本期|上月|上个月|本批|这批|此批|当天|现场|期间|前夕"
    r"|春节|中秋|国庆|重阳|六一|今年|本年|去年|上年|上季度|上一季度|上个季度|上半年"
    r"|(?P<year>(?<![自从\d])20\d\d年(?![底末初\d]|以来|起|至今))"
    r"|(?<![\d一二三四五六七八九十])(?<![\d一二三四五六七八九十][-—~～至到])[\d一二三四五六七八九十]{1,3}月份"
    r"|(?<![\d一二三四五六七八九十.])(?<![\d一二三四五六七八九十][-—~～至到])"
    r"(?:1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])月(?![份\d])")
# (the last month of a range, "1-11月累计", is not a period of its own: the range runs to date)
# The start of this year before a running-total cue in its clause ("今年累计", "今年以来累计", "年初至今",
# "1-11月累计", "今年1至11月累计"), or opening its sentence ("今年以来，…累计…，累计…"): the total runs from
# it, so it is this year's total to date (YEAR_TO_DATE).
_TO_DATE_MONTHS = r"(?<![\d.])(?:1|一|元)\s*[-—~～至到]\s*(?:1[0-2]|[1-9]|十[一二]?|[二三四五六七八九])月份?"
# "全年累计" / "当年累计" / "年内累计" are this year's too (not "去年全年", "三年内", a "结对当年" not right before its cue).
_YEAR_SO_FAR_RE = re.compile(r"今年|本年|年初|(?<!年)全年|当年(?=度?\s*$)"  # (searched up to the cue: 当年 right before it)
                             r"|(?<![\d一二两三四五六七八九十几多近去上前])年内|" + _TO_DATE_MONTHS)
_NAMED_YEAR_RE = re.compile(r"(?<!\d)20\d\d年")
_SINCE_YEAR_START_RE = re.compile(r"\s*(?:(?:今年|本年)度?(?:以来|至今)|年初以来|年初至今|(?:今年|本年)?" + _TO_DATE_MONTHS + ")")
# Period words of a period before the report's: a running total "截至上月累计…" is one to that date.
_EARLIER_PERIODS = frozenset({"上月", "上个月", "去年", "上年", "上季度", "上一季度", "上个季度", "上半年"})
_NAMED_YEAR = "<year>"  # the period word of any named year ("2024年投入420万元")
# This year's, right before a cue, leave it a running total as before ("今年累计投入80万元"); between
# the cue and a figure they end its reach ("三年来累计投入300万元,今年投入100万元": 100 is this year's).
_YEAR_SO_FAR = frozenset({"今年", "本年"})
# A month named before a figure ("10月份再捐赠", "截至9月底"): see _Reader._totals_to_an_earlier_month.
_MONTH_RE = re.compile(r"(?<![\d一二三四五六七八九十])(?P<month>1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])月")
_CUTOFF_RE = re.compile("截至|截止")
# A year a running total runs to or a figure is of: "2024年底", "去年底", "今年1-9月" — not one it runs from
# ("自2021年结对以来"). Named years and years said relative to this one are not compared with each other.
_YEAR_RE = re.compile(r"(?<![自从\d])(?:(?P<year>20\d\d)年|(?P<relative>前年|去年|上年|今年|本年))(?P<end>底|末)?(?!以来|起|至今)")
_RELATIVE_YEARS = {"前年": -2, "去年": -1, "上年": -1, "今年": 0, "本年": 0}
_RELATIVE_BASE = 10_000  # relative years are stored as this plus their offset
_JOINED_RE = re.compile("[和及与]")
_GOODS_COUNT_RE = re.compile(r"[\d一二两三四五六七八九十百千万]+(?:余|多)?[台辆套件床斤吨袋箱批份册本头只盒瓶笔]")
_MAX_NEIGHBOURS = 20  # figures either side looked at for parts a 共计 restates
_TERSE_REPLY = 40  # characters: a reply this short that names no money word at all says its amount is put in
_SAID_AS_MONEY_RE = re.compile("[万亿元]")  # ... when the amount is said as money: 30万, 500元 (not "培训3千")
# ... and not as those reached ("惠及群众1.2万" is 12,000 people, said without 人)
_REACHED_BEFORE_RE = re.compile("惠及|覆盖|带动|受益|群众|农户|人口|学生|儿童|老人|村民|培训|服务|人次|户数|人数|就业|务工")
_MAX_CHAT_HEAD = 2_000  # how far speaker lines are looked for: a chat log shows them from its start


class _RunningCues:
    """Positions of running-total cues and period words in one text, for bisect look-ups."""

    def __init__(self, text: str) -> None:
        self.cues = [(match.start(), match.group("strong") is not None)
                     for match in _RUNNING_RE.finditer(text)]
        self.cue_starts = [start for start, _ in self.cues]
        # A period named in a comparison ("较去年同期增长") is not the period of any figure.
        periods = [match for match in _PERIOD_RE.finditer(text)
                   if text[max(0, match.start() - 1):match.start()] not in ("较", "比")]
        self.period_starts = [match.start() for match in periods]
        self.period_words = [_NAMED_YEAR if match.group("year") else match.group() for match in periods]
        # A period word right after 截至/截止 is the date a total runs to ("截至本月底", "截至9月份"), not
        # the period the figure is of.
        self.period_dated = [text[max(0, match.start() - 2):match.start()] in ("截至", "截止") for match in periods]

    def governing(self, sentence_start: int, pos: int) -> tuple[bool, int] | None:
        """(strong, start) of the last cue before `pos` in its sentence, else None."""
        index = bisect_left(self.cue_starts, pos) - 1
        if index < 0 or self.cue_starts[index] < sentence_start:
            return None
        start, strong = self.cues[index]
        return strong, start

    def strong_before(self, cue_start: int, sentence_start: int) -> int | None:
        """The start of the strong cue right before the cue at `cue_start` in its sentence, if the cue before
        it is a strong one ("截至目前总计", "至今共计"), else None."""
        index = bisect_left(self.cue_starts, cue_start) - 1
        if index < 0 or self.cue_starts[index] < sentence_start or not self.cues[index][1]:
            return None
        return self.cue_starts[index]

    def period_between(self, start: int, end: int, ignore: frozenset[str] = frozenset()) -> bool:
        """Is there a period word (本月 本次 …), other than those in `ignore`, starting in [start, end)?"""
        low = bisect_left(self.period_starts, max(start, 0))
        high = bisect_left(self.period_starts, end)
        return any(self.period_words[index] not in ignore
                   and not (self.period_dated[index] and self.period_words[index] not in _EARLIER_PERIODS)
                   for index in range(low, high))

    def earlier_period_between(self, start: int, end: int) -> bool:
        """Are the period words starting in [start, end) all of an earlier period ("截至上月累计")?"""
        low = bisect_left(self.period_starts, max(start, 0))
        high = bisect_left(self.period_starts, end)
        return low < high <= low + 4 and all(self.period_words[index] in _EARLIER_PERIODS for index in range(low, high))


class _Cue(NamedTuple):
    """A money cue word found in the text, with its kind (_CUE_…)."""

    start: int
    end: int
    kind: str


# ---------------------------------------------------------------------------------------------
# 5. Figures
# ---------------------------------------------------------------------------------------------


class _Figure(NamedTuple):
    """A number with a unit we count: its kind (a ParsedUpdate field name) and where it is."""

    kind: str
    value: float
    start: int
    end: int
    per: str | None = None  # a per-head rate: the kind of count (people, households) it multiplies
    pledged: bool = False  # money paid that is also the whole pledge ("协议资金200万元已全部到位")
    arranged: bool = False  # committed as the whole that part arrived of ("落实资金20万元,已到位15万元")


class _Reader:
    """Reads the figures and fields of one normalised text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.segments = _Segments(text)
        self.cues = self._money_cues()
        self.plan_sections = self._plan_sections()
        self._part_kinds: dict[tuple[int, int, str, frozenset[str]], str] = {}
        self.cue_starts = [cue.start for cue in self.cues]
        self.range_kinds: set[str] = set()  # kinds for which a range was given (and left out)
        self.rate_starts: list[int] = []  # where the per-head rates are ("每人2000元")
        # Counts that are not reached ("干部42人", "上述86人") but that per-head gifts multiply.
        self.helper_counts: list[_Figure] = []
        self.other_payer_starts: list[int] = []  # where the amounts others paid are (see _OTHER_PAYER_RE)
        self.foreign_ends: list[int] = []  # where amounts in another currency end (their parts are in it too)
        self.last_count: dict[str, tuple[int, bool]] = {}  # kind → (start, reached?) of the last count read

    # -- cues ------------------------------------------------------------------------------

    def _money_cues(self) -> list[_Cue]:
        """All money cues; 采购 and 购买 resolved by their clause to sales, or to spending (funds);
        a spending verb right after 计划/拟/准备 … ("计划拨付") is a plan."""
        cues: list[_Cue] = []
        for match in _MONEY_CUE_RE.finditer(self.text):
            kind = _MONEY_CUES[match.group()]
            if kind in (_CUE_PURCHASE, _CUE_BUY):
                kind = _CUE_SALES if self._buys_produce(match, kind, cues) else _CUE_FUNDS
            elif kind == _CUE_SPEND:
                kind = self._spending_kind(match.start(), cues)
            if kind in (_CUE_FUNDS, _CUE_PAID) and _APPLIED_RE.search(self.text, max(0, match.start() - 6), match.start()):
                kind = _CUE_OUTCOME  # asked for, not given: "已向基金会申请资助15万元"
            if kind in (_CUE_FUNDS, _CUE_PAID) and self._planned_verb(match.start(), cues):
                kind = _CUE_PLANNED
            if kind == _CUE_FUTURE and (self.text[match.end():match.end() + 1] in _NAME_CLOSERS
                                        or self.text[match.start() - 1:match.start()] in _NAME_CLOSERS):
                kind = _CUE_NEUTRAL  # a programme's name: “雨露计划”, “一元助学”计划
            if (match.group() in ("单价", "价格") and self.text[match.start() - 1:match.start()] not in _PRICE_OF_SALE_BEFORE
                    and _ITEMS_COUNTED_RE.search(self.text, max(0, match.start() - 40), match.start())
                    and any(cue.kind in (_CUE_FUNDS, _CUE_PAID, _CUE_PLANNED) and match.start() - cue.end < _REACH
                            for cue in cues[-4:])):
                kind = _CUE_NEUTRAL  # "捐赠负压救护车2台,单价48万元": the price of each item given (see _unit_price_measure)
            if (match.group() == "收入" and cues and cues[-1].kind == _CUE_SALES and match.start() - cues[-1].end < 30
                    and _NUMBER_START_RE.match(self.text, match.end())):
                kind = _CUE_SALES  # "帮销土豆一万多斤,收入一万二块钱": what the sale took in
            if kind == _CUE_PROMISE and self.text.startswith(("服务", "医生"), match.end()):
                kind = _CUE_NEUTRAL  # "家庭医生签约服务": a service's name
            if match.group() in _FIELD_NAMES and (not _AMOUNT_AFTER_NAME_RE.match(self.text, match.end()) or _SUB_RE.search(
                    self.text, max(self.segments.span("sentence", match.start())[0], match.start() - _REACH), match.start())):
                kind = _CUE_NEUTRAL
            if kind == _CUE_SALES and _SUBSIDY_AFTER_RE.match(self.text, match.end()):
                kind = _CUE_WEAK  # "消费帮扶补贴1500万元": a subsidy given, named after what it is for
            if kind == _CUE_FUNDS and cues and cues[-1].kind == _CUE_OUTCOME \
                    and self.text[cues[-1].start:cues[-1].end] in _BROUGHT_IN \
                    and self._investors_between(cues[-1].end, match.start()):
                kind = _CUE_OUTCOME  # "引进企业投资200万元": others' money the organization brought in
            if match.group() == "用于" and self._after_buying_produce(match.start(), cues):
                kind = _CUE_NEUTRAL  # "工会采购结对县农产品用于节日慰问,金额28万元": what the purchase was for
            cues.append(_Cue(match.start(), match.end(), kind))
        return cues

    def _investors_between(self, start: int, end: int) -> bool:
        """Between 引进 and a verb of investing, the investors: "引进企业投资", "引进了一家企业来县里投资"."""
        if end - start > 12:
            return False
        between = self.text[start:end]
        return _INVESTORS_RE.fullmatch(between) is not None or (
            len(between) <= 12 and _INVESTOR_WORD_RE.search(between) is not None
            and not any(char in _CLAUSE_ENDS for char in between))

    def _after_buying_produce(self, start: int, earlier: list[_Cue]) -> bool:
        """Is there a sales cue from buying (采购 购买 …) earlier in this clause?"""
        clause_start = self.segments.near("clause", start)[0]
        return any(cue.kind == _CUE_SALES and cue.start >= clause_start
                   and _MONEY_CUES.get(self.text[cue.start:cue.end]) in _SPENDING_CUES for cue in earlier[-6:])

    def _planned_verb(self, start: int, earlier: list[_Cue]) -> bool:
        """Does a future marker (计划 拟 准备 待 …) stand just before this verb in its clause,
        with no 已/了 between ("计划下个月拨付", "待项目验收后拨付")?"""
        clause_start = self.segments.near("clause", start)[0]
        for cue in reversed(earlier[-4:]):
            if cue.start < max(clause_start, start - _PLAN_REACH):
                break
            if cue.kind == _CUE_FUTURE or self.text[cue.start:cue.end] == "预算":  # "预算投入45万元"
                return not _DONE_RE.search(self.text, cue.end, start)
        window_start = max(clause_start, start - _PLAN_REACH)
        marker = _last_match(_PLAN_MARKER_RE, self.text, window_start, start + 2)  # + 2: "分两期" sees its verb
        if marker is None:
            # A deadline governs its clause's verb however far ("力争年底前把剩余的25万元拨付到位").
            marker = _last_match(_DEADLINE_RE, self.text, clause_start, start)
        if marker is None:
            return False
        if marker.group("deadline"):
            return not _DONE_RE.search(self.text, clause_start, self.segments.near("clause", start)[1])
        return not _DONE_RE.search(self.text, marker.end(), start)

    def _spending_kind(self, start: int, earlier: list[_Cue]) -> str:
        """花了/货款 pay for what the sentence bought: sales after buying produce ("买了结对县的大米,
        花了3万多"), else money put in."""
        sentence_start = self.segments.span("sentence", start)[0]
        for cue in reversed(earlier[-8:]):
            if cue.start < sentence_start:
                break
            if cue.kind == _CUE_SALES:
                return _CUE_SALES
        if self.text.startswith("货款", start):
            # "茶叶货款2.3万元已经打过去了": paying for goods is buying them — the county's produce, unless inputs
            # are named in the sentence ("支付设备货款10万元", "采购化肥,支付货款5万元").
            return _CUE_FUNDS if _INPUT_GOODS_RE.search(self.text, max(sentence_start, start - _REACH), start) else _CUE_SALES
        return _CUE_FUNDS

    def _buys_produce(self, match: re.Match[str], kind: str, earlier: list[_Cue]) -> bool:
        """Is this 采购/购买 consumption assistance rather than spending on inputs?

        "食堂采购结对县农副产品" is; "投入10万元采购鸡苗" and "为学生购买书包" are not.
        """
        clause_start, clause_end = self.segments.near("clause", match.start())
        after = self.text[match.end():clause_end]
        if kind == _CUE_BUY:
            if _PRODUCE_RE.search(after) is not None:
                return True
            # "采购我县枇杷21万元;单位职工个人购买约4万元": buying more of what the sentence sold.
            return (_INPUT_GOODS_RE.search(after) is None
                    and any(cue.kind == _CUE_SALES and cue.start >= match.start() - 30 for cue in earlier[-8:]))
        funded = any(cue.kind in (_CUE_FUNDS, _CUE_PAID) and cue.start >= clause_start
                     for cue in earlier[-8:])
        sentence_start = max(self.segments.near("sentence", match.start())[0], match.start() - _REACH)
        if _DONATED_RE.search(self.text, sentence_start, clause_end) and _PRODUCE_RE.search(self.text, sentence_start, clause_end) is None:
            # "采购并捐赠B超机一台,采购金额36万元"; produce bought from the county and given away is still sales
            return False
        item_start = self.segments.near("item", match.start())[0]
        inputs_named = _INPUT_GOODS_RE.search(after) or _INPUT_GOODS_RE.search(self.text, item_start, match.start())
        return not funded and inputs_named is None  # "设备采购26万元" is spending, like "采购设备"

    def _cues_in(self, start: int, end: int) -> list[_Cue]:
        """Money cues lying wholly in [start, end)."""
        low = bisect_left(self.cue_starts, start)
        high = bisect_left(self.cue_starts, end)
        return [cue for cue in self.cues[low:high] if cue.end <= end]

    # -- money -----------------------------------------------------------------------------

    def money_kind(self, start: int, end: int) -> str | None:
        """funds_wan, committed_wan, sales_wan for the money figure at [start, end); _CUE_OUTCOME
        when it is not an input (增收, 贷款); None when nothing in its sentence says.

        A verb in the figure's own clause decides. Failing that, the verb of an earlier clause
        of the sentence governs it ("拟捐赠救护车2辆,价值约60万元", "签约项目2个,金额800万元"),
        though another clause's outcome word (分红, 增收) does not. Only then does a bare money
        noun (资金, 价值) make it money put in.
        """
        clause = self._clause_of_amount(start)
        sentence = (self.segments.near("sentence", start)[0], clause[1])
        if not any(cue.kind in _DECISIVE for cue in self._cues_in(*clause)) and not any(
                cue.kind in (_CUE_FUNDS, _CUE_PAID, _CUE_SALES) for cue in self._cues_in(max(sentence[0], clause[0] - _REACH), clause[0])):
            # "冷库二期的40万元资金,准备在11月份拨付到位": the verb of the next clause says what it is — unless one
            # before it did ("捐赠光伏设备1套,价值18万元,预计每年为村集体增收5万元").
            sentence = (sentence[0], self._next_clause_end(clause[1]))
        kind = self._money_kind_in(clause, start, end, nouns_decide=False)
        if kind == _FUNDS and self._pledged_over_years(clause, sentence[0], start):
            return _COMMITTED
        if kind is None:
            cues = [cue for cue in self._cues_in(*sentence)  # others' money brought in does govern: "引进…集团投资…,总投资8,000万元"
                    if cue.kind != _CUE_OUTCOME or cue.start >= clause[0] or self.text[cue.start:cue.end] in _BROUGHT_IN]
            kind = self._money_kind_in(sentence, start, end, nouns_decide=False, cues=cues)
            if kind is None:
                kind = self._heading_kind(start, end)
            if kind is None:
                kind = self._money_kind_in(sentence, start, end, nouns_decide=True, cues=cues)
            if (kind is None and len(self.text) <= _TERSE_REPLY and not self.cues
                    and _SAID_AS_MONEY_RE.search(self.text, start, end)
                    and not _REACHED_BEFORE_RE.search(self.text, max(0, start - _LABEL_REACH), start)):
                kind = _FUNDS  # "1个项目 30w 120户": a terse reply naming an amount and nothing of it is money put in
        return kind

    def _clause_of_amount(self, start: int) -> tuple[int, int]:
        """The clause whose words say what the amount at `start` is: its own, the one around a bracket that holds
        only it ("协议约定的第二期资金(40万元)已于昨日足额到账"), or with the label before a colon ("已到位:90万元")."""
        clause = self.segments.near("clause", start)
        text = self.text
        if (text[clause[0] - 1:clause[0]] == "(" and text[clause[1]:clause[1] + 1] == ")" and clause[0] >= 2
                and not any(cue.kind in _DECISIVE for cue in self._cues_in(*clause))):  # "(协议60万元)" says its own
            clause = (self.segments.near("clause", clause[0] - 2)[0], self.segments.near("clause", clause[1] + 1)[1])
        elif text[clause[0] - 1:clause[0]] == ":" and clause[0] >= 2 and start - clause[0] <= 2:
            label = self.segments.near("clause", clause[0] - 2)
            if clause[0] - label[0] <= _LABEL_REACH:
                clause = (label[0], clause[1])
        return clause

    def _heading_kind(self, start: int, end: int) -> str | None:
        """The kind a heading opening the message gives the items listed under it, when an item has no verb of its
        own: "协议签订:×县,金额:80万元;×县,金额:60万元" pledges both, "消费帮扶金额:食堂4.5万元;工会12万元" sold both."""
        heading = _OPENING_LABEL_RE.match(self.text)
        if heading is None or start < heading.end():
            return None
        kind = self._money_kind_in((0, heading.end()), start, end, nouns_decide=False)
        return None if kind == _CUE_OUTCOME else kind

    def _pledged_over_years(self, clause: tuple[int, int], sentence_start: int, start: int) -> bool:
        """"签了协议,三年投入1200万元": years to come of an agreement just signed are a pledge, not money put in —
        a span of years opening the figure's clause after a promise (协议 签约 承诺 …), with nothing saying it was paid."""
        if not _YEARS_AHEAD_RE.match(self.text, clause[0]):
            return False
        promise = any(cue.kind == _CUE_PROMISE for cue in self._cues_in(max(sentence_start, clause[0] - _REACH), clause[0]))
        return promise and _DONE_RE.search(self.text, clause[0], start) is None

    def _next_clause_end(self, clause_end: int) -> int:
        """The end of the clause after the one ending at `clause_end`, within its sentence."""
        sentence_end = self.segments.span("sentence", max(0, clause_end - 1))[1]
        if clause_end >= sentence_end:
            return clause_end
        return self.segments.near("clause", clause_end + 1)[1]

    def _money_kind_in(
        self, window: tuple[int, int], start: int, end: int, nouns_decide: bool,
        cues: list[_Cue] | None = None,
    ) -> str | None:
        """Money kind from the cues of one window; _CUE_OUTCOME when the money is not an input.

        None when the window holds no verb (and, unless `nouns_decide`, no say at all).
        """
        if cues is None:
            cues = self._cues_in(*window)
        before = [cue for cue in cues if cue.end <= start]
        after = [cue for cue in cues if cue.start >= end]
        decisive = [cue for cue in reversed(before) if cue.kind in _DECISIVE]
        decisive += [cue for cue in after if cue.kind in _DECISIVE]
        if decisive:
            base = decisive[0].kind
        elif nouns_decide and any(cue.kind == _CUE_WEAK for cue in cues):
            base = _CUE_FUNDS
        else:
            return None
        if base == _CUE_OUTCOME:
            return base
        if base == _CUE_PLANNED or self._is_future(cues, start, end):
            return _COMMITTED
        # Paid before the figure or in its clause; "协议…总额600万元,已累计拨付420万元" paid the second, not the first.
        clause_end = self.segments.span("clause", start)[1]
        paid = any(cue.kind == _CUE_PAID and cue.start < clause_end for cue in cues)
        if base == _CUE_PROMISE:
            return _FUNDS if paid else _COMMITTED
        promised = any(cue.kind == _CUE_PROMISE and not self._acted_since(cue.end, start) for cue in before)
        if promised and not paid:
            return _COMMITTED
        return _SALES if base == _CUE_SALES else _FUNDS

    def _acted_since(self, promise_end: int, start: int) -> bool:
        """Does this period's action stand between a promise and a figure ("去年签订协议后,本月…捐赠图书,
        共计价值9万元")? Then the figure is what was given under it, not what was promised."""
        current = _PERIOD_WORD_RE.search(self.text, promise_end, start)
        return (current is not None and current.lastgroup == "current") or _DONE_RE.search(self.text, promise_end, start) is not None

    def _is_future(self, cues: list[_Cue], start: int, end: int) -> bool:
        """A future marker (计划 拟 明年 …) governs the figure unless 已/paid comes between them, or
        a verb of another clause that the marker did not make a plan ("为做好春耕准备,向结对村捐赠
        化肥种子,价值6万元": 准备 is a noun there)."""
        for cue in cues:
            if cue.kind != _CUE_FUTURE:
                continue
            low, high = (cue.end, start) if cue.end <= start else (end, cue.start)
            marker_clause = self.segments.span("clause", cue.start)
            if not any((other.kind in (_CUE_DONE, _CUE_PAID)
                        or other.kind in (_CUE_FUNDS, _CUE_SALES) and not marker_clause[0] <= other.start < marker_clause[1])
                       and low <= other.start < high
                       for other in cues):
                return True
        return False

    # -- figures ---------------------------------------------------------------------------

    def figures(self) -> list[_Figure]:
        """Every countable figure in reading order; ranges, restatements and distractors left out.

        The kinds a range would have given are noted in `range_kinds` (flag 数字为区间).
        """
        figures: list[_Figure] = []
        for match in _NUMBER_RE.finditer(self.text):
            if self._joins_range(match):
                if figures and figures[-1].end == match.start() - (0 if match.group("sign") else 1):
                    self.range_kinds.add(figures.pop().kind)  # "20万元-30万元": neither end counts
                far_end = self._figure(match)
                if far_end is not None:
                    self.range_kinds.add(far_end.kind)
                continue
            figure = self._figure(match)
            if figure is None:
                continue
            if self._in_plan_section(figure.start):
                if figure.kind in (_PEOPLE, _HOUSEHOLDS):
                    continue  # "下月计划:…培训农户50人": a plan's count reaches no one yet (its projects count, as elsewhere)
                if figure.kind in _MONEY_KINDS:
                    figure = figure._replace(kind=_COMMITTED)  # "下月计划:拨付教育帮扶资金12万元": planned money
            if (self._compares(figure) or _NEGATED_RE.search(self.text, max(0, figure.start - 8), figure.start)
                    or _WRONG_AFTER_RE.match(self.text, figure.end) or self._misreported(figure)
                    or self._reported_before(figure)):
                continue
            if self._decreases(figure):
                figure = figure._replace(value=-abs(figure.value))
            if figures and self._restates(figures[-1], figure):
                continue
            if self._sums_several_kinds(figures, figure):
                continue
            figure = self._total_of_its_kind(figures, figure)
            figures.append(figure)
            if figure.pledged:
                figures.append(figure._replace(kind=_COMMITTED, pledged=False))
        return figures

    def _in_plan_section(self, pos: int) -> bool:
        index = bisect_right(self.plan_sections, (pos, math.inf)) - 1
        return index >= 0 and self.plan_sections[index][0] <= pos < self.plan_sections[index][1]

    def _plan_sections(self) -> list[tuple[int, float]]:
        """[start, end) of the parts of a report under a heading of plans ("下月计划:", "二、下一步工作打算"): from
        the heading to the end of its line when the plan follows on it, else to the next numbered heading
        ("三、") or, under a heading without a number, to a blank line; either way no further than a word of
        what was done (实际, 已完成)."""
        sections: list[tuple[int, float]] = []
        headings = [match.start() for match in _PLAN_HEADING_RE.finditer(self.text)]
        if not headings:
            return sections
        text, length = self.text, len(self.text)
        line_ends = [match.start() for match in _LINE_END_RE.finditer(text)]  # found once: the scan stays linear
        next_headings = [match.start() for match in _NEXT_HEADING_RE.finditer(text)]
        done_marks = [match.start() for match in _DONE_MARK_RE.finditer(text)]

        def first_after(positions: list[int], start: int) -> int:
            index = bisect_left(positions, start)
            return positions[index] if index < len(positions) else length

        blank_lines = [match.start() for match in _BLANK_LINE_RE.finditer(text)]
        for heading in _PLAN_HEADING_RE.finditer(text):
            start = heading.end()
            if sections and start < sections[-1][1]:
                continue
            inline = text[start:start + 1] not in ("\n", "")
            # A numbered heading ("二、下一步工作打算") runs to the next one ("三、"); under one without a number
            # ("下月计划:") lines numbered 一、二、 are its items, and it runs to a blank line.
            numbered = _NEXT_HEADING_RE.match(text, heading.start()) is not None
            below = line_ends if inline else next_headings if numbered else blank_lines
            end = min(first_after(below, start), first_after(done_marks, start))
            if end > start:
                sections.append((start, end))
        return sections

    def _total_of_its_kind(self, figures: list[_Figure], figure: _Figure) -> _Figure:
        """A total with no word of its own saying what money it is ("两项合计43.6万元" after two
        purchases) is of the kind of the money before it, when that is one kind."""
        if figure.kind not in _MONEY_KINDS or not self.is_total(figure) or self.money_kind(figure.start, figure.end) is not None:
            return figure
        kinds = {other.kind for other in figures[-_MAX_NEIGHBOURS:] if other.kind in _MONEY_KINDS}
        return figure._replace(kind=kinds.pop()) if len(kinds) == 1 else figure

    def _reported_before(self, figure: _Figure) -> bool:
        """Was the figure reported in an earlier message ("上半年已报送投入资金40万元", "10月报的…12万元里"), or is it said
        to be counted in a figure above ("价值38万元,已含在上述资金中")? Then it is in the ledger already."""
        clause_start = self.segments.near("clause", figure.start)[0]
        return (_REPORTED_BEFORE_RE.search(self.text, clause_start, figure.start) is not None
                or _REPORTED_AFTER_RE.match(self.text, figure.end) is not None  # "…12万元已在上次报送"
                or _COUNTED_ABOVE_AFTER_RE.match(self.text, figure.end) is not None
                or _HOLDS_AFTER_RE.match(self.text, figure.end) is not None
                and _EARLIER_REPORT_RE.search(self.text, clause_start, figure.start) is not None)

    def _misreported(self, figure: _Figure) -> bool:
        """Is the figure the one its clause says was reported by mistake (误报 写成 …, no number between)?"""
        clause_start = self.segments.near("clause", figure.start)[0]
        wrong = _last_match(_MISREPORTED_RE, self.text, clause_start, figure.start)
        return wrong is not None and _NUMBER_RE.search(self.text, wrong.end(), figure.start) is None

    def _sums_several_kinds(self, figures: list[_Figure], figure: _Figure) -> bool:
        """Is the figure a total (合计 共计 …) of the money of several kinds before it ("捐赠资金10万元;…帮销农产品8万元。
        以上共计23万元")? Each kind is counted where it was given; the total says them again."""
        if figure.kind not in _MONEY_KINDS or not self.is_total(figure):
            return False
        before = [other for other in figures[-_MAX_NEIGHBOURS:] if other.kind in _MONEY_KINDS and other.per is None]
        return (len({other.kind for other in before}) > 1
                and math.isclose(sum(other.value for other in before), figure.value, rel_tol=1e-9))

    def _compares(self, figure: _Figure) -> bool:
        """Is the figure a difference from another period ("较上月增加10万元", "比去年多带动20户"), or
        the other period's figure it is compared with ("比二〇二三年的46万元增加12万元")? It is left
        out: the periods' own figures are what the ledger adds."""
        clause_start = self.segments.near("clause", figure.start)[0]
        return (_COMPARISON_RE.search(self.text, clause_start, figure.start) is not None
                or _COMPARED_WITH_RE.search(self.text, max(clause_start, figure.start - 14), figure.start) is not None)

    def _decreases(self, figure: _Figure) -> bool:
        """Does an adjustment verb (调减 核减 冲减 减少 …) in the figure's clause, before it, make
        it a decrease ("调减投入资金5万元")? Such a figure is negative, so the update waits for a
        reviewer instead of adding what was taken away."""
        clause_start = self.segments.near("clause", figure.start)[0]
        return (_DECREASE_RE.search(self.text, clause_start, figure.start) is not None
                or _REPORTED_TWICE_AFTER_RE.match(self.text, figure.end) is not None
                or _RETURNED_AFTER_RE.match(self.text, figure.end) is not None)  # "3万元已退回我会"

    def _restates(self, previous: _Figure, figure: _Figure) -> bool:
        """Is `figure` the previous amount said again, in capital numerals or in brackets?

        "15万元(大写:壹拾伍万元整)", "伍佰万元整(¥5,000,000.00)", "15万元,大写壹拾伍万元".
        """
        if (previous.kind == figure.kind and previous.kind in _COUNT_KINDS and previous.value == figure.value
                and self.text[previous.end:figure.start] in ("(", "(共", "(即")):
            return True  # "张某一家(1户4口人)": one household, said twice
        if previous.kind not in _MONEY_KINDS or figure.kind not in _MONEY_KINDS:
            return False
        if "大写" in self.text[max(previous.end, figure.start - 4):figure.start]:
            return True
        if ("大写" in self.text[max(0, previous.start - 4):previous.start]
                and math.isclose(previous.value, figure.value, rel_tol=1e-9)):
            return True  # "大写:贰拾万元整。本月拨付帮扶资金20万元": the capitals said it first
        between = self.text[previous.end:figure.start]
        if (math.isclose(previous.value, figure.value, rel_tol=1e-9) and _CONVERTED_BEFORE_RE.search(
                self.text, max(previous.end, figure.start - 8), figure.start)
                and self.segments.span("sentence", previous.start) == self.segments.span("sentence", figure.start)):
            return True  # "捐赠价值10万元的图书5000册,折合人民币10万元": the value said again, as money
        if len(between) > 12 or not _RESTATEMENT_RE.fullmatch(between):
            return False
        return "大写" in between or math.isclose(previous.value, figure.value, rel_tol=1e-9)

    def _joins_range(self, match: re.Match[str]) -> bool:
        """Is this number the far end of a range ("3-5万元", "20至30户")?"""
        text, start = self.text, match.start()
        joiner_pos = start if match.group("sign") else start - 1
        if joiner_pos < 1 or text[joiner_pos] not in _RANGE_JOINERS:
            return False
        before = text[joiner_pos - 1]
        return before.isdigit() or before in _CN_DIGITS or before in _QUANTITY_END_CHARS

    def _figure(self, match: re.Match[str]) -> _Figure | None:
        """The figure a number stands for, or None when it counts nothing we record."""
        text = self.text
        raw = match.group("arabic") or match.group("chinese")
        start = match.start("arabic") if match.group("arabic") else match.start("chinese")
        end = match.end()
        if raw.endswith("点"):
            raw, end = raw[:-1], end - 1
        if self._is_distractor(raw, start, end):
            return None
        value = _number_value(raw)
        if value is None:
            return None
        if match.group("sign"):
            value = -value
        tail = _UNIT_RE.match(text, end)
        unit = tail.group("unit")
        if unit in _SPOKEN_PEOPLE_UNITS:
            unit = "人"
        if tail.group("magnitude"):
            value *= _MAGNITUDE_WORDS[tail.group("magnitude")]
        unit_end = tail.end()
        figure_start = match.start()
        clause_start = self.segments.near("clause", start)[0]
        yuan_sign = text[start - 1:start] == "¥"
        if _FOREIGN_CURRENCY_RE.search(text, max(clause_start, start - 3), start) or _FOREIGN_CURRENCY_RE.match(
                text, tail.end() - len(tail.group("unit") or "")):
            self.foreign_ends.append(unit_end)
            return None  # "港币100万元,折合人民币约91万元": only the yuan count
        if _TARGET_AFTER_RE.match(text, unit_end):
            return None  # "分了8万块的任务": a target given, not money
        if _AFTER_FIGURE_BASE_RE.match(text, unit_end) and _TARGET_RE.search(text, max(0, start - 8), start):
            return None  # "完成年度目标(600万元)的113.9%": the target a share is of, not a figure
        if unit in ("元", None) and self._part_of_foreign(start):
            return None  # "捐款港幣1,000萬元,其中500萬元用於學校": the parts are in that currency too
        if unit is None and not yuan_sign and _AUDIENCE_RE.search(text, max(clause_start, start - 6), start):
            return None  # "观看人数8.6万", "点赞56w": an audience, not money
        if (_TARGET_LABEL_RE.search(text, max(self.segments.span("sentence", start)[0], start - _REACH), start)
                or _TARGET_SAID_RE.search(text, clause_start, start)):
            kind = _PEOPLE if unit in ("人次", "人", "名", "位") else _HOUSEHOLDS if unit == "户" else None
            return self._unreached(kind, start) if kind else None  # "年度目标:带动销售500万元,帮扶300户。"
        if unit in ("元", "人民币") or (unit is None and (yuan_sign or self._bare_wan(raw, tail))):
            return self._money_figure(value, figure_start, start, unit_end, clause_start,
                                      stated=unit is not None or yuan_sign or text.startswith("的", unit_end))
        if unit is None:
            return self._labelled_count(value, figure_start, start, unit_end)
        if raw == "一" and text.startswith("一", unit_end):  # "一户一策"
            return None
        if raw == "一" and unit in ("户", "人") and _RATE_AMOUNT_AFTER_RE.match(text, unit_end):
            return None  # "一户差不多两百块钱": a rate, not one household
        if text.startswith("/", unit_end):  # "2人/户"
            return None
        per_unit = _last_match(_PER_UNIT_COUNT_RE, text, clause_start, start)
        if per_unit is not None and _NUMBER_RE.search(text, per_unit.end(), start) is None:
            return None  # "每户2人" is a rate; "每人资助3000元共计资助大学生25名" counts 25 (每人 is the amount's)
        count_kind = _PEOPLE if unit in ("人次", "人", "名", "位", "例") else _HOUSEHOLDS if unit in ("户", "家庭") else None
        if count_kind is not None and self._part_of_unreached(count_kind, clause_start, start):
            return None  # "共有农户412户,其中脱贫户186户", "志愿者42人(其中主任医师9人)": a part of a count not reached
        labelled_from = self.segments.span("clause", clause_start - 2)[0] if text[clause_start - 1:clause_start] == ":" else clause_start
        if (_DESCRIPTION_RE.search(text, clause_start, start) or _TARGET_RE.search(text, labelled_from, start)
                or self._paid_by_others(clause_start, start)
                or _NOT_REACHED_RE.search(text, clause_start, self.segments.near("clause", start)[1])
                or _LEFT_TO_REACH_RE.search(text, max(clause_start, start - 3), start) and _FUTURE_AFTER_RE.match(text, unit_end)):  # a target may label its clause: "目标:帮扶500户"
            return self._unreached(count_kind, start)
        if _STATISTIC_RE.search(text, clause_start, start) and not _BENEFICIARY_RE.search(
                text, clause_start, self.segments.near("clause", start)[1]):  # "受灾群众4,620人得到救助" is helped
            return self._unreached(count_kind, start)  # "脱贫人口6.2万人": a statistic, not people reached
        if count_kind is not None and self._reached_by_others_only(start):
            return self._unreached(count_kind, start)  # "省级财政下达帮扶资金200万元,惠及脱贫户500户"
        if unit in ("人次", "人", "名", "位", "例"):
            if text[unit_end:unit_end + 1] in ("均", "民", "额", "次", "数") or _DIGITS_AFTER_RE.match(text, unit_end) \
                    or unit == "位" and _RANK_BEFORE_RE.search(text, max(clause_start, start - 4), start):  # "较上季度提升2位"
                return None  # "人均", "身份证号后四位1234": no count of people
            if _AFORESAID_RE.search(text, max(clause_start, start - 3), start):
                self.helper_counts.append(_Figure(_PEOPLE, value, figure_start, unit_end))
                return None  # "为上述86人每人发放": counted where first said; still what a rate multiplies
            if self._is_provider(start, unit_end, clause_start):
                self.helper_counts.append(_Figure(_PEOPLE, value, figure_start, unit_end))
                return self._unreached(_PEOPLE, start)
            if _AUDIENCE_RE.search(text, clause_start, start):
                return self._unreached(_PEOPLE, start)
            return self._reached(_Figure(_PEOPLE, value, figure_start, unit_end))
        if unit == "户" or unit == "家庭":
            if text[unit_end:unit_end + 1] in ("均", "籍", "口", "外", "型", "数"):
                return None
            if _AFORESAID_RE.search(text, max(clause_start, start - 3), start):
                self.helper_counts.append(_Figure(_HOUSEHOLDS, value, figure_start, unit_end))
                return None
            return self._reached(_Figure(_HOUSEHOLDS, value, figure_start, unit_end))
        if unit == "家":
            return self._jia_households(value, figure_start, unit_end, clause_start)
        if unit == "个":
            kind = self._ge_counts(start, unit_end)
            if kind == _PEOPLE and _PROVIDER_BEFORE_GE_RE.search(text, max(clause_start, start - 4), start):
                self.helper_counts.append(_Figure(_PEOPLE, value, figure_start, unit_end))
                return self._unreached(_PEOPLE, start)  # "义工二十个去老人院": helpers
            if kind is not None:
                return _Figure(kind, value, figure_start, unit_end)
        if self._counts_projects(unit, start, unit_end, clause_start):
            return _Figure(_PROJECTS, value, figure_start, unit_end)
        return None

    def _part_of_foreign(self, start: int) -> bool:
        """Is the amount at `start` a part (其中, 分别) of an amount in another currency earlier in its sentence,
        with no word of yuan between?"""
        index = bisect_left(self.foreign_ends, start)
        if index == 0:
            return False
        foreign_end = self.foreign_ends[index - 1]
        if foreign_end < self.segments.span("sentence", start)[0]:
            return False
        between = self.text[foreign_end:start]
        return _SUB_RE.search(between) is not None and _YUAN_NAMED_RE.search(between) is None

    def _labelled_count(self, value: float, figure_start: int, start: int, unit_end: int) -> _Figure | None:
        """A count written after its label in a form-like report: "受益户数:120", "受益人数为480"."""
        label = _COUNT_LABEL_RE.search(self.text, max(0, start - 8), start)
        if label is not None and label.group("bare") and self.text[unit_end:unit_end + 1] not in ("", ";", ",", "。", "、"):
            return None  # a bare label only in a list of them: "项目1:…" names project 1
        if label is not None and _AUDIENCE_RE.search(self.text, max(0, label.start() - 4), label.start()):
            return None  # "观看人次5,800"
        if label is None or unit_end < len(self.text) and not (
                self.text[unit_end] in _ITEM_ENDS or self.text[unit_end] in " 。"):
            return None
        what = label.group("what") or label.group("bare")
        kind = _PROJECTS if what in ("项目数", "项目") else _HOUSEHOLDS if what in ("户数", "户", "受益户") else _PEOPLE
        return _Figure(kind, value, figure_start, unit_end)

    def _money_figure(
        self, value: float, figure_start: int, start: int, unit_end: int, clause_start: int, stated: bool,
    ) -> _Figure | None:
        """The money figure of `value` yuan, or None when it is not money put in, pledged or sold.

        A per-head rate ("每人2000元", "1500元/人") becomes a figure marked `per`, multiplied
        later by the count it goes with; other rates (人均, 每亩) are dropped. An amount with a
        stated unit (元, ¥) and no cue word at all is money put in; a bare "20万" needs a cue.
        """
        text = self.text
        per = None
        head = _last_match(_PER_HEAD_RE, text, clause_start, start)
        measure = _last_match(_PER_MEASURE_RE, text, clause_start, start) or _ONE_EACH_RE.fullmatch(text, clause_start, start)
        average = _last_match(_AVERAGE_GIFT_RE, text, clause_start, start + 1)  # + 1: a bare 人均 sees the digit
        if average is not None and average.group("bare") is not None and not self._given_before(average.start()):
            average = None  # "带动50户,户均3000元": what each earned, perhaps; "资助学生20名,人均5000元" is given
        if head is not None:
            per = _PEOPLE if head.group("people") else _HOUSEHOLDS
        elif measure is not None:
            per = _PER_MEASURE + measure.group("measure")
        elif average is not None:
            per = _PEOPLE if average.group("who") == "人" else _HOUSEHOLDS
        elif (each := self._each(clause_start, start, unit_end)) is not None:
            per = each
        elif (handed := self._valued_item_per_head(clause_start)) is not None:
            per = handed
        elif (unit_price := self._unit_price_measure(clause_start, start)) is not None:
            per = _PER_MEASURE + unit_price
        elif (one_each := _ONE_EACH_AFTER_RE.match(text, unit_end)) is not None:
            per = _PER_MEASURE + one_each.group("measure")
        elif text.startswith("/", unit_end):
            after = text[unit_end + 1:unit_end + 2]
            per = _PER_HEAD_SUFFIX.get(after) or (_PER_MEASURE + after if after and after in _MEASURES else None)
            if per is None:
                return None  # "价值2600元/台的净水设备45台": per 台, as 每台
        times, past = self._recurrences(clause_start, start)
        if per is None and times is None and _PER_UNIT_RE.search(text, clause_start, start):
            return None
        if (per is not None or _PER_UNIT_RE.search(text, clause_start, start)) and self._explains_amount_before(start):
            return None  # "投入资金37.08万元(每生每天9元,按100天计)": how the amount was reckoned
        if self._paid_by_others(clause_start, start) or _PAID_BY_AFTER_RE.match(text, unit_end):
            self.other_payer_starts.append(figure_start)
            return None
        kind = self.money_kind(figure_start, unit_end)
        if kind == _CUE_OUTCOME or (kind is None and not stated):
            return None
        kind = kind or _FUNDS
        if times and kind == _FUNDS and past is not True and self._promised_before(clause_start):
            kind = _COMMITTED  # "签订帮扶协议,协议期三年,每年投入50万元": the years of an agreement, to come
        if times and kind != _COMMITTED and not past:
            # "每人每年5000元,资助4年": the years to come are not yet paid; a per-head rate still counts once.
            if per is None:
                return None
            times = None
        clause_end = self.segments.near("clause", start)[1]
        if kind == _FUNDS and self._remainder(clause_start, start, clause_end):
            kind = _COMMITTED
        if kind == _COMMITTED and self._plan_carried_out(clause_start, unit_end):
            kind = _FUNDS  # "计划投入80万元,现已全部拨付到位", "上月计划拨付的10万元已于本月到位"
        pledged = (kind == _FUNDS and _ALL_PAID_RE.search(text, clause_start, clause_end) is not None
                   and any(cue.kind == _CUE_PROMISE for cue in self._cues_in(clause_start, clause_end)))
        return _Figure(kind, value * (times or 1) / 10_000, figure_start, unit_end, per, pledged)

    def _explains_amount_before(self, start: int) -> bool:
        """Is `start` inside a bracket opened right after an amount ("37.08万元(每生每天9元…)")?"""
        opened = self.text.rfind("(", max(0, start - 20), start)
        return opened > 0 and ")" not in self.text[opened:start] and self.text[opened - 1] == "元"

    def _unit_price_measure(self, clause_start: int, start: int) -> str | None:
        """The measure word of the items a 单价 right before `start` prices ("…救护车2台,单价48万元" → 台): the last
        count of items before its clause, in its sentence."""
        if _UNIT_PRICE_RE.search(self.text, max(clause_start, start - 6), start) is None:
            return None
        sentence_start = self.segments.span("sentence", start)[0]
        counted = _last_match(_ITEMS_COUNTED_RE, self.text, max(sentence_start, clause_start - _REACH), clause_start)
        return None if counted is None else counted.group("measure")

    def _reached_by_others_only(self, start: int) -> bool:
        """Is the only money before `start` in its sentence others' (the state's, the villagers'), with no word of
        the organizations' own (我会, 本单位 …)? Then what it reached is not theirs either."""
        sentence_start = self.segments.span("sentence", start)[0]
        index = bisect_left(self.other_payer_starts, sentence_start)
        if index >= len(self.other_payer_starts) or self.other_payer_starts[index] >= start:
            return False
        clause_start = self.segments.span("clause", self.other_payer_starts[index])[0]
        own_money_before = any(cue.kind in (_CUE_FUNDS, _CUE_PAID)
                               for cue in self._cues_in(max(sentence_start, clause_start - _REACH), clause_start))
        return not own_money_before and not any(
            _REACHED_BEFORE_RE.search(self.text, max(sentence_start, match.start() - 2), match.start()) is None
            for match in _OWN_SUBJECT_RE.finditer(self.text, sentence_start, start))  # "惠及企业12家" names whom it reached

    def _amount_between(self, start: int, end: int) -> bool:
        """Is there a number in [start, end) that is not a date ("已于7月全部到位" has none)?"""
        return any(not _DATE_AFTER_RE.match(self.text, match.end())
                   for match in _NUMBER_RE.finditer(self.text, start, end))

    def _plan_carried_out(self, clause_start: int, unit_end: int) -> bool:
        """Does the rest of the sentence say a planned amount was paid (已 and a verb of arriving, with no amount of
        its own)? Not for a pledge (协议 承诺 …): one paid in full is both (see `pledged`)."""
        sentence_start, sentence_end = self.segments.span("sentence", unit_end)
        end = min(sentence_end, unit_end + _REACH)
        if any(cue.kind == _CUE_PROMISE for cue in self._cues_in(max(sentence_start, unit_end - _REACH), unit_end)):
            return False
        done = _DONE_RE.search(self.text, unit_end, end)
        return (done is not None and not self._amount_between(unit_end, end)
                and any(cue.kind == _CUE_PAID for cue in self._cues_in(done.start(), end)))

    def _promised_before(self, clause_start: int) -> bool:
        """Does a promise (协议 签约 承诺 …) stand in an earlier clause of the sentence?"""
        sentence_start = self.segments.span("sentence", clause_start)[0]
        return any(cue.kind == _CUE_PROMISE for cue in self._cues_in(max(sentence_start, clause_start - _REACH), clause_start))

    def _given_before(self, pos: int) -> bool:
        """Does a verb of giving (资助, 发放, 捐赠 …) stand before `pos` in its sentence?"""
        sentence_start = max(self.segments.span("sentence", pos)[0], pos - _REACH)
        return (any(cue.kind in (_CUE_FUNDS, _CUE_PAID) for cue in self._cues_in(sentence_start, pos))
                or _HANDED_EACH_RE.search(self.text, sentence_start, pos) is not None)

    def _paid_by_others(self, clause_start: int, start: int) -> bool:
        """Does its clause say the figure at `start` is the state's or the villagers' money, or reached by
        it (see _OTHER_PAYER_RE)? Not when the state is whom money went to ("为县财政局困难职工捐款"), nor
        matching funds an organization gives ("我会按1:1比例配套资金10万元")."""
        text = self.text
        item_start = self.segments.near("item", start)[0]
        if item_start > clause_start and _OWN_SUBJECT_RE.search(text, item_start, start):
            return False  # "其中财政衔接资金200万元、我会投入80万元": the list item names its own payer
        for match in _OTHER_PAYER_RE.finditer(text, clause_start, start + 1):  # + 1: "配套18万元" ends at its first digit
            if match.group("state") and _RECIPIENT_BEFORE_RE.search(text, max(clause_start, match.start() - 3), match.start()):
                continue
            if match.group("matching"):
                named_from = max(self.segments.span("sentence", start)[0], match.start() - 12)
                named = _STATE_NAMED_RE.search(text, named_from, match.end())
                if (_OWN_SUBJECT_RE.search(text, clause_start, match.start()) or named is None
                        or _RECIPIENT_BEFORE_RE.search(text, max(clause_start, named.start() - 3), named.start())):
                    continue  # "向县民政局拨付…配套资金25万元": the bureau receives the organization's matching funds
            return True
        return False

    def _remainder(self, clause_start: int, start: int, clause_end: int) -> bool:
        """Is the amount at `start` what is left to pay ("已到位120万元,剩余80万元")? Not when its
        clause says it was paid ("剩余资金已拨付", "投入尾款8万元") or gives it a use ("剩余10万元用于修路")."""
        text = self.text
        return (_REMAINDER_RE.search(text, clause_start, start) is not None
                and _DONE_RE.search(text, clause_start, clause_end) is None
                and _USE_RE.search(text, clause_start, clause_end) is None
                and not any(cue.kind in (_CUE_FUNDS, _CUE_PAID)
                            and _TO_COME_BEFORE_RE.search(text, max(clause_start, cue.start - 4), cue.start) is None
                            for cue in self._cues_in(clause_start, clause_end)))

    def _recurrences(self, clause_start: int, start: int) -> tuple[int | None, bool | str]:
        """How many times an amount paid 每年/每月/每季度 was paid, from a duration in its sentence
        ("承诺每年投入100万元,连续三年" → 3; "每人每月补贴800元,…已发放6个月" → 6), and whether the
        duration is said to be past (已 了 共 累计 before it in its clause); None when the amount recurs
        with no duration said, or does not recur."""
        recurrence = _last_match(_RECURRENCE_RE, self.text, clause_start, start)
        if recurrence is None:
            return None, False
        unit = recurrence.group("unit")
        sentence_start, sentence_end = self.segments.span("sentence", start)
        best = None
        for match in _DURATION_RE.finditer(self.text, max(sentence_start, start - _REACH), min(sentence_end, start + _REACH)):
            fits = match.group("unit") == _DURATION_UNITS[unit] or (match.group("unit"), unit) in _PER_YEAR
            if fits and (best is None or abs(match.start() - start) < abs(best.start() - start)):
                best = match
        if best is None:
            return self._recurrence_span(unit, sentence_start, sentence_end, start)
        count = _number_value(best.group("count"))
        if count and (best.group("unit"), unit) in _PER_YEAR:
            count *= _PER_YEAR[best.group("unit"), unit]  # "每月…3万元,连续两年": 24 months
        if not (count and count == int(count) and 1 <= count <= _MAX_RECURRENCES[unit]):
            return None, False
        duration_clause = self.segments.near("clause", best.start())[0]
        past = (_PAST_DURATION_RE.search(self.text, duration_clause, best.start()) is not None
                or self.text.startswith("来", best.end()))  # "三年来每年投入30万元"
        return int(count), past

    def _recurrence_span(self, unit: str, sentence_start: int, sentence_end: int, start: int) -> tuple[int | None, bool | str]:
        """How many months (or years) a span in the sentence names for an amount paid 每月 (每年): see _SPAN_RE."""
        for match in _SPAN_RE.finditer(self.text, max(sentence_start, start - _REACH), min(sentence_end, start + _REACH)):
            if unit == "月" and match.group("from"):
                count = int(match.group("to")) - int(match.group("from")) + 1
            elif unit == "年" and match.group("yfrom"):
                count = int(match.group("yto")) - int(match.group("yfrom")) + 1
            else:
                continue
            if 1 < count <= _MAX_RECURRENCES[unit]:
                return count, _SPAN
        return None, False

    def _each(self, clause_start: int, start: int, unit_end: int) -> str | None:
        """What an amount given to each is multiplied by: "为3所村小各捐赠2万元", "向两个村分别捐赠
        10万元" (one amount after 分别 in its clause; "分别捐赠10万元和5万元" are two). The count is
        the nearest before 各/分别 in its sentence: its measure word ("3所" → per 所; 人 名 位 →
        people, 户 → households). None when no such word or count."""
        text = self.text
        clause_start = self._outside_brackets(clause_start)
        each = _last_match(_EACH_RE, text, clause_start, start + 1)  # + 1: "各3000元" looks at the figure's digit
        if each is None:
            return None
        clause_end = self.segments.near("clause", start)[1]
        if each.group() == "分别" and (_NUMBER_RE.search(text, unit_end, clause_end)
                                      or any(not _ONE_ITEM_RE.match(text, number.start())  # "分别捐赠一台价值12万元的…"
                                             for number in _NUMBER_RE.finditer(text, each.end(), start))):
            return None
        sentence_start = self.segments.span("sentence", start)[0]
        count = _last_match(_COUNTED_RE, text, max(sentence_start, each.start() - _REACH), each.start())
        if count is None:
            # "向拉觉村、哈甘村分别捐赠15万元": the recipients are named, not counted.
            named = _NAMED_LIST_RE.search(text, max(sentence_start, each.start() - _REACH), each.start())
            return None if named is None else _TIMES + str(len(_LIST_JOINER_RE.findall(named.group())) + 1)
        measure = count.group("measure")
        return _EACH_COUNTS.get(measure) or _PER_MEASURE + measure

    def _valued_item_per_head(self, clause_start: int) -> str | None:
        """The kind of heads a bracketed value is per: "每户发放救灾物资一套(价值800元)" — one item to each
        household, valued in the bracket after it; None otherwise."""
        opener = self.text[clause_start - 1:clause_start]
        if opener != "(" and not (opener == "," and _VALUE_OPENS_RE.match(self.text, clause_start)):
            return None
        if _TOTAL_RE.search(self.text, clause_start, clause_start + 6):
            return None  # "每户50只,价值共3.1万元": the value of them all
        outside = self.segments.near("clause", clause_start - 2)
        if not _ONE_ITEM_BEFORE_RE.search(self.text, outside[0], clause_start - 1):
            return None
        head = _last_match(_PER_HEAD_RE, self.text, outside[0], clause_start - 1)
        return None if head is None else _PEOPLE if head.group("people") else _HOUSEHOLDS

    def _outside_brackets(self, clause_start: int) -> int:
        """Where the clause starting at `clause_start` really starts when it is, or follows, a bracketed note:
        "各捐赠图书角1个（价值8,000元）和体育器材1套（价值12,000元）" — both values are the 各 clause's."""
        text = self.text
        for _step in range(_MAX_NEIGHBOURS):
            if clause_start < 2 or text[clause_start - 1] not in "()":
                break
            clause_start = self.segments.span("clause", clause_start - 2)[0]
        return clause_start

    def _unreached(self, kind: str | None, start: int) -> None:
        """Note a count of people or households that is not of those reached (a population, helpers, a target)."""
        if kind is not None:
            self.last_count[kind] = (start, False)

    def _reached(self, figure: _Figure) -> _Figure:
        self.last_count[figure.kind] = (figure.start, True)
        return figure

    def _part_of_unreached(self, kind: str, clause_start: int, start: int) -> bool:
        """Is the count at `start` a part (其中, 含) of the count of its kind just before it in its sentence, which
        was not of those reached?"""
        last = self.last_count.get(kind)
        if last is None or last[1] or last[0] < self.segments.span("sentence", start)[0]:
            return False
        # The marker opens the part's clause: "其中脱贫户186户", "(其中主任医师9人)" — not "资助其中困难户18户".
        return _SUB_RE.match(self.text, clause_start) is not None or _SUB_RE.match(self.text, clause_start + 1) is not None

    def _jia_households(
        self, value: float, figure_start: int, unit_end: int, clause_start: int,
    ) -> _Figure | None:
        """"困难家庭36家" counts households; "3家企业" does not."""
        text = self.text
        if _ORGANISATION_AFTER_JIA_RE.match(text, unit_end, unit_end + 10):
            return None
        after_ok = unit_end >= len(text) or text[unit_end] in _ITEM_ENDS or text[unit_end] in " 户每"
        context = _HOUSEHOLD_CONTEXT_RE.search(text, clause_start, figure_start) is not None
        if _HOUSEHOLD_CONTEXT_RE.match(text, unit_end) or _HOUSEHOLD_AFTER_JIA_RE.match(text, unit_end) or (after_ok and context):
            return _Figure(_HOUSEHOLDS, value, figure_start, unit_end)
        return None

    def _ge_counts(self, start: int, unit_end: int) -> str | None:
        """People or households counted with 个: "85个学生", "56个困难家庭", "家庭30个"."""
        text = self.text
        if text[max(0, start - 2):start] == "家庭":
            return _HOUSEHOLDS
        if _FAMILY_AFTER_GE_RE.match(text, unit_end, unit_end + 6):
            return _HOUSEHOLDS
        if _PERSON_AFTER_GE_RE.match(text, unit_end, unit_end + 14):
            return _PEOPLE
        return None

    def _is_distractor(self, raw: str, start: int, end: int) -> bool:
        """Ordinals, dotted dates, codes, phone numbers, vague counts ("十几") and numbers in a quoted
        name ("“一元助学”计划", "“百县千村”行动") are not figures."""
        text = self.text
        if _QUOTED_NAME_RE.match(text, end) and _OPENING_QUOTE_RE.search(text, max(0, start - 4), start):
            return True
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if after == "几" and _SOME_AFTER_RE.fullmatch(raw):  # "一百二十几户": 120, as 多 would keep it
            return False
        if before in ("第", "几") or after in ("几", "%", "‰"):
            return True
        if before == "数" and raw[0] in "十百千万":  # 数十万元, 数百人: as vague as 几十, not "at least ten"
            return True
        if (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha()):
            return True
        dotted_after = after == "." and text[end + 1:end + 2].isdigit()
        dotted_before = before == "." and text[start - 2:start - 1].isdigit()
        if dotted_after or dotted_before:  # "2024.3.15"
            return True
        if raw.isdigit() and len(raw) >= 11 and (not after or after not in _QUANTITY_END_CHARS):
            return True  # a phone or account number; "带动3000000000户" is an (absurd) figure
        # a number after 电话/手机 is one, unless a unit follows it ("手机打错了,是12户不是21户")
        return (not after or after not in _QUANTITY_END_CHARS) and _PHONE_RE.search(text, max(0, start - 8), start) is not None

    def _bare_wan(self, raw: str, tail: re.Match[str]) -> bool:
        """Could "到位80万," be money? Yes when the number ends in 万/亿 and no measure word
        follows ("20万斤", "3万亩" are not); money_kind must still find a money word for it."""
        colloquial = _single_digit_tail(raw) and raw[-2] in "万亿"  # "捐了一万二": 12,000 元
        if _single_digit_tail(raw) and raw[-2] in "千仟":  # "两千五的慰问金": 2,500 元, named as money right after
            return _MONEY_NOUN_AFTER_RE.match(self.text, tail.end()) is not None
        if raw[-1] == "千" and not tail.group("magnitude"):
            # "捐了5千", "物资折价6千左右" — but "200千瓦": only where nothing measured follows.
            rest = self.text[tail.end():tail.end() + 2]
            return not rest or rest[0] in _ITEM_ENDS or rest[0] in " 。" or rest.startswith(_AFTER_BARE_THOUSANDS)
        if not (tail.group("magnitude") or raw[-1] in "万亿" or colloquial):
            return False
        rest = self.text[tail.end():tail.end() + 2]
        if rest.startswith("的"):
            return not rest[1:2].isdigit()  # "一万二的米面油": worth that much (米 is rice there, not metres)
        return not rest or _MEASURE_WORD_RE.match(rest) is None

    def _is_provider(self, start: int, unit_end: int, clause_start: int) -> bool:
        """Are these the helpers (志愿者, 专家, 支教教师) rather than the people helped?"""
        text = self.text
        if _BENEFICIARY_RE.search(text, clause_start, start):
            return False
        after = text[unit_end:unit_end + 8]  # "50名大学生志愿者", "30名高校学生志愿者"
        for index, char in enumerate(after):
            if char in _ITEM_ENDS or char in "和及与、":
                after = after[:index]
                break
        # The clause's own words decide; a bare "累计80人次" after the trip's clause is the trip's.
        bare = _BARE_CLAUSE_RE.fullmatch(text, clause_start, start) is not None
        last = self.last_count.get(_PEOPLE)
        if bare and ("共" in text[clause_start:start] or "计" in text[clause_start:start]) and last is not None \
                and not last[1] and last[0] >= self.segments.span("sentence", start)[0]:
            return True  # "医生12名、护士18名、志愿者25名,共55人": the helpers' total
        window_start = self.segments.span("sentence", start)[0] if bare else clause_start
        sent = _last_match(_SENT_RE, text, max(window_start, start - _REACH), start)
        if sent is not None and not _BENEFICIARY_RE.search(text, sent.end(), start):
            return True
        if _TRAINED_AFTER_RE.search(text, unit_end, min(self.segments.near("clause", start)[1], unit_end + 20)):
            return False  # "组织卫生院医生12人到三甲医院进修": they are the ones trained
        before = text[max(self._outside_brackets(clause_start), start - 12):start].replace("(", "")  # "医疗队(共8人)"
        before = before.removesuffix("人数").removesuffix("人次").rstrip(_LEADING_QUALIFIERS)  # a "志愿者人数" column
        before = _TAKING_PART_RE.sub("", before).rstrip(_LEADING_QUALIFIERS)  # "医务志愿者累计参与120人次"
        batches = _BATCH_COUNT_RE.search(before)
        if batches is not None:
            before = before[:batches.start()]
        provider_before = before.removesuffix("成员").endswith(_PROVIDER_WORDS)  # "医疗队成员15人"
        latin = _LATIN_WORD_RE.match(text, unit_end)  # "15名 volunteers"
        provider_after = _PROVIDER_RE.search(after)
        if provider_after is not None and _NEEDY_RE.search(after, 0, provider_after.start()):
            provider_after = None  # "五位老党员", "12名困难职工": those helped
        return (provider_before or provider_after is not None
                or _HELPING_AFTER_RE.match(text, unit_end) is not None  # "群众二十多人也来帮忙"
                or latin is not None and latin.group(1).lower() in _PROVIDER_WORDS)

    def _counts_projects(self, unit: str, start: int, unit_end: int, clause_start: int) -> bool:
        """项目5个, 5个项目, 3个产业帮扶项目, 实施项目3项 — but not 3个村 or 岗位200个."""
        if unit not in ("个", "项", "处"):
            return False
        level = _LEVEL_RE.match(self.text, unit_end)  # "4个村级光伏电站项目": projects at village level
        if unit == "个" and self.text[unit_end:unit_end + 1] in _PLACES_COUNTED and level is None:
            return False  # "项目覆盖3个村": villages
        before = _CORRECTED_TO_RE.sub("", self.text[max(clause_start, start - 14):start])  # "项目应为5个", "项目由3个调整为4个"
        before = before[-8:].rstrip(_LEADING_QUALIFIERS)
        if before.endswith("项目") or _PROJECT_LABEL_RE.search(self.text, max(0, start - 10), start) \
                or _PROJECT_DONE_RE.search(before):  # "饮水工程项目竣工2个"
            return True
        if unit == "处":
            return False
        after = self.text[unit_end:unit_end + 10]
        index = after.find("项目")
        if index < 0:
            return False
        between = after[:index]
        if level is not None:
            between = between[level.end() - unit_end:]
        return not any(char in _ITEM_ENDS or char.isdigit() or char in "村乡镇县所家户人的" for char in between)

    # -- 其中 and totals ---------------------------------------------------------------------

    def sub_figures(self, figures: list[_Figure]) -> set[int]:
        """Indexes of figures that are parts of a figure already given (其中 / 包括 / (含 …)).

        The part-list runs from the marker to the end of its clause and on through following
        clauses of the same sentence while they hold only kinds the marker's clause holds:
        "投入100万元,其中产业60万元,教育40万元,带动120户" keeps 120户.
        """
        subs: set[int] = set()
        starts = [figure.start for figure in figures]
        first_of_kind: dict[str, int] = {}
        for figure in figures:
            first_of_kind.setdefault(figure.kind, figure.start)
        for marker in _SUB_RE.finditer(self.text):
            pos = marker.start()
            given = {kind for kind, first_start in first_of_kind.items() if first_start < pos}
            if not given:
                continue
            first = bisect_left(starts, pos)
            scope_end = self._sub_scope_end(figures, starts, pos, given)
            last = min(bisect_left(starts, scope_end), first + _MAX_PART_FIGURES)
            # "另为其中1个村配了冷藏车1辆,18万元": 其中 names some of those helped; what they got is new money
            of_recipients = self.text[pos - 1:pos] in _RECIPIENT_MARKS
            parts = [index for index in range(first, last)  # a decrease is never a part ("…,核减医疗部分2万元")
                     if (figures[index].kind in given or self._part_kind(figures[index], given) in given)
                     and figures[index].value >= 0 and not (of_recipients and figures[index].kind in _MONEY_KINDS)]
            if parts and marker.group().startswith("中") and _RECEIVED_HELP_RE.search(
                    self.text, pos, self.segments.near("clause", figures[parts[0]].start)[1]):
                # "受灾农户380户中有210户得到救助": the whole is who was hit; those helped are the part
                whole = self._whole_before(figures, first, figures[parts[0]].kind)
                if whole is not None:
                    subs.add(whole)
                continue
            others = bisect_left(self.other_payer_starts, pos)
            sentence_end = self.segments.span("sentence", pos)[1]
            if parts and others < len(self.other_payer_starts) and self.other_payer_starts[others] < max(scope_end, sentence_end):
                # "共投入资金48万元,其中我会出资30万元,县财政配套18万元": the whole holds the state's money, so the
                # organizations' own parts count instead of it.
                whole = self._whole_before(figures, first, figures[parts[0]].kind)
                if whole is not None:
                    subs.add(whole)
                continue
            subs.update(parts)
            subs.update(self._parts_adding_up(figures, first, given))
        for heading in _DETAILS_HEADING_RE.finditer(self.text):  # "一、基本情况…投入资金236万元 二、具体工作 (一)…158万元…"
            first = bisect_left(starts, heading.start())
            given = {figure.kind for figure in figures[max(0, first - _MAX_PARTS_ADDING_UP):first]}
            subs.update(self._parts_adding_up(figures, first, given))
        return subs

    @staticmethod
    def _whole_before(figures: list[_Figure], first: int, kind: str) -> int | None:
        """The index of the last figure of `kind` before figures[first], among the few before it."""
        return next((index for index in range(first - 1, max(-1, first - 1 - _MAX_PARTS_ADDING_UP), -1)
                     if figures[index].kind == kind), None)

    def _parts_adding_up(self, figures: list[_Figure], first: int, given: set[str]) -> set[int]:
        """After 其中 at figures[first], the figures of a kind given before it that add up exactly to the last
        of that kind before it are its parts, however many clauses and other kinds stand between
        ("共投入88万元,项目4个,受益2,300人;其中:…项目2个,投入36万元,服务1,500人;…项目2个,投入52万元,服务800人")."""
        found: set[int] = set()
        if first >= len(figures):
            return found
        end = min(len(figures), first + _MAX_PARTS_ADDING_UP)
        for kind in given:
            whole_index = self._whole_before(figures, first, kind)
            whole = None if whole_index is None else figures[whole_index]
            if whole is None or whole.value <= 0 or figures[first].start - whole.end > _REACH * 4:
                continue
            total, parts = 0.0, []
            for index in range(first, end):
                figure = figures[index]
                if figure.kind != kind or figure.start - whole.end > _REACH * 4:
                    continue
                if figure.value < 0:
                    break
                total += figure.value
                parts.append(index)
                if len(parts) >= 2 and math.isclose(total, whole.value, rel_tol=1e-9, abs_tol=1e-9):
                    found.update(parts)
                    break
                if total > whole.value:
                    break
        return found

    def _part_kind(self, figure: _Figure, given: set[str] | frozenset[str] = frozenset()) -> str:
        """_part_kind_of, worked out once per figure and kinds given: a text of many 其中 asks again for the
        figures each list samples."""
        key = (figure.start, figure.end, figure.kind, frozenset(given))
        kind = self._part_kinds.get(key)
        if kind is None:
            kind = self._part_kinds[key] = self._part_kind_of(figure, given)
        return kind

    def _part_kind_of(self, figure: _Figure, given: set[str] | frozenset[str]) -> str:
        """A part's kind for a breakdown: money bought with 购买 … is read with sales ("其中单位采购6.2万元,
        个人购买2.7万元"), and money with no verb of its own is of the one kind of money given before it
        ("本月帮销40万元。其中:茶叶18万元、竹笋12万元")."""
        if figure.kind == _SALES and self._field_named_part(figure):
            money_given = {kind for kind in given if kind in _MONEY_KINDS}
            return next(iter(money_given)) if len(money_given) == 1 else figure.kind
        if figure.kind != _FUNDS:
            return figure.kind
        if self._bought(figure):
            return _SALES
        money_given = {kind for kind in given if kind in _MONEY_KINDS}
        clause_start = self.segments.near("clause", figure.start)[0]
        if len(money_given) == 1 and not any(cue.kind in _DECISIVE for cue in self._cues_in(clause_start, figure.start)):
            return next(iter(money_given))
        return figure.kind

    def _field_named_part(self, figure: _Figure) -> bool:
        """Is a part's only sales word the field it is for, as a label ("其中就业帮扶80万元,…,消费帮扶70万元" shares
        out a plan), in a list of parts with no verb of their own?"""
        clause = self.segments.near("clause", figure.start)
        cues = [cue for cue in self._cues_in(*clause) if cue.kind in _DECISIVE]
        return bool(cues) and all(self.text[cue.start:cue.end] in _SALES_FIELD_LABELS for cue in cues)

    def _bought(self, figure: _Figure) -> bool:
        """Does a buying word (购买 采购 买 …) stand in the figure's clause ("个人购买2.7万元", a part of a
        consumption-assistance sum)?"""
        clause = self.segments.near("clause", figure.start)
        return any(_MONEY_CUES.get(self.text[cue.start:cue.end]) in (_CUE_PURCHASE, _CUE_BUY) for cue in self._cues_in(*clause))

    def allocated_shares(self, figures: list[_Figure], subs: set[int]) -> set[int]:
        """Indexes of money figures that share out an amount given before them, without 其中:
        "投入资金20万元,10万元用于修路,10万元用于助学", "投入资金20万元,用于修路10万元,助学10万元" and
        "投入资金20万元。20万元用于修路" are 20 万元.

        A share is an amount given a use — followed by 用于/用来 …, or after 用于 … in its clause, or
        right after a share in its sentence with no word of its own — with no other money verb before
        it in its clause and nothing saying it is new (另 又 追加 …). Its whole is the latest amount of
        its kind before it that was not itself given a use ("投入5万元用于修路,3万元用于助学" is 8), and
        shares are parts only while they fit in what is left of it; one that does not fit counts."""
        shares: set[int] = set()
        left: dict[str, float] = {}  # what is not yet shared out of the latest whole, by kind
        for index, figure in enumerate(figures):
            if figure.kind not in _MONEY_KINDS or index in subs or figure.per is not None:
                continue
            clause_start = self.segments.near("clause", figure.start)[0]
            verbs = [cue for cue in self._cues_in(clause_start, figure.start) if cue.kind in _DECISIVE]
            previous = figures[index - 1] if index else None
            after_share = (previous is not None and index - 1 in shares
                           and self.segments.span("sentence", previous.start) == self.segments.span("sentence", figure.start))
            use_before = _USE_RE.search(self.text, clause_start, figure.start) is not None
            if after_share or use_before:
                # "用于建设大棚25万元,购买种苗15万元", "用于购买化肥5万元": buying is what the share is used for.
                verbs = [cue for cue in verbs if _MONEY_CUES.get(self.text[cue.start:cue.end]) not in _SPENDING_CUES]
            own_verb = any(self.text[cue.start:cue.end] != "用于" for cue in verbs)
            use_after = _ALLOCATION_RE.match(self.text, figure.end) is not None
            continues = not verbs and not use_before and after_share
            if own_verb or not (use_before or use_after or continues):
                if not (use_before or use_after):
                    left[figure.kind] = figure.value  # a new whole
                continue
            whole = left.get(figure.kind)
            if whole is None or figure.value > whole + 1e-9 or _NEW_MONEY_RE.search(self.text, clause_start, figure.start):
                continue
            shares.add(index)
            left[figure.kind] = whole - figure.value
        return shares

    def paid_parts(
        self, figures: list[_Figure], subs: set[int], apart: set[int],
    ) -> tuple[list[_Figure], set[int]]:
        """Read an amount followed by the part of it that has arrived ("落实帮扶资金20万元,已到位15万元"):
        money put in is what arrived (15), the whole is what was arranged (committed 20); an arrival
        equal to its whole says it again ("投入20万元,已全部到位20万元" is 20).

        An arrival is money put in whose clause says it was paid (到位 到账 已拨付 …) with no spending
        verb of its own (投入 捐赠 …) and nothing saying it is new (另 又 追加 …). Its whole is the
        latest amount before it in its sentence, put in or promised, not smaller. Figures `apart`
        (running totals, earlier periods) are neither. Returns the figures (wholes made committed)
        and the parts (subs): an arrival after 其中 counts, a restated one does not."""
        figures = list(figures)
        subs = set(subs)
        if not any(cue.kind == _CUE_PAID for cue in self.cues):
            return figures, subs
        for index, figure in enumerate(figures):
            if figure.kind != _FUNDS or figure.per is not None or index in apart:
                continue
            clause_start, clause_end = self.segments.near("clause", figure.start)
            cues = self._cues_in(clause_start, clause_end)
            if (not any(self._says_arrived(cue, clause_start) for cue in cues)
                    or any(cue.kind == _CUE_FUNDS and not _USE_RE.fullmatch(self.text, cue.start, cue.end)
                           for cue in cues)
                    or _NEW_MONEY_RE.search(self.text, clause_start, figure.start)):
                continue
            whole_index = self._arranged_whole(figures, index, apart)
            if whole_index is None:
                continue
            whole = figures[whole_index]
            if whole.kind == _FUNDS and math.isclose(whole.value, figure.value, rel_tol=1e-9):
                subs.add(index)
            elif whole.kind == _FUNDS:
                figures[whole_index] = whole._replace(kind=_COMMITTED, arranged=True)
                subs.discard(index)
            else:
                subs.discard(index)
        return figures, subs

    def _says_arrived(self, cue: _Cue, clause_start: int) -> bool:
        """Does this cue say money arrived (到位 到账 兑现), or was paid with 已 before it in its
        clause ("已拨付", "已于10月拨付")? A bare 拨付 is a payment of its own ("为卫生院拨付10万元")."""
        if cue.kind != _CUE_PAID:
            return False
        word = self.text[cue.start:cue.end]
        return (word.endswith(_ARRIVAL_WORDS) or word[0] in "已实" or _DONE_RE.search(self.text, clause_start, cue.start) is not None
                or _TRANCHE_RE.search(self.text, max(clause_start, cue.start - 4), cue.start) is not None)

    def _arranged_whole(self, figures: list[_Figure], index: int, apart: set[int]) -> int | None:
        """The index of the amount an arrival at `index` is part of (see paid_parts), or None."""
        figure = figures[index]
        sentence_start = self.segments.span("sentence", figure.start)[0]
        clause_start = self.segments.span("clause", figure.start)[0]
        for earlier in range(index - 1, max(-1, index - 1 - _MAX_NEIGHBOURS), -1):
            whole = figures[earlier]
            if whole.start < sentence_start:
                return None
            if whole.kind not in (_FUNDS, _COMMITTED) or whole.per is not None:
                continue
            if earlier in apart or whole.start >= clause_start or whole.value < figure.value - 1e-9:
                return None
            whole_clause = self.segments.near("clause", whole.start)
            if whole.kind == _FUNDS and any(self._says_arrived(cue, whole_clause[0]) for cue in self._cues_in(*whole_clause)):
                return None  # itself an arrival: "已到位50万元,已到位10万元" are two
            return earlier
        return None

    def project_totals(self, figures: list[_Figure], subs: set[int]) -> set[int]:
        """Parts (subs) after reading a project's total investment beside what was given to it:
        "项目总投资500万元,我方出资200万元" is 200 put in. A total after 总投资/总造价/总规模/总预算 is
        the project's size; when money put in with a verb of its own follows in its sentence and
        fits in it, those contributions count (even after 其中) and the total does not. A total
        with no such contribution ("总投资500万元,其中产业300万元") stays what was put in."""
        subs = set(subs)
        if _PROJECT_SIZE_RE.search(self.text) is None:
            return subs
        for index, figure in enumerate(figures):
            if figure.kind not in (_FUNDS, _COMMITTED) or index in subs:
                continue
            clause_start, clause_end = self.segments.near("clause", figure.start)
            if figure.kind == _COMMITTED and any(cue.kind == _CUE_PROMISE for cue in self._cues_in(clause_start, clause_end)):
                continue  # a pledge, not a budget
            if _PROJECT_SIZE_RE.search(self.text, clause_start, figure.start) is None:
                continue
            sentence_end = self.segments.span("sentence", figure.start)[1]
            given = []
            for later in range(index + 1, min(len(figures), index + 1 + _MAX_NEIGHBOURS)):
                part = figures[later]
                if part.start >= sentence_end:
                    break
                # a planned project's share planned too: "预算300万元,我会拟出资100万元"
                if part.per is None and (part.kind == _FUNDS and self._has_own_verb(part)
                                         or part.kind == figure.kind == _COMMITTED and self._has_own_verb(part, planned=True)):
                    given.append(later)
            if given and sum(figures[later].value for later in given) <= figure.value + 1e-9:
                subs.add(index)
                subs.difference_update(given)
        return subs

    def _has_own_verb(self, figure: _Figure, planned: bool = False) -> bool:
        """Does a verb of putting money in (出资 捐赠 拨付 …; with `planned`, 拟出资 too) stand in the figure's clause?"""
        clause = self.segments.near("clause", figure.start)
        kinds = (_CUE_FUNDS, _CUE_PAID, _CUE_PLANNED) if planned else (_CUE_FUNDS, _CUE_PAID)
        return any(cue.kind in kinds for cue in self._cues_in(*clause))

    def pledged_parts(self, figures: list[_Figure], subs: set[int]) -> set[int]:
        """Indexes of planned amounts that are the rest of a pledge given before them:
        "协议金额200万元,已到位120万元,剩余80万元年底前到位" promises 200, not 280, and so does
        "承诺捐赠200万元,计划明年拨付80万元".

        A pledge is committed money with a promise (协议 承诺 签约 …) in its clause, or before it in
        its sentence when it is the sentence's first ("与县政府签约,三年投入1200万元"), or an amount
        part of which arrived (see paid_parts); a later committed amount without a promise, with
        nothing saying it is new (另 又 追加 …), is part of the latest pledge while the parts fit in it."""
        parts: set[int] = set()
        left: float | None = None  # what is not yet planned of the latest pledge
        pledge_sentence = -1  # where the sentence of the latest pledge starts
        for index, figure in enumerate(figures):
            if figure.kind != _COMMITTED or index in subs:
                continue
            clause_start, clause_end = self.segments.near("clause", figure.start)
            sentence_start = self.segments.span("sentence", figure.start)[0]
            promised_before = (sentence_start != pledge_sentence and any(
                cue.kind == _CUE_PROMISE for cue in self._cues_in(max(sentence_start, figure.start - _REACH), figure.start)))
            if figure.arranged or promised_before or any(
                    cue.kind == _CUE_PROMISE for cue in self._cues_in(clause_start, clause_end)):
                left, pledge_sentence = figure.value, sentence_start
                continue
            if (left is None or figure.value > left + 1e-9
                    or _NEW_PLEDGE_RE.search(self.text, clause_start, figure.start)):
                continue
            parts.add(index)
            left -= figure.value
        return parts

    def earlier_periods(self, figures: list[_Figure], apart: set[int]) -> set[int]:
        """Indexes of figures of an earlier period (上月 去年 …) beside a figure of the same kind for
        this one (本月 今年 …): "本月投入资金30万元,上月到位10万元" is 30 — last month's was reported
        last month. A figure of an earlier period alone counts (a late report), and so does a
        decrease (a correction of it, "调减上月多报的5万元"). The period is the last period word
        before the figure in its sentence. Figures `apart` (parts, running totals) are neither."""
        if _PERIOD_WORD_RE.search(self.text) is None:
            return set()
        periods: list[str | None] = []
        ordinals: list[int | None] = []  # the year, quarter or month named
        for index, figure in enumerate(figures):
            word = None
            if index not in apart:
                sentence_start = self.segments.span("sentence", figure.start)[0]
                word = _last_match(_PERIOD_WORD_RE, self.text, max(sentence_start, figure.start - _REACH), figure.start)
                if word is not None and word.lastgroup == "earlier" and _ARRIVED_NOW_RE.match(self.text, figure.end):
                    word = None  # "上月计划拨付的10万元已于本月到位": it arrived in this period
            periods.append(None if word is None else word.lastgroup)
            ordinals.append(None if word is None else _period_ordinal(word))
        # This period's figures: said so (本月 今年 …), or of a named quarter or month ("三季度投入30万元,
        # 上季度投入20万元" is 30).
        current = {figure.kind for index, figure in enumerate(figures) if periods[index] in ("current", "quarter", "month")}
        latest: dict[tuple[str, str], int] = {}
        for index, ordinal in enumerate(ordinals):
            if ordinal is not None:
                key = (figures[index].kind, periods[index])
                latest[key] = max(ordinal, latest.get(key, ordinal))  # type: ignore[index]
        earlier = set()
        for index, figure in enumerate(figures):
            period, ordinal = periods[index], ordinals[index]
            if figure.value <= 0 or period is None:
                continue
            if period == "earlier" and figure.kind in current:
                earlier.add(index)
            elif period == "year" and ordinal is not None and ordinal < latest[(figure.kind, period)]:
                earlier.add(index)  # 2023年 beside 2024年 (months and quarters listed in a report all count)
            elif period == "year" and (figure.kind in current or self._bracketed_beside(figures, index)):
                earlier.add(index)
        return earlier

    def _bracketed_beside(self, figures: list[_Figure], index: int) -> bool:
        """Is the figure in brackets right after another of its kind ("投入资金150万元(2023年为110万元)")?"""
        figure = figures[index]
        if index == 0 or figures[index - 1].kind != figure.kind:
            return False
        between = self.text[figures[index - 1].end:figure.start]
        return between.startswith("(") and ")" not in between

    def replaced(self, figures: list[_Figure]) -> set[int]:
        """Indexes of amounts replaced by a later one of the same kind in their sentence:
        "将协议投资额由200万元调整为260万元" and "原协议200万元,现调整为260万元" promise 260, and
        "“帮扶50户”应为“帮扶45户”" reaches 45; a plan followed by what was actually put in
        ("计划投入80万元,实际投入92万元") is carried out, not still promised."""
        found: set[int] = set()
        if (_NEW_VALUE_RE.search(self.text) is None and _CORRECTION_RE.search(self.text) is None
                and _ACTUAL_RE.search(self.text) is None):
            return found
        for index, figure in enumerate(figures):
            clause_start = self.segments.near("clause", figure.start)[0]
            old = _OLD_VALUE_RE.search(self.text, max(clause_start, figure.start - 8), figure.start) is not None
            sentence_end = self.segments.span("sentence", figure.start)[1]
            for later in figures[index + 1:index + 1 + _MAX_NEIGHBOURS]:
                if later.start >= figure.end + _REACH:
                    break
                corrected_after = later.start >= sentence_end and _EXPLICIT_CORRECTION_RE.search(self.text, figure.end, later.start)
                same_kind = later.kind == figure.kind
                planned_then_paid = figure.kind == _COMMITTED and later.kind == _FUNDS  # "原计划投入30万元,调整为投入22万元,已全部拨付"
                if (later.start < sentence_end or corrected_after) and (
                        (same_kind or planned_then_paid) and old and _NEW_VALUE_RE.search(self.text, figure.end, later.start)
                        or same_kind and _CORRECTION_RE.search(self.text, figure.end, later.start)):
                    found.add(index)
                    break
                if (figure.kind == _COMMITTED and later.kind in (_FUNDS, _SALES)  # "计划帮销80万元,实际帮销92.5万元"
                        and _ACTUAL_RE.search(self.text, figure.end, later.start)
                        and not any(cue.kind == _CUE_PROMISE for cue in self._cues_in(clause_start, figure.start))):
                    found.add(index)  # "计划投入80万元,实际投入92万元": the plan was carried out
                    break
        return found

    def summarised(self, figures: list[_Figure]) -> set[int]:
        """Indexes of the figures of a summary sentence (小结: 综上 …) that restate what the message said before
        it: each equals the sum of the figures of its kind before the summary ("本月:捐赠资金10万元;培训45人。
        小结:本月投入10万元,培训45人")."""
        found: set[int] = set()
        if len(figures) > _MAX_SUMMARY_FIGURES or _SUMMARY_LABEL_RE.search(self.text) is None:
            return found
        starts = [figure.start for figure in figures]
        sums: list[dict[str, float]] = [{}]  # sums[i]: the figures before index i, by kind
        for figure in figures:
            running = dict(sums[-1])
            running[figure.kind] = running.get(figure.kind, 0.0) + figure.value
            sums.append(running)
        for label in _SUMMARY_LABEL_RE.finditer(self.text):
            first = bisect_left(starts, label.end())
            before = sums[bisect_left(starts, label.start())]
            sentence_end = self.segments.span("sentence", label.end())[1]
            for index in range(first, min(bisect_left(starts, sentence_end), first + _MAX_NEIGHBOURS)):
                figure = figures[index]
                if math.isclose(before.get(figure.kind, math.nan), figure.value, rel_tol=1e-9):
                    found.add(index)
        return found

    def counts_per_unit(self, figures: list[_Figure]) -> list[_Figure]:
        """People and households counted per session or place, times how many there were: "开办了5期培训班,每期30人"
        is 150, "3个村各20户" 60, "来自3个村的留守儿童各15名" 45 (the count of sessions or places before it in its sentence)."""
        out = []
        for figure in figures:
            if figure.kind in (_PEOPLE, _HOUSEHOLDS):
                times = self._units_counted(figure.start)
                if times is not None:
                    figure = figure._replace(value=figure.value * times)
            out.append(figure)
        return out

    def _units_counted(self, start: int) -> float | None:
        """How many sessions or places a count at `start` is given for (每期/每村 … or 各 right before it), or None."""
        clause_start = self.segments.near("clause", start)[0]
        if _EACH_BEFORE_COUNT_RE.search(self.text, max(clause_start, start - 5), start):  # "3个村各(扶持)20户"
            sentence_start = max(self.segments.span("sentence", start)[0], start - _REACH)
            units = _last_match(_UNITS_COUNT_RE, self.text, sentence_start, start)
            return None if units is None else _number_value(units.group("number"))
        per = _last_match(_PER_UNIT_OF_COUNT_RE, self.text, clause_start, start)
        if per is None or _NUMBER_RE.search(self.text, per.end(), start) is not None:
            return None
        found = self._measure_match(per.group("measure"), start)
        if found is None or found[0] > start:
            return None
        sentence_start = max(self.segments.span("sentence", start)[0], start - _REACH)
        if _EACH_BEFORE_COUNT_RE.search(self.text, max(sentence_start, found[0] - 5), found[0]):
            # "在5个乡镇各举办一场健康讲座,每场约80人": the sessions were held in each place
            places = _last_match(_UNITS_COUNT_RE, self.text, sentence_start, found[0])
            if places is not None and (number := _number_value(places.group("number"))):
                return found[1] * number
        return found[1]

    def planned_beside_done(self, figures: list[_Figure]) -> set[int]:
        """Indexes of counts still planned (计划 预计 拟 争取 … before them in their clause, nothing saying it
        happened) beside a count of the same kind in their sentence that is done: "计划培训200人,实际培训214人"
        and "已接种3,260人,计划年底前完成5,000人" reach 214 and 3,260. A planned count alone still counts."""
        planned = {index for index, figure in enumerate(figures)
                   if figure.kind in (_PEOPLE, _HOUSEHOLDS) and self._planned(figure)}
        found: set[int] = set()
        for index in planned:
            figure = figures[index]
            sentence = self.segments.span("sentence", figure.start)
            if any(other.kind == figure.kind and sentence[0] <= other.start < sentence[1] and n not in planned
                   for n, other in enumerate(figures[max(0, index - _MAX_NEIGHBOURS):index + _MAX_NEIGHBOURS],
                                            start=max(0, index - _MAX_NEIGHBOURS))):
                found.add(index)
        return found

    def _planned(self, figure: _Figure) -> bool:
        """Does a word of planning stand before the figure in its clause, with no 已/了/实际 after it?"""
        clause_start = self.segments.near("clause", figure.start)[0]
        ahead = [cue for cue in self._cues_in(clause_start, figure.start)
                 if cue.kind in (_CUE_FUTURE, _CUE_PLANNED, _CUE_PROMISE)]  # "协议约定帮扶300户,本月已帮扶126户"
        plan = _PLAN_MARKER_RE.search(self.text, clause_start, figure.start)
        start = max([cue.end for cue in ahead] + ([plan.end()] if plan else []), default=None)
        return start is not None and _DONE_RE.search(self.text, start, figure.start) is None

    def said_again(self, figures: list[_Figure]) -> set[int]:
        """Indexes of figures that point back at one said before ("这85户", "参训的42名村医", "上面说的5.6万元"):
        the same kind and value earlier in the text, so counted once, where it was first said."""
        found: set[int] = set()
        chat = _is_chat_log(self.text)
        for index, figure in enumerate(figures):
            if index == 0:
                continue
            if chat and self._said_on_an_earlier_line(figures, index):
                found.add(index)
                continue
            if _POINTS_BACK_RE.search(self.text, max(0, figure.start - 6), figure.start) is None:
                continue
            if any(earlier.kind == figure.kind and math.isclose(earlier.value, figure.value, rel_tol=1e-9)
                   for earlier in figures[max(0, index - _MAX_NEIGHBOURS):index]):
                found.add(index)
        return found

    def _said_on_an_earlier_line(self, figures: list[_Figure], index: int) -> bool:
        """In a chat log: is a figure of the same kind and value on an earlier line (a confirmation, a quote,
        a line sent twice)?"""
        figure = figures[index]
        line_start = self.text.rfind("\n", 0, figure.start)
        return any(earlier.kind == figure.kind and earlier.start < line_start
                   and math.isclose(earlier.value, figure.value, rel_tol=1e-9)
                   for earlier in figures[max(0, index - _MAX_NEIGHBOURS):index])

    def placed_trainees(self, figures: list[_Figure]) -> set[int]:
        """Indexes of people counts that are an outcome of a training counted just before in the
        same sentence: "培训妇女86人,已推荐上岗43人" reaches 86 people, not 129; so are those a screening
        found among the people it screened ("筛查妇女1,650人,发现疑似病例12人")."""
        found = set()
        for index in range(1, len(figures)):
            figure, previous = figures[index], figures[index - 1]
            if figure.kind != _PEOPLE or previous.kind != _PEOPLE or previous.value < figure.value:
                continue
            if self.segments.span("sentence", figure.start) != self.segments.span("sentence", previous.start):
                continue
            clause = self.segments.near("clause", figure.start)
            previous_clause = self.segments.near("clause", previous.start)
            trained_from = max(self.segments.span("sentence", previous.start)[0], min(previous_clause[0], previous.start - _TRAINING_REACH))
            if (_PLACED_RE.search(self.text, clause[0], clause[1])  # "已推荐上岗43人", "有30多个人已经找到活干了"
                    and _TRAINED_RE.search(self.text, trained_from, previous.start)):
                found.add(index)
            elif (_FOUND_AMONG_RE.search(self.text, clause[0], figure.start)
                    and _SCREENED_RE.search(self.text, previous_clause[0], previous.start)):
                found.add(index)
        return found

    def _sub_scope_end(self, figures: list[_Figure], starts: list[int], pos: int, given: set[str]) -> int:
        """Where the part-list opened at `pos` ends (see sub_figures). "其中:" with the parts in
        the clauses after the colon opens the list there."""
        clause_end = self.segments.near("clause", pos)[1]
        if self.text[pos - 1:pos] == "(" and self.text[clause_end:clause_end + 1] == ")":
            return clause_end  # "第一期38人(含女性20人),第二期42人(含女性25人)": the bracket holds the parts
        sentence_end = self.segments.span("sentence", pos)[1]
        inside = range(bisect_left(starts, pos), min(bisect_left(starts, clause_end), bisect_left(starts, pos) + _KINDS_SAMPLED))
        listed = {self._part_kind(figures[i], given) for i in inside}
        for _ in range(_MAX_PART_CLAUSES):
            if clause_end >= self.segments.length:
                break
            next_end = self.segments.near("clause", clause_end + 1)[1]
            if not self.text[clause_end + 1:next_end].strip():
                clause_end = next_end  # "其中:" and a line break before the parts
                continue
            low = bisect_left(starts, clause_end)
            inside = range(low, min(bisect_left(starts, next_end), low + _KINDS_SAMPLED))
            kinds = {self._part_kind(figures[i], given) for i in inside}
            if not kinds and next_end < sentence_end:
                # "其中羽绒服1,500件(价值22.5万元)、棉被500床(…)", "其中拖拉机10台,每台3万元,旋耕机40台,每台5000元":
                # an item whose value follows.
                clause_end = next_end
                continue
            if not kinds or listed and not kinds <= listed:
                break
            if clause_end >= sentence_end and not self._bare_part(clause_end + 1, next_end):
                break  # past its sentence a list goes on only with bare parts ("…;教育20万元;医疗10万元")
            listed = listed or kinds
            sentence_end = max(sentence_end, self.segments.span("sentence", clause_end + 1)[1])
            clause_end = next_end
        return clause_end

    def _bare_part(self, start: int, end: int) -> bool:
        """Is text[start:end] a part with no verb of its own and nothing saying it is new ("教育20万元")?"""
        return (not any(cue.kind in _DECISIVE for cue in self._cues_in(start, end))
                and _NEW_MONEY_RE.search(self.text, start, end) is None)

    # -- per-head rates and running totals -----------------------------------------------------

    def multiply_per_head(self, figures: list[_Figure], subs: set[int]) -> tuple[list[_Figure], set[int]]:
        """Multiply each per-head rate by the nearest count of its kind in the same sentence
        ("15名学生,每人2000元" → 3 万元), helpers' head counts too ("干部42人…人均采购500元"); a rate
        with no such count is dropped. Returns the figures and the indexes of the parts (subs) among them."""
        counts: dict[str, list[_Figure]] = {_PEOPLE: [], _HOUSEHOLDS: []}
        for index, figure in enumerate(figures):
            if figure.kind in counts and index not in subs:
                counts[figure.kind].append(figure)
        for kind in counts:
            extra = [figure for figure in self.helper_counts if figure.kind == kind]
            if extra:
                counts[kind] = sorted(counts[kind] + extra, key=lambda figure: figure.start)
        starts = {kind: [figure.start for figure in found] for kind, found in counts.items()}
        all_counts = {kind: [figure for figure in figures if figure.kind == kind] for kind in counts}
        all_starts_of = {kind: [figure.start for figure in found] for kind, found in all_counts.items()}
        all_starts = [figure.start for figure in figures]
        self.rate_starts = [figure.start for figure in figures if figure.per is not None]
        result: list[_Figure] = []
        result_subs: set[int] = set()
        for index, figure in enumerate(figures):
            if figure.per is not None:
                if figure.per.startswith(_TIMES):
                    count = float(figure.per[len(_TIMES):])
                elif figure.per.startswith(_PER_MEASURE):
                    measure = figure.per[len(_PER_MEASURE):]
                    count = self._measure_count(measure, figure.start)
                    head = self._handed_to_each(measure, figure.start) if count is not None else None
                    if count is not None and figure.kind == _FUNDS and self._counts_planned_items(measure, figure.start):
                        figure = figure._replace(kind=_COMMITTED)  # "计划实施项目4个,每个项目投入15万元"
                    if head is not None:  # "每人送去棉被一床,每床价值260元": one for each of them
                        found = self._nearest_in_sentence(counts[head], starts[head], figure.start)
                        count = count * found.value if found is not None else count
                else:
                    # "走访150户,为其中60户每户发放500元": a count in the rate's own clause first, a part (其中) too.
                    found = (self._in_own_clause(all_counts[figure.per], all_starts_of[figure.per], figure.start)
                             or self._nearest_in_sentence(counts[figure.per], starts[figure.per], figure.start))
                    count = None if found is None else found.value
                if count is None:
                    continue
                rate, kind_of_count = figure.value, figure.per
                figure = figure._replace(value=rate * count, per=None)
                if self._product_already_given(figures, all_starts, figure):
                    continue
                if kind_of_count in all_counts and self._rate_times_a_part_given(
                        figures, all_starts, figure, rate, all_counts[kind_of_count], all_starts_of[kind_of_count]):
                    continue  # "参训168人,合格152人,按每人1,000元…共15.2万元": the subsidy of those who passed
            if index in subs:
                result_subs.add(len(result))
            result.append(figure)
        return result, result_subs

    def _measure_count(self, measure: str, pos: int, given_each: bool = True) -> float | None:
        """The number of `measure` (头, 台, 亩 …) nearest to `pos` in its sentence ("25头"), times the recipients
        when that count was given to each of them."""
        best = self._measure_match(measure, pos)
        if best is None:
            return None
        count_start, value, count_end = best
        if given_each:
            # "为3所小学各捐赠电脑室一间,每间价值4万元": the rooms are one per school, so 3 in all.
            each = self._each(self.segments.near("clause", count_start)[0], count_start, count_end)
            if each is not None and each.startswith(_PER_MEASURE) and each != _PER_MEASURE + measure:
                recipients = self._measure_count(each[len(_PER_MEASURE):], count_start, given_each=False)
                value *= recipients or 1
            elif each is not None and each.startswith(_TIMES):  # "向拉觉村、哈甘村各捐赠冷藏柜一台": the places named
                value *= float(each[len(_TIMES):])
        return value

    def _handed_to_each(self, measure: str, pos: int) -> str | None:
        """Were the items counted in `measure` handed out per head ("为36位老人每人送去棉被一床,每床价值260元",
        "人手一份")? Then the people or households count multiplies them too: its kind, else None."""
        best = self._measure_match(measure, pos)
        if best is None:
            return None
        head = _last_match(_PER_HEAD_RE, self.text, self.segments.near("clause", best[0])[0], best[0])
        if head is not None:
            return _PEOPLE if head.group("people") else _HOUSEHOLDS
        return _PEOPLE if self.text.startswith("人手", max(0, best[0] - 2)) else None

    def _counts_planned_items(self, measure: str, pos: int) -> bool:
        """Is the count a rate per `measure` multiplies one of planned items (计划 拟 准备 … before it in its clause,
        with no 已/了 between)? Then so much per item is planned too."""
        best = self._measure_match(measure, pos)
        if best is None:
            return False
        clause_start = self.segments.near("clause", best[0])[0]
        future = [cue for cue in self._cues_in(clause_start, best[0]) if cue.kind == _CUE_FUTURE]
        return bool(future) and _DONE_RE.search(self.text, future[-1].end, best[0]) is None

    def _measure_match(self, measure: str, pos: int) -> tuple[int, float, int] | None:
        """(start, value, end) of the count of `measure` nearest to `pos` in its sentence; the rate's own "一台"
        only when there is no other."""
        start, end = self.segments.span("sentence", pos)
        start, end = max(start, pos - _REACH), min(end, pos + _REACH)
        # "12个村", and with a word between "12个脱贫村", "5个行政村"
        pattern = re.compile(rf"(?P<number>{_ARABIC}|[{_CN_DIGIT_CHARS}十百千万]+)(?:余|多)?(?:个[{_HAN}]{{0,2}}?)?"
                             rf"{re.escape(measure)}")
        best, own = None, None
        for match in pattern.finditer(self.text, start, end):
            value = _number_value(match.group("number"))
            if match.group("number") == "一" and (0 <= pos - match.end() <= 4 or 0 < match.start() - pos <= 8):
                own = (match.start(), 1.0, match.end())  # the rate's own "一台" ("2600元一台"): only when there is no other
                continue
            # the count before the rate is its own ("课桌椅300套(每套价值260元)和校服500套(…)"): one after is further
            if value is not None and (best is None or _distance(match.start(), pos) < _distance(best[0], pos)):
                best = (match.start(), value, match.end())
        return best or own

    def _product_already_given(self, figures: list[_Figure], starts: list[int], product: _Figure) -> bool:
        """Is the product stated beside the rate in its sentence ("共发放10万元,资助50名学生,每人2000元",
        "30头,按每头1.2万元折算,价值36万元")?"""
        sentence_start, sentence_end = self.segments.span("sentence", product.start)
        window = (max(sentence_start, product.start - _REACH), min(sentence_end, product.start + _REACH))
        low, high = bisect_left(starts, window[0]), bisect_left(starts, window[1])
        return any(figure.kind == product.kind and figure.per is None and figure.start != product.start
                   and math.isclose(figure.value, product.value, rel_tol=1e-9)
                   for figure in figures[low:high])

    def _rate_times_a_part_given(self, figures: list[_Figure], starts: list[int], product: _Figure, rate: float,
                                 counts: list[_Figure], count_starts: list[int]) -> bool:
        """Is the rate times another count near it in its sentence (a part: those who passed, those placed)
        stated beside it?"""
        sentence_start, sentence_end = self.segments.span("sentence", product.start)
        low = bisect_left(count_starts, max(sentence_start, product.start - _REACH))
        high = bisect_left(count_starts, min(sentence_end, product.start + _REACH))
        return any(self._product_already_given(figures, starts, product._replace(value=rate * count.value))
                   for count in counts[low:high][:_MAX_NEIGHBOURS])

    def _in_own_clause(self, candidates: list[_Figure], starts: list[int], pos: int) -> _Figure | None:
        """The figure of `candidates` (in reading order, starting at `starts`) nearest to `pos` in its own clause."""
        clause = self.segments.span("clause", pos)
        index = bisect_left(starts, pos)
        own = [figure for figure in candidates[max(0, index - 1):index + 1] if clause[0] <= figure.start < clause[1]]
        return min(own, key=lambda figure: abs(figure.start - pos), default=None)

    def _nearest_in_sentence(self, candidates: list[_Figure], starts: list[int], pos: int) -> _Figure | None:
        """The figure of `candidates` (in reading order, starting at `starts`) nearest to `pos`
        in pos's sentence."""
        start, end = self.segments.span("sentence", pos)
        index = bisect_left(starts, pos)
        nearby = [figure for figure in candidates[max(0, index - 1):index + 1] if start <= figure.start < end]
        if not nearby and index and pos - candidates[index - 1].start <= _REACH:
            # "结对留守儿童40名。为每名儿童送去价值300元的学习用品": the count closes the sentence before.
            previous_sentence = self.segments.span("sentence", max(0, start - 1))[0]
            if candidates[index - 1].start >= previous_sentence:
                nearby = [candidates[index - 1]]
        clause = self.segments.span("clause", pos)
        own = [figure for figure in nearby if clause[0] <= figure.start < clause[1]]
        # "为86名人员每人发放500元,为25名老人…": the count in the rate's own clause, though another is nearer.
        return min(own or nearby, key=lambda figure: abs(figure.start - pos), default=None)

    def running_totals(self, figures: list[_Figure]) -> tuple[set[int], set[int], set[int]]:
        """Indexes of the figures that are running totals (累计, 截至目前, 至今 … before them in
        their sentence, 共计/总计 in their clause, with no period word such as 本月/本次 between;
        see _RunningCues), of those among them that are totals to an earlier date ("截至上月累计
        投入100万元"), which the increments reported after them add to, and of those that run from
        the start of this year ("今年累计", "1-11月累计")."""
        running: set[int] = set()
        as_of_earlier: set[int] = set()
        this_year: set[int] = set()
        if _RUNNING_RE.search(self.text) is None:
            return running, as_of_earlier, this_year
        cues = _RunningCues(self.text)
        starts = [figure.start for figure in figures]
        for index, figure in enumerate(figures):
            sentence_start = self.segments.span("sentence", figure.start)[0]
            cue = cues.governing(sentence_start, figure.start)
            if cue is None:
                continue
            strong, cue_start = cue
            if not strong:
                # "截至目前总计投入120万元": a strong cue with no figure of its own before the weak one governs.
                earlier = cues.strong_before(cue_start, sentence_start)
                if earlier is not None and bisect_left(starts, earlier) == bisect_left(starts, cue_start):
                    strong, cue_start = True, earlier
            if not strong and cue_start < self.segments.span("clause", figure.start)[0]:
                continue  # 共计/总计 speaks of its own clause: "共计12万元，惠及农户80户" — 80户 is this report's
            if not strong and self._restates_parts(figures, index, sentence_start, cue_start):
                continue
            # A strong cue's own date stands right before it, in its clause ("截至上月累计", "截至上季度末累计").
            dated_from = self._dated_from(cue_start)
            before_cue = (sentence_start if not strong else dated_from, cue_start)
            earlier = False
            for window, ignore in ((before_cue, _YEAR_SO_FAR | {_NAMED_YEAR}), ((cue_start, figure.start), frozenset())):
                if cues.period_between(*window, ignore=ignore):
                    if not (strong and cues.earlier_period_between(*window)):
                        break
                    earlier = True
            else:
                running.add(index)
                if earlier:
                    as_of_earlier.add(index)
                elif self._runs_from_this_january(sentence_start, cue_start):
                    this_year.add(index)
        as_of_earlier |= self._totals_to_an_earlier_month(figures, running)
        return running, as_of_earlier, this_year - as_of_earlier

    def _runs_from_this_january(self, sentence_start: int, cue_start: int) -> bool:
        """Does the running total at `cue_start` run from the start of this year ("今年累计", "1-11月累计", a sentence
        opening "今年以来")? Not when a year is named before it ("2024年1-12月累计"): the parser does not know
        which year the report is sent in."""
        clause_start = self.segments.span("clause", cue_start)[0]
        if _NAMED_YEAR_RE.search(self.text, max(sentence_start, cue_start - _REACH), cue_start):  # bounded: linear
            return False
        return bool(_YEAR_SO_FAR_RE.search(self.text, clause_start, cue_start)
                    or _SINCE_YEAR_START_RE.match(self.text, sentence_start))

    def _dated_from(self, cue_start: int) -> int:
        """Where a strong running-total cue's own date may start: right before it in its clause ("截至上月累计"),
        or a clause of its own before it that only dates it ("截至上季度末,累计帮销农产品410万元")."""
        clause_start = self.segments.span("clause", cue_start)[0]
        if clause_start >= 2 and self.text[clause_start - 1] == ",":
            previous = self.segments.span("clause", clause_start - 2)
            if previous[1] - previous[0] <= 12 and _CUTOFF_OPENS_RE.match(self.text, previous[0]):
                return previous[0]
        return max(clause_start, cue_start - 6)

    def _totals_to_an_earlier_month(self, figures: list[_Figure], running: set[int]) -> set[int]:
        """Running totals to the end of a month or year ("截至9月底累计捐赠85万元", "截至2024年底累计投入350万元")
        beside a figure of the same kind for a later month or year ("10月份再捐赠15万元", "2025年1—10月投入85万元"),
        which is not in them."""
        if not running:
            return set()
        dates: list[tuple[int | None, int | None]] = []
        for index, figure in enumerate(figures):
            sentence_start = self.segments.span("sentence", figure.start)[0]
            window_start = max(sentence_start, figure.start - _REACH)
            if index in running:
                cutoff = _last_match(_CUTOFF_RE, self.text, window_start, figure.start)
                # To a cutoff's date, else to a year in its own clause ("2023年累计投入500万元").
                window_start = cutoff.end() if cutoff is not None else self.segments.near("clause", figure.start)[0]
            year = _last_match(_YEAR_RE, self.text, window_start, figure.start)
            if year is not None and self.text[year.start() - 1:year.start()] in ("较", "比"):
                year = None  # "较去年增加6名": a comparison, not the figure's year
            month = _last_match(_MONTH_RE, self.text, window_start, figure.start)
            month_number = None if month is None else _month_number(month.group("month"))
            if year is not None and month_number is None and year.group("end"):
                month_number = 12  # 截至2024年底
            if year is None:
                dates.append((None, month_number))
            elif year.group("year"):
                dates.append((int(year.group("year")), month_number))
            else:
                dates.append((_RELATIVE_BASE + _RELATIVE_YEARS[year.group("relative")], month_number))
        later: dict[str, list[tuple[int | None, int | None]]] = {}
        for index, figure in enumerate(figures):
            if index not in running and dates[index] != (None, None):
                later.setdefault(figure.kind, []).append(dates[index])
        return {index for index in running if dates[index] != (None, None)
                and any(_is_later(date, dates[index]) for date in later.get(figures[index].kind, ()))}

    def _restates_parts(
        self, figures: list[_Figure], index: int, sentence_start: int, cue_start: int,
    ) -> bool:
        """Does a 共计/总计 sum what its sentence lists: figures of the same kind before it, a
        per-head product anywhere in it, goods counted ("救护车2台") or listed with 、/和/及?"""
        figure = figures[index]
        sentence_end = self.segments.span("sentence", cue_start)[1]
        rate = bisect_left(self.rate_starts, sentence_start)
        if rate < len(self.rate_starts) and self.rate_starts[rate] < sentence_end:
            return True
        low = max(0, index - _MAX_NEIGHBOURS)
        bare = _BARE_CLAUSE_RE.fullmatch(self.text, self.segments.near("clause", figure.start)[0], figure.start) is not None
        if any((bare or sentence_start <= other.start < cue_start) and other.kind == figure.kind
               for other in figures[low:index]):
            return True  # "帮销大米10万元;帮销腊肉5万元;共计15万元" sums what was listed
        window = (max(sentence_start, cue_start - _REACH), cue_start)
        clause_start = self.segments.near("clause", cue_start)[0]
        return (self.text.find("、", *window) >= 0
                or _GOODS_COUNT_RE.search(self.text, *window) is not None
                or _JOINED_RE.search(self.text, clause_start, cue_start) is not None)

    def is_total(self, figure: _Figure) -> bool:
        """Does 合计/共/累计 … stand before the figure in its list item (or as its label, "合计:53万元")?"""
        return _TOTAL_RE.search(self.text, self._total_window_start(figure), figure.start) is not None

    def _total_window_start(self, figure: _Figure) -> int:
        """Where to look for a total word before a figure: its list item, and a label before a colon."""
        item_start = self.segments.near("item", figure.start)[0]
        if self.text[item_start - 1:item_start] == ":":
            return max(0, item_start - 6)
        sentence_start = self.segments.span("sentence", figure.start)[0]
        if _TOTAL_LABEL_RE.match(self.text, sentence_start):  # "总计:项目5个,投入资金165万元": the sentence's label
            return sentence_start
        return item_start

    def covers(self, figure: _Figure, earlier: list[_Figure]) -> bool:
        """Is the figure a total of the figures of its kind before it? A 合计/共计 … is; "共" with a
        verb totals only what that verb did ("吸纳就业35人…共培训110人" reaches 145, "投入10万元,另投入5万元,
        共投入15万元" 15)."""
        total = _last_match(_TOTAL_RE, self.text, self._total_window_start(figure), figure.start)
        if total is None:
            return False
        verb = self.text[total.end():total.end() + 2]
        if total.group() != "共" or not verb or not "\u4e00" <= verb[0] <= "\u9fff":
            return True
        return any(verb in self.text[self.segments.near("clause", other.start)[0]:other.start]
                   for other in earlier if other.kind == figure.kind)

    def headed_parts(self, figures: list[_Figure], subs: set[int]) -> set[int]:
        """Indexes of the figures a heading's subtotal stands for: "一、教育帮扶(小计48万元)" followed by items of
        24 and 24 万元. Only where the items that follow add up to the subtotal exactly, so a heading that
        announces something else leaves them counted."""
        parts: set[int] = set()
        for index, figure in enumerate(figures):
            if index in subs or index in parts or not self._heading_total(figure):
                continue
            found, total = [], 0.0
            level = self._heading_level(figure)
            for later in range(index + 1, min(len(figures), index + 1 + _MAX_NEIGHBOURS)):
                other = figures[later]
                if later in subs or other.kind != figure.kind:
                    continue
                if self._heading_total(other) and self._heading_level(other) <= level:
                    break  # the next heading of its rank; "(一)…共39万元" under "一、…(小计65万元)" is an item
                found.append(later)
                total += other.value
                if total >= figure.value - 1e-9:
                    break
            if found and math.isclose(total, figure.value, rel_tol=1e-9, abs_tol=1e-9):
                parts.update(found)
        return parts

    def bracketed_parts(self, figures: list[_Figure], subs: set[int]) -> set[int]:
        """Indexes of the figures in a bracket right after a figure that add up to it: "150000元(即15万元)",
        "合计98户(即第一批52户、第二批46户)", "32万元(捐赠资金20万元+物资折价12万元)", "价值6万元的农机具(…核实为6万元)"."""
        parts: set[int] = set()
        starts = [figure.start for figure in figures]
        for index, figure in enumerate(figures):
            if index in subs or figure.value <= 0:
                continue
            opening = self.text.find("(", figure.end, figure.end + _BRACKET_REACH)
            if opening < 0 or bisect_left(starts, opening) != index + 1:
                continue  # no bracket close after it, or another figure before the bracket
            closing = self.text.find(")", opening, opening + _REACH)
            if closing < 0:
                continue
            inside = [i for i in range(index + 1, bisect_left(starts, closing))
                      if figures[i].kind == figure.kind and i not in subs and figures[i].value > 0]
            if inside and math.isclose(sum(figures[i].value for i in inside), figure.value, rel_tol=1e-9):
                parts.update(inside)
        return parts

    def _heading_level(self, figure: _Figure) -> int:
        """How deep the heading opening the figure's sentence is: 0 for "一、", 1 for "(一)" and "第一项"."""
        heading = _HEADING_RE.match(self.text, self.segments.span("sentence", figure.start)[0])
        return 1 if heading is not None and heading.group().lstrip().startswith(("(", "第")) else 0

    def _heading_total(self, figure: _Figure) -> bool:
        """Is the figure a total (小计 合计 共 …) of a heading ("一、教育帮扶(小计48万元)", "(二)医疗:共计15万元"): its
        sentence opens with a heading's number, close before it, and the total word is in the figure's own item?"""
        sentence_start = self.segments.span("sentence", figure.start)[0]
        if figure.start - sentence_start > _HEADING_REACH:  # a heading is short: no scan of a long line per figure
            return False
        return (_HEADING_RE.match(self.text, sentence_start) is not None
                and _TOTAL_RE.search(self.text, self._total_window_start(figure), figure.start) is not None)

    def in_a_total(self, figure: _Figure) -> bool:
        """Does a total word (共计, 合计 …) stand before the figure in its sentence?"""
        sentence_start = self.segments.span("sentence", figure.start)[0]
        return _TOTAL_RE.search(self.text, max(sentence_start, figure.start - _REACH), figure.start) is not None

    def totals_others_money(self, figure: _Figure) -> bool:
        """Does this total follow, in its sentence, money others paid ("投入资金18万元,县财政按1:1配套
        18万元,合计36万元")? Then it is not the organizations' total."""
        if figure.kind not in _MONEY_KINDS or not self.other_payer_starts:
            return False
        sentence_start = self.segments.span("sentence", figure.start)[0]
        if self.text.startswith("合计", sentence_start):  # a table's 合计 row: the rows above are its parts
            sentence_start = max(0, sentence_start - 2 * _REACH)
        index = bisect_left(self.other_payer_starts, sentence_start)
        return index < len(self.other_payer_starts) and self.other_payer_starts[index] < figure.start

    # -- fields ----------------------------------------------------------------------------

    def fields(self) -> tuple[str, ...]:
        """Assistance fields named by cue words, in the canonical order."""
        found = {_FIELD_CUES[match.group()] for match in _FIELD_CUE_RE.finditer(self.text)}
        if any(cue.kind == _CUE_SALES and _MONEY_CUES.get(self.text[cue.start:cue.end]) in (_CUE_PURCHASE, _CUE_BUY, _CUE_SPEND)
               for cue in self.cues):
            found.add("消费")
        return tuple(field for field in FIELD_ORDER if field in found)


# ---------------------------------------------------------------------------------------------
# 6. Putting it together
# ---------------------------------------------------------------------------------------------


# Plausibility bounds (DESIGN.md): a figure beyond them is stored as null with the flag 数字异常.
_BOUNDS = {_FUNDS: 1_000_000, _COMMITTED: 1_000_000, _SALES: 1_000_000,
           _HOUSEHOLDS: 10_000_000, _PEOPLE: 10_000_000, _PROJECTS: 100_000}
FLAG_IMPLAUSIBLE = "数字异常"
FLAG_RANGE = "数字为区间"

# A figure written so that it cannot be read as a plausible number — exponent notation, NaN or
# infinity — in front of a unit (after NFKC, so "１e３０", "∞" are caught too): counted as nothing,
# and flagged 数字异常 like a figure beyond the bounds, so a reviewer sees what was written. A digit
# run is only tried from its first digit, so the scan stays linear.
_UNREADABLE_FIGURE_RE = re.compile(
    r"(?P<number>(?<![A-Za-z\d.])\d++(?:\.\d++)?+(?:e[+-]?|\^|\*\*)\d++|(?<![A-Za-z])(?:nan|inf(?:inity)?)(?![A-Za-z])|∞"
    # a number opening with its decimal point ("资金.5万元": 0.5, or a full stop before 5?) has no one reading
    r"|(?<![A-Za-z\d.])\.\d++)"
    r"(?= ?(?:千万|百万|万|亿)?(?:人民币|元|人次|人|名|位|户|家庭|个|项))",
    re.IGNORECASE,
)


def _without_unreadable_figures(text: str) -> tuple[str, bool]:
    """The text with each unreadable figure masked (its digits must not be read as a figure of their
    own: "2.5E+8元" is not 8元), and whether there was one."""
    masked, count = _UNREADABLE_FIGURE_RE.subn(lambda match: "?" * len(match.group()), text)
    return masked, count > 0


def _is_later(date: tuple[int | None, int | None], than: tuple[int | None, int | None]) -> bool:
    """Is (year, month) `date` after `than`? A year left unsaid is the other's; a month left unsaid is unknown."""
    year, month = date
    other_year, other_month = than
    if (year is not None and other_year is not None and year != other_year
            and (year > _RELATIVE_BASE // 2) == (other_year > _RELATIVE_BASE // 2)):
        return year > other_year
    return month is not None and other_month is not None and month > other_month


@lru_cache(maxsize=16)
def parse_update(text: str) -> ParsedUpdate:
    """Parse one progress update into its ledger fields (see the module docstring).

    The last few results are kept: a chat message is read to decide whether it is a report and then
    recorded, and a long text should not be parsed twice for that."""
    normalised, unreadable = _without_unreadable_figures(_normalise(text))
    reader = _Reader(normalised)
    figures = reader.counts_per_unit(reader.figures())
    subs = (reader.sub_figures(figures) | reader.placed_trainees(figures) | reader.replaced(figures)
            | reader.said_again(figures) | reader.planned_beside_done(figures) | reader.summarised(figures))
    figures, subs = reader.multiply_per_head(figures, subs)
    running, as_of_earlier, this_year = reader.running_totals(figures)
    earlier = reader.earlier_periods(figures, subs | running)
    figures, subs = reader.paid_parts(figures, subs, running | earlier)
    subs |= reader.replaced(figures)  # an arrival corrected later ("已拨付300万元;更正:…应为280万元") stays replaced
    subs = reader.project_totals(figures, subs) | earlier
    subs |= reader.allocated_shares(figures, subs)
    subs |= reader.pledged_parts(figures, subs)
    subs |= reader.headed_parts(figures, subs | running)
    subs |= reader.bracketed_parts(figures, subs)
    subs |= _years_inside_totals(figures, subs, running, as_of_earlier, this_year)
    sums, latest_total = _sum_figures(reader, figures, subs, running, as_of_earlier)
    # a kind whose counted running totals include one that is not this year's ("截至去年底累计300万元,今年累计
    # 80万元" is 380 to date) is no total of this year
    spanning = {figures[index].kind for index in running - subs - this_year}
    values, implausible = _bounded(sums)
    implausible = implausible or unreadable
    flags = []
    if implausible:
        flags.append(FLAG_IMPLAUSIBLE)
    if reader.range_kinds:
        flags.append(FLAG_RANGE)
    return ParsedUpdate(
        **values, fields=reader.fields(),
        cumulative=_cumulative(values, latest_total, this_year - {i for i in this_year if figures[i].kind in spanning}),
        flags=tuple(flags),
    )


def _years_inside_totals(figures: list[_Figure], subs: set[int], running: set[int], as_of_earlier: set[int],
                         this_year: set[int]) -> set[int]:
    """This year's running totals beside a running total to date of the same kind that runs from before the year
    ("累计投入资金300万元，今年累计投入80万元" is 300 to date, of which 80 this year): the year's total is inside the
    other, never added to it."""
    to_date = {figures[index].kind for index in running - subs - this_year - as_of_earlier}
    return {index for index in running & this_year if index not in subs and figures[index].kind in to_date}


def _cumulative(values: dict[str, float | int], latest_total: dict[str, int], this_year: set[int]) -> tuple[str, ...]:
    """The kinds given as running totals (and kept: a figure out of bounds is not); YEAR_TO_DATE too when each
    runs from the start of this year."""
    kinds = [kind for kind in (*_MONEY_KINDS, *_COUNT_KINDS) if kind in latest_total and kind in values]
    if kinds and all(latest_total[kind] in this_year for kind in kinds):
        return (*kinds, YEAR_TO_DATE)
    return tuple(kinds)


def _sum_figures(
    reader: _Reader, figures: list[_Figure], subs: set[int], running: set[int], as_of_earlier: set[int],
) -> tuple[dict[str, float], set[str]]:
    """Sum each kind, parts (subs) left out; where a kind has a running total, only its running
    totals count (they already contain the increments reported beside them) — unless the latest is
    a total to an earlier date, which the increments beside it add to ("截至上月累计投入100万元,
    本月又投入20万元" is 120 to date). Returns the sums and, for each kind given as a running total,
    the index of the one that counts."""
    latest_total: dict[str, int] = {}
    for index in sorted(running - subs):
        latest_total[figures[index].kind] = index
    closed = {kind for kind, index in latest_total.items() if index not in as_of_earlier}
    sums: dict[str, float] = {}
    for index, figure in enumerate(figures):
        if index in subs or (figure.kind in closed and index not in running):
            continue
        if reader.is_total(figure) and reader.totals_others_money(figure):
            continue
        so_far = sums.get(figure.kind)
        if so_far is None:
            sums[figure.kind] = figure.value
        elif (index not in as_of_earlier and figure.value >= so_far - 1e-9
              and reader.covers(figure, figures[max(0, index - _MAX_NEIGHBOURS):index])):
            sums[figure.kind] = figure.value  # the total covers the parts already counted
        elif index not in as_of_earlier and math.isclose(figure.value, so_far) and reader.in_a_total(figure):
            continue  # "三项共计投入77万元,惠及538人": the sum of what was listed, said again
        else:
            sums[figure.kind] = so_far + figure.value
    return sums, latest_total


_FLOAT_NOISE = 1e-9  # what is left of parts taken from their total (0.1 + 0.2 - 0.3)


def _bounded(sums: dict[str, float]) -> tuple[dict[str, float | int], bool]:
    """Round the sums (money to 4 decimals, counts to integers) and drop any that is not finite
    or beyond _BOUNDS; the flag says whether one was dropped."""
    values: dict[str, float | int] = {}
    implausible = False
    for kind, value in sums.items():
        if not math.isfinite(value) or abs(value) > _BOUNDS[kind]:
            implausible = True
            continue
        rounded = (round(value, 4) or 0.0) if kind in _MONEY_KINDS else int(round(value))  # -0 is 0
        if rounded == 0 and abs(value) > _FLOAT_NOISE:  # "0.00000001万元", "0.3户": written, yet nothing to count
            implausible = True
            continue
        values[kind] = rounded
    return values, implausible
