"""Imports in the browser: upload a CSV, read the validation report (`line N, column: reason`,
every bad line), then apply it (bot/console/import_jobs.py: in the background, with a progress
bar), with what it did.

The same functions as the CLI: handlers.registry.parse_nationals + storage.registry.
upsert_nationals (`amayesh import-nationals`, admins only here as the registry is everyone's
data), and handlers.imports / handlers.registrations for statuses, appointments and
registrations (reviewers and admins). The check runs the importer in a transaction that is
rolled back, so the report is exactly what applying would say; the upload waits under
files_dir/imports/ named by a random token until it is applied.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.console.web import big_body, needs, page, rt_of, who
from handlers import imports, registrations
from handlers.import_jobs import Progress, upsert_with_progress
from handlers.registry import parse_nationals
from handlers.runtime import Runtime
from storage import admin

routes = web.RouteTableDef()
KINDS: dict[str, imports.Importer | None] = {
    "registry": None,  # parsed from the file, then upserted (no importer function of its own)
    "registrations": registrations.import_registrations,
    "statuses": imports.import_statuses,
    "appointments": imports.import_appointments,
}
MAX_BYTES = 20 * 1024 * 1024
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _dir(rt: Runtime) -> Path:
    return Path(rt.settings.files_dir) / "imports"


def _save(where: Path, token: str, data: bytes) -> None:
    where.mkdir(parents=True, exist_ok=True)
    (where / f"{token}.csv").write_bytes(data)


async def _run(rt: Runtime, actor: str, kind: str, path: Path, apply: bool,
               progress: Progress | None = None) -> dict[str, Any]:  # fmt: skip
    """Errors and figures; written only when `apply` and the whole file is good."""
    run = KINDS[kind]
    progress = progress or Progress(kind)
    if run is None:
        parsed = await asyncio.to_thread(parse_nationals, path)
        figures: dict[str, Any] = {"rows": len(parsed.rows)}
        if apply and not parsed.errors:
            async with rt.db.session() as s:
                rows = [row for _, row in parsed.rows]
                counts = await upsert_with_progress(s, rows, progress)
                await admin.audit(s, actor, "import.nationals", "console", after=vars(counts))
            figures = vars(counts)
        return {"errors": [str(e) for e in parsed.errors], "figures": figures}
    text = await asyncio.to_thread(path.read_text, "utf-8-sig")
    progress.state, progress.total = "applying", 1  # one call: nothing, then done
    async with rt.db.sessions() as s:
        tx = await s.begin()
        try:
            res = await run(rt, s, actor, text)
        except BaseException:
            await tx.rollback()
            raise
        if apply and res.ok:
            await tx.commit()
        else:
            await tx.rollback()  # the check: what applying would do, nothing kept
    return {"errors": [str(e) for e in res.errors],
            "figures": {"changed": res.changed, "unchanged": res.unchanged}}  # fmt: skip


def _allowed(kind: str, role: str) -> bool:
    return kind in KINDS and (kind != "registry" or role == "admin")


@routes.get("/imports")
@needs("statuses")
async def form(request: web.Request) -> web.Response:
    return page(request, "imports.html", kinds=list(KINDS), report=None)


@routes.post("/imports")
@needs("statuses")
@big_body(MAX_BYTES + 64 * 1024)  # the file and the form's few fields
async def check(request: web.Request) -> web.Response:
    """Upload and check: the report, and an apply button when every line is good."""
    rt, w = rt_of(request), who(request)
    got = await request.post()
    kind, upload = str(got.get("kind", "")), got.get("file")
    if not _allowed(kind, w.role):
        return page(request, "imports.html", http_status=403 if kind in KINDS else 400,
                    kinds=list(KINDS), report=None, error="console.imports.not_yours")  # fmt: skip
    if not isinstance(upload, web.FileField):
        return page(request, "imports.html", http_status=400, kinds=list(KINDS), report=None,
                    error="console.imports.no_file")  # fmt: skip
    data = upload.file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return page(request, "imports.html", http_status=400, kinds=list(KINDS), report=None,
                    error="console.imports.too_big")  # fmt: skip
    token = secrets.token_urlsafe(24)
    await asyncio.to_thread(_save, _dir(rt), token, data)
    report = await _report(rt, w.actor, kind, token, apply=False)
    status = 400 if report["errors"] or report.get("fatal") else 200
    return page(request, "imports.html", http_status=status, kinds=list(KINDS), report=report)


async def _report(rt: Runtime, actor: str, kind: str, token: str, apply: bool,
                  progress: Progress | None = None) -> dict[str, Any]:  # fmt: skip
    path = _dir(rt) / f"{token}.csv"
    try:
        out = await _run(rt, actor, kind, path, apply, progress)
    except (UnicodeDecodeError, ValueError) as exc:  # a missing column, too many rows
        out = {"errors": [], "figures": {}, "fatal": str(exc)}
    return out | {"kind": kind, "token": token, "applied": apply}
