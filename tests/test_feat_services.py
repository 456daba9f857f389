"""The services catalogue: 23 services from a staff-editable file, paged as buttons."""

from __future__ import annotations

import subprocess
import sys

from handlers.services import PAGE_SIZE, service_detail, services, services_menu
from tests.feat_support import button_data, ctx_for


async def test_menu_pages_through_all_23_services(rt):
    seen: list[str] = []
    async with ctx_for(rt) as ctx:
        first = services_menu(ctx)
        page = 0
        while True:
            reply = services_menu(ctx, page)
            data = button_data(reply)
            seen += [d for d in data if not d.startswith("svc:page:")]
            if f"svc:page:{page + 1}" not in data:
                break
            page += 1
        past_end = services_menu(ctx, 99)
    assert first.text == "خدمات اداره کل امور اتباع (صفحه ۱ از ۳). یکی را انتخاب کنید:"
    assert button_data(first)[:PAGE_SIZE] == [f"svc:{n}" for n in range(1, 9)]
    assert button_data(first)[-1] == "svc:page:1" and first.buttons[0][0].label == "تابعیت"
    assert seen == [f"svc:{n}" for n in range(1, 24)]
    assert button_data(past_end)[-1] == "svc:page:1"  # clamped to the last page: only "previous"
    assert all(len(b.label) <= 32 for row in first.buttons for b in row)


async def test_detail_has_who_documents_fee_and_where(rt):
    async with ctx_for(rt) as ctx:
        amayesh = service_detail(ctx, 3)
        transit = service_detail(ctx, 19)
        missing = service_detail(ctx, 99)
    async with ctx_for(rt, lang="en") as ctx:
        english = service_detail(ctx, 20)
    assert amayesh.text.startswith("تمدید و تعویض مدارک اقامتی اتباع خارجی (آمایش)")
    for part in ("• کارت آمایش", "• برگه تردد ۹۰ روزه معتبر", "• فیش واریزی مبالغ مصوب",
                 "۳۰۰٬۰۰۰ ریال", "کجا: دفتر امور اتباع", "واسطه نداریم"):  # fmt: skip
        assert part in amayesh.text
    assert button_data(amayesh) == ["svc:page:0"] and button_data(transit) == ["svc:page:2"]
    assert missing.text == "این خدمت پیدا نشد."
    assert english.text.startswith("Handling and answering complaints")
    assert "Fee: Free" in english.text and "performance and inspection centre" in english.text


def test_catalogue_is_loaded_lazily_and_complete():
    probe = (
        "import handlers.services, handlers.workdays, handlers.datafiles as d;"
        "print(d.load_toml.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"  # importing reads no data file
    items = services()
    assert [s.id for s in items] == list(range(1, 24))
    for s in items:
        for t in s.texts.values():
            assert t.name and t.short and t.who and t.documents and t.fee and t.where
    assert services() is items  # cached
