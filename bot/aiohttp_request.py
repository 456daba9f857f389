"""python-telegram-bot's request interface on aiohttp (PTB's documented BaseRequest extension).

Measured here: httpx/httpcore's pool spends CPU proportional to its size on every request, which
capped a 2-core machine near 100 sends/s; aiohttp's connector does not.
"""

from __future__ import annotations

import json

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_JSON = {"Content-Type": "application/json"}


def _timeout(read: float | None) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=None if read is None else read + 10, sock_read=read)


class AiohttpRequest(BaseRequest):
    def __init__(self, pool: int = 64, read_timeout: float = 15.0) -> None:
        self._pool, self._read_timeout = pool, read_timeout
        self._timeout = _timeout(read_timeout)
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # trust_env=False: a proxy from the environment must never see the bot token.
            connector = aiohttp.TCPConnector(limit=self._pool)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
        return self._session

    async def initialize(self) -> None:
        self._open()

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See BaseRequest.do_request: form fields, or multipart when a file is uploaded."""
        data: aiohttp.FormData | bytes | None = None
        headers = None
        if request_data is not None:
            if request_data.contains_files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mime) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mime)
                data = form
            else:
                # A JSON body, which Telegram and Bale both document (except for uploads):
                # form-encoding PTB's JSON-encoded values cost twice as much CPU per send.
                data = json.dumps(request_data.parameters, ensure_ascii=False).encode()
                headers = _JSON
        if isinstance(read_timeout, DefaultValue):
            timeout = self._timeout
        else:
            timeout = _timeout(read_timeout)
        try:
            session = self._open()
            async with session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as resp:
                return resp.status, await resp.read()
        except TimeoutError:
            raise TimedOut from None  # `from None`: aiohttp's text may carry the URL (the token)
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp: {type(exc).__name__}") from None
