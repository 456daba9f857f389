"""Deposit slips: check the file, the tracking number and the amount, then record the receipt."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import struct
from pathlib import Path

from handlers.base import Ctx, Reply
from handlers.convo import SlipFile, link_first
from handlers.fmt import number, rials_and_toman
from handlers.jalali import jalali_year
from storage import activity
from storage import receipts as store
from storage.models import Campaign
from storage.text import normalize_digits, normalize_id

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
REFUSED = "amount_refused"  # payload mark of a refused amount (only the SMS side reads it)
_TRACKING = re.compile(r"^[0-9A-Z]{4,40}$")
_AMOUNT_NOISE = re.compile(r"[\s,٬،.'’_]|ریال|rials?|irr", re.IGNORECASE)


def sniff(data: bytes) -> tuple[str, str] | None:
    """(mime, extension) from the magic bytes; the client's claim is never trusted."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    return None


def decodable(data: bytes, mime: str) -> bool:
    """Structure checks enough to refuse truncated or fake files without an image library."""
    if mime == "image/png":
        if len(data) < 33 or data[12:16] != b"IHDR":
            return False
        width, height = struct.unpack(">II", data[16:24])
        return 0 < width <= 20000 and 0 < height <= 20000 and b"IEND" in data[-16:]
    if mime == "image/jpeg":
        has_frame = any(m in data for m in (b"\xff\xc0", b"\xff\xc1", b"\xff\xc2"))
        return has_frame and b"\xff\xd9" in data[-64:]
    if mime == "image/webp":
        declared = struct.unpack("<I", data[4:8])[0] + 8
        return len(data) >= 20 and declared <= len(data) and data[12:15] == b"VP8"
    if mime == "application/pdf":
        return b"%%EOF" in data[-1024:]
    return False


def check_file(file: SlipFile) -> str | None:
    """The catalog key of what is wrong with the file, or None; fills mime, ext, sha256."""
    if file.size > MAX_BYTES or (file.data is not None and len(file.data) > MAX_BYTES):
        return "receipts.too_big"
    if file.data is None:
        return "receipts.not_image"
    kind = sniff(file.data)
    if kind is None:
        return "receipts.not_image"
    if not decodable(file.data, kind[0]):
        return "receipts.not_decodable"
    file.mime, file.ext = kind
    file.size = len(file.data)
    file.sha256 = hashlib.sha256(file.data).hexdigest()
    return None


def write_file(root: Path, rel: str, data: bytes) -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + f".{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)  # atomic: a reader never sees half a file
    except OSError:
        tmp.unlink(missing_ok=True)  # a full disk must not leave half a file behind
        raise


def _move(root: Path, src: str, dst: str) -> bool:
    """Staged file into its final place; False when neither is there (staging was cleaned)."""
    (root / dst).parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(root / src, root / dst)
    except FileNotFoundError:
        return (root / dst).exists()  # a retried update may have moved it already
    return True


async def stage(ctx: Ctx, file: SlipFile) -> str | None:
    """Validate and park the file until the national confirms; returns an error key or None."""
    error = check_file(file)
    if error is None and file.data is not None:
        file.path = f"incoming/{file.sha256}.{file.ext}"
        try:
            await asyncio.to_thread(write_file, ctx.rt.settings.files_dir, file.path, file.data)
        except OSError as exc:
            log.error("storing a slip failed: %s", exc.strerror or type(exc).__name__)
            file.path = ""
            return "receipts.write_failed"
        file.data = None  # the conversation keeps the path, never the bytes
    return error


async def discard(ctx: Ctx, path: str) -> None:
    """Forget a staged file (cancelled or refused)."""
    if path.startswith("incoming/"):
        await asyncio.to_thread((ctx.rt.settings.files_dir / path).unlink, missing_ok=True)


def parse_tracking(text: str) -> str | None:
    value = normalize_id(text)
    return value if _TRACKING.match(value) else None


def parse_amount(text: str) -> int | None:
    """'۳۰۰٬۰۰۰ ریال' → 300000; None when it is not a plain amount."""
    value = _AMOUNT_NOISE.sub("", normalize_digits(text))
    return int(value) if value.isascii() and value.isdigit() and len(value) < 13 else None


def wrong_amount(ctx: Ctx, campaign: Campaign) -> Reply:
    """Refused; by SMS the next bare amount is taken as a new try (handlers/slip.py follow_up)."""
    sms = ctx.t("sms.reply.wrong_amount", fee=number(campaign.fee_total, ctx.lang))
    fee = rials_and_toman(ctx, campaign.fee_total)
    return Reply(ctx.t("receipts.wrong_amount", fee=fee), sms_text=sms, payload={REFUSED: True})


async def submit_receipt(ctx: Ctx, *, tracking: str, amount: str, file: SlipFile | None) -> Reply:
    """Record a slip for the linked national (bot: with its file; SMS: file=None)."""
    if ctx.national is None:
        return link_first(ctx)
    tracking_no, rials = parse_tracking(tracking), parse_amount(amount)
    seen = tracking_no and await store.own_receipt(ctx.session, ctx.national.id, tracking_no)
    if seen and seen.state != "rejected":
        return Reply(ctx.t("receipts.already", code=seen.code))  # the same slip sent again
    found = await store.payable_application(ctx.session, ctx.national.id)
    if found is None:
        return Reply(ctx.t("receipts.no_application"))
    app, campaign = found
    if tracking_no is None:
        return Reply(ctx.t("receipts.bad_tracking"))
    if rials != campaign.fee_total:
        return wrong_amount(ctx, campaign)
    flags = [] if file is not None else ["no_image"]
    if file is not None:
        if not file.path and (error := await stage(ctx, file)):
            return Reply(ctx.t(error))
        final = f"receipts/{file.sha256}.{file.ext}"
        if not await asyncio.to_thread(_move, ctx.rt.settings.files_dir, file.path, final):
            return Reply(ctx.t("receipts.send_again"))
        file.path = final
    sha = file.sha256 if file else ""
    flags += await store.duplicate_flags(ctx.session, ctx.national.id, tracking_no, sha)
    receipt = await store.add_receipt(
        ctx.session, app, tracking=tracking_no, amount=rials, year=jalali_year(ctx.today),
        file_path=file.path if file else "", sha256=sha, mime=file.mime if file else "",
        size=file.size if file else 0, flags=flags, now=ctx.now,
    )  # fmt: skip
    activity.record(ctx.session, "receipt", ctx.national.id)
    flagged = {"duplicate_tracking", "duplicate_file"} & set(flags)
    if flagged:
        sms = ctx.t("sms.reply.recorded_flagged", code=receipt.code)
        return Reply(ctx.t("receipts.recorded_flagged", code=receipt.code), sms_text=sms)
    return Reply(ctx.t("receipts.recorded", code=receipt.code))
