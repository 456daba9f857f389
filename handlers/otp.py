"""One-time codes by SMS: 6 digits, valid 5 minutes, 5 tries, at most 3 per mobile per hour,
and at most 10 wrong guesses per mobile a day, whichever chats they come from.

Only a salted scrypt hash is stored. A 6-digit code has a million values, so the hash alone
would not stop an offline search; scrypt makes each guess cost. Online, 3 codes x 5 tries allowed
15 guesses an hour per mobile from any number of chats; the daily cap over all of a mobile's codes
makes it 10 a day. It only stops SMS codes: sharing one's own contact (Telegram vouches for the
number) still links, so an attacker burning the guesses does not lock the real owner out.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.runtime import Runtime
from storage import otp as store
from storage.outbox import enqueue
from storage.text import normalize_mobile, normalize_text

DIGITS = 6
TTL = timedelta(minutes=5)
MAX_TRIES = 5
PER_HOUR = 3
WINDOW = timedelta(hours=1)
GUESSES_PER_DAY, GUESS_WINDOW = 10, timedelta(days=1)
# 16 MiB and a few tens of ms per hash: run in a thread so the event loop never waits on it.
_N, _R, _P = 2**14, 8, 1


@dataclass(frozen=True)
class OtpOutcome:
    status: Literal["sent", "too_many"]
    retry_in: timedelta = timedelta(0)  # with too_many: when the next code may be asked for
    expires_at: datetime | None = None
    outbox_id: int | None = None

    @property
    def sent(self) -> bool:
        return self.status == "sent"


@dataclass(frozen=True)
class VerifyOutcome:
    status: Literal["ok", "wrong", "expired", "locked"]
    tries_left: int = 0  # with wrong
    national_id: int | None = None  # with ok: whom the code was sent for

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def _scrypt(code: str, salt: bytes) -> bytes:
    return hashlib.scrypt(code.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)


async def hash_code(code: str) -> str:
    """'scrypt$<salt hex>$<hash hex>' with a fresh 16-byte salt."""
    salt = secrets.token_bytes(16)
    digest = await asyncio.to_thread(_scrypt, code, salt)
    return f"scrypt${salt.hex()}${digest.hex()}"


async def check_code(code: str, stored: str) -> bool:
    """Constant-time comparison of a typed code with a stored hash."""
    scheme, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    candidate = await asyncio.to_thread(_scrypt, code, bytes.fromhex(salt))
    return hmac.compare_digest(candidate, bytes.fromhex(digest))


async def request_code(
    rt: Runtime, session: AsyncSession, mobile: str, national_id: int | None
) -> OtpOutcome:
    """Make a code and queue it (verify/lookup template, urgent); InvalidMobile for bad input."""
    mobile = normalize_mobile(mobile)
    now = rt.clock()
    recent = await store.created_since(session, mobile, now - WINDOW)
    if len(recent) >= PER_HOUR:
        wait = max(recent[-PER_HOUR] + WINDOW - now, timedelta(seconds=1))
        return OtpOutcome("too_many", retry_in=wait)
    guessed = await store.wrong_guesses_since(session, mobile, now - GUESS_WINDOW)
    if len(guessed) >= GUESSES_PER_DAY:  # no new code to guess at until the oldest ages out
        wait = max(guessed[-GUESSES_PER_DAY] + GUESS_WINDOW - now, timedelta(seconds=1))
        return OtpOutcome("too_many", retry_in=wait)
    code, expires = new_code(), now + TTL
    row = await store.add_code(
        session, mobile=mobile, national_id=national_id, code_hash=await hash_code(code),
        created_at=now, expires_at=expires,
    )  # fmt: skip
    lang = await store.national_language(session, national_id) or rt.settings.default_language
    lang = rt.catalog.normalise_lang(lang)
    outbox_id = await enqueue(
        session, key=f"otp:{row.id}", kind="otp", channel="sms", address=mobile,
        text=rt.t(lang, "otp.sms", code=code), lang=lang, national_id=national_id, urgent=True,
        payload={"template": rt.settings.kavenegar_otp_template, "token": code},
        deadline_at=expires,  # a code that arrives after it expired is only confusing
    )  # fmt: skip
    return OtpOutcome("sent", expires_at=expires, outbox_id=outbox_id)


async def verify_code(rt: Runtime, session: AsyncSession, mobile: str, code: str) -> VerifyOutcome:
    """Check a typed code against the mobile's newest one; each wrong 6-digit try counts."""
    mobile = normalize_mobile(mobile)
    typed = "".join(normalize_text(code).split())
    now = rt.clock()
    row = await store.newest_code(session, mobile)
    if row is None or row.used_at is not None:
        return VerifyOutcome("expired")
    if row.attempts >= MAX_TRIES:
        return VerifyOutcome("locked")
    guessed = await store.wrong_guesses_since(session, mobile, now - GUESS_WINDOW)
    if len(guessed) >= GUESSES_PER_DAY:
        return VerifyOutcome("locked")
    if row.expires_at <= now:
        return VerifyOutcome("expired")
    if not (len(typed) == DIGITS and typed.isascii() and typed.isdigit()):
        # A typo such as a letter is not a guess: it does not use up a try.
        return VerifyOutcome("wrong", tries_left=MAX_TRIES - row.attempts)
    if await check_code(typed, row.code_hash):
        store.mark_used(row, now)
        return VerifyOutcome("ok", national_id=row.national_id)
    left = min(MAX_TRIES - store.count_attempt(row), GUESSES_PER_DAY - len(guessed) - 1)
    return VerifyOutcome("locked") if left <= 0 else VerifyOutcome("wrong", tries_left=left)
