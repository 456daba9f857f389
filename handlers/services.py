"""The bureau's catalogue of services, from a data file staff can edit (handlers/data)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handlers.base import Button, Ctx, Reply
from handlers.convo import State
from handlers.datafiles import DATA, load_toml
from handlers.feature import Feature, MenuEntry
from handlers.fmt import bullets, digits

SERVICES = DATA / "services.toml"
PAGE_SIZE = 8


@dataclass(frozen=True)
class ServiceText:
    name: str
    short: str  # the button label
    who: str
    documents: tuple[str, ...]
    fee: str
    where: str


LANGS = ("fa", "prs", "ps", "en")  # every field of the data file is written in each
FIELDS = ("name", "short", "for", "documents", "fee", "where")


@dataclass(frozen=True)
class Service:
    id: int
    texts: dict[str, ServiceText]

    def text(self, lang: str) -> ServiceText:
        return self.texts.get(lang) or self.texts["fa"]  # ar (not offered) reads Persian


def _text(raw: dict[str, Any], lang: str) -> ServiceText:
    return ServiceText(
        name=raw[f"name_{lang}"], short=raw[f"short_{lang}"], who=raw[f"for_{lang}"],
        documents=tuple(raw[f"documents_{lang}"]), fee=raw[f"fee_{lang}"],
        where=raw[f"where_{lang}"],
    )  # fmt: skip


@functools.cache
def services(path: Path = SERVICES) -> tuple[Service, ...]:
    """The catalogue in file order (read on first use, then cached)."""
    rows = load_toml(path).get("service", [])
    return tuple(Service(int(r["id"]), {lg: _text(r, lg) for lg in LANGS}) for r in rows)


def _pages(items: tuple[Service, ...]) -> int:
    return max(1, -(-len(items) // PAGE_SIZE))


def services_menu(ctx: Ctx, page: int = 0) -> Reply:
    """One page of services as buttons "svc:<id>", with "svc:page:<n>" to move between pages."""
    items = services()
    pages = _pages(items)
    page = min(max(page, 0), pages - 1)
    shown = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    buttons = [[Button(s.text(ctx.lang).short, f"svc:{s.id}")] for s in shown]
    nav = []
    if page > 0:
        nav.append(Button(ctx.t("services.prev"), f"svc:page:{page - 1}"))
    if page < pages - 1:
        nav.append(Button(ctx.t("services.next"), f"svc:page:{page + 1}"))
    if nav:
        buttons.append(nav)
    text = ctx.t("services.menu", page=digits(ctx, page + 1), pages=digits(ctx, pages))
    return Reply(text, buttons=buttons)


def service_detail(ctx: Ctx, service_id: int) -> Reply:
    """Name, who it is for, documents, fee and where to go for one service."""
    items = services()
    index = next((i for i, s in enumerate(items) if s.id == service_id), None)
    if index is None:
        back = [[Button(ctx.t("services.back"), "svc:page:0")]]
        return Reply(ctx.t("services.not_found"), buttons=back)
    t = items[index].text(ctx.lang)
    lines = [
        t.name,
        ctx.t("services.for", text=t.who),
        ctx.t("services.documents") + "\n" + bullets(list(t.documents)),
        ctx.t("services.fee", text=t.fee),
        ctx.t("services.where", text=t.where),
        ctx.t("services.no_agents"),
    ]
    back = [[Button(ctx.t("services.back"), f"svc:page:{index // PAGE_SIZE}")]]
    return Reply("\n".join(lines), buttons=back)


async def _menu(ctx: Ctx, st: State) -> list[Reply]:
    return [services_menu(ctx)]


async def _button(ctx: Ctx, st: State, data: str) -> list[Reply] | None:
    """«svc:<id>» (one service) and «svc:page:<n>»."""
    rest = data.partition(":")[2]
    if rest.startswith("page:") and rest[5:].isdigit():
        return [services_menu(ctx, page=int(rest[5:]))]
    return [service_detail(ctx, int(rest))] if rest.isdigit() else None


FEATURE: Feature = Feature(
    name="services",
    catalog=("services",),
    menu=MenuEntry("services", _menu),
    buttons={"svc": _button},
)
