"""README's Prefect commands, run exactly as written on a fresh Prefect home: the server,
the work pool, `deploy --all` and a worker, each through `transcribe prefect`. They all
reach the one server (no temporary server of their own), the worker starts, and no
process any of them starts tries to reach anything beyond this machine (an audit hook in
every Python process they start records each attempt)."""

from __future__ import annotations

import json
import os
import re
import shutil
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
CHROMIUM = Path("/usr/bin/chromium")

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


def wait_for(api: str, run_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = httpx.get(f"{api}/flow_runs/{run_id}").json()
        if run["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        time.sleep(2)
    pytest.fail(f"flow run {run_id} not finished after {timeout} s")


def run_from_the_form(api: str, project: Path, artifacts: Path) -> None:
    """Open the on-demand deployment's Custom run form in Chromium, fill it in as a
    researcher would (the recording as README writes it, a model and a language picked from
    their lists, the number of speakers left to the study's settings), save screenshots,
    submit, and wait for the run."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (setup.sh installs it)")
    deployment = httpx.get(f"{api}/deployments/name/transcribe-file/on-demand").json()
    ui = api.removesuffix("/api")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(f"{ui}/deployments/deployment/{deployment['id']}/run", wait_until="networkidle")

        def field(label: str):
            title = page.locator("span.schema-form-property__label", has_text=re.compile(rf"^{re.escape(label)}( \(Optional\))?$"))
            return page.locator("div.schema-form-property").filter(has=title).last.locator("fieldset").first

        def choose(label: str, choice: str) -> list[str]:
            """Open a field's list, screenshot it, pick `choice`; the choices it offered. The
            list opens from the keyboard (a click did not open it in headless Chromium)."""
            field(label).locator("button.p-select-button__control").focus()
            page.keyboard.press("ArrowDown")
            options = page.get_by_role("option")
            options.first.wait_for()
            offered = [text.strip() for text in options.all_inner_texts()]
            page.screenshot(path=str(artifacts / f"form-{label.lower()}-choices.png"), full_page=True)
            options.filter(has_text=re.compile(rf"^\s*{re.escape(choice)}\s*$")).click()
            return offered

        page.screenshot(path=str(artifacts / "form-empty.png"), full_page=True)
        field("recording").locator("textarea").fill("audio/call.wav")
        assert {"auto", "base", "tiny.en"} <= set(choose("Model", "tiny.en"))  # the installed models
        assert choose("Language", "en") == ["auto", "en", "no", "sv"]  # the study's languages
        page.screenshot(path=str(artifacts / "form-filled.png"), full_page=True)
        before = {r["id"] for r in httpx.post(f"{api}/flow_runs/filter", json={}).json()}
        page.get_by_role("button", name="Submit").click()
        deadline = time.monotonic() + 30
        while not (new := [r for r in httpx.post(f"{api}/flow_runs/filter", json={}).json() if r["id"] not in before]):
            assert time.monotonic() < deadline, "submitting the form made no flow run"
            time.sleep(1)
        browser.close()
    [run] = new
    assert run["parameters"]["recording"] == "audio/call.wav"
    options = run["parameters"]["options"]
    assert (options["model"], options["language"], options["speakers"]) == ("tiny.en", "en", 0)
    finished = wait_for(api, run["id"], 600)
    assert finished["state_type"] == "COMPLETED", finished["state"]


@pytest.mark.slow
def test_readme_prefect_commands_reach_one_local_server_and_nothing_beyond_it(tmp_path, sample_wav, model_home):
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
    artifacts = Path(os.environ.get("TRANSCRIBE_TEST_ARTIFACTS", tmp_path / "artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_API_PORT=str(port),  # a free port instead of 4200; the rest is the README's
        PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}",
        TRANSCRIBE_HOME=str(model_home),
        PREFECT_WORKER_QUERY_SECONDS="2",
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
        # The lab's settings for runs without a study: the form lists their languages, and a
        # field left at its default (speakers) takes their value.
        (project / "transcripts" / "settings.yaml").write_text("model: base\nlanguages: [en, no, sv]\nspeakers: 2\n")
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
        shutil.copy(sample_wav, project / "audio" / "call.wav")
        run_from_the_form(api, project, artifacts)
        transcript = project / "transcripts" / "call.json"
        made = transcript.read_bytes()
        settings = json.loads(made)["provenance"]["settings"]
        assert (settings["model"], settings["language"], settings["speakers"]["exact"]) == ("tiny.en", "en", 2)
        # a quick run of the nightly deployment: the settings file's, with nothing changed
        nightly = httpx.get(f"{api}/deployments/name/transcribe-batch/nightly").json()
        for _ in range(5):  # SQLite under a busy server answers 5xx at times; Prefect's own client retries those too
            response = httpx.post(f"{api}/deployments/{nightly['id']}/create_flow_run", json={}, timeout=30)
            if response.status_code < 500:
                break
            time.sleep(2)
        assert response.status_code in (200, 201), response.text
        run = response.json()
        assert wait_for(api, run["id"], 600)["state_type"] == "COMPLETED", logs["worker"].read_text()[-3000:]
        assert transcript.read_bytes() == made  # the form's choice stands
        report = httpx.post(f"{api}/artifacts/filter", json={"artifacts": {"key": {"any_": ["transcribe-report"]}}}).json()
        [row] = json.loads(max(report, key=lambda a: a["created"])["data"])
        assert (row["status"], row["model"], row["other_settings"]) == ("up to date", "tiny.en", "model tiny.en, language en")
        assert not (project / "transcripts" / "previous").exists()
        assert worker.poll() is None
    finally:
        for process in reversed(processes):
            _stop(process)
    assert attempts.read_text() == "", attempts.read_text()
    for name, log in logs.items():
        assert "telemetry" not in log.read_text().lower(), name
