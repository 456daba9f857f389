"""Bulk status and appointment imports: every row validated first, so a bad file changes nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.cases import campaign_for, start_case
from handlers.casework import check_move, move, national_lang
from handlers.jalali import format_datetime, parse_jalali_datetime
from handlers.registry import RowError
from handlers.reminders import schedule_appointment_reminders
from handlers.runtime import Runtime
from handlers.staff_auth import require
from storage import admin, casework
from storage.cases import last_event_at
from storage.models import Application, National
from storage.outbox import notify
from storage.statuses import parse_status
from storage.text import normalize_id, normalize_text

STATUS_COLUMNS = ("card_number", "status", "note", "at")
APPOINTMENT_COLUMNS = ("card_number", "office", "address", "starts_at", "attendees", "purpose")
MAX_ROWS = 20_000  # a bigger file is a mistake (or the whole registry), not a day's work


Importer = Callable[[Runtime, AsyncSession, str, str], Awaitable["ImportResult"]]


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    changed: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def csv_rows(text: str, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {column: normalised value}); ValueError when a required column is missing."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    names = [normalize_text(h).lower() for h in reader.fieldnames or []]
    missing = [c for c in columns if c not in names and c not in ("note", "at")]
    if missing:
        raise ValueError(f"line 1: missing columns: {', '.join(missing)}")
    reader.fieldnames = names
    for n, raw in enumerate(reader):
        if n >= MAX_ROWS:
            raise ValueError(f"more than {MAX_ROWS} rows")
        yield reader.line_num, {k: normalize_text(v or "") for k, v in raw.items() if k}


def _parse(
    line: int, raw: dict[str, str], parsers: dict[str, Callable[[str], Any]]
) -> tuple[dict[str, Any], list[RowError]]:
    row: dict[str, Any] = {}
    errors = []
    for column, parse in parsers.items():
        try:
            row[column] = parse(raw.get(column, ""))
        except ValueError as exc:
            errors.append(RowError(line, column, str(exc)))
    return row, errors


def _card(v: str) -> str:
    card = normalize_id(v)
    if not card:
        raise ValueError("is empty")
    return card


def _required(v: str) -> str:
    if not v:
        raise ValueError("is empty")
    return v


async def _cases(
    session: AsyncSession, rows: list[tuple[int, dict[str, Any]]], need_app: bool
) -> tuple[dict[str, National], dict[int, Application], list[RowError]]:
    """The nationals and current cases the rows name, and a RowError for each unknown card."""
    people = await casework.nationals_by_cards(session, (r["card_number"] for _, r in rows))
    apps: dict[int, Application] = {}
    errors = []
    for line, row in rows:
        national = people.get(row["card_number"])
        if national is None:
            errors.append(RowError(line, "card_number", f"no national {row['card_number']}"))
            continue
        if national.id not in apps:
            app = await casework.current_application(session, national.id)
            if app is not None:
                apps[national.id] = app
        if need_app and national.id not in apps:
            errors.append(RowError(line, "card_number", "has no application"))
    return people, apps, errors


def _parse_all(
    text: str,
    columns: tuple[str, ...],
    parsers: dict[str, Callable[[str], Any]],
    result: ImportResult,
) -> list[tuple[int, dict[str, Any]]]:
    """Every row parsed; bad ones are added to result.errors and left out."""
    rows = []
    for line, raw in csv_rows(text, columns):
        row, errors = _parse(line, raw, parsers)
        result.errors += errors
        if not errors:
            rows.append((line, row))
    return rows


async def import_statuses(
    rt: Runtime, session: AsyncSession, actor: str, text: str
) -> ImportResult:
    """card_number, status, note, at: each row one move, rows of one card applied in order."""
    await require(session, actor, "statuses")
    tz = rt.settings.tz
    parsers: dict[str, Callable[[str], Any]] = {
        "card_number": _card,
        "status": lambda v: parse_status(_required(v)).value,
        "note": lambda v: v,
        "at": lambda v: parse_jalali_datetime(v, tz) if v else None,
    }
    result = ImportResult()
    rows = _parse_all(text, STATUS_COLUMNS, parsers, result)
    people, apps, errors = await _cases(session, rows, need_app=False)
    result.errors += errors
    opening = await _to_open(rt, session, rows, people, apps, result)
    current = {nid: app.status for nid, app in apps.items()} | dict.fromkeys(opening, "registered")
    last = {nid: await last_event_at(session, app) for nid, app in apps.items()}
    for line, row in rows:
        national = people.get(row["card_number"])
        if national is None or national.id not in current:
            continue
        refusal = check_move(current[national.id], row["status"])
        if refusal:
            reason = f"{refusal.params['old']} -> {refusal.params['new']} is not allowed"
            result.errors.append(RowError(line, "status", reason))
        current[national.id] = row["status"]
        at, before = row["at"] or rt.clock(), last.get(national.id)
        if before is not None and at < before:  # the history must stay in order
            when = format_datetime(before, tz, "en")
            result.errors.append(RowError(line, "at", f"is before the case's last event ({when})"))
        last[national.id] = max(at, before) if before else at
    if result.errors:
        return result
    for nid, (national, campaign, at) in opening.items():
        got = await start_case(rt, session, actor, national, campaign, door="import",
                               steps=("registered",), at=at, tell=False)  # fmt: skip
        apps[nid] = got.application
    for _, row in rows:
        national = people[row["card_number"]]
        await move(rt, session, actor, national, apps[national.id], row["status"], row["note"],
                   row["at"])  # fmt: skip
        result.changed += 1
    await admin.audit(session, actor, "import.statuses", "", after={"rows": result.changed})
    return result


async def _to_open(
    rt: Runtime,
    session: AsyncSession,
    rows: list[tuple[int, dict[str, Any]]],
    people: dict[str, National],
    apps: dict[int, Application],
    result: ImportResult,
) -> dict[int, tuple[National, Any, datetime | None]]:
    """Cards with no case in the open campaign covering them: a case opens there (first
    `registered`, dated at the card's first row). No such campaign and no case: a row error."""
    today = rt.clock().astimezone(rt.settings.tz).date()
    opening: dict[int, tuple[National, Any, datetime | None]] = {}
    seen: set[int] = set()
    for line, row in rows:
        national = people.get(row["card_number"])
        if national is None or national.id in seen:
            continue
        seen.add(national.id)
        campaign = await campaign_for(session, national, today)
        app = apps.get(national.id)
        if campaign is not None and (app is None or app.campaign_id != campaign.id):
            opening[national.id] = (national, campaign, row["at"])
            apps.pop(national.id, None)
        elif app is None:
            result.errors.append(
                RowError(line, "card_number", "has no application and no open campaign covers it")
            )
    return opening


async def import_appointments(
    rt: Runtime, session: AsyncSession, actor: str, text: str
) -> ImportResult:
    """card_number, office, address, starts_at, attendees, purpose; re-imported rows are skipped."""
    await require(session, actor, "appointments")
    tz = rt.settings.tz
    parsers: dict[str, Callable[[str], Any]] = {
        "card_number": _card, "office": _required, "address": lambda v: v,
        "starts_at": lambda v: parse_jalali_datetime(_required(v), tz),
        "attendees": lambda v: v, "purpose": lambda v: v,
    }  # fmt: skip
    result = ImportResult()
    rows = _parse_all(text, APPOINTMENT_COLUMNS, parsers, result)
    people, apps, errors = await _cases(session, rows, need_app=False)
    result.errors += errors
    if result.errors:
        return result
    for _, row in rows:
        national = people[row["card_number"]]
        app = apps.get(national.id)
        changed = await book(rt, session, actor, national, app.id if app else None, row)
        result.changed += changed
        result.unchanged += not changed
    await admin.audit(session, actor, "import.appointments", "",
                      after={"booked": result.changed, "unchanged": result.unchanged})  # fmt: skip
    return result


async def book(
    rt: Runtime,
    session: AsyncSession,
    actor: str,
    national: National,
    application_id: int | None,
    row: dict[str, Any],
) -> bool:
    """Book one appointment and tell the national once; False if it was booked before."""
    starts_at: datetime = row["starts_at"]
    if await casework.find_appointment(session, national.id, starts_at):
        return False
    appt = await casework.add_appointment(
        session, national_id=national.id, application_id=application_id, office=row["office"],
        address=row["address"], starts_at=starts_at, attendees=row["attendees"],
        purpose=row["purpose"],
    )  # fmt: skip
    after = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
    await admin.audit(session, actor, "appointment.book", f"appointment:{appt.id}", None, after)
    lang = national_lang(rt, national)
    when = format_datetime(starts_at, rt.settings.tz, lang)
    params = dict(office=row["office"], address=row["address"], when=when,
                  attendees=row["attendees"] or "-", purpose=row["purpose"] or "-")  # fmt: skip
    await notify(
        session, national.id, key=f"appt:{appt.id}:booked", kind="notice", lang=lang,
        text=rt.t(lang, "staff.notice.appointment", **params),
        sms_text=rt.t(lang, "staff.notice.appointment_sms", **params),
    )  # fmt: skip
    await schedule_appointment_reminders(rt, session, appt, national)
    return True
