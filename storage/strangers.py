"""Subscribers who are in no registry record: a chat or a mobile that chose announcements
(and maybe a province) without linking a card. A broadcast reaches them when its segment asks
only what is known of them — province, language, channel, a campaign's provinces.

They are few next to the registry (people who have not linked yet), so they are read and
queued row by row here instead of joining the registry's one INSERT…SELECT.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audience import FALLBACK
from storage.models import Campaign, Conversation, Outbox, Subscription, utcnow

KNOWN = {"province", "language", "channel", "campaign"}


def _values(v: Any) -> set[str]:
    return {str(x) for x in v} if isinstance(v, list | tuple) else {str(v)}


async def _wanted(
    session: AsyncSession, segment: dict[str, Any], default_lang: str
) -> list[tuple[Subscription, str]]:
    """(subscription, language) of every unlinked subscriber the segment covers."""
    if not set(segment) <= KNOWN:
        return []  # status, city, nationality…: nothing is known of a stranger
    provinces = _values(segment["province"]) if "province" in segment else None
    if "campaign" in segment:
        code = str(segment["campaign"])
        where = Campaign.id == int(code) if code.isdigit() else Campaign.code == code
        camp = await session.scalar(select(Campaign).where(where))
        if camp is not None and camp.provinces:
            provinces = set(camp.provinces) & provinces if provinces else set(camp.provinces)
    rows = await session.execute(
        select(Subscription, Conversation.lang)
        .outerjoin(
            Conversation,
            and_(
                Conversation.channel == Subscription.channel,
                Conversation.chat_id == Subscription.address,
            ),
        )
        .where(Subscription.national_id.is_(None), Subscription.subscribed.is_(True))
        .order_by(Subscription.id)
    )
    out = []
    for sub, lang in rows.all():
        lang = lang or default_lang
        if provinces is not None and sub.provinces and not provinces & set(sub.provinces):
            continue  # no chosen province means every province
        if "language" in segment and lang not in _values(segment["language"]):
            continue
        if "channel" in segment and sub.channel not in _values(segment["channel"]):
            continue
        out.append((sub, lang))
    return out


async def count(
    session: AsyncSession, segment: dict[str, Any], default_lang: str
) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sub, _ in await _wanted(session, segment, default_lang):
        counts[sub.channel] = counts.get(sub.channel, 0) + 1
    return counts


async def queue(
    session: AsyncSession,
    segment: dict[str, Any],
    *,
    broadcast_id: int,
    texts: dict[str, str],
    sms_text: str | None,
    due_at: datetime,
    default_lang: str,
) -> int:
    """One broadcast copy per unlinked subscriber; a second run adds nothing (keys seen)."""
    key = f"bc:{broadcast_id}:sub:"
    seen = set(
        await session.scalars(
            select(Outbox.key).where(
                Outbox.broadcast_id == broadcast_id, Outbox.national_id.is_(None)
            )
        )
    )
    base = texts.get("fa") or next(iter(texts.values()))
    added = 0
    for sub, lang in await _wanted(session, segment, default_lang):
        if f"{key}{sub.id}" in seen:
            continue
        text = texts.get(lang) or texts.get(FALLBACK.get(lang, "fa")) or base
        session.add(
            Outbox(key=f"{key}{sub.id}", broadcast_id=broadcast_id, kind="broadcast",
                   channel=sub.channel, address=sub.address, lang=lang, text=text,
                   sms_text=sms_text, urgent=False, state="queued", due_at=due_at, attempts=0,
                   fell_back=False, created_at=utcnow())
        )  # fmt: skip
        added += 1
    await session.flush()
    return added
