"""Benchmark: import N generated registry rows; prints rows/s and peak memory.

    .venv/bin/python -m bench.import_nationals --rows 100000 [--db sqlite|postgres]

Target (issue 2): 100,000 rows in under 30 s on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import tempfile
import time
from pathlib import Path

from bot.cli import main as amayesh
from storage.db import upgrade

HEADER = (
    "card_number,household_number,is_head,first_name,last_name,father_name,birth_year,gender,"
    "nationality,province,city,mobile,card_expiry,transit_sheet_expiry,language\n"
)
PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/amayesh_bench"


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for i in range(rows):
            hh = i // 4
            fh.write(
                f"{100000000 + i},H-{hh},{int(i % 4 == 0)},علی{i % 97},احمدی,محمد,"
                f"{rnd.randint(1330, 1400)},{'MF'[i % 2]},AF,خراسان جنوبی,بیرجند,"
                f"09{rnd.randint(100000000, 199999999)},1405/{rnd.randint(1, 12):02d}/15,"
                f"{'' if i % 5 == 0 else '1405/10/01'},{('fa', 'prs', 'ps', '')[i % 4]}\n"
            )


async def reset_pg() -> None:
    import asyncpg

    # A database of its own: the test suite's `test` database must not be touched.
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await admin.execute("DROP DATABASE IF EXISTS amayesh_bench")
    await admin.execute("CREATE DATABASE amayesh_bench")
    await admin.close()


def run(rows: int, db: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="amayesh-bench-"))
    csv_path = tmp / "registry.csv"
    generate(csv_path, rows)
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}" if db == "sqlite" else PG
    if db == "postgres":
        asyncio.run(reset_pg())
    upgrade(url)
    import os

    os.environ["AMAYESH_DATABASE_URL"] = url
    for label in ("first import", "re-import (no changes)"):
        start = time.perf_counter()
        assert amayesh(["import", "nationals", str(csv_path)]) == 0
        took = time.perf_counter() - start
        print(f"{db} {label}: {rows} rows in {took:.1f} s = {rows / took:,.0f} rows/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    run(args.rows, args.db)
