"""What `pairbot run` starts besides the web app and the delivery workers, chosen from the settings."""

from __future__ import annotations

from bot.app import App, Component


def build_components(app: App) -> list[Component]:
    """Channel pollers, the scheduler…: each configured part, ready to start."""
    components: list[Component] = []
    from bot.channels.telegram import register_telegram  # registers app.channels["telegram"]

    telegram = register_telegram(app)
    if telegram is not None:
        components.append(telegram)
    from bot.channels.wecom import wecom_component  # registers app.channels["wecom"] / ["wecom_robot"]

    wecom = wecom_component(app)
    if wecom is not None:
        components.append(wecom)
    from jobs.scheduler import scheduler_component  # reminders; a leader lock keeps it to one copy per database

    scheduler = scheduler_component(app)
    if scheduler is not None:
        components.append(scheduler)
    return components
