"""Stored uploads for reviewers: the slip file itself, a PDF slip's pages as PNG images."""

from __future__ import annotations

import asyncio
import io
import mimetypes
from pathlib import Path

import pypdfium2
from aiohttp import web

from bot.console.pages import _int
from bot.console.web import needs, rt_of
from handlers.runtime import Runtime
from storage import console_lists

routes = web.RouteTableDef()
PDF = "application/pdf"
MAX_PAGES = 10  # a deposit slip is a page or two; a longer upload shows its first ten
SCALE = 2.0  # 144 dpi: the bank's small print stays readable when zoomed


def read_stored(root: Path, relative: str) -> bytes:
    """A stored upload's bytes; 404 for a path that leaves the files directory or is gone."""
    root = root.resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        raise web.HTTPNotFound()
    return path.read_bytes()


def _pages(data: bytes) -> int:
    try:
        return min(len(pypdfium2.PdfDocument(data)), MAX_PAGES)
    except pypdfium2.PdfiumError:
        return 0


def _render(data: bytes, n: int) -> bytes:
    try:
        doc = pypdfium2.PdfDocument(data)
        if not 0 <= n < min(len(doc), MAX_PAGES):
            raise web.HTTPNotFound()
        image = doc[n].render(scale=SCALE).to_pil()
    except pypdfium2.PdfiumError:
        raise web.HTTPNotFound() from None
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def page_count(rt: Runtime, relative: str) -> int:
    """How many pages of a PDF slip are shown (0 when it is missing or unreadable)."""
    try:
        data = await asyncio.to_thread(read_stored, Path(rt.settings.files_dir), relative)
    except web.HTTPNotFound:
        return 0
    return await asyncio.to_thread(_pages, data)


async def _receipt_bytes(request: web.Request) -> tuple[bytes, str]:
    rt = rt_of(request)
    async with rt.db.session() as s:
        r = await console_lists.receipt(s, _int(request.match_info["rid"]))
    if r is None:
        raise web.HTTPNotFound()
    data = await asyncio.to_thread(read_stored, Path(rt.settings.files_dir), r.file_path)
    return data, r.mime_type or mimetypes.guess_type(r.file_path)[0] or "application/octet-stream"


@routes.get("/slips/{rid}")
@needs("receipts")
async def slip_file(request: web.Request) -> web.Response:
    """The slip's file, to reviewers only; never cached by the browser."""
    data, mime = await _receipt_bytes(request)
    return web.Response(body=data, content_type=mime, headers={"Content-Disposition": "inline"})


@routes.get("/slips/{rid}/page/{n}")
@needs("receipts")
async def slip_page(request: web.Request) -> web.Response:
    """Page n (from 0) of a PDF slip as a PNG, so it can be looked at and zoomed like a photo."""
    data, mime = await _receipt_bytes(request)
    if mime != PDF:
        raise web.HTTPNotFound()
    png = await asyncio.to_thread(_render, data, _int(request.match_info["n"]))
    return web.Response(body=png, content_type="image/png")
