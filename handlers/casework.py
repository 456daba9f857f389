"""Staff casework, channel-free: move a case's status, record exemptions and identity checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.fmt import number
from handlers.jalali import format_datetime
from handlers.runtime import Runtime
from handlers.staff_auth import require
from storage import admin, casework
from storage import cases as cases_store
from storage.models import Application, National, StatusEvent
from storage.outbox import notify
from storage.statuses import TRANSITIONS, Status, can_move, parse_status
from storage.text import normalize_digits, normalize_id, normalize_text

EXEMPTION_BODIES = ("welfare", "relief", "municipality")


@dataclass
class Outcome:
    """What happened, as a catalog key in the staff member's language."""

    ok: bool
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, rt: Runtime, lang: str = "fa") -> str:
        """Status codes in the params (old, new, allowed) are shown by their names."""
        params = {k: number(v, lang) if type(v) is int else v for k, v in self.params.items()}
        sep = ", " if lang == "en" else "، "
        for name in ("old", "new"):
            if name in params:
                params[name] = status_label(rt, lang, str(params[name]))
        if params.get("allowed") not in (None, "-"):
            codes = str(params["allowed"]).split(", ")
            params["allowed"] = sep.join(status_label(rt, lang, c) for c in codes)
        return rt.t(lang, self.key, **params)


def national_lang(rt: Runtime, national: National) -> str:
    return rt.catalog.normalise_lang(national.language or rt.settings.default_language)


def status_label(rt: Runtime, lang: str, status: str) -> str:
    return rt.t(lang, f"status.labels.{status}")


async def _case(
    session: AsyncSession, card_number: str
) -> tuple[National | None, Application | None, Outcome | None]:
    card = normalize_id(card_number)
    national = await casework.national_by_card(session, card)
    if national is None:
        return None, None, Outcome(False, "staff.no_card", {"card": card})
    app = await casework.current_application(session, national.id, lock=True)
    if app is None:
        return national, None, Outcome(False, "staff.no_application", {"card": card})
    return national, app, None


def check_move(current: str, new: str) -> Outcome | None:
    """None when the vocabulary allows current -> new; else the refusal with its reason."""
    if can_move(current, new):
        return None
    allowed = ", ".join(sorted(TRANSITIONS[Status(current)])) or "-"
    return Outcome(False, "staff.bad_move", {"old": current, "new": new, "allowed": allowed})


async def check_order(
    rt: Runtime, session: AsyncSession, app: Application, at: datetime
) -> Outcome | None:
    """None when `at` is not before the case's last event; else the refusal with its date."""
    last = await cases_store.last_event_at(session, app)
    if last is None or at >= last:
        return None
    when = format_datetime(last, rt.settings.tz, "en")
    return Outcome(False, "cases.backdated", {"at": format_datetime(at, rt.settings.tz, "en"),
                                              "last": when})  # fmt: skip


async def notify_status(
    rt: Runtime, session: AsyncSession, national: National, event: StatusEvent
) -> None:
    """Tell the national once (the key names this very event) in their language."""
    lang = national_lang(rt, national)
    label, note, app_id = status_label(rt, lang, event.status), event.note, event.application_id
    note_line = rt.t(lang, "staff.notice.note", note=note) if note else ""
    await notify(
        session, national.id, key=f"status:{app_id}:{event.id}", kind="notice", lang=lang,
        text=rt.t(lang, "staff.notice.status", status=label, note=note_line).strip(),
        sms_text=rt.t(lang, "staff.notice.status_sms", status=label),
    )  # fmt: skip


async def move(
    rt: Runtime,
    session: AsyncSession,
    actor: str,
    national: National,
    app: Application,
    new: str,
    note: str = "",
    at: datetime | None = None,
    *,
    tell: bool = True,
) -> Outcome:
    """Validated move of an already-found case: event, audit before/after, one notice.

    A move dated before the case's last event is refused: the history stays in order (a
    backdated row would show the national an old status as the current one)."""
    refusal = check_move(app.status, new)
    if refusal:
        return refusal
    before = {"status": app.status}
    at = at or rt.clock()
    if refusal := await check_order(rt, session, app, at):
        return refusal
    event = await casework.add_status_event(session, app, new, note=note, actor=actor, at=at)
    after = {"status": new, "note": note, "at": event.at.isoformat()}
    await admin.audit(session, actor, "status.change", f"application:{app.id}", before, after)
    if tell:
        await notify_status(rt, session, national, event)
    return Outcome(True, "staff.status_changed", {"card": national.card_number, "new": new})


async def change_status(
    rt: Runtime,
    session: AsyncSession,
    actor: str,
    card_number: str,
    new_status: str,
    note: str = "",
    at: datetime | None = None,
) -> Outcome:
    """`/status CARD NEW [note]`: refuses a move the status vocabulary does not allow."""
    await require(session, actor, "statuses")
    try:
        new = parse_status(normalize_text(new_status)).value
    except ValueError:
        return Outcome(False, "staff.bad_status", {"status": new_status})
    national, app, missing = await _case(session, card_number)
    if missing:
        return missing
    assert national and app
    return await move(rt, session, actor, national, app, new, normalize_text(note), at)


async def exempt(
    rt: Runtime, session: AsyncSession, actor: str, card_number: str, body: str, certificate: str
) -> Outcome:
    """Record a fee exemption (referring body and certificate) and move the case to exempted."""
    await require(session, actor, "statuses")
    # The certificate is the referring body's number as printed (dashes, slashes, letters
    # kept); only its digits are made ASCII so it can be searched.
    body, certificate = (
        normalize_text(body).casefold(),
        normalize_digits(normalize_text(certificate)),
    )
    if body not in EXEMPTION_BODIES or not certificate:
        return Outcome(False, "staff.bad_exemption", {"bodies": ", ".join(EXEMPTION_BODIES)})
    national, app, missing = await _case(session, card_number)
    if missing:
        return missing
    assert national and app
    path = [Status.EXEMPTED.value]
    if not can_move(app.status, Status.EXEMPTED):
        path.insert(0, Status.EXEMPTION_REVIEW.value)
    refusal = check_move(app.status, path[0])
    if refusal:
        return refusal
    before = {"exemption_body": app.exemption_body, "certificate": app.exemption_certificate}
    casework.set_exemption(app, body, certificate)
    await admin.audit(session, actor, "exemption.mark", f"application:{app.id}", before,
                      {"exemption_body": body, "certificate": certificate})  # fmt: skip
    note = rt.t(national_lang(rt, national), f"staff.body.{body}")
    for i, status in enumerate(path):  # one notice: the last step's
        await move(rt, session, actor, national, app, status, note, tell=i == len(path) - 1)
    return Outcome(True, "staff.exempted", {"card": national.card_number, "body": body})


async def identity_check(
    rt: Runtime, session: AsyncSession, actor: str, card_number: str
) -> Outcome:
    """Mark the national's identity verified; they are told once."""
    await require(session, actor, "statuses")
    national, app, missing = await _case(session, card_number)
    if missing:
        return missing
    assert national and app
    if app.identity_checked:
        return Outcome(True, "staff.identity_already", {"card": national.card_number})
    casework.set_identity_checked(app)
    await admin.audit(session, actor, "identity.check", f"application:{app.id}",
                      {"identity_checked": False}, {"identity_checked": True})  # fmt: skip
    lang = national_lang(rt, national)
    await notify(
        session, national.id, key=f"identity:{app.id}", kind="notice", lang=lang,
        text=rt.t(lang, "staff.notice.identity"), sms_text=rt.t(lang, "staff.notice.identity"),
    )  # fmt: skip
    return Outcome(True, "staff.identity_checked", {"card": national.card_number})
