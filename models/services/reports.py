"""Progress updates: record what a contact wrote, file it under a pairing, correct, withdraw, flag for review."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, or_
from sqlmodel import Session, col, select

from bot.i18n import N_, _, matched_message
from models.base import new_row
from models.pairing import PROJECT_STATUS_LABELS, Pairing, Project
from models.registry import Contact, County, Organization, Role
from models.reporting import Attachment, PendingQuestion, ProgressEdit, ProgressUpdate, ReviewStatus
from models.services.agreements import current_agreements
from models.services.amounts import amount_text
from models.services.parsing import FIELD_ORDER, ParsedUpdate, parse_update
from models.services.projects import open_projects_of
from models.services.registry import pairings_of
from models.services.ledger import Scope
from models.services.sums import COUNTED, FIGURES, figures_by

# Figures beyond these are not believable for one county-level report; they go to a reviewer.
ABSURD = {"funds_wan": 100_000.0, "committed_wan": 100_000.0, "sales_wan": 100_000.0,
          "households": 500_000, "people": 2_000_000, "projects": 1_000}
AGREEMENT_FACTOR = 3  # an amount this many times the pairing's agreement is flagged
LONG_TEXT = 2_000  # characters; longer texts are kept whole but checked by a person
DUPLICATE_WINDOW = timedelta(minutes=30)
ATTACH_WINDOW = timedelta(minutes=30)
CHOOSE_PAIRING = "choose_pairing"


@dataclass
class Recorded:
    update: ProgressUpdate
    parsed: ParsedUpdate
    flags: list[str] = field(default_factory=list)
    duplicate_of: ProgressUpdate | None = None
    question: PendingQuestion | None = None
    options: list[tuple[str, str]] = field(default_factory=list)  # (choice token, label) to choose from
    optional: bool = False  # the update is already filed; the question only asks for its project
    project: Project | None = None  # the project the update was filed under
    project_note: str = ""  # why a 项目N the text named was not used
    ledger: str = ""  # the pairing's ledger totals after this update (ledger_line), for the reply


# The columns of ProgressUpdate that hold what the parser understood, named as in ParsedUpdate (its flags go to
# review_note through review_flags).
PARSED_KEYS = (*FIGURES, "fields", "cumulative")


def apply_parsed(update: ProgressUpdate, parsed: ParsedUpdate) -> None:
    for key in PARSED_KEYS:
        value = getattr(parsed, key)
        setattr(update, key, list(value) if isinstance(value, tuple) else value)


def parsed_of(update: ProgressUpdate) -> dict[str, Any]:
    values = {key: getattr(update, key) for key in PARSED_KEYS}
    values["fields"] = list(update.fields)
    values["cumulative"] = list(update.cumulative or ())
    return values


def review_flags(session: Session | None, parsed: ParsedUpdate, text: str, pairing_id: int | None) -> list[str]:
    """Reasons a person should look at this update; empty when it looks plausible. Without a session (or a
    pairing) the agreement is not compared (`pairbot parse`)."""
    flags: list[str] = list(parsed.flags)
    if parsed.is_empty() and not flags:
        flags.append(FLAG_NOTHING)
    values = parsed.to_dict()
    for key, limit in ABSURD.items():
        value = values.get(key)
        if value is None:
            continue
        if value < 0:
            flags.append(f"{FIELD_LABELS[key]}为负数")
        elif value > limit:
            flags.append(f"{FIELD_LABELS[key]}异常偏大")
    agreed = _agreement_amount(session, pairing_id) if parsed.funds_wan else None  # no funds: nothing to compare
    if agreed and parsed.funds_wan and parsed.funds_wan > AGREEMENT_FACTOR * agreed:
        flags.append(f"投入资金远超协议金额（{amount_text(agreed)} 万元）")
    if len(text) > LONG_TEXT:
        flags.append("内容较长，需人工核对")
    return flags


FIELD_LABELS = {"funds_wan": N_("投入资金"), "committed_wan": N_("协议/承诺金额"), "sales_wan": N_("消费帮扶销售额"),
                "households": N_("户数"), "people": N_("人数"), "projects": N_("项目数")}
# Review flags are stored in Chinese (review_note); flag_label shows them in the locale in force.
FLAG_NOTHING = "未识别出数字或帮扶领域"
FLAG_SEVERAL_PAIRINGS = "提到多个结对，数字需分别核对"
_FLAG_PATTERNS = (
    (re.compile(r"^(?P<label>.+)为负数$"), N_("{label}为负数")),
    (re.compile(r"^(?P<label>.+)异常偏大$"), N_("{label}异常偏大")),
    (re.compile(r"^投入资金远超协议金额（(?P<amount>[^ ]+) 万元）$"), N_("投入资金远超协议金额（{amount} 万元）")),
    (re.compile(r"^提到的(?P<county>.+)不在报送人的结对中$"), N_("提到的{county}不在报送人的结对中")),
    (re.compile(r"^提到的项目 #(?P<number>\d+) 不是报送人的项目$"), N_("提到的项目 #{number} 不是报送人的项目")),
    (re.compile(r"^提到的项目 #(?P<number>\d+) (?P<label>\S+)$"), N_("提到的项目 #{number} {label}")),
)
_FLAG_WORDS = {FLAG_NOTHING: N_("未识别出数字或帮扶领域"), "内容较长，需人工核对": N_("内容较长，需人工核对"),
               "数字异常": N_("数字异常"), "数字为区间": N_("数字为区间"),
               FLAG_SEVERAL_PAIRINGS: N_("提到多个结对，数字需分别核对")}


def flag_label(flag: str) -> str:
    """A stored review flag (Chinese) in the locale in force; an unknown one (a reviewer's own note) as stored."""
    if flag in _FLAG_WORDS:
        return _(_FLAG_WORDS[flag])
    return matched_message(flag, _FLAG_PATTERNS, label=_) or (_(flag) if flag else flag)


def _agreement_amount(session: Session | None, pairing_id: int | None) -> float | None:
    if session is None or pairing_id is None:
        return None
    amounts = [a.amount_wan for a in current_agreements(session, [pairing_id])]  # superseded versions do not count
    known = [a for a in amounts if a]
    return max(known) if known else None


def pairing_label(session: Session, contact: Contact, pairing: Pairing) -> str:
    """The other side of the pairing, as the contact would name it."""
    if contact.role == Role.county:
        org = session.get(Organization, pairing.organization_id)
        return org.name if org else _("结对 {id}").format(id=pairing.id)
    county = session.get(County, pairing.county_id)
    return f"{county.province}{county.name}" if county else _("结对 {id}").format(id=pairing.id)


def _named_pairing(session: Session, contact: Contact, pairings: Sequence[Pairing], text: str) -> Pairing | None:
    """The one pairing whose other side the text names, if exactly one is named."""
    named = _pairings_named(session, contact, pairings, text)
    return named[0] if len(named) == 1 else None


def _pairings_named(session: Session, contact: Contact, pairings: Sequence[Pairing], text: str) -> list[Pairing]:
    """The pairings whose other side the text names."""
    named = []
    for pairing in pairings:
        if contact.role == Role.county:
            org = session.get(Organization, pairing.organization_id)
            names = [org.name] if org else []
        else:
            county = session.get(County, pairing.county_id)
            names = [county.name, county.name.rstrip("县旗")] if county else []
        if any(len(n) >= 2 and n in text for n in names):
            named.append(pairing)
    return named


def _county_named_elsewhere(session: Session, contact: Contact, pairings: Sequence[Pairing], text: str) -> str:
    """A key county the text names by its full name that is none of the sender's (their own, or one of their
    active pairings'): the report may be about a pairing that ended or never was, so it is not filed under
    another and waits for a reviewer. "" when none is."""
    if "县" not in text and "旗" not in text:
        return ""
    own = {p.county_id for p in pairings} | ({contact.county_id} if contact.county_id is not None else set())
    for county_id, name in session.exec(select(County.id, County.name)).all():
        if len(name) >= 2 and name in text and county_id not in own:
            return name
    return ""


def last_update(session: Session, contact: Contact) -> ProgressUpdate | None:
    return session.exec(_last_update_query(), params={"contact_id": contact.id}).first()


@cache
def _last_update_query() -> Any:
    """Built once (asked for every report; building a statement costs more than running it)."""
    return (select(ProgressUpdate)
            .where(ProgressUpdate.contact_id == bindparam("contact_id"), col(ProgressUpdate.withdrawn_at).is_(None))
            .order_by(col(ProgressUpdate.id).desc()).limit(1))


def record_update(
    session: Session, contact: Contact, text: str, channel: str, now: datetime, inbound_id: int | None = None,
    cycle_id: int | None = None, period: str | None = None,
) -> Recorded:
    """Store the text verbatim with its figures; ask which pairing when the contact has several.

    `cycle_id` and `period` file it under a report cycle (a reply to one of its reminders).
    """
    previous = last_update(session, contact)
    if previous is not None and previous.raw_text == text and now - previous.created_at < DUPLICATE_WINDOW:
        return Recorded(update=previous, parsed=parse_update(text), duplicate_of=previous)
    parsed = parse_update(text)
    pairings = pairings_of(session, contact)
    projects = open_projects_of(session, contact)
    project, project_note = _named_project(projects, text)
    finished, not_open = (None, "") if project is not None else _project_not_open(session, contact, projects, text)
    elsewhere = _county_named_elsewhere(session, contact, pairings, text)
    if project is not None:
        pairing = session.get(Pairing, project.pairing_id)
    elif not_open:  # a project no longer open: its own pairing, if it was the sender's; no other pairing's
        pairing = session.get(Pairing, finished.pairing_id) if finished is not None else None
        project_note = ""  # the review note says why
    elif elsewhere:
        pairing = None  # "本月在昭觉县投入…" from an organization no longer paired there: not its other pairing's
    else:
        pairing = pairings[0] if len(pairings) == 1 else _named_pairing(session, contact, pairings, text)
    update = new_row(
        ProgressUpdate,
        contact_id=contact.id, pairing_id=pairing.id if pairing else None, channel=channel, inbound_id=inbound_id,
        raw_text=text, period=period or now.strftime("%Y-%m"), cycle_id=cycle_id, created_at=now,
    )
    apply_parsed(update, parsed)
    if project is not None:
        file_under_project(update, project)
    flags = _flags_of(session, contact, update, parsed, text, elsewhere, not_open, pairings)
    _set_review(update, flags)
    session.add(update)
    session.flush()
    _adopt_recent_attachments(session, contact, update, now)
    recorded = Recorded(update=update, parsed=parsed, flags=flags, ledger=ledger_line(session, update),
                        project=project, project_note=project_note)
    if project is None:
        _ask_which(session, contact, recorded, pairings, projects, now)
    return recorded


# 项目3：…, 项目 #3，…, 項目3 …: a project named by its number, followed by a separator (项目3个 is a count).
_PROJECT_REF = re.compile(r"[项項]目\s*[#＃]?\s*(\d{1,9})(?=\s|[:：,，、.。;；)）]|$)")


def _project_number(text: str) -> int | None:
    match = _PROJECT_REF.search(unicodedata.normalize("NFKC", text))
    return int(match.group(1)) if match is not None else None


def _named_project(projects: Sequence[Project], text: str) -> tuple[Project | None, str]:
    """The open project of the contact that the text names by number; else None and, if a number was
    named that is not theirs, the reason it was not used."""
    number = _project_number(text)
    if number is None:
        return None, ""
    for project in projects:
        if project.id == number:
            return project, ""
    return None, _("项目 #{number} 不是您在办的项目，已按一般进展记录。").format(number=number)


def _project_not_open(session: Session, contact: Contact, projects: Sequence[Project],
                      text: str) -> tuple[Project | None, str]:
    """A project the text names by number that is not one of the sender's open ones, and the review flag it
    raises: the sender's own finished project (filed under its pairing, not another pairing's), or a project
    of another pairing (filed under no pairing). A reviewer decides where the figures belong. A number no project
    has is taken for a slip: the report stays the sender's general progress."""
    number = _project_number(text)
    if number is None or any(project.id == number for project in projects):
        return None, ""
    project = session.get(Project, number)  # at most nine digits: within any id column
    if project is None:
        return None, ""
    pairing = session.get(Pairing, project.pairing_id)
    own = pairing is not None and (pairing.county_id == contact.county_id if contact.role == Role.county
                                   else pairing.organization_id == contact.organization_id)
    if own:
        return project, f"提到的项目 #{number} {PROJECT_STATUS_LABELS[project.status]}"
    return None, f"提到的项目 #{number} 不是报送人的项目"


def file_under_project(update: ProgressUpdate, project: Project) -> None:
    """Name the project on the update; its field counts as one the update names (once, in the ledger's
    field counts), so the totals by field include the project's updates."""
    update.project_id = project.id
    update.pairing_id = project.pairing_id
    if project.field not in update.fields:
        named = set(update.fields) | {project.field}
        update.fields = [name for name in FIELD_ORDER if name in named]


def _ask_which(session: Session, contact: Contact, recorded: Recorded, pairings: Sequence[Pairing],
               projects: Sequence[Project], now: datetime) -> None:
    """Ask which pairing (when it is not known) or which project (when the contact has open ones).

    Projects are offered first; then the pairings, as “not a project”. When the update already has its
    pairing the question is optional: the update counts as the pairing's general progress until answered.
    """
    update = recorded.update
    offered_projects = [p for p in projects if update.pairing_id is None or p.pairing_id == update.pairing_id]
    if update.pairing_id is not None and not offered_projects:
        return
    if update.pairing_id is None and len(pairings) <= 1 and not offered_projects:
        return
    options = [(f"j{p.id}", project_label(session, contact, p)) for p in offered_projects]
    for pairing in pairings:
        if update.pairing_id is None or pairing.id == update.pairing_id:
            label = pairing_label(session, contact, pairing)
            options.append((str(pairing.id), _("{pairing}（不属于具体项目）").format(pairing=label) if offered_projects else label))
    recorded.options = options
    recorded.optional = update.pairing_id is not None
    recorded.question = PendingQuestion(
        contact_id=contact.id, kind=CHOOSE_PAIRING, created_at=now,
        payload={"update_id": update.id, "choices": [token for token, _ in options],
                 "options": [p.id for p in pairings if p.id is not None]},
    )
    session.add(recorded.question)
    session.flush()


def project_label_short(project: Project) -> str:
    return _("项目 #{id}「{name}」").format(id=project.id, name=project.name)


def project_label(session: Session, contact: Contact, project: Project) -> str:
    pairing = session.get(Pairing, project.pairing_id)
    other = pairing_label(session, contact, pairing) if pairing else ""
    return project_label_short(project) + (_("（{other}）").format(other=other) if other else "")


def _flags_of(session: Session, contact: Contact, update: ProgressUpdate, parsed: ParsedUpdate, text: str,
              elsewhere: str | None = None, not_open: str | None = None,
              pairings: Sequence[Pairing] | None = None) -> list[str]:
    """review_flags, and a key county or a project the text names that is none of the sender's (open) ones: a
    report about it waits for a reviewer however it is filed later (a chosen pairing, a correction), unless it
    is filed under a project. `elsewhere`, `not_open`, `pairings` (the sender's active ones): when the caller has
    looked them up."""
    flags = review_flags(session, parsed, text, update.pairing_id)
    if update.project_id is None:
        if pairings is None:
            pairings = pairings_of(session, contact)
        if not_open is None and _project_number(text) is not None:
            not_open = _project_not_open(session, contact, open_projects_of(session, contact), text)[1]
        if not_open:
            flags.append(not_open)
        if elsewhere is None:
            elsewhere = _county_named_elsewhere(session, contact, pairings, text)
        if elsewhere:
            flags.append(f"提到的{elsewhere}不在报送人的结对中")
        # "向布拖县投入10万元，向昭觉县投入20万元": one update is filed under one pairing, so figures said of
        # several of the sender's pairings would all count in whichever is chosen; a reviewer shares them out.
        if (len(pairings) > 1 and any(getattr(parsed, key) is not None for key in FIGURES)
                and len(_pairings_named(session, contact, pairings, text)) > 1):
            flags.append(FLAG_SEVERAL_PAIRINGS)
    return flags


def _set_review(update: ProgressUpdate, flags: list[str]) -> None:
    update.review_status = ReviewStatus.flagged if flags else ReviewStatus.received
    update.review_note = "；".join(flags)


def stored_flags(update: ProgressUpdate) -> list[str]:
    """The flags `_set_review` stored on an update waiting for review; none once it is not."""
    return [flag for flag in update.review_note.split("；") if flag] if update.review_status == ReviewStatus.flagged else []


def pending_question(session: Session, contact: Contact) -> PendingQuestion | None:
    return session.exec(
        select(PendingQuestion)
        .where(PendingQuestion.contact_id == contact.id, col(PendingQuestion.answered_at).is_(None))
        .order_by(col(PendingQuestion.id).desc()).limit(1)
    ).first()


class ReportError(Exception):
    """A request about an update that cannot be honoured; the message says why, in the locale in force."""


def answer_pairing_question(
    session: Session, contact: Contact, question_id: int, choice: str, now: datetime
) -> ProgressUpdate:
    """File the waiting update under the chosen pairing or project (a token: pairing id, or j + project id);
    anything not offered to this contact is refused."""
    question = session.get(PendingQuestion, question_id)
    if question is None or question.contact_id != contact.id or question.kind != CHOOSE_PAIRING:
        raise ReportError(_("这个选项不属于您，已忽略。"))
    if question.answered_at is not None:
        raise ReportError(_("这个问题已经回答过了。"))
    if choice not in question_choices(question):
        raise ReportError(_("所选结对不在可选范围内，请重新选择。"))
    update = session.get(ProgressUpdate, question.payload["update_id"])
    if update is None or update.withdrawn_at is not None:
        question.answered_at = now
        raise ReportError(_("对应的进展已撤回。"))
    if choice.startswith("j"):
        project = session.get(Project, int(choice[1:]))
        if project is None or project not in open_projects_of(session, contact):
            raise ReportError(_("所选项目已结束或不属于您，请重新选择。"))
        file_under_project(update, project)
    else:
        update.pairing_id = int(choice)
        update.project_id = None
    _set_review(update, _flags_of(session, contact, update, parse_update(update.raw_text), update.raw_text))
    update.updated_at = now
    question.answered_at = now
    session.add_all([update, question])
    return update


def question_choices(question: PendingQuestion) -> list[str]:
    """The tokens a “which pairing/project?” question offered, in the order shown (older questions: pairing ids)."""
    choices = question.payload.get("choices")
    return [str(c) for c in (choices if choices is not None else question.payload.get("options", []))]


def correct_update(
    session: Session, contact: Contact, update: ProgressUpdate, new_text: str, kind: str, now: datetime
) -> Recorded:
    """Replace an update's text and figures, keeping the old ones in its edit history."""
    if update.contact_id != contact.id:
        raise ReportError(_("只能更正自己提交的进展。"))
    if update.withdrawn_at is not None:
        raise ReportError(_("这条进展已撤回，不能更正。"))
    parsed = parse_update(new_text)
    old = parsed_of(update)
    session.add(ProgressEdit(update_id=update.id, kind=kind, actor=f"contact:{contact.id}", old_text=update.raw_text,
                             new_text=new_text, old_parsed=old, new_parsed=parsed.to_dict(), edited_at=now))
    update.raw_text = new_text
    apply_parsed(update, parsed)
    project = session.get(Project, update.project_id) if update.project_id else None
    if project is not None:
        file_under_project(update, project)
    flags = _flags_of(session, contact, update, parsed, new_text)
    _set_review(update, flags)
    update.updated_at = now
    session.add(update)
    return Recorded(update=update, parsed=parsed, flags=flags, ledger=ledger_line(session, update))


CHOOSE_WITHDRAW = "choose_withdraw"
EXCERPT_CHARS = 16
EXCERPT_MIN = 6  # a clause shorter than this says too little to recognise the update


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first words of an update, on one line, so a message can name it without repeating it whole."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    clause = re.search(r"[，,。；;！!？?]", flat[EXCERPT_MIN:limit + 1])
    end = EXCERPT_MIN + clause.start() if clause else limit
    while not clause and end > EXCERPT_MIN and flat[end - 1].isdigit() and flat[end].isdigit():
        end -= 1  # never cut a figure in two: “20…” would misquote “200”
    return flat[:end] + "…"


def describe_update(update: ProgressUpdate, zone: ZoneInfo) -> str:
    """“11-29 07:56 提交的进展：“本月投入…”” — how the bot names an update to the person who sent it."""
    return _("{when} 提交的进展：“{excerpt}”").format(when=f"{update.created_at.astimezone(zone):%m-%d %H:%M}",
                                                   excerpt=excerpt(update.raw_text))


def withdrawable_updates(session: Session, contact: Contact, window: timedelta, now: datetime) -> list[ProgressUpdate]:
    """The contact's live updates still inside the withdraw window, newest first."""
    return list(session.exec(
        select(ProgressUpdate)
        .where(ProgressUpdate.contact_id == contact.id, col(ProgressUpdate.withdrawn_at).is_(None),
               ProgressUpdate.created_at >= now - window)
        .order_by(col(ProgressUpdate.id).desc())
    ).all())


def recently_withdrew(session: Session, contact: Contact, window: timedelta, now: datetime) -> bool:
    """True when the contact's last step was withdrawing an update, within the window: a further 撤回 must say which
    one. A report sent since then is the one a plain 撤回 means."""
    newest = select(func.max(ProgressUpdate.created_at)).where(
        ProgressUpdate.contact_id == contact.id, col(ProgressUpdate.withdrawn_at).is_(None)).scalar_subquery()
    return session.exec(
        select(ProgressEdit.id).where(ProgressEdit.kind == "withdraw", ProgressEdit.actor == f"contact:{contact.id}",
                                      ProgressEdit.edited_at >= now - window,
                                      or_(newest.is_(None), ProgressEdit.edited_at > newest)).limit(1)
    ).first() is not None


def open_question(session: Session, contact: Contact, kind: str) -> PendingQuestion | None:
    """The contact's latest unanswered question of this kind (questions of other kinds are not its answer)."""
    return session.exec(
        select(PendingQuestion)
        .where(PendingQuestion.contact_id == contact.id, PendingQuestion.kind == kind,
               col(PendingQuestion.answered_at).is_(None))
        .order_by(col(PendingQuestion.id).desc()).limit(1)
    ).first()


def ask_which_withdraw(
    session: Session, contact: Contact, updates: Sequence[ProgressUpdate], now: datetime
) -> PendingQuestion:
    """Store “which update to withdraw?” (a newer question replaces an older one), to be answered by 撤回 N."""
    older = open_question(session, contact, CHOOSE_WITHDRAW)
    if older is not None:
        older.answered_at = now
        session.add(older)
    question = PendingQuestion(contact_id=contact.id, kind=CHOOSE_WITHDRAW, created_at=now,
                               payload={"options": [u.id for u in updates]})
    session.add(question)
    session.flush()
    return question


def withdraw_update(
    session: Session, contact: Contact, window: timedelta, now: datetime, update: ProgressUpdate | None = None
) -> ProgressUpdate:
    """Withdraw the given update (default: the contact's latest) if it is theirs and inside the window."""
    update = update if update is not None else last_update(session, contact)
    if update is None or update.contact_id != contact.id:
        raise ReportError(_("没有可撤回的进展。"))
    if update.withdrawn_at is not None:
        raise ReportError(_("这条进展已经撤回了。"))
    if now - update.created_at > window:
        minutes = int(window.total_seconds() // 60)
        raise ReportError(_("这条进展提交已超过 {minutes} 分钟，不能自行撤回；如需删除请联系管理员，或发送“更正 …”修改。")
                          .format(minutes=minutes))
    update.withdrawn_at = now
    session.add(ProgressEdit(update_id=update.id, kind="withdraw", actor=f"contact:{contact.id}",
                             old_text=update.raw_text, old_parsed=parsed_of(update), edited_at=now))
    session.add(update)
    return update


def withdraw_chosen(
    session: Session, contact: Contact, number: int, window: timedelta, now: datetime
) -> ProgressUpdate:
    """Answer “which one?” with 撤回 N: the N-th update offered, if still withdrawable."""
    question = open_question(session, contact, CHOOSE_WITHDRAW)
    if question is None:
        raise ReportError(_("没有待选择的撤回。请先发送“撤回”。"))
    options = question.payload.get("options", [])
    if not 1 <= number <= len(options):
        if len(options) == 1:
            raise ReportError(_("请回复“撤回 1”。"))
        raise ReportError(_("请回复“撤回 1”到“撤回 {n}”之间的序号。").format(n=len(options)))
    update = withdraw_update(session, contact, window, now, session.get(ProgressUpdate, options[number - 1]))
    question.answered_at = now
    session.add(question)
    return update


def update_for_message(session: Session, inbound_ids: Sequence[int]) -> ProgressUpdate | None:
    """The update created from one of these inbound rows (the first revision of an edited message)."""
    if not inbound_ids:
        return None
    return session.exec(
        select(ProgressUpdate).where(col(ProgressUpdate.inbound_id).in_(list(inbound_ids)))
        .order_by(col(ProgressUpdate.id)).limit(1)
    ).first()


# Attachment.filename: a longer name (a platform's, or one whose NULs became \u0000) is cut, not a failed update.
FILENAME_LENGTH = 256


def attach_files(
    session: Session, contact: Contact, channel: str, files: Sequence[tuple[str, str, str]], now: datetime,
    update: ProgressUpdate | None,
) -> list[Attachment]:
    """Store (kind, file_id, filename) files, linked to the given update or the contact's recent one."""
    if update is None:
        recent = last_update(session, contact)
        update = recent if recent is not None and now - recent.created_at < ATTACH_WINDOW else None
    rows = [Attachment(update_id=update.id if update else None, contact_id=contact.id, channel=channel, kind=kind,
                       file_id=file_id, filename=filename[:FILENAME_LENGTH], created_at=now)
            for kind, file_id, filename in files]
    session.add_all(rows)
    session.flush()
    return rows


def _adopt_recent_attachments(session: Session, contact: Contact, update: ProgressUpdate, now: datetime) -> None:
    """Photos sent just before the text belong to it."""
    orphans = session.exec(_orphans_query(), params={"contact_id": contact.id, "since": now - ATTACH_WINDOW}).all()
    for attachment in orphans:
        attachment.update_id = update.id
        session.add(attachment)


@cache
def _orphans_query() -> Any:
    """Built once: the contact's attachments not yet filed under an update, sent since `since`."""
    return select(Attachment).where(Attachment.contact_id == bindparam("contact_id"),
                                    col(Attachment.update_id).is_(None), Attachment.created_at >= bindparam("since"))


def ledger_line(session: Session, update: ProgressUpdate) -> str:
    """“结对台账累计：投入资金 135 万元，受益 40 户。” — the pairing's ledger totals for the figures this update
    named, read from the ledger's sums like every page; empty while it is not counted or has no pairing."""
    if update.pairing_id is None or update.withdrawn_at is not None or update.review_status not in COUNTED:
        return ""
    named = [key for key in FIGURES if getattr(update, key) is not None]
    if not named:
        return ""
    totals = figures_by(session, Scope(), "pairing", pairing_ids=[update.pairing_id]).get(update.pairing_id)
    if totals is None:
        return ""
    summary = ParsedUpdate(**{key: getattr(totals, key) for key in named}).summary_zh()
    return _("结对台账累计：{summary}。").format(summary=summary)
