"""The staff web console under /staff/: server-rendered pages over the same feature functions
as the bot and the CLI (handlers/), so no rule has a second copy here."""

from bot.console.app import console_app
from bot.console.web import PREFIX

__all__ = ["PREFIX", "console_app"]
