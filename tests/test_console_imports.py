"""CSV imports in the console: the validation report names every bad line, nothing changes
until «apply», then the same import as the CLI runs once; the registry is admins' only."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import ClientResponse, FormData
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from handlers.runtime import Runtime
from storage.models import Application, National
from tests.console_kit import console_client, csrf_of, seed_console, sign_in
from tests.staff_seed import audits

HEAD = "card_number,household_number,is_head,first_name,last_name,father_name,birth_year,gender,"
HEAD += "nationality,province,city,mobile,card_expiry,transit_sheet_expiry,language\n"
ROW = (
    "{card},H-9{card},1,رضا,کریمی,محمد,{year},M,AF,خراسان جنوبی,بیرجند,09151234567,1406/01/01,,fa\n"
)


def _upload(token: str, kind: str, text: str) -> FormData:
    form = FormData()
    form.add_field("csrf", token)
    form.add_field("kind", kind)
    form.add_field("file", text.encode(), filename="x.csv", content_type="text/csv")
    return form


async def _status(rt: Runtime) -> str:
    async with rt.db.session() as s:
        return (await s.get(Application, 1)).status  # type: ignore[union-attr]


async def finished(client: TestClient[Any, Any], r: ClientResponse) -> str:
    """Follow an applied import's job to its end (as the page's script polls), then its page."""
    assert r.status == 200 and "/staff/imports/jobs/" in str(r.url), r.url
    for _ in range(6000):  # a bound, not a timing: the job ends or the test fails
        if (await (await client.get(f"{r.url.path}/progress.json")).json())["finished"]:
            break
        await asyncio.sleep(0.05)
    return await (await client.get(r.url.path)).text()


async def test_statuses_bad_line_named_then_good_file_applied(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "reviewer", {})
        page = await (await client.get("/staff/imports")).text()
        assert 'enctype="multipart/form-data"' in page and "فهرست اتباع" not in page
        token = csrf_of(page)
        bad = "card_number,status,note,at\n100200300,delivered,,\n999999999,paid,,\n"
        r = await client.post("/staff/imports", data=_upload(token, "statuses", bad))
        body = await r.text()
        assert r.status == 400 and "line 2, status:" in body and "line 3, card_number:" in body
        assert 'id="apply"' not in body
        good = "card_number,status,note,at\n۱۰۰۲۰۰۳۰۰,exemption_review,بهزیستی,\n"
        r = await client.post("/staff/imports", data=_upload(token, "statuses", good))
        body = await r.text()
        assert r.status == 200 and 'id="apply"' in body
        assert await _status(rt) == "awaiting_payment"  # the check changes nothing
        fields = dict(zip(("kind", "token"), [
            body.split('name="kind" value="')[1].split('"')[0],
            body.split('name="token" value="')[1].split('"')[0]], strict=True))  # fmt: skip
        r = await client.post("/staff/imports/apply", data={"csrf": token, **fields})
        assert "فایل اعمال شد" in await finished(client, r)
        assert await _status(rt) == "exemption_review"
        again = await client.post("/staff/imports/apply", data={"csrf": token, **fields})
        assert again.url == r.url and "فایل اعمال شد" in await again.text()  # the same job
        r = await client.post("/staff/imports", data=_upload(token, "registry", HEAD))
        assert r.status == 403  # the registry is admins' only
    assert [a.actor for a in await audits(rt, "import.statuses")] == ["web:reviewer"]


async def test_registry_upload_by_admin(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "admin", {})
        token = csrf_of(await (await client.get("/staff/imports")).text())
        text = (
            HEAD
            + ROW.format(card="500600700", year="13x0")
            + ROW.format(card="500600701", year="1370")
        )
        r = await client.post("/staff/imports", data=_upload(token, "registry", text))
        body = await r.text()
        assert r.status == 400 and "line 2, birth_year:" in body
        r = await client.post("/staff/imports", data=_upload(token, "registry", "a,b\n1,2\n"))
        assert r.status == 400 and "missing columns" in await r.text()
        text = HEAD + ROW.format(card="500600700", year="1370")
        body = await (await client.post("/staff/imports",
                                        data=_upload(token, "registry", text))).text()  # fmt: skip
        tok = body.split('name="token" value="')[1].split('"')[0]
        r = await client.post("/staff/imports/apply",
                              data={"csrf": token, "kind": "registry", "token": tok})  # fmt: skip
        assert "افزوده" in await finished(client, r)
    async with rt.db.session() as s:
        n = await s.scalar(select(National).where(National.card_number == "500600700"))
        assert n is not None and n.first_name == "رضا"
    assert len(await audits(rt, "import.nationals")) == 1


def big_registry(n: int) -> str:
    """`n` valid registry rows (households of four), as a bureau's yearly file looks."""
    rows = [HEAD]
    for i in range(n):
        card = 700000000 + i
        rows.append(f"{card},H-{i // 4},{int(i % 4 == 0)},رضا,کریمی,محمد,1370,M,AF,خراسان جنوبی,"
                    f"بیرجند,0915{card % 10_000_000:07d},1406/01/01,,fa\n")  # fmt: skip
    return "".join(rows)


async def test_a_large_registry_applies_in_the_background_once(rt: Runtime) -> None:
    """12,000 rows: three slices of the CLI's upsert under one job, whose page and figures only
    its kind's roles may read; a second «apply» shows the same job."""
    await seed_console(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "admin", {})
        token = csrf_of(await (await client.get("/staff/imports")).text())
        upload = _upload(token, "registry", big_registry(12_000))
        body = await (await client.post("/staff/imports", data=upload)).text()
        assert "۱۲۰۰۰" in body or "۱۲٬۰۰۰" in body, body
        tok = body.split('name="token" value="')[1].split('"')[0]
        form = {"csrf": token, "kind": "registry", "token": tok}
        r = await client.post("/staff/imports/apply", data=form)
        assert 'id="job-bar"' in await r.text()
        page = await finished(client, r)
        assert "افزوده" in page and "۱۲۰۰۰" in page and 'value="100"' in page
        got = await (await client.get(f"{r.url.path}/progress.json")).json()
        figures = (got["state"], got["done"], got["total"], got["percent"])
        assert figures == ("done", 12000, 12000, 100)
        again = await client.post("/staff/imports/apply", data=form)
        assert again.url == r.url
        job = r.url.path
        await client.post("/staff/signout", data={"csrf": token})
        await sign_in(client, rt, "reviewer", {})  # the jobs live in this server's process
        assert (await client.get(job)).status == 403
        assert (await client.get(f"{job}/progress.json")).status == 403
    async with rt.db.session() as s:
        n = await s.scalar(select(func.count()).select_from(National))
    assert n is not None and n >= 12_000
    assert [(a.after or {})["inserted"] for a in await audits(rt, "import.nationals")] == [12_000]
