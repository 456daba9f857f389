"""A campaign's announcement in the browser (broadcasters and admins): the text is built from
the campaign's own data by handlers.announce (the one `amayesh campaign announce` drafts: Jalali
dates, fee items and total in rials and toman, the account, documents, offices, the no-agents
warning) in each language, plus its short SMS, and opened in the ordinary broadcast composer
with the segment «campaign=CODE». From there it is the broadcast path as it is: staff edit,
preview, then send once (the preview's one-time token; a double click or a reload finds the
broadcast already made).
"""

from __future__ import annotations

from aiohttp import web

from bot.console.broadcasts import TEXT_LANGS, _composer, _fields
from bot.console.web import needs, rt_of
from handlers.announce import announcement_sms, announcement_text
from storage import admin

routes = web.RouteTableDef()


@routes.get("/campaigns/{ident}/announce")
@needs("broadcasts")
async def announce(request: web.Request) -> web.Response:
    rt = rt_of(request)
    async with rt.db.session() as s:
        c = await admin.get_campaign(s, request.match_info["ident"])
    if c is None:
        raise web.HTTPNotFound()
    fields = _fields({}) | {"campaign": c.code, "sms_text": announcement_sms(rt, c)}
    fields |= {f"text_{lang}": announcement_text(rt, c, lang) for lang in TEXT_LANGS}
    return _composer(request, fields, announced=c)
