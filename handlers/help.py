"""`/help` (帮助): what this sender may do, by role."""

from __future__ import annotations

from bot.i18n import N_, _
from handlers.commands import parse_command
from handlers.context import Context
from handlers.start import HOW_TO_REGISTER
from models.registry import Role
from models.services.registry import describe_scope

REPORTER_HELP = N_("""\
直接发送进展即可记录，例如：
  本月向布拖县投入帮扶资金20万元，带动38户增收
  培训教师156人，其中女教师80人
我会回复识别出的数字（资金、户数、人数、项目、领域）供您核对。
  更正 …　用新的内容替换刚才那条进展
  撤回　　删除刚才那条进展（{withdraw} 分钟内）；再次撤回时回复“撤回 序号”选择
  收到　　确认已阅需要回执的通知
  渠道　　查看或选择接收消息的渠道（Telegram / 企业微信）
  退订　　暂停提醒和通知（必报事项仍会提醒）；恢复　重新接收
  我是谁　查看您的登记信息
  帮助　　显示本说明""")

COUNTY_NEEDS_HELP = N_("""项目库（县联络员）：
  需求 内容　提交需求，例如：需求 冷链仓储设备，约80万元，受益300户，2027年6月底前
  　　　　　缺少的领域、金额、受益户数、完成时间会逐项询问，最后点“保存”存为草稿
  我的需求　查看本县需求及状态
  修改需求 编号 新内容　修改草稿；撤回需求 编号　撤回草稿
  确认 接单编号 / 婉拒 接单编号 原因　答复社会组织的接单，如“确认 接单9”（也可点按钮）""")

ORGANIZATION_NEEDS_HELP = N_("""项目库（社会组织）：
  可接需求　查看已发布、可以承接的需求
  接单 编号　承接需求（也可点推送消息下的“接单”按钮），县联络员确认后建立项目
  供给 领域，省份，金额　登记可提供的帮扶，例如：供给 教育，四川、云南，200万元
  我的供给　查看；撤回供给 编号　撤回""")

ADMIN_HELP = N_("""\
管理员可用：
  登录　　获取审核页面的一次性登录链接（10 分钟内有效）
  广播 对象 内容　向联系人和群发送通知（先预览，确认后发送；对象如 all、county:布拖县、group:标签）
  待发布　查看您负责省份的需求草稿；发布 编号　发布需求
  推送 编号 [数量]　把已发布的需求推送给匹配度靠前的组织（默认 5 家；先预览，确认后发送）
  关闭需求 编号 原因　关闭不再需要承接的需求
  渠道　　查看或选择接收消息的渠道（Telegram / 企业微信）
  退订　　暂停提醒和通知（必报事项仍会提醒）；恢复　重新接收
  我是谁　查看您的登记信息
  帮助　　显示本说明
命令行（服务器上）：pairbot import / invite / broadcast / export，详见 README。""")


class Help:
    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return command is not None and command.name == "help"

    def handle(self, ctx: Context) -> None:
        if ctx.contact is None:
            ctx.reply(_(HOW_TO_REGISTER))
            return
        who = _("您是{scope}。").format(scope=describe_scope(ctx.session, ctx.contact)) + "\n"
        if ctx.contact.role == Role.admin:
            ctx.reply(who + _(ADMIN_HELP))
        else:
            needs = COUNTY_NEEDS_HELP if ctx.contact.role == Role.county else ORGANIZATION_NEEDS_HELP
            ctx.reply(who + _(REPORTER_HELP).format(withdraw=ctx.settings.withdraw_minutes) + "\n" + _(needs))


class WhoAmI:
    def matches(self, ctx: Context) -> bool:
        command = parse_command(ctx.text)
        return ctx.contact is not None and command is not None and command.name == "whoami"

    def handle(self, ctx: Context) -> None:
        assert ctx.contact is not None
        ctx.reply(_("{name}，{scope}。").format(name=ctx.contact.name, scope=describe_scope(ctx.session, ctx.contact)))
