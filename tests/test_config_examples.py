"""config.toml's commented examples work when uncommented: each is valid TOML and a valid setting."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.config import load_settings

CONFIG = Path(__file__).resolve().parents[1] / "config.toml"
# A commented line that reads as `key = value` (the key bare, in any script, or quoted): an example to uncomment.
EXAMPLE = re.compile(r'^#\s?((?:"[^"]+"|[^\s#=:"]+)\s*=\s*\S.*)$')


def _examples() -> list[tuple[int, str]]:
    lines = CONFIG.read_text(encoding="utf-8").splitlines()
    return [(number, match.group(1)) for number, line in enumerate(lines)
            if (match := EXAMPLE.match(line)) and not match.group(1).startswith("PAIRBOT_")]  # env, not TOML


def test_the_examples_are_found() -> None:
    keys = [text.split("=", 1)[0].strip() for _, text in _examples()]
    assert "agent_id" in keys and any("县联络员群" in key for key in keys)


@pytest.mark.parametrize(("number", "text"), _examples(), ids=lambda value: str(value)[:30])
def test_each_example_loads_when_uncommented(number: int, text: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.upper().startswith("PAIRBOT_")]:
        monkeypatch.delenv(name)
    lines = CONFIG.read_text(encoding="utf-8").splitlines()
    lines[number] = text
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = load_settings(path)  # ConfigError (with the line) if the example is not TOML or not a setting
    default = load_settings(CONFIG)
    assert settings.model_dump() != default.model_dump(), f"uncommenting line {number + 1} changes nothing: {text}"
