"""The 项目库 in both languages: a scripted tour through every reply of the needs, offers, claims and
pushes in chat — in Chinese no English prose, in English no Chinese besides what the test itself wrote —
and notices composed in each recipient's own language when a county and an organization differ."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.i18n import using
from models.messaging import Delivery
from models.pairing import Project, ProjectStatus
from models.projects import Need, NeedClaim, NeedStatus, Offer
from models.registry import Organization
from models.reporting import ProgressUpdate
from models.services.ledger import Scope
from models.services.projects import finish_project
from tests.handlers.test_withdraw import clock, clocked  # noqa: F401
from tests.i18n.checks import chinese_in, english_prose
from tests.projects.test_dialogs import Chat, bot, world  # noqa: F401
from tests.projects.world import World

# What the test writes (and the world holds): names, descriptions, reasons stay as written in either language.
DATA = ["四川省", "四川", "布拖县", "昭觉县", "结对基金会", "教育促进会", "云南公益会", "县联络员", "管理员",
        "冷链仓储设备，约80万元，受益300户，2027年6月底前", "为全县建设公共服务中心", "冷链仓储设备", "图书室建设", "已有其他资金安排",
        "已由省级财政资金解决", "本月投入资金20万元，采购设备", "随便说说吧"]

# Code in Chinese screens: “（pairbot projects close）” (the checker reads the chunk before it as one word).
ALLOWED = ["projects", "close"]


@dataclass(frozen=True)
class Words:
    """What each participant types in one language (input, not checked)."""

    language: str
    need: str
    my_needs: str
    edit: str
    withdraw_need: str
    offer: str
    my_offers: str
    withdraw_offer: str
    open_needs: str
    claim: str
    confirm: str
    decline: str
    drafts: str
    publish: str
    push: str
    close: str
    amount: str
    amount_edit: str
    households: str
    all_in_one: str
    offer_text: str
    cancel: str
    project: str


ZH = Words("", "需求", "我的需求", "修改需求", "撤回需求", "供给", "我的供给", "撤回供给", "可接需求", "接单", "确认", "婉拒",
           "待发布", "发布", "推送", "关闭需求", "80万元", "90万元", "300户", "冷链仓储设备，约80万元，受益300户，2027年6月底前",
           "教育，四川，200万元", "取消", "项目{id}：")
EN = Words("English", "/need", "/myneeds", "/editneed", "/withdrawneed", "/offer", "/myoffers", "/withdrawoffer",
           "/openneeds", "/claim", "/confirm", "/decline", "/drafts", "/publish", "/push", "/closeneed",
           "800,000 yuan", "900,000 yuan", "300 households",
           "冷链仓储设备, about 800,000 yuan, 300 households, by 2027-06-30", "education, nationwide, 2,000,000 yuan",
           "cancel", "项目{id}：")


def checker(words: Words) -> Callable[[str], None]:
    """The language check of one screen: English prose in Chinese, Chinese in English."""
    def check(text: str) -> None:
        if words.language:
            assert chinese_in(text, DATA) == [], text
        else:
            assert english_prose(text, ALLOWED) == [], text
    return check


def _rows(app: App, model: type) -> list:  # type: ignore[type-arg]
    with Session(app.engine) as session:
        return list(session.exec(select(model).order_by(model.id)).all())  # type: ignore[attr-defined]


def _set(chats: list[Chat], language: str) -> None:
    for chat in chats:
        [said] = chat.send(f"语言 {language}")
        assert "English" in said


def tour(app: App, words: Words) -> None:
    """Every reply of the 项目库, each checked; then every message and button any chat received."""
    county, admin = Chat(app, "县联络员"), Chat(app, "管理员")
    paired, other = Chat(app, "结对联络人"), Chat(app, "促进会联络人")
    check = checker(words)
    if words.language:
        _set([county, admin, paired, other], words.language)
    start = len(county.channel.sent)

    def say(chat: Chat, text: str = "", data: str | None = None) -> list[str]:
        replies = chat.send(text, data)
        assert replies, text
        for reply in replies:
            check(reply)
        for label in chat.buttons():
            check(label)
        return replies

    def press(chat: Chat, index: int) -> list[str]:
        return say(chat, data=list(chat.buttons().values())[index])

    # The 需求 dialog: questions, a reply it does not understand, a field button, skip, save.
    say(county, words.need)
    say(county, "为全县建设公共服务中心")  # no field in it: the field question, a button per field
    assert len(county.buttons()) == 8
    say(county, "随便说说吧")
    press(county, 0)  # the first field
    say(county, words.amount)
    say(county, words.households)
    press(county, 0)  # skip the date
    [saved] = press(county, 0)  # save
    first = _rows(app, Need)[-1]
    assert first.amount_wan == 80 and first.households == 300 and str(first.id) in saved
    say(county, f"{words.edit} {first.id} {words.amount_edit}")
    say(county, words.edit)
    assert _rows(app, Need)[-1].amount_wan == 90
    # A second need in one message, withdrawn; a third to be closed; a fourth cancelled.
    say(county, f"{words.need} {words.all_in_one}")
    press(county, 0)
    second = _rows(app, Need)[-1]
    say(county, words.withdraw_need)
    say(county, f"{words.withdraw_need} {second.id}")
    say(county, f"{words.withdraw_need} {second.id}")  # already withdrawn: refused
    say(county, f"{words.need} 图书室建设，2027年6月底前")
    press(county, 0)  # the field
    say(county, words.cancel)
    say(county, f"{words.need} {words.all_in_one}")
    press(county, 0)
    third = _rows(app, Need)[-1]
    say(county, words.my_needs)

    # 供给 for organizations.
    say(other, words.offer)
    say(other, f"{words.offer} {words.offer_text}")
    say(other, words.my_offers)
    offer_id = max(row.id for row in _rows(app, Offer))
    say(other, f"{words.withdraw_offer} {offer_id}")
    say(other, words.withdraw_offer)
    say(other, words.open_needs)
    say(county, f"{words.offer} {words.offer_text}")  # the wrong role: refused

    # Admins: drafts, publish, push with a preview and its confirmation, close.
    say(admin, words.drafts)
    say(admin, words.publish)
    say(admin, f"{words.publish} {first.id}")
    say(admin, f"{words.publish} {third.id}")
    say(admin, f"{words.push} {first.id} 5")
    press(admin, 0)  # confirm push
    say(admin, f"{words.push} {third.id}")
    press(admin, 1)  # cancel
    say(admin, words.drafts)

    # Claims: the pushed notice's button, the words; the county declines one with a reason, confirms one.
    press(paired, 0)
    say(other, f"{words.claim} {first.id}")
    say(other, f"{words.claim} {first.id}")  # twice: refused
    say(other, f"{words.claim} {third.id}")
    say(other, words.open_needs)
    say(county, words.my_needs)
    say(county, words.decline)
    claims = {(c.need_id, c.organization_id): c.id for c in _rows(app, NeedClaim)}
    say(county, f"{words.decline} {claims[(first.id, world_ids(app)[1])]}")
    say(county, words.cancel)
    say(county, f"{words.decline} {claims[(first.id, world_ids(app)[1])]}")
    say(county, "已有其他资金安排")
    say(county, f"{words.confirm} {claims[(first.id, world_ids(app)[0])]}")
    say(admin, words.close)
    say(admin, f"{words.close} {third.id} 已由省级财政资金解决")
    say(admin, f"{words.close} {first.id} 已由省级财政资金解决")  # in progress: refused

    # A progress update naming the project (the reply is the report handler's; its filing is checked here).
    [project] = _rows(app, Project)
    report_from = len(paired.channel.sent)
    paired.send(words.project.format(id=project.id) + "本月投入资金20万元，采购设备")
    assert _rows(app, ProgressUpdate)[-1].project_id == project.id
    report_to = len(paired.channel.sent)
    queued: list[int] = []
    with Session(app.engine) as session:
        finish_project(session, Scope(), project.id, ProjectStatus.done, "", "cli", app_now(), queued)
        session.commit()
    finished = [d.text for d in _rows(app, Delivery) if d.id in queued]
    assert len(finished) == 2  # the county and the organization
    for text in finished:
        check(text)

    # Every message and button any chat of the 项目库 received on the way (notices included).
    for index, out in enumerate(county.channel.sent):
        if index >= start and not report_from <= index < report_to:
            check(out.text)
            for button in out.buttons:
                check(button.label)
    assert _rows(app, Need)[-1].status == NeedStatus.closed


def world_ids(app: App) -> tuple[int, int]:
    """(结对基金会, 教育促进会): the two organizations that take the first need on."""
    names = {org.name: org.id for org in _rows(app, Organization)}
    return names["结对基金会"], names["教育促进会"]


def app_now() -> datetime:
    """The tests' clock (2026-11-29 in Beijing)."""
    return datetime(2026, 11, 29, 4, tzinfo=UTC)


@pytest.mark.parametrize("words", [ZH, EN], ids=["zh", "en"])
def test_every_reply_and_notice_of_the_project_bank_speaks_one_language(bot: App, world: World,  # noqa: F811
                                                                        words: Words) -> None:
    tour(bot, words)


def test_a_chinese_county_and_an_english_organization_each_get_their_own_language(bot: App,  # noqa: F811
                                                                                  world: World) -> None:  # noqa: F811
    county, admin, org = Chat(bot, "县联络员"), Chat(bot, "管理员"), Chat(bot, "结对联络人")
    _set([org], "English")
    county.send("需求：冷链仓储设备，约80万元，受益300户，2027年6月底前")
    county.press("保存")
    need = _rows(bot, Need)[-1]
    admin.send(f"发布 {need.id}")
    admin.send(f"推送 {need.id}")
    admin.press("确认推送")
    [pushed] = [out for out in org.channel.sent if out.chat_id == "结对联络人"][-1:]
    assert "has published" in pushed.text and "about 800,000 yuan" in pushed.text
    assert chinese_in(pushed.text, DATA) == [] and [b.label for b in pushed.buttons] == ["Take on"]
    [claimed] = org.press("Take on")
    assert chinese_in(claimed, DATA) == [] and "The county contact has been asked to confirm" in claimed
    notice = [out for out in county.channel.sent if out.chat_id == "县联络员"][-1]
    assert notice.text.startswith(f"结对基金会对需求 #{need.id}「冷链仓储设备」接单") and english_prose(notice.text) == []
    assert [b.label for b in notice.buttons] == ["确认", "婉拒"]
    [confirmed] = county.press("确认")
    assert confirmed.startswith("已确认由结对基金会承接") and english_prose(confirmed) == []
    told = [out.text for out in org.channel.sent if out.chat_id == "结对联络人"][-1]
    assert told.startswith("布拖县 has confirmed that your organization takes on Need #") and chinese_in(told, DATA) == []
    [project] = _rows(bot, Project)
    with Session(bot.engine) as session, using("zh_CN"):
        finish_project(session, Scope(), project.id, ProjectStatus.closed, "资金未到位", "cli", app_now(), [])
        session.commit()
    closed_zh = [d.text for d in _rows(bot, Delivery) if d.chat_id == "县联络员"][-1]
    closed_en = [d.text for d in _rows(bot, Delivery) if d.chat_id == "结对联络人"][-1]
    assert closed_zh == f"项目 #{project.id}「冷链仓储设备」已关闭：资金未到位。"
    assert closed_en == f"Project #{project.id} \"冷链仓储设备\" is now closed: 资金未到位."
