"""The 项目库 in chat: one need from a county contact's first message to a confirmed project, on SQLite and
PostgreSQL, through the console channel; forged and replayed buttons, restarts, Traditional words, NUL bytes
and absurd amounts. (Telegram and WeCom: test_dialogs_channels.py.)"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.channels.console import NAME as CONSOLE, ConsoleChannel
from bot.config import Settings
from bot.db import unit_of_work
from bot.simulator import Simulator
from models.messaging import Delivery, InboundMessage
from models.pairing import Pairing, PairingStatus, Project
from models.projects import ClaimStatus, Need, NeedClaim, NeedStatus, Offer
from models.registry import Contact, Role
from models.reporting import ProgressUpdate
from models.services import needs
from models.services.projects import project_figures, project_updates
from tests.handlers.test_reporting import Clock
from tests.handlers.test_withdraw import clock, clocked  # noqa: F401
from tests.projects.world import World, build, contact

ALL_IN_ONE = "需求：冷链仓储设备，约80万元，受益300户，2027年6月底前"


@pytest.fixture
def bot(clocked: App) -> App:
    """The app on a fixed clock (2026-11-29 in Beijing), with the console channel."""
    return clocked


@pytest.fixture
def world(bot: App) -> World:
    world = build(bot.engine)
    contact(bot.engine, "管理员", Role.admin)
    return world


class Chat:
    """The console seen by one sender: what they send, and only what was sent to their chat."""

    def __init__(self, app: App, sender: str) -> None:
        self.sim = Simulator(app, sender, sender)
        self.channel = self.sim.channel

    def send(self, text: str = "", data: str | None = None) -> list[str]:
        before = len(self.channel.sent)
        self.sim.send(text, callback_data=data)
        return [out.text for out in self.channel.sent[before:] if out.chat_id == self.sim.sender_id]

    def buttons(self) -> dict[str, str]:
        """The buttons of the last message sent to this chat: label → data."""
        mine = [out for out in self.channel.sent if out.chat_id == self.sim.sender_id]
        return {button.label: button.data for button in mine[-1].buttons} if mine else {}

    def press(self, label: str) -> list[str]:
        return self.send(data=self.buttons()[label])


def _rows(app: App, model: type) -> list:  # type: ignore[type-arg]
    with Session(app.engine) as session:
        return list(session.exec(select(model).order_by(model.id)).all())  # type: ignore[attr-defined]


def _need(app: App) -> Need:
    [need] = [n for n in _rows(app, Need) if n.status != NeedStatus.withdrawn]
    return need


def test_one_need_from_the_first_message_to_a_confirmed_project(bot: App, world: World) -> None:
    county, admin = Chat(bot, "县联络员"), Chat(bot, "管理员")
    paired, other = Chat(bot, "结对联络人"), Chat(bot, "促进会联络人")

    [summary] = county.send(ALL_IN_ONE)
    assert "领域：产业" in summary and "金额：80 万元" in summary and "受益：300 户" in summary
    assert "期望完成：2027-06-30" in summary and list(county.buttons()) == ["保存", "取消"]
    [saved] = county.press("保存")  # everything in one message: one confirmation
    need = _need(bot)
    assert f"需求 #{need.id}「冷链仓储设备」" in saved and need.status == NeedStatus.draft
    assert (need.field, need.amount_wan, need.households, need.wanted_by) == ("产业", 80, 300, date(2027, 6, 30))
    assert need.description == ALL_IN_ONE.removeprefix("需求：")
    assert f"#{need.id}「冷链仓储设备」产业 · 80 万元 · 草稿" in county.send("我的需求")[0]

    assert f"#{need.id} 四川省布拖县" in admin.send("待发布")[0]
    [published] = admin.send(f"发布 {need.id}")
    assert "已发布" in published and "1. 结对基金会（已与本县结对）" in published
    assert _need(bot).status == NeedStatus.published and "已发布" in county.send("我的需求")[0]
    [preview] = admin.send(f"推送 {need.id} 5")
    assert "推送预览" in preview and "结对基金会" in preview and list(admin.buttons()) == ["确认推送", "取消"]
    assert not [d for d in _rows(bot, Delivery) if d.chat_id == "结对联络人"]  # nothing goes out before 确认
    [pushed] = admin.send("确认")
    assert "已推送" in pushed and "结对基金会" in pushed
    assert paired.buttons() == {"接单": f"needclaim:{need.id}"}

    [claimed] = paired.press("接单")
    assert "已接单" in claimed and "四川省布拖县" in claimed
    [claim] = _rows(bot, NeedClaim)
    assert county.buttons() == {"确认": f"needok:{claim.id}", "婉拒": f"needno:{claim.id}"}
    [also] = other.send(f"接单 {need.id}")  # a second organization takes it on too
    assert "已接单" in also
    [confirmed] = county.press("确认")  # the button of the newest notice: 促进会's claim
    assert "已确认由教育促进会承接" in confirmed and "已建立拟结对关系" in confirmed

    [project] = _rows(bot, Project)
    assert (project.need_id, project.field, project.amount_wan) == (need.id, "产业", 80)
    with Session(bot.engine) as session:
        pairing = session.get(Pairing, project.pairing_id)
        assert pairing is not None and pairing.status == PairingStatus.proposed
        steps = [row.action for row in needs.history(session, need.id)]  # type: ignore[arg-type]
    assert steps == ["need.create", "need.publish", "need.push", "need.claim", "need.claim", "need.confirm"]
    assert _need(bot).status == NeedStatus.in_progress
    assert [c.status for c in _rows(bot, NeedClaim)] == [ClaimStatus.lost, ClaimStatus.confirmed]
    told = [d.text for d in _rows(bot, Delivery) if d.chat_id == "结对联络人"]
    assert "已由其他组织承接" in told[-1]
    assert f"项目 #{project.id} 已建立" in [d.text for d in _rows(bot, Delivery) if d.chat_id == "促进会联络人"][-1]

    # The organization reports on the project: filed under it, counted once in the ledger of the new pairing.
    [reported] = other.send(f"项目{project.id}：本月投入资金20万元，采购冷链设备")
    assert f"已记入项目 #{project.id}「冷链仓储设备」" in reported
    with Session(bot.engine) as session:
        assert project_figures(project_updates(session, project.id)) == {"funds_wan": 20}  # type: ignore[arg-type]
        [update] = session.exec(select(ProgressUpdate).where(ProgressUpdate.project_id == project.id)).all()
        assert update.pairing_id == project.pairing_id and "产业" in update.fields


def _published(bot: App, world: World) -> Need:
    county, admin = Chat(bot, "县联络员"), Chat(bot, "管理员")
    county.send(ALL_IN_ONE)
    county.press("保存")
    admin.send(f"发布 {_need(bot).id}")
    return _need(bot)


def test_forged_replayed_and_strangers_buttons_are_refused(bot: App, world: World) -> None:
    need = _published(bot, world)
    county, paired = Chat(bot, "县联络员"), Chat(bot, "结对联络人")
    stranger = Chat(bot, "邻县联络员")
    contact(bot.engine, "邻县联络员", Role.county, county=world.other_county)

    assert paired.send(data="needclaim:abc") == ["无法识别的按钮，已忽略。"]
    # Digits str.isdigit() accepts and int() refuses, and a number past PostgreSQL's INTEGER: forged data.
    assert paired.send(data="needclaim:²") == ["无法识别的按钮，已忽略。"]
    assert paired.send(data="needclaim:999999999999") == ["无法识别的按钮，已忽略。"]
    assert paired.send(data="needok:999999999999") == ["无法识别的按钮，已忽略。"]
    assert paired.send(data="needclaim:99999999") == ["需求 #99999999不存在或尚未发布，不能接单。"]
    assert county.send(data=f"needclaim:{need.id}") == ["只有社会组织联络人可以接单。"]
    assert not _rows(bot, NeedClaim)

    paired.send(f"接单 {need.id}")
    [claim] = _rows(bot, NeedClaim)
    assert paired.send(data=f"needok:{claim.id}") == ["确认或婉拒接单由需求所在县的联络员操作。"]  # not a county
    assert paired.send(f"确认 {claim.id}") == ["确认或婉拒接单由需求所在县的联络员操作。"]
    assert stranger.send(data=f"needok:{claim.id}") == [f"没有编号为 {claim.id} 的本县接单。"]
    assert stranger.send(f"确认 {claim.id}") == [f"没有编号为 {claim.id} 的本县接单。"]
    assert county.send(data="needok:1;drop table need") == ["无法识别的按钮，已忽略。"]
    assert county.send(data="needdraft:999:save") == ["这个按钮不属于您，已忽略。"]
    for forged in ("needdraft:99999999999999999999:save", "needdraft:²:save"):
        assert county.send(data=forged) == ["无法识别的按钮，已忽略。"], forged  # no handler error, no apology
    assert not _rows(bot, Project)

    [first] = county.send(f"确认 {claim.id}")
    assert "项目 #" in first
    assert county.send(data=f"needok:{claim.id}") == [f"接单 {claim.id} 已处理（已确认）。"]  # replayed
    assert county.send(data=f"needno:{claim.id}") == [f"接单 {claim.id} 不是等待本县确认的接单（可能已处理）。"]
    assert len(_rows(bot, Project)) == 1
    refused = [row.action for row in _rows_audit(bot) if row.action.endswith("_refused")]
    assert "need.claim_refused" in refused and "need.decision_refused" in refused


def _rows_audit(bot: App) -> list:  # type: ignore[type-arg]
    from models.messaging import AuditLog

    return _rows(bot, AuditLog)


def test_decline_without_a_reason_asks_for_one(bot: App, world: World) -> None:
    need = _published(bot, world)
    county, org = Chat(bot, "县联络员"), Chat(bot, "促进会联络人")
    org.send(f"接單 {need.id}")  # Traditional
    [claim] = _rows(bot, NeedClaim)
    [asked] = county.press("婉拒")
    assert "请回复婉拒的原因" in asked
    assert county.send("取消") == [f"好的，暂不婉拒，接单 {claim.id} 仍等待您确认。"]
    assert _rows(bot, NeedClaim)[0].status == ClaimStatus.pending
    county.send(data=f"needno:{claim.id}")
    [declined] = county.send("已有其他资金安排")
    assert declined == f"已婉拒教育促进会对需求 #{need.id} 的接单，原因已转告：已有其他资金安排"
    assert _rows(bot, NeedClaim)[0].status == ClaimStatus.declined and not _rows(bot, ProgressUpdate)
    assert "已有其他资金安排" in [d.text for d in _rows(bot, Delivery) if d.chat_id == "促进会联络人"][-1]
    assert _need(bot).status == NeedStatus.published  # open again for others

    Chat(bot, "结对联络人").send(f"接单 {need.id}")
    second = _rows(bot, NeedClaim)[1]
    [typed] = county.send(f"婉拒 {second.id} 项目已由省里安排")
    assert "原因已转告：项目已由省里安排" in typed
    assert county.send(f"確認 {second.id}") == [f"接单 {second.id} 已处理（已婉拒）。"]  # Traditional 確認


def test_the_dialog_asks_for_what_is_missing_and_survives_a_restart(settings: Settings, clock: Clock) -> None:  # noqa: F811
    first = App(settings, channels={CONSOLE: ConsoleChannel()}, clock=clock)
    first.queue.start_worker()
    try:
        build(first.engine)
        county = Chat(first, "县联络员")
        [asked] = county.send("/need")
        assert "请用一句话写明需要什么" in asked
        [asked] = county.send("村级幸福院改造")
        assert "已记下：领域 养老" in asked and "需要多少资金" in asked and list(county.buttons()) == ["跳过", "取消"]
    finally:
        first.close()
    second = App(settings, channels={CONSOLE: ConsoleChannel()}, clock=clock)
    second.queue.start_worker()
    try:
        county = Chat(second, "县联络员")
        [asked] = county.send("120")  # a bare number answers “how much?” in 万元
        assert "金额 120 万元" in asked and "受益多少户或多少人" in asked
        [asked] = county.press("跳过")
        assert "什么时候前完成" in asked
        [summary] = county.send("明年6月底")
        assert "受益：未填" in summary and "期望完成：2027-06-30" in summary
        [summary] = county.send("领域 健康")  # a change at the summary
        assert "领域：健康" in summary
        [saved] = county.send("保存")
        assert "已保存为草稿" in saved
        need = _need(second)
        assert (need.field, need.amount_wan, need.households, need.wanted_by) == ("健康", 120, None, date(2027, 6, 30))
    finally:
        second.close()


def test_field_buttons_and_a_report_sent_during_the_dialog(bot: App, world: World) -> None:
    county = Chat(bot, "县联络员")
    [asked] = county.send("需求 村道路灯采购安装，约30万元")  # 其他: the parser's cue, no question
    assert "领域 其他" in asked
    [asked] = county.send("需求 县城冷库与乡镇物流")
    assert "之前未保存的需求草稿已放弃" in asked and "帮扶领域" not in asked  # 冷库 → 产业
    [asked] = county.send("需求 解决群众出行难问题")
    assert "帮扶领域" in asked and list(county.buttons())[:7] == ["产业", "就业", "教育", "健康", "养老", "消费", "其他"]
    [asked] = county.send("你好")
    assert asked.startswith("没有看懂这个回答，需求草稿未改动。")
    [asked] = county.send("教育、健康")
    assert "提到了多个领域（教育、健康），一项需求请选一个主要领域" in asked and "帮扶领域" in asked
    [asked] = county.press("养老")
    assert "已记下：领域 养老" in asked

    [recorded] = county.send("本月投入帮扶资金20万元，带动38户增收")  # one message: the report's answer, then the note
    assert recorded.startswith("已记录：") and "\n（以上已作为进展记录。）您的需求草稿还没有保存。需要多少资金" in recorded
    [update] = _rows(bot, ProgressUpdate)
    assert update.funds_wan == 20  # the report is a report, and the draft kept its place
    [withdrawn] = county.send("撤回")  # 撤回 still withdraws the update, the dialog stays open
    assert "已撤回您" in withdrawn
    assert "已为您暂停报送提醒和通知" in county.send("退订")[0]  # opt-out words are never an answer
    assert county.send("恢复")[0].startswith("已恢复")
    [asked] = county.send("50万元")
    assert "金额 50 万元" in asked
    assert county.send("取消") == ["已取消，这条需求没有保存。"]
    assert not _rows(bot, Need)
    [after] = county.send("取消")  # nothing open: an ordinary message again
    assert "需求" not in after
    [report] = county.send("需求调研走访3个村，投入资金5万元")  # the word run into a report is a report
    assert report.startswith("已记录：") and _rows(bot, ProgressUpdate)[-1].funds_wan == 5
    [report] = county.send("确认收到捐款2万元")  # 确认 with no number is no answer to a claim
    assert report.startswith("已记录：")


def test_nul_bytes_and_absurd_amounts_are_refused_clearly_and_nothing_is_lost(bot: App, world: World) -> None:
    county = Chat(bot, "县联络员")
    text = "需求 冷链设备，10的20次方元，受益300户，2027年6月底前"
    [asked] = county.send(text)
    assert "“10的20次方元”不是可以采用的数字" in asked and "需要多少资金" in asked
    assert [m.text for m in _rows(bot, InboundMessage)][-1] == text  # stored verbatim
    [asked] = county.send("1e30万元")
    assert "“1e30万元”不是可以采用的数字" in asked and "需要多少资金" in asked
    [asked] = county.send("9" * 40 + "万元")
    assert "不可采用" in asked
    [summary] = county.send("80万元")
    assert "金额：80 万元" in summary and "受益：300 户" in summary
    county.press("保存")
    need = _need(bot)
    assert need.amount_wan == 80 and need.description == "冷链设备，10的20次方元，受益300户，2027年6月底前"

    [asked] = county.send("需求 图书室\x00建设，约1e30万元，惠及500人，2027年6月底前")
    assert "不是可以采用的数字" in asked
    [summary] = county.send("跳过")
    county.send("保存")
    latest = _rows(bot, Need)[-1]
    assert latest.description == "图书室\\u0000建设，约1e30万元，惠及500人，2027年6月底前"
    assert (latest.amount_wan, latest.people) == (None, 500)
    assert county.send(f"修改需求 {latest.id} 1e30万元") == \
        ["“1e30万元”不是可以采用的数字（金额须大于 0、不超过 1,000,000 万元，户数、人数在 1 到 10,000,000 之间），未采用。需求未修改。"]


def test_edit_withdraw_and_the_withdraw_command_of_updates(bot: App, world: World) -> None:
    county = Chat(bot, "县联络员")
    county.send(ALL_IN_ONE)
    county.press("保存")
    need = _need(bot)
    [edited] = county.send(f"修改需求 {need.id} 90万元，2027年12月底")
    assert "金额：90 万元" in edited and "期望完成：2027-12-31" in edited and "内容：冷链仓储设备" in edited
    [edited] = county.send(f"修改需求 {need.id} 冷链仓储设备及分拣线，约120万元")
    assert "内容：冷链仓储设备及分拣线" in edited and "受益：300 户" in edited  # unstated values kept
    county.send("本月投入帮扶资金20万元")
    assert "已撤回您" in county.send("撤回")[0]
    assert county.send(f"撤回需求 {need.id}") == [f"已撤回需求 #{need.id}「冷链仓储设备及分拣线」。"]
    assert county.send(f"修改需求 {need.id} 50万元") == \
        [f"需求 #{need.id}「冷链仓储设备及分拣线」当前为已撤回，不能再修改；如需调整请联系管理员。需求未修改。"]
    assert "本县还没有提交需求" in county.send("我的需求")[0]


def test_offers_in_chat(bot: App, world: World) -> None:
    org, county = Chat(bot, "促进会联络人"), Chat(bot, "县联络员")
    [done] = org.send("供给 教育，四川、云南，200万元")
    assert "已登记供给" in done and "教育 · 四川、云南 · 200 万元" in done
    [done] = org.send("供給 健康、养老，全国")  # Traditional word, two fields, nationwide
    assert "健康 · 全国" in done and "养老 · 全国" in done
    offers = [o for o in _rows(bot, Offer) if o.contact_id is not None]
    assert [(o.field, o.provinces, o.capacity_wan) for o in offers] == [
        ("教育", ["四川省", "云南省"], 200), ("健康", [], None), ("养老", [], None)]
    assert "供给未登记" in org.send("供给 教育，广西、西藏，1e30万元")[0]
    assert "请写明帮扶领域" in org.send("供给 四川，50万元")[0]
    assert len(_rows(bot, Offer)) == 2 + 3
    assert "已撤回供给" in org.send(f"撤回供給 {offers[0].id}")[0]
    assert "（已撤回）" in org.send("我的供给")[0]
    assert "供给由社会组织联络人登记" in county.send("供给 教育，四川，20万元")[0]
    [report] = county.send("供给侧帮扶投入资金20万元")  # the word run into a report is a report
    assert report.startswith("已记录：") and _rows(bot, ProgressUpdate)[-1].funds_wan == 20


def test_admins_push_only_in_their_provinces_and_confirm_shares_its_word_with_broadcasts(bot: App, world: World) -> None:
    need = _published(bot, world)
    with unit_of_work(bot.engine) as session:
        far = Contact(name="云南管理员", role=Role.admin, provinces=["云南省"])
        session.add(far)
        session.flush()
        from models.services.registry import bind_identity

        bind_identity(session, far, CONSOLE, "云南管理员")
    assert Chat(bot, "云南管理员").send(f"推送 {need.id}") == [f"没有编号为 {need.id} 的需求。"]
    assert "目前没有待发布" in Chat(bot, "云南管理员").send("待发布")[0]

    admin = Chat(bot, "管理员")
    admin.send("广播 all 明天上午召开视频调度会")
    admin.send(f"推送 {need.id} 1")
    used = admin.buttons()["确认推送"]
    [pushed] = admin.send("确认")  # the newer preview: the push
    assert "已推送需求" in pushed
    answers = admin.send("确认")  # then the broadcast (to all: the admin gets the notice too)
    assert any(text.startswith("广播 #") and "已开始发送" in text for text in answers)
    admin.send(f"推送 {need.id}")
    assert admin.send("取消") == [f"已取消推送需求 #{need.id}，没有发送任何消息。"]
    assert admin.send(data=used) == ["这个按钮已失效（问题已回答、已取消或已过期）。"]  # replayed: sends nothing
    assert admin.send(data="needpush:1:ok") == ["这个按钮不属于您，已忽略。"]  # the county's question
    assert "请发送“关闭需求 编号 原因”" in admin.send(f"关闭需求 {need.id}")[0]
    [closed] = admin.send(f"关闭需求 {need.id} 已由省级财政资金解决")
    assert "已关闭" in closed and _need(bot).status == NeedStatus.closed


def test_a_bare_number_answers_the_newest_question(bot: App, world: World) -> None:
    from tests.factories import pair

    pair(bot.engine, world.offering_org, world.county)  # two pairings: a report asks which one
    county = Chat(bot, "县联络员")
    county.send("需求 图书室建设")
    [recorded] = county.send("捐赠图书价值2万元")
    assert "属于哪一个" in recorded and "需求草稿还没有保存" in recorded and len(county.buttons()) == 2
    assert county.send("2")[0].startswith("好的，“捐赠图书价值2万元”已记入")  # which pairing? was asked last; named
    [asked] = county.send("30")  # now the draft's “how much?”
    assert "金额 30 万元" in asked
    assert _rows(bot, ProgressUpdate)[0].pairing_id is not None
