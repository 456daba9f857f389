"""Benchmark: the staff console's pages with 1,000,000 nationals and 100,000 cases (PostgreSQL).

    .venv/bin/python -m bench.console [--nationals 1000000 --cases 100000 --rounds 40]

Generates the data set inside the database (INSERT … SELECT generate_series: no client memory),
signs a reviewer in over real HTTP (password + TOTP), then requests each page `rounds` times
and prints p50 / p95 / max in ms. Its own database: AMAYESH_BENCH_DB
(default amayesh_bench_console).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import time
from datetime import date, timedelta

import aiohttp
import pyotp
from aiohttp import web
from sqlalchemy import text

from bot.runtime import open_runtime
from bot.server import init_app
from handlers.jalali import fa_digits as fa
from handlers.settings import load_settings
from handlers.staff_signin import set_login, set_password
from storage import admin

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_NAME = os.environ.get("AMAYESH_BENCH_DB", "amayesh_bench_console")
PG = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_NAME}"
FIRST = [
    "علی",
    "حسین",
    "محمد",
    "فاطمه",
    "زهرا",
    "گل‌احمد",
    "عبدالله",
    "مریم",
    "نرگس",
    "احمد",
    "رحیم",
    "کریم",
    "شکیبا",
    "لیلا",
    "بصیر",
    "نجیب",
    "ذبیح‌الله",
    "سمیه",
    "هادی",
    "رضا",
]
LAST = ["احمدی", "رحیمی", "محمدی", "حسینی", "کریمی", "نوری", "هزاره", "تاجیک", "صدیقی", "امیری",
        "قاسمی", "یوسفی", "جعفری", "نظری", "رسولی", "عزیزی", "حیدری", "سلطانی", "اکبری", "بهرامی",
        "ابراهیمی", "مرادی", "شریفی", "فرهادی", "حکیمی"]  # fmt: skip
STATUSES = ["registered", "docs_review", "awaiting_payment", "payment_review", "paid", "approved"]
PASSWORD = "bench password 1"


def _arr(xs: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{x}'" for x in xs) + "]"


GENERATE = [
    "INSERT INTO households (household_number) SELECT 'H' || g FROM generate_series(1, {hh}) g",
    f"""INSERT INTO nationals (card_number, household_id, is_head, first_name, last_name,
      father_name, birth_year, gender, nationality, province, city, mobile, card_expiry,
      language, card_round, created_at, updated_at)
    SELECT (100000000 + g)::text, 1 + (g - 1) / 5, (g - 1) % 5 = 0,
      ({_arr(FIRST)})[1 + g % {len(FIRST)}], ({_arr(LAST)})[1 + (g / 7) % {len(LAST)}],
      ({_arr(FIRST)})[1 + (g / 3) % {len(FIRST)}], 1330 + g % 60, 'M', 'AF', 'خراسان جنوبی',
      'بیرجند', '0915' || lpad(g::text, 7, '0'), '2026-06-01', 'fa', 17, now(), now()
    FROM generate_series(1, {{n}}) g""",
    f"""INSERT INTO applications (national_id, campaign_id, status, identity_checked,
      created_at, updated_at)
    SELECT g * ({{n}} / {{cases}}), {{campaign}}, ({_arr(STATUSES)})[1 + g % {len(STATUSES)}],
      false, now() - (g || ' minutes')::interval, now() - (g || ' seconds')::interval
    FROM generate_series(1, {{cases}}) g""",
    """INSERT INTO status_events (application_id, status, note, actor, at)
    SELECT id, status, '', 'bench', updated_at FROM applications""",
    """INSERT INTO receipts (code, application_id, national_id, bank_tracking, amount_rials,
      file_path, file_sha256, mime_type, size_bytes, flags, state, created_at)
    SELECT 'R-B-' || id, id, national_id, 'T' || id, 300000, 'none.png', md5(id::text),
      'image/png', 10, '[]', CASE WHEN id % 50 = 0 THEN 'pending' ELSE 'approved' END, now()
    FROM applications""",
    """INSERT INTO complaints (code, national_id, channel, address, text, state, due_at,
      created_at)
    SELECT 'C-B-' || g, g * 100, 'telegram', g::text, 'شکایت شماره ' || g,
      (ARRAY['open','answered','closed'])[1 + g % 3], now() + ((g % 96 - 48) || ' hours')::interval,
      now() - (g || ' minutes')::interval
    FROM generate_series(1, {complaints}) g""",
]


async def _reset(name: str = PG_NAME) -> None:
    """An empty, migrated database `name` (bench.console_import passes its own)."""
    import asyncpg

    from storage.db import upgrade

    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f"DROP DATABASE IF EXISTS {name}")
    await conn.execute(f"CREATE DATABASE {name}")
    await conn.close()
    await asyncio.to_thread(upgrade, PG.replace(PG_NAME, name))


async def _generate(rt, n: int, cases: int) -> None:  # type: ignore[no-untyped-def]
    async with rt.db.session() as s:  # the campaign and the reviewer through the product's code
        today = date.today()
        c = await admin.add_campaign(s, "bench", code="B-1", title="bench", provinces=[],
                                     starts_on=today - timedelta(days=10),
                                     ends_on=today + timedelta(days=50),
                                     fee_items=[{"name": "fee", "rials": 300000}])  # fmt: skip
        await admin.add_staff(s, "bench", 1, "reviewer", "bench")
        await set_login(s, "bench", 1, "bench", None, "totp")
    async with rt.db.session() as s:
        await set_password(rt, s, "bench", "bench", PASSWORD)
    params = dict(n=n, hh=n // 5 + 1, cases=cases, campaign=c.id, complaints=max(cases // 20, 1))
    for sql in GENERATE:
        t0 = time.perf_counter()
        async with rt.db.session() as s:
            await s.execute(text(sql.format(**params)))
        print(f"  generated {sql.split()[2]:<14} {time.perf_counter() - t0:6.1f} s", flush=True)
    async with rt.db.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


async def _sign_in(http: aiohttp.ClientSession, base: str, known: str | None) -> str:
    csrf = re.compile(r'name="csrf" value="([^"]+)"')
    page = await (await http.get(f"{base}/signin")).text()
    await http.post(f"{base}/signin", data={"csrf": csrf.findall(page)[0], "username": "bench",
                                            "password": PASSWORD})  # fmt: skip
    page = await (await http.get(f"{base}/factor")).text()
    secret = (re.findall(r'class="secret">([A-Z2-7]+)<', page) or [known])[0]
    r = await http.post(f"{base}/factor", data={"csrf": csrf.findall(page)[0],
                                                "code": pyotp.TOTP(secret).now()})  # fmt: skip
    page = await r.text()
    assert "پیشخوان" in page, "sign-in failed"
    return csrf.findall(page)[0]


async def run(n: int, cases: int, rounds: int, reuse: bool = False) -> None:
    print(f"console bench: {n:,} nationals, {cases:,} cases, {rounds} requests per page")
    if not reuse:
        await _reset()
    rt = await open_runtime(load_settings(database_url=PG, quiet_hours=""))
    t0 = time.perf_counter()
    if not reuse:
        await _generate(rt, n, cases)
        print(f"  data set ready in {time.perf_counter() - t0:.1f} s")
    runner = web.AppRunner(init_app(rt), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    base = f"http://{host}:{port}/staff"
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[f"http://{host}:{port}"])
    rnd = random.Random(7)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with rt.db.session() as s:  # a --reuse run: the reviewer enrolled last time
            known = await s.scalar(text("SELECT totp_secret FROM staff WHERE username = 'bench'"))
        token = await _sign_in(http, base, known)
        step = n // cases

        def post(q: str):  # type: ignore[no-untyped-def]
            return lambda: http.post(f"{base}/nationals", data={"csrf": token, "q": q})

        pages = {
            "dashboard": lambda: http.get(f"{base}/"),
            "search card (Persian digits)": lambda: post(fa(str(100000000 + rnd.randint(1, n))))(),
            "search household": lambda: post(f"H{rnd.randint(1, n // 5)}")(),
            "search mobile": lambda: post("0915" + str(rnd.randint(1, n)).zfill(7))(),
            "search full name": lambda: post(f"{rnd.choice(FIRST)} {rnd.choice(LAST)}")(),
            "search last name": lambda: post(rnd.choice(LAST))(),
            "national page (with case)": lambda: http.get(
                f"{base}/nationals/{step * rnd.randint(1, cases)}"),
            "review queue": lambda: http.get(f"{base}/review"),
            "complaints overdue p1": lambda: http.get(f"{base}/complaints?state=overdue"),
            "complaints open p20": lambda: http.get(f"{base}/complaints?state=open&page=20"),
            "lists status p1": lambda: http.get(f"{base}/lists?status=awaiting_payment"),
            "lists all p100 oldest": lambda: http.get(f"{base}/lists?sort=oldest&page=100"),
        }  # fmt: skip
        print(f"  {'page':<30} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for name, call in pages.items():
            times = []
            for _ in range(rounds):
                t = time.perf_counter()
                async with call() as r:
                    await r.read()
                    assert r.status == 200, (name, r.status)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(f"  {name:<30} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}")
    await runner.cleanup()
    await rt.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nationals", type=int, default=1_000_000)
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--reuse", action="store_true", help="keep the data set of the last run")
    args = ap.parse_args()
    asyncio.run(run(args.nationals, args.cases, args.rounds, args.reuse))


if __name__ == "__main__":
    main()
