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

from storage.db import inserted
from storage.models import Application, Campaign, Contact, National, Outbox, Subscription, utcnow

# A language with no text of its own falls back to Persian (handlers/i18n.py's chain).
FALLBACK = {"prs": "fa", "ps": "fa", "en": "fa", "ar": "fa"}


class UnknownCampaign(ValueError):
    """The segment names a campaign that does not exist."""


def _latest(channel: str, *where: ColumnElement[bool]) -> Any:
    """A national's most recently updated contact of a channel (an index lookup per person)."""
    return (
        select(Contact.address)
        .where(Contact.national_id == National.id, Contact.channel == channel, *where)
        .order_by(Contact.updated_at.desc())
        .limit(1)
        .scalar_subquery()
    )


@dataclass
class Audience:
    """The SELECT's pieces: one row per recipient, with their language, channel and address."""

    query: Select[Any]
    nid: Any
    lang: Any
    channel: Any
    address: Any


def _opted_out(column: Any, *where: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(Subscription.subscribed.is_(False), column, *where)


def _ranked(name: str, channel: str, *where: ColumnElement[bool]) -> Any:
    """The same as _latest for everyone at once: a derived table PostgreSQL hash-joins."""
    rn = func.row_number().over(
        partition_by=Contact.national_id, order_by=Contact.updated_at.desc()
    )
    ranked = (
        select(Contact.national_id.label("nid"), Contact.address.label("address"), rn.label("rn"))
        .where(Contact.channel == channel, Contact.national_id.is_not(None), *where)
        .subquery()
    )
    return select(ranked.c.nid, ranked.c.address).where(ranked.c.rn == 1).subquery(name)


def _people(pg: bool, lang: Any) -> Select[Any]:
    """nid, lang, chat, mobile per national. SQLite looks contacts up per person (it has no
    hash join); PostgreSQL joins them set-wise, which is several times faster at a million."""
    reachable, verified = Contact.reachable.is_(True), Contact.verified.is_(True)
    if not pg:
        chat, ver = _latest("telegram", reachable), _latest("sms", verified, reachable)
        return select(National.id.label("nid"), lang.label("lang"), chat.label("chat"),
                      func.coalesce(ver, National.mobile).label("mobile"))  # fmt: skip
    c, v = _ranked("chat", "telegram", reachable), _ranked("verified", "sms", verified, reachable)
    return (
        select(National.id.label("nid"), lang.label("lang"), c.c.address.label("chat"),
               func.coalesce(v.c.address, National.mobile).label("mobile"))
        .select_from(National)
        .outerjoin(c, c.c.nid == National.id)
        .outerjoin(v, v.c.nid == National.id)
    )  # fmt: skip


async def audience(
    session: AsyncSession, segment: dict[str, Any], default_lang: str = "fa"
) -> Audience:
    """Everyone in the registry matching `segment`, minus opt-outs, with a chat or a mobile."""
    lang = func.coalesce(National.language, default_lang)
    pg = session.get_bind().dialect.name == "postgresql"
    inner = _people(pg, lang)
    for cond in await _filters(session, segment, lang):
        inner = inner.where(cond)
    # MATERIALIZED: each person's chat and mobile are found once, not once per use below.
    a = inner.cte("audience").prefix_with("MATERIALIZED")
    channel = case((a.c.chat.is_not(None), "telegram"), else_="sms")
    address = func.coalesce(a.c.chat, a.c.mobile)
    q = (
        select()
        .select_from(a)
        .where(address.is_not(None))
        .where(not_(_opted_out(Subscription.national_id == a.c.nid)))
        .where(not_(_opted_out(Subscription.address == a.c.mobile, Subscription.channel == "sms")))
        .where(
            or_(
                a.c.chat.is_(None),
                not_(_opted_out(Subscription.address == a.c.chat,
                                Subscription.channel == "telegram")),
            )
        )
    )  # fmt: skip
    if "channel" in segment:
        q = q.where(channel.in_(_values(segment["channel"])))
    return Audience(q, a.c.nid, a.c.lang, channel, address)


def _values(v: Any) -> list[str]:
    return [str(x) for x in v] if isinstance(v, list | tuple) else [str(v)]


async def _filters(
    session: AsyncSession, segment: dict[str, Any], lang: Any
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
        "nationality": National.nationality, "language": lang,
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
    parts: list[ColumnElement[bool]] = []
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
    sms_text: str | dict[str, str] | None,
    due_at: datetime,
    deadline_at: datetime | None = None,
    broadcast_id: int | None = None,
    fresh: bool = False,
) -> int:
    """One INSERT…SELECT of the audience into the outbox; keys make a rerun add nothing.

    `fresh`: the caller knows none of these keys exists yet, so a plain INSERT does (ON CONFLICT
    probes the unique index once more per row, a large share of a million-row insert).
    `sms_text` by language, like `texts`, gives each recipient the SMS in their own language.
    """
    from storage.outbox import BROADCAST_CONFLICT, KEY_CONFLICT, default_deadline, insert_for

    deadline_at = deadline_at or default_deadline(kind, due_at)

    cols = {
        "key": literal(key_prefix, String) + cast(aud.nid, String),
        "national_id": aud.nid,
        "broadcast_id": literal(broadcast_id, Outbox.broadcast_id.type),
        "kind": literal(kind, String), "channel": aud.channel, "address": aud.address,
        "lang": aud.lang, "text": text_case(aud.lang, texts),
        "sms_text": (text_case(aud.lang, sms_text) if isinstance(sms_text, dict)
                     else literal(sms_text, String)),
        "urgent": false(), "state": literal("queued", String),
        "due_at": literal(due_at, Outbox.due_at.type),
        "deadline_at": literal(deadline_at, Outbox.deadline_at.type),
        "attempts": literal(0), "fell_back": false(),
        "created_at": literal(utcnow(), Outbox.created_at.type),
    }  # fmt: skip
    q = aud.query.add_columns(*(expr.label(name) for name, expr in cols.items()))
    stmt = insert_for(session)(Outbox).from_select(list(cols), q)
    if not fresh:
        stmt = stmt.on_conflict_do_nothing(
            **(KEY_CONFLICT if broadcast_id is None else BROADCAST_CONFLICT)
        )
    return await inserted(session, await session.execute(stmt))


async def count(session: AsyncSession, aud: Audience) -> dict[str, int]:
    """Recipients by channel, for a preview before sending."""
    inner = aud.query.add_columns(aud.channel.label("channel")).subquery()
    rows = await session.execute(select(inner.c.channel, func.count()).group_by(inner.c.channel))
    return {ch: n for ch, n in rows.all()}
