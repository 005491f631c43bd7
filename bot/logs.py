"""Logging for the long-running commands: one format, and a broker outage said once, not every 3 seconds.

dramatiq's consumers log a CRITICAL "connection error" and "Restarting consumer" every few seconds
for as long as the broker is unreachable; pairbot says itself, in Chinese, that the queue is down
and that nothing is lost (bot.app), so those repeats only bury the rest of the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

REPEATED_LOGGERS = ("dramatiq.worker.ConsumerThread",)
REPEAT_SECONDS = 300.0  # the same message from the same consumer at most once in this long


class RepeatFilter(logging.Filter):
    """Lets a repeated message of REPEATED_LOGGERS through once per REPEAT_SECONDS."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        self._last: dict[tuple[str, str], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(REPEATED_LOGGERS):
            return True
        key, now = (record.name, record.getMessage()), self.clock()
        if now - self._last.get(key, -REPEAT_SECONDS) < REPEAT_SECONDS:
            return False
        self._last[key] = now
        return True


def configure(process_name: bool = False) -> None:
    """INFO and up to standard error, timestamped; with `process_name` for commands that fork workers."""
    name = " %(processName)s" if process_name else ""
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s %(levelname)s{name} %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RepeatFilter) for f in handler.filters):
            handler.addFilter(RepeatFilter())
