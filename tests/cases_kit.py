"""A deployment seeded only through the product's doors, for the renewal-case tests.

`amayesh import nationals` reads a registry CSV written here, `amayesh campaign create` makes
a campaign open today, `amayesh staff add` names the staff; then nationals and staff act over
the fake Bot API, the SMS inbound route and the CLI functions. Nothing is inserted directly.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import jdatetime
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.cli import build_parser
from bot.runtime import open_runtime
from handlers.runtime import Runtime
from handlers.settings import Settings
from storage.models import Application, Outbox
from storage.status_history import history
from tests.bot_kit import bot_settings, running_bot
from tests.fakes.botapi import FakeBotAPI
from tests.sms_support import SECRET, client, with_secret

PROVINCE = "خراسان جنوبی"
REVIEWER, ADMIN = 8101, 8102
# Household H-7 (head Karim with a wife and a son), a single woman, one from another province
# and one whose transit sheet has expired (not eligible).
KARIM, KARIM_YEAR, KARIM_MOBILE = "510000001", 1362, "09151110001"
ROYA, ROYA_YEAR, ROYA_MOBILE = "510000004", 1370, "09151110004"
OTHER, LAPSED, LAPSED_YEAR, LAPSED_MOBILE = "510000005", "510000006", 1375, "09151110006"
HOUSEHOLD = (KARIM, "510000002", "510000003")
HEADER = ("card_number,household_number,is_head,first_name,last_name,father_name,birth_year,"
          "gender,nationality,province,city,mobile,card_expiry,transit_sheet_expiry,language,"
          "card_round")  # fmt: skip


def jalali(d: date) -> str:
    return jdatetime.date.fromgregorian(date=d).strftime("%Y/%m/%d")


def registry_csv(today: date) -> str:
    ok, soon, past = (
        jalali(today + timedelta(60)),
        jalali(today + timedelta(40)),
        jalali(today - timedelta(3)),
    )
    rows = [
        f"{KARIM},H-7,1,کریم,نوری,احمد,{KARIM_YEAR},M,AF,{PROVINCE},بیرجند,{KARIM_MOBILE},{ok},{soon},fa,17",
        f"510000002,H-7,0,مریم,نوری,علی,1366,F,AF,{PROVINCE},بیرجند,,{ok},{soon},fa,17",
        f"510000003,H-7,0,رضا,نوری,کریم,1388,M,AF,{PROVINCE},بیرجند,,{ok},,fa,17",
        f"{ROYA},H-8,1,رویا,کاظمی,حسن,{ROYA_YEAR},F,AF,{PROVINCE},قائن,{ROYA_MOBILE},{ok},{soon},fa,16",
        f"{OTHER},H-9,1,جواد,رحمانی,یوسف,1360,M,AF,تهران,تهران,09151110005,{ok},{soon},fa,17",
        f"{LAPSED},H-10,1,نسرین,عباسی,قاسم,{LAPSED_YEAR},F,AF,{PROVINCE},بیرجند,{LAPSED_MOBILE},{ok},{past},fa,17",
    ]  # fmt: skip
    return HEADER + "\n" + "\n".join(rows) + "\n"


async def cli(rt: Runtime, *argv: str) -> tuple[int, str]:
    """One `amayesh …` command through the CLI's parser and command function, on `rt`."""
    args = build_parser().parse_args(list(argv))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = await args.func(rt, args)
    return code, out.getvalue()


async def seed_deployment(rt: Runtime, tmp: Path, **campaign: str) -> int:
    """Registry CSV → `import nationals`; `campaign create` (open today); two staff members.
    Returns the campaign's id."""
    today = rt.clock().astimezone(rt.settings.tz).date()
    reg = tmp / "registry.csv"
    reg.write_text(registry_csv(today), encoding="utf-8")
    code, out = await cli(rt, "import", "nationals", str(reg))
    assert code == 0 and "افزوده ۶" in out, out  # staff read Persian
    opts = {"--start": jalali(today - timedelta(5)), "--end": jalali(today + timedelta(30))}
    opts |= campaign
    argv = ["campaign", "create", "--code", "AM-20", "--title", "طرح آمایش ۲۰",
            "--provinces", PROVINCE, "--rounds", "15,16,17", "--fee", "هزینه آمایش=400000",
            "--account", "2171999000111", "--document", "کارت آمایش",
            "--document", "برگه تردد معتبر", "--max-days-expired", "365"]  # fmt: skip
    for k, v in opts.items():
        argv += [k, v]
    code, out = await cli(rt, *argv)
    assert code == 0, out
    for tid, role in ((REVIEWER, "reviewer"), (ADMIN, "admin")):
        assert (await cli(rt, "staff", "add", "--telegram-id", str(tid), "--role", role))[0] == 0
    return int(out.split()[1])


@dataclass
class World:
    rt: Runtime
    botapi: FakeBotAPI
    sms: TestClient
    campaign_id: int
    tmp: Path

    async def text(self, mobile: str, body: str, mid: str) -> str:
        """An inbound SMS over the HTTP route; the reply queued for the sender."""
        resp = await self.sms.post(
            f"/sms/inbound/{SECRET}", data={"messageid": mid, "from": mobile, "to": "1000",
                                            "message": body},
        )  # fmt: skip
        assert resp.status == 200
        async with self.rt.db.session() as s:
            got = await s.scalar(select(Outbox.text).where(Outbox.key == f"sms-in:{mid}"))
        assert got is not None
        return got


@contextlib.asynccontextmanager
async def world(settings: Settings, botapi: FakeBotAPI, tmp: Path) -> AsyncIterator[World]:
    """The seeded deployment with its bot polling the fake Bot API and the SMS route served."""
    rt = await open_runtime(bot_settings(settings, botapi))
    with_secret(rt)
    try:
        cid = await seed_deployment(rt, tmp)
        sms = await client(rt)
        try:
            async with running_bot(rt):
                yield World(rt, botapi, sms, cid, tmp)
        finally:
            await sms.close()
    finally:
        await rt.close()


async def cases_of(rt: Runtime) -> dict[str, str]:
    """card -> status of every case."""
    from storage.models import National

    async with rt.db.session() as s:
        rows = await s.execute(
            select(National.card_number, Application.status).join(
                Application, Application.national_id == National.id
            )
        )
        return dict(rows.all())


async def events_of(rt: Runtime, card: str) -> list[str]:
    from storage.models import National

    async with rt.db.session() as s:  # as the product reads a history (opening steps included)
        apps = await s.scalars(
            select(Application)
            .join(National, National.id == Application.national_id)
            .where(National.card_number == card)
            .order_by(Application.id)
        )
        return [e.status for app in apps.all() for e in await history(s, app)]


async def count(rt: Runtime, model: object) -> int:
    async with rt.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


async def review_next(w: World, approve: bool = True) -> str:
    """A reviewer takes the next slip on the staff chat and approves it."""
    from tests.bot_kit import Chat, datas

    staff = Chat(w.botapi, REVIEWER)
    card = await staff.say("/review")
    [ok] = [d for d in datas(card) if d.startswith("rv:ok:")]
    return (await staff.press(ok if approve else ok.replace(":ok:", ":no:"))).text or ""


async def finish(w: World, card: str, *, statuses_from: str = "paid") -> dict[str, str]:
    """After the slip: staff review, the statuses CSV to `delivered`, then the daily report's
    CSV figures (metric -> "day,campaign")."""
    import csv

    if statuses_from == "paid":
        assert "تأیید" in await review_next(w)
    steps = ["approved", "permit_issued", "card_printing", "ready_for_pickup", "delivered"]
    f = w.tmp / f"statuses-{card}.csv"
    f.write_text("card_number,status,note,at\n" + "".join(f"{card},{s},,\n" for s in steps),
                 encoding="utf-8")  # fmt: skip
    code, out = await cli(w.rt, "import", "statuses", str(f))
    assert code == 0 and "تغییر ۵" in out, out
    rep = w.tmp / "report.csv"
    code, out = await cli(w.rt, "report", "daily", "--csv", str(rep))
    assert code == 0, out
    rows = list(csv.reader(rep.read_text(encoding="utf-8").splitlines()))
    return {r[0]: f"{r[1]},{r[2]}" for r in rows[1:]}
