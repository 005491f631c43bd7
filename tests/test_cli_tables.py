"""Tables printed by the CLI: figures and names come out whole and as typed, piped or not."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from bot.channels.console import ConsoleChannel
from bot.db import make_engine, unit_of_work
from jobs.outbound import send_delivery
from models.messaging import Delivery
from models.registry import ChannelIdentity, Contact, Role
from models.reporting import ProgressUpdate
from tests.factories import add_org, county_id, pair, CODES
from tests.test_cli import pairbot

MARKUP_NAME = "[bold]王[/]五"
MARKUP_TEXT = "请于月底前报送[/]进展 [red]"
REACHABLE_NAME = "[/]赵六"


def seed(url: str) -> None:
    engine = make_engine(url)
    county = county_id(engine, "布拖县")
    pairing = pair(engine, add_org(engine, "[i]某基金会", CODES[0]), county)
    with unit_of_work(engine) as session:
        contact = Contact(name=MARKUP_NAME, role=Role.county, county_id=county, last_channel="telegram")
        session.add(contact)
        session.flush()
        session.add(ChannelIdentity(contact_id=contact.id, channel="telegram", external_id="777",
                                    unreachable_since=datetime(2026, 11, 1, tzinfo=UTC)))
        reachable = Contact(name=REACHABLE_NAME, role=Role.county, county_id=county, last_channel="telegram")
        session.add(reachable)
        session.flush()
        session.add(ChannelIdentity(contact_id=reachable.id, channel="telegram", external_id="778"))
        session.add(ProgressUpdate(contact_id=contact.id, pairing_id=pairing, channel="telegram",
                                   raw_text="投入资金987654.3219万元，帮扶农户9876543户", funds_wan=987_654.3219,
                                   households=9_876_543))
    engine.dispose()


def test_ledger_totals_piped_print_every_figure_whole(tmp_path: Path, db_url: str) -> None:
    env = {"PAIRBOT_DATABASE__URL": db_url}
    assert pairbot("init", cwd=tmp_path, env=env).returncode == 0
    seed(db_url)
    result = pairbot("ledger", "totals", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "987,654.3219" in result.stdout and "9,876,543" in result.stdout, result.stdout
    assert "…" not in result.stdout


def test_names_and_texts_print_as_typed_not_as_markup(tmp_path: Path, db_url: str) -> None:
    env = {"PAIRBOT_DATABASE__URL": db_url}
    assert pairbot("init", cwd=tmp_path, env=env).returncode == 0
    seed(db_url)
    sent = pairbot("broadcast", "--to", "all", "--text", MARKUP_TEXT, "--ack", "--yes", cwd=tmp_path, env=env)
    assert sent.returncode == 0, sent.stderr
    overview = pairbot("broadcast", "status", cwd=tmp_path, env=env)
    assert overview.returncode == 0, overview.stderr
    assert MARKUP_NAME in overview.stdout
    detail = pairbot("broadcast", "status", "1", cwd=tmp_path, env=env)
    assert detail.returncode == 0, detail.stderr
    assert MARKUP_TEXT in detail.stdout and REACHABLE_NAME in detail.stdout


def test_broadcast_status_says_statuses_and_errors_in_the_words_of_the_page(tmp_path: Path, db_url: str) -> None:
    env = {"PAIRBOT_DATABASE__URL": db_url}
    assert pairbot("init", cwd=tmp_path, env=env).returncode == 0
    seed(db_url)
    engine = make_engine(db_url)
    with unit_of_work(engine) as session:
        other = Contact(name="钱七", role=Role.county, county_id=county_id(engine, "布拖县"), last_channel="telegram")
        session.add(other)
        session.flush()
        session.add(ChannelIdentity(contact_id=other.id, channel="telegram", external_id="779"))
    assert pairbot("broadcast", "--to", "all", "--text", "请报送进展", "--ack", "--yes", cwd=tmp_path, env=env
                   ).returncode == 0
    with Session(engine) as session:
        sent, failed = session.exec(select(Delivery.id).order_by(col(Delivery.id))).all()
    assert send_delivery(engine, {"telegram": ConsoleChannel()}, sent).status == "sent"
    assert send_delivery(engine, {}, failed).status == "failed"  # no Telegram channel: “channel telegram is not …”
    engine.dispose()
    table = pairbot("broadcast", "status", "1", cwd=tmp_path, env=env)
    assert table.returncode == 0, table.stderr
    assert "渠道 Telegram 未配置，未能发送。" in table.stdout  # as /review/broadcasts/1 says it
    unacknowledged = table.stdout.split("尚未确认收到（2）")[1]
    assert "已发送" in unacknowledged and "失败" in unacknowledged
    assert "not configured" not in table.stdout and "sent" not in table.stdout and "failed" not in table.stdout
    stored = json.loads(pairbot("broadcast", "status", "1", "--json", cwd=tmp_path, env=env).stdout)
    assert [(line["status"], line["error"]) for line in stored["failed"]] == [
        ("failed", "channel telegram is not configured")]  # --json keeps what is stored, for scripts
