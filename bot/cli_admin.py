"""Commands that manage the registry: import nationals, campaigns, staff."""

from __future__ import annotations

import argparse
import csv
import getpass
from pathlib import Path
from typing import Any

from handlers import staff_accounts
from handlers.fmt import number
from handlers.jalali import format_short, parse_jalali_date
from handlers.registry import parse_nationals
from handlers.runtime import Runtime
from handlers.staff_signin import FACTORS, set_login
from storage import admin
from storage.registry import ImportCounts, upsert_nationals
from storage.text import InvalidMobile, normalize_mobile, normalize_text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser("import", help="bulk imports").add_subparsers(dest="what", required=True)
    p = imp.add_parser("nationals", help="upsert the registry from a UTF-8 CSV")
    p.add_argument("file", type=Path)
    p.add_argument("--skip-invalid", action="store_true", help="import good rows, reject bad")
    p.add_argument("--reject-file", type=Path, help="where bad rows go (default FILE.rejects.csv)")
    p.set_defaults(func=cmd_import_nationals)
    add_lang(p)

    camp = sub.add_parser("campaign", help="campaigns").add_subparsers(dest="op", required=True)
    p = camp.add_parser("create", help="create a campaign (dates in Jalali)")
    p.add_argument("--code", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--kind", choices=("renewal", "replacement", "issuance"), default="renewal")
    p.add_argument("--rounds", default="", help="eligible card rounds, e.g. 15,16,17")
    p.add_argument("--provinces", required=True, help="comma-separated")
    p.add_argument("--start", required=True, help="Jalali date, e.g. 1405/09/10")
    p.add_argument("--end", required=True)
    p.add_argument("--fee", action="append", default=[], help="NAME=RIALS, repeatable")
    p.add_argument("--account", default="")
    p.add_argument("--document", action="append", default=[], help="repeatable")
    p.add_argument("--office", action="append", default=[], help="NAME|ADDRESS|CITY, repeatable")
    p.add_argument("--max-days-expired", type=int)
    p.add_argument("--late-route", help="what those who miss the window can do (جاماندگان)")
    p.set_defaults(func=cmd_campaign_create)
    add_lang(p)
    camp.add_parser("list").set_defaults(func=cmd_campaign_list)
    p = camp.add_parser("show")
    p.add_argument("campaign", help="id or code")
    p.set_defaults(func=cmd_campaign_show)
    add_lang(p)

    staff = sub.add_parser("staff", help="staff members").add_subparsers(dest="op", required=True)
    for op, func in (("add", cmd_staff_add), ("remove", cmd_staff_remove)):
        p = staff.add_parser(op)
        p.add_argument("--telegram-id", type=int, required=True)
        if op == "add":
            p.add_argument("--role", choices=admin.ROLES, required=True)
            p.add_argument("--name", default="")
            p.add_argument("--username", help="sign-in name for the web console (/staff/)")
            p.add_argument("--mobile", help="the staff member's mobile, for SMS sign-in codes")
            p.add_argument("--second-factor", choices=FACTORS, default="totp")
        p.set_defaults(func=func)
        add_lang(p)
    staff.add_parser("list").set_defaults(func=cmd_staff_list)


def cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


def staff_lang(rt: Runtime, args: argparse.Namespace) -> str:
    """What staff read here: `--lang`, else AMAYESH_DEFAULT_LANGUAGE (Persian by default)."""
    return rt.catalog.normalise_lang(getattr(args, "lang", None) or rt.settings.default_language)


def add_lang(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", default=argparse.SUPPRESS, metavar="LANG",
                        help="language printed (default AMAYESH_DEFAULT_LANGUAGE)")  # fmt: skip


def _report(rt: Runtime, lang: str, counts: ImportCounts) -> str:
    figures = {k: number(v, lang) for k, v in vars(counts).items()}
    return rt.t(lang, "staff.cli.imported", **figures)


async def cmd_import_nationals(rt: Runtime, args: argparse.Namespace) -> int:
    """Validate the whole file, then upsert by card number in one transaction."""
    lang = staff_lang(rt, args)
    await rt.db.check_migrated()
    try:
        parsed = parse_nationals(args.file)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"cannot read {args.file}: {exc}")
        return 1
    if parsed.errors and not args.skip_invalid:
        for err in parsed.errors:
            print(err)
        print(rt.t(lang, "staff.cli.bad_rows", n=number(len(parsed.rejected_lines), lang)))
        return 1
    async with rt.db.session() as s:
        counts = await upsert_nationals(s, [row for _, row in parsed.rows])
        counts.rejected = len(parsed.rejected_lines)
        await admin.audit(s, cli_actor(), "import.nationals", str(args.file), after=vars(counts))
    if parsed.rejected_lines:
        reject = args.reject_file or args.file.with_suffix(".rejects.csv")
        _write_rejects(reject, parsed)
        print(rt.t(lang, "staff.cli.rejects_written", path=reject))
    print(_report(rt, lang, counts))
    return 0


def _write_rejects(path: Path, parsed: Any) -> None:
    reasons: dict[int, list[str]] = {}
    for err in parsed.errors:
        reasons.setdefault(err.line, []).append(f"{err.column}: {err.reason}")
    with path.open("w", encoding="utf-8", newline="") as fh:
        fields = [*parsed.rejected_lines[0][1].keys(), "line", "errors"]
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for line, raw in parsed.rejected_lines:
            writer.writerow({**raw, "line": line, "errors": "; ".join(reasons[line])})


def _split(value: str) -> list[str]:
    return [v.strip() for v in normalize_text(value).split(",") if v.strip()]


def _campaign_fields(args: argparse.Namespace) -> dict[str, Any]:
    fees = []
    for item in args.fee:
        name, _, rials = normalize_text(item).rpartition("=")
        if not name or not rials.isdigit():
            raise ValueError(f"--fee {item!r}: expected NAME=RIALS")
        fees.append({"name": name, "rials": int(rials)})
    offices = []
    for item in args.office:
        name, address, city = ([*item.split("|"), "", ""])[:3]
        offices.append({"name": name.strip(), "address": address.strip(), "city": city.strip()})
    starts, ends = parse_jalali_date(args.start), parse_jalali_date(args.end)
    if ends < starts:
        raise ValueError("--end is before --start")
    return dict(
        code=args.code, title=args.title, kind=args.kind, provinces=_split(args.provinces),
        eligible_rounds=[int(r) for r in _split(args.rounds)], starts_on=starts, ends_on=ends,
        fee_items=fees, bank_account=normalize_text(args.account), documents=args.document,
        offices=offices, max_days_expired=args.max_days_expired,
        late_route=(args.late_route or "").strip() or None,  # as typed: it is shown to people
    )  # fmt: skip


async def cmd_campaign_create(rt: Runtime, args: argparse.Namespace) -> int:
    await rt.db.check_migrated()
    try:
        fields = _campaign_fields(args)
        async with rt.db.session() as s:
            campaign = await admin.add_campaign(s, cli_actor(), **fields)
    except ValueError as exc:
        print(rt.t(staff_lang(rt, args), "staff.cli.campaign_not_created", error=exc))
        return 1
    print(rt.t(staff_lang(rt, args), "staff.cli.campaign_created", id=campaign.id,
               code=campaign.code))  # fmt: skip
    return 0


async def cmd_campaign_list(rt: Runtime, args: argparse.Namespace) -> int:
    async with rt.db.session() as s:
        for c in await admin.list_campaigns(s):
            window = f"{format_short(c.starts_on)} - {format_short(c.ends_on)}"
            print(f"{c.id}\t{c.code}\t{window}\t{c.title}")
    return 0


async def cmd_campaign_show(rt: Runtime, args: argparse.Namespace) -> int:
    async with rt.db.session() as s:
        c = await admin.get_campaign(s, args.campaign)
    lang = staff_lang(rt, args)
    if c is None:
        print(rt.t(lang, "staff.cli.no_campaign", campaign=args.campaign))
        return 1
    sep = ", " if lang == "en" else "، "

    def say(key: str, **params: object) -> None:
        print(rt.t(lang, f"staff.cli.{key}", **params))

    say("campaign_head", code=c.code, title=c.title, kind=c.kind)
    say("campaign_window", start=format_short(c.starts_on), end=format_short(c.ends_on))
    rounds = sep.join(number(r, lang) for r in c.eligible_rounds)
    say("campaign_where", provinces=sep.join(c.provinces), rounds=rounds)
    say("campaign_fee", rials=number(c.fee_total, lang), account=c.bank_account)
    for fee in c.fee_items:
        print(f"  {fee['name']}: {number(int(fee['rials']), lang)}")
    for doc in c.documents:
        say("campaign_document", document=doc)
    for office in c.offices:
        say("campaign_office", name=office["name"], address=office["address"])
    return 0


async def cmd_staff_add(rt: Runtime, args: argparse.Namespace) -> int:
    try:
        mobile = normalize_mobile(args.mobile) if args.mobile else None
    except InvalidMobile as exc:
        print(f"--mobile: {exc}")
        return 1
    async with rt.db.session() as s:
        await admin.add_staff(s, cli_actor(), args.telegram_id, args.role, args.name)
        refused = args.username and await set_login(
            s, cli_actor(), args.telegram_id, args.username, mobile, args.second_factor
        )
        if refused:
            print(f"not added: --username/--second-factor: {refused}")
            await s.rollback()
            return 1
    lang = staff_lang(rt, args)
    role = rt.t(lang, f"staff.role.{args.role}")
    print(rt.t(lang, "staff.cli.staff_added", id=args.telegram_id, role=role))
    return 0


async def cmd_staff_remove(rt: Runtime, args: argparse.Namespace) -> int:
    async with rt.db.session() as s:
        refused = await staff_accounts.remove_by_telegram(
            s, cli_actor(), args.telegram_id, rt.clock()
        )
    key = {None: "staff.cli.staff_removed", "last_admin": "staff.cli.last_admin"}.get(
        refused, "staff.cli.no_staff"
    )
    print(rt.t(staff_lang(rt, args), key, id=args.telegram_id))
    return 0 if refused is None else 1


async def cmd_staff_list(rt: Runtime, args: argparse.Namespace) -> int:
    async with rt.db.session() as s:
        for st in await admin.list_staff(s):
            print(f"{st.telegram_id}\t{st.role}\t{st.name}")
    return 0
