"""README's Prefect commands, run exactly as written on a fresh Prefect home: the server,
the work pool, `deploy --all` and a worker, each through `transcribe prefect`. They all
reach the one server (no temporary server of their own), the worker starts, and no
process any of them starts tries to reach anything beyond this machine (an audit hook in
every Python process they start records each attempt)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from test_prefect_deployment import _free_port, _project, _stop

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
TRANSCRIBE = str(Path(sys.executable).parent / "transcribe")

# Loaded by every Python process started with this folder on PYTHONPATH: records (and
# blocks) any name lookup or connection that is not to this machine.
_GUARD = '''
import ipaddress, os, socket, sys

def _local(host):
    if host in (None, "", "localhost", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host).is_loopback
    except ValueError:
        return False

def _guard(event, args):
    if event == "socket.getaddrinfo":
        host = args[0]
    elif event == "socket.connect" and args[0].family in (socket.AF_INET, socket.AF_INET6):
        host = args[1][0]
    else:
        return
    if not _local(host):
        with open(os.environ["NETWORK_ATTEMPTS"], "a") as log:
            log.write(f"{os.getpid()} {event} {host!r} {' '.join(sys.argv)[:120]}\\n")
        raise OSError("network access outside this machine blocked by the test")

sys.addaudithook(_guard)
'''


def readme_commands() -> list[list[str]]:
    """The Prefect set-up commands of README's code block, as argument lists."""
    block = README.split("Set up once, from this folder")[1].split("```bash")[1].split("```")[0]
    return [line.split("#")[0].split() for line in block.strip().splitlines()]


def test_the_environment_points_at_this_machine_and_keeps_what_the_lab_set():
    from transcribe.prefect_setup import DEAD_PROXY, prefect_environment

    env = prefect_environment({"PATH": "/bin"}, ["worker", "start"])
    assert env["PREFECT_API_URL"] == "http://127.0.0.1:4200/api" and env["PREFECT_SERVER_API_HOST"] == "127.0.0.1"
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false" and env["DO_NOT_TRACK"] == "1"
    assert "HTTPS_PROXY" not in env  # a worker may download a model a run allows
    lab = prefect_environment({"PREFECT_API_URL": "http://gpu-server:4200/api", "PREFECT_SERVER_API_HOST": "0.0.0.0"}, ["server", "start"])
    assert lab["PREFECT_API_URL"] == "http://gpu-server:4200/api" and lab["PREFECT_SERVER_API_HOST"] == "0.0.0.0"
    assert lab["HTTPS_PROXY"] == DEAD_PROXY and "127.0.0.1" in lab["NO_PROXY"]
    assert prefect_environment({"PREFECT_SERVER_API_HOST": "0.0.0.0"})["PREFECT_API_URL"] == "http://127.0.0.1:4200/api"
    assert prefect_environment({"https_proxy": "http://proxy.lab:3128"}, ["server", "start"]).get("HTTPS_PROXY") is None


@pytest.mark.slow
def test_readme_prefect_commands_reach_one_local_server_and_nothing_beyond_it(tmp_path):
    commands = readme_commands()
    assert [c[:4] for c in commands] == [
        [".venv/bin/transcribe", "prefect", "server", "start"],
        [".venv/bin/transcribe", "prefect", "work-pool", "create"],
        [".venv/bin/transcribe", "prefect", "--no-prompt", "deploy"],
        [".venv/bin/transcribe", "prefect", "worker", "start"],
    ]
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(_GUARD)
    attempts = tmp_path / "attempts.log"
    attempts.touch()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DO_NOT_TRACK", "HF_", "PYANNOTE_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_API_PORT=str(port),  # a free port instead of 4200; the rest is the README's
        PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}",
        PREFECT_UI_ENABLED="false",
        PYTHONPATH=str(guard),
        NETWORK_ATTEMPTS=str(attempts),
    )
    project = _project(tmp_path)
    logs, processes = {}, []

    def spawn(name: str, command: list[str]) -> subprocess.Popen:
        logs[name] = tmp_path / f"{name}.log"
        with open(logs[name], "wb") as out:
            process = subprocess.Popen([TRANSCRIBE, *command[1:]], cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        processes.append(process)
        return process

    try:
        server = spawn("server", commands[0])
        api = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert server.poll() is None, logs["server"].read_text()[-3000:]
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail(f"the server did not start:\n{logs['server'].read_text()[-3000:]}")
        for command in commands[1:3]:
            result = subprocess.run([TRANSCRIBE, *command[1:]], cwd=project, env=env, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
            assert "temporary server" not in result.stdout + result.stderr
        deployments = httpx.post(f"{api}/deployments/filter", json={}).json()
        assert {d["name"] for d in deployments} >= {"nightly", "on-demand"}
        worker = spawn("worker", commands[-1])
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and "started" not in logs["worker"].read_text().lower():
            assert worker.poll() is None, logs["worker"].read_text()[-3000:]
            time.sleep(1)
        assert re.search(r"worker .* started", logs["worker"].read_text(), re.IGNORECASE), logs["worker"].read_text()[-3000:]
        time.sleep(5)  # a few polls of the work pool
        assert worker.poll() is None
    finally:
        for process in reversed(processes):
            _stop(process)
    assert attempts.read_text() == "", attempts.read_text()
    for name, log in logs.items():
        assert "telemetry" not in log.read_text().lower(), name
