"""What the inbound benchmarks (bench/telegram_inbound.py, bench/wecom_inbound.py) share: ports, the
database they load, and scratch PostgreSQL databases."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.factories import CODES  # noqa: E402


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--contacts", type=int, default=50, help="distinct senders (at most the reference counties)")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both",
                        help="pairbot's database; the bare echo bot runs beside each, just before it")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="an admin URL; a scratch database is created beside it")


def backends(args: argparse.Namespace, workdir: Path) -> Iterator[tuple[str, str]]:
    """(name, database URL) for each database asked for; a PostgreSQL scratch database is dropped afterwards."""
    if args.database in ("sqlite", "both"):
        yield "sqlite", f"sqlite:///{workdir / 'bench.db'}"
    if args.database in ("postgresql", "both"):
        pg_url = create_pg_database(args.pg)
        if pg_url is None:
            return
        try:
            yield "postgresql", pg_url
        finally:
            drop_pg_database(args.pg, pg_url)


def ratio(pairbot: float, echo: float) -> float:
    return round(pairbot / echo, 2) if echo else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_database(db_url: str, contacts: int, channel: str, external_id: Callable[[int], str]) -> None:
    """Migrated schema, reference counties, one organization paired with `contacts` counties, one contact each,
    bound on `channel` as `external_id(n)`."""
    from sqlmodel import select

    from bot.db import make_engine, migrate, unit_of_work
    from models.pairing import Pairing, PairingStatus
    from models.registry import Contact, County, Organization, Role
    from models.services.importing import import_file, reference_counties
    from models.services.registry import bind_identity, set_pairing_status

    engine = make_engine(db_url)
    migrate(engine)
    import_file(engine, "counties", reference_counties(), actor="bench")
    with unit_of_work(engine) as session:
        org = Organization(name="中国社会福利基金会", credit_code=CODES[0], level="全国性", kind="基金会")
        session.add(org)
        session.flush()
        counties = session.exec(select(County).order_by(County.id).limit(contacts)).all()
        if len(counties) < contacts:
            raise SystemExit(f"only {len(counties)} reference counties; use --contacts {len(counties)} or fewer")
        for n, county in enumerate(counties):
            set_pairing_status(session, Pairing(organization_id=org.id, county_id=county.id), PairingStatus.active,
                               "bench")
            contact = Contact(name=f"联络员{n}", role=Role.county, county_id=county.id)
            session.add(contact)
            session.flush()
            bind_identity(session, contact, channel, external_id(n))
    engine.dispose()


def wait_healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}; see {log}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not become healthy; see {log}")


def create_pg_database(admin_url: str) -> str | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    name = f"pairbot_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        print(f"PostgreSQL skipped: {exc.orig}", file=sys.stderr)
        return None
    finally:
        engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(admin_url: str, db_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{db_url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    engine.dispose()


def wait_for(condition: Any, timeout: float) -> float:
    """perf_counter() when `condition()` first held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the bot to finish")
        time.sleep(0.02)
    return time.perf_counter()


def processed_count(engine: Any) -> tuple[int, int]:
    """(inbound rows, reply Delivery rows) in pairbot's database: a message is processed once its reply row is
    committed (the platform's answer comes as soon as it is stored)."""
    from sqlalchemy import func
    from sqlmodel import Session, select

    from models.messaging import Delivery, InboundMessage

    with Session(engine) as session:
        return (int(session.exec(select(func.count()).select_from(InboundMessage)).one()),
                int(session.exec(select(func.count()).select_from(Delivery)).one()))
