"""Console pages: every route for each role and with no session, CSRF, validation, actions."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from handlers import review
from handlers.runtime import Runtime
from storage.models import Application
from tests.console_kit import (
    console_client,
    csrf_of,
    file_complaint,
    national_id,
    post_form,
    scheduled_broadcast,
    seed_console,
    sign_in,
)  # fmt: skip
from tests.staff_seed import add_slip, audits, outbox

OFFICE = "دفتر کفالت شماره ۱ بیرجند"
# (method, path, right); {nid} {rid} {cid} are filled from the seeded data.
ROUTES = [
    ("GET", "/staff/", "report"),
    ("GET", "/staff/nationals", "statuses"),
    ("POST", "/staff/nationals", "statuses"),
    ("GET", "/staff/nationals/{nid}", "statuses"),
    ("POST", "/staff/nationals/{nid}/identity", "statuses"),
    ("GET", "/staff/review", "receipts"),
    ("POST", "/staff/review/{rid}", "receipts"),
    ("GET", "/staff/slips/{rid}", "receipts"),
    ("GET", "/staff/slips/{rid}/page/0", "receipts"),
    ("GET", "/staff/complaints", "complaints"),
    ("GET", "/staff/complaints/{cid}", "complaints"),
    ("POST", "/staff/complaints/{cid}", "complaints"),
    ("GET", "/staff/complaints/{cid}/photo", "complaints"),
    ("GET", "/staff/lists", "statuses"),
    ("GET", "/staff/lists/export.csv", "statuses"),
    ("GET", "/staff/lists/export.xlsx", "statuses"),
    ("GET", "/staff/broadcasts", "broadcasts"),
    ("GET", "/staff/broadcasts/new", "broadcasts"),
    ("POST", "/staff/broadcasts/parts", "broadcasts"),
    ("GET", "/staff/broadcasts/audience", "broadcasts"),
    ("POST", "/staff/broadcasts/preview", "broadcasts"),
    ("POST", "/staff/broadcasts", "broadcasts"),
    ("GET", "/staff/broadcasts/{bid}", "broadcasts"),
    ("GET", "/staff/broadcasts/{bid}/progress.json", "broadcasts"),
    ("POST", "/staff/broadcasts/{bid}/pause", "broadcasts"),
    ("GET", "/staff/outages", "outages"),
    ("POST", "/staff/outages", "outages"),
    ("GET", "/staff/imports", "statuses"),
    ("POST", "/staff/imports", "statuses"),
    ("POST", "/staff/imports/apply", "statuses"),
    ("GET", "/staff/audit", "audit"),
    ("GET", "/staff/audit/export.csv", "audit"),
    ("GET", "/staff/reports", "report"),
    ("GET", "/staff/reports/chart.png", "report"),
    ("GET", "/staff/reports/export.xlsx", "report"),
    ("GET", "/staff/campaigns", "campaigns"),
    ("POST", "/staff/campaigns", "campaigns"),
    ("GET", "/staff/campaigns/1", "campaigns"),
    ("POST", "/staff/campaigns/1/open-cases", "campaigns"),
    ("GET", "/staff/campaigns/1/edit", "campaigns"),
    ("POST", "/staff/campaigns/1/edit", "campaigns"),
    ("GET", "/staff/campaigns/1/announce", "broadcasts"),
    ("GET", "/staff/imports/jobs/nojob", "statuses"),
    ("GET", "/staff/imports/jobs/nojob/progress.json", "statuses"),
    ("GET", "/staff/accounts", "staff"),
    ("POST", "/staff/accounts", "staff"),
    ("GET", "/staff/accounts/1", "staff"),
    ("POST", "/staff/accounts/1/role", "staff"),
    ("GET", "/staff/me", None),
    ("POST", "/staff/me/password", None),
]
RIGHTS = {
    "admin": {
        "report",
        "statuses",
        "receipts",
        "complaints",
        "broadcasts",
        "outages",
        "audit",
        "campaigns",
        "staff",
        None,
    },
    "reviewer": {"report", "statuses", "receipts", "complaints", None},
    "broadcaster": {"report", "broadcasts", None},
}


async def _ids(rt: Runtime) -> dict[str, int]:
    return {"nid": await national_id(rt), "rid": await add_slip(rt),
            "cid": await file_complaint(rt), "bid": await scheduled_broadcast(rt)}  # fmt: skip


async def test_no_session_is_sent_to_sign_in(rt: Runtime) -> None:
    await seed_console(rt)
    ids = await _ids(rt)
    async with console_client(rt) as client:
        for method, path, _ in ROUTES:
            r = await client.request(method, path.format(**ids), allow_redirects=False)
            if method == "GET":
                assert (r.status, r.headers.get("Location")) == (303, "/staff/signin"), path
            else:
                assert r.status == 403, path
        assert (await client.get("/staff/static/console.css")).status == 200


@pytest.mark.parametrize("role", ["admin", "reviewer", "broadcaster"])
async def test_every_route_by_role(rt: Runtime, role: str) -> None:
    await seed_console(rt)
    ids = await _ids(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, role, {})
        token = csrf_of(await (await client.get("/staff/nationals" if role != "broadcaster"
                                                else "/staff/")).text())  # fmt: skip
        for method, path, right in ROUTES:
            data = {"csrf": token} if method == "POST" else None
            r = await client.request(method, path.format(**ids), data=data,
                                     allow_redirects=False)  # fmt: skip
            if right in RIGHTS[role]:
                assert r.status != 403, (role, path)
            else:
                assert r.status == 403, (role, path)
                assert "دسترسی ندارید" in await r.text()
    denied = await audits(rt, "denied")
    assert bool(denied) == (role in ("broadcaster", "reviewer"))


async def test_post_without_csrf_changes_nothing(rt: Runtime) -> None:
    await seed_console(rt)
    nid = await national_id(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "reviewer", {})
        r = await client.post(f"/staff/nationals/{nid}/identity", data={}, allow_redirects=False)
        assert r.status == 403
        r = await client.post(f"/staff/nationals/{nid}/identity", data={"csrf": "x" * 32})
        assert r.status == 403
    assert not await audits(rt, "identity.check")


async def test_search_by_persian_digits_name_and_zwnj(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "reviewer", {})
        page = await (await client.get("/staff/nationals")).text()
        for query, expect in (("۱۰۰ ۲۰۰ ۳۰۰", "علی احمدی"), ("H-1001", "فاطمه احمدی"),
                              ("۰۹۱۵۷۶۵۴۳۲۱", "گل‌احمد"), ("علي احمدي", "علی احمدی"),
                              ("گل احمد", "گل‌احمد رحیمی"), ("رحیمی", "زهرا رحیمی")):  # fmt: skip
            r = await post_form(client, "/staff/nationals", page, q=query)
            assert r.status == 200
            assert expect in await r.text(), query
        r = await post_form(client, "/staff/nationals", page, q="۹۹۹۹۹")
        assert "پیدا نشد" in await r.text()


async def test_status_change_and_validation_errors(rt: Runtime) -> None:
    await seed_console(rt)
    nid = await national_id(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "reviewer", {})
        page = await (await client.get(f"/staff/nationals/{nid}")).text()
        assert "در انتظار پرداخت" in page and "سیر وضعیت" in page
        r = await post_form(client, f"/staff/nationals/{nid}/status", page, status="delivered")
        assert r.status == 400 and "مجاز نیست" in await r.text()
        r = await post_form(client, f"/staff/nationals/{nid}/appointment", page,
                            office="دفتر", when="1405/13/40 25:00")  # fmt: skip
        assert r.status == 400 and "به شکل ۱۴۰۵/۰۹/۱۰" in await r.text()
        r = await post_form(client, f"/staff/nationals/{nid}/exempt", page, body="welfare",
                            certificate="")  # fmt: skip
        assert r.status == 400
        r = await post_form(client, f"/staff/nationals/{nid}/status", page,
                            status="exemption_review", note="درخواست بهزیستی")  # fmt: skip
        assert r.status == 200 and "تغییر کرد" in await r.text()
        r = await post_form(client, f"/staff/nationals/{nid}/appointment", page,
                            office=OFFICE, when="۱۴۰۵/۰۹/۱۰ ۰۹:۰۰")  # fmt: skip
        assert r.status == 200 and "نوبت کارت" in await r.text()
        r = await post_form(client, f"/staff/nationals/{nid}/open-case", page)
        assert "چیزی تغییر نکرد" in await r.text()  # the demo case exists: a no-op that says so
    async with rt.db.session() as s:
        assert (await s.get(Application, 1)).status == "exemption_review"  # type: ignore[union-attr]
    notices = [m.key for m in await outbox(rt) if m.kind == "notice"]
    assert len([k for k in notices if k.startswith("status:")]) == 1
    assert len([k for k in notices if k.startswith("appt:")]) == 1
    assert [a.actor for a in await audits(rt, "status.change")] == ["web:reviewer"]


async def test_review_shares_the_telegram_lease(rt: Runtime) -> None:
    await seed_console(rt)
    rid = await add_slip(rt)
    async with rt.db.session() as s:  # a Telegram reviewer holds the only slip
        assert await review.next_slip(rt, s, "tg:7001") is not None
    async with console_client(rt) as client:
        await sign_in(client, rt, "reviewer", {})
        page = await (await client.get("/staff/review")).text()
        assert "فیشی در انتظار بررسی نیست" in page
        async with rt.db.session() as s:
            await review.skip_slip(rt, s, "tg:7001", rid)
        page = await (await client.get("/staff/review")).text()
        assert f"/staff/slips/{rid}" in page and "۳۰۰٬۰۰۰" in page
        r = await post_form(client, f"/staff/review/{rid}", page, decision="reject")
        assert r.status == 400 and "علت لازم" in await r.text()
        page = await (await client.get("/staff/review")).text()
        r = await post_form(client, f"/staff/review/{rid}", page, decision="approve")
        assert r.status == 303
        page = await (await client.get(r.headers["Location"])).text()
        assert "تأیید شد" in page and "فیشی در انتظار بررسی نیست" in page
    assert [a.actor for a in await audits(rt, "receipt.approve")] == ["web:reviewer"]


async def test_complaint_answer_reaches_once_and_close(rt: Runtime) -> None:
    await seed_console(rt)
    late = await file_complaint(rt, hours_left=-5)
    await file_complaint(rt, hours_left=40)
    async with console_client(rt) as client:
        await sign_in(client, rt, "reviewer", {})
        page = await (await client.get("/staff/complaints?state=overdue")).text()
        assert "۵ ساعت دیرکرد" in page
        page = await (await client.get(f"/staff/complaints/{late}")).text()
        # The canned answers, in the national's language (Ali reads Dari).
        assert "شکایت شما رسید و در حال بررسی است" in page and "شکایت شما دریافت شد" not in page
        for _ in range(2):
            r = await post_form(client, f"/staff/complaints/{late}", page, action="answer",
                                answer="کارت شما فردا صادر می‌شود")  # fmt: skip
            assert r.status == 200
        r = await post_form(client, f"/staff/complaints/{late}", page, action="answer", answer=" ")
        assert r.status == 400
        r = await post_form(client, f"/staff/complaints/{late}", page, action="close")
        assert "بسته شد" in await r.text() or r.status == 200
    # The same answer twice (a double submit) is one message; a different one would be another.
    answers = [m for m in await outbox(rt) if m.key.startswith(f"complaint:{late}:answer")]
    assert len(answers) == 1


async def test_lists_page_and_exports(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "admin", {})
        page = await (await client.get("/staff/lists?status=awaiting_payment&sort=created")).text()
        assert "۱۰۰۲۰۰۳۰۰" in page
        r = await client.get("/staff/lists/export.csv?status=awaiting_payment")
        text = (await r.read()).decode("utf-8-sig")
        assert text.splitlines()[0].startswith("card_number") and "علی احمدی" in text
        r = await client.get("/staff/lists/export.xlsx?status=rejected")
        wb = load_workbook(io.BytesIO(await r.read()))
        assert wb.active.max_row == 1  # the header only: nobody is rejected
    assert len(await audits(rt, "console.export")) == 2


async def test_pdf_slip_pages_are_shown_as_images(rt: Runtime) -> None:
    import asyncio

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from handlers.jalali import jalali_year
    from storage.casework import current_application
    from storage.receipts import add_receipt

    await seed_console(rt)
    fig = Figure(figsize=(4, 3))
    fig.text(0.2, 0.5, "Bank Melli 300000")
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf")
    folder = rt.settings.files_dir / "receipts"
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread((folder / "s.pdf").write_bytes, buf.getvalue())
    async with rt.db.session() as s:
        app = await current_application(s, await national_id(rt))
        year, now = jalali_year(rt.clock().date()), rt.clock()
        r = await add_receipt(s, app, tracking="P-1", amount=250_000, file_path="receipts/s.pdf",
                              sha256="p1", mime="application/pdf", size=len(buf.getvalue()),
                              flags=[], year=year, now=now)  # fmt: skip
    async with console_client(rt) as client:
        await sign_in(client, rt, "reviewer", {})
        page = await (await client.get("/staff/review")).text()
        assert f"/staff/slips/{r.id}/page/0" in page and "/page/1" not in page
        assert "مبلغ با هزینه مصوب یکی نیست" in page  # 250,000 against a 300,000 fee
        png = await (await client.get(f"/staff/slips/{r.id}/page/0")).read()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert (await client.get(f"/staff/slips/{r.id}/page/3")).status == 404


async def test_dashboard_figures_and_sms_credit(wrt: Runtime, kavenegar) -> None:  # type: ignore[no-untyped-def]
    """The credit comes from Kavenegar's account/info through the real gateway code."""
    await seed_console(wrt)
    kavenegar.credit = 1_234_567
    async with console_client(wrt) as client:
        await sign_in(client, wrt, "broadcaster", {})
        page = await (await client.get("/staff/")).text()
    assert "۱٬۲۳۴٬۵۶۷" in page and "AMAYESH-19" in page
    assert "فیش‌های در انتظار بررسی" in page and "صف پیام‌ها" in page


async def test_the_route_walk_covers_every_console_route(rt: Runtime) -> None:
    from bot.console import console_app

    public = {("GET", "/signin"), ("POST", "/signin"), ("GET", "/factor"), ("POST", "/factor"),
              ("POST", "/factor/resend"), ("POST", "/signout"), ("GET", "/static")}  # fmt: skip
    generic = (("/identity", "/{action}"), ("/pause", "/{action}"), ("/page/0", "/page/{n}"),
               ("/campaigns/1", "/campaigns/{ident}"), ("/accounts/1", "/accounts/{sid}"),
               ("/role", "/{action}"), ("/jobs/nojob", "/jobs/{token}"),
               ("export.csv", "export.{fmt}"), ("export.xlsx", "export.{fmt}"))  # fmt: skip
    walked = set()
    for method, path, _ in ROUTES:
        for concrete, pattern in generic:
            path = path.replace(concrete, pattern)
        walked.add((method, path.removeprefix("/staff")))
    app = {
        (r.method, r.resource.canonical)
        for r in console_app(rt).router.routes()
        if r.method != "HEAD" and r.resource is not None
    }
    assert app - public == walked
