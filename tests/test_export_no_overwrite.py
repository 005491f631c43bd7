"""`pairbot export` without --force never overwrites a file, not even one another export writes meanwhile: two
exports to one new name, started together, were both 已导出 and the second replaced the first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import build_app


def start(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | env
    return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=cwd, env=environment, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture
def initialised(tmp_path: Path, sqlite_url: str) -> dict[str, str]:
    env = {"PAIRBOT_DATABASE__URL": sqlite_url}
    init = start("init", cwd=tmp_path, env=env)
    assert init.wait(timeout=120) == 0
    return env


def test_two_exports_to_one_new_name_one_writes_and_the_other_is_refused(tmp_path: Path,
                                                                         initialised: dict[str, str]) -> None:
    runs = [start("export", "--out", "ledger.xlsx", cwd=tmp_path, env=initialised) for _ in range(3)]
    results = [(run.wait(timeout=120), *run.communicate()) for run in runs]
    written = [r for r in results if r[0] == 0]
    refused = [r for r in results if r[0] != 0]
    assert len(written) == 1, results
    assert all(r[0] == 1 and "文件已存在：ledger.xlsx（如要覆盖，请加 --force）" in r[2] for r in refused), results
    assert (tmp_path / "ledger.xlsx").stat().st_size > 0


def test_a_failed_export_leaves_no_empty_file_behind(tmp_path: Path, initialised: dict[str, str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import models.services.export as export

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "export_workbook", broken)
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "empty.toml"
    config.touch()
    result = CliRunner().invoke(build_app(), ["--config", str(config), "export", "--out", "ledger.xlsx"],
                                env=initialised)
    assert result.exit_code == 1 and "无法写入 ledger.xlsx" in result.stderr
    assert not (tmp_path / "ledger.xlsx").exists()
    again = CliRunner().invoke(build_app(), ["--config", str(config), "export", "--out", "ledger.xlsx"],
                               env=initialised)
    assert "文件已存在" not in again.stderr  # the name is free again
