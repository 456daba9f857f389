"""Logs: one line per event, JSON with AMAYESH_LOG_FORMAT=json, extras as fields; a filter
added to the handler (redaction) composes with either formatter."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.logs import format_from_env, setup_logging


@pytest.fixture
def restore_root():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for h in root.handlers[:]:
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


def test_json_lines_carry_the_ids_and_one_line_per_event(restore_root) -> None:
    out = io.StringIO()
    handler = setup_logging(fmt="json", stream=out, force=True)
    assert handler is not None
    log = logging.getLogger("bot.worker")
    log.info("sent %d rows", 3, extra={"outbox_id": 17, "update_id": 900})
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        log.exception("sending failed")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "sent 3 rows" and first["level"] == "INFO"
    assert first["logger"] == "bot.worker" and first["outbox_id"] == 17
    assert first["update_id"] == 900 and first["ts"].endswith("+00:00")
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exc"]


def test_text_lines_and_a_filter_that_composes(restore_root) -> None:
    out = io.StringIO()
    handler = setup_logging(fmt="text", stream=out, force=True)
    assert handler is not None

    class Redact(logging.Filter):  # what the redaction filter of issue 11 does, in miniature
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg = str(record.msg).replace("SECRET", "***")
            return True

    handler.addFilter(Redact())
    logging.getLogger("x").warning("token SECRET\nnext", extra={"outbox_id": 5})
    line = out.getvalue()
    assert line.count("\n") == 1 and "SECRET" not in line
    assert "WARNING x: token ***\\nnext outbox_id=5" in line
    handler.setFormatter(logging.Formatter())  # swap formats: the filter stays
    assert handler.filters


def test_format_comes_from_the_environment_or_dotenv(monkeypatch, tmp_path) -> None:
    assert format_from_env() == "text"
    (tmp_path / ".env").write_text("AMAYESH_LOG_FORMAT=json\n")
    assert format_from_env() == "json"
    monkeypatch.setenv("AMAYESH_LOG_FORMAT", "text")
    assert format_from_env() == "text"


def test_amayesh_run_logs_json_lines(tmp_path) -> None:
    """The real service as a process: every line it logs is one JSON object."""
    import os
    import signal
    import subprocess
    import sys
    import time

    db = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    env = {**os.environ, "AMAYESH_DATABASE_URL": db, "AMAYESH_HTTP_PORT": "0",
           "AMAYESH_LOG_FORMAT": "json", "AMAYESH_FILES_DIR": str(tmp_path / "files")}  # fmt: skip
    env.pop("AMAYESH_TEST_DATABASE_URL", None)
    cli = [sys.executable, "-m", "bot.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, cwd=tmp_path, check=True,
                   capture_output=True)  # fmt: skip
    proc = subprocess.Popen([*cli, "run"], env=env, cwd=tmp_path, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            lines.append(line)
            if "worker" in line and "delivering" in line:
                break
    finally:
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=30)
    lines += rest.splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    assert any(r["message"].startswith("listening on") for r in records)
    assert all({"ts", "level", "logger", "message"} <= set(r) for r in records)
    assert proc.returncode == 0
