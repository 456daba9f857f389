"""SMS keywords: the parser and router over the keywords the features declare (handlers/features).

Nationals without a messenger text a keyword and maybe arguments («وضعیت ۱۰۰۲۰۰۳۰۰»). The
keyword is matched after normalisation (Arabic ي/ك, Persian and Arabic-Indic digits, ZWNJ,
case), then the same feature functions the messenger uses are called with an SMS Ctx, and the
reply is queued in the outbox in the same transaction as whatever the feature changed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.base import Ctx, Reply
from handlers.feature import Action, Args, ArgSpec, Keyword
from handlers.features import TABLES
from handlers.runtime import Runtime
from handlers.sms_parts import fit_sms
from storage import sms as store
from storage.outbox import enqueue
from storage.text import InvalidMobile, fold_keyword, mask_mobile, normalize_id, normalize_mobile
from storage.text import normalize_text as _norm

log = logging.getLogger(__name__)


KEYWORDS: tuple[Keyword, ...] = TABLES.keywords
_BY_WORD = {fold_keyword(w): k for k in KEYWORDS for w in k.words}


async def _unknown(ctx: Ctx, args: Args) -> Reply:
    return Reply(ctx.t("sms.unknown"))


async def _usage(ctx: Ctx, args: Args) -> Reply:
    return Reply(ctx.t(f"sms.usage.{args[0].lower()}"))


# The router's own answers, then every feature's keyword; USAGE carries the keyword's name.
ACTIONS: dict[str, Action] = {"UNKNOWN": _unknown, "USAGE": _usage} | {
    k.name: k.action for k in KEYWORDS
}
_PUNCT = ":.,،؛;!-_*#"
_GLUED = re.compile(r"^(\D+?)(\d.*)$")  # «وضعیت100200300»: keyword and number typed together
_AMOUNT_DROP = str.maketrans("", "", ",٬،.'’ ")
# The words HELP uses as placeholders («وضعیت کارت», «شکایت متن»): sent literally, they mean
# "no argument" (one's own status, or how to use the keyword), never a card or a complaint.
PLACEHOLDERS = frozenset(
    fold_keyword(w)
    for w in ("کارت", "شماره‌کارت", "سال", "سال‌تولد", "کال", "پیگیری", "کد", "کوډ", "مبلغ",
              "اندازه", "متن", "استان", "card", "year", "tracking", "amount", "text", "province")
)  # fmt: skip


@dataclass(frozen=True)
class Command:
    name: str  # a Keyword.name, or USAGE (args = (keyword,)) or UNKNOWN
    args: tuple[str, ...] = ()


def _split_keyword(words: list[str]) -> tuple[Keyword | None, list[str]]:
    first = words[0].strip(_PUNCT) or words[0]
    kw = _BY_WORD.get(fold_keyword(first))
    if kw is None and (m := _GLUED.match(first)):
        kw = _BY_WORD.get(fold_keyword(m.group(1).strip(_PUNCT)))
        return kw, [m.group(2), *words[1:]]
    return kw, words[1:]


def _args(kw: Keyword, rest: list[str]) -> Args | None:
    """The keyword's arguments in canonical form; None when required ones are missing."""
    if rest and all(fold_keyword(w) in PLACEHOLDERS for w in rest):
        rest = []
    spec = kw.args
    if spec in (ArgSpec.NONE, ArgSpec.CARD_OPT):
        card = normalize_id(" ".join(rest)) if spec is ArgSpec.CARD_OPT else ""
        return (card,) if card else ()
    if spec in (ArgSpec.REST, ArgSpec.REST_OPT):
        text = " ".join(rest)
        return (text,) if text else (None if spec.required else ())
    if spec is ArgSpec.CARD_YEAR_OPT and not rest:
        return ()
    if len(rest) < 2:
        return None
    first, last = normalize_id(" ".join(rest[:-1])), normalize_id(rest[-1])
    # The card may have been typed with spaces; the year is last.
    if spec in (ArgSpec.CARD_YEAR, ArgSpec.CARD_YEAR_OPT):
        return (first, last) if last.isdigit() and any(c.isdigit() for c in first) else None
    amount = rest[-1].translate(_AMOUNT_DROP)
    return (first, amount) if normalize_id(amount).isdigit() else None


def parse(text: str) -> Command:
    """One inbound text -> Command; never raises."""
    words = _norm(text).split()
    if not words:
        return Command("UNKNOWN")
    kw, rest = _split_keyword(words)
    if kw is None:
        return Command("UNKNOWN")
    args = _args(kw, rest)
    return Command("USAGE", (kw.name,)) if args is None else Command(kw.name, args)


def sms_text(reply: Reply) -> str:
    """The reply as one SMS: the feature's short text when it wrote one, at most 900 chars."""
    return fit_sms((reply.sms_text or reply.text).strip())


async def _follow_up(ctx: Ctx, text: str) -> str | None:
    """A text no keyword starts, read again by the first feature that continues it."""
    for follow in TABLES.follow_ups:
        if (again := await follow(ctx, text)) is not None:
            return again
    return None


def _clean(value: str, limit: int) -> str:
    # PostgreSQL text refuses NUL; lone surrogates cannot be encoded to UTF-8.
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit]


async def route(
    rt: Runtime,
    sender_mobile: str,
    text: str,
    message_id: str,
    *,
    line: str = "",
    dry_run: bool = False,
) -> str | None:
    """Record, answer and queue the reply to one inbound SMS, once per message id.

    Returns the reply's text (None for a repeat or an unusable sender). `dry_run` rolls
    everything back: the CLI uses it to try keywords without sending anything.
    """
    text, message_id = _clean(text, 10_000), _clean(message_id, 64)
    try:
        mobile: str | None = normalize_mobile(sender_mobile)
    except InvalidMobile:
        mobile = None  # a short code or a foreign number: record it, answer nobody
        log.info("inbound SMS from an unusable number %s", mask_mobile(sender_mobile))
    async with rt.db.sessions() as session, session.begin() as tx:
        fresh = await store.record_inbound(
            session, message_id=message_id, sender=mobile or _clean(sender_mobile, 20),
            line=_clean(line, 20), text=text, at=rt.clock(),
        )  # fmt: skip
        answer = await _reply(rt, session, mobile, text, message_id) if fresh and mobile else None
        if dry_run:
            await tx.rollback()
    return answer


async def _reply(
    rt: Runtime, session: AsyncSession, mobile: str, text: str, message_id: str
) -> str:
    ctx = await _ctx(rt, session, mobile)
    national_id = ctx.national.id if ctx.national else None  # read before any rollback
    answer = sms_text(await _answer(ctx, text))
    await enqueue(
        session, key=f"sms-in:{message_id}", kind="reply", channel="sms", address=mobile,
        text=answer, lang=ctx.lang, national_id=national_id, urgent=True,
    )  # fmt: skip
    return answer


async def _ctx(rt: Runtime, session: AsyncSession, mobile: str) -> Ctx:
    people = await store.nationals_of_mobile(session, mobile)
    national = people[0] if people else None
    lang = national.language if national and national.language else rt.settings.default_language
    return Ctx(rt, session, "sms", mobile, rt.catalog.normalise_lang(lang), national)


async def _answer(ctx: Ctx, text: str) -> Reply:
    """The feature's reply; a feature's failure undoes only its own changes and says sorry."""
    cmd = Command("UNKNOWN")
    try:
        cmd = parse(text)
        if cmd.name == "UNKNOWN" and (again := await _follow_up(ctx, text)) is not None:
            cmd = parse(again)
        async with ctx.session.begin_nested():
            return await ACTIONS[cmd.name](ctx, cmd.args)
    except Exception:
        log.exception("SMS keyword %s from %s failed", cmd.name, mask_mobile(ctx.address))
        return Reply(ctx.t("sms.error"))
