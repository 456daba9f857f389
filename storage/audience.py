"""A segment as SQL: who is in it, and where each is reached — for set-wise INSERT…SELECT."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from storage.models import Application, Campaign, Contact, National, Outbox, Subscription, utcnow

# A language with no text of its own falls back to Persian (handlers/i18n.py's chain).
FALLBACK = {"prs": "fa", "ps": "fa", "en": "fa", "ar": "fa"}


class UnknownCampaign(ValueError):
    """The segment names a campaign that does not exist."""


def _first(con: Any, channel: str, *where: ColumnElement[bool]) -> Any:
    """Each national's most recently updated contact of a channel, as a joinable subquery."""
    rn = func.row_number().over(
        partition_by=Contact.national_id, order_by=Contact.updated_at.desc()
    )
    ranked = (
        select(Contact.national_id.label("nid"), Contact.address.label("address"), rn.label("rn"))
        .where(Contact.channel == channel, Contact.national_id.is_not(None), *where)
        .subquery()
    )
    return select(ranked.c.nid, ranked.c.address).where(ranked.c.rn == 1).subquery(con)


@dataclass
class Audience:
    """The SELECT's pieces: nationals N joined to their chat and mobile."""

    query: Select[Any]
    lang: Any
    channel: Any
    address: Any


def _opted_out(column: Any, *where: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(Subscription.subscribed.is_(False), column, *where)


async def audience(
    session: AsyncSession, segment: dict[str, Any], default_lang: str = "fa"
) -> Audience:
    """Everyone in the registry matching `segment`, minus opt-outs, with a chat or a mobile."""
    chat = _first("chat", "telegram", Contact.reachable.is_(True))
    verified = _first("verified", "sms", Contact.verified.is_(True), Contact.reachable.is_(True))
    mobile = func.coalesce(verified.c.address, National.mobile)
    lang = func.coalesce(National.language, default_lang)
    channel = case((chat.c.address.is_not(None), "telegram"), else_="sms")
    address = func.coalesce(chat.c.address, mobile)
    q = (
        select()
        .select_from(National)
        .outerjoin(chat, chat.c.nid == National.id)
        .outerjoin(verified, verified.c.nid == National.id)
        .where(address.is_not(None))
        .where(not_(_opted_out(Subscription.national_id == National.id)))
        .where(not_(_opted_out(Subscription.address == mobile, Subscription.channel == "sms")))
        .where(
            or_(
                chat.c.address.is_(None),
                not_(_opted_out(Subscription.address == chat.c.address,
                                Subscription.channel == "telegram")),
            )
        )
    )  # fmt: skip
    for cond in await _filters(session, segment, lang, channel):
        q = q.where(cond)
    return Audience(q, lang, channel, address)


def _values(v: Any) -> list[str]:
    return [str(x) for x in v] if isinstance(v, list | tuple) else [str(v)]


async def _filters(
    session: AsyncSession, segment: dict[str, Any], lang: Any, channel: Any
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    camp = None
    if "campaign" in segment:
        code = str(segment["campaign"])
        where = Campaign.id == int(code) if code.isdigit() else Campaign.code == code
        camp = await session.scalar(select(Campaign).where(where))
        if camp is None:
            raise UnknownCampaign(code)
        if camp.provinces:
            conds.append(National.province.in_(camp.provinces))
    simple = {
        "province": National.province, "city": National.city,
        "nationality": National.nationality, "language": lang, "channel": channel,
    }  # fmt: skip
    for name, column in simple.items():
        if name in segment:
            conds.append(column.in_(_values(segment[name])))
    if "status" in segment:
        conds.append(_status(_values(segment["status"]), camp))
    if "eligibility" in segment:
        if camp is None:
            raise UnknownCampaign("eligibility needs campaign=…")
        rule = _eligible(camp)
        conds.append(rule if _values(segment["eligibility"])[0] == "eligible" else not_(rule))
    return conds


def _status(statuses: list[str], camp: Campaign | None) -> ColumnElement[bool]:
    """Has an application (in the campaign) with one of the statuses; 'none' = has none."""
    base = [Application.national_id == National.id]
    if camp is not None:
        base.append(Application.campaign_id == camp.id)
    named = [s for s in statuses if s not in ("none", "any")]
    parts = []
    if named:
        parts.append(exists().where(*base, Application.status.in_(named)))
    if "any" in statuses:
        parts.append(exists().where(*base))
    if "none" in statuses:
        parts.append(not_(exists().where(*base)))
    return or_(*parts)


def _eligible(camp: Campaign) -> ColumnElement[bool]:
    """The campaign's own rules: card rounds, provinces, how long a card may have expired."""
    rule: list[ColumnElement[bool]] = [true()]
    if camp.eligible_rounds:
        rule.append(National.card_round.in_(camp.eligible_rounds))
    if camp.provinces:
        rule.append(National.province.in_(camp.provinces))
    if camp.max_days_expired is not None:
        oldest = camp.starts_on - timedelta(days=camp.max_days_expired)
        rule.append(National.card_expiry >= oldest)
    return and_(*rule) if len(rule) > 1 else true()


def text_case(lang: Any, texts: dict[str, str]) -> Any:
    """Each recipient's own language's text, else its fallback's, else Persian."""
    base = texts.get("fa") or next(iter(texts.values()))
    whens = {code: texts.get(code) or texts.get(FALLBACK.get(code, "fa")) or base
             for code in ("fa", "prs", "ps", "en", "ar")}  # fmt: skip
    return case(whens, value=lang, else_=base)


async def insert_messages(
    session: AsyncSession,
    aud: Audience,
    *,
    key_prefix: str,
    kind: str,
    texts: dict[str, str],
    sms_text: str | None,
    due_at: datetime,
    deadline_at: datetime | None = None,
    broadcast_id: int | None = None,
) -> int:
    """One INSERT…SELECT of the audience into the outbox; keys make a rerun add nothing."""
    from storage.outbox import insert_for

    cols = {
        "key": literal(key_prefix, String) + cast(National.id, String),
        "national_id": National.id,
        "broadcast_id": literal(broadcast_id, Outbox.broadcast_id.type),
        "kind": literal(kind, String), "channel": aud.channel, "address": aud.address,
        "lang": aud.lang, "text": text_case(aud.lang, texts),
        "sms_text": literal(sms_text, String),
        "urgent": false(), "state": literal("queued", String),
        "due_at": literal(due_at, Outbox.due_at.type),
        "deadline_at": literal(deadline_at, Outbox.deadline_at.type),
        "attempts": literal(0), "fell_back": false(),
        "created_at": literal(utcnow(), Outbox.created_at.type),
    }  # fmt: skip
    q = aud.query.add_columns(*(expr.label(name) for name, expr in cols.items()))
    stmt = insert_for(session)(Outbox).from_select(list(cols), q)
    result = await session.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
    return result.rowcount or 0


async def count(session: AsyncSession, aud: Audience) -> dict[str, int]:
    """Recipients by channel, for a preview before sending."""
    inner = aud.query.add_columns(aud.channel.label("channel")).subquery()
    rows = await session.execute(select(inner.c.channel, func.count()).group_by(inner.c.channel))
    return {ch: n for ch, n in rows.all()}
