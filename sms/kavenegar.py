"""Async Kavenegar client on aiohttp.

The `kavenegar` package (1.1.2) is synchronous `requests` with no timeout and prints the API key in
its repr. This keeps the names of the methods we call and its exception classes so code written
against it still reads the same, but is async, has a timeout, classifies errors as retryable or
not, and never lets the key reach a log line, an exception or a repr. Retrying itself is the
caller's job (the outbox).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, overload

import aiohttp
import kavenegar

from sms.segments import MAX_SMS_CHARS

log = logging.getLogger(__name__)

# Every return.status Kavenegar documents (DOMAIN.md), for logs and admin screens.
# fmt: off
STATUS_TEXT: dict[int, str] = {
    200: "ok", 400: "missing or incomplete parameters", 401: "account disabled",
    403: "invalid API key", 404: "unknown method", 405: "wrong HTTP verb",
    406: "required parameter empty", 407: "IP address not allowed", 409: "server busy, retry later",
    411: "invalid receptor", 412: "invalid sender", 413: "message too long",
    414: "too many records in one call", 417: "invalid date", 418: "insufficient credit",
    419: "array lengths differ", 420: "links not allowed in the message",
    422: "invalid characters in the data", 424: "template not found",
    426: "needs the advanced service", 427: "no access to this line", 428: "call not possible",
    431: "invalid token", 432: "token missing in the template", 451: "too many calls",
    501: "trial account: only the account owner's number",
}
# Delivery codes returned by sms/status (and the status of a fresh send entry).
DELIVERY_TEXT: dict[int, str] = {
    1: "queued", 2: "scheduled", 4: "sent to operator", 5: "sent to operator", 6: "failed",
    10: "delivered", 11: "undelivered", 13: "cancelled", 14: "blocked by recipient",
    100: "unknown message id",
}
# fmt: on
MAX_RECEPTORS = 200
MAX_STATUS_IDS = 500
MAX_TOKEN_CHARS = 100

Entries = list[dict[str, Any]]
RawMethod = Callable[["AsyncKavenegarAPI", Mapping[str, Any] | None], Coroutine[Any, Any, Any]]


def is_retryable(status: int) -> bool:
    # 409 (busy) and 451 (rate limit) clear up by themselves, 5xx is server trouble; 501 is the
    # exception: a trial account stays a trial account. Every other 4xx fails the same way again.
    return status in (409, 451) or (500 <= status < 600 and status != 501)


class KavenegarError(kavenegar.APIException):
    """Kavenegar answered with return.status != 200."""

    def __init__(self, status: int, message: str = "", *, path: str = "") -> None:
        self.status = status
        self.message = message or STATUS_TEXT.get(status, "unknown error")
        self.path = path  # with the key replaced by ***
        self.retryable = is_retryable(status)
        text = STATUS_TEXT.get(status, "unknown status")
        super().__init__(f"Kavenegar {status} ({text}): {self.message} [{path}]")


class KavenegarTransportError(kavenegar.HTTPException):
    """No usable answer: timeout, connection failure, or a body that is not Kavenegar's JSON."""

    retryable = True

    def __init__(self, message: str, *, path: str = "", status: int | None = None) -> None:
        self.message = message
        self.path = path
        self.status = status  # the HTTP status when a response arrived but was not parseable
        super().__init__(f"{message} [{path}]")


def _form_value(value: Any) -> str:
    # aiohttp form fields must be str; Kavenegar takes lists comma-separated and booleans as 1/0.
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _describe(exc: BaseException) -> str:
    # Only the class name and the OS error text: str() of most aiohttp errors embeds the URL.
    reason = getattr(getattr(exc, "os_error", exc), "strerror", None)
    return f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__


def _csv_items(items: Sequence[str | int], what: str, limit: int) -> list[str]:
    values = [str(i) for i in items]
    if not values:
        raise ValueError(f"{what} must not be empty")
    if len(values) > limit:
        raise ValueError(f"at most {limit} {what} per call, got {len(values)}")
    if any("," in v for v in values):
        raise ValueError(f"{what} must not contain commas")
    return values


def _check_token(name: str, token: str) -> None:
    # Kavenegar answers 431 for these; checking here saves a call and gives a clearer error.
    if not token:
        raise ValueError(f"{name} must not be empty")
    if len(token) > MAX_TOKEN_CHARS:
        raise ValueError(f"{name} longer than {MAX_TOKEN_CHARS} characters")
    if "_" in token or any(c.isspace() for c in token):
        raise ValueError(f"{name} must not contain spaces, newlines or underscores")


def _raw(scope: str, method: str) -> RawMethod:
    # The pass-through methods differ only in their path; generating them keeps them in sync.
    async def call(self: AsyncKavenegarAPI, params: Mapping[str, Any] | None = None) -> Any:
        return await self._request(scope, method, params)

    call.__name__ = f"{scope}_{method}"
    call.__qualname__ = f"AsyncKavenegarAPI.{call.__name__}"
    call.__doc__ = f"POST {scope}/{method}.json with the given form params; returns the entries."
    return call


def _as_entries(entries: Any) -> Entries:
    if entries is None:
        return []
    return [entries] if isinstance(entries, dict) else list(entries)


class AsyncKavenegarAPI:
    def __init__(
        self,
        apikey: str,
        *,
        session: aiohttp.ClientSession,
        base_url: str = "https://api.kavenegar.com",
        timeout: float = 10.0,
    ) -> None:
        if not apikey or "/" in apikey or any(c.isspace() for c in apikey):
            raise ValueError("apikey must be a non-empty string without '/' or whitespace")
        self._apikey = apikey
        self._session = session
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.version = "v1"

    def __repr__(self) -> str:
        return (
            f"AsyncKavenegarAPI(apikey='***', base_url={self.base_url!r}, timeout={self.timeout})"
        )

    async def _request(
        self, scope: str, method: str, params: Mapping[str, Any] | None = None
    ) -> Any:
        path = f"/{self.version}/***/{scope}/{method}.json"  # the only form that is ever shown
        url = f"{self.base_url}/{self.version}/{self._apikey}/{scope}/{method}.json"
        data = {k: _form_value(v) for k, v in (params or {}).items() if v is not None}
        started = time.monotonic()
        http_status, raw = 0, b""
        failure: str | None = None
        try:
            async with self._session.post(
                url,
                data=data,
                headers={"Accept": "application/json"},
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as resp:
                http_status, raw = resp.status, await resp.read()
        except TimeoutError:  # before OSError: TimeoutError is one
            failure = f"timeout after {self.timeout}s"
        except (aiohttp.ClientError, OSError) as exc:
            failure = _describe(exc)
        if failure is not None:
            # Raised outside the except block so that not even __context__ keeps aiohttp's
            # exception: its text can carry the URL, i.e. the key (InvalidURL does).
            log.info("kavenegar %s: %s", path, failure)
            raise KavenegarTransportError(failure, path=path)
        elapsed_ms = (time.monotonic() - started) * 1000
        try:
            body = json.loads(raw.decode("utf-8"))
            status = int(body["return"]["status"])
            message = str(body["return"].get("message") or "").replace(self._apikey, "***")
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("kavenegar %s: unparseable HTTP %s answer", path, http_status)
            msg = f"unparseable response (HTTP {http_status})"
            raise KavenegarTransportError(msg, path=path, status=http_status) from None
        log.debug("kavenegar %s -> %s in %.0f ms", path, status, elapsed_ms)
        if status != 200:
            raise KavenegarError(status, message, path=path)
        return body.get("entries")

    # --- the kavenegar package's methods we call: raw params in, entries out ----------------
    sms_send = _raw("sms", "send")
    sms_sendarray = _raw("sms", "sendarray")
    sms_status = _raw("sms", "status")
    sms_receive = _raw("sms", "receive")

    async def account_info(self) -> dict[str, Any]:
        # Kavenegar returns an object here (remaincredit, expiredate, type), not a list.
        return await self._request("account", "info") or {}

    @overload
    async def verify_lookup(self, params: Mapping[str, Any], /) -> Entries: ...
    @overload
    async def verify_lookup(
        self,
        receptor: str,
        template: str,
        token: str,
        token2: str | None = None,
        token3: str | None = None,
        *,
        token10: str | None = None,
        token20: str | None = None,
    ) -> Entries: ...
    async def verify_lookup(
        self,
        receptor: str | Mapping[str, Any],
        template: str | None = None,
        token: str | None = None,
        token2: str | None = None,
        token3: str | None = None,
        *,
        token10: str | None = None,
        token20: str | None = None,
    ) -> Entries:
        """Typed call, or the kavenegar package's ``verify_lookup(params)`` form."""
        if isinstance(receptor, Mapping):
            params: dict[str, Any] = dict(receptor)
        else:
            if template is None or token is None:
                raise TypeError("verify_lookup() needs receptor, template and token")
            params = {"receptor": receptor, "template": template, "token": token}
            params |= {"token2": token2, "token3": token3, "token10": token10, "token20": token20}
        for name in ("token", "token2", "token3"):  # token10/20 may contain spaces
            if params.get(name) is not None:
                _check_token(name, str(params[name]))
        return _as_entries(await self._request("verify", "lookup", params))

    # --- typed helpers ----------------------------------------------------------------------
    async def send(
        self,
        receptors: Sequence[str],
        message: str,
        *,
        sender: str | None = None,
        localid: Sequence[str] | None = None,
    ) -> Entries:
        """One message to up to 200 receptors; localid (one per receptor) makes resending safe."""
        params: dict[str, Any] = {"receptor": _csv_items(receptors, "receptors", MAX_RECEPTORS)}
        if len(message) > MAX_SMS_CHARS:
            raise ValueError(f"message longer than {MAX_SMS_CHARS} characters")
        if localid is not None:
            if len(localid) != len(receptors):
                raise ValueError("localid needs exactly one id per receptor")
            params["localid"] = _csv_items(localid, "localids", MAX_RECEPTORS)
        params |= {"message": message, "sender": sender}
        return _as_entries(await self.sms_send(params))

    async def sendarray(
        self,
        receptors: Sequence[str],
        messages: Sequence[str],
        senders: Sequence[str] | str,
        localids: Sequence[str] | None = None,
    ) -> Entries:
        """A different message (and sender) per receptor; a plain str sender is used for all."""
        if isinstance(senders, str):
            senders = [senders] * len(receptors)
        _csv_items(receptors, "receptors", MAX_RECEPTORS)
        lengths = {len(receptors), len(messages), len(senders)}
        if localids is not None:
            lengths.add(len(localids))
        if len(lengths) != 1:  # Kavenegar would answer 419
            raise ValueError("receptors, messages, senders and localids must have equal lengths")
        if any(len(m) > MAX_SMS_CHARS for m in messages):
            raise ValueError(f"a message is longer than {MAX_SMS_CHARS} characters")

        def arr(xs: Sequence[str]) -> str:
            return json.dumps([str(x) for x in xs], ensure_ascii=False)

        params = {"receptor": arr(receptors), "sender": arr(senders), "message": arr(messages)}
        if localids is not None:
            params["localmessageids"] = arr(localids)
        return _as_entries(await self.sms_sendarray(params))

    async def status(self, messageids: Sequence[str | int]) -> Entries:
        """Delivery status of up to 500 messages (Kavenegar keeps only the last 48 hours)."""
        ids = _csv_items(messageids, "messageids", MAX_STATUS_IDS)
        return _as_entries(await self.sms_status({"messageid": ids}))

    async def receive(self, linenumber: str, isread: bool) -> Entries:
        """Inbound messages on a line (at most 100 a call); isread=False fetches the unread ones."""
        params = {"linenumber": linenumber, "isread": isread}
        return _as_entries(await self.sms_receive(params))
