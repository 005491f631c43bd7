"""Imports a newcomer gets right first time: DESIGN's English names, Chinese synonyms, any province form.

One table (bot.vocabulary) feeds the importers, `pairbot import --help` and README; these tests hold
the three together and import real files into SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from bot.cli import build_app
from bot.db import make_engine
from bot.vocabulary import (
    CONTACT_ROLE,
    FIELD,
    NEED_STATUS,
    ORG_KIND,
    ORG_LEVEL,
    PAIRING_STATUS,
    README_HEADER,
    VOCABULARIES,
    Vocabulary,
    readme_rows,
)
from models.pairing import Pairing, PairingStatus
from models.projects import NeedStatus
from models.registry import Contact, County, Organization, Role
from models.services.importing import import_file
from models.services.parsing import FIELD_ORDER
from models.services.provinces import PROVINCES
from tests.factories import CODES, load_counties

README = Path(__file__).resolve().parents[1] / "README.md"


def _names(vocabulary: Vocabulary) -> list[tuple[str, str]]:
    return [(name, c.value) for c in vocabulary.choices for name in (c.value, c.english, c.label, *c.synonyms)]


@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda v: v.column)
def test_every_name_means_one_value(vocabulary: Vocabulary) -> None:
    for name, value in _names(vocabulary):
        assert vocabulary.read(name) == value, name
        assert vocabulary.read(f" {name.upper()} ") == value, name


def test_stored_values_are_the_models_and_english_names_are_designs() -> None:
    assert [c.value for c in PAIRING_STATUS.choices] == [s.value for s in PairingStatus]
    assert [c.english for c in PAIRING_STATUS.choices] == ["proposed", "active", "suspended", "ended"]
    assert [c.value for c in CONTACT_ROLE.choices] == [r.value for r in Role]
    assert {c.value for c in NEED_STATUS.choices} <= {s.value for s in NeedStatus}
    assert tuple(c.value for c in FIELD.choices) == FIELD_ORDER
    assert [(c.english, c.value) for c in ORG_LEVEL.choices] == [
        ("national", "全国性"), ("eastern-province", "东部省"), ("in-province", "省内"), ("central-province", "中部省")]


@pytest.mark.parametrize(("vocabulary", "text", "value"), [
    (PAIRING_STATUS, "已结对", "active"), (PAIRING_STATUS, "結對中", "active"), (PAIRING_STATUS, "期满", "ended"),
    (ORG_LEVEL, "本省", "省内"), (ORG_LEVEL, "In Province", "省内"), (ORG_LEVEL, "in_province", "省内"),
    (ORG_LEVEL, "東部省份", "东部省"), (ORG_LEVEL, "中部省份", "中部省"), (ORG_KIND, "民非", "社会服务机构"),
    (CONTACT_ROLE, "县联络员", "county"), (CONTACT_ROLE, "社會組織聯絡人", "organization"),
    (FIELD, "产业帮扶", "产业"), (FIELD, "Elderly Care", "养老"), (FIELD, "教育类", "教育"), (FIELD, "醫療", "健康"),
    (NEED_STATUS, "已發布", "published"),
])
def test_common_synonyms(vocabulary: Vocabulary, text: str, value: str) -> None:
    assert vocabulary.read(text) == value


def test_unknown_words_are_not_guessed() -> None:
    assert PAIRING_STATUS.read("完成") is None and ORG_LEVEL.read("省") is None and FIELD.read("体育") is None


def test_readme_lists_the_same_table() -> None:
    text = README.read_text(encoding="utf-8")
    table = "\n".join([*README_HEADER, *readme_rows()])
    assert table in text, "README's table of allowed values differs from bot.vocabulary: paste readme_rows()"
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |"):
        assert code in text.split("**Exit codes of `pairbot import`.**")[1][:1500]


def test_import_help_lists_every_allowed_value() -> None:
    runner = CliRunner()
    group = runner.invoke(build_app(), ["import", "--help"], terminal_width=300)
    assert group.exit_code == 0
    for vocabulary in VOCABULARIES:
        assert vocabulary.allowed() in group.output
    assert "退出码" in group.output and "--allow-partial" in group.output
    orgs = runner.invoke(build_app(), ["import", "orgs", "--help"], terminal_width=300).output
    assert ORG_LEVEL.allowed() in orgs and ORG_KIND.allowed() in orgs and "--allow-partial" in orgs


def test_files_in_english_chinese_synonyms_and_every_province_form(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    load_counties(engine)
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(
        "name,credit_code,level,kind,province\n"
        f"甲基金会,{CODES[0]},national,foundation,北京\n"
        f"乙协会,{CODES[1]},in-province,社团,西藏\n"
        f"丙服务中心,{CODES[2]},东部省份,民非,廣東\n"
        f"丁基金会,{CODES[3]},Central Province,基金會,西藏自治區\n"
        "戊基金会,53100000500012340C,本省,基金会,火星\n", encoding="utf-8")
    report = import_file(engine, "orgs", orgs, actor="test")
    assert (report.created, report.refused) == (4, 1)
    assert "“火星”不是省份" in report.problems[0].message and report.problems[0].column.startswith("province")
    pairings = tmp_path / "pairings.csv"
    pairings.write_text("organization,county,status\n甲基金会,布拖县,已结对\n乙协会,昭觉县,擬結對\n丙服务中心,美姑县,期满\n"
                        "丁基金会,金阳县,完成\n", encoding="utf-8")
    report = import_file(engine, "pairings", pairings, actor="test")
    assert (report.created, report.refused) == (3, 1)
    assert report.problems[0].message == f"“完成”不是可用的取值（可用：{PAIRING_STATUS.allowed()}）"
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("name,role,county,organization\n阿木,县联络员,布拖县,\n张三,社会组织联络人,,甲基金会\n"
                        "李四,Admin,,\n", encoding="utf-8")
    assert import_file(engine, "contacts", contacts, actor="test").created == 3
    with Session(engine) as session:
        found = {o.name: (o.level, o.kind, o.province) for o in session.exec(select(Organization)).all()}
        assert found == {"甲基金会": ("全国性", "基金会", "北京市"), "乙协会": ("省内", "社会团体", "西藏自治区"),
                         "丙服务中心": ("东部省", "社会服务机构", "广东省"), "丁基金会": ("中部省", "基金会", "西藏自治区")}
        statuses = session.exec(select(County.name, Pairing.status).join(County, col(County.id) == Pairing.county_id)
                                .order_by(col(Pairing.id))).all()
        assert statuses == [("布拖县", "active"), ("昭觉县", "proposed"), ("美姑县", "ended")]
        assert sorted(c.role for c in session.exec(select(Contact)).all()) == ["admin", "county", "organization"]
    engine.dispose()


def test_county_provinces_are_stored_by_full_name(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    counties = tmp_path / "counties.csv"
    counties.write_text("code,province,prefecture,county\n540121,西藏,拉萨市,林周县\n450122,廣西,南宁市,武鸣区\n",
                        encoding="utf-8")
    assert import_file(engine, "counties", counties, actor="test").created == 2
    with Session(engine) as session:
        assert sorted(session.exec(select(County.province)).all()) == ["广西壮族自治区", "西藏自治区"]
        assert set(session.exec(select(County.province)).all()) <= set(PROVINCES)
    engine.dispose()
