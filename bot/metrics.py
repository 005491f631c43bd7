"""`/metrics`: Prometheus text format (version 0.0.4), computed from the database and the broker on each scrape.

The database is the truth, so the figures are the same whichever process is scraped:
- `pairbot_updates_received_total{channel}`: messages received (rows of inboundmessage);
- `pairbot_deliveries{channel,status}`: outbox rows by status;
- `pairbot_queue_depth{source}`: messages waiting in the broker (`ready`, `delayed`), or, when the
  broker cannot say, the pending rows (`source="database"`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.app import App
from models.messaging import Delivery, DeliveryStatus, InboundMessage

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def render(app: App) -> str:
    with Session(app.engine) as session:
        received = session.exec(select(InboundMessage.channel, func.count())
                                .group_by(col(InboundMessage.channel))).all()
        deliveries = session.exec(select(Delivery.channel, Delivery.status, func.count())
                                  .group_by(col(Delivery.channel), col(Delivery.status))).all()
        pending = session.exec(select(func.count()).where(col(Delivery.status) == DeliveryStatus.pending)).one()
    by_status = {(channel, status): n for channel, status, n in deliveries}
    channels = sorted({channel for channel, _ in by_status} | set(app.channels))
    lines: list[str] = []
    lines += _family("pairbot_updates_received_total", "counter", "Messages received, by channel.",
                     (({"channel": channel}, n) for channel, n in sorted(received)))
    lines += _family("pairbot_deliveries", "gauge", "Outbound messages (outbox rows), by channel and status.",
                     (({"channel": channel, "status": status}, by_status.get((channel, status), 0))
                      for channel in channels for status in DeliveryStatus))
    try:
        depth = [({"source": "ready"}, app.queue.ready()), ({"source": "delayed"}, app.queue.delayed())]
    except Exception:  # broker unreachable: the outbox still knows what waits
        depth = [({"source": "database"}, pending)]
    lines += _family("pairbot_queue_depth", "gauge", "Deliveries waiting to be sent.", depth)
    return "\n".join(lines) + "\n"


def _family(name: str, kind: str, help_text: str, samples: Iterable[tuple[dict[str, str], int]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        rendered = ",".join(f'{key}="{_escape(value_)}"' for key, value_ in labels.items())
        lines.append(f"{name}{{{rendered}}} {value}")
    return lines


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
