"""How many progress updates per second parse_update handles on one core.

Runs the parser over every labelled sentence we have (tests/data/samples/updates.jsonl, the copy of
shared/samples/updates.jsonl, and tests/parsing/data/*.jsonl), round after round, for --seconds, pinned
to one CPU, and prints one JSON object. Needs the project installed (`pip install -e '.[bench]'`):

    .venv/bin/python bench/parse_bench.py --seconds 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from models.services.parsing import parse_update

REPO = Path(__file__).resolve().parents[1]

CORPORA = (
    REPO / "tests/data/samples/updates.jsonl",
    REPO / "tests/parsing/data/tuning.jsonl",
    REPO / "tests/parsing/data/holdout.jsonl",
    REPO / "tests/parsing/data/holdout2.jsonl",
    REPO / "tests/parsing/data/holdout3.jsonl",
)


def load_sentences() -> list[str]:
    """The text of every labelled update that is present on this machine."""
    texts = []
    for path in CORPORA:
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            texts += [json.loads(line)["text"] for line in lines if line.strip()]
    return texts


def pin_to_one_core(cpu: int | None) -> int | None:
    """Pin this process to one CPU where the OS allows it, so the figure is per core."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    if cpu is None:
        cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def measure(texts: list[str], seconds: float) -> tuple[int, float]:
    """Parse `texts` round after round until `seconds` have passed; (updates parsed, elapsed)."""
    parsed = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for text in texts:
            parse_update(text)
        parsed += len(texts)
    return parsed, time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to measure (default 5)")
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: the lowest allowed)")
    args = parser.parse_args(argv)

    texts = load_sentences()
    if not texts:
        parser.error("no labelled sentences found")
    cpu = pin_to_one_core(args.cpu)
    measure(texts, min(0.5, args.seconds))  # warm-up: regex caches, allocator
    parsed, elapsed = measure(texts, args.seconds)
    print(json.dumps({
        "updates_per_second": round(parsed / elapsed),
        "microseconds_per_update": round(elapsed / parsed * 1e6, 1),
        "updates_parsed": parsed,
        "seconds": round(elapsed, 3),
        "distinct_sentences": len(texts),
        "mean_characters": round(sum(map(len, texts)) / len(texts), 1),
        "cpu": cpu,
        "python": platform.python_version(),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
