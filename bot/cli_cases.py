"""Renewal-case commands: `case open|show CARD`, `import registrations FILE`,
`campaign open-cases ID [--dry-run]` (registered after cli_staff, whose groups it extends)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli_admin import cli_actor
from bot.cli_staff import LANG, _group, _import
from bot.runtime import Runtime
from handlers import cases, registrations
from handlers.jalali import format_datetime
from handlers.staff_auth import Forbidden
from sms.text import mask_mobile

Sub = argparse._SubParsersAction
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
    p.set_defaults(func=cmd_import_registrations)
    case = _group(sub, "case", "renewal cases")
    p = case.add_parser("open", help="open a national's case in the campaign covering them")
    p.add_argument("card")
    p.set_defaults(func=cmd_case_open)
    p = case.add_parser("show", help="a national's cases, history, receipts, appointments")
    p.add_argument("card")
    p.set_defaults(func=cmd_case_show)
    p = _group(sub, "campaign", "campaigns").add_parser(
        "open-cases", help="open a case for every eligible national of a campaign (set-wise)"
    )
    p.add_argument("campaign", help="id or code")
    p.add_argument("--dry-run", action="store_true", help="only count them")
    p.set_defaults(func=cmd_open_cases)


async def cmd_import_registrations(rt: Runtime, args: argparse.Namespace) -> int:
    return await _import(rt, args.file, registrations.import_registrations)


async def cmd_case_open(rt: Runtime, args: argparse.Namespace) -> int:
    async with rt.db.session() as s:
        out = await cases.open_case(rt, s, cli_actor(), args.card, door="cli")
    print(out.text(rt, LANG))
    return 0 if out.ok or out.key == "cases.staff_already" else 1


async def cmd_open_cases(rt: Runtime, args: argparse.Namespace) -> int:
    await rt.db.check_migrated()
    try:
        async with rt.db.session() as s:
            bulk = await cases.open_campaign_cases(rt, s, cli_actor(), args.campaign,
                                                   dry_run=args.dry_run)  # fmt: skip
    except Forbidden as exc:
        print(exc)
        return 1
    if bulk.campaign is None:
        print(f"no campaign {args.campaign!r}")
        return 1
    verb = "would open" if bulk.dry_run else "opened"
    print(f"campaign {bulk.campaign.id} ({bulk.campaign.code}): {verb} {bulk.count} cases")
    return 0


async def cmd_case_show(rt: Runtime, args: argparse.Namespace) -> int:
    tz = rt.settings.tz

    def when(dt: object) -> str:
        return format_datetime(dt, tz, "en")  # type: ignore[arg-type]

    async with rt.db.session() as s:
        f = await cases.show_case(rt, s, cli_actor(), args.card)
    if f is None:
        print(f"no national with card {args.card}")
        return 1
    n = f.national
    mobile = mask_mobile(n.mobile) if n.mobile else "-"
    print(f"{n.card_number}: {n.full_name}, born {n.birth_year}, {n.province}, mobile {mobile}")
    if not f.cases:
        print("no case")
    for app, camp in f.cases:
        extra = []
        if app.exemption_body:
            extra.append(
                f"exempted by {app.exemption_body}, certificate {app.exemption_certificate}"
            )
        extra.append("identity checked" if app.identity_checked else "identity not checked")
        print(f"case {app.id} in {camp.code}: {app.status} ({'; '.join(extra)})")
        for e in f.events[app.id]:
            note = f" — {e.note}" if e.note else ""
            print(f"  {when(e.at)}  {e.status}  by {e.actor}{note}")
    for r in f.receipts:
        print(f"receipt {r.code}: {r.state}, {r.amount_rials:,} rials, tracking {r.bank_tracking}"
              + (f", {r.reason}" if r.reason else ""))  # fmt: skip
    for a in f.appointments:
        print(f"appointment {a.id}: {when(a.starts_at)} at {a.office}, {a.state}")
    for c in f.complaints:
        print(f"complaint {c.code}: {c.state}, filed {when(c.created_at)}")
    return 0
