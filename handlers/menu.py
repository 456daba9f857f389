"""The main menu every channel shows, with a notice of any current or planned service pause."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.base import Button, Ctx, Reply
from handlers.fmt import moment
from storage.outages import active_or_upcoming

# The menu goes with nearly every reply and outages are announced 72 hours ahead, so each
# process reads the next outage at most once a minute (and again when one starts or ends).
NOTICE_TTL = timedelta(seconds=60)
MEMO_KEY = "menu.outage"


async def outage_notice(ctx: Ctx) -> str | None:
    """One line about a pause now or ahead (the SLA asks for 72 hours' notice)."""
    outage = await next_outage(ctx)
    if outage is None:
        return None
    starts_at, ends_at, reason = outage
    key = "menu.outage_now" if starts_at <= ctx.now else "menu.outage_planned"
    return ctx.t(key, start=moment(ctx, starts_at), end=moment(ctx, ends_at), reason=reason)


async def next_outage(ctx: Ctx) -> tuple[datetime, datetime, str] | None:
    """The outage under way or next, from this process's copy while it is fresh."""

    async def load(now: datetime) -> tuple[tuple[datetime, datetime, str] | None, datetime]:
        row = await active_or_upcoming(ctx.session, now)
        if row is None:
            return None, now + NOTICE_TTL
        change = row.starts_at if row.starts_at > now else row.ends_at
        return (row.starts_at, row.ends_at, row.reason), min(now + NOTICE_TTL, change)

    return await ctx.rt.remember(MEMO_KEY, load)


async def main_menu(ctx: Ctx) -> Reply:
    """The features' entries as buttons, two per row; async because it reads the outages table."""
    buttons = [Button(ctx.t(f"menu.btn.{m.key}"), m.data) for m in ctx.rt.features.menu]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    lines = [ctx.t("menu.title")]
    notice = await outage_notice(ctx)
    if notice:
        lines.append(notice)
    return Reply("\n\n".join(lines), buttons=rows)
