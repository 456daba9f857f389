"""deploy/: the Dockerfile's steps run in a clean virtual environment (no Docker engine runs on
these machines), then its CMD and HEALTHCHECK against the installed service; the systemd units
and the nginx site name commands and routes that exist.

The Dockerfile test installs the project from scratch with pip (about a minute here; wheels come
from pip's configured index). It runs in the SQLite pass of `make test` only; deselect it with
`-m "not deploy"`.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.health import install_health_routes
from bot.metrics_route import install_metrics_routes
from bot.server import init_app
from handlers.runtime import Runtime
from sms.inbound import install_sms_routes
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        name, _, args = full.partition(" ")
        out.append((name.upper(), args.strip()))
    return out


def _env_pairs(args: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in shlex.split(args))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.deploy
@pytest.mark.skipif(bool(PG_URL), reason="the same in both passes: run in the SQLite one")
def test_dockerfile_steps_build_a_service_that_answers(tmp_path: Path) -> None:
    image = tmp_path / "image"  # stands for the container's file system
    image.mkdir()

    def inside(path: str) -> Path:
        return image / path.lstrip("/")

    def rewrite(command: str) -> str:  # absolute paths of the image, inside the stand-in
        return re.sub(r"(?<![\w.])/(opt|src|var/lib)(?=/|\b)", lambda m: f"{image}/{m[1]}",
                      command)  # fmt: skip

    bin_dir = tmp_path / "bin"  # `python` is the base image's interpreter: this one's
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(getattr(sys, "_base_executable", sys.executable))
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE"):
        if key in os.environ:
            env[key] = os.environ[key]
    cwd, skipped, cmd, health = image, [], None, None
    for name, args in instructions(DEPLOY / "Dockerfile"):
        if name == "WORKDIR":
            cwd = inside(args)
            cwd.mkdir(parents=True, exist_ok=True)
        elif name == "COPY":
            *sources, dest = shlex.split(args)
            target = cwd / dest if not dest.startswith("/") else inside(dest)
            for src in sources:
                origin = ROOT / src
                if origin.is_dir():
                    shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(origin, target / origin.name)
        elif name == "ENV":
            for k, v in _env_pairs(args).items():
                env[k] = rewrite(v.replace("$PATH", env["PATH"]))
        elif name == "RUN":
            if "apt-get" in args:  # root and Debian's packages: not in a test
                skipped.append(args.split()[0:2])
                continue
            done = subprocess.run(["sh", "-c", rewrite(args)], cwd=cwd, env=env,
                                  capture_output=True, text=True, timeout=900)  # fmt: skip
            assert done.returncode == 0, done.stderr[-3000:]
        elif name == "CMD":
            cmd = json.loads(args)
        elif name == "HEALTHCHECK":
            health = json.loads(args.split("CMD", 1)[1])
    assert skipped == [["apt-get", "update"]]  # the one step left out, on purpose
    assert cmd is not None and health is not None
    amayesh = inside("/opt/amayesh/bin/amayesh")
    assert amayesh.is_file()
    # The installed package is the one built from the copied sources, not this checkout.
    where = subprocess.run([str(inside("/opt/amayesh/bin/python")), "-c",
                            "import bot; print(bot.__file__)"], capture_output=True, text=True,
                           cwd=tmp_path, env=env, check=True)  # fmt: skip
    assert where.stdout.startswith(str(image / "opt" / "amayesh"))

    port = _free_port()
    env |= {"AMAYESH_HTTP_PORT": str(port), "AMAYESH_HTTP_HOST": "127.0.0.1",
            "AMAYESH_DATABASE_URL": f"sqlite+aiosqlite:///{cwd}/amayesh.db"}  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        probe = [health[0], health[1], health[2].replace("8080", str(port))]
        for _ in range(100):
            if subprocess.run(probe, env=env, capture_output=True).returncode == 0:
                break
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            time.sleep(0.2)
        else:
            pytest.fail("the HEALTHCHECK never passed")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as resp:
            body = json.load(resp)
        assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0


def _unit(path: Path) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read(path)
    return cp


def _amayesh_args(command: str) -> list[str]:
    words = shlex.split(re.sub(r"\$\([^)]*\)", "X", command))  # $(date …) stands for a word
    words = words[words.index("-c") + 1 :] if "-c" in words else words
    words = shlex.split(" ".join(words)) if len(words) == 1 else words
    start = next(i for i, w in enumerate(words) if w.endswith("/amayesh"))
    return words[start + 1 :]


@pytest.mark.parametrize(
    ("unit", "command"),
    [("amayesh.service", ["run"]), ("amayesh-worker@.service", ["worker"]),
     ("amayesh-backup.service", ["backup"])],
)  # fmt: skip
def test_systemd_units_run_real_commands(unit: str, command: list[str]) -> None:
    cp = _unit(DEPLOY / "systemd" / unit)
    service = cp["Service"]
    assert service["User"] == "amayesh" and service["EnvironmentFile"] == "/etc/amayesh/amayesh.env"
    args = _amayesh_args(service["ExecStart"])
    assert args[: len(command)] == command
    build_parser().parse_args(args)  # the CLI knows it (exits on an unknown command)
    if unit != "amayesh-backup.service":
        assert service["Restart"] == "on-failure"
    if "ExecStartPre" in service:
        assert _amayesh_args(service["ExecStartPre"]) == ["db", "upgrade"]


async def test_nginx_site_proxies_the_service_routes(rt: Runtime) -> None:
    conf = (DEPLOY / "nginx" / "amayesh.conf").read_text()
    locations = re.findall(r"location\s+(?:=\s+|~\s+)?(\S+)\s*\{", conf)
    # The routes `amayesh run` serves (bot/service.py), less the webhook (needs a bot).
    app = init_app(rt, [install_sms_routes, install_health_routes, install_metrics_routes])
    routes = {r.resource.canonical for r in app.router.routes() if r.resource is not None}
    for prefix in ("/sms/inbound/", "/sms/status/"):
        assert prefix in locations and any(r.startswith(prefix) for r in routes)
    assert "/telegram/webhook" in locations and "/staff/" in locations
    assert "^/(healthz|readyz|metrics)$" in locations
    assert {"/healthz", "/readyz", "/metrics"} <= routes
    assert "ssl_certificate " in conf and "listen 443 ssl" in conf


def test_compose_runs_the_image_beside_postgresql() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    assert "image: postgres:15" in text and "dockerfile: deploy/Dockerfile" in text
    assert "condition: service_healthy" in text and '"127.0.0.1:8080:8080"' in text
    assert 'command: ["amayesh", "worker"]' in text
