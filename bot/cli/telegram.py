"""`pairbot telegram …`: register, inspect and remove the webhook with the Bot API.

Webhook mode needs Telegram to know the public HTTPS address of `/telegram/webhook` and the
secret it must send back; `set-webhook` tells it both, and which update kinds pairbot handles.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from bot.i18n import _, joined

from bot.cli.common import fail, settings_from

if TYPE_CHECKING:
    from telegram import Bot

    from bot.config import Settings

T = TypeVar("T")


def register(app: typer.Typer) -> None:
    telegram = typer.Typer(help=_("Telegram：注册、查看或删除 webhook（webhook 模式）。"), no_args_is_help=True)
    app.add_typer(telegram, name="telegram")

    @telegram.command("set-webhook", help=_("让 Telegram 把更新发到 URL，带上 [telegram] secret_token 和 pairbot 处理的更新类型。"))
    def set_webhook(
        ctx: typer.Context,
        url: Annotated[str, typer.Argument(help=_("公网 HTTPS 地址，例如 https://pairbot.example.cn/telegram/webhook"))],
        drop_pending: Annotated[bool, typer.Option("--drop-pending", help=_("丢弃 Telegram 尚未投递的更新"))] = False,
    ) -> None:
        """Tell Telegram to post updates to URL, with [telegram] secret_token and the update kinds pairbot handles."""
        from bot.channels.telegram_updates import ALLOWED_UPDATES

        settings = _settings(ctx)
        if settings.telegram.secret_token is None:
            raise fail(_("[telegram] secret_token 未设置（或 PAIRBOT_TELEGRAM__SECRET_TOKEN）：webhook 需要它来验证请求。"), 2)
        secret = settings.telegram.secret_token.get_secret_value()
        _call(settings, lambda bot: bot.set_webhook(url=url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES),
                                                    drop_pending_updates=drop_pending))
        typer.echo(_("已设置 webhook：{url}（带 secret_token；更新类型：{kinds}）").format(
            url=url, kinds=joined(ALLOWED_UPDATES)))
        if settings.telegram.mode != "webhook":
            typer.echo(_('注意：[telegram] mode 仍为 polling；polling 启动时会删除 webhook。请改为 mode = "webhook"。'),
                       err=True)

    @telegram.command("webhook-info", help=_("以 JSON 打印 Telegram 所知的 webhook 信息（地址、待投递的更新、最近的错误）。"))
    def webhook_info(ctx: typer.Context) -> None:
        """Print what Telegram knows about the webhook (URL, pending updates, last error) as JSON."""
        info = _call(_settings(ctx), lambda bot: bot.get_webhook_info())
        typer.echo(json.dumps(info.to_dict(), ensure_ascii=False, default=str))

    @telegram.command("delete-webhook", help=_("删除 webhook（polling 模式启动时会自动删除）。"))
    def delete_webhook(
        ctx: typer.Context,
        drop_pending: Annotated[bool, typer.Option("--drop-pending", help=_("丢弃 Telegram 尚未投递的更新"))] = False,
    ) -> None:
        """Remove the webhook (polling mode does this itself when it starts)."""
        _call(_settings(ctx), lambda bot: bot.delete_webhook(drop_pending_updates=drop_pending))
        typer.echo(_("已删除 webhook。"))


def _settings(ctx: typer.Context) -> Settings:
    settings = settings_from(ctx)
    if settings.telegram.token is None:
        raise fail(_("[telegram] token 未设置（或 PAIRBOT_TELEGRAM__TOKEN）。"), 2)
    return settings


def _call(settings: Settings, action: Callable[[Bot], Awaitable[T]]) -> T:
    """Run one Bot API call with a short-lived Bot; an error is printed with the API's own description."""
    import asyncio

    from telegram.error import InvalidToken, TelegramError

    from bot.channels.telegram import build_application, rejected_token

    async def run() -> Any:
        async with build_application(settings.telegram).bot as bot:
            return await action(bot)

    try:
        return asyncio.run(run())
    except InvalidToken:  # PTB's own message quotes the token
        raise fail(rejected_token(settings.telegram)) from None
    except TelegramError as exc:
        raise fail(_("Telegram Bot API（{url}）拒绝：{reason}").format(url=settings.telegram.api_base_url, reason=exc.message)) from None
