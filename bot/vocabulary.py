"""The allowed values of every enumerated import column, in one table.

Each value is written the way DESIGN names it in English (`in-province`, `active`, `county`…), by its
Chinese label, or by a common synonym, in Simplified or Traditional characters (已结对 is an active
pairing, 本省 an in-province organization). The importers read through `Vocabulary.read`,
`pairbot import --help` lists `Vocabulary.allowed`, and README's table is checked against
`readme_rows()` by tests/test_vocabulary.py, so the three cannot drift apart. Stored values are
written out (no model import) so that `pairbot --help` stays quick; the test checks them against
the enums (PairingStatus, Role, NeedStatus, FIELD_ORDER).

Provinces are not listed here: every column, option and audience that takes a province reads it
through models.services.provinces (full 西藏自治区, short 西藏, Traditional 西藏自治區).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

_SPACING = re.compile(r"[\s_]+")


@dataclass(frozen=True)
class Choice:
    value: str  # what is stored
    english: str  # DESIGN's name
    label: str  # the Chinese name shown back
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """One enumerated column: its choices, read in any of their names."""

    column: str  # `kind.column`, as `pairbot import KIND` names it
    choices: tuple[Choice, ...]
    strip: tuple[str, ...] = ()  # endings that may be added to any name (产业帮扶, 教育类)

    def read(self, text: str) -> str | None:
        """The stored value `text` names, or None."""
        wanted = _key(text)
        names = self._names
        for ending in ("", *self.strip):
            found = names.get(wanted.removesuffix(ending) if ending else wanted)
            if found is not None:
                return found
        return None

    @cached_property
    def _names(self) -> dict[str, str]:
        """Every name of every choice, as `_key` folds it, to the stored value (the first choice naming it wins),
        built once: importers read a value per row, a hundred thousand rows at a time."""
        names: dict[str, str] = {}
        for choice in self.choices:
            for name in (choice.value, choice.english, choice.label, *choice.synonyms):
                names.setdefault(_key(name), choice.value)
        return names

    def allowed(self) -> str:
        """`national/全国性、in-province/省内 …`: what a refusal and --help list (English names only in English)."""
        from bot.i18n import current

        if current() == "en":
            return ", ".join(c.english for c in self.choices)
        return "、".join(f"{c.english}/{c.label}" for c in self.choices)

    def shown(self, value: str) -> str:
        """A stored value as a page shows it: its Chinese name, or in English DESIGN's name ("in province");
        a value that is none of the choices as it is."""
        from bot.i18n import current

        for choice in self.choices:
            if choice.value == value:
                return choice.english.replace("-", " ") if current() == "en" else choice.label
        return value

    def synonyms(self) -> str:
        """`active: 已结对、进行中…；ended: …`: the other words read as each value (README's table)."""
        return "；".join(f"{c.english}: {'、'.join(c.synonyms)}" for c in self.choices if c.synonyms)


def _key(text: str) -> str:
    return _SPACING.sub("-", text.strip().lower())


ORG_LEVEL = Vocabulary("orgs.level", (
    Choice("全国性", "national", "全国性", ("全国", "全国性社会组织", "全國性", "全國", "nationwide")),
    Choice("东部省", "eastern-province", "东部省", ("东部", "东部省份", "东部地区", "東部省", "東部", "東部省份", "eastern")),
    Choice("省内", "in-province", "省内", ("本省", "省内社会组织", "本省社会组织", "省級", "省级", "省內", "本省份",
                                         "provincial")),
    Choice("中部省", "central-province", "中部省", ("中部", "中部省份", "中部地区", "中部地區", "central")),
))
ORG_KIND = Vocabulary("orgs.kind", (
    Choice("社会团体", "social-group", "社会团体", ("社团", "协会", "社會團體", "社團", "association")),
    Choice("基金会", "foundation", "基金会", ("基金會",)),
    Choice("社会服务机构", "social-service-agency", "社会服务机构",
           ("民办非企业单位", "民非", "社會服務機構", "民辦非企業單位")),
))
PAIRING_STATUS = Vocabulary("pairings.status", (
    Choice("proposed", "proposed", "拟结对", ("待结对", "拟", "意向", "计划结对", "擬結對", "待結對")),
    Choice("active", "active", "结对中", ("已结对", "结对", "进行中", "帮扶中", "在帮", "正常",
                                                     "結對中", "已結對", "進行中", "幫扶中")),
    Choice("suspended", "suspended", "暂停", ("已暂停", "暂停中", "中止", "暫停", "已暫停")),
    Choice("ended", "ended", "已结束", ("结束", "终止", "已终止", "期满", "解除", "已解除",
                                                   "已結束", "結束", "終止")),
))
CONTACT_ROLE = Vocabulary("contacts.role", (
    Choice("county", "county", "县联络员", ("县", "县联络人", "县联系人", "县级联络员", "縣聯絡員", "縣")),
    Choice("organization", "organization", "社会组织联络人", ("组织", "社会组织", "组织联络人", "社会组织联系人",
                                                               "社會組織聯絡人", "組織", "org")),
    Choice("admin", "admin", "管理员", ("管理", "管理人员", "管理員", "administrator")),
))
FIELD = Vocabulary("needs.field, offers.field", (
    Choice("产业", "industry", "产业", ("產業", "产业发展")),
    Choice("就业", "employment", "就业", ("就業", "劳务", "勞務")),
    Choice("教育", "education", "教育", ("助学", "助學")),
    Choice("健康", "health", "健康", ("医疗", "卫生", "醫療", "衛生")),
    Choice("养老", "elderly-care", "养老", ("養老", "养老服务")),
    Choice("消费", "consumption", "消费", ("消費",)),
    Choice("其他", "other", "其他", ("其它",)),
), strip=("帮扶", "幫扶", "类", "類", "领域", "領域"))
NEED_STATUS = Vocabulary("needs.status", (
    Choice("draft", "draft", "草稿", ("待发布", "未发布", "待發布", "未發布")),
    Choice("published", "published", "已发布", ("发布", "已發布", "發布")),
))

VOCABULARIES: tuple[Vocabulary, ...] = (ORG_LEVEL, ORG_KIND, PAIRING_STATUS, CONTACT_ROLE, FIELD, NEED_STATUS)


def readme_rows() -> list[str]:
    """README's table of allowed values, one Markdown row per column (checked by tests/test_vocabulary.py)."""
    from bot.i18n import using

    with using("zh_CN"):  # README's table shows both names
        return [f"| `{v.column}` | {v.allowed()} | {v.synonyms()} |" for v in VOCABULARIES]


README_HEADER = ("| column | allowed values (English / Chinese) | also read as |", "|---|---|---|")
