"""Staff-editable data files under handlers/data/, read lazily once per path and cached."""

from __future__ import annotations

import asyncio
import functools
import tomllib
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data")


@functools.cache
def load_toml(path: Path) -> dict[str, Any]:
    """The parsed file; first use reads it (a few KB), later uses hit the cache."""
    with path.open("rb") as fh:
        return tomllib.load(fh)


async def preload(*paths: Path) -> None:
    """Warm the cache off the event loop; no paths means every file in handlers/data/."""
    for path in paths or tuple(sorted(DATA.glob("*.toml"))):
        await asyncio.to_thread(load_toml, path)
