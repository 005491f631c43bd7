"""The router's units of work: several messages per transaction, each one's own outcome; stored, then handled."""

from __future__ import annotations

import time
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.db import make_engine, migrate
from bot.inbound import GroupCommit
from bot.messages import Attachment, Incoming
from bot.router import SORRY, Router
from handlers.context import Context, HandlerSettings
from models.messaging import AuditLog, Delivery, InboundMessage


class Echo:
    """Writes an audit row, then answers; `boom` fails after writing."""

    def matches(self, ctx: Context) -> bool:
        return True

    def handle(self, ctx: Context) -> None:
        ctx.audit("echo", ctx.text)
        if ctx.text == "boom":
            raise RuntimeError("handler bug")
        ctx.reply(f"收到：{ctx.text}")


def router(db_url: str, enqueued: list[int]) -> Router:
    engine = make_engine(db_url)
    migrate(engine)
    return Router(engine, [Echo()], HandlerSettings(zone=ZoneInfo("Asia/Shanghai")),
                  lambda ids: enqueued.extend(ids))


def said(text: str, n: int, chat: str = "u1") -> Incoming:
    return Incoming(channel="wecom", chat_id=chat, sender_id=chat, text=text, message_id=str(n))


def rows(r: Router, model: type) -> list:  # type: ignore[type-arg]
    with Session(r.engine) as session:
        return list(session.exec(select(model).order_by(col(model.id))).all())  # type: ignore[attr-defined]


def test_a_batch_commits_together_and_a_failing_handler_undoes_only_its_own_work(db_url: str) -> None:
    enqueued: list[int] = []
    r = router(db_url, enqueued)
    outcomes = r.handle_batch([said("一", 1), said("boom", 2), said("二", 3), said("一", 1)])
    assert [len(o) for o in outcomes] == [1, 1, 1, 0]  # a reply each; the re-delivery of 1 is recognised
    assert [m.text for m in rows(r, InboundMessage)] == ["一", "boom", "二"]  # every raw message kept
    assert [a.target for a in rows(r, AuditLog) if a.action == "echo"] == ["一", "二"]  # boom's write undone
    assert [d.text for d in rows(r, Delivery)] == ["收到：一", SORRY, "收到：二"]
    assert sorted(enqueued) == [d.id for d in rows(r, Delivery)]  # enqueued after the commit
    assert all(m.handled_at is not None for m in rows(r, InboundMessage))


def test_stored_messages_are_handled_once_in_order_and_found_again_after_a_restart(db_url: str) -> None:
    enqueued: list[int] = []
    r = router(db_url, enqueued)
    photo = Incoming(channel="wecom", chat_id="u2", sender_id="u2", message_id="9",
                     attachments=(Attachment("photo", "media-1", "a.jpg"),))
    ids = r.store([said("一", 1), said("二", 2, "u2"), photo])
    assert r.store([said("一", 1)]) == [None]  # stored before: no second row
    assert all(isinstance(i, int) for i in ids) and rows(r, Delivery) == []
    assert r.unhandled() == [(ids[0], "u1"), (ids[1], "u2"), (ids[2], "u2")]  # what a restart picks up

    seen: list[Incoming] = []
    r.prepare["wecom"] = lambda message, now: seen.append(message) or message
    restarted = router(db_url, enqueued)  # another process: each row is handled by one of them only
    restarted.prepare = r.prepare
    assert [len(o) for o in r.handle_stored(ids[:2])] == [1, 1]
    assert [len(o) for o in restarted.handle_stored(ids)] == [0, 0, 1]
    assert r.unhandled() == []
    assert [d.text for d in rows(r, Delivery)] == ["收到：一", "收到：二", "收到："]
    assert seen[-1].attachments == photo.attachments and seen[-1].message_id == "9"  # rebuilt from the row


def test_group_commit_hands_each_caller_its_own_outcome(db_url: str) -> None:
    r = router(db_url, [])
    batches: list[int] = []

    def run(messages: Sequence[Incoming]) -> list[list[int] | BaseException]:
        batches.append(len(messages))
        return r.handle_batch(messages)

    writer: GroupCommit[Incoming, list[int]] = GroupCommit(run, "test-inbound")
    futures = [writer.submit(said("boom" if n == 5 else f"第{n}条", n, f"u{n % 3}"), f"u{n % 3}")
               for n in range(40)]
    writer.join()
    writer.close()
    assert all(len(f.result()) == 1 for f in futures) and sum(batches) == 40
    texts = [d.text for d in rows(r, Delivery)]
    assert texts.count(SORRY) == 1 and len(texts) == 40
    by_chat = [m.message_id for m in rows(r, InboundMessage) if m.chat_id == "u1"]
    assert by_chat == sorted(by_chat, key=int)  # one chat's messages in the order they came


def test_a_stored_message_whose_handling_keeps_failing_is_tried_until_it_is_handled(db_url: str) -> None:
    """The database refusing for a while (a long lock, a deadlock with `ledger rebuild`) delays the message; it
    does not leave it unhandled until the next start, however many tries it takes."""
    from sqlalchemy.exc import OperationalError

    from bot.inbound import Inbox

    enqueued: list[int] = []
    r = router(db_url, enqueued)
    handle_stored, failures = r.handle_stored, [6]

    def refusing(ids: Sequence[int]) -> list[list[int] | BaseException]:
        if failures[0]:
            failures[0] -= 1
            return [OperationalError("UPDATE inboundmessage", {}, Exception("deadlock detected"))] * len(ids)
        return handle_stored(ids)

    r.handle_stored = refusing  # type: ignore[method-assign]
    inbox = Inbox(r, first_delay=0.01)
    assert isinstance(inbox.submit(said("一", 1)).result(timeout=10), int)
    deadline = time.monotonic() + 20
    while r.unhandled():
        assert time.monotonic() < deadline, "still unhandled after six refusals"
        time.sleep(0.05)
    assert failures == [0] and [d.text for d in rows(r, Delivery)] == ["收到：一"]
    inbox.close()
