"""The web app `pairbot run` serves."""

from __future__ import annotations

from starlette.testclient import TestClient

from bot.app import App
from bot.config import Settings
from bot.web import build_web


def test_healthz_reports_database_queue_and_inbox(app: App) -> None:
    with TestClient(build_web(app)) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok", "inbox": "ok"}


def test_healthz_fails_when_the_database_is_unreachable() -> None:
    app = App(Settings(database={"url": "postgresql://postgres@127.0.0.1:1/nowhere"}))
    try:
        with TestClient(build_web(app)) as client:
            response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"].startswith("error") and response.json()["queue"] == "ok"
    finally:
        app.close()
