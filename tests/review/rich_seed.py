"""A rich ledger for walking every review page: the review seed and the 项目库 seed, plus what they lack —
a withdrawn, a corrected (by its sender), an accepted-with-correction and a rejected update, a suspended
pairing, a group chat, and a notice queued through the broadcast service whose recipients are partly
unreachable (no chat account) and partly failed on an unconfigured channel. All through the services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from bot.db import unit_of_work
from models.messaging import Broadcast, Delivery, DeliveryStatus
from models.pairing import Agreement, Pairing, PairingGroup, PairingStatusChange, Project
from models.projects import Need, NeedClaim
from models.registry import Contact, County, Group, Organization
from models.reporting import ProgressEdit, ProgressUpdate
from models.services import pairings, review
from models.services.broadcast import Segment, queue_broadcast
from models.services.ledger import Scope
from models.services.reports import correct_update, record_update, withdraw_update
from tests.review.needs_seed import Library, seed_library
from tests.review.seed import NOW, Ledger, seed

ALL = Scope()
REVIEWER_NOTES = ["数字与附件不符", "请补充受益户数"]


@dataclass
class Rich:
    ledger: Ledger
    library: Library
    broadcast: int  # queued through the service: delivered, failed and unreachable recipients
    ids: dict[str, list[int]] = field(default_factory=dict)  # kind → every id of that kind


def _update(engine: Engine, contact_id: int, text: str, days_ago: float) -> int:
    with unit_of_work(engine) as session:
        contact = session.get(Contact, contact_id)
        recorded = record_update(session, contact, text, "console", NOW - timedelta(days=days_ago))  # type: ignore[arg-type]
        return recorded.update.id  # type: ignore[return-value]


def seed_rich(engine: Engine) -> Rich:
    ledger = seed(engine)
    library = seed_library(engine, ledger)
    buto = ledger.county_contact
    withdrawn = _update(engine, buto, "本月投入资金3万元，带动5户。", 0.01)
    corrected = _update(engine, buto, "本月投入资金8万元，带动12户。", 1)
    rejected = _update(engine, buto, "本月开展消费帮扶，销售农产品6万元。", 4)
    with unit_of_work(engine) as session:
        contact = session.get(Contact, buto)
        withdraw_update(session, contact, timedelta(minutes=30), NOW,  # type: ignore[arg-type]
                        session.get(ProgressUpdate, withdrawn))
        correct_update(session, contact, session.get(ProgressUpdate, corrected),  # type: ignore[arg-type]
                       "本月投入资金9万元，带动12户。", "correction", NOW - timedelta(hours=20))
    with unit_of_work(engine) as session:
        actor = f"contact:{ledger.admin} via web"
        review.correct(session, ALL, ledger.flagged[1], {"funds_wan": 20.0}, actor, NOW, REVIEWER_NOTES[0])
        review.reject(session, ALL, rejected, actor, NOW, REVIEWER_NOTES[1])
        row = pairings.in_scope(session, ALL, ledger.pairings["爱德-布拖"])
        pairings.change_status(session, row, "suspend", pairings.Change(actor, "组织换届，暂停三个月"), NOW)
        session.add(Group(channel="console", chat_id="grp-sc", title="四川结对工作群", province="四川省"))
    with unit_of_work(engine) as session:
        queued = queue_broadcast(session, Segment("all"), "请核对本县12月的帮扶台账。", require_ack=True,
                                 actor=f"contact:{ledger.admin} via web", now=NOW - timedelta(hours=5))
        broadcast_id = queued.broadcast.id
        deliveries = session.exec(select(Delivery).where(Delivery.broadcast_id == broadcast_id)
                                  .order_by(col(Delivery.id))).all()
        for n, delivery in enumerate(deliveries):
            if n == 0:
                delivery.status, delivery.sent_at, delivery.acknowledged_at = DeliveryStatus.sent, NOW, NOW
            elif n == 1:
                delivery.status, delivery.last_error = DeliveryStatus.failed, "channel telegram is not configured"
            else:
                delivery.status, delivery.sent_at = DeliveryStatus.sent, NOW
        assert queued.audience.unreachable, "the seed needs contacts without a chat account"
    rich = Rich(ledger, library, broadcast_id)  # type: ignore[arg-type]
    with unit_of_work(engine) as session:
        for kind, table in (("counties", County), ("pairings", Pairing), ("updates", ProgressUpdate),
                            ("needs", Need), ("projects", Project), ("broadcasts", Broadcast)):
            rich.ids[kind] = list(session.exec(select(table.id).order_by(table.id)).all())  # type: ignore[attr-defined]
    return rich


def data_strings(engine: Engine) -> set[str]:
    """What people wrote or imported, which stays as written in either language (names, texts, notes)."""
    columns = [County.name, County.province, County.prefecture, Organization.name, Organization.level,
               Organization.kind, Organization.province, Organization.supervisor, Contact.name,
               ProgressUpdate.raw_text, ProgressEdit.old_text, ProgressEdit.new_text, Need.title, Need.description,
               Need.close_reason, NeedClaim.reason, Project.name, Project.description, Project.close_reason,
               Broadcast.text, PairingStatusChange.note, Agreement.document, PairingGroup.name, Group.title]
    found: set[str] = set(REVIEWER_NOTES)
    with unit_of_work(engine) as session:
        for column in columns:
            found |= {value for value in session.exec(select(column)).all() if isinstance(value, str) and value}
    return found

