"""The issue's messages, sent through the simulator on SQLite and PostgreSQL: every update is stored,
and the chat, the totals, the export and the CLI tell the figures a careful official would write."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.app import App
from bot.cli import build_app
from models.reporting import ProgressUpdate
from models.services.export import export_workbook
from models.services.ledger import Scope, totals
from models.services.sums import LEDGER_ZONE
from tests.handlers.test_reporting import county_contact


def _updates(app: App) -> list[ProgressUpdate]:
    with Session(app.engine) as session:
        return list(session.exec(select(ProgressUpdate).order_by(ProgressUpdate.id)).all())


def _funds(app: App) -> float:
    with Session(app.engine) as session:
        return totals(session, Scope())[1].funds_wan


def test_a_running_total_replaces_the_increments_it_contains(app: App) -> None:
    user = county_contact(app)
    user.send("本月投入帮扶资金20万元")
    [reply] = user.send("截至目前累计投入帮扶资金120万元")
    assert "累计投入资金 120 万元" in reply and "结对台账累计：投入资金 120 万元" in reply
    assert _funds(app) == 120  # not 140
    [reply] = user.send("本月又投入帮扶资金15万元")
    assert "结对台账累计：投入资金 135 万元" in reply and _funds(app) == 135
    user.send("撤回")
    assert _funds(app) == 120


def test_absurd_numbers_and_nul_bytes_are_stored_flagged_and_exportable(app: App, tmp_path: Path) -> None:
    user = county_contact(app)
    texts = ["本月投入帮扶资金" + "9" * 400 + "万元", "带动3000000000户增收", "惠及3000亿亿人",
             "本月投入帮扶资金1e30万元", "本月投入帮扶资金5万元\x00，带动3户"]
    for text in texts:
        [reply] = user.send(text)
        assert "inf" not in reply and "出错" not in reply, reply
    stored = _updates(app)
    assert len(stored) == 5
    assert [u.review_status for u in stored[:4]] == ["flagged"] * 4
    assert all("数字异常" in u.review_note for u in stored[:4])
    assert (stored[0].funds_wan, stored[1].households, stored[2].people, stored[3].funds_wan) == (None,) * 4
    assert stored[4].raw_text == "本月投入帮扶资金5万元\\u0000，带动3户" and stored[4].funds_wan == 5
    assert _funds(app) == 5
    report = export_workbook(app.engine, tmp_path / "ledger.xlsx", Scope(), zone=LEDGER_ZONE, year=2026, actor="test")
    assert report.rows["进展"] == 5


def test_cli_totals_match_the_pages(app: App, tmp_path: Path) -> None:
    user = county_contact(app)
    user.send("本月投入帮扶资金20万元，带动10户")
    user.send("截至目前累计投入帮扶资金120万元")
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{app.settings.database.url}"\n', encoding="utf-8")
    result = CliRunner().invoke(build_app(), ["--config", str(config), "ledger", "totals", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    overall = rows[-1]
    assert overall["province"] == "合计" and overall["funds_wan"] == 120 and overall["households"] == 10
    assert next(r for r in rows if r["province"] == "四川省")["funds_wan"] == 120
