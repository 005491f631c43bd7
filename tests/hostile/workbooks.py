"""Workbooks as Excel writes them, and parts swapped for hostile ones (bombs, far rows), streamed to disk.

Plain functions without pytest: tests/hostile/test_imports.py and bench/hostile_input.py both build with them.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import xlsxwriter


def workbook(path: Path, rows: list[list[object]]) -> Path:
    """A workbook as Excel writes one: text in the shared-string table (XlsxWriter, like Excel, puts it there)."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for number, row in enumerate(rows):
        sheet.write_row(number, 0, row)
    book.close()
    return path


def replace_part(path: Path, name: str, chunks: Iterator[bytes]) -> None:
    """Rewrite one part of a workbook, streaming it in (so the test never holds a bomb in memory)."""
    original = path.with_suffix(".orig")
    path.rename(original)
    with zipfile.ZipFile(original) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info))
        with target.open(name, "w", force_zip64=True) as part:
            for chunk in chunks:
                part.write(chunk)
    original.unlink()


def shared_strings(total: int) -> Iterator[bytes]:
    """A shared-string table of at least `total` bytes, streamed in chunks (one-character strings)."""
    yield b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    unit = b"<si><t>x</t></si>" * 4096
    for _ in range(total // len(unit) + 1):
        yield unit
    yield b"</sst>"
