"""What a reviewer is shown of a deposit slip: the stored original when Telegram takes it as a
photo; else a downscaled JPEG copy (the original stays on disk untouched); a PDF as a rendered
image of its first pages, so a staff chat never receives a PDF with its scripts, forms or links.

Blocking work (Pillow, PDFium): call `review_copy` in a thread. PDFium is not thread-safe, so
renders are serialised by one lock; PDFium here loads no form environment, so no JavaScript runs.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

# Telegram's sendPhoto limits (Bot API docs): at most 10 MB, width + height at most 10000,
# width/height ratio at most 20.
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SUM = 10_000
PHOTO_MAX_RATIO = 20
REVIEW_SIDE = 2560  # the longest side of a review copy: a slip stays readable
PDF_PAGES = 3  # the pages shown; a deposit slip is one page, a scan may add a cover
# Decoding more pixels than this takes hundreds of MB: such a file gets no preview (staff see
# the figures and are told the file is kept), instead of a process that runs out of memory.
MAX_PIXELS = 60_000_000
_PDF_LOCK = threading.Lock()


@dataclass(frozen=True)
class ReviewCopy:
    data: bytes
    filename: str
    note: str | None  # a catalog key naming what was done to it (None: the original)


def fits_photo(width: int, height: int, size: int) -> bool:
    ratio = max(width, height) / max(1, min(width, height))
    return size <= PHOTO_MAX_BYTES and width + height <= PHOTO_MAX_SUM and ratio <= PHOTO_MAX_RATIO


def review_copy(path: Path, mime: str) -> ReviewCopy | None:
    """The copy to show, or None when there is nothing showable (staff get the figures)."""
    data = path.read_bytes()
    try:
        if mime == "application/pdf":
            return _pdf(data, path.stem)
        if mime.startswith("image/"):
            return _image(data, path)
    except (OSError, ValueError, Image.DecompressionBombError, pdfium.PdfiumError):
        return None  # unreadable for us too: the original is kept for a look by hand
    return None


def _image(data: bytes, path: Path) -> ReviewCopy | None:
    with Image.open(io.BytesIO(data)) as im:
        width, height = im.size
        if fits_photo(width, height, len(data)):
            return ReviewCopy(data, path.name, None)
        if width * height > MAX_PIXELS:
            return None
        im.draft("RGB", (REVIEW_SIDE, REVIEW_SIDE))  # JPEG: decode at a reduced size
        return ReviewCopy(_jpeg(im), f"{path.stem}-review.jpg", "review_copy.downscaled")


def _pdf(data: bytes, stem: str) -> ReviewCopy | None:
    with _PDF_LOCK:
        doc = pdfium.PdfDocument(data)
        try:
            pages = []
            for i in range(min(len(doc), PDF_PAGES)):
                page = doc[i]
                width, height = page.get_size()
                scale = min(3.0, 1600 / max(width, height, 1))
                pages.append(page.render(scale=scale).to_pil().convert("RGB"))
                page.close()
        finally:
            doc.close()
    if not pages:
        return None
    sheet = Image.new("RGB", (max(p.width for p in pages), sum(p.height for p in pages)), "white")
    y = 0
    for p in pages:
        sheet.paste(p, (0, y))
        y += p.height
    return ReviewCopy(_jpeg(sheet), f"{stem}-pages.jpg", "review_copy.pdf")


def _jpeg(im: Image.Image) -> bytes:
    copy = im.convert("RGB")
    copy.thumbnail((REVIEW_SIDE, REVIEW_SIDE))
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()
