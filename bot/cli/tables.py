"""Tables and text on the terminal, one way for every command.

Figures in the ledger and names people typed are printed as they are: a cell that does not fit
is folded onto the next line instead of being cut with "…" (a cut figure reads as another
figure), text is never read as rich markup (a contact named "[/]" must print, not crash), and
output piped to a file is wide enough that tables keep their shape.
"""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

PIPED_WIDTH = 200


class Table(RichTable):
    """A rich Table whose title and cells are plain text and whose cells fold instead of being cut."""

    def __init__(self, title: str | None = None, **options: Any) -> None:
        super().__init__(title=escape(title) if title is not None else None, **options)

    def add_column(self, header: Any = "", **options: Any) -> None:  # type: ignore[override]
        options.setdefault("overflow", "fold")
        super().add_column(escape(header) if isinstance(header, str) else header, **options)

    def add_row(self, *cells: Any, **options: Any) -> None:  # type: ignore[override]
        super().add_row(*(escape(cell) if isinstance(cell, str) else cell for cell in cells), **options)


def console() -> Console:
    """A terminal's own width; piped or redirected, wide enough that tables are not squeezed."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else PIPED_WIDTH)

