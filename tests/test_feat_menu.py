"""The main menu, its outage notice, and the completeness of the feature catalogs."""

from __future__ import annotations

import string
from datetime import timedelta

import pytest

from handlers.i18n import Catalog
from handlers.menu import main_menu
from storage.models import Outage
from tests.feat_support import NOW, button_data, ctx_for, freeze

FEATURES = ("campaigns", "eligibility", "appointments", "status", "complaints", "services",
            "subscriptions", "menu")  # fmt: skip
MENU = ["menu:campaigns", "menu:elig", "menu:receipt", "menu:appts", "menu:status",
        "menu:complaint", "menu:services", "menu:subs", "menu:lang"]  # fmt: skip


async def add_outage(rt, start_h: float, end_h: float) -> None:
    async with rt.db.session() as s:
        s.add(Outage(starts_at=NOW + timedelta(hours=start_h), ends_at=NOW + timedelta(hours=end_h),
                     reason="به‌روزرسانی سامانه", created_by="tg:1"))  # fmt: skip


async def test_menu_lists_the_nine_choices_without_notice(rt):
    freeze(rt)
    await add_outage(rt, -10, -5)  # over: not mentioned
    async with ctx_for(rt, lang="en") as ctx:
        reply = await main_menu(ctx)
    assert button_data(reply) == MENU
    assert reply.text == "What would you like to do?"
    assert all(len(row) <= 2 for row in reply.buttons)


async def test_planned_and_running_outages_are_announced(rt):
    freeze(rt)
    await add_outage(rt, 72, 75)
    async with ctx_for(rt) as ctx:
        planned = await main_menu(ctx)
    assert planned.text.splitlines()[-1] == (
        "توجه: خدمات از ۵ آذر ۱۴۰۵ ۱۳:۳۰ تا ۵ آذر ۱۴۰۵ ۱۶:۳۰ متوقف خواهد بود. "
        "دلیل: به‌روزرسانی سامانه"
    )
    freeze(rt, NOW + timedelta(hours=73))
    async with ctx_for(rt, lang="prs") as ctx:
        running = await main_menu(ctx)
    assert "متوقف است" in running.text and "۵ قوس/آذر ۱۴۰۵ ۱۶:۳۰" in running.text


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", ["prs", "ps", "en"])
def test_every_feature_text_exists_in_each_language_with_the_same_placeholders(lang):
    catalog = Catalog()
    fa = {k: v for k, v in catalog.messages["fa"].items() if k.split(".")[0] in FEATURES}
    other = catalog.messages[lang]
    assert sorted(set(fa) - set(other)) == []
    assert {k: _fields(v) for k, v in fa.items()} == {k: _fields(other[k]) for k in fa}
    assert not any("<" in other[k] for k in fa)  # plain text: the adapters escape and format


async def test_an_outage_recorded_elsewhere_shows_within_a_minute(rt):
    """The menu keeps its outage read for up to a minute (it goes with nearly every reply)."""
    freeze(rt)
    async with ctx_for(rt, lang="en") as ctx:
        assert (await main_menu(ctx)).text == "What would you like to do?"
    await add_outage(rt, 80, 82)  # written by another process: this one's copy is stale
    freeze(rt, NOW + timedelta(seconds=30))
    async with ctx_for(rt, lang="en") as ctx:
        assert (await main_menu(ctx)).text == "What would you like to do?"
    freeze(rt, NOW + timedelta(seconds=61))
    async with ctx_for(rt, lang="en") as ctx:
        assert "Notice: services will pause" in (await main_menu(ctx)).text
