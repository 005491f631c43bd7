"""Read stored progress updates again with today's parser (`pairbot ledger reparse`).

The parser's rules improve (shares of an amount, arrivals, earlier periods …), but an update keeps
the figures it was read with when it arrived. This finds the updates whose stored reading differs
from what the parser reads in the same text today and, when asked, stores today's reading: the
ledger's session hook recomputes their accounts in the same transaction, so every total follows.

Left as they are: figures a reviewer set (an update with a `review` edit is a person's decision)
and withdrawn updates. An update that today's reading would flag (a negative or implausible
figure) and that was simply received waits for a reviewer, as it would if it arrived today; a
reviewer's accept or reject stands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from models.pairing import Project
from models.reporting import ProgressEdit, ProgressUpdate, ReviewStatus
from models.services.audit import audit
from models.services.parsing import FIELD_ORDER, parse_update
from models.services.reports import PARSED_KEYS, apply_parsed, parsed_of, review_flags
from models.services.sums import FIGURES

ACTOR = "cli:reparse"
EDIT_KIND = "reparse"
BATCH = 500


@dataclass(frozen=True)
class Reread:
    """One update whose stored reading differs from today's."""

    update_id: int
    text: str
    old: dict[str, Any]
    new: dict[str, Any]

    def changed(self) -> list[str]:
        """The keys (funds_wan … fields, cumulative) whose value differs."""
        return [key for key in PARSED_KEYS if _comparable(self.old.get(key)) != _comparable(self.new.get(key))]

    def figures_changed(self) -> list[str]:
        """The figures among them (not fields or cumulative)."""
        return [key for key in self.changed() if key in FIGURES]


def rereads(session: Session, batch: int = BATCH, progress: Callable[[int], None] | None = None,
            ) -> Iterator[tuple[ProgressUpdate, Reread]]:
    """Each update (not withdrawn, never corrected by a reviewer) whose stored reading differs from
    today's, in id order, read `batch` rows at a time so memory stays flat; `progress` is told how
    many were read after each batch."""
    reviewed = select(ProgressEdit.update_id).where(ProgressEdit.kind == "review")  # type: ignore[call-overload]
    last = 0
    while True:
        rows = session.scalars(
            select(ProgressUpdate)
            .where(ProgressUpdate.id > last, ProgressUpdate.withdrawn_at.is_(None),  # type: ignore[union-attr,operator]
                   ProgressUpdate.id.not_in(reviewed))  # type: ignore[union-attr]
            .order_by(ProgressUpdate.id).limit(batch)).all()  # type: ignore[arg-type]
        if not rows:
            return
        for update in rows:
            last = update.id  # type: ignore[assignment]
            reread = reread_of(session, update)
            if reread.changed():
                yield update, reread
        if progress is not None:
            progress(len(rows))


def candidates(session: Session) -> int:
    """How many updates `rereads` reads (for a progress bar)."""
    reviewed = select(ProgressEdit.update_id).where(ProgressEdit.kind == "review")  # type: ignore[call-overload]
    return session.scalar(select(func.count()).select_from(ProgressUpdate).where(
        ProgressUpdate.withdrawn_at.is_(None), ProgressUpdate.id.not_in(reviewed))) or 0  # type: ignore[union-attr]


def reread_of(session: Session, update: ProgressUpdate) -> Reread:
    """The update's stored reading beside today's (its project's field kept among the fields, as
    filing under a project does)."""
    parsed = parse_update(update.raw_text)
    new = {key: list(value) if isinstance(value, tuple) else value
           for key, value in ((key, getattr(parsed, key)) for key in PARSED_KEYS)}
    project_field = _project_field(session, update)
    if project_field and project_field not in new["fields"]:
        named = {*new["fields"], project_field}
        new["fields"] = [name for name in FIELD_ORDER if name in named]
    return Reread(update.id, update.raw_text, parsed_of(update), new)  # type: ignore[arg-type]


def store(session: Session, update: ProgressUpdate, reread: Reread, now: datetime) -> None:
    """Store today's reading on the update, with an edit and an audit entry that keep the old one."""
    parsed = parse_update(update.raw_text)
    apply_parsed(update, parsed)
    update.fields = list(reread.new["fields"])
    flags = review_flags(session, parsed, update.raw_text, update.pairing_id)
    if flags and update.review_status == ReviewStatus.received:
        update.review_status = ReviewStatus.flagged
        update.review_note = "；".join(flags)
    update.updated_at = now
    session.add(ProgressEdit(update_id=update.id, kind=EDIT_KIND, actor=ACTOR, old_text=update.raw_text,  # type: ignore[arg-type]
                             new_text=update.raw_text, old_parsed=reread.old, new_parsed=reread.new, edited_at=now))
    audit(session, ACTOR, "ledger.reparse", f"update:{update.id}", old=reread.old, new=reread.new)


def _project_field(session: Session, update: ProgressUpdate) -> str | None:
    if update.project_id is None:
        return None
    project = session.get(Project, update.project_id)
    return project.field if project is not None else None


def _comparable(value: Any) -> Any:
    """Stored JSON lists and floats compared as values: [] and None alike for lists, 20 == 20.0."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    if isinstance(value, float):
        return round(value, 4)
    return value
