"""Reviewing progress updates: accept, correct the parsed figures, or reject — each change audited.

The raw text is never changed by a reviewer: a correction edits the parsed figures only and
keeps the old and new figures in a `ProgressEdit` of kind "review".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.i18n import _

from models.registry import Contact
from models.reporting import ProgressEdit, ProgressUpdate, ReviewStatus
from models.services.audit import audit, reason_too_long
from models.services.ledger import Scope, visible_update
from models.services.outbox import tell
from models.services.parsing import FIELD_ORDER, YEAR_TO_DATE, ParsedUpdate
from models.services.reports import FIELD_LABELS, describe_update, parsed_of
from models.services.sums import BOUNDS, COUNTS, MONEY

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")


class ReviewError(ValueError):
    """A review action that cannot be done; the message names the field or the reason, in the locale in force."""


def _reviewable(session: Session, scope: Scope, update_id: int) -> ProgressUpdate:
    update = visible_update(session, scope, update_id).update
    if update.withdrawn_at is not None:
        raise ReviewError(_("这条进展已被报送人撤回，无需审核"))
    return update


def accept(
    session: Session, scope: Scope, update_id: int, actor: str, now: datetime, note: str = "", *,
    zone: ZoneInfo = DEFAULT_ZONE, queued: list[int] | None = None,
) -> ProgressUpdate:
    """Accept as parsed. Nobody is told, unless the update had been rejected: its sender was asked to send it
    again, so they learn the 退回 is withdrawn and the update counts as it is (a Delivery in this transaction)."""
    _check_note(note)
    update = _reviewable(session, scope, update_id)
    previous = update.review_status
    _decide(update, ReviewStatus.accepted, note, now)
    audit(session, actor, "review.accept", f"update:{update.id}", previous=previous, note=note)
    if previous == ReviewStatus.rejected:
        _tell_sender(session, update, lambda: reinstated_notice(update, zone, note), queued)
    return update


def reject(
    session: Session, scope: Scope, update_id: int, actor: str, now: datetime, note: str, *,
    zone: ZoneInfo = DEFAULT_ZONE, queued: list[int] | None = None,
) -> ProgressUpdate:
    """Reject with a reason; the sender is told (a Delivery in this transaction, its id appended to `queued`),
    once: the same reason again changes nothing."""
    if not note.strip():
        raise ReviewError(_("请填写退回原因"))
    _check_note(note)
    update = _reviewable(session, scope, update_id)
    previous = update.review_status
    if previous == ReviewStatus.rejected and (update.review_note or "") == note.strip()[:512]:
        return update  # the same 退回 again (a form sent twice): nothing changes, the sender is not told twice
    _decide(update, ReviewStatus.rejected, note, now)
    audit(session, actor, "review.reject", f"update:{update.id}", previous=previous, note=note)
    _tell_sender(session, update, lambda: rejected_notice(update, zone, note), queued)
    return update


def correct(
    session: Session, scope: Scope, update_id: int, figures: dict[str, Any], actor: str, now: datetime, note: str = "",
    *, zone: ZoneInfo = DEFAULT_ZONE, queued: list[int] | None = None,
) -> ProgressUpdate:
    """Replace the parsed figures with the reviewer's (see `read_figures`) and accept the update; tell the sender
    (that a 退回 is withdrawn, when the update had been rejected). Figures unchanged: `accept`."""
    _check_note(note)
    update = _reviewable(session, scope, update_id)
    old = parsed_of(update)
    if figures.get("cumulative") and YEAR_TO_DATE in old["cumulative"]:
        figures = {**figures, "cumulative": [*figures["cumulative"], YEAR_TO_DATE]}  # the boxes say which; the text, from when
    new = {**old, **figures}
    if new == old:  # the figures as they are: an acceptance, with no edit to record and no 更正 to announce
        return accept(session, scope, update_id, actor, now, note, zone=zone, queued=queued)
    session.add(ProgressEdit(update_id=update.id, kind="review", actor=actor, old_text=update.raw_text,  # type: ignore[arg-type]
                             new_text=update.raw_text, old_parsed=old, new_parsed=new, edited_at=now))
    for key, value in figures.items():
        setattr(update, key, value)
    previous = update.review_status
    _decide(update, ReviewStatus.accepted, note or "审核更正", now)
    audit(session, actor, "review.correct", f"update:{update.id}", previous=previous, old=old, new=new, note=note)
    was_rejected = previous == ReviewStatus.rejected
    _tell_sender(session, update, lambda: corrected_notice(update, zone, note, was_rejected=was_rejected), queued)
    return update


def rejected_notice(update: ProgressUpdate, zone: ZoneInfo, note: str) -> str:
    """The sender learns their update was sent back, and why (the reviewer's words as written)."""
    return _("您 {update}已被管理员退回。原因：{reason}。请按原因修改后重新发送这条进展。").format(
        update=describe_update(update, zone), reason=note.strip())


def corrected_notice(update: ProgressUpdate, zone: ZoneInfo, note: str, *, was_rejected: bool = False) -> str:
    """The sender learns the figures the ledger now holds for their update (and the reviewer's note, if any);
    a sender who was asked to send it again (`was_rejected`) learns that they need not."""
    figures = ParsedUpdate(**parsed_of(update)).summary_zh() or _("没有可计入台账的数字")
    lead = _("您 {update}此前被退回，现管理员已撤销退回，并将其更正为：{figures}。") if was_rejected \
        else _("您 {update}已由管理员更正为：{figures}。")
    return (lead.format(update=describe_update(update, zone), figures=figures) + _reviewer_note(note)
            + (_no_need_to_resend() if was_rejected else "") + _("如有异议，请联系管理员。"))


def reinstated_notice(update: ProgressUpdate, zone: ZoneInfo, note: str) -> str:
    """A rejected update accepted after all: its sender, asked to send it again, learns it counts as it is."""
    return (_("您 {update}此前被退回，现管理员已撤销退回，这条进展已按原内容计入台账。").format(
        update=describe_update(update, zone)) + _reviewer_note(note) + _no_need_to_resend())


def _reviewer_note(note: str) -> str:
    return _("说明：{note}。").format(note=note.strip()) if note.strip() else ""


def _no_need_to_resend() -> str:
    """A sender who already sent it again would have it counted twice: they are asked to say so."""
    return _("无需重新发送这条进展；如已重新发送，请告知管理员，以免重复计入。")


def _tell_sender(session: Session, update: ProgressUpdate, text: Callable[[], str], queued: list[int] | None) -> None:
    """A review decision reaches the person who sent the update, where other notices reach them (no address: no message)."""
    contact = session.get(Contact, update.contact_id)
    if contact is not None:
        tell(session, [contact], text, queued)


def _check_note(note: str) -> None:
    """A note goes to the audit log and, with a 退回 or 更正, to the sender as written: a short one only."""
    if (problem := reason_too_long(note.strip())) is not None:
        raise ReviewError(problem)


def _decide(update: ProgressUpdate, status: ReviewStatus, note: str, now: datetime) -> None:
    """The decision and its note. A note left blank keeps the parser's reason for flagging, but never a
    rejection's reason once the update is no longer rejected (it would read as the reason it was accepted)."""
    if note.strip():
        update.review_note = note.strip()[:512]
    elif update.review_status == ReviewStatus.rejected and status != ReviewStatus.rejected:
        update.review_note = ""
    update.review_status = status
    update.updated_at = now


def _is_digits(text: str) -> bool:
    return text.lstrip("+").replace(".", "", 1).isdecimal()


def read_figures(form: Mapping[str, str], fields: list[str]) -> dict[str, Any]:
    """A reviewer's figures from form text: blank means 'not stated'; ReviewError names a bad field.

    Each figure must be a finite number from 0 to its bound (sums.BOUNDS); counts are whole numbers.
    """
    figures: dict[str, Any] = {}
    for key in MONEY + COUNTS:
        text = (form.get(key) or "").strip().replace(",", "").replace("，", "")
        if not text:
            figures[key] = None
            continue
        try:
            value = float(text)
        except ValueError:
            raise ReviewError(_("{field}应为数字，而不是“{text}”").format(field=_(FIELD_LABELS[key]), text=text)) from None
        if not math.isfinite(value) and _is_digits(text):
            value = math.inf  # "99999…" beyond what a float holds: too large, said below like any other
        elif not math.isfinite(value):
            raise ReviewError(_("{field}应为有限的数字，而不是“{text}”").format(field=_(FIELD_LABELS[key]), text=text[:20]))
        if value < 0:
            raise ReviewError(_("{field}不能为负数").format(field=_(FIELD_LABELS[key])))
        if value > BOUNDS[key]:
            message = _("{field}不能超过 {bound}万元（“{text}”不合常理）") if key in MONEY \
                else _("{field}不能超过 {bound}（“{text}”不合常理）")
            raise ReviewError(message.format(field=_(FIELD_LABELS[key]), bound=f"{BOUNDS[key]:,}", text=text[:20]))
        if key in COUNTS:
            if value != int(value):
                raise ReviewError(_("{field}应为整数，而不是“{text}”").format(field=_(FIELD_LABELS[key]), text=text))
            figures[key] = int(value)
        else:
            figures[key] = round(value, 4) or 0.0  # "-0" is 0
    unknown = [f for f in fields if f not in FIELD_ORDER]
    if unknown:
        raise ReviewError(_("未知的帮扶领域：{fields}").format(fields=_("、").join(unknown)))
    figures["fields"] = [f for f in FIELD_ORDER if f in fields]
    # A ticked 累计 box: the figure is the pairing's total to date, not an increment (see models.services.sums).
    figures["cumulative"] = [key for key in MONEY + COUNTS
                             if form.get(f"cumulative_{key}") and figures[key] is not None]
    return figures
