"""One way to write a figure: chat, CLI and pages show the value the ledger holds, never a %g rounding."""

from __future__ import annotations

import pytest

from bot.i18n import using
from models.services.amounts import amount_text
from models.services.need_text import wan_text


@pytest.mark.parametrize(("value", "plain", "grouped"), [
    (1_000_000.0, "1000000", "1,000,000"),
    (123456.78, "123456.78", "123,456.78"),
    (20.0, "20", "20"),
    (0.35, "0.35", "0.35"),
    (0.00005, "0.0001", "0.0001"),
    (0.00004, "0", "0"),
    (-0.0, "0", "0"),
    (-5.5, "-5.5", "-5.5"),
    (1234567, "1234567", "1,234,567"),
])
def test_a_figure_is_written_at_the_ledgers_precision(value: float, plain: str, grouped: str) -> None:
    assert amount_text(value) == plain
    assert amount_text(value, grouped=True) == grouped


def test_a_need_amount_reads_the_same_in_chat_as_on_the_pages() -> None:
    with using("zh_CN"):
        assert wan_text(1_000_000.0) == "1000000 万元"  # was “1e+06 万元”
        assert wan_text(123456.78) == "123456.78 万元"  # was “123457 万元”
        assert wan_text(1_000_000.0, grouped=True) == "1,000,000 万元"
