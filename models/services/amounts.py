"""How a figure is written for people: the one rounding every reply, page, CLI line and message uses."""

from __future__ import annotations

PRECISION = 4  # decimals the ledger keeps for money in 万元 (one yuan)


def amount_text(value: float | int, grouped: bool = False) -> str:
    """123456.78 → "123456.78" ("123,456.78" `grouped`), 1e6 → "1000000", 20.0 → "20": the value at the
    ledger's precision, without float noise, exponent or trailing zeros (a %g format rounds 123456.78 to 123457
    and writes 1e+06, so chat and CLI disagreed with the pages and the workbook)."""
    if isinstance(value, int):
        return f"{value:,}" if grouped else str(value)
    text = f"{value:,.{PRECISION}f}" if grouped else f"{value:.{PRECISION}f}"
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
