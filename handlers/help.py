"""`/help` (帮助): what this sender may do, by role."""

from __future__ import annotations

from handlers.commands import parse_command
from handlers.context import Context
from handlers.start import HOW_TO_REGISTER
from models.registry import Role
from models.services.registry import describe_scope

REPORTER_HELP = """\
直接发送进展即可记录，例如：
  本月向布拖县投入帮扶资金20万元，带动38户增收
  培训教师156人，其中女教师80人
我会回复识别出的数字（资金、户数、人数、项目、领域）供您核对。
  更正 …　用新的内容替换刚才那条进展
  撤回　　删除刚才那条进展（{withdraw} 分钟内）；再次撤回时回复“撤回 序号”选择
  收到　　确认已阅需要回执的通知
  渠道　　查看或选择接收消息的渠道（Telegram / 企业微信）
  我是谁　查看您的登记信息
  帮助　　显示本说明"""

ADMIN_HELP = """\
管理员可用：
  登录　　获取审核页面的一次性登录链接（10 分钟内有效）
  广播 对象 内容　向联系人和群发送通知（先预览，确认后发送；对象如 all、county:布拖县、group:标签）
  渠道　　查看或选择接收消息的渠道（Telegram / 企业微信）
  我是谁　查看您的登记信息
  帮助　　显示本说明
命令行（服务器上）：pairbot import / invite / broadcast / export，详见 README。"""


class Help:
    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return command is not None and command.name == "help"

    def handle(self, ctx: Context) -> None:
        if ctx.contact is None:
            ctx.reply(HOW_TO_REGISTER)
            return
        who = f"您是{describe_scope(ctx.session, ctx.contact)}。\n"
        if ctx.contact.role == Role.admin:
            ctx.reply(who + ADMIN_HELP)
        else:
            ctx.reply(who + REPORTER_HELP.format(withdraw=ctx.settings.withdraw_minutes))


class WhoAmI:
    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return ctx.contact is not None and command is not None and command.name == "whoami"

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        ctx.reply(f"{ctx.contact.name}，{describe_scope(ctx.session, ctx.contact)}。")
