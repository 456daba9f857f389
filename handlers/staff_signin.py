"""Signing staff in to the web console, channel-free: password, second factor, lockout, audit.

Passwords are argon2 (argon2-cffi); the second factor is a TOTP app (pyotp; enrolled on the
first sign-in) or a 6-digit code by SMS through the outbox, hashed like the nationals' codes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.otp import check_code, hash_code, new_code
from handlers.runtime import Runtime
from handlers.staff_auth import WEB_PREFIX
from storage import admin
from storage import console_auth as store
from storage.models import Staff, StaffSession
from storage.outbox import enqueue
from storage.text import normalize_text

IDLE, TOUCH_EVERY = timedelta(minutes=30), timedelta(minutes=1)
WINDOW = timedelta(minutes=15)
PER_ACCOUNT, PER_ADDRESS = 5, 20  # failures in WINDOW before sign-in is refused
CODE_TTL, RESEND_AFTER = timedelta(minutes=5), timedelta(seconds=60)
MIN_PASSWORD = 10
FACTORS = ("totp", "sms")
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY = _hasher.hash("not a password of anyone")


def actor_of(staff: Staff) -> str:
    return f"{WEB_PREFIX}{staff.username}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def _password_ok(stored: str | None, password: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher.verify, stored or _DUMMY, password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


async def check_password(staff: Staff, password: str) -> bool:
    """The staff member's own password, as the sign-in checks it (for changing it themselves)."""
    return await _password_ok(staff.password_hash, password)


@dataclass
class Step:
    """The outcome of one sign-in step: `error` is a catalog key under console.signin."""

    error: str | None = None
    token: str | None = None  # a new cookie value when a session starts or is promoted
    stage: str | None = None


async def locked(session: AsyncSession, now: datetime, username: str, address: str) -> bool:
    since = now - WINDOW
    return (
        await store.failures_since(session, since, username=username) >= PER_ACCOUNT
        or await store.failures_since(session, since, address=address) >= PER_ADDRESS
    )


async def _fail(
    session: AsyncSession, now: datetime, username: str, address: str, why: str
) -> None:
    store.add_failure(session, username, address, now)
    await admin.audit(session, f"{WEB_PREFIX}{username[:40]}", "console.signin_failed",
                      f"staff:{username[:40]}", after={"why": why, "address": address})  # fmt: skip


async def sign_in(
    rt: Runtime, session: AsyncSession, username: str, password: str, address: str
) -> Step:
    """Check the password; a session in its second-factor stage starts (the code goes out)."""
    now, username = rt.clock(), normalize_text(username).casefold()
    if not username or not password:
        return Step("empty")
    if await locked(session, now, username, address):
        await admin.audit(session, f"{WEB_PREFIX}{username[:40]}", "console.signin_locked",
                          f"staff:{username[:40]}", after={"address": address})  # fmt: skip
        return Step("locked")
    staff = await store.staff_by_username(session, username)
    good = await _password_ok(staff.password_hash if staff else None, password)
    if staff is None or not good or not staff.active:
        await _fail(session, now, username, address, "password")
        return Step("wrong")
    stage = "enrol" if staff.second_factor == "totp" and not staff.totp_secret else "factor"
    token = secrets.token_urlsafe(32)
    row = await store.open_session(session, staff, token_hash(token), secrets.token_urlsafe(24),
                                   stage, address, now)  # fmt: skip
    if stage == "enrol":
        row.pending_secret = pyotp.random_base32()
    elif staff.second_factor == "sms":
        await send_code(rt, session, row, staff)
    await admin.audit(session, actor_of(staff), "console.password_ok", f"session:{row.id}",
                      after={"address": address, "stage": stage})  # fmt: skip
    return Step(token=token, stage=stage)


async def send_code(rt: Runtime, session: AsyncSession, row: StaffSession, staff: Staff) -> bool:
    """Queue a fresh SMS code (at most one a minute); False when it is too soon or no mobile."""
    now = rt.clock()
    if not staff.mobile or (row.code_sent_at and now - row.code_sent_at < RESEND_AFTER):
        return False
    code = new_code()
    row.code_hash, row.code_sent_at = await hash_code(code), now
    lang = rt.settings.default_language
    await enqueue(
        session, key=f"staff-otp:{row.id}:{int(now.timestamp())}", kind="otp", channel="sms",
        address=staff.mobile, text=rt.t(lang, "console.signin.sms", code=code), lang=lang,
        urgent=True, deadline_at=now + CODE_TTL,
        payload={"template": rt.settings.kavenegar_otp_template, "token": code},
    )  # fmt: skip
    return True


def enrol_uri(staff: Staff, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=staff.username or "", issuer_name="Amayesh")


def _totp_step(secret: str | None, code: str, now: datetime) -> int | None:
    """The time step whose code this is (now, or one step either side for clock drift)."""
    if not secret:
        return None
    totp = pyotp.TOTP(secret)
    for drift in (0, -1, 1):
        if hmac.compare_digest(totp.at(now, counter_offset=drift), code):
            return totp.timecode(now) + drift
    return None


async def _code_ok(rt: Runtime, row: StaffSession, staff: Staff, code: str) -> bool:
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return False
    secret = row.pending_secret if row.stage == "enrol" else staff.totp_secret
    if row.stage == "enrol" or staff.second_factor == "totp":
        step = _totp_step(secret, code, rt.clock())
        if step is None or (staff.totp_step is not None and step <= staff.totp_step):
            return False  # wrong, or a code already used once (read over a shoulder, replayed)
        staff.totp_step = step
        return True
    fresh = row.code_sent_at is not None and rt.clock() - row.code_sent_at <= CODE_TTL
    return fresh and bool(row.code_hash) and await check_code(code, row.code_hash or "")


async def second_factor(
    rt: Runtime, session: AsyncSession, row: StaffSession, staff: Staff, code: str, address: str
) -> Step:
    """The code from the app or the SMS: the session is promoted under a new token."""
    now, username = rt.clock(), staff.username or ""
    if await locked(session, now, username, address):
        return Step("locked")
    if not await _code_ok(rt, row, staff, "".join(normalize_text(code).split())):
        await _fail(session, now, username, address, "code")
        return Step("bad_code")
    if row.stage == "enrol":
        staff.totp_secret, row.pending_secret = row.pending_secret, None
        await admin.audit(session, actor_of(staff), "console.totp_enrolled", f"staff:{staff.id}")
    token = secrets.token_urlsafe(32)  # a new token once signed in: no fixation of the old one
    row.token_hash, row.stage, row.code_hash, row.last_seen_at = token_hash(token), "ok", None, now
    await admin.audit(session, actor_of(staff), "console.signin", f"session:{row.id}",
                      after={"address": address, "factor": staff.second_factor})  # fmt: skip
    return Step(token=token, stage="ok")


async def current(
    rt: Runtime, session: AsyncSession, token: str | None
) -> tuple[StaffSession, Staff] | None:
    """The live session of this cookie (touching its idle clock), or None."""
    if not token:
        return None
    now = rt.clock()
    found = await store.live_session(session, token_hash(token), now - IDLE)
    if found is not None and now - found[0].last_seen_at > TOUCH_EVERY:
        found[0].last_seen_at = now  # the idle clock to a minute: not a write per page
    return found


async def sign_out(rt: Runtime, session: AsyncSession, row: StaffSession, staff: Staff) -> None:
    await store.revoke(session, row.id, rt.clock())
    await admin.audit(session, actor_of(staff), "console.signout", f"session:{row.id}")


async def end_sessions(rt: Runtime, session: AsyncSession, actor: str, username: str) -> int | None:
    """Sign a staff member out everywhere (a lost phone, a shared screen); None: no such user."""
    staff = await store.staff_by_username(session, normalize_text(username).casefold())
    if staff is None:
        return None
    ended = await store.revoke_all(session, staff.id, rt.clock())
    await admin.audit(session, actor, "staff.signout_all", f"staff:{staff.telegram_id}",
                      after={"sessions": ended})  # fmt: skip
    return ended


async def set_password(
    rt: Runtime, session: AsyncSession, actor: str, username: str, password: str
) -> str | None:
    """A new password (every open session ends); the refusal reason, or None when set."""
    staff = await store.staff_by_username(session, normalize_text(username).casefold())
    if staff is None:
        return "no_user"
    if len(password) < MIN_PASSWORD:
        return "short"
    staff.password_hash = await hash_password(password)
    await store.revoke_all(session, staff.id, rt.clock())
    await admin.audit(session, actor, "staff.password", f"staff:{staff.telegram_id}")
    return None


async def set_login(
    session: AsyncSession, actor: str, telegram_id: int, username: str, mobile: str | None,
    factor: str,
) -> str | None:  # fmt: skip
    """Give a staff member a console username (and mobile, second factor); the refusal or None."""
    username = normalize_text(username).casefold()
    if not username or len(username) > 64 or " " in username:
        return "bad_username"
    if factor not in FACTORS or (factor == "sms" and not mobile):
        return "bad_factor"
    if await store.username_taken(session, username, telegram_id):
        return "taken"
    staff = await store.staff_by_telegram(session, telegram_id)
    assert staff is not None
    staff.username, staff.second_factor = username, factor
    staff.mobile = mobile or staff.mobile
    await admin.audit(session, actor, "staff.login", f"staff:{telegram_id}",
                      after={"username": username, "factor": factor})  # fmt: skip
    return None
