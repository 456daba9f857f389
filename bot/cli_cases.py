"""Renewal-case commands: `case open|show CARD`, `import registrations FILE`,
`campaign open-cases ID [--dry-run]` (registered after cli_staff, whose groups it extends)."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from bot.cli_admin import add_lang, cli_actor, staff_lang
from bot.cli_staff import Sub, _group, _import
from bot.runtime import Runtime
from handlers import cases, registrations
from handlers.casework import status_label
from handlers.jalali import format_datetime
from handlers.staff_auth import Forbidden
from handlers.staff_broadcast import digits_of, num
from sms.text import mask_mobile

REGISTRATIONS_HELP = """columns (UTF-8 CSV with a header row): card_number, office, registered_at
(Jalali date and time, Tehran). Example row:
  100200300,دفتر کفالت شماره ۱ بیرجند,1405/09/02 10:30
Each row opens the national's case in the open campaign covering them; a card that already has
one is left as it is. The whole file is checked first: one bad row imports nothing."""


def register(sub: Sub) -> None:
    imp = _group(sub, "import", "bulk imports")
    p = imp.add_parser(
        "registrations", help="the Kefalat offices' daily list: opens cases",
        description=REGISTRATIONS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("file", type=Path)
    add_lang(p)
    p.set_defaults(func=cmd_import_registrations)
    case = _group(sub, "case", "renewal cases")
    p = case.add_parser("open", help="open a national's case in the campaign covering them")
    p.add_argument("card")
    add_lang(p)
    p.set_defaults(func=cmd_case_open)
    p = case.add_parser("show", help="a national's cases, history, receipts, appointments")
    p.add_argument("card")
    add_lang(p)
    p.set_defaults(func=cmd_case_show)
    p = _group(sub, "campaign", "campaigns").add_parser(
        "open-cases", help="open a case for every eligible national of a campaign (set-wise)"
    )
    p.add_argument("campaign", help="id or code")
    p.add_argument("--dry-run", action="store_true", help="only count them")
    add_lang(p)
    p.set_defaults(func=cmd_open_cases)


async def cmd_import_registrations(rt: Runtime, args: argparse.Namespace) -> int:
    return await _import(rt, args, registrations.import_registrations)


async def cmd_case_open(rt: Runtime, args: argparse.Namespace) -> int:
    async with rt.db.session() as s:
        out = await cases.open_case(rt, s, cli_actor(), args.card, door="cli")
    print(out.text(rt, staff_lang(rt, args)))
    return 0 if out.ok or out.key == "cases.staff_already" else 1


async def cmd_open_cases(rt: Runtime, args: argparse.Namespace) -> int:
    await rt.db.check_migrated()
    lang = staff_lang(rt, args)
    try:
        async with rt.db.session() as s:
            bulk = await cases.open_campaign_cases(rt, s, cli_actor(), args.campaign,
                                                   dry_run=args.dry_run)  # fmt: skip
    except Forbidden as exc:
        print(exc)
        return 1
    if bulk.campaign is None:
        print(rt.t(lang, "cases.cli.no_campaign", campaign=args.campaign))
        return 1
    key = "cases.cli.would_open" if bulk.dry_run else "cases.cli.opened"
    print(rt.t(lang, key, id=num(bulk.campaign.id, lang), code=bulk.campaign.code,
               count=num(bulk.count, lang)))  # fmt: skip
    return 0


async def cmd_case_show(rt: Runtime, args: argparse.Namespace) -> int:
    tz, lang = rt.settings.tz, staff_lang(rt, args)

    def t(key: str, **kw: object) -> str:
        return rt.t(lang, f"cases.cli.{key}", **kw)

    def when(dt: datetime) -> str:
        return format_datetime(dt, tz, lang)

    async with rt.db.session() as s:
        f = await cases.show_case(rt, s, cli_actor(), args.card)
    if f is None:
        print(t("no_card", card=args.card))
        return 1
    n = f.national
    mobile = mask_mobile(n.mobile) if n.mobile else "-"
    year = digits_of(str(n.birth_year), lang)
    print(t("national", card=n.card_number, name=n.full_name, year=year, province=n.province,
            mobile=mobile))  # fmt: skip
    if not f.cases:
        print(t("no_case"))
    for app, camp in f.cases:
        extra = []
        if app.exemption_body:
            extra.append(
                t("exempted", body=app.exemption_body, certificate=app.exemption_certificate)
            )
        extra.append(t("identity_done" if app.identity_checked else "identity_pending"))
        print(t("case", id=num(app.id, lang), code=camp.code,
                status=status_label(rt, lang, app.status), extra="؛ ".join(extra)))  # fmt: skip
        for e in f.events[app.id]:
            note = f" — {e.note}" if e.note else ""
            print(f"  {when(e.at)}  {status_label(rt, lang, e.status)}  ({e.actor}){note}")
    for r in f.receipts:
        print(t("receipt", code=r.code, state=r.state, amount=num(r.amount_rials, lang),
                tracking=r.bank_tracking) + (f"، {r.reason}" if r.reason else ""))  # fmt: skip
    for a in f.appointments:
        print(t("appointment", id=num(a.id, lang), at=when(a.starts_at), office=a.office,
                state=a.state))  # fmt: skip
    for c in f.complaints:
        print(t("complaint", code=c.code, state=c.state, at=when(c.created_at)))
    return 0
