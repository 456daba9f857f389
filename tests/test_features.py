"""The features' declarations are checked when the application is built: a bad one stops it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from handlers.base import Ctx, Reply
from handlers.convo import Event, State
from handlers.feature import Args, ArgSpec, Feature, FeatureError, Keyword, MenuEntry, build
from handlers.features import FEATURES, TABLES
from handlers.i18n import LOCALES, Catalog
from handlers.language import OFFERED
from storage.text import fold_keyword


async def _step(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    return []


async def _open(ctx: Ctx, st: State) -> list[Reply]:
    return []


async def _button(ctx: Ctx, st: State, data: str) -> list[Reply] | None:
    return None


async def _act(ctx: Ctx, args: Args) -> Reply:
    return Reply("")


def _with(extra: Feature) -> tuple[Feature, ...]:
    return (*FEATURES, extra)


def test_the_real_list_builds() -> None:
    tables = build(FEATURES, fold=fold_keyword)
    assert [m.key for m in tables.menu] == [m.key for m in TABLES.menu]
    assert len(tables.keywords) == len({k.name for k in tables.keywords})


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (Feature("x", buttons={"svc": _button}), "button prefix 'svc'"),
        (Feature("x", buttons={"menu": _button}), "button prefix 'menu'"),
        (
            Feature("x", step_buttons={"x_a": ("appt:",)}, steps={"x_a": _step}, entry=("x_a",)),
            "button prefix 'appt'",
        ),
        (Feature("x", menu=MenuEntry("status", _open)), "menu entry 'status'"),
        (Feature("x", steps={"slip_file": _step}, entry=("slip_file",)), "step 'slip_file'"),
        (
            Feature("x", keywords=(Keyword("STATUS", ("zzz",), ArgSpec.NONE, _act),)),
            "keyword 'STATUS'",
        ),
        # «وضعيت» with an Arabic ي reads as «وضعیت» (STATUS) once folded
        (Feature("x", keywords=(Keyword("MINE", ("وضعيت",), ArgSpec.NONE, _act),)), "keyword word"),
        (
            Feature("x", keywords=(Keyword("UNKNOWN", ("zzz",), ArgSpec.NONE, _act),)),
            "needs words and an action",
        ),
        (
            Feature("x", keywords=(Keyword("MINE", (), ArgSpec.NONE, _act),)),
            "needs words and an action",
        ),
        (
            Feature("x", keywords=(Keyword("MINE", ("zzz",), ArgSpec.NONE, None),)),  # type: ignore[arg-type]
            "needs words and an action",
        ),
        (
            Feature("x", steps={"x_a": _step, "x_b": _step}, entry=("x_a",)),
            "no entry leads to step(s) x_b",
        ),
        (
            Feature("x", steps={"x_a": _step}, entry=("x_a",), moves={"x_a": ("x_nowhere",)}),
            "moves to unknown step 'x_nowhere'",
        ),
        (Feature("x", steps={"x_a": _step}, entry=("x_z",)), "'x_z' is not one of its steps"),
        (Feature("x", share_steps=("link_prove",)), "'link_prove' is not one of its steps"),
        (Feature("x", buttons={"x": _button}, leaving=("link:start",)), "leaving button"),
        (Feature("x", on_file=_step), "a file outside a step"),
        (replace(FEATURES[0]), "feature 'campaigns'"),
    ],
)
def test_a_bad_declaration_fails_at_build(bad: Feature, says: str) -> None:
    with pytest.raises(FeatureError, match=says.replace("(", r"\(").replace(")", r"\)")):
        build(_with(bad), fold=fold_keyword)


def test_a_good_new_feature_is_one_declaration() -> None:
    """A menu button, a step it leads to and an SMS keyword: nothing else to edit but texts."""
    new = Feature(
        "x",
        menu=MenuEntry("x", _open),
        buttons={"x": _button},
        steps={"x_a": _step},
        entry=("x_a",),
        moves={"x_a": ("menu",)},
        keywords=(Keyword("X", ("ایکس", "x"), ArgSpec.REST_OPT, _act),),
    )
    tables = build(_with(new), fold=fold_keyword)
    assert tables.menu[-1].data == "menu:x" and "x_a" in tables.steps
    assert tables.buttons["x"] is _button and tables.keywords[-1].action is _act


@pytest.mark.parametrize("lang", OFFERED)
def test_every_declared_entry_has_its_texts(lang: str) -> None:
    """The menu label of every entry and the usage of every keyword that needs arguments."""
    catalog = Catalog()
    keys = [f"menu.btn.{m.key}" for m in TABLES.menu]
    keys += [f"sms.usage.{k.name.lower()}" for k in TABLES.keywords if k.args.required]
    assert [k for k in keys if k not in catalog.messages[lang]] == []
    for f in TABLES.features:  # its catalog namespaces are files in every language
        assert all((LOCALES / lang / f"{ns}.toml").is_file() for ns in f.catalog), f.name
