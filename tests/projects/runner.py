"""The `pairbot` commands of the 项目库 (import, needs, projects), run in-process through typer's runner."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import typer
from typer.testing import CliRunner

from bot.cli import build_app


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


@cache
def _app() -> typer.Typer:
    return build_app()


def pairbot(db_url: str, tmp_path: Path, *args: str, answer: str | None = None) -> Ran:
    """Run `pairbot ARGS` against the database at db_url; `answer` is what is typed at a confirmation."""
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    result = CliRunner().invoke(_app(), ["--config", str(config), *args], input=answer)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)
