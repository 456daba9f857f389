"""An in-process fake of Kavenegar's REST API, speaking its wire format, for tests.

Start it, point `AsyncKavenegarAPI(base_url=fake.url)` at it, then inspect `.calls` and `.sent`.
Behaviour follows docs/text.md: form fields in, ``{"return": {...}, "entries": ...}`` out,
HTTP status equal to return.status, a repeated localid is not sent again, credit is charged per
SMS part.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from handlers.sms_parts import count_segments
from sms.kavenegar import STATUS_TEXT

_MOBILE = re.compile(r"^(?:0|\+98|0098|98)?9\d{9}$")
_TOKEN_FIELDS = ("token", "token2", "token3", "token10", "token20")

# Kavenegar's own (Persian) texts for the delivery codes.
STATUSTEXT: dict[int, str] = {
    1: "در صف ارسال",
    2: "زمان بندی شده",
    4: "ارسال شده به مخابرات",
    5: "ارسال شده به مخابرات",
    6: "خطا در ارسال پیام",
    10: "رسیده به گیرنده",
    11: "نرسیده به گیرنده",
    13: "لغو شده",
    14: "بلاک شده توسط گیرنده",
    100: "شناسه پیامک نامعتبر است",
}


@dataclass
class Call:
    method: str  # "sms/send"
    params: dict[str, Any]  # parsed: lists for comma-separated and JSON-array fields
    form: dict[str, str]  # the raw fields as received
    key: str
    http_method: str
    status: int = 0  # what the fake answered


@dataclass
class SentMessage:
    messageid: int
    receptor: str
    sender: str
    message: str
    localid: str | None
    cost: int
    method: str
    date: int
    entry: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass
class InboxMessage:
    messageid: int
    sender: str
    receptor: str  # the line number
    message: str
    date: int
    read: bool = False


class _Fail(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",")] if value.strip() else []


def _json_list(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value  # left as a str; the handler answers 400


class FakeKavenegar:
    def __init__(
        self,
        *,
        valid_key: str = "test-api-key",
        credit: int = 10_000_000,
        cost_per_part: int = 120,
        default_sender: str = "10004346",
        rate_limit_per_s: float | None = None,
        delay: float = 0.0,
        templates: dict[str, str] | None = None,
    ) -> None:
        self.valid_key = valid_key
        self.credit = credit
        self.cost_per_part = cost_per_part
        self.default_sender = default_sender
        self.rate_limit_per_s = rate_limit_per_s
        self.delay = delay
        self.templates = templates if templates is not None else {"verify": "کد تأیید: %token"}
        self.calls: list[Call] = []
        self.sent: list[SentMessage] = []
        self.delivery: dict[str, int] = {}  # receptor → delivery code; absent → default_delivery
        self.default_delivery = 10
        self.inbox: list[InboxMessage] = []
        self._failures: deque[tuple[int, str | None]] = deque()
        self._by_id: dict[int, SentMessage] = {}
        self._by_localid: dict[str, SentMessage] = {}
        self._next_id = 700_000_001
        self._recent: deque[float] = deque()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "sms/send": self._send,
            "sms/sendarray": self._sendarray,
            "sms/status": self._status,
            "sms/statuslocalmessageid": self._status_localid,
            "sms/receive": self._receive,
            "verify/lookup": self._lookup,
            "account/info": self._account_info,
        }

    # --- lifecycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("FakeKavenegar not started")
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> FakeKavenegar:
        app = web.Application()
        app.router.add_route("*", "/v1/{key}/{scope}/{name:[a-z]+}.json", self._handle)
        # access_log=None: the access log line holds the path, i.e. the API key.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeKavenegar:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- programming the fake -----------------------------------------------------------------
    def fail_next(self, status: int, times: int = 1, *, body: str | None = None) -> None:
        """The next `times` calls answer `status` (as Kavenegar JSON, or `body` verbatim)."""
        self._failures.extend([(status, body)] * times)

    def add_inbound(self, sender: str, message: str, linenumber: str | None = None) -> InboxMessage:
        msg = InboxMessage(
            self._new_id(), sender, linenumber or self.default_sender, message, int(time.time())
        )
        self.inbox.append(msg)
        return msg

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # --- HTTP ---------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        form = {k: str(v) for k, v in request.query.items()}
        if request.method == "POST":
            form |= {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        method = f"{request.match_info['scope']}/{request.match_info['name']}"
        call = Call(
            method, self._parse(method, form), form, request.match_info["key"], request.method
        )
        self.calls.append(call)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self._failures:
            status, body = self._failures.popleft()
            call.status = status
            if body is not None:
                return web.Response(status=status, text=body, content_type="text/html")
            return self._answer(status, None)
        try:
            if request.method not in ("GET", "POST"):
                raise _Fail(405)
            if call.key != self.valid_key:
                raise _Fail(403)
            self._check_rate()
            handler = self._handlers.get(method)
            if handler is None:
                raise _Fail(404)
            entries = handler(call.params)
        except _Fail as f:
            call.status = f.status
            return self._answer(f.status, None)
        call.status = 200
        return self._answer(200, entries)

    @staticmethod
    def _answer(status: int, entries: Any) -> web.Response:
        ret = {
            "status": status,
            "message": "تایید شد" if status == 200 else STATUS_TEXT.get(status, "error"),
        }
        return web.json_response({"return": ret, "entries": entries}, status=status)

    @staticmethod
    def _parse(method: str, form: dict[str, str]) -> dict[str, Any]:
        params: dict[str, Any] = dict(form)
        if method == "sms/send":
            params["receptor"] = _split(form.get("receptor"))
            params["localid"] = _split(form.get("localid"))
        elif method == "sms/sendarray":
            for name in ("receptor", "sender", "message", "localmessageids"):
                params[name] = _json_list(form.get(name))
        elif method == "sms/status":
            params["messageid"] = _split(form.get("messageid"))
        elif method == "sms/statuslocalmessageid":
            params["localid"] = _split(form.get("localid"))
        return params

    def _check_rate(self) -> None:
        if self.rate_limit_per_s is None:
            return
        now = time.monotonic()
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rate_limit_per_s:
            raise _Fail(451)
        self._recent.append(now)

    # --- methods ------------------------------------------------------------------------------
    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _deliver(
        self, receptor: str, sender: str, message: str, localid: str | None, method: str
    ) -> dict[str, Any]:
        if localid and localid in self._by_localid:  # Kavenegar: not sent again
            return dict(self._by_localid[localid].entry)
        cost = count_segments(message).parts * self.cost_per_part
        self.credit -= cost
        msg = SentMessage(
            self._new_id(), receptor, sender, message, localid, cost, method, int(time.time())
        )
        msg.entry = {
            "messageid": msg.messageid,
            "message": message,
            "status": 1,
            "statustext": STATUSTEXT[1],
            "sender": sender,
            "receptor": receptor,
            "date": msg.date,
            "cost": cost,
        }
        self.sent.append(msg)
        self._by_id[msg.messageid] = msg
        if localid:
            self._by_localid[localid] = msg
        return dict(msg.entry)

    def _charge(self, messages: list[tuple[str, str | None]]) -> None:
        """418 for the whole call when the new (non-duplicate) messages cost more than is left."""
        new = [m for m, lid in messages if not (lid and lid in self._by_localid)]
        if sum(count_segments(m).parts for m in new) * self.cost_per_part > self.credit:
            raise _Fail(418)

    def _check_common(self, receptors: list[str], senders: list[str], messages: list[str]) -> None:
        if len(receptors) > 200:
            raise _Fail(414)
        if not all(_MOBILE.match(r) for r in receptors):
            raise _Fail(411)
        if not all(s.isascii() and s.isdigit() for s in senders):
            raise _Fail(412)
        if any(len(m) > 900 for m in messages):
            raise _Fail(413)

    def _send(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        receptors, message = p.get("receptor"), p.get("message")
        if receptors is None or message is None:
            raise _Fail(400)
        if not receptors or not message:
            raise _Fail(406)
        sender = p.get("sender") or self.default_sender
        localids: list[str | None] = p.get("localid") or [None] * len(receptors)
        if len(localids) != len(receptors):
            raise _Fail(400)
        self._check_common(receptors, [sender], [message])
        self._charge([(message, lid) for lid in localids])
        return [
            self._deliver(r, sender, message, lid, "sms/send")
            for r, lid in zip(receptors, localids, strict=True)
        ]

    def _sendarray(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        receptors, senders, messages = p.get("receptor"), p.get("sender"), p.get("message")
        arrays = [receptors, senders, messages]
        if not all(isinstance(a, list) for a in arrays):
            raise _Fail(400)
        localids = p.get("localmessageids")
        if localids is not None:
            if not isinstance(localids, list):
                raise _Fail(400)
            arrays.append(localids)
        if len({len(a) for a in arrays}) != 1:
            raise _Fail(419)
        if not receptors:
            raise _Fail(406)
        lids = [str(x) for x in localids] if localids is not None else [None] * len(receptors)
        self._check_common([str(r) for r in receptors], [str(s) for s in senders], messages)
        self._charge(list(zip(messages, lids, strict=True)))
        rows = zip(receptors, senders, messages, lids, strict=True)
        return [self._deliver(str(r), str(s), m, lid, "sms/sendarray") for r, s, m, lid in rows]

    def _lookup(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        if any(p.get(k) is None for k in ("receptor", "template", "token")):
            raise _Fail(400)
        if not p["receptor"] or not p["template"] or not p["token"]:
            raise _Fail(406)
        if not _MOBILE.match(p["receptor"]):
            raise _Fail(411)
        text = self.templates.get(p["template"])
        if text is None:
            raise _Fail(424)
        for name in _TOKEN_FIELDS:
            token = p.get(name)
            if token is None:
                continue
            strict = name in ("token", "token2", "token3")  # token10/20 may hold spaces
            if len(token) > 100 or (strict and ("_" in token or any(c.isspace() for c in token))):
                raise _Fail(431)
            placeholder = re.compile(f"%{name}(?!\\d)")
            if not placeholder.search(text):
                raise _Fail(432)
            text = placeholder.sub(lambda _m, t=token: t, text)
        self._charge([(text, None)])
        return [self._deliver(p["receptor"], self.default_sender, text, None, "verify/lookup")]

    def _status_entry(self, messageid: str) -> dict[str, Any]:
        msg = self._by_id.get(int(messageid)) if messageid.isdigit() else None
        code = 100 if msg is None else self.delivery.get(msg.receptor, self.default_delivery)
        return {"messageid": int(messageid) if messageid.isdigit() else messageid, "status": code,
                "statustext": STATUSTEXT.get(code, "")}  # fmt: skip

    def _status(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        ids = p.get("messageid")
        if not ids:
            raise _Fail(400)
        if len(ids) > 500:
            raise _Fail(414)
        return [self._status_entry(i) for i in ids]

    def _status_localid(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        lids = p.get("localid")
        if not lids:
            raise _Fail(400)
        out = []
        for lid in lids:
            msg = self._by_localid.get(lid)
            entry = self._status_entry(str(msg.messageid) if msg else "0")
            out.append({**entry, "localid": lid})
        return out

    def _receive(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        line, isread = p.get("linenumber"), p.get("isread")
        if line is None or isread not in ("0", "1"):
            raise _Fail(400)
        want_read = isread == "1"
        batch = [m for m in self.inbox if m.receptor == line and m.read == want_read][:100]
        for m in batch:
            m.read = True  # fetching unread messages marks them read
        return [
            {
                "messageid": m.messageid,
                "message": m.message,
                "sender": m.sender,
                "receptor": m.receptor,
                "date": m.date,
            }
            for m in batch
        ]

    def _account_info(self, p: dict[str, Any]) -> dict[str, Any]:
        expires = int(time.time()) + 365 * 86400
        return {"remaincredit": self.credit, "expiredate": expires, "type": "Master"}
