"""The main menu every channel shows, with a notice of any current or planned service pause."""

from __future__ import annotations

from handlers.base import Button, Ctx, Reply
from handlers.fmt import moment
from storage.outages import active_or_upcoming

ITEMS = (
    ("campaigns", "menu:campaigns"),
    ("elig", "menu:elig"),
    ("receipt", "menu:receipt"),
    ("appts", "menu:appts"),
    ("status", "menu:status"),
    ("complaint", "menu:complaint"),
    ("services", "menu:services"),
    ("subs", "menu:subs"),
    ("lang", "menu:lang"),
)


async def outage_notice(ctx: Ctx) -> str | None:
    """One line about a pause now or ahead (the SLA asks for 72 hours' notice)."""
    outage = await active_or_upcoming(ctx.session, ctx.now)
    if outage is None:
        return None
    key = "menu.outage_now" if outage.starts_at <= ctx.now else "menu.outage_planned"
    return ctx.t(
        key, start=moment(ctx, outage.starts_at), end=moment(ctx, outage.ends_at),
        reason=outage.reason,
    )  # fmt: skip


async def main_menu(ctx: Ctx) -> Reply:
    """The nine choices as buttons, two per row; async because it reads the outages table."""
    buttons = [Button(ctx.t(f"menu.btn.{name}"), data) for name, data in ITEMS]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    lines = [ctx.t("menu.title")]
    notice = await outage_notice(ctx)
    if notice:
        lines.append(notice)
    return Reply("\n\n".join(lines), buttons=rows)
