"""Benchmark: what one /metrics scrape costs the database on a large outbox, and /readyz.

    .venv/bin/python -m bench.metrics_scrape --db postgres --audience 200000 [--rounds 5]

Generates `--audience` nationals (as bench/broadcast does) and queues a broadcast to all of
them; marks 80% of the copies sent (spread over 12 hours) and 1% failed, one UPDATE each, as a
day of sending would leave them; then times Metrics.refresh(), every database read behind a
scrape, and the text format's rendering, `--rounds` times each, and one /readyz. PostgreSQL
runs in a database of its own, `amayesh_bench_ops` (AMAYESH_BENCH_DB overrides it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

os.environ.setdefault("AMAYESH_BENCH_DB", "amayesh_bench_ops")

from bench.broadcast import PG, _generate, _reset  # reads AMAYESH_BENCH_DB at import


async def run(db: str, audience: int, rounds: int) -> None:
    from prometheus_client.exposition import generate_latest

    from bot.health import readiness, worker_beat
    from bot.runtime import open_runtime
    from handlers import broadcasts as bc
    from handlers.settings import load_settings

    tmp = Path(tempfile.mkdtemp(prefix="amayesh-bench-ops-"))
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}" if db == "sqlite" else PG
    await _reset(url)
    rt = await open_runtime(load_settings(database_url=url, quiet_hours="", files_dir=tmp))
    try:
        await _generate(rt, audience)
        started = time.perf_counter()
        async with rt.db.session() as s:
            b = await bc.create_broadcast(rt, s, "cli:bench", "", "اطلاعیه")
        enqueue = time.perf_counter() - started
        # Sent over the last 12 hours, evenly: a minute holds 1/720 of them, as in real use.
        spread = ("datetime('now', '-' || (id % 43200) || ' seconds')" if rt.db.is_sqlite
                  else "now() - (id % 43200) * interval '1 second'")  # fmt: skip
        async with rt.db.session() as s:  # a day of sending, in two statements
            await s.execute(text(
                f"UPDATE outbox SET state = 'sent', sent_at = {spread}, lease_owner = NULL, "
                "sms_parts = CASE channel WHEN 'sms' THEN 1 END WHERE id % 100 < 80"))  # fmt: skip
            await s.execute(text(
                "UPDATE outbox SET state = 'failed', lease_owner = NULL, "
                "error = 'telegram: Forbidden: bot was blocked by the user' WHERE id % 100 = 99"
            ))  # fmt: skip
        async with rt.db.engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
        m = rt.metrics
        reads, renders = [], []
        for _ in range(rounds):
            m.snapshot_at = None  # force the database reads (a scrape does at most every 30 s)
            t0 = time.perf_counter()
            await m.refresh()
            t1 = time.perf_counter()
            body = generate_latest(m.registry)
            renders.append(time.perf_counter() - t1)
            reads.append(t1 - t0)
        worker_beat(rt)
        t0 = time.perf_counter()
        probes = await readiness(rt)
        ready = time.perf_counter() - t0
    finally:
        await rt.close()
    ms = 1000
    print(f"database: {db}; outbox rows: {b.total:,} (broadcast queued in {enqueue:.1f} s)")
    print(f"scrape, database reads: median {statistics.median(reads) * ms:.0f} ms, "
          f"worst {max(reads) * ms:.0f} ms over {rounds} rounds")  # fmt: skip
    print(f"scrape, text format: median {statistics.median(renders) * ms:.1f} ms, "
          f"{len(body):,} bytes")  # fmt: skip
    print(f"/readyz (database, migrations, worker): {ready * ms:.0f} ms, "
          f"all ok: {all(p.ok for p in probes.values())}")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    p.add_argument("--audience", type=int, default=200_000)
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args()
    asyncio.run(run(a.db, a.audience, a.rounds))


if __name__ == "__main__":
    main()
