"""A fake Telegram Bot API server that the real python-telegram-bot talks to over HTTP.

Usage::

    async with FakeBotAPI() as fake:
        app = Application.builder().token(fake.token).base_url(fake.base_url)...
        fake.push(fake.text_update(42, "/start"))
        reply = await fake.wait_for_message(42)
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

JSON = dict[str, Any]
Handler = Callable[[JSON], Awaitable[Any]]
# Fields whose values must stay strings even when they look like JSON ("5", "true").
TEXT_FIELDS = frozenset(
    "text caption callback_query_id file_id inline_message_id url data query description "
    "short_description name title first_name last_name phone_number secret_token emoji "
    "photo document video audio voice sticker animation thumbnail certificate".split()
)
NO_CHAT_LIMITS = frozenset({"getUpdates", "getMe", "getFile", "close", "logOut"})
# Webhook delivery only to this machine (no traffic leaves it); other URLs are just recorded.
LOCAL_WEBHOOK = ("http://127.0.0.1:", "http://localhost:")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class APIError(Exception):
    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


@dataclass
class Call:
    method: str
    params: JSON
    at: float  # time.monotonic()


@dataclass
class SentMessage:
    method: str
    chat_id: int | str
    message_id: int
    text: str | None = None
    caption: str | None = None
    reply_markup: JSON | None = None
    parse_mode: str | None = None
    edited: bool = False
    file_bytes: bytes | None = None
    file_name: str | None = None
    params: JSON = field(default_factory=dict)
    at: float = 0.0

    @property
    def content(self) -> str | None:
        return self.text if self.text is not None else self.caption


def _chat(chat_id: int | str, first_name: str | None = None) -> JSON:
    if isinstance(chat_id, str):
        return {"id": -1000000000000 - len(chat_id), "type": "channel", "username": chat_id[1:]}
    chat: JSON = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
    if chat_id > 0 and first_name:
        chat["first_name"] = first_name
    elif chat_id < 0:
        chat["title"] = f"group {chat_id}"
    return chat


def _check_photo(content: bytes) -> None:
    """Telegram's photo limits: 10 MB, width + height <= 10000, ratio <= 20 (else 400)."""
    import io

    from PIL import Image, UnidentifiedImageError

    if len(content) > 10 * 1024 * 1024:
        raise APIError(400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
    try:
        with Image.open(io.BytesIO(content)) as im:
            width, height = im.size
    except (UnidentifiedImageError, OSError):
        return  # not our business here: the tests' placeholder bytes stay accepted
    if width + height > 10_000 or max(width, height) > 20 * max(1, min(width, height)):
        raise APIError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")


class FakeBotAPI:
    def __init__(
        self, token: str = "123456:TEST-token_abc", bot_username: str = "amayesh_test_bot"
    ):
        self.token = token
        self.bot_user: JSON = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Amayesh",
            "username": bot_username,
        }
        self.calls: list[Call] = []
        self._by_method: dict[str, list[Call]] = {}
        self.sent: list[SentMessage] = []
        self.files: dict[str, tuple[bytes, str]] = {}  # file_id -> (content, file_path)
        self._paths: dict[str, bytes] = {}  # file_path -> content
        self.webhook: JSON = {"url": ""}
        self.commands: list[Any] = []
        self.rate_limit_per_s: float | None = None
        self.handlers: dict[str, Handler] = {}  # extra methods a test may add
        self._by_chat: dict[int | str, list[SentMessage]] = {}
        self._cursor: dict[int | str, int] = {}
        self._messages: dict[tuple[int | str, int], JSON] = {}
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._chat_errors: dict[int | str, tuple[int, str]] = {}
        self._floods: list[list[Any]] = []  # [chat_id | None, retry_after, times_left]
        self._fail: dict[str, list[Any]] = {}  # method -> [status, description, params, times]
        self._bucket: tuple[float, float] = (0.0, 0.0)  # (tokens, last refill)
        self._new_update, self._new_call = asyncio.Event(), asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        # Webhook delivery, as Telegram does it: an update stays until a 2xx, and is posted
        # again (after webhook_retry seconds) on any other answer or a broken connection.
        self.webhook_retry = 0.3
        self.webhook_posts: list[tuple[int, int]] = []  # (update_id, HTTP status; 0 = no answer)
        self._posting: set[int] = set()
        self._retry_at: dict[int, float] = {}
        self._deliverer: asyncio.Task[None] | None = None
        self.url = ""

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> FakeBotAPI:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def close(self) -> None:
        self._closing = True
        self._wake("_new_update")
        if self._deliverer is not None:
            await asyncio.gather(self._deliverer, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # ---- programmable errors -----------------------------------------------------------------
    def block(self, chat_id: int | str) -> None:
        self._chat_errors[chat_id] = (403, "Forbidden: bot was blocked by the user")

    def deactivate(self, chat_id: int | str) -> None:
        self._chat_errors[chat_id] = (403, "Forbidden: user is deactivated")

    def unknown_chat(self, chat_id: int | str) -> None:
        self._chat_errors[chat_id] = (400, "Bad Request: chat not found")

    def unblock(self, chat_id: int | str) -> None:
        self._chat_errors.pop(chat_id, None)

    def flood(self, chat_id: int | str | None = None, retry_after: int = 1, times: int = 1) -> None:
        self._floods.append([chat_id, retry_after, times])

    def webhook_error(self, message: str, at: float | None = None) -> None:
        """What Telegram reports after failing to deliver to the webhook (getWebhookInfo)."""
        self.webhook["last_error_date"] = int(at if at is not None else time.time())
        self.webhook["last_error_message"] = message

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        times: int = 1,
        parameters: JSON | None = None,
    ) -> None:
        self._fail[method] = [status, description, parameters, times]

    # ---- recording helpers -------------------------------------------------------------------
    def calls_of(self, method: str) -> list[Call]:
        return list(self._by_method.get(method, ()))

    def messages_to(self, chat_id: int | str) -> list[SentMessage]:
        return list(self._by_chat.get(chat_id, ()))

    def last_text(self, chat_id: int | str) -> str | None:
        msgs = self._by_chat.get(chat_id)
        return msgs[-1].content if msgs else None

    async def wait_for_calls(
        self,
        method: str,
        n: int = 1,
        timeout: float = 5,  # noqa: ASYNC109
    ) -> list[Call]:
        """Wait until at least n calls of method were received; returns all of them."""
        try:
            async with asyncio.timeout(timeout):
                while len(self._by_method.get(method, ())) < n:
                    await self._new_call.wait()
        except TimeoutError:
            seen = len(self._by_method.get(method, ()))
            raise TimeoutError(f"{seen}/{n} {method} calls after {timeout}s") from None
        return self.calls_of(method)

    async def wait_for_message(
        self,
        chat_id: int | str,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 5,  # noqa: ASYNC109
    ) -> SentMessage:
        """Next message (or edit) to chat_id after the one the previous wait returned."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    msgs = self._by_chat.get(chat_id, [])
                    for i in range(self._cursor.get(chat_id, 0), len(msgs)):
                        if predicate is None or predicate(msgs[i]):
                            self._cursor[chat_id] = i + 1
                            return msgs[i]
                    await self._new_call.wait()
        except TimeoutError:
            seen = [m.content for m in self._by_chat.get(chat_id, [])]
            raise TimeoutError(
                f"no matching message to {chat_id} within {timeout}s; sent to it: {seen}"
            ) from None

    def _wake(self, name: str) -> None:
        getattr(self, name).set()
        setattr(self, name, asyncio.Event())

    # ---- update builders ---------------------------------------------------------------------
    def register_file(self, content: bytes, file_path: str | None = None) -> str:
        fid, path = f"file-{next(self._ids)}", file_path or f"files/{len(self.files)}.bin"
        path = path if path not in self._paths else f"{fid}/{path}"
        self.files[fid], self._paths[path] = (content, path), content
        return fid

    def _user_message(
        self,
        chat_id: int,
        user_id: int | None,
        first_name: str,
        language_code: str | None,
        **content: Any,
    ) -> JSON:
        user: JSON = {"id": user_id or chat_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        msg = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "from": user,
            "chat": _chat(chat_id, first_name),
            **content,
        }
        self._messages[(chat_id, msg["message_id"])] = msg
        return {"update_id": next(self._update_ids), "message": msg}

    def text_update(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Ali",
        language_code: str | None = None,
    ) -> JSON:
        content: JSON = {"text": text}
        if text.startswith("/"):
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}
            ]
        return self._user_message(chat_id, user_id, first_name, language_code, **content)

    def photo_update(
        self,
        chat_id: int,
        file_bytes: bytes,
        caption: str | None = None,
        *,
        user_id: int | None = None,
        first_name: str = "Ali",
    ) -> JSON:
        sizes = []
        for side, data in ((90, b"thumb-90"), (320, b"thumb-320"), (1280, file_bytes)):
            fid = self.register_file(data, f"photos/file_{len(self.files)}.jpg")
            sizes.append(
                {
                    "file_id": fid,
                    "file_unique_id": f"u{fid}",
                    "width": side,
                    "height": side,
                    "file_size": len(data),
                }
            )
        extra = {"caption": caption} if caption is not None else {}
        return self._user_message(chat_id, user_id, first_name, None, photo=sizes, **extra)

    def document_update(
        self,
        chat_id: int,
        file_bytes: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        *,
        user_id: int | None = None,
    ) -> JSON:
        fid = self.register_file(file_bytes, f"documents/{file_name}")
        doc = {
            "file_id": fid,
            "file_unique_id": f"u{fid}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(file_bytes),
        }
        extra = {"caption": caption} if caption is not None else {}
        return self._user_message(chat_id, user_id, "Ali", None, document=doc, **extra)

    def contact_update(
        self,
        chat_id: int,
        phone_number: str,
        contact_user_id: int | None,
        *,
        user_id: int | None = None,
        first_name: str = "Ali",
    ) -> JSON:
        contact: JSON = {"phone_number": phone_number, "first_name": first_name}
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        return self._user_message(chat_id, user_id, first_name, None, contact=contact)

    def callback_update(
        self,
        chat_id: int,
        data: str,
        message_id: int | None = None,
        *,
        user_id: int | None = None,
        first_name: str = "Ali",
    ) -> JSON:
        msg = self._messages.get((chat_id, message_id or -1))
        if msg is None:
            msg = {
                "message_id": message_id or next(self._ids),
                "date": int(time.time()),
                "chat": _chat(chat_id, first_name),
                "from": self.bot_user,
                "text": "…",
            }
            self._messages[(chat_id, msg["message_id"])] = msg
        query = {
            "id": str(next(self._ids)),
            "chat_instance": f"ci-{chat_id}",
            "data": data,
            "from": {"id": user_id or chat_id, "is_bot": False, "first_name": first_name},
            "message": msg,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def chat_member_update(self, chat_id: int, new: str, old: str = "member") -> JSON:
        """my_chat_member: the user blocked the bot ("kicked") or started it again ("member")."""
        user = {"id": chat_id, "is_bot": False, "first_name": "Ali"}
        change = {
            "chat": _chat(chat_id, "Ali"),
            "from": user,
            "date": int(time.time()),
            "old_chat_member": {"user": self.bot_user, "status": old}
            | ({"until_date": 0} if old == "kicked" else {}),
            "new_chat_member": {"user": self.bot_user, "status": new}
            | ({"until_date": 0} if new == "kicked" else {}),
        }
        return {"update_id": next(self._update_ids), "my_chat_member": change}

    def push(self, update: JSON) -> JSON:
        if "update_id" not in update or (
            self._updates and update["update_id"] <= self._updates[-1]["update_id"]
        ):
            update["update_id"] = next(self._update_ids)
        bisect.insort(self._updates, update, key=lambda u: u["update_id"])
        self._wake("_new_update")
        return update

    # ---- HTTP ---------------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> tuple[JSON, dict[str, tuple[bytes, str]]]:
        if request.content_type == "application/json":
            body = await request.json()
            chat_id = body.get("chat_id")  # Telegram takes "123" for 123 in JSON too
            if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
                body["chat_id"] = int(chat_id)
            return body, {}
        params: JSON = {}
        uploads: dict[str, tuple[bytes, str]] = {}
        form = await request.post() if request.method == "POST" else request.query
        for key, value in {**request.query, **form}.items():
            if isinstance(value, web.FileField):
                uploads[key] = (value.file.read(), value.filename)
            elif key in TEXT_FIELDS or not value or value[0] not in '{["-0123456789tfn':
                params[key] = value
            else:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
        return params, uploads

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._reply(APIError(401, "Unauthorized"))
        params, uploads = await self._params(request)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        self._by_method.setdefault(method, []).append(call)
        self._wake("_new_call")
        try:
            self._check_errors(method, params)
            if (custom := self.handlers.get(method)) is not None:
                result = await custom(params)
            elif (builtin := getattr(self, f"_m_{method}", None)) is not None:
                result = await builtin(params, uploads)
            else:
                raise APIError(404, "Not Found")
        except APIError as err:
            return self._reply(err)
        self._wake("_new_call")
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _reply(err: APIError) -> web.Response:
        body: JSON = {"ok": False, "error_code": err.status, "description": err.description}
        if err.parameters:
            body["parameters"] = err.parameters
        return web.json_response(body, status=err.status)

    def _check_errors(self, method: str, params: JSON) -> None:
        if (fail := self._fail.get(method)) is not None:
            fail[3] -= 1
            if fail[3] <= 0:
                del self._fail[method]
            raise APIError(fail[0], fail[1], fail[2])
        if method in NO_CHAT_LIMITS or "chat_id" not in params:
            return
        chat_id = params["chat_id"]
        if self.rate_limit_per_s:
            rate = self.rate_limit_per_s
            tokens, last = self._bucket
            now = time.monotonic()
            cap = max(1.0, rate)
            tokens = min(cap, tokens + (now - last) * rate) if last else cap
            if tokens < 1:
                self._bucket = (tokens, now)
                retry = max(1, math.ceil((1 - tokens) / rate))
                raise APIError(
                    429, f"Too Many Requests: retry after {retry}", {"retry_after": retry}
                )
            self._bucket = (tokens - 1, now)
        for flood in self._floods:
            if flood[0] is None or flood[0] == chat_id:
                flood[2] -= 1
                if flood[2] <= 0:
                    self._floods.remove(flood)
                raise APIError(
                    429, f"Too Many Requests: retry after {flood[1]}", {"retry_after": flood[1]}
                )
        if chat_id in self._chat_errors:
            raise APIError(*self._chat_errors[chat_id])

    async def _download(self, request: web.Request) -> web.Response:
        content = self._paths.get(request.match_info["path"])
        if content is not None and request.match_info["token"] == self.token:
            return web.Response(body=content, content_type="application/octet-stream")
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    # ---- methods ------------------------------------------------------------------------------
    def _record(
        self,
        method: str,
        params: JSON,
        msg: JSON,
        edited: bool = False,
        upload: tuple[bytes, str] | None = None,
    ) -> JSON:
        chat_id = params["chat_id"]
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if markup and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        elif edited:
            msg.pop("reply_markup", None)
        content, name = upload if upload else (None, None)
        sent = SentMessage(
            method,
            chat_id,
            msg["message_id"],
            msg.get("text"),
            msg.get("caption"),
            markup,
            params.get("parse_mode"),
            edited,
            content,
            name,
            params,
            time.monotonic(),
        )
        self.sent.append(sent)
        self._by_chat.setdefault(chat_id, []).append(sent)
        self._messages[(chat_id, msg["message_id"])] = msg
        return msg

    def _new_message(self, params: JSON, **content: Any) -> JSON:
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": _chat(params["chat_id"]),
            "from": self.bot_user,
            **content,
        }

    def _file_param(
        self, params: JSON, uploads: dict[str, tuple[bytes, str]], key: str, default_name: str
    ) -> tuple[str, bytes, str]:
        if key in uploads:
            content, name = uploads[key]
            fid = self.register_file(content, f"{key}s/{name or default_name}")
            return fid, content, name or default_name
        if params.get(key) not in self.files:
            raise APIError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        content, path = self.files[params[key]]
        return params[key], content, path.rsplit("/", 1)[-1]

    async def _m_getMe(self, params: JSON, uploads: Any) -> JSON:
        return self.bot_user

    async def _m_sendMessage(self, params: JSON, uploads: Any) -> JSON:
        text = params.get("text")
        if not text:
            raise APIError(400, "Bad Request: message text is empty")
        return self._record("sendMessage", params, self._new_message(params, text=str(text)))

    async def _m_sendPhoto(self, params: JSON, uploads: dict[str, tuple[bytes, str]]) -> JSON:
        fid, content, _ = self._file_param(params, uploads, "photo", "photo.jpg")
        _check_photo(content)
        size = {
            "file_id": fid,
            "file_unique_id": f"u{fid}",
            "width": 1280,
            "height": 1280,
            "file_size": len(content),
        }
        extra = {"caption": params["caption"]} if params.get("caption") else {}
        msg = self._new_message(params, photo=[size], **extra)
        return self._record("sendPhoto", params, msg, upload=(content, "photo.jpg"))

    async def _m_sendDocument(self, params: JSON, uploads: dict[str, tuple[bytes, str]]) -> JSON:
        fid, content, name = self._file_param(params, uploads, "document", "file.bin")
        doc = {
            "file_id": fid,
            "file_unique_id": f"u{fid}",
            "file_name": name,
            "file_size": len(content),
        }
        extra = {"caption": params["caption"]} if params.get("caption") else {}
        msg = self._new_message(params, document=doc, **extra)
        return self._record("sendDocument", params, msg, upload=(content, name))

    async def _edit(self, method: str, params: JSON, key: str | None) -> JSON | bool:
        if "inline_message_id" in params:
            return True
        msg = self._messages.get((params.get("chat_id", 0), params.get("message_id", 0)))
        if msg is None:
            raise APIError(400, "Bad Request: message to edit not found")
        new = {**msg, key: params.get(key)} if key else dict(msg)
        markup = params.get("reply_markup")
        if new.get(key) == msg.get(key) and markup == msg.get("reply_markup"):
            raise APIError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same as a current content "
                "and reply markup of the message",
            )
        return self._record(method, params, {**new, "edit_date": int(time.time())}, edited=True)

    async def _m_editMessageText(self, params: JSON, uploads: Any) -> JSON | bool:
        return await self._edit("editMessageText", params, "text")

    async def _m_editMessageCaption(self, params: JSON, uploads: Any) -> JSON | bool:
        return await self._edit("editMessageCaption", params, "caption")

    async def _m_editMessageReplyMarkup(self, params: JSON, uploads: Any) -> JSON | bool:
        return await self._edit("editMessageReplyMarkup", params, None)

    async def _m_deleteMessage(self, params: JSON, uploads: Any) -> bool:
        if self._messages.pop((params.get("chat_id", 0), params.get("message_id", 0)), None):
            return True
        raise APIError(400, "Bad Request: message to delete not found")

    async def _m_getFile(self, params: JSON, uploads: Any) -> JSON:
        if params.get("file_id") not in self.files:
            raise APIError(400, "Bad Request: invalid file_id")
        content, path = self.files[params["file_id"]]
        return {
            "file_id": params["file_id"],
            "file_unique_id": f"u{params['file_id']}",
            "file_size": len(content),
            "file_path": path,
        }

    async def _m_getUpdates(self, params: JSON, uploads: Any) -> list[JSON]:
        if self.webhook["url"]:
            raise APIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        if offset > 0:
            del self._updates[
                : bisect.bisect_left(self._updates, offset, key=lambda u: u["update_id"])
            ]
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while not self._updates and not self._closing and (left := deadline - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(self._new_update.wait(), left)
            except TimeoutError:
                break
        return self._updates[offset:][:limit] if offset < 0 else self._updates[:limit]

    async def _m_setWebhook(self, params: JSON, uploads: Any) -> bool:
        self.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token")}
        self.webhook_connections = int(params.get("max_connections") or 40)
        local = self.webhook["url"].startswith(LOCAL_WEBHOOK)
        if local and (self._deliverer is None or self._deliverer.done()):
            self._deliverer = asyncio.create_task(self._deliver_webhooks())
        return True

    async def _deliver_webhooks(self) -> None:
        """Post pending updates to the webhook, up to max_connections at once, until deleted."""
        slots = asyncio.Semaphore(self.webhook_connections)
        posts: set[asyncio.Task[None]] = set()
        async with aiohttp.ClientSession() as http:
            while not self._closing and self.webhook["url"].startswith(LOCAL_WEBHOOK):
                now = time.monotonic()
                for update in list(self._updates):
                    uid = update["update_id"]
                    if uid not in self._posting and self._retry_at.get(uid, 0.0) <= now:
                        self._posting.add(uid)
                        task = asyncio.create_task(self._post_update(http, slots, update))
                        posts.add(task)
                        task.add_done_callback(posts.discard)
                waiter = asyncio.ensure_future(self._new_update.wait())
                await asyncio.wait([waiter], timeout=0.05)
                waiter.cancel()
            await asyncio.gather(*posts, return_exceptions=True)

    async def _post_update(
        self, http: aiohttp.ClientSession, slots: asyncio.Semaphore, update: JSON
    ) -> None:
        uid, status = update["update_id"], 0
        headers = {SECRET_HEADER: self.webhook.get("secret_token") or ""}
        async with slots:
            try:
                timeout = aiohttp.ClientTimeout(total=10)
                async with http.post(
                    self.webhook["url"], json=update, headers=headers, timeout=timeout
                ) as resp:
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
        self.webhook_posts.append((uid, status))
        self._posting.discard(uid)
        if 200 <= status < 300:
            self._retry_at.pop(uid, None)
            if update in self._updates:
                self._updates.remove(update)
        else:
            self._retry_at[uid] = time.monotonic() + self.webhook_retry
        self._wake("_new_update")

    async def _m_deleteWebhook(self, params: JSON, uploads: Any) -> bool:
        self.webhook = {"url": ""}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_getWebhookInfo(self, params: JSON, uploads: Any) -> JSON:
        info: JSON = {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        for name in ("last_error_date", "last_error_message"):  # Telegram sets both or neither
            if name in self.webhook:
                info[name] = self.webhook[name]
        return info

    async def _m_setMyCommands(self, params: JSON, uploads: Any) -> bool:
        self.commands = params.get("commands", [])
        return True

    async def _m_answerCallbackQuery(self, params: JSON, uploads: Any) -> bool:
        return True

    async def _m_sendChatAction(self, params: JSON, uploads: Any) -> bool:
        return True

    async def _m_close(self, params: JSON, uploads: Any) -> bool:
        return True

    async def _m_logOut(self, params: JSON, uploads: Any) -> bool:
        return True
