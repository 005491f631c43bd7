"""`pairbot run` fails loudly at start: a taken port or a channel that cannot start ends it with a reason."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.test_cli import workdir  # noqa: F401  (fixture: a database made by `pairbot init`)


def _run(cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | env
    return subprocess.run([sys.executable, "-m", "bot", "run", "--no-console"], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=90)


def test_a_taken_port_stops_run_with_the_address_and_what_to_do(workdir: tuple[Path, dict[str, str]]) -> None:  # noqa: F811
    cwd, env = workdir
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run(cwd, env | {"PAIRBOT_WEB__PORT": str(port)})
    assert result.returncode == 1, result.stderr
    assert f"127.0.0.1:{port}" in result.stderr and "端口已被其他程序占用" in result.stderr
    assert "[web] port" in result.stderr and "PAIRBOT_WEB__PORT" in result.stderr
    assert "serving" not in result.stderr and "Traceback" not in result.stderr


def test_a_channel_that_cannot_start_stops_run(workdir: tuple[Path, dict[str, str]]) -> None:  # noqa: F811
    cwd, env = workdir
    with socket.socket() as closed:  # a Bot API address where nothing answers
        closed.bind(("127.0.0.1", 0))
        nowhere = closed.getsockname()[1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _run(cwd, env | {"PAIRBOT_WEB__PORT": str(port), "PAIRBOT_TELEGRAM__TOKEN": "123456:ABCdefGHIjklMNOpqr",
                              "PAIRBOT_TELEGRAM__API_BASE_URL": f"http://127.0.0.1:{nowhere}/bot"})
    assert result.returncode == 1, result.stderr
    assert "pairbot run 未启动：Telegram 无法启动" in result.stderr and "[telegram]" in result.stderr
    assert "serving" not in result.stderr
