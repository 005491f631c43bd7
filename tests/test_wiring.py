"""bot/ reaches jobs/ for sending through one adapter (jobs.delivery), typed by bot.app.DeliveryJobs."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import bot.app
from bot.app import DeliveryJobs
from jobs.delivery import OutboxJobs


def test_app_imports_only_the_delivery_adapter_from_jobs() -> None:
    tree = ast.parse(Path(bot.app.__file__).read_text(encoding="utf-8"))
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    modules |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    assert {m for m in modules if m.split(".")[0] == "jobs"} == {"jobs.delivery"}


def test_the_adapter_has_every_method_of_the_protocol_with_its_signature() -> None:
    wanted = {name for name, value in vars(DeliveryJobs).items() if callable(value) and not name.startswith("_")}
    assert wanted == {"send", "expire_sending", "due_pending", "describe", "watch_new_rows", "close"}
    for name in wanted:
        assert inspect.signature(getattr(OutboxJobs, name)) == inspect.signature(getattr(DeliveryJobs, name)), name
