"""CSV imports in the console: the validation report names every bad line, nothing changes
until «apply», then the same import as the CLI runs once; the registry is admins' only."""

from __future__ import annotations

from aiohttp import FormData
from sqlalchemy import select

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
        assert r.status == 200 and "فایل اعمال شد" in await r.text()
        assert await _status(rt) == "exemption_review"
        r = await client.post("/staff/imports/apply", data={"csrf": token, **fields})
        assert r.status == 400 and "دیگر معتبر نیست" in await r.text()  # applied once
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
        assert r.status == 200 and "افزوده" in await r.text()
    async with rt.db.session() as s:
        n = await s.scalar(select(National).where(National.card_number == "500600700"))
        assert n is not None and n.first_name == "رضا"
    assert len(await audits(rt, "import.nationals")) == 1
