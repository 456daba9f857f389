"""Applying a checked import in the background: «apply» starts the job and answers at once with
its page, where a bar follows the rows applied (console.js polls progress.json every second);
the page shows the import's figures when it is done.

A job is named by its upload's token: a second «apply» (a double click, a reload, the back
button) finds the job already there and shows it, so a file is applied once. Jobs live in
this process (the console is served by `amayesh run` alone); a restart mid-apply rolls the
transaction back and the upload can be applied again.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.console.imports import KINDS, TOKEN, _allowed, _dir, _report
from bot.console.web import needs, page, rt_of, who
from handlers.fmt import number
from handlers.import_jobs import Progress
from handlers.jalali import fa_digits
from handlers.runtime import Runtime

routes = web.RouteTableDef()
log = logging.getLogger(__name__)
JOBS: web.AppKey[dict[str, Progress]] = web.AppKey("console_import_jobs", dict)
TASKS: web.AppKey[set[asyncio.Task[None]]] = web.AppKey("console_import_tasks", set)
KEEP = 100  # finished jobs remembered (their pages stay readable)


def setup(app: web.Application) -> None:
    app[JOBS], app[TASKS] = {}, set()

    async def stop(app: web.Application) -> None:
        for task in app[TASKS]:
            task.cancel()  # its transaction rolls back; the upload stays for another try
        await asyncio.gather(*app[TASKS], return_exceptions=True)

    app.on_cleanup.append(stop)


async def _background(rt: Runtime, actor: str, token: str, job: Progress) -> None:
    try:
        job.report = await _report(rt, actor, job.kind, token, apply=True, progress=job)
    except Exception as exc:
        log.exception("console import %s failed", job.kind)
        job.report = {"errors": [], "figures": {}, "fatal": type(exc).__name__, "applied": True}
    bad = job.report.get("errors") or job.report.get("fatal")
    if not bad:
        await asyncio.to_thread((_dir(rt) / f"{token}.csv").unlink, True)  # applied once
    job.state = "failed" if bad else "done"


def _prune(jobs: dict[str, Progress]) -> None:
    done = [k for k, j in jobs.items() if j.finished]
    for key in done[: max(0, len(done) - KEEP)]:
        del jobs[key]


@routes.post("/imports/apply")
@needs("statuses")
async def apply(request: web.Request) -> web.Response:
    rt, w = rt_of(request), who(request)
    got = await request.post()
    kind, token = str(got.get("kind", "")), str(got.get("token", ""))
    if not _allowed(kind, w.role):
        return page(request, "imports.html", http_status=403 if kind in KINDS else 400,
                    kinds=list(KINDS), report=None, error="console.imports.not_yours")  # fmt: skip
    jobs = request.app[JOBS]
    if TOKEN.match(token) and token not in jobs:
        if not (_dir(rt) / f"{token}.csv").exists():
            return page(request, "imports.html", http_status=400, kinds=list(KINDS),
                        report=None, error="console.imports.expired")  # fmt: skip
        _prune(jobs)
        jobs[token] = job = Progress(kind)
        task = asyncio.create_task(_background(rt, w.actor, token, job))
        request.app[TASKS].add(task)
        task.add_done_callback(request.app[TASKS].discard)
    elif not TOKEN.match(token):
        raise web.HTTPBadRequest()
    raise web.HTTPSeeOther(f"{request.app.router['import_job'].url_for(token=token)}")


def _job(request: web.Request) -> Progress:
    job = request.app[JOBS].get(request.match_info["token"])
    if job is None:
        raise web.HTTPNotFound()
    if not _allowed(job.kind, who(request).role):
        raise web.HTTPForbidden()
    return job


def _label(rt: Runtime, job: Progress) -> str:
    return rt.t("fa", f"console.imports.job_{job.state}", done=number(job.done, "fa"),
                total=number(job.total, "fa"), percent=fa_digits(str(job.percent)))  # fmt: skip


@routes.get("/imports/jobs/{token}", name="import_job")
@needs("statuses")
async def job_page(request: web.Request) -> web.Response:
    job = _job(request)
    report = job.report if job.finished else None
    return page(request, "imports.html", http_status=400 if job.state == "failed" else 200,
                kinds=list(KINDS), report=report, job=job, token=request.match_info["token"],
                label=_label(rt_of(request), job))  # fmt: skip


@routes.get("/imports/jobs/{token}/progress.json")
@needs("statuses")
async def job_progress(request: web.Request) -> web.Response:
    job = _job(request)
    return web.json_response({"state": job.state, "percent": job.percent, "done": job.done,
                              "total": job.total, "finished": job.finished,
                              "label": _label(rt_of(request), job)})  # fmt: skip
