"""Staff accounts, channel-free: an admin adds one, changes its role, resets its password or
second factor, deactivates it; anyone changes their own password. Every change is audited and
ends the account's sessions where it changes how they sign in; the last active admin can be
neither demoted nor deactivated (nobody could manage accounts any more but at the server).

Refusals are returned as a reason (a key under console.accounts.refused), as set_login and
set_password do, so the caller's unit of work still commits the audit of a refused lock-out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.staff_auth import require
from handlers.staff_signin import (
    FACTORS,
    MIN_PASSWORD,
    actor_of,
    check_password,
    hash_password,
    set_login,
)
from storage import admin
from storage import console_auth as auth
from storage import staff_accounts as store
from storage.models import Staff
from storage.text import InvalidMobile, normalize_digits, normalize_mobile, normalize_text


class AccountRefused(Exception):
    """Raised where the unit of work must roll back (a half-made account)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class NewAccount:
    telegram_id: str
    role: str
    name: str
    username: str
    password: str
    factor: str = "totp"
    mobile: str = ""


def _mobile(text: str) -> str | None:
    """The normalised mobile, None when empty; AccountRefused('bad_mobile') when malformed."""
    if not text.strip():
        return None
    try:
        return normalize_mobile(text)
    except InvalidMobile:
        raise AccountRefused("bad_mobile") from None


async def add_account(session: AsyncSession, actor: str, new: NewAccount) -> Staff:
    """Staff member, console username, second factor and first password in one unit of work
    (`amayesh staff add … --username` then `staff password`); AccountRefused with the reason."""
    await require(session, actor, "staff")
    tid = normalize_digits(new.telegram_id.strip())
    if not tid.isdigit() or not 0 < int(tid) < 2**62:
        raise AccountRefused("bad_telegram_id")
    if new.role not in admin.ROLES:
        raise AccountRefused("bad_role")
    if len(new.password) < MIN_PASSWORD:
        raise AccountRefused("short")
    mobile = _mobile(new.mobile)
    existing = await auth.staff_by_telegram(session, int(tid))
    if existing is not None and existing.active:
        raise AccountRefused("exists")  # a role change is its own, audited, step
    staff = await admin.add_staff(session, actor, int(tid), new.role, normalize_text(new.name))
    await session.flush()
    refused = await set_login(session, actor, int(tid), new.username, mobile, new.factor)
    if refused:
        raise AccountRefused(refused)
    staff.password_hash = await hash_password(new.password)
    staff.totp_secret = staff.totp_step = None  # a re-added account enrols afresh
    return staff


async def _target(session: AsyncSession, actor: str, staff_id: int) -> Staff | None:
    await require(session, actor, "staff")
    return await auth.staff_by_id(session, staff_id)


async def _last_admin(session: AsyncSession, actor: str, staff: Staff, what: str) -> bool:
    """True (and the refusal audited) when `staff` is the only active admin."""
    if staff.role != "admin" or not staff.active:
        return False
    if [i for i in await store.active_admin_ids(session) if i != staff.id]:
        return False
    await admin.audit(session, actor, "staff.last_admin_refused", f"staff:{staff.telegram_id}",
                      after={"tried": what})  # fmt: skip
    return True


async def change_role(
    session: AsyncSession, actor: str, staff_id: int, role: str, now: datetime
) -> str | None:
    staff = await _target(session, actor, staff_id)
    if staff is None:
        return "no_user"
    if role not in admin.ROLES:
        return "bad_role"
    if role == staff.role:
        return None
    if await _last_admin(session, actor, staff, "role"):
        return "last_admin"
    await admin.audit(session, actor, "staff.role", f"staff:{staff.telegram_id}",
                      {"role": staff.role}, {"role": role})  # fmt: skip
    staff.role = role
    await auth.revoke_all(session, staff.id, now)  # pages open under the old role end
    return None


async def reset_password(
    session: AsyncSession, actor: str, staff_id: int, password: str, now: datetime
) -> str | None:
    """A new password chosen by an admin (told to its owner by hand); every session ends."""
    staff = await _target(session, actor, staff_id)
    if staff is None or not staff.username:
        return "no_user"
    if len(password) < MIN_PASSWORD:
        return "short"
    staff.password_hash = await hash_password(password)
    ended = await auth.revoke_all(session, staff.id, now)
    await admin.audit(session, actor, "staff.password_reset", f"staff:{staff.telegram_id}",
                      after={"sessions_ended": ended})  # fmt: skip
    return None


async def reset_factor(
    session: AsyncSession, actor: str, staff_id: int, factor: str, mobile: str, now: datetime
) -> str | None:
    """A lost phone: the authenticator is forgotten (enrolled again at the next sign-in) or the
    codes go by SMS to a new mobile; every session ends."""
    staff = await _target(session, actor, staff_id)
    if staff is None or not staff.username:
        return "no_user"
    try:
        number = _mobile(mobile) or staff.mobile
    except AccountRefused as exc:
        return exc.reason
    if factor not in FACTORS or (factor == "sms" and not number):
        return "bad_factor"
    staff.second_factor, staff.mobile = factor, number
    staff.totp_secret = staff.totp_step = None
    await auth.revoke_all(session, staff.id, now)
    await admin.audit(session, actor, "staff.factor_reset", f"staff:{staff.telegram_id}",
                      after={"factor": factor})  # fmt: skip
    return None


async def deactivate(session: AsyncSession, actor: str, staff_id: int, now: datetime) -> str | None:
    """No more sign-ins, staff chat commands or alerts; the row stays for the audit log."""
    return await _deactivate(session, actor, await _target(session, actor, staff_id), now)


async def remove_by_telegram(
    session: AsyncSession, actor: str, telegram_id: int, now: datetime
) -> str | None:
    """`amayesh staff remove ID`: the console's «deactivate», by Telegram id. The CLI's operator
    needs no role (they hold the server), but the last active admin stays all the same: without
    one, nobody could sign in to manage staff."""
    return await _deactivate(
        session, actor, await auth.staff_by_telegram(session, telegram_id), now
    )


async def _deactivate(
    session: AsyncSession, actor: str, staff: Staff | None, now: datetime
) -> str | None:
    if staff is None or not staff.active:
        return "no_user"
    if await _last_admin(session, actor, staff, "deactivate"):
        return "last_admin"
    await admin.remove_staff(session, actor, staff.telegram_id)
    await auth.revoke_all(session, staff.id, now)
    return None


async def change_own_password(
    session: AsyncSession, staff_id: int, session_id: int, old: str, new: str, now: datetime
) -> str | None:
    """The signed-in staff member's own password: the old one first; their other sessions end,
    the one they are using stays."""
    staff = await auth.staff_by_id(session, staff_id)
    if staff is None or not staff.active:
        return "no_user"
    if not await check_password(staff, old):
        await admin.audit(session, actor_of(staff), "staff.password_own_refused",
                          f"staff:{staff.telegram_id}")  # fmt: skip
        return "wrong_old"
    if len(new) < MIN_PASSWORD:
        return "short"
    if new == old:
        return "same"
    staff.password_hash = await hash_password(new)
    ended = await store.revoke_others(session, staff.id, session_id, now)
    await admin.audit(session, actor_of(staff), "staff.password_own",
                      f"staff:{staff.telegram_id}", after={"sessions_ended": ended})  # fmt: skip
    return None
