"""Opening a renewal case (an Application), channel-free, for every door that opens one.

Nationals (bot button, SMS keyword) open theirs after an eligible answer; a head of household
opens one for every member the campaign covers. Staff (`/open`, `amayesh case open`), the Kefalat
offices' daily list and the status import open them too. One case per national per campaign:
storage.cases inserts race-free, and a second opening by any door says the case exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import eligibility
from handlers.base import Button, Ctx, Reply
from handlers.casework import Outcome, national_lang
from handlers.convo import link_first
from handlers.fmt import bullets, day, number, rials_and_toman
from handlers.jalali import format_date
from handlers.runtime import Runtime
from handlers.staff_auth import require
from storage import admin, casework
from storage import cases as store
from storage.campaigns import covers, current_and_recent, is_open
from storage.household import members
from storage.models import Application, Campaign, National
from storage.outbox import notify
from storage.statuses import Status
from storage.text import normalize_id

REGISTERED, AWAITING = Status.REGISTERED.value, Status.AWAITING_PAYMENT.value


def first_steps(campaign: Campaign) -> tuple[str, ...]:
    """A new case is registered; with a fee to pay it waits for the slip straight away."""
    return (REGISTERED, AWAITING) if campaign.fee_total > 0 else (REGISTERED,)


def takes(campaign: Campaign, national: National) -> bool:
    """The campaign covers the national's province and card round (unknown rounds pass)."""
    rounds, rnd = campaign.eligible_rounds, national.card_round
    return covers(campaign, national.province) and (not rounds or rnd is None or rnd in rounds)


async def campaign_for(session: AsyncSession, national: National, today: date) -> Campaign | None:
    """The open campaign that covers this national, if any."""
    for c in await current_and_recent(session, today):
        if is_open(c, today) and takes(c, national):
            return c
    return None


@dataclass
class Opened:
    national: National
    application: Application
    new: bool  # False: the national already had a case in this campaign


async def start_case(
    rt: Runtime,
    session: AsyncSession,
    actor: str,
    national: National,
    campaign: Campaign,
    *,
    door: str,
    steps: Sequence[str] | None = None,
    at: datetime | None = None,
    tell: bool = True,
) -> Opened:
    """Open the case (its first steps as events, audited) or find the one that exists.

    `tell`: notify the national (staff and import doors); a national opening their own hears
    it in the reply instead."""
    now = rt.clock()
    app = await store.insert_case(session, national.id, campaign.id, now)
    if app is None:
        found = await store.case_in(session, national.id, campaign.id)
        assert found is not None
        return Opened(national, found, new=False)
    steps = tuple(steps or first_steps(campaign))
    when = min(at or now, now)  # the office's registration time, never the future
    for status in steps:  # one instant: the history orders them by id
        await casework.add_status_event(session, app, status, note=door, actor=actor, at=when)
    await admin.audit(session, actor, "case.open", f"application:{app.id}", None,
                      {"campaign": campaign.id, "door": door, "status": app.status})  # fmt: skip
    if tell:
        await _tell_opened(rt, session, national, campaign, app)
    return Opened(national, app, new=True)


async def _tell_opened(
    rt: Runtime, session: AsyncSession, national: National, campaign: Campaign, app: Application
) -> None:
    lang = national_lang(rt, national)
    params = _pay_params(rt, lang, campaign)
    nxt = "cases.next_pay" if app.status == AWAITING else "cases.next_docs"
    text = rt.t(lang, "cases.notice_opened", title=campaign.title,
                next=rt.t(lang, nxt, **params))  # fmt: skip
    await notify(
        session, national.id, key=f"case:{app.id}:opened", kind="notice", lang=lang, text=text,
        sms_text=rt.t(lang, "cases.notice_opened_sms", title=campaign.title, **params),
    )  # fmt: skip


def _pay_params(rt: Runtime, lang: str, campaign: Campaign) -> dict[str, str]:
    fee = number(campaign.fee_total, lang)
    return {"fee": fee, "account": campaign.bank_account or "-",
            "end": format_date(campaign.ends_on, lang)}  # fmt: skip


# --- staff doors ------------------------------------------------------------------------


async def open_case(
    rt: Runtime, session: AsyncSession, actor: str, card_number: str, *, door: str = "staff"
) -> Outcome:
    """`/open CARD`, `amayesh case open CARD`: reviewer or admin; audited; opening twice is a
    no-op that says so."""
    await require(session, actor, "statuses")
    card = normalize_id(card_number)
    national = await casework.national_by_card(session, card)
    if national is None:
        return Outcome(False, "staff.no_card", {"card": card})
    campaign = await campaign_for(session, national, _today(rt))
    if campaign is None:
        return Outcome(False, "cases.staff_no_campaign", {"card": card})
    got = await start_case(rt, session, actor, national, campaign, door=door)
    key = "cases.staff_opened" if got.new else "cases.staff_already"
    return Outcome(got.new, key, {"card": card, "title": campaign.title,
                                  "status": got.application.status})  # fmt: skip


async def show_case(
    rt: Runtime, session: AsyncSession, actor: str, card_number: str
) -> store.CaseFile | None:
    """`amayesh case show CARD` (and the staff console): the national's cases, each case's
    history, receipts, appointments and complaints; None for an unknown card. Audited."""
    await require(session, actor, "statuses")
    national = await casework.national_by_card(session, normalize_id(card_number))
    if national is None:
        return None
    await admin.audit(session, actor, "case.show", f"national:{national.id}")
    return await store.case_file(session, national)


def _today(rt: Runtime) -> date:
    return rt.clock().astimezone(rt.settings.tz).date()


# --- nationals' doors -------------------------------------------------------------------


async def open_for_household(ctx: Ctx) -> Reply:
    """The linked national's «start my renewal»: for a head, every member the campaign covers.

    Someone not eligible is told why and nothing opens."""
    if ctx.national is None:
        return link_first(ctx)
    result = await eligibility.evaluate(ctx, ctx.national)
    if not result.eligible or result.campaign is None:
        return eligibility.explain(ctx, result, offer_case=False)
    campaign = result.campaign
    actor = f"national:{ctx.national.id}"
    lines, opened = [], []
    for person in await members(ctx.session, ctx.national):
        if not takes(campaign, person):
            lines.append(ctx.t("cases.member_not_covered", name=person.full_name))
            continue
        got = await start_case(ctx.rt, ctx.session, actor, person, campaign, door=ctx.channel,
                               tell=person.id != ctx.national.id)  # fmt: skip
        opened.append(got)
        lines.append(_member_line(ctx, campaign, got))
    return _opened_reply(ctx, campaign, lines, opened)


def _member_line(ctx: Ctx, campaign: Campaign, got: Opened) -> str:
    """Name, whether the case is new, and what this person must bring."""
    key = "cases.member_opened" if got.new else "cases.member_already"
    bring = list(campaign.documents) or [ctx.t("cases.default_docs")]
    # What to do about a missing document, not the eligibility answer's «…for you»: the head
    # reads this line about each member of the household.
    for code in eligibility.document_reasons(got.national, campaign, ctx.today):
        bring.append(ctx.t(f"eligibility.next.{code}"))
    head = ctx.t(key, name=got.national.full_name)
    return head + "\n" + ctx.t("cases.bring") + "\n" + bullets(bring)


def _opened_reply(ctx: Ctx, campaign: Campaign, lines: list[str], opened: list[Opened]) -> Reply:
    fee = rials_and_toman(ctx, campaign.fee_total)
    parts = [ctx.t("cases.opened_head", title=campaign.title, end=day(ctx, campaign.ends_on))]
    parts += lines
    waiting = [o for o in opened if o.application.status == AWAITING]
    if waiting:
        parts.append(ctx.t("cases.pay", fee=fee, account=campaign.bank_account or "-"))
    parts.append(ctx.t("eligibility.no_agents"))
    names = ("، " if ctx.lang != "en" else ", ").join(o.national.first_name for o in opened)
    sms_key = "cases.opened_sms" if any(o.new for o in opened) else "cases.already_sms"
    # The SMS names rials only (no toman): a household's names must leave room in two parts.
    sms = ctx.t(sms_key, title=campaign.title, names=names or "-",
                fee=number(campaign.fee_total, ctx.lang),
                account=campaign.bank_account or "-")  # fmt: skip
    buttons = [[Button(ctx.t("cases.btn_slip"), "menu:receipt")]] if waiting else []
    buttons.append([Button(ctx.t("cases.btn_status"), "menu:status")])
    return Reply("\n\n".join(parts), buttons=buttons, sms_text=sms)


async def open_by_card(ctx: Ctx, card_number: str, birth_year: str) -> Reply:
    """SMS from a mobile the registry does not know: card + birth year prove the person, and
    only their own case opens; the answer names nobody."""
    card = normalize_id(card_number or "")
    national = await casework.national_by_card(ctx.session, card) if card else None
    if national is None or str(national.birth_year) != normalize_id(birth_year or ""):
        return Reply(ctx.t("eligibility.not_found"))
    result = await eligibility.evaluate(ctx, national)
    if not result.eligible or result.campaign is None:
        return eligibility.explain(ctx, result, offer_case=False)
    campaign = result.campaign
    got = await start_case(ctx.rt, ctx.session, f"national:{national.id}", national, campaign,
                           door=ctx.channel, tell=False)  # fmt: skip
    key = "cases.card_opened_sms" if got.new else "cases.card_already_sms"
    return Reply(ctx.t(key, title=campaign.title, fee=number(campaign.fee_total, ctx.lang),
                       account=campaign.bank_account or "-"))  # fmt: skip


# --- the whole campaign and its closing --------------------------------------------------


@dataclass
class Bulk:
    campaign: Campaign | None
    count: int
    dry_run: bool


async def open_campaign_cases(
    rt: Runtime, session: AsyncSession, actor: str, ident: str, *, dry_run: bool = False
) -> Bulk:
    """A case for every eligible national of the campaign who has none: one INSERT…SELECT."""
    await require(session, actor, "statuses")
    campaign = await admin.get_campaign(session, ident)
    if campaign is None:
        return Bulk(None, 0, dry_run)
    today = _today(rt)
    if dry_run:
        return Bulk(campaign, await store.count_openable(session, campaign, today), True)
    n = await store.open_all(session, campaign, today, rt.clock(), first_steps(campaign))
    await admin.audit(session, actor, "case.open_all", f"campaign:{campaign.id}",
                      None, {"opened": n})  # fmt: skip
    return Bulk(campaign, n, False)


async def close_windows(rt: Runtime, session: AsyncSession) -> int:
    """Campaigns whose window has ended: their unfinished cases move to missed_window, once."""
    moved = 0
    for campaign in await store.campaigns_closed_before(session, _today(rt)):
        marker = f"campaign:{campaign.id}"
        if await store.window_closed(session, marker):
            continue  # let-back-in cases (جاماندگان) are not moved again
        texts = {lang: _missed_text(rt, lang, campaign) for lang in ("fa", "prs", "ps", "en")}
        sms = {lang: rt.t(lang, "cases.missed_sms", title=campaign.title) for lang in texts}
        done = await store.close_window(session, campaign, rt.clock(), texts, sms,
                                        rt.settings.default_language)  # fmt: skip
        await admin.audit(session, "system", "case.window_closed", marker, None,
                          {"moved": done.moved, "notified": done.notified})  # fmt: skip
        moved += done.moved
    return moved


def _missed_text(rt: Runtime, lang: str, campaign: Campaign) -> str:
    late = campaign.late_route
    nxt = rt.t(lang, "cases.missed_late", route=late) if late else rt.t(lang, "cases.missed_next")
    return rt.t(lang, "cases.missed", title=campaign.title,
                end=format_date(campaign.ends_on, lang), next=nxt)  # fmt: skip
