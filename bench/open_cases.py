"""Benchmark: `amayesh campaign open-cases` over N generated eligible nationals.

    .venv/bin/python -m bench.open_cases --db postgres --people 1000000

Generates the registry inside the database, creates an open campaign covering everyone, then
times the dry run (the count) and the set-wise opening (one INSERT…SELECT of the cases; their
opening steps are kept on the case, not written as status events), and a second run that finds
nothing to open. Target: 1,000,000 cases in at most 20 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_NAME = os.environ.get("AMAYESH_BENCH_DB", "amayesh_bench_cases")
PG = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_NAME}"
PROVINCE = "خراسان جنوبی"

_PEOPLE = """
INSERT INTO nationals (card_number, first_name, last_name, father_name, birth_year, gender,
  nationality, province, city, mobile, card_expiry, transit_sheet_expiry, language, card_round,
  is_head, created_at, updated_at)
SELECT 'C' || g, 'n', 'x', '', 1370, 'M', 'AF', :province, 'بیرجند', NULL, :expiry, :transit,
  'fa', 17, true, {now}, {now}
FROM {series}
"""


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
    today = rt.clock().astimezone(rt.settings.tz).date()
    params = {"province": PROVINCE, "expiry": today + timedelta(200),
              "transit": today + timedelta(100)}  # fmt: skip
    async with rt.db.session() as s:
        await s.execute(text(_PEOPLE.format(now=now, series=series)), params)
    async with rt.db.engine.connect() as conn:  # fresh statistics, as autovacuum would gather
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    if not sqlite:  # write the generated rows out now, so the opening is not billed for it
        async with rt.db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("CHECKPOINT"))


async def run(db: str, people: int) -> None:
    from bot.runtime import open_runtime
    from handlers.cases import open_campaign_cases
    from handlers.settings import load_settings
    from storage import admin
    from storage.models import StatusEvent

    tmp = Path(tempfile.mkdtemp(prefix="amayesh-bench-cases-"))
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}" if db == "sqlite" else PG
    await _reset(url)
    rt = await open_runtime(load_settings(database_url=url, files_dir=tmp, quiet_hours=""))
    t0 = time.perf_counter()
    await _generate(rt, people)
    print(f"{db}: generated {people:,} nationals in {time.perf_counter() - t0:.1f} s")
    today = rt.clock().astimezone(rt.settings.tz).date()
    async with rt.db.session() as s:
        await admin.add_campaign(
            s, "cli:bench", code="BENCH", title="bench", kind="renewal", eligible_rounds=[17],
            provinces=[PROVINCE], starts_on=today - timedelta(5), ends_on=today + timedelta(30),
            max_days_expired=365, fee_items=[{"name": "fee", "rials": 400_000}],
        )  # fmt: skip
    for label, dry in (("dry run (count)", True), ("open-cases", False), ("again", False)):
        t0 = time.perf_counter()
        async with rt.db.session() as s:
            bulk = await open_campaign_cases(rt, s, "cli:bench", "BENCH", dry_run=dry)
        took = time.perf_counter() - t0
        rate = f" ({bulk.count / took:,.0f} cases/s)" if bulk.count and not dry else ""
        print(f"{db}: {label}: {bulk.count:,} cases in {took:.1f} s{rate}")
    async with rt.db.session() as s:
        events = await s.scalar(select(func.count()).select_from(StatusEvent))
    print(f"{db}: {events:,} status events written (opening steps are kept on the cases)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{db}: peak RSS {peak:.0f} MB")
    await rt.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--people", type=int, default=1_000_000)
    args = parser.parse_args()
    asyncio.run(run(args.db, args.people))
