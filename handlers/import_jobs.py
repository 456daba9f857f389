"""An import applied in the background with its progress: what a 100,000-row registry file
needs in the browser (tens of seconds of upserts) without holding a request open.

The rows go through storage.registry.upsert_nationals, the CLI's own function, a slice at a
time inside one transaction, so the figures move as the slices land and the file still
applies whole or not at all (the CLI's all-or-nothing). The other importers (statuses,
appointments, registrations) are one call each, so their bar goes from nothing to done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.registry import ImportCounts, upsert_nationals

SLICE = 5000  # rows between two progress figures: ~20 steps for 100,000 rows


@dataclass
class Progress:
    """One apply in flight: `state` is reading | applying | done | failed."""

    kind: str
    state: str = "reading"
    total: int = 0
    done: int = 0
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


async def upsert_with_progress(
    session: AsyncSession, rows: Sequence[dict[str, Any]], progress: Progress, step: int = SLICE
) -> ImportCounts:
    """upsert_nationals over slices of `rows`, the figures summed and `progress` moved."""
    progress.state, progress.total, progress.done = "applying", len(rows), 0
    total = ImportCounts()
    for start in range(0, len(rows), step):
        part = rows[start : start + step]
        got = await upsert_nationals(session, part)
        total.inserted += got.inserted
        total.updated += got.updated
        total.unchanged += got.unchanged
        progress.done += len(part)
    return total
