"""Campaign announcements: a broadcast built from the campaign's own data, for staff to check."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.jalali import fa_digits, format_date, format_short
from handlers.runtime import Runtime
from handlers.sms_parts import fit_sms
from handlers.staff_auth import require
from storage import admin, broadcasts
from storage.models import Broadcast, Campaign

LANGS = ("fa", "prs", "ps", "en")


def _money(rials: int, lang: str) -> str:
    text = f"{rials:,}"
    return text if lang == "en" else fa_digits(text)


def announcement_text(rt: Runtime, c: Campaign, lang: str) -> str:
    """Dates, fee items and total, the account, documents, offices, and the no-agents warning."""
    t = rt.t
    lines = [t(lang, "staff.announce.head", title=c.title),
             t(lang, "staff.announce.dates", start=format_date(c.starts_on, lang),
               end=format_date(c.ends_on, lang))]  # fmt: skip
    for fee in c.fee_items:
        lines.append(t(lang, "staff.announce.fee", name=fee["name"],
                       rials=_money(int(fee["rials"]), lang)))  # fmt: skip
    total = c.fee_total
    lines.append(t(lang, "staff.announce.total", rials=_money(total, lang),
                   toman=_money(total // 10, lang), account=c.bank_account or "-"))  # fmt: skip
    if c.documents:
        lines.append(t(lang, "staff.announce.documents"))
        lines += [f"• {d}" for d in c.documents]
    if c.offices:
        lines.append(t(lang, "staff.announce.offices"))
        lines += [f"• {o['name']} — {o.get('address', '')}" for o in c.offices]
    lines.append(t(lang, "staff.announce.warning"))
    return "\n".join(lines)


def announcement_sms(rt: Runtime, c: Campaign) -> str:
    """One short Persian SMS: the window, the fee and the account (ASCII digits keep it short)."""
    return fit_sms(rt.t("fa", "staff.announce.sms", title=c.title, start=format_short(c.starts_on),
                        end=format_short(c.ends_on), rials=f"{c.fee_total:,}",
                        account=c.bank_account or "-"))  # fmt: skip


async def announce_campaign(
    rt: Runtime, session: AsyncSession, actor: str, code: str
) -> Broadcast | None:
    """A draft broadcast to the campaign's segment (None if no such campaign); not sent yet."""
    await require(session, actor, "broadcasts")
    campaign = await admin.get_campaign(session, code.strip())
    if campaign is None:
        return None
    texts = {lang: announcement_text(rt, campaign, lang) for lang in LANGS}
    b = await broadcasts.create(session, actor, {"campaign": campaign.code}, texts,
                                announcement_sms(rt, campaign))  # fmt: skip
    await admin.audit(session, actor, "campaign.announce", f"broadcast:{b.id}",
                      after={"campaign": campaign.code})  # fmt: skip
    return b
