"""The Telegram channel, through python-telegram-bot: updates in as `Incoming`, `Outgoing` out via the Bot API.

PTB is asyncio; the router and the delivery workers are threads. The channel owns one event
loop in a thread of its own, on which the PTB Application (its Bot and HTTP connection pool)
lives. Workers send with `run_coroutine_threadsafe` and wait for the result; updates (polled,
or posted to the webhook) are processed on that loop and reach the router through the app's
inbox (`App.inbound`, bot.inbound: stored, then handled; group commits under load). The same
object is the channel in `App.channels` and the `pairbot run` component that polls.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Coroutine, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from bot.channels.base import SendError
from bot.channels.telegram_webhook import NotAnUpdate
from bot.channels.telegram_updates import ALLOWED_UPDATES, NAME, BotIdentity, Membership, check, describe, \
    membership, to_incoming
from bot.config import ConfigError, TelegramSettings
from bot.db import unit_of_work
from bot.messages import Button, Outgoing
from models.services.audit import audit
from models.services.groups import leave_group, record_group

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # characters per Telegram message
MAX_CALLBACK_BYTES = 64  # Bot API limit on callback_data
POLL_SECONDS = 30  # getUpdates long-poll timeout
MAX_POLL_PAUSE = 30.0  # seconds between getUpdates tries while Telegram cannot be reached, at most
STORE_ATTEMPTS = 3  # tries to store one polled update before it is given up (logged)


def _seconds(value: object) -> float:
    """RetryAfter.retry_after as seconds (an int, or a timedelta in newer PTB)."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)  # type: ignore[arg-type]
SEND_TIMEOUT = 60.0  # a worker gives up waiting for one send after this long
_PERMANENT_BAD_REQUESTS = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated")

T = TypeVar("T")


def build_application(settings: TelegramSettings) -> Application:
    """A PTB Application for the configured token and Bot API server (no job queue: the scheduler is ours)."""
    if settings.token is None:
        raise ValueError("[telegram] token is not set")
    return (
        Application.builder()
        .token(settings.token.get_secret_value())
        .base_url(settings.api_base_url)
        .base_file_url(file_url(settings.api_base_url))
        .job_queue(None)
        .build()
    )


def file_url(api_base_url: str) -> str:
    """The file-download base beside an API base: https://api.telegram.org/bot → https://api.telegram.org/file/bot."""
    head, found, tail = api_base_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if found else api_base_url.rstrip("/") + "/file/bot"


def rejected_token(settings: TelegramSettings) -> str:
    return (f"Telegram Bot API（{settings.api_base_url}）拒绝了 [telegram] token：请核对 @BotFather 给出的 token"
            "（PAIRBOT_TELEGRAM__TOKEN）")


def send_error(exc: TelegramError) -> SendError:
    """A Bot API error as the outbox understands it: wait and retry, give up on the recipient, or retry later."""
    text = f"Telegram {type(exc).__name__}: {exc.message}"
    if isinstance(exc, RetryAfter):
        return SendError(text, retry_after=_retry_seconds(exc))
    if isinstance(exc, Forbidden):  # blocked by the user, kicked from the group, user deactivated
        return SendError(text, permanent=True)
    if isinstance(exc, ChatMigrated):  # the group became a supergroup with a new id
        return SendError(f"{text} (new chat id {exc.new_chat_id})", permanent=True)
    if isinstance(exc, BadRequest) and any(reason in exc.message.lower() for reason in _PERMANENT_BAD_REQUESTS):
        return SendError(text, permanent=True)
    return SendError(text)  # NetworkError, TimedOut, 5xx, other bad requests: back off and retry


def _retry_seconds(exc: RetryAfter) -> float:
    # `retry_after` warns about its coming type change; the timedelta underneath is the same value.
    value = getattr(exc, "_retry_after", None)
    if not isinstance(value, timedelta):
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """One button per row; a button whose data exceeds Telegram's 64 bytes is left out (the text lists the choices)."""
    rows = []
    for button in buttons:
        if len(button.data.encode()) > MAX_CALLBACK_BYTES:
            log.warning("button %r left out: callback data longer than %d bytes", button.label, MAX_CALLBACK_BYTES)
            continue
        rows.append([InlineKeyboardButton(button.label, callback_data=button.data)])
    return InlineKeyboardMarkup(rows) if rows else None


def chunks(text: str, size: int = MAX_TEXT) -> list[str]:
    """Text split into messages Telegram accepts, at line breaks where possible."""
    parts: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > 0 else size
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*parts, text]


class _LoopThread:
    """An asyncio event loop running in its own daemon thread; coroutines are submitted from any thread."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return self.submit(coro).result(timeout)

    def close(self) -> None:
        self.run(_cancel_other_tasks(), timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.loop.close()


async def _cancel_other_tasks() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class TelegramChannel:
    """`App.channels["telegram"]` and, in `pairbot run`, the component that polls (or serves the webhook)."""

    name = NAME

    def __init__(self, app: App) -> None:
        # httpx logs every request URL at INFO, and Bot API URLs carry the token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self._app = app
        self.settings = app.settings.telegram
        self.mode = self.settings.mode
        self.application = build_application(self.settings)
        self._lock = threading.Lock()
        self._loop: _LoopThread | None = None
        self._poller: asyncio.Task[None] | None = None
        self._closed = False

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect (getMe), start the Application and, in polling mode, long-poll getUpdates."""
        loop = self._ready()
        loop.run(self._start_updates(), timeout=60)
        log.info("telegram channel started in %s mode as @%s via %s", self.mode, self.me.username,
                 self.settings.api_base_url)

    async def _start_updates(self) -> None:
        await self.application.start()
        if self.mode == "polling":
            await self.application.bot.delete_webhook()  # getUpdates is refused while a webhook is set
            self._poller = asyncio.create_task(self._poll(), name="telegram-poll")

    async def _poll(self) -> None:
        """Long-poll getUpdates. Each update is stored (its inbound row committed) before the next call's offset
        acknowledges it to Telegram, so a process killed at any moment loses nothing: what was not stored is
        fetched again after a restart, and what was stored twice is recognised (PTB's own Updater acknowledges
        a batch as soon as it has fetched it)."""
        bot, offset, pause = self.application.bot, None, 1.0
        while True:
            try:
                updates = await bot.get_updates(offset=offset, timeout=timedelta(seconds=POLL_SECONDS),
                                                allowed_updates=list(ALLOWED_UPDATES))
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except TelegramError as exc:  # network trouble, Telegram's 5xx: try again, more slowly each time
                log.warning("telegram getUpdates failed (%s); again in %.0f s", exc, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_POLL_PAUSE)
                continue
            except Exception:  # an update PTB cannot read: skip it, alone, or it would be fetched forever
                log.exception("telegram getUpdates returned an update that cannot be read")
                offset = await self._skip_unreadable(offset)
                continue
            pause = 1.0
            for update in updates:
                await self._store(update)
                offset = update.update_id + 1

    async def _store(self, update: Update) -> None:
        """Hand one update to the inbox and wait until it is stored; a failure is tried again a few
        times before the update is given up (logged), so one that always fails cannot stop the polling."""
        for attempt in range(1, STORE_ATTEMPTS + 1):
            try:
                await self._handle(update)
                return
            except Exception:
                log.exception("telegram update %s not stored (attempt %d of %d)", update.update_id, attempt,
                              STORE_ATTEMPTS)
                await asyncio.sleep(attempt)

    async def _skip_unreadable(self, offset: int | None) -> int | None:
        raw = await self.application.bot.do_api_request("getUpdates", api_kwargs={"offset": offset, "limit": 1,
                                                                                   "timeout": 0})
        if raw and isinstance(raw[0], dict) and isinstance(raw[0].get("update_id"), int):
            log.error("telegram update %s skipped: it cannot be read", raw[0]["update_id"])
            return raw[0]["update_id"] + 1
        return offset

    def stop(self) -> None:
        with self._lock:
            self._closed = True
            loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            loop.run(self._shutdown(), timeout=30)
        except Exception:
            log.exception("telegram channel did not shut down cleanly")
        finally:
            loop.close()

    async def _shutdown(self) -> None:
        poller, self._poller = self._poller, None
        if poller is not None:  # an update half handed over is fetched again at the next start
            poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    def _ready(self) -> _LoopThread:
        """The loop with an initialized Application, created on first use (a process that only sends needs no start())."""
        with self._lock:
            if self._closed:
                raise SendError("telegram channel is stopped")
            if self._loop is None:
                loop = _LoopThread("pairbot-telegram")
                try:
                    loop.run(self.application.initialize(), timeout=60)
                except InvalidToken:
                    loop.close()
                    raise ConfigError(rejected_token(self.settings)) from None  # PTB's message quotes the token
                except BaseException:
                    loop.close()
                    raise
                self._loop = loop
            return self._loop

    @property
    def me(self) -> BotIdentity:
        bot = self.application.bot
        return BotIdentity(bot.id, bot.username)

    # --- sending (called from worker threads) ----------------------------------------------------

    def send(self, message: Outgoing) -> str:
        """Send through the Bot API on the channel's loop; the platform message id, or SendError."""
        try:
            future = self._ready().submit(self._send(message))
            try:
                return future.result(timeout=SEND_TIMEOUT)
            except concurrent.futures.TimeoutError:
                future.cancel()
                raise
        except concurrent.futures.TimeoutError:
            raise SendError(f"Telegram: no answer within {SEND_TIMEOUT:.0f} s") from None
        except TelegramError as exc:
            raise send_error(exc) from exc

    async def _send(self, message: Outgoing) -> str:
        parts = chunks(message.text)
        reply = ReplyParameters(int(message.reply_to), allow_sending_without_reply=True) \
            if message.reply_to and message.reply_to.isdigit() else None
        sent = None
        for n, part in enumerate(parts):
            last = n == len(parts) - 1
            sent = await self.application.bot.send_message(
                chat_id=_chat_id(message.chat_id), text=part, reply_parameters=reply if n == 0 else None,
                reply_markup=keyboard(message.buttons) if last else None)
        assert sent is not None
        return str(sent.message_id)

    # --- receiving -------------------------------------------------------------------------------

    async def feed(self, data: dict[str, Any]) -> bool:
        """Process one update posted to the webhook, on the web server's loop.

        Returns once the message is stored (the router handles it just after); False when that
        failed (the webhook then answers 500 and Telegram sends the update again). NotAnUpdate when
        `data` is not an update. The update goes straight to the inbox, not through the
        Application on the channel's own loop: two thread hops fewer per message, which under load
        is most of a webhook request's wait (each hop waits for the interpreter lock).
        """
        if self._loop is None:
            raise RuntimeError("telegram channel is not started")
        try:
            update = Update.de_json(data, self.application.bot)
            check(update, self.me)
        except Exception as exc:  # reading the JSON as an update only: any failure means it is not one
            log.info("webhook body is not a Telegram update: %r", exc)
            raise NotAnUpdate("请求体不是有效的 Telegram Update（缺少字段、日期或编号超出范围、嵌套过深）") from None
        try:
            await self._handle(update)
        except Exception:
            log.exception("telegram update %s failed", update.update_id)
            return False
        return True

    async def _handle(self, update: Update) -> None:
        if update.callback_query is not None:
            await self._on_channel_loop(self._answer(update))
        change = membership(update, self.me)
        if change is not None:
            await asyncio.to_thread(self._record_membership, change)
            return
        incoming = to_incoming(update, self.me)
        if incoming is None:
            log.info("telegram update %s (%s) ignored", update.update_id, describe(update))
            return
        await asyncio.wrap_future(self._app.inbound.submit(incoming, incoming.chat_id))  # stored; handled just after

    async def _on_channel_loop(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` on the channel's loop, where the Bot's HTTP client lives (from the web server's loop too)."""
        try:
            loop = self._ready()
        except BaseException:
            coro.close()  # never started: closed, so it is not reported as a coroutine never awaited
            raise
        if asyncio.get_running_loop() is loop.loop:
            return await coro
        return await asyncio.wrap_future(loop.submit(coro))

    @staticmethod
    async def _answer(update: Update) -> None:
        """Stop the button's spinner; the bot's answer follows as a message through the outbox."""
        assert update.callback_query is not None
        try:
            await update.callback_query.answer()
        except TelegramError as exc:  # too old, or already answered: the press is still handled
            log.warning("could not answer callback query %s: %s", update.callback_query.id, exc)

    def _record_membership(self, change: Membership) -> None:
        with unit_of_work(self._app.engine) as session:
            if change.joined:
                record_group(session, NAME, change.chat_id, change.title)
            else:
                leave_group(session, NAME, change.chat_id)
                audit(session, f"{NAME}:{change.chat_id}", "group.left", change.title)



def _chat_id(chat_id: str) -> int | str:
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def register_telegram(app: App) -> TelegramChannel | None:
    """Add the Telegram channel to `app.channels` when a token is configured; the channel is also the component."""
    if app.settings.telegram.token is None:
        return None
    channel = TelegramChannel(app)
    app.channels[channel.name] = channel
    return channel
