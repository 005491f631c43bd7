"""Group chats: only what is addressed to the bot (an @mention, a reply to it, a /command for it) is for it."""

from __future__ import annotations

from handlers.context import Context


class Unaddressed:
    """Other group chatter is kept by the router like every message, and no handler acts on it.

    Without this, a group member's "撤回" or "2" meant for the others would withdraw an update
    or answer a pending question.
    """

    def matches(self, ctx: Context) -> bool:
        return ctx.message.is_group and not ctx.message.addressed

    def handle(self, ctx: Context) -> None:
        return None
