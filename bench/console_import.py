"""Benchmark: a 100,000-row registry CSV through the console (upload + check, then apply in the
background with its progress polled), over real HTTP, as an admin's browser does it.

    .venv/bin/python -m bench.console_import [--rows 100000] [--sqlite]

PostgreSQL by default, its own database AMAYESH_BENCH_IMPORT_DB (default amayesh_bench_import), made
empty and migrated each run; --sqlite uses a fresh file in a temporary directory. Prints the
upload-and-check time, the apply time, how many distinct bar positions the polling saw, and
p50 / p95 / max of progress.json and of another page (the dashboard) while the apply runs.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from bench.console import PASSWORD, _reset, _sign_in
from bot.runtime import open_runtime
from bot.server import init_app
from handlers.settings import load_settings
from handlers.staff_signin import set_login, set_password
from storage import admin
from storage.db import upgrade
from tests.test_console_imports import big_registry

PG_NAME = os.environ.get("AMAYESH_BENCH_IMPORT_DB", "amayesh_bench_import")
PG = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_NAME}"


def _p(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, math.ceil(len(times) * 0.95) - 1)]
    return f"p50 {statistics.median(times):7.1f}  p95 {p95:7.1f}  max {times[-1]:7.1f} ms"


async def run(rows: int, sqlite: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    if sqlite:
        url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
    else:
        url = PG
        await _reset(PG_NAME)
    rt = await open_runtime(load_settings(database_url=url, quiet_hours="", files_dir=str(tmp)))
    async with rt.db.session() as s:  # an admin, through the product's own functions
        await admin.add_staff(s, "bench", 1, "admin", "bench")
        await set_login(s, "bench", 1, "bench", None, "totp")
    async with rt.db.session() as s:
        await set_password(rt, s, "bench", "bench", PASSWORD)
    data = big_registry(rows).encode()
    print(f"console import bench ({'SQLite' if sqlite else 'PostgreSQL'}): {rows:,} rows, "
          f"{len(data) / 1e6:.1f} MB")  # fmt: skip
    runner = web.AppRunner(init_app(rt), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    base = f"http://{host}:{port}/staff"
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[f"http://{host}:{port}"])
    timeout = aiohttp.ClientTimeout(total=3600)
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as http:
        csrf = await _sign_in(http, base, None)
        form = aiohttp.FormData()
        form.add_field("csrf", csrf)
        form.add_field("kind", "registry")
        form.add_field("file", data, filename="registry.csv", content_type="text/csv")
        t0 = time.perf_counter()
        page = await (await http.post(f"{base}/imports", data=form)).text()
        checked = time.perf_counter() - t0
        found = re.findall(r'name="token" value="([^"]+)"', page)
        assert found, page[-3000:]
        token = found[0]
        t0 = time.perf_counter()
        r = await http.post(f"{base}/imports/apply", allow_redirects=False,
                            data={"csrf": csrf, "kind": "registry", "token": token})  # fmt: skip
        answered = time.perf_counter() - t0
        job = r.headers["Location"]
        seen, poll, other = set(), [], []
        while True:
            t = time.perf_counter()
            got = await (await http.get(f"http://{host}:{port}{job}/progress.json")).json()
            poll.append((time.perf_counter() - t) * 1000)
            seen.add(got["percent"])
            if got["finished"]:
                break
            t = time.perf_counter()
            async with http.get(f"{base}/") as d:
                await d.read()
            other.append((time.perf_counter() - t) * 1000)
            await asyncio.sleep(0.5)
        applied = time.perf_counter() - t0
        assert got["state"] == "done", got
    print(f"  upload + check (the validation report)   {checked:7.1f} s")
    print(f"  «apply» answered (job started)           {answered * 1000:7.1f} ms")
    print(f"  apply, start to done                     {applied:7.1f} s "
          f"({rows / applied:,.0f} rows/s); bar positions seen: {len(seen)}")  # fmt: skip
    print(f"  progress.json while applying   {_p(poll)}")
    if other:
        print(f"  dashboard while applying       {_p(other)}")
    await runner.cleanup()
    await rt.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--sqlite", action="store_true")
    args = ap.parse_args()
    asyncio.run(run(args.rows, args.sqlite))


if __name__ == "__main__":
    main()
