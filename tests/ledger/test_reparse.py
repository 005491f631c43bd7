"""`pairbot ledger reparse`: stored updates read again with today's parser, run as an administrator runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from bot.db import make_engine, unit_of_work
from models.messaging import AuditLog
from models.reporting import ProgressEdit, ProgressUpdate, ReviewStatus
from tests.ledger.world import T0, build

SHARES = "投入资金20万元，10万元用于修路，10万元用于助学"  # read as 40 before shares were understood


def pairbot(db_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {"PAIRBOT_DATABASE__URL": db_url}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_reparse_lists_then_stores_todays_reading_and_the_ledger_follows(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    world = build(engine)
    contact, pairing = world.contacts["布拖联络员"], world.pairings["一-布拖"]

    def stored(text: str, **values: object) -> int:
        with unit_of_work(engine) as session:
            update = ProgressUpdate(contact_id=contact, pairing_id=pairing, channel="console", raw_text=text,
                                    created_at=world.tick(), **values)
            session.add(update)
            session.flush()
            return update.id  # type: ignore[return-value]

    stale = stored(SHARES, funds_wan=40.0, fields=["教育", "其他"])
    reviewed = stored(SHARES, funds_wan=33.0, fields=["教育", "其他"], review_status=ReviewStatus.accepted)
    withdrawn = stored(SHARES, funds_wan=99.0, fields=["教育", "其他"], withdrawn_at=T0)
    negative = stored("调减投入资金5万元", funds_wan=5.0)
    same = stored("带动38户", households=38)
    with unit_of_work(engine) as session:
        session.add(ProgressEdit(update_id=reviewed, kind="review", actor="admin:1", old_text=SHARES, new_text=SHARES,
                                 old_parsed={"funds_wan": 40.0}, new_parsed={"funds_wan": 33.0}))
    before = json.loads(pairbot(db_url, tmp_path, "ledger", "totals", "--json").stdout)[-1]
    assert before["funds_wan"] == 78 and before["households"] == 38

    listed = pairbot(db_url, tmp_path, "ledger", "reparse", "--json")
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    assert [row["id"] for row in report["updates"]] == [stale, negative]
    assert report["changed"] == report["figures_changed"] == 2 and report["stored"] is False
    assert report["updates"][0]["old"]["funds_wan"] == 40 and report["updates"][0]["new"]["funds_wan"] == 20
    assert json.loads(pairbot(db_url, tmp_path, "ledger", "totals", "--json").stdout)[-1] == before  # nothing written

    table = pairbot(db_url, tmp_path, "ledger", "reparse")
    assert "投入资金 40 → 20" in table.stdout and "pairbot ledger reparse --yes" in table.stdout

    written = pairbot(db_url, tmp_path, "ledger", "reparse", "--yes")
    assert written.returncode == 0, written.stderr
    assert "已按现行规则更新 2 条进展" in written.stdout
    after = json.loads(pairbot(db_url, tmp_path, "ledger", "totals", "--json").stdout)[-1]
    assert after["funds_wan"] == 53 and after["households"] == 38  # 20 + the reviewer's 33; −5 waits for review
    with unit_of_work(engine) as session:
        rows = {row.id: row for row in session.scalars(select(ProgressUpdate))}
        assert rows[stale].funds_wan == 20 and rows[stale].review_status == ReviewStatus.received
        assert rows[reviewed].funds_wan == 33 and rows[withdrawn].funds_wan == 99 and rows[same].households == 38
        assert rows[negative].funds_wan == -5 and rows[negative].review_status == ReviewStatus.flagged
        edits = session.scalars(select(ProgressEdit).where(ProgressEdit.kind == "reparse")).all()
        assert sorted(edit.update_id for edit in edits) == [stale, negative]
        assert next(edit for edit in edits if edit.update_id == stale).old_parsed["funds_wan"] == 40
        assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "ledger.reparse")) == 2

    again = pairbot(db_url, tmp_path, "ledger", "reparse", "--yes")
    assert "一致，无需修改" in again.stdout
    rebuilt = pairbot(db_url, tmp_path, "ledger", "rebuild")
    assert rebuilt.returncode == 0
    assert json.loads(pairbot(db_url, tmp_path, "ledger", "totals", "--json").stdout)[-1] == after  # the hook kept it right
    engine.dispose()
