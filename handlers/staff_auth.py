"""Who on staff may do what: one table of rights per role, checked before every staff action."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from storage import admin, console_auth

RIGHTS = (
    "broadcasts", "receipts", "statuses", "appointments", "complaints", "outages", "report",
    "outbox",  # failed messages: list and retry (admins only)
    "audit",  # the console's audit log and its export (admins only)
    "campaigns",  # create campaigns in the console (admins only; the CLI acts as admin)
)  # fmt: skip
# Exemptions and identity checks are casework, so they ride on "statuses"; every staff role
# may read the daily report (it holds only counts, no one's personal data).
ROLE_RIGHTS: dict[str, frozenset[str]] = {
    "admin": frozenset(RIGHTS),
    "reviewer": frozenset({"receipts", "statuses", "appointments", "complaints", "report"}),
    "broadcaster": frozenset({"broadcasts", "report"}),
}
# The operator at the server's terminal already holds the database; the CLI acts as admin.
CLI_PREFIX = "cli:"
TG_PREFIX = "tg:"
WEB_PREFIX = "web:"  # a staff member signed in to the web console, by username


class Forbidden(Exception):
    """The actor is not staff, or their role lacks the right; the refusal is audited."""

    def __init__(self, actor: str, right: str, role: str | None) -> None:
        super().__init__(f"{actor} ({role or 'not staff'}) may not use {right}")
        self.actor, self.right, self.role = actor, right, role


def actor_for(telegram_id: int) -> str:
    """The audit name of a Telegram user: 'tg:123456'."""
    return f"{TG_PREFIX}{telegram_id}"


def _telegram_id(actor: str | int) -> int | None:
    if isinstance(actor, int):
        return actor
    if actor.startswith(TG_PREFIX) and actor[len(TG_PREFIX) :].lstrip("-").isdigit():
        return int(actor[len(TG_PREFIX) :])
    return None


async def role_of(session: AsyncSession, actor: str | int) -> str | None:
    """'admin', 'reviewer', 'broadcaster' or None for someone who is not (active) staff."""
    if isinstance(actor, str) and actor.startswith(CLI_PREFIX):
        return "admin"
    if isinstance(actor, str) and actor.startswith(WEB_PREFIX):
        return await console_auth.role_by_username(session, actor[len(WEB_PREFIX) :])
    tid = _telegram_id(actor)
    return None if tid is None else await admin.staff_role(session, tid)


def allowed(role: str | None, right: str) -> bool:
    return role is not None and right in ROLE_RIGHTS.get(role, frozenset())


async def require(session: AsyncSession, actor: str | int, right: str) -> str:
    """The actor's role, or Forbidden after writing a 'denied' audit row.

    The audit row lives in `session`: catch Forbidden inside the unit of work (or use
    `authorize`, which commits the refusal on its own) or the record rolls back with it.
    """
    if right not in RIGHTS:
        raise ValueError(f"unknown right {right!r}")
    name = actor_for(actor) if isinstance(actor, int) else actor
    role = await role_of(session, actor)
    if role is None or not allowed(role, right):
        await admin.audit(session, name, "denied", right, after={"role": role})
        raise Forbidden(name, right, role)
    return role


async def authorize(rt: Runtime, actor: str | int, right: str) -> str:
    """`require` in its own unit of work, so a refusal stays recorded when Forbidden propagates."""
    async with rt.db.session() as s:
        try:
            return await require(s, actor, right)
        except Forbidden as exc:
            denied = exc
    raise denied
