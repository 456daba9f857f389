"""Sending a one-time-code outbox row through Kavenegar's verify/lookup (template) method."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from handlers.runtime import SmsGateway
from sms.kavenegar import KavenegarTransportError


class VerifyRow(Protocol):
    """An outbox row or a claimed job: the address and a payload with template and token."""

    @property
    def address(self) -> str: ...

    @property
    def payload(self) -> Mapping[str, Any] | None: ...


def is_verify_row(row: VerifyRow) -> bool:
    """True for rows to send with verify/lookup instead of sms/send."""
    return bool(row.payload and row.payload.get("template") and row.payload.get("token"))


async def send_verify_row(api: SmsGateway, row: VerifyRow) -> str:
    """Send one code row with its template; returns Kavenegar's message id (the provider ref).

    Raises KavenegarError (with .retryable) as the other senders do; ValueError for a row
    whose token Kavenegar would refuse (431), which no retry can fix.
    """
    payload = dict(row.payload or {})
    if not is_verify_row(row):
        raise ValueError("not a verify/lookup row: payload needs template and token")
    extra = {k: str(payload[k]) for k in ("token2", "token3") if payload.get(k)}
    entries = await api.verify_lookup(
        row.address, str(payload["template"]), str(payload["token"]), **extra
    )
    if not entries or "messageid" not in entries[0]:
        raise KavenegarTransportError("verify/lookup answered without a message id")
    return str(entries[0]["messageid"])
