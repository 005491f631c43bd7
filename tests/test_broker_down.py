"""A broker that is down: said once, in Chinese, when it goes and when it is back; the process keeps serving."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.app import App
from bot.logs import REPEAT_SECONDS, RepeatFilter
from tests.conftest import make_settings, wait_serving
from tests.standins.redis_server import RedisServer, free_port

REPO = Path(__file__).resolve().parents[1]
DOWN = "无法连接"
BACK = "已恢复连接"


def test_the_relay_says_when_the_broker_goes_and_when_it_is_back(
        sqlite_url: str, redis_server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    app = App(make_settings(sqlite_url, queue={"url": redis_server.url}))
    caplog.set_level(logging.WARNING, logger="bot.app")
    try:
        assert app.check_broker()
        redis_server.kill()
        assert not app.check_broker()
        for _ in range(3):  # the relay's rounds while it is down: nothing more is said
            assert app.relay_once() == 0
        said = [r.getMessage() for r in caplog.records if r.name == "bot.app"]
        assert len(said) == 1 and DOWN in said[0] and "[queue] url" in said[0] and "发件箱" in said[0]
        redis_server.restart()
        app.relay_once()
        app.relay_once()
        said = [r.getMessage() for r in caplog.records if r.name == "bot.app"]
        assert len(said) == 2 and BACK in said[1]
    finally:
        app.close()


def test_a_consumers_repeated_connection_error_is_logged_once_per_five_minutes() -> None:
    now = [0.0]
    repeat = RepeatFilter(clock=lambda: now[0])

    def record(name: str, message: str) -> logging.LogRecord:
        return logging.LogRecord(name, logging.CRITICAL, __file__, 1, message, None, None)

    error = "Consumer encountered a connection error: Error 111"
    assert repeat.filter(record("dramatiq.worker.ConsumerThread(deliveries)", error))
    assert repeat.filter(record("dramatiq.worker.ConsumerThread(deliveries.DQ)", error))  # another consumer
    now[0] = 3.0
    assert not repeat.filter(record("dramatiq.worker.ConsumerThread(deliveries)", error))
    assert repeat.filter(record("bot.app", "anything"))  # only the consumers' repeats are held back
    assert repeat.filter(record("bot.app", "anything"))
    now[0] = REPEAT_SECONDS + 1
    assert repeat.filter(record("dramatiq.worker.ConsumerThread(deliveries)", error))


def test_pairbot_run_with_its_broker_down_serves_and_says_so_once(tmp_path: Path, sqlite_url: str) -> None:
    port, dead = free_port(), free_port()  # nothing listens on `dead`
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRBOT_")} | {
        "PAIRBOT_CONFIG": str(REPO / "config.toml"), "PAIRBOT_DATABASE__URL": sqlite_url,
        "PAIRBOT_QUEUE__URL": f"redis://127.0.0.1:{dead}/0", "PAIRBOT_WEB__PORT": str(port)}
    server = subprocess.Popen([sys.executable, "-m", "bot", "run", "--no-console"], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        health = wait_serving(port, server)
        assert health.status_code == 503 and health.json()["database"] == "ok" and health.json()["queue"] != "ok"
        time.sleep(7)  # two of the consumers' 3 s restarts and three relay rounds
        server.send_signal(signal.SIGTERM)
        _, log = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, log[-3000:]
    assert log.count(DOWN) == 1, log[-3000:]
    assert log.count("Consumer encountered a connection error") <= 2  # once per consumer (the queue and its delays)
