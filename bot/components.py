"""What `pairbot run` starts besides the web app and the delivery workers, chosen from the settings."""

from __future__ import annotations

from bot.app import App, Component


def build_components(app: App) -> list[Component]:
    """Channel pollers, the scheduler…: each configured part, ready to start."""
    components: list[Component] = []
    return components
