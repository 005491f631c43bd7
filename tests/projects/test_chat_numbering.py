"""The 项目库 in chat, as a tester found it: 确认 N read as a need's number, negative answers in the 需求 dialog,
unknown provinces and duplicate offers in 供给, 推送 N -1, the amount's bound, punctuation, 接单 without a number."""

from __future__ import annotations

from bot.app import App
from bot.db import unit_of_work
from models.messaging import Delivery
from models.pairing import Project
from models.projects import ClaimStatus, Need, NeedClaim, NeedStatus, Offer
from models.reporting import ProgressUpdate
from models.services import needs
from models.services.needs import NeedFields
from tests.handlers.test_withdraw import clock, clocked  # noqa: F401
from tests.projects.test_dialogs import Chat, _published, _rows, bot, world  # noqa: F401
from tests.projects.world import World


def _two_needs_with_crossed_numbers(bot: App, world: World) -> tuple[int, int]:
    """Need #1「助学金」 claimed by 结对基金会 as claim 2, need #2「助学金二」 claimed by 教育促进会 as claim 1."""
    with unit_of_work(bot.engine) as session:
        first = needs.create_need(session, world.county, NeedFields("教育", "助学金，资助困难学生", 20), "test",
                                  status=NeedStatus.published).id
        second = needs.create_need(session, world.county, NeedFields("教育", "助学金二，资助困难学生", 30), "test",
                                   status=NeedStatus.published).id
    assert (first, second) == (1, 2)
    assert "已接单" in Chat(bot, "促进会联络人").send(f"接单 {second}")[0]
    assert "已接单" in Chat(bot, "结对联络人").send(f"接单 {first}")[0]
    assert [(c.id, c.need_id) for c in _rows(bot, NeedClaim)] == [(1, second), (2, first)]
    return first, second


def test_confirm_with_a_need_number_asks_which_claim_instead_of_confirming_another_need(bot: App, world: World) -> None:
    first, second = _two_needs_with_crossed_numbers(bot, world)
    county = Chat(bot, "县联络员")

    [asked] = county.send(f"确认 {first}")  # need #1 meant; claim 1 is 教育促进会's on need #2
    assert f"可能指需求 #{first}，也可能指接单 {first}" in asked
    assert "接单 2：结对基金会 → 需求 #1「助学金」" in asked and "接单 1：教育促进会 → 需求 #2「助学金二」" in asked
    assert county.buttons() == {"确认 接单2": "needok:2", "确认 接单1": "needok:1"}
    assert not _rows(bot, Project) and all(c.status == ClaimStatus.pending for c in _rows(bot, NeedClaim))

    [asked] = county.send(f"确认 需求{first}")  # the need named outright: its claims only
    assert asked.startswith(f"需求 #{first} 有以下接单等待您答复") and "教育促进会" not in asked
    [asked] = county.send(f"婉拒 {first} 已有安排")  # 婉拒 reads numbers the same way
    assert "也可能指接单 1" in asked and not [c for c in _rows(bot, NeedClaim) if c.status != ClaimStatus.pending]

    [listed] = county.send("确认")  # the list and the confirmation share one numbering: 接单 N
    assert "接单 2：结对基金会 → 需求 #1「助学金」" in listed and "“确认 接单编号”" in listed
    assert "回复“确认 接单2”" in county.send("我的需求")[0]

    [confirmed] = county.send("确认 接单2")
    assert confirmed.startswith("已确认由结对基金会承接需求 #1「助学金」，项目 #1 已建立。")
    [project] = _rows(bot, Project)
    assert project.need_id == first
    [asked] = county.send(f"确认 {first}")  # need #1 is taken on now; claim 1 is still another need's
    assert "也可能指接单 1" in asked and len(_rows(bot, Project)) == 1
    [confirmed] = county.send("確認接單1")  # Traditional, run together
    assert "承接需求 #2「助学金二」" in confirmed and len(_rows(bot, Project)) == 2


def test_the_documented_forms_still_confirm_when_the_number_means_one_claim(bot: App, world: World) -> None:
    need = _published(bot, world)
    Chat(bot, "促进会联络人").send(f"接单 {need.id}")
    [claim] = _rows(bot, NeedClaim)
    assert claim.id == need.id  # claim 1 is need #1's only claim: one meaning, confirmed
    [confirmed] = Chat(bot, "县联络员").send(f"确认 {claim.id}")
    assert "项目 #1 已建立" in confirmed
    # 7: no stray “。）。” when a proposed pairing is made
    assert "已建立（双方原未结对，已建立拟结对关系）。已通知" in confirmed and "。）。" not in confirmed
    [report] = Chat(bot, "县联络员").send("确认需求8户已走访")  # run together, then a figure: a report
    assert report.startswith("已记录：")


def test_a_negative_answer_in_the_need_dialog_is_refused_and_the_dialog_stays_open(bot: App, world: World) -> None:
    county = Chat(bot, "县联络员")
    [asked] = county.send("需求：饮水工程，受益300户")
    assert "需要多少资金" in asked
    [refused] = county.send("-50万元")
    assert "“-50万元”是负数，不可采用" in refused and "需要多少资金" in refused and "进展记录" not in refused
    [asked] = county.send("50万元")
    assert "金额 50 万元" in asked and "什么时候前完成" in asked

    county.send("需求：饮水工程，约50万元")
    [refused] = county.send("-30户")
    assert "“-30户”是负数" in refused and "受益多少户或多少人" in refused
    [refused] = county.send("－30户")  # full-width minus
    assert "是负数" in refused
    assert not _rows(bot, ProgressUpdate) and not _rows(bot, Need)


def test_amount_bounds_say_above_zero(bot: App, world: World) -> None:
    county = Chat(bot, "县联络员")
    county.send("需求：饮水工程，受益300户")
    [refused] = county.send("0.00001万元")
    assert "金额须大于 0、不超过 1,000,000 万元" in refused and "须在 0 到" not in refused


def test_an_unknown_province_in_an_offer_is_refused(bot: App, world: World) -> None:
    org = Chat(bot, "促进会联络人")
    before = len(_rows(bot, Offer))
    for text, name in (("供给 产业，火星，50万", "火星"), ("供给 教育，四州，50万", "四州"), ("供给 教育，四川、火星，60万", "火星")):
        [refused] = org.send(text)
        assert refused.startswith(f"省份“{name}”无法识别") and "供给未登记" in refused, refused
    assert len(_rows(bot, Offer)) == before
    assert "教育 · 四川 · 60 万元" in org.send("供给 教育 四川 60万元")[0]  # spaces: still read


def test_an_offer_registered_again_is_updated_not_made_twice(bot: App, world: World) -> None:
    org = Chat(bot, "促进会联络人")
    [made] = org.send("供給 健康，全国")
    assert "已登记供给" in made
    [again] = org.send("供给 健康，80万元")
    assert "已更新贵组织已有的供给" in again and "健康 · 全国 · 80 万元" in again and "已登记供给" not in again
    mine = [o for o in _rows(bot, Offer) if o.field == "健康"]
    assert [(o.provinces, o.capacity_wan) for o in mine] == [([], 80)]
    org.send("供给 教育，云南、四川，100万元")  # new: 教育促进会's offer of the world is for 四川 alone
    [again] = org.send("供给 教育，四川省、雲南，200万元")  # the same provinces in another order and spelling
    assert "已更新" in again
    assert sorted(o.capacity_wan for o in _rows(bot, Offer) if o.field == "教育" and o.contact_id) == [200]
    assert org.send("我的供给")[0].count("健康 · 全国") == 1


def test_push_with_a_negative_count_is_refused(bot: App, world: World) -> None:
    need = _published(bot, world)
    admin = Chat(bot, "管理员")
    for count in ("-1", "0", "－3", "99999999999"):
        assert admin.send(f"推送 {need.id} {count}") == ["推送的组织数须在 1 到 200 之间。"], count
    assert "推送预览" in admin.send(f"推送 {need.id}")[0]  # no count: the default


def test_claim_without_a_number_says_how_to_use_it(bot: App, world: World) -> None:
    _published(bot, world)
    org = Chat(bot, "促进会联络人")
    [usage] = org.send("接单 abc")
    assert usage.startswith("用法：接单 需求编号") and "进展记录" not in usage
    assert not _rows(bot, ProgressUpdate)
    assert "已接单" in org.send("接单 需求1")[0]
    assert [d.text for d in _rows(bot, Delivery) if "没有作为进展记录" in d.text] == []


def test_a_figure_after_confirm_is_not_a_claim_number(bot: App, world: World) -> None:
    """“确认 1万元” says an amount: claim 1 stays waiting; “确认 1” still confirms it."""
    need = _published(bot, world)
    Chat(bot, "促进会联络人").send(f"接单 {need.id}")
    [claim] = _rows(bot, NeedClaim)
    county = Chat(bot, "县联络员")
    for text in (f"确认 {claim.id}万元", f"确认 {claim.id}户", f"确认 {claim.id}.5万元"):
        county.send(text)
        assert not _rows(bot, Project) and _rows(bot, NeedClaim)[0].status == ClaimStatus.pending, text
    assert "项目 #1 已建立" in county.send(f"确认 {claim.id}")[0]
