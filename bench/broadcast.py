"""Benchmark: enqueue a broadcast to N generated subscribers, then deliver it for a while through
local fake Telegram and Kavenegar servers (in another process) that enforce a rate limit.

    .venv/bin/python -m bench.broadcast --db postgres --audience 100000 --rate 30 --seconds 20

Prints the enqueue time, the achieved messages/s against the limit, 429s drawn, peak RSS, and
lost / duplicated counts (sent according to the outbox vs received by the fakes).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# Another benchmark may run at the same time: AMAYESH_BENCH_DB gives this one its own database.
PG_NAME = os.environ.get("AMAYESH_BENCH_DB", "amayesh_bench_bc")
PG = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_NAME}"
CHAT_SHARE = 5  # every 5th subscriber has no chat and is reached by SMS

# Synthetic registry, generated inside the database so the generator costs no client memory.
_PEOPLE = """
INSERT INTO nationals (card_number, first_name, last_name, father_name, birth_year, gender,
  nationality, province, city, mobile, card_expiry, language, card_round, is_head,
  created_at, updated_at)
SELECT 'B' || g, 'n', 'x', '', 1370, 'M', 'AF', 'خراسان جنوبی', 'بیرجند',
  '091' || {pad}, '2026-01-01',
  CASE g % 3 WHEN 0 THEN 'fa' WHEN 1 THEN 'prs' ELSE 'ps' END, 17, true, {now}, {now}
FROM {series}
"""
_CHATS = f"""
INSERT INTO contacts (national_id, channel, address, verified, reachable, created_at, updated_at)
SELECT id, 'telegram', CAST(1000000 + id AS TEXT), false, true, {{now}}, {{now}}
FROM nationals WHERE id % {CHAT_SHARE} <> 0
"""


def _fakes(conn: Connection, rate: float) -> None:
    """Child process: the two fake servers; reports what they received when told to stop."""
    from tests.fakes.botapi import FakeBotAPI
    from tests.fakes.kavenegar import FakeKavenegar

    async def main() -> None:
        tg, kv = FakeBotAPI(), FakeKavenegar()
        tg.rate_limit_per_s = rate
        await tg.start()
        await kv.start()
        conn.send((tg.token, tg.url, kv.valid_key, kv.url))
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        chats = Counter(m.chat_id for m in tg.sent)
        lids = Counter(m.localid for m in kv.sent)
        conn.send({
            "tg_received": len(chats), "tg_dups": sum(n - 1 for n in chats.values()),
            "tg_calls": len(tg.calls_of("sendMessage")),
            "sms_received": len(lids), "sms_dups": sum(n - 1 for n in lids.values()),
        })  # fmt: skip
        await tg.close()
        await kv.close()

    asyncio.run(main())


async def _reset(url: str) -> None:
    from storage.db import upgrade

    if url.startswith("postgresql"):
        import asyncpg

        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
        await admin.execute(f"CREATE DATABASE {PG_NAME}")
        await admin.close()
    await asyncio.to_thread(upgrade, url)


async def _generate(rt: Any, n: int) -> None:
    sqlite = rt.db.is_sqlite
    now = "CURRENT_TIMESTAMP" if sqlite else "now()"
    series = (f"(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) "
              "SELECT g FROM s)" if sqlite else f"generate_series(1, {n}) AS g")  # fmt: skip
    async with rt.db.session() as s:
        pad = "substr('00000000' || g, -8, 8)" if sqlite else "lpad(g::text, 8, '0')"
        await s.execute(text(_PEOPLE.format(now=now, series=series, pad=pad)))
        await s.execute(text(_CHATS.format(now=now)))
    async with rt.db.engine.connect() as conn:  # fresh statistics, as autovacuum would gather
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    if not sqlite:
        # Write the generated rows out now, so the enqueue is not billed for flushing them.
        async with rt.db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("CHECKPOINT"))


async def _sent(rt: Any) -> int:
    from storage.models import Outbox

    async with rt.db.session() as s:
        q = select(func.count()).where(Outbox.state == "sent", Outbox.channel == "telegram")
        return await s.scalar(q) or 0


def _cpu() -> float:
    """CPU seconds this process (the worker) has used."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def run(db: str, audience: int, rate: float, seconds: float) -> None:
    from bot.runtime import open_runtime
    from bot.worker import run_worker
    from handlers import broadcasts as bc
    from handlers.settings import load_settings

    tmp = Path(tempfile.mkdtemp(prefix="amayesh-bench-bc-"))
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}" if db == "sqlite" else PG
    await _reset(url)
    parent, child = mp.Pipe()
    fakes = mp.get_context("spawn").Process(target=_fakes, args=(child, rate), daemon=True)
    fakes.start()
    token, tg_url, key, kv_url = parent.recv()
    settings = load_settings(
        database_url=url, telegram_token=token, telegram_api_url=tg_url, telegram_rate=rate,
        kavenegar_api_key=key, kavenegar_api_url=kv_url, sms_sender="10004346", quiet_hours="",
        files_dir=tmp,
    )  # fmt: skip
    rt = await open_runtime(settings)
    t0 = time.perf_counter()
    await _generate(rt, audience)
    print(f"{db}: generated {audience:,} subscribers in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    async with rt.db.session() as s:
        b = await bc.create_broadcast(rt, s, "cli:bench", "", {"fa": "اطلاعیه", "prs": "خبر",
                                      "ps": "خبرتیا"}, sms_text="اطلاعیه")  # fmt: skip
    took = time.perf_counter() - t0
    print(f"{db}: enqueued {b.total:,} outbox rows in {took:.1f} s ({b.total / took:,.0f} rows/s)")
    if seconds > 0:
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(rt, stop, poll=0.2))
        warm = min(5.0, seconds / 4)
        await asyncio.sleep(warm)
        first, t1, c1 = await _sent(rt), time.perf_counter(), _cpu()
        await asyncio.sleep(seconds)
        last, t2, c2 = await _sent(rt), time.perf_counter(), _cpu()
        stop.set()
        await worker
        achieved = (last - first) / (t2 - t1)
        print(f"{db}: telegram {achieved:.1f} msg/s against a limit of {rate:g}/s "
              f"= {100 * achieved / rate:.1f}% (over {t2 - t1:.0f} s)")  # fmt: skip
        # CPU per message holds still when other processes share the machine; the rate does not.
        per = 1000 * (c2 - c1) / max(1, last - first)
        print(f"{db}: worker CPU {100 * (c2 - c1) / (t2 - t1):.0f}% of a core, "
              f"{per:.2f} ms per telegram message")  # fmt: skip
        parent.send("stop")
        got = parent.recv()
        sent = await _sent(rt)
        print(f"{db}: outbox says {sent:,} telegram sent; fake received {got['tg_received']:,} "
              f"chats, {got['tg_calls'] - got['tg_received'] - got['tg_dups']:,} 429s; "
              f"lost {max(0, sent - got['tg_received'])}, duplicated {got['tg_dups']}; "
              f"sms received {got['sms_received']:,}, duplicated {got['sms_dups']}")  # fmt: skip
    else:
        parent.send("stop")
        parent.recv()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{db}: peak RSS {peak:.0f} MB")
    await rt.close()
    fakes.join(5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--audience", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=30.0, help="the fake's limit = ours")
    parser.add_argument("--seconds", type=float, default=20.0, help="0: enqueue only")
    args = parser.parse_args()
    asyncio.run(run(args.db, args.audience, args.rate, args.seconds))
