"""Dialogs: only text that reads as a report becomes a progress update; everything else gets an answer."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.app import App
from handlers.chatter import Kind, classify
from models.reporting import ProgressUpdate
from tests.handlers.test_reporting import county_contact


def _updates(app: App) -> list[ProgressUpdate]:
    with Session(app.engine) as session:
        return list(session.exec(select(ProgressUpdate)).all())


@pytest.mark.parametrize("text", [
    "本月向布拖县投入帮扶资金20万元，带动38户增收",
    "培训农民150人",
    "组织志愿者到拐乐村开展义诊活动",
    "今天去村里看望了帮扶户",
    "与县农业农村局签订了茶叶产销协议",
    "本月开展了教育讲座",
    "捐赠图书价值2万元",
    "投入20万元，这样填对吗？",  # figures make it a report even when it ends with a question mark
])
def test_reports(text: str) -> None:
    assert classify(text) is Kind.report


@pytest.mark.parametrize(("text", "kind"), [
    ("/foo bar", Kind.command), (":foo", Kind.command), ("/报表", Kind.command),
    ("幫助", Kind.near_help), ("帮组", Kind.near_help), ("help", Kind.near_help), ("HELP", Kind.near_help),
    ("hlep", Kind.near_help), ("撤了", Kind.near_withdraw), ("撤消", Kind.near_withdraw),
    ("更改", Kind.near_correct), ("改正", Kind.near_correct),
    ("退订", Kind.opt_out), ("停止提醒", Kind.opt_out), ("别再提醒我了", Kind.opt_out), ("恢复", Kind.opt_out),
    ("你好", Kind.greeting), ("您好！", Kind.greeting), ("谢谢", Kind.greeting), ("收到，谢谢", Kind.greeting),
    ("好的", Kind.greeting), ("👍", Kind.greeting), ("嗯", Kind.greeting), ("谢谢老师🙏", Kind.greeting),
    ("怎么填？", Kind.question), ("这个要报什么", Kind.question), ("截止是几号", Kind.question),
    ("开展培训要报吗", Kind.question), ("?", Kind.question), ("项目进展?", Kind.question),
    ("asdfghjkl", Kind.noise), ("....", Kind.noise), ("123", Kind.noise),
    ("今天天气不错", Kind.chatter), ("我是布拖县联络员", Kind.chatter), ("还有其他问题", Kind.chatter),
    ("   ", Kind.empty),
])
def test_not_reports(text: str, kind: Kind) -> None:
    assert classify(text) is kind


@pytest.mark.parametrize(("text", "hint"), [
    ("/foo bar", "没有“/foo”这个命令"), (":foo", "没有“:foo”这个命令"),
    ("幫助", "直接发送进展即可记录"), ("帮组", "直接发送进展即可记录"), ("help", "直接发送进展即可记录"),
    ("HELP", "直接发送进展即可记录"), ("?", "直接发送进展即可记录"), ("？", "直接发送进展即可记录"),
    ("撤销?", "发送“撤回”可删除"), ("撤了", "请只发送“撤回”"), ("更改", "更正 本月投入资金25万元"),
    ("更正?", "“更正”后面要写完整的新进展"),
    ("退订", "已为您暂停报送提醒和通知"), ("停止提醒", "已为您暂停"), ("恢复", "您没有退订"),
    ("你好", "您好。需要报送进展时"), ("您好", "您好。"), ("谢谢", "不客气。"), ("收到，谢谢", ""),
    ("好的", "您好。"), ("👍", "用文字发送"), ("嗯", "用文字发送"),
    ("怎么填？", "报送进展请用文字写明"), ("这个要报什么", "例如：本月向布拖县投入帮扶资金20万元"),
    ("asdfghjkl", "没有看懂"), ("....", "没有看懂"), ("今天天气不错", "没有作为进展记录"),
])
def test_non_reports_are_answered_and_not_filed(app: App, text: str, hint: str) -> None:
    user = county_contact(app)
    [reply] = user.send(text)
    assert hint in reply
    assert _updates(app) == []  # no update, so nothing in the review queue either


def test_a_caption_that_is_not_a_report_only_stores_the_photo(app: App) -> None:
    from bot.messages import Attachment

    user = county_contact(app)
    [reply] = user.send("见附件", attachments=(Attachment("photo", "file-9"),))
    assert "附件" in reply and _updates(app) == []
    [reply] = user.send("本月建成蔬菜大棚3个，投入资金6万元")
    assert reply.startswith("已记录")
    [update] = _updates(app)
    assert update.funds_wan == 6


def test_an_edit_into_chatter_leaves_the_update_alone(app: App) -> None:
    user = county_contact(app)
    user.send("培训农民120人")
    assert "原进展未更改" in user.send("谢谢", edit=True)[0]
    [update] = _updates(app)
    assert update.people == 120 and update.raw_text == "培训农民120人"
