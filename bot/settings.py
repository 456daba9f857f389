"""One typed settings object, read from AMAYESH_* environment variables and an optional .env."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PREFIX = "AMAYESH_"
_SECRET_PATH = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming the variable."""


class Settings(BaseSettings):
    """Every knob of the service; see the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite+aiosqlite:///./amayesh.db"
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_rate: float = Field(25.0, gt=0)
    telegram_chat_rate: float = Field(1.0, gt=0)
    telegram_flood_limit: int = Field(6, ge=1)  # updates one user gets answered per 10 s
    kavenegar_api_key: SecretStr | None = None
    kavenegar_api_url: str = "https://api.kavenegar.com"
    kavenegar_timeout: float = Field(10.0, gt=0)
    kavenegar_otp_template: str = "amayesh-otp"
    sms_sender: str | None = None
    sms_rate: float = Field(5.0, gt=0)
    sms_receive: Literal["webhook", "poll"] = "webhook"
    sms_cost_rials: int = Field(1200, ge=0)
    http_host: str = "127.0.0.1"
    http_port: int = Field(8080, ge=0, le=65535)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    inbound_secret: SecretStr | None = None
    files_dir: Path = Path("./files")
    timezone: str = "Asia/Tehran"
    quiet_hours: str = "22:00-07:00"
    default_language: str = "fa"
    worker_batch: int = Field(200, ge=1, le=1000)
    # Outbound safety (issue 11): how long sent messages' texts and payloads are kept.
    retention_days: int = Field(180, ge=1)
    # Operations (issue 16): metrics, logs, alerts.
    metrics_token: SecretStr | None = None  # empty: /metrics answers 404
    log_format: Literal["text", "json"] = "text"
    sms_credit_warn: int = Field(1_000_000, ge=0)  # rials; alert admins below this, 0 = off
    alert_failures: int = Field(50, ge=1)  # failed outbox rows in an hour that alert admins
    alert_repeat_hours: float = Field(6.0, gt=0)  # a condition that lasts alerts again after
    alert_inbox_backlog: int = Field(500, ge=0)  # unhandled updates that alert admins, 0 = off
    staff_chat_id: int | None = None  # a staff group for alerts; empty: each admin's own chat

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("database_url")
    @classmethod
    def _supported_db(cls, v: str) -> str:
        if not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return v.replace("postgresql://", "postgresql+asyncpg://", 1)

    @field_validator("webhook_secret", "inbound_secret")
    @classmethod
    def _url_safe_secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not _SECRET_PATH.match(v.get_secret_value()):
            raise ValueError("use 1-256 characters of A-Z a-z 0-9 _ -")
        return v

    @field_validator("staff_chat_id", mode="before")
    @classmethod
    def _empty_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_window(cls, v: str) -> str:
        parse_quiet_hours(v)
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def quiet(self) -> tuple[time, time] | None:
        return parse_quiet_hours(self.quiet_hours)


def parse_quiet_hours(value: str) -> tuple[time, time] | None:
    """'22:00-07:00' -> (22:00, 07:00); empty -> None (no quiet hours)."""
    if not value.strip():
        return None
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if not m:
        raise ValueError("expected HH:MM-HH:MM, e.g. 22:00-07:00")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    try:
        return time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise ValueError("hours must be 00-23 and minutes 00-59") from exc


def load_settings(**overrides: Any) -> Settings:
    """Build Settings or raise SettingsError with one line that names the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        msg = err["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{PREFIX}{field.upper()}: {msg}") from None
