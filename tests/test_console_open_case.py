"""The national's page «open the case» (handlers.cases.open_case) on a deployment seeded only
through its doors: the registry CSV and the campaign by the CLI, staff and their console
logins by `amayesh staff add --username` and `amayesh staff password`."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from handlers.runtime import Runtime
from storage.models import Application, AuditLog, National, Outbox
from tests.cases_kit import ADMIN, KARIM, REVIEWER, ROYA, cli, seed_deployment
from tests.console_kit import PASSWORD, console_client, post_form, sign_in

BROADCASTER = 8103
LINK = re.compile(r'href="/staff/nationals/(\d+)"')


async def _staff_logins(rt: Runtime, tmp: Path) -> None:
    pw = tmp / "password.txt"
    pw.write_text(PASSWORD + "\n", encoding="utf-8")
    for tid, role in ((REVIEWER, "reviewer"), (ADMIN, "admin"), (BROADCASTER, "broadcaster")):
        code, out = await cli(rt, "staff", "add", "--telegram-id", str(tid), "--role", role,
                              "--username", role)  # fmt: skip
        assert code == 0, out
        code, out = await cli(rt, "staff", "password", role, "--password-file", str(pw))
        assert code == 0, out


async def _find(client: TestClient, card: str) -> int:
    """The national's id as staff reach the page: the search form, then the result's link."""
    page = await (await client.get("/staff/nationals")).text()
    r = await post_form(client, "/staff/nationals", page, q=card)
    found = LINK.findall(await r.text())
    assert len(found) == 1, card
    return int(found[0])


async def _state(rt: Runtime, card: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The national's cases (statuses) and every outbox row to them (kind, channel, key)."""
    async with rt.db.session() as s:
        nid = await s.scalar(select(National.id).where(National.card_number == card))
        cases = await s.scalars(select(Application.status).where(Application.national_id == nid))
        sent = await s.execute(
            select(Outbox.kind, Outbox.channel, Outbox.key).where(Outbox.national_id == nid)
        )
        return list(cases), [tuple(r) for r in sent.all()]


async def test_a_reviewer_opens_the_case_once_a_broadcaster_cannot(
    rt: Runtime, tmp_path: Path
) -> None:
    await seed_deployment(rt, tmp_path)
    await _staff_logins(rt, tmp_path)
    assert await _state(rt, ROYA) == ([], [])  # the import and the campaign told nobody
    async with console_client(rt) as client:
        await sign_in(client, rt, "reviewer", {})
        nid = await _find(client, ROYA)
        page = await (await client.get(f"/staff/nationals/{nid}")).text()
        assert f"/staff/nationals/{nid}/open-case" in page
        r = await post_form(client, f"/staff/nationals/{nid}/open-case", page)
        assert r.status == 200
        opened = await r.text()
        assert "باز شد" in opened and "طرح آمایش ۲۰" in opened
        assert f"/staff/nationals/{nid}/open-case" not in opened  # the case's actions instead
        [status], [(kind, channel, key)] = await _state(rt, ROYA)
        assert (kind, channel) == ("notice", "sms") and key.endswith(":opened")  # no chat: SMS

        # The same form again (a second tab, a double click): it says so, nothing changes.
        r = await post_form(client, f"/staff/nationals/{nid}/open-case", page)
        assert r.status == 400 and "پرونده دارد" in await r.text()
        assert await _state(rt, ROYA) == ([status], [(kind, channel, key)])

    async with console_client(rt) as client:
        await sign_in(client, rt, "broadcaster", {})
        page = await (await client.get("/staff/")).text()
        async with rt.db.session() as s:  # the broadcaster has no search page to find it by
            karim = await s.scalar(select(National.id).where(National.card_number == KARIM))
        r = await post_form(client, f"/staff/nationals/{karim}/open-case", page)
        assert r.status == 403 and "دسترسی ندارید" in await r.text()
    assert await _state(rt, KARIM) == ([], [])

    async with rt.db.session() as s:
        q = select(AuditLog.actor, AuditLog.action).where(
            AuditLog.action.in_(("case.open", "denied"))
        )
        audits = sorted(tuple(a) for a in (await s.execute(q)).all())
    assert audits == [("web:broadcaster", "denied"), ("web:reviewer", "case.open")]
