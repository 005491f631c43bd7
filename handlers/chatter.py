"""What counts as a report: a progress update needs figures or a described activity; the rest gets an answer.

Only reports become ledger rows (and close reminders). Greetings, thanks, questions, near-commands,
opt-out requests and noise get a short Chinese answer that says what to send instead.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from bot.i18n import N_, _
from handlers.commands import normalize
from models.services.parsing import parse_update


class Kind(StrEnum):
    report = "report"
    empty = "empty"  # nothing but spaces
    command = "command"  # an unknown /xxx or :xxx
    near_help = "near_help"  # 帮组, help, HELP …
    near_withdraw = "near_withdraw"  # 撤了, 撤消 …
    near_correct = "near_correct"  # 更改, 改正 …
    opt_out = "opt_out"  # 退订, 停止提醒, 恢复 …
    greeting = "greeting"  # 你好, 谢谢, 好的, 👍 …
    question = "question"  # 怎么填？, 这个要报什么 …
    noise = "noise"  # no Chinese words and no figures: asdfghjkl, ....
    chatter = "chatter"  # Chinese text with neither figures nor an activity


# Command words and the near-command they stand for; a short text one edit away from one is that near-command.
_COMMAND_WORDS = {"帮助": Kind.near_help, "幫助": Kind.near_help, "菜单": Kind.near_help,
                  "撤回": Kind.near_withdraw, "撤销": Kind.near_withdraw, "撤銷": Kind.near_withdraw,
                  "删除": Kind.near_withdraw,
                  "更正": Kind.near_correct, "修改": Kind.near_correct, "修正": Kind.near_correct,
                  "help": Kind.near_help, "menu": Kind.near_help, "start": Kind.near_help}
_OPT_OUT = re.compile(r"退订|退訂|取消订阅|取消訂閱|(停止|暂停|關閉|关闭|取消|不要|别再?|不再)(接收)?(提醒|通知|推送|消息)"
                      r"|^(恢复|恢復)(提醒|通知|推送)?$|^(td|stop|unsubscribe|resume)$", re.IGNORECASE)
# Courtesy words (and the particles and forms of address around them) that make a message a greeting or thanks.
_COURTESY = re.compile(
    r"(你好|您好|大家好|早上好|上午好|中午好|下午好|晚上好|早安|谢谢|謝謝|多谢|感谢|感謝|辛苦了?|收到|好的|好滴|好"
    r"|嗯+|哦+|噢|ok|okay|hi|hello|thanks|thank you|thx|明白|知道了?|了解|没问题|沒問題|可以|行|是的|对|對"
    r"|再见|再見|拜拜|老师|領導|领导|同志|您|你|各位|大家|啦|了|呀|啊|哈+|呢|的|哟|吧)+",
    re.IGNORECASE)
_QUESTION_WORDS = re.compile(r"请问|問一下|问一下|问下|几号|幾號|何时|何時|怎么|怎麼|怎样|怎樣|如何|什么|什麼|啥|哪里|哪裡|哪些|哪个|哪個|为什么|為什麼|是否|能否"
                             r"|能不能|可不可以|要不要|需不需要|多少|吗|嗎")
# Verbs and nouns of assistance: a sentence naming one of them describes help given, even without figures.
_ACTIVITY = re.compile(
    r"开展|開展|组织|組織|举办|舉辦|召开|召開|捐赠|捐贈|捐款|捐资|捐助|资助|資助|援助|救助|培训|培訓|慰问|慰問|看望|探望"
    r"|义诊|義診|帮扶|幫扶|扶持|走访|走訪|调研|調研|考察|签订|簽訂|签署|签约|投入|拨付|撥付|发放|發放|建设|建設|建成"
    r"|修建|援建|采购|採購|销售|銷售|帮销|带货|支教|助学|助學|招聘|就业|就業|种植|種植|养殖|養殖|对接|對接|结对|結對"
    r"|实施|實施|落实|落實|启动|啟動|完成|推进|推進|宣讲|宣講|讲座|講座|送去|送到|送达|物资|物資|资金|資金|项目|項目")
_CJK = re.compile(r"[\u3400-\u9fff]")
_MIN_ACTIVITY_CHARS = 6  # Chinese characters: shorter texts ("开展", "项目呢") are not a description of help given


def classify(text: str) -> Kind:
    """What kind of message this is; only `Kind.report` may become a progress update.

    Figures the parser understands make a report; so does a Chinese sentence that names an
    assistance activity. Questions, greetings and near-commands without figures do not.
    """
    folded = normalize(text)
    if not folded:
        return Kind.empty
    if re.match(r"/\S|:[A-Za-z]", folded):
        return Kind.command
    parsed = parse_update(text)  # the raw text, as recording will parse it (parse_update keeps recent results)
    if parsed.has_figures() or parsed.flags:  # flags: an absurd or ranged figure, kept for a reviewer
        return Kind.report
    core = _core(folded)
    near = _near_command(core)
    if near is not None:
        return near
    if _OPT_OUT.search(core):
        return Kind.opt_out
    if not core:
        if re.search(r"[?？]", folded):
            return Kind.question
        return Kind.greeting if any(unicodedata.category(c) == "So" for c in folded) else Kind.noise
    if _COURTESY.fullmatch(core):
        return Kind.greeting
    if re.search(r"[?？]\W*$", folded) or _QUESTION_WORDS.search(core):
        return Kind.question
    chinese = len(_CJK.findall(core))
    if chinese == 0:
        return Kind.noise
    if chinese >= _MIN_ACTIVITY_CHARS and (_ACTIVITY.search(core) or set(parsed.fields) - {"其他"}):
        return Kind.report
    return Kind.chatter


def _core(text: str) -> str:
    """Letters, digits and CJK only, lower-cased: punctuation, spaces and emoji do not change the meaning."""
    kept = (c for c in text if unicodedata.category(c)[0] in "LN")
    return "".join(kept).lower()


def _near_command(core: str) -> Kind | None:
    """A short text within one typo of a command word (帮组, 撤消, hlep) is that command misspelt."""
    if not core or len(core) > 6:
        return None
    for word, kind in _COMMAND_WORDS.items():
        if core == word or (len(core) >= 2 and _one_edit(core, word) and not _COURTESY.fullmatch(core)):
            return kind
    return None


def _one_edit(a: str, b: str) -> bool:
    """Levenshtein distance at most 1, or two neighbouring characters swapped (hlep)."""
    if a == b:
        return True
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if abs(len(a) - len(b)) != 1:
        return False
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


EXAMPLE = N_("例如：本月向布拖县投入帮扶资金20万元，带动38户增收。")
HOW_TO_REPORT = N_("报送进展请用文字写明做了什么、投入多少、惠及多少户或人，{example}发送“帮助”（/help）查看全部说明。")


def how_to_report() -> str:
    """What a report looks like, with an example, in the locale in force."""
    return _(HOW_TO_REPORT).format(example=_(EXAMPLE))


ANSWERS = {
    Kind.empty: N_("没有收到可记录的文字内容。{how}"),
    Kind.near_withdraw: N_("如要撤回刚才提交的进展，请只发送“撤回”两个字。"),
    Kind.near_correct: N_("如要更正刚才提交的进展，请发送“更正”加完整的新内容，例如：更正 本月投入资金25万元，带动40户。"),
    Kind.opt_out: N_("退订请在与我的私聊中发送“退订”，恢复请发送“恢复”。"),
    Kind.question: N_("{how}我会回复识别出的数字供您核对。其他问题请联系管理员。"),
    Kind.noise: N_("没有看懂这条消息，未作为进展记录。{how}"),
    Kind.chatter: N_("这条消息没有作为进展记录：其中没有数字，也没有写明开展的帮扶活动。{how}"),
}


def answer(kind: Kind, text: str) -> str:
    """The reply to a message that is not a report: what it was taken as, and what to send instead."""
    if kind is Kind.command:
        word = normalize(text).split(None, 1)[0]
        return _("没有“{word}”这个命令。").format(word=word[:20]) + how_to_report()
    if kind is Kind.greeting:
        lead = _("不客气。") if re.search(r"谢|謝|thank|thx|辛苦", text, re.IGNORECASE) else _("您好。")
        return lead + _("需要报送进展时，直接用文字发送即可，{example}发送“帮助”查看全部说明。").format(example=_(EXAMPLE))
    return _(ANSWERS[kind]).format(how=how_to_report())
