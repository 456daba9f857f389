"""Names vulture reports as unused that something outside our code reads (`make lint`).

Each entry says who reads it. Route handlers (aiohttp's `@routes.get/post`) and pydantic
validators (`@field_validator`) are left out by `ignore_decorators` in pyproject.toml instead.
A new entry needs the same: a caller vulture cannot see, not code nobody calls. mypy checks
this file too (pyproject.toml), so an entry whose name was renamed or removed fails the lint.
"""

from bot.aiohttp_request import AiohttpRequest
from bot.console.web import Who
from handlers.settings import Settings
from storage.models import Broadcast, Complaint, Contact, National, Outage, Receipt
from storage.models.base import Base, UTCDateTime
from storage.registry import ImportCounts


class _AnyObject:
    """`_.name` marks an argument or attribute name that belongs to no one class of ours."""

    def __getattr__(self, name: str) -> object:
        return None


_ = _AnyObject()

# python-telegram-bot calls BaseRequest.do_request with every timeout by keyword; ours reads
# only read_timeout (the rest are the aiohttp session's own).
AiohttpRequest.do_request
_.write_timeout
_.connect_timeout
_.pool_timeout

# pydantic: the settings class's configuration, and the first argument of its class-method
# validators; log_format validates AMAYESH_LOG_FORMAT at start (bot/logs.py reads it earlier).
Settings.model_config
Settings.log_format
_.cls

# SQLAlchemy: the declarative base's type map and TypeDecorator's hooks and switches.
Base.type_annotation_map
UTCDateTime.impl
UTCDateTime.cache_ok
UTCDateTime.process_bind_param
UTCDateTime.process_result_value

# SQLAlchemy columns written here and read in SQL, by the console's templates or by exports
# (dropping one is a migration, not a clean-up).
Receipt.size_bytes
Receipt.reviewer
Complaint.closed_at
Broadcast.created_by
Broadcast.started_at
Broadcast.finished_at
Outage.created_by
National.unique_code
National.father_name
Contact.unreachable_reason

# Alembic reads each migration's revision links and calls downgrade().
_.down_revision
_.branch_labels
_.depends_on
_.downgrade

# Jinja templates (bot/console/templates) read these.
Who.may
_.contacts  # storage.console_search.File's, a dataclass field (no class attribute to name)

# Read as a whole by vars() for the import's audit record (bot/cli_admin.py).
ImportCounts.updated
ImportCounts.rejected

# Set on objects a library reads: tarfile (TarInfo.mode), argparse (a sub-parser group's
# required), openpyxl (a sheet view's rightToLeft), Python itself (a generated method's
# __qualname__, for reprs and tracebacks).
_.mode
_.required
_.rightToLeft
_.__qualname__
