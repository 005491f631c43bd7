"""`pairbot import needs` and `pairbot import offers` from real files: bad rows reported, the rest kept, re-import unchanged."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.db import unit_of_work
from models.messaging import AuditLog, Delivery
from models.projects import Need, NeedStatus, Offer
from models.registry import Contact
from models.services import needs
from tests.projects.runner import pairbot
from tests.projects.world import World

NEEDS_GBK = (
    "需求县,帮扶领域,需求内容,需求金额（万元）,受益户数,受益人数,期望完成日期,状态\n"
    "布拖县,教育,图书室建设，惠及全县小学,80,,1200,2099-06-30,已发布\n"
    "513431,产业帮扶,冷链仓储设备，服务全县果蔬合作社,约80万元,38户,,2099年3月1日,草稿\n"
    "不存在县,教育,图书,1,,,,\n"
    "布拖县,体育,操场翻新,1,,,,\n"
    "布拖县,教育,图书室建设，惠及全县小学,80,,,,\n"
    "布拖县,健康,义诊,abc,,,,\n"
    "布拖县,健康,巡回义诊,5,-3,,,\n"
    "布拖县,健康,乡村医生培训,5,,,2020-01-01,\n"
    "布拖县,健康,卫生室改造,5,,,明年,\n"
    "\n"
    "布拖县,养老,养老院修缮,5,,,,完成\n"
    "布拖县,,,5,,,,\n"
)


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _needs(engine: Engine) -> list[Need]:
    with Session(engine) as session:
        return list(session.exec(select(Need).order_by(col(Need.id))).all())


def test_needs_from_a_gbk_csv_keep_good_rows_and_report_bad_ones(db_url: str, engine: Engine, world: World,
                                                                tmp_path: Path) -> None:
    path = _write(tmp_path, "需求.csv", NEEDS_GBK, "gbk")
    ran = pairbot(db_url, tmp_path, "import", "needs", str(path))
    assert ran.code == 3, ran.err  # rows were refused
    assert "需求.csv：新增 2，更新 0，未变 0，拒绝 9" in ran.out
    assert ran.err.splitlines() == [
        "需求.csv 第 4 行，列 county（需求县）：未找到县“不存在县”（请先导入县名单：pairbot import counties）",
        "需求.csv 第 5 行，列 field（帮扶领域）：“体育”不是可用的取值（可用：industry/产业、employment/就业、education/教育、health/健康、elderly-care/养老、consumption/消费、other/其他）",
        "需求.csv 第 6 行，列 description（需求内容）：与第 2 行重复",
        "需求.csv 第 7 行，列 amount_wan（需求金额）：“abc”不是金额（单位：万元，例如 80 或 80万元）",
        "需求.csv 第 8 行，列 households（受益户数）：户数须在 1 到 10,000,000 之间。",
        "需求.csv 第 9 行，列 wanted_by（期望完成日期）：期望完成日期 2020-01-01 已经过去，请写一个将来的日期。",
        "需求.csv 第 10 行，列 wanted_by（期望完成日期）：“明年”不是日期（例如 2026-12-31 或 2026年12月31日）",
        "需求.csv 第 12 行，列 status（状态）：“完成”不是可用的取值（可用：draft/草稿、published/已发布）",
        "需求.csv 第 13 行，列 description（需求内容）：不能为空",
    ]
    library, cold_chain = _needs(engine)
    assert (library.county_id, library.field, library.amount_wan, library.people, library.wanted_by, library.status,
            library.source) == (world.county, "教育", 80, 1200, date(2099, 6, 30), NeedStatus.published, "import")
    assert (cold_chain.county_id, cold_chain.field, cold_chain.amount_wan, cold_chain.households,
            cold_chain.status) == (world.other_county, "产业", 80, 38, NeedStatus.draft)
    assert cold_chain.title == "冷链仓储设备"

    again = pairbot(db_url, tmp_path, "import", "needs", str(path))
    assert "新增 0，更新 0，未变 2，拒绝 9" in again.out and len(_needs(engine)) == 2


def test_changed_rows_update_a_need_and_publish_a_draft(db_url: str, engine: Engine, world: World,
                                                      tmp_path: Path) -> None:
    header = "county,field,description,amount_wan,households,status\n"
    first = _write(tmp_path, "a.csv", header + "布拖县,教育,图书室建设,80,,draft\n布拖县,健康,义诊,5,,published\n")
    assert "新增 2" in pairbot(db_url, tmp_path, "import", "needs", str(first)).out
    changed = _write(tmp_path, "b.csv", header + "布拖县,教育,图书室建设,90,40,已发布\n布拖县,健康,义诊,5,,draft\n")
    ran = pairbot(db_url, tmp_path, "import", "needs", str(changed))
    assert "新增 0，更新 1，未变 1，拒绝 0" in ran.out  # 草稿 never takes a published need back
    library, clinic = _needs(engine)
    assert (library.amount_wan, library.households, library.status) == (90, 40, NeedStatus.published)
    assert clinic.status == NeedStatus.published
    with Session(engine) as session:
        assert [row.action for row in needs.history(session, library.id)] == [  # type: ignore[arg-type]
            "need.create", "need.edit", "need.publish"]
        edit = session.exec(select(AuditLog).where(AuditLog.action == "need.edit")).one()
        assert edit.details == {"source": "import", "before": {"amount_wan": 80.0, "households": None}}
        told = session.exec(select(Delivery).where(Delivery.chat_id == "县联络员")).all()
        assert ["已由管理员发布" in d.text for d in told] == [True]

    with unit_of_work(engine) as session:  # once an organization took it on, the file no longer changes it
        needs.claim(session, session.get(Contact, world.paired_contact), library.id, library.published_at)  # type: ignore[arg-type]
    later = _write(tmp_path, "c.csv", header + "布拖县,教育,图书室建设,95,40,已发布\n")
    ran = pairbot(db_url, tmp_path, "import", "needs", str(later))
    assert ran.code == 3 and "c.csv 第 2 行，列 amount_wan（需求金额）：需求 #1 当前为已认领，不能再由导入修改" in ran.err
    assert _needs(engine)[0].amount_wan == 90


def test_offers_from_xlsx_by_name_or_credit_code(db_url: str, engine: Engine, world: World, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["社会组织", "帮扶领域", "服务省份", "帮扶能力（万元）", "供给内容"])
    sheet.append(["教育促进会", "教育", "四川、云南省", 300, "助学金"])
    sheet.append(["53100000500019795A", "产业", "全国", 1000, None])  # 结对基金会 by credit code
    sheet.append(["教育促进会", "教育", "火星", 1, None])
    sheet.append(["无此组织", "教育", None, 1, None])
    sheet.append(["教育促进会", "教育", "云南；四川省", 300, "重复的一行"])
    sheet.append(["云南公益会", "文艺", "云南", 1, None])
    sheet.append(["云南公益会", "教育", "贵州", "-5", None])
    path = tmp_path / "供给.xlsx"
    book.save(path)
    ran = pairbot(db_url, tmp_path, "import", "offers", str(path))
    assert "新增 2，更新 0，未变 0，拒绝 5" in ran.out
    assert [line.split("：", 1)[0] for line in ran.err.splitlines()] == [
        "供给.xlsx 第 4 行，列 provinces（服务省份）", "供给.xlsx 第 5 行，列 organization（社会组织）",
        "供给.xlsx 第 6 行，列 provinces（服务省份）", "供给.xlsx 第 7 行，列 field（帮扶领域）",
        "供给.xlsx 第 8 行，列 capacity_wan（帮扶能力）"]
    assert "与第 2 行重复" in ran.err.splitlines()[2]
    with Session(engine) as session:
        offers = session.exec(select(Offer).where(Offer.source == "import").order_by(col(Offer.id))).all()
        assert [(o.organization_id, o.field, o.provinces, o.capacity_wan, o.description) for o in offers] == [
            (world.offering_org, "教育", ["四川省", "云南省"], 300, "助学金"), (world.paired_org, "产业", [], 1000, "")]
        assert len(session.exec(select(AuditLog).where(AuditLog.action == "offer.create")).all()) == 2
    assert "新增 0，更新 0，未变 2，拒绝 5" in pairbot(db_url, tmp_path, "import", "offers", str(path)).out

    bigger = _write(tmp_path, "o.csv", "organization,field,provinces,capacity_wan\n教育促进会,教育,\"云南,四川\",600\n")
    assert "新增 0，更新 1，未变 0" in pairbot(db_url, tmp_path, "import", "offers", str(bigger)).out
    with Session(engine) as session:
        assert session.exec(select(Offer).where(Offer.capacity_wan == 600)).one().provinces == ["四川省", "云南省"]


def test_a_file_without_the_required_column_is_refused_whole(db_url: str, world: World, tmp_path: Path) -> None:
    path = _write(tmp_path, "x.csv", "领域,金额\n教育,5\n")
    ran = pairbot(db_url, tmp_path, "import", "needs", str(path))
    assert ran.code == 1 and "缺少必需的列“需求县”" in ran.err and "缺少必需的列“需求内容”" in ran.err
