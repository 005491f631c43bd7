"""The repository carries its own copies of the design's shared files, so the suite runs outside the CI layout;
where ../shared is present (the CI layout), the copies must still say the same.

- shared/samples/* → tests/data/samples/* (the labelled updates the parser tests and benches read), byte for byte;
- shared/data/key_counties.csv → models/data/key_counties.csv (shipped in the package and loaded by `pairbot init`):
  the package's list may add counties found since (see models/data/SOURCES.md) but keeps every shared row.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

needs_shared = pytest.mark.skipif(
    not (SHARED / "samples").is_dir(),
    reason=f"no ../shared beside the repository ({SHARED}): the copies in tests/data cannot be compared, "
           "only the CI layout has it")


def test_the_copied_samples_are_in_the_repository() -> None:
    copies = sorted((REPO / "tests" / "data" / "samples").glob("*"))
    assert [path.name for path in copies] == ["updates.jsonl"] and copies[0].stat().st_size > 0


@needs_shared
def test_every_shared_sample_is_copied_unchanged() -> None:
    shared = sorted(path for path in (SHARED / "samples").iterdir() if path.is_file())
    assert shared, f"{SHARED / 'samples'} is empty"
    for path in shared:
        copy = REPO / "tests" / "data" / "samples" / path.name
        assert copy.is_file(), f"{path.name} is in ../shared/samples but not copied to tests/data/samples"
        assert copy.read_bytes() == path.read_bytes(), (
            f"tests/data/samples/{path.name} differs from ../shared/samples/{path.name}: copy it again")


def _rows(path: Path) -> set[tuple[str, ...]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {tuple(row) for row in csv.reader(handle) if row}


@needs_shared
def test_the_shipped_counties_keep_every_shared_row() -> None:
    shared = SHARED / "data" / "key_counties.csv"
    if not shared.is_file():
        pytest.skip(f"{shared} is absent")
    missing = _rows(shared) - _rows(REPO / "models" / "data" / "key_counties.csv")
    assert not missing, f"rows of ../shared/data/key_counties.csv missing from models/data: {sorted(missing)[:5]}"
