"""Accuracy of the progress-update parser on our own labelled sentences.

tests/parsing/data/tuning.jsonl holds the sentences the parser was developed against: all must
parse exactly. tests/parsing/data/holdout.jsonl was written and labelled before the parser was
run on it and is not used for tuning: its field accuracy (the fraction of the seven fields
exactly right over all sentences) estimates how the parser does on reports it has not seen.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from models.services.parsing import parse_update

DATA = Path(__file__).resolve().parent / "data"
KEYS = ("funds_wan", "committed_wan", "sales_wan", "households", "people", "projects", "fields")
HOLDOUT_FIELD_ACCURACY = 0.97


def _load(name: str) -> list[dict]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _same(key: str, got: object, want: object) -> bool:
    """Fields compare as sets, money with a 1e-6 tolerance, everything else exactly."""
    if key == "fields":
        return set(got) == set(want)
    if got is None or want is None:
        return got is want
    return math.isclose(got, want, abs_tol=1e-6)


def _mistakes(cases: list[dict]) -> list[tuple[str, dict]]:
    """(text, {field: (got, want)}) for every sentence with at least one wrong field."""
    mistakes = []
    for case in cases:
        got = parse_update(case["text"]).to_dict()
        wrong = {key: (got[key], case[key]) for key in KEYS if not _same(key, got[key], case[key])}
        if wrong:
            mistakes.append((case["text"], wrong))
    return mistakes


@pytest.mark.parametrize("name", ["tuning.jsonl", "holdout.jsonl"])
def test_labelled_sets_are_well_formed(name: str) -> None:
    cases = _load(name)
    assert len(cases) >= 60
    for case in cases:
        assert list(case) == ["text", *KEYS], case
        assert set(case["fields"]) <= {"产业", "就业", "教育", "健康", "养老", "消费", "其他"}, case


def test_sets_do_not_overlap() -> None:
    tuning = {case["text"] for case in _load("tuning.jsonl")}
    holdout = {case["text"] for case in _load("holdout.jsonl")}
    assert not tuning & holdout


def test_tuning_set_parses_exactly() -> None:
    mistakes = _mistakes(_load("tuning.jsonl"))
    assert not mistakes, "\n".join(f"{text}: (got, want) {wrong}" for text, wrong in mistakes)


def test_holdout_field_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    cases = _load("holdout.jsonl")
    mistakes = _mistakes(cases)
    wrong_fields = sum(len(wrong) for _, wrong in mistakes)
    accuracy = 1 - wrong_fields / (len(cases) * len(KEYS))
    with capsys.disabled():
        print(f"\nholdout field accuracy: {accuracy:.4f} "
              f"({len(cases) * len(KEYS) - wrong_fields}/{len(cases) * len(KEYS)} fields, "
              f"{len(mistakes)} of {len(cases)} sentences with a mistake)")
    assert accuracy >= HOLDOUT_FIELD_ACCURACY, "\n".join(
        f"{text}: (got, want) {wrong}" for text, wrong in mistakes)
