"""Every labelled example shipped with the design parses exactly (tests/data/samples/updates.jsonl: the copy of
shared/samples/updates.jsonl kept in the repository; tests/test_shared_copies.py checks it is still the same)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from models.services.parsing import parse_update

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples" / "updates.jsonl"
KEYS = ("funds_wan", "committed_wan", "sales_wan", "households", "people", "projects", "fields")


def _samples() -> list[dict]:
    return [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]


def _same(key: str, got: object, want: object) -> bool:
    """Fields compare as sets, money with a 1e-6 tolerance, everything else exactly."""
    if key == "fields":
        return set(got) == set(want)
    if got is None or want is None:
        return got is want
    return math.isclose(got, want, abs_tol=1e-6)


@pytest.mark.parametrize("sample", _samples(), ids=lambda sample: sample["text"][:24])
def test_sample_parses_as_labelled(sample: dict) -> None:
    got = parse_update(sample["text"]).to_dict()
    wrong = {key: (got[key], sample[key]) for key in KEYS if not _same(key, got[key], sample[key])}
    assert not wrong, f"{sample['text']}: (got, want) {wrong}"
