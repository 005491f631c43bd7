"""The 项目库 dialog through the real channels, on SQLite and PostgreSQL: python-telegram-bot against the
Telegram stand-in (inline buttons, callback queries) and the WeCom callback against the WeCom stand-in
(buttons as numbered lines, a number presses one). One need goes from the county contact's first message
to a confirmed project; forged and replayed presses are refused."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import App
from models.messaging import InboundMessage
from models.pairing import Project
from models.projects import Need, NeedClaim, NeedStatus
from models.registry import Role
from models.services.projects import project_figures, project_updates
from tests.factories import CODES, add_org, county_id, invite, load_counties, pair
from tests.integration.test_telegram import Bot, start_bot, stop_bot
from tests.integration.test_wecom import WeCom, api, wecom  # noqa: F401
from tests.standins.telegram_api import TelegramApiStandIn

ALL_IN_ONE = "需求：冷链仓储设备，约80万元，受益300户，2027年6月底前"


def _rows(app: App, model: type) -> list:  # type: ignore[type-arg]
    with Session(app.engine) as session:
        return list(session.exec(select(model).order_by(model.id)).all())  # type: ignore[attr-defined]


def _invites(app: App) -> dict[str, str]:
    """A county, its paired organization and an admin: one invite code each."""
    load_counties(app.engine)
    cid = county_id(app.engine, "布拖县")
    org = add_org(app.engine, "中国社会福利基金会", CODES[0])
    pair(app.engine, org, cid)
    return {"county": invite(app.engine, Role.county, county=cid, name="阿木"),
            "org": invite(app.engine, Role.organization, org=org, name="李娜"),
            "admin": invite(app.engine, Role.admin, name="王主任")}


# --- Telegram ---------------------------------------------------------------------------------------------

def _buttons(bot: Bot, chat_id: int) -> dict[str, str]:
    """The inline keyboard of the last message sent to the chat: label → callback data."""
    sent = [p for p in bot.api.requests("sendMessage") if str(p["chat_id"]) == str(chat_id)]
    rows = sent[-1].get("reply_markup", {}).get("inline_keyboard", []) if sent else []
    return {button["text"]: button["callback_data"] for row in rows for button in row}


def _press(bot: Bot, user_id: int, data: str, expect: int = 1) -> list[str]:
    before = len(bot.api.sent_texts(user_id))
    bot.api.inject(bot.updates.press(user_id, data))
    sent = bot.api.wait_sent(user_id, before + expect)[before:]
    bot.app.queue.join()
    return sent


def test_telegram_need_to_project_with_inline_buttons(db_url: str, telegram_api: TelegramApiStandIn) -> None:  # noqa: F811
    bot = start_bot(db_url, telegram_api)
    county, org, admin = 1101, 1102, 1103
    try:
        codes = _invites(bot.app)
        for user, role in ((county, "county"), (org, "org"), (admin, "admin")):
            assert "绑定成功" in bot.say(user, f"/start {codes[role]}")[0]

        [refused] = bot.say(county, "需求 冷链设备\x00，1e30万元")
        assert "“1e30万元”不是可以采用的数字" in refused and "需要多少资金" in refused
        assert _rows(bot.app, InboundMessage)[-1].text == "需求 冷链设备\\u0000，1e30万元"
        [summary] = bot.say(county, ALL_IN_ONE)
        assert "之前未保存的需求草稿已放弃" in summary and "领域：产业" in summary and "金额：80 万元" in summary
        keyboard = _buttons(bot, county)
        assert list(keyboard) == ["保存", "取消"]
        [saved] = _press(bot, county, keyboard["保存"])
        assert "已保存为草稿" in saved
        [need] = _rows(bot.app, Need)

        assert "已发布" in bot.say(admin, f"发布 {need.id}")[0]
        assert "推送预览" in bot.say(admin, f"推送 {need.id}")[0]
        [pushed] = _press(bot, admin, _buttons(bot, admin)["确认推送"])
        assert "已推送" in pushed and "中国社会福利基金会" in pushed
        claim_button = bot.api.wait_for(lambda: _buttons(bot, org).get("接单"))
        assert claim_button == f"needclaim:{need.id}"

        assert _press(bot, org, "needclaim:1x") == ["无法识别的按钮，已忽略。"]  # forged
        assert "不能接单" in _press(bot, org, "needclaim:424242")[0]
        [claimed] = _press(bot, org, claim_button)
        assert "已接单" in claimed
        decision = bot.api.wait_for(lambda: _buttons(bot, county).get("确认") and _buttons(bot, county))
        [claim] = _rows(bot.app, NeedClaim)
        assert decision == {"确认": f"needok:{claim.id}", "婉拒": f"needno:{claim.id}"}
        assert "请点“确认”或“婉拒”" in bot.api.sent_texts(county)[-1]

        [confirmed] = _press(bot, county, decision["确认"])
        assert "已确认由中国社会福利基金会承接" in confirmed
        assert _press(bot, county, decision["确认"]) == [f"接单 {claim.id} 已处理（已确认）。"]  # replayed
        assert bot.say(county, f"確認 {claim.id}") == [f"接单 {claim.id} 已处理（已确认）。"]
        [project] = _rows(bot.app, Project)
        assert project.need_id == need.id and _rows(bot.app, Need)[0].status == NeedStatus.in_progress
        assert "项目 #" in bot.api.wait_for(lambda: [t for t in bot.api.sent_texts(org) if "已确认由贵组织承接" in t])[0]
        assert f"已记入项目 #{project.id}" in bot.say(org, f"项目{project.id}：本月投入资金20万元")[-1]
        _project_counts(bot.app, project.id, 20)
        assert len(bot.api.requests("answerCallbackQuery")) == 7  # every press stopped its spinner
    finally:
        stop_bot(bot)


def _project_counts(app: App, project_id: int, funds: float) -> None:
    """The progress update on the project went into its figures (and so into the pairing's ledger)."""
    with Session(app.engine) as session:
        assert project_figures(project_updates(session, project_id)) == {"funds_wan": funds}


# --- WeCom ------------------------------------------------------------------------------------------------

def _wecom_notice(wecom: WeCom, user: str, words: str) -> str:
    wecom.settle()
    [text] = [t for t in wecom.api.texts_to(user) if words in t][-1:]
    return text


def test_wecom_need_to_project_with_numbered_choices(wecom: WeCom) -> None:  # noqa: F811
    codes = _invites(wecom.app)
    for user, role in (("amu", "county"), ("lina", "org"), ("wang", "admin")):
        assert "绑定成功" in wecom.say(user, f"绑定 {codes[role]}")[0]

    [asked] = wecom.say("amu", "需求 冷链仓储设备，受益300户")
    assert "需要多少资金" in asked and asked.endswith("回复序号：\n1. 跳过\n2. 取消")
    [asked] = wecom.say("amu", "1")  # 跳过, by number
    assert "什么时候前完成" in asked
    [summary] = wecom.say("amu", "2027年6月底")
    assert "金额：未填" in summary and summary.endswith("1. 保存\n2. 取消")
    [saved] = wecom.say("amu", "1")
    assert "已保存为草稿" in saved
    [need] = _rows(wecom.app, Need)

    assert "已发布" in wecom.say("wang", f"發布 {need.id}")[0]  # Traditional
    [listed] = wecom.say("lina", "可接需求")
    assert f"#{need.id}「冷链仓储设备」四川省布拖县" in listed and listed.endswith(f"1. 接单 #{need.id}")
    [claimed] = wecom.say("lina", "1")
    assert "已接单" in claimed
    [claim] = _rows(wecom.app, NeedClaim)
    notice = _wecom_notice(wecom, "amu", "接单")
    assert notice.endswith("1. 确认\n2. 婉拒")
    [confirmed] = wecom.say("amu", "1")
    assert "已确认由中国社会福利基金会承接" in confirmed
    assert wecom.say("amu", f"確認 {claim.id}") == [f"接单 {claim.id} 已处理（已确认）。"]  # a second confirmation
    assert wecom.say("amu", "确认 999") == ["没有编号为 999 的本县接单。"]
    assert "不能接单" in wecom.say("lina", f"接單 {need.id}")[0]
    [project] = _rows(wecom.app, Project)
    assert project.need_id == need.id
    assert "项目 #" in _wecom_notice(wecom, "lina", "已确认由贵组织承接")
    assert f"已记入项目 #{project.id}" in wecom.say("lina", f"项目{project.id}：本月投入资金15万元")[-1]
    _project_counts(wecom.app, project.id, 15)
