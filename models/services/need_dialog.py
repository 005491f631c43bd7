"""The 项目库's questions in chat, kept as `PendingQuestion` rows so they survive restarts and work on every channel.

- `NEED_DRAFT`: the 需求 dialog. Its payload is the draft so far (`Draft`); each answer fills what
  is missing, in the order of `STEPS`, and 保存 turns it into a `Need` (status 草稿) through
  `needs.create_need`.
- `DECLINE_REASON`: a county contact pressed 婉拒 without a reason; the next message is the reason.
- `PUSH_PREVIEW`: an admin asked to push a need to many organizations; nothing goes out until 确认.
A question is open until answered or cancelled, and only for `QUESTION_TTL` after it was last touched;
a newer question of the same kind replaces the older one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bot.i18n import _
from models.projects import Need
from models.registry import Contact, Role
from models.reporting import PendingQuestion
from models.services import needs
from models.services.need_text import Reading, bare_amount
from models.services.needs import NeedError, NeedFields

NEED_DRAFT = "need_draft"
DECLINE_REASON = "need_decline"
PUSH_PREVIEW = "need_push"
QUESTION_TTL = timedelta(hours=72)
STEPS = ("description", "field", "amount", "beneficiaries", "wanted_by", "confirm")
SKIPPABLE = ("amount", "beneficiaries", "wanted_by")


@dataclass(frozen=True)
class Draft:
    """A need being written in chat: what is known so far, and which questions were skipped."""

    description: str = ""
    field: str | None = None
    amount_wan: float | None = None
    households: int | None = None
    people: int | None = None
    wanted_by: date | None = None
    skipped: frozenset[str] = frozenset()

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Draft:
        wanted = payload.get("wanted_by")
        return cls(payload.get("description", ""), payload.get("field"), payload.get("amount_wan"),
                   payload.get("households"), payload.get("people"), date.fromisoformat(wanted) if wanted else None,
                   frozenset(payload.get("skipped", ())))

    def payload(self) -> dict[str, Any]:
        return {"description": self.description, "field": self.field, "amount_wan": self.amount_wan,
                "households": self.households, "people": self.people,
                "wanted_by": self.wanted_by.isoformat() if self.wanted_by else None, "skipped": sorted(self.skipped)}

    @property
    def step(self) -> str:
        """The next question to ask: the first thing missing and not skipped, else the confirmation."""
        if not self.description:
            return "description"
        if self.field is None:
            return "field"
        known = {"amount": self.amount_wan is not None, "beneficiaries": self.households or self.people,
                 "wanted_by": self.wanted_by is not None}
        return next((step for step in SKIPPABLE if not known[step] and step not in self.skipped), "confirm")

    def answered(self, reading: Reading, step: str) -> Draft:
        """The draft with a reply's answers in it; 跳过 (or a bare number) answers the question asked."""
        draft = replace(self, field=reading.field or self.field,
                        amount_wan=reading.amount_wan if reading.amount_wan is not None else self.amount_wan,
                        households=reading.households or self.households, people=reading.people or self.people,
                        wanted_by=reading.wanted_by or self.wanted_by)
        if reading.skip and step in SKIPPABLE:
            draft = replace(draft, skipped=draft.skipped | {step})
        return draft

    def values(self) -> NeedFields:
        return NeedFields(self.field or "其他", self.description, self.amount_wan, self.households, self.people,
                          self.wanted_by)


def first_reading(draft: Draft, reading: Reading) -> Draft:
    """A new draft from the first message: the description and whatever it states."""
    return replace(draft, field=reading.field, amount_wan=reading.amount_wan, households=reading.households,
                   people=reading.people, wanted_by=reading.wanted_by)


def bare_answer(reading: Reading, step: str) -> tuple[Reading, str | None]:
    """A number without a unit answers “how much?” in 万元; anywhere else it says nothing (a problem)."""
    if reading.bare is None or reading.amount_wan is not None:
        return reading, None
    if step != "amount":
        return reading, _("“{written}”是什么数？请写上单位，如“300户”“80万元”。").format(written=reading.bare)
    value, problem = bare_amount(reading.bare)
    return replace(reading, amount_wan=value), problem


# --- the rows ---------------------------------------------------------------------------------------------

def open_question(session: Session, contact: Contact, kinds: Sequence[str], now: datetime) -> PendingQuestion | None:
    """The contact's newest unanswered question of these kinds, if touched within QUESTION_TTL."""
    question = session.exec(_open_question_query(), params={"contact_id": contact.id, "kinds": list(kinds)}).first()
    if question is None or _touched(question) < now - QUESTION_TTL:
        return None
    return question


@cache
def _open_question_query() -> Any:
    """Built once: most messages ask it, and building a statement costs more than running it on SQLite."""
    return select(PendingQuestion).where(
        PendingQuestion.contact_id == bindparam("contact_id"),
        col(PendingQuestion.kind).in_(bindparam("kinds", expanding=True)),
        col(PendingQuestion.answered_at).is_(None)).order_by(col(PendingQuestion.id).desc()).limit(1)


def ask(session: Session, contact: Contact, kind: str, payload: dict[str, Any], now: datetime) -> PendingQuestion:
    """A new question; an open one of the same kind is closed (the newer replaces it)."""
    for older in session.exec(select(PendingQuestion).where(
            PendingQuestion.contact_id == contact.id, PendingQuestion.kind == kind,
            col(PendingQuestion.answered_at).is_(None))).all():
        close(session, older, now)
    question = PendingQuestion(contact_id=contact.id, kind=kind, created_at=now,
                               payload={**payload, "touched": now.isoformat()})
    session.add(question)
    session.flush()
    return question


def touch(session: Session, question: PendingQuestion, payload: dict[str, Any], now: datetime) -> None:
    """Store a question's new payload (a new dict, so the JSON column is written)."""
    question.payload = {**payload, "touched": now.isoformat()}
    session.add(question)


def close(session: Session, question: PendingQuestion, now: datetime) -> None:
    question.answered_at = now
    session.add(question)


def own_question(session: Session, contact: Contact, question_id: int, kind: str, now: datetime) -> PendingQuestion:
    """The question a button names, if it is this contact's and still open; NeedError otherwise."""
    question = session.get(PendingQuestion, question_id)
    if question is None or question.contact_id != contact.id or question.kind != kind:
        raise NeedError(_("这个按钮不属于您，已忽略。"))
    if question.answered_at is not None or _touched(question) < now - QUESTION_TTL:
        raise NeedError(_("这个按钮已失效（问题已回答、已取消或已过期）。"))
    return question


def save_draft(session: Session, contact: Contact, question: PendingQuestion, today: date, now: datetime) -> Need:
    """保存: the dialog's draft becomes a Need with status 草稿; the question is closed."""
    if contact.role != Role.county or contact.county_id is None:
        raise NeedError(_("只有县联络员可以提交需求。"))
    values = needs.check_fields(Draft.of(question.payload).values(), today)
    need = needs.create_need(session, contact.county_id, values, f"contact:{contact.id}", contact_id=contact.id,
                             now=now)
    close(session, question, now)
    return need


def _touched(question: PendingQuestion) -> datetime:
    stamp = question.payload.get("touched")
    when = datetime.fromisoformat(stamp) if stamp else question.created_at
    return when if when.tzinfo else when.replace(tzinfo=question.created_at.tzinfo)
