"""The Prefect deployments, end to end with real parts: a Prefect server (SQLite) and
process workers as subprocesses, `prefect deploy --all` from a copy of the project, runs
triggered through the API the way the UI's "Custom run" form does, Whisper tiny.en on a CPU.

A single recording is transcribed, pseudonymized and handed off, and afterwards neither
Prefect's database nor the server's or the worker's log holds a name or a word of the
interview. A batch spread over two machines is shared by two workers on one pool, each
recording transcribed exactly once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PREFECT = str(BIN / "prefect") if (BIN / "prefect").exists() else str(ROOT / ".venv" / "bin" / "prefect")
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
NAMES = ("Diane", "Sheila")  # the study key's people, spoken in the call
SPOKEN = ("Chicago", "Jersey", "Texas", "Yankee")  # places and words the call has


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM to the process group (a worker's flow-run processes included), then SIGKILL."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(10)


class Prefect:
    """A real Prefect server on a free port with its own home and SQLite database, and
    the process workers started against it; everything stopped by `stop()`."""

    def __init__(self, base: Path):
        self.base = base
        self.home = base / "prefect-home"
        self.home.mkdir()
        self.db = base / "prefect.db"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.logs: dict[str, Path] = {}
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        for name in ("TRANSCRIBE_AUDIO_ROOT", "TRANSCRIBE_TRANSCRIPTS_ROOT"):
            self.env.pop(name, None)
        self.env.update(
            PREFECT_HOME=str(self.home),
            PREFECT_API_URL=self.url,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{self.db}",
            PREFECT_UI_ENABLED="false",
            PREFECT_WORKER_QUERY_SECONDS="2",
            PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="2",  # the nightly run is planned within seconds
            DO_NOT_TRACK="1",
        )
        self.api = httpx.Client(base_url=self.url, timeout=30)

    def _spawn(self, name: str, args: list[str], cwd: Path, **env) -> subprocess.Popen:
        log = self.base / f"{name}.log"
        self.logs[name] = log
        with open(log, "wb") as out:
            process = subprocess.Popen(
                args, cwd=cwd, env={**self.env, **env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append((name, process))
        return process

    def start_server(self) -> None:
        server = self._spawn("server", [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(self.port)], self.base)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert server.poll() is None, f"the server exited:\n{self.logs['server'].read_text()[-3000:]}"
            try:
                if self.api.get("/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        pytest.fail(f"the Prefect server did not answer /api/health:\n{self.logs['server'].read_text()[-3000:]}")

    def cli(self, *args: str, cwd: Path, timeout: float = 300) -> str:
        result = subprocess.run(
            [PREFECT, *args], cwd=cwd, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        assert result.returncode == 0, f"prefect {' '.join(args)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result.stdout + result.stderr

    def start_worker(self, name: str, model_home: Path, cwd: Path) -> subprocess.Popen:
        return self._spawn(
            name,
            [PREFECT, "worker", "start", "--pool", "transcribe", "--limit", "1", "--name", name, "--type", "process"],
            cwd,
            TRANSCRIBE_HOME=str(model_home),
        )

    def deployment(self, flow: str, name: str) -> dict:
        response = self.api.get(f"/deployments/name/{flow}/{name}")
        assert response.status_code == 200, response.text
        return response.json()

    def run(self, deployment: dict, parameters: dict) -> dict:
        """What the UI's Custom run form does: a flow run of the deployment with these parameters."""
        response = self.api.post(f"/deployments/{deployment['id']}/create_flow_run", json={"parameters": parameters})
        assert response.status_code in (200, 201), response.text
        return response.json()

    def flow_run(self, run_id: str) -> dict:
        return self.api.get(f"/flow_runs/{run_id}").json()

    def children(self, run_id: str) -> list[dict]:
        response = self.api.post("/flow_runs/filter", json={"flow_runs": {"parent_flow_run_id": {"any_": [run_id]}}})
        return response.json()

    def scheduled(self, deployment_id: str) -> list[dict]:
        response = self.api.post(
            "/flow_runs/filter",
            json={"flow_runs": {"deployment_id": {"any_": [deployment_id]}, "state": {"type": {"any_": ["SCHEDULED"]}}}},
        )
        return response.json()

    def task_runs(self, run_ids: list[str]) -> list[dict]:
        response = self.api.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": run_ids}}, "limit": 200})
        return response.json()

    def wait(self, run_id: str, timeout: float, children_may_wait_for: float | None = None) -> dict:
        """The flow run once final. With `children_may_wait_for`, fail as soon as a child run
        has waited that long for its deployment's concurrency slot (it would never get one)."""
        deadline = time.monotonic() + timeout
        waiting_since: dict[str, float] = {}
        while time.monotonic() < deadline:
            for name, process in self.processes:
                assert process.poll() is None, f"{name} exited:\n{self.logs[name].read_text()[-3000:]}"
            run = self.flow_run(run_id)
            if run["state_type"] in FINAL:
                return run
            if children_may_wait_for is not None:
                for child in self.children(run_id):
                    if child["state_name"] == "AwaitingConcurrencySlot":
                        since = waiting_since.setdefault(child["id"], time.monotonic())
                        if time.monotonic() - since > children_may_wait_for:
                            pytest.fail(
                                f"deadlock: child run {child['name']} of the batch has waited {children_may_wait_for} s "
                                "for a concurrency slot of its deployment, which its parent run holds"
                            )
            time.sleep(2)
        pytest.fail(f"flow run {run_id} not final after {timeout} s: {self.flow_run(run_id)['state']}\n{self.tail()}")

    def tail(self) -> str:
        return "\n".join(f"--- {name}.log\n{log.read_text(errors='replace')[-4000:]}" for name, log in self.logs.items())

    def stop(self) -> None:
        self.api.close()
        for _name, process in reversed(self.processes):  # workers first, the server last
            _stop(process)


@pytest.fixture
def prefect(tmp_path):
    server = Prefect(tmp_path)
    try:
        server.start_server()
        yield server
    finally:
        server.stop()


def _project(base: Path) -> Path:
    """A copy of the project as it is deployed: the flows, prefect.yaml, audio/ and transcripts/."""
    project = base / "project"
    project.mkdir()
    shutil.copytree(ROOT / "flows", project / "flows", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(ROOT / "prefect.yaml", project / "prefect.yaml")
    (project / "audio").mkdir()
    (project / "transcripts").mkdir()
    return project


def _deploy(prefect: Prefect, project: Path) -> tuple[dict, dict]:
    prefect.cli("work-pool", "create", "transcribe", "--type", "process", cwd=project)
    prefect.cli("--no-prompt", "deploy", "--all", cwd=project)
    nightly = prefect.deployment("transcribe-batch", "nightly")
    on_demand = prefect.deployment("transcribe-file", "on-demand")
    for deployment in (nightly, on_demand):
        assert deployment["work_pool_name"] == "transcribe"
        assert deployment["entrypoint"].startswith("flows/interviews.py:")
        assert deployment["pull_steps"] == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(project.resolve())}}
        ]
    [schedule] = nightly["schedules"]
    assert schedule["active"]
    assert schedule["schedule"]["cron"] == "0 2 * * *" and schedule["schedule"]["timezone"] == "Europe/Oslo"
    assert on_demand["schedules"] == []
    assert nightly["parameters"] == {"folder": ".", "machines": 1}
    # the UI's form is built from the flows' parameter schema: the options are there
    assert "options" in on_demand["parameter_openapi_schema"]["properties"]
    assert "machines" in nightly["parameter_openapi_schema"]["properties"]
    # the server's scheduler plans the nightly runs: at 02:00 in Oslo, whatever the server's zone
    deadline = time.monotonic() + 60
    while not (planned := prefect.scheduled(nightly["id"])) and time.monotonic() < deadline:
        time.sleep(1)
    assert planned, f"the scheduler made no run of the nightly schedule\n{prefect.logs['server'].read_text()[-3000:]}"
    for run in planned:
        at = datetime.fromisoformat(run["expected_start_time"].replace("Z", "+00:00")).astimezone(ZoneInfo("Europe/Oslo"))
        assert (at.hour, at.minute) == (2, 0), at
    return nightly, on_demand


def _table(data):
    """A table artifact's rows (Prefect keeps them as a JSON string)."""
    return json.loads(data) if isinstance(data, str) else data


def _searchable(prefect: Prefect) -> dict[str, bytes]:
    """Everything Prefect kept: the database's files (raw bytes, so freed pages count too),
    and the server's and the workers' logs."""
    places = {p.name: p.read_bytes() for p in prefect.base.glob("prefect.db*") if p.is_file()}
    places |= {log.name: log.read_bytes() for log in prefect.logs.values()}
    return places


@pytest.mark.slow
def test_on_demand_run_keeps_the_call_out_of_prefect(prefect, tmp_path, sample_wav, model_home):
    project = _project(tmp_path)
    shutil.copyfile(sample_wav, project / "audio" / "call01.wav")
    (project / "transcripts" / "s1-key.yaml").write_text("people: [Diane, Sheila]\n")
    _nightly, on_demand = _deploy(prefect, project)
    prefect.start_worker("worker", model_home, tmp_path)

    parameters = {
        "recording": "call01.wav",
        "options": {"model": "tiny.en", "languages": ["en"], "device": "cpu", "study": "s1", "pseudonymize": True, "key": "s1-key.yaml"},
    }
    run = prefect.wait(prefect.run(on_demand, parameters)["id"], timeout=420)
    assert run["state_type"] == "COMPLETED", f"{run['state']}\n{prefect.tail()}"
    assert run["state"]["message"] == "1 transcribed"

    raw = json.loads((project / "transcripts" / "s1" / "restricted" / "raw" / "call01.json").read_text())
    assert raw["segments"] and raw["recording"]["sha256"] == hashlib.sha256((project / "audio" / "call01.wav").read_bytes()).hexdigest()
    [handed] = sorted((project / "transcripts" / "s1" / "handoff").glob("*.json"))
    handed_text = handed.read_text()
    assert json.loads(handed_text)["segments"]

    text = " ".join(segment["text"] for segment in raw["segments"])
    for name in NAMES:
        assert name in text  # what the search below looks for is really in the call
        assert name not in handed_text
    spoken = [word for word in SPOKEN if word in text]
    assert len(spoken) >= 2, text
    longest = max((segment["text"] for segment in raw["segments"]), key=lambda t: len(t.split()))
    phrase = " ".join(longest.split()[:4])
    assert len(phrase.split()) == 4, longest

    artifacts = prefect.api.post("/artifacts/filter", json={"artifacts": {"key": {"any_": ["transcribe-report"]}}}).json()
    assert [a["flow_run_id"] for a in artifacts] == [run["id"]]
    [row] = _table(artifacts[0]["data"])
    assert row["file"] == "call01.wav" and row["status"] == "transcribed" and row["handed_off_as"] == handed.stem

    prefect.stop()  # the server and the worker, so the database and the logs are complete
    with sqlite3.connect(prefect.db) as db:
        stored = db.execute("SELECT data FROM artifact WHERE key = 'transcribe-report'").fetchall()
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        logged = db.execute("SELECT count(*) FROM log WHERE flow_run_id = ?", (run["id"],)).fetchone()[0]
    assert len(stored) == 1 and "log" in tables and logged > 0  # the run's logs did reach the database
    [stored_row] = _table(json.loads(stored[0][0]))
    assert set(stored_row) == {"file", "status", "duration", "language", "speakers", "seconds", "warnings", "handed_off_as", "error", "model", "other_settings"}

    places = _searchable(prefect)
    assert {"prefect.db", "server.log", "worker.log"} <= set(places)
    # the search finds what is there: the progress lines name the file, in the log and the database
    assert b"call01.wav" in places["worker.log"] and b"call01.wav" in places["prefect.db"] + places.get("prefect.db-wal", b"")
    for said in (*NAMES, *spoken, phrase):
        for place, data in places.items():
            assert said.lower().encode() not in data.lower(), f"{said!r} is in {place}"


def _clip(source: Path, target: Path, start: float, end: float) -> Path:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-ss", str(start), "-to", str(end), "-c:a", "pcm_s16le", str(target)],
        check=True,
    )
    return target


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_two_workers_share_a_batch_each_file_once(prefect, tmp_path, sample_wav, model_home):
    project = _project(tmp_path)
    clips = [
        _clip(sample_wav, project / "audio" / name, start, end)
        for name, start, end in (("a.wav", 6, 16), ("b.wav", 13, 23), ("c.wav", 20, 30))
    ]
    assert len({_sha256(c) for c in clips}) == 3
    nightly, _on_demand = _deploy(prefect, project)
    for name in ("worker-a", "worker-b"):
        prefect.start_worker(name, model_home, tmp_path)

    options = {"model": "tiny.en", "device": "cpu", "diarization": "none", "languages": ["en"]}
    parent_id = prefect.run(nightly, {"machines": 2, "options": options})["id"]
    parent = prefect.wait(parent_id, timeout=480, children_may_wait_for=60)
    children = prefect.children(parent_id)
    assert parent["state_type"] == "COMPLETED", f"{parent['state']}\n{prefect.tail()}"
    assert parent["state"]["message"] == "3 transcribed"
    assert children and all(c["state_type"] == "COMPLETED" for c in children), [c["state"] for c in children]

    # every recording has exactly one transcript, of its own content
    transcripts = sorted((project / "transcripts").glob("*.json"))
    assert [t.stem for t in transcripts] == ["a", "b", "c"]
    for clip, transcript in zip(clips, transcripts):
        data = json.loads(transcript.read_text())
        assert data["recording"]["sha256"] == _sha256(clip) and data["segments"]

    # each recording transcribed once: one transcribe task run per recording, none retried,
    # and the children's shares of the batch disjoint
    runs = [parent, *children]
    run_ids = [r["id"] for r in runs]
    by_run: dict[str, int] = {}
    for task_run in prefect.task_runs(run_ids):
        if task_run["name"].startswith("transcribe-"):
            assert task_run["state_type"] == "COMPLETED" and task_run["run_count"] == 1, task_run["state"]
            by_run[task_run["flow_run_id"]] = by_run.get(task_run["flow_run_id"], 0) + 1
    assert sum(by_run.values()) == 3, by_run
    deadline = time.monotonic() + 30  # the server stores logs a moment after a run ends
    while True:
        logs = prefect.api.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": run_ids}}, "limit": 200}).json()
        finished = [m.group(1) for log in logs if (m := re.fullmatch(r"(\S+): transcription 100%", log["message"]))]
        if sorted(finished) == ["a.wav", "b.wav", "c.wav"] or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert sorted(finished) == ["a.wav", "b.wav", "c.wav"], [log["message"] for log in logs]
    shares = [f for child in children for f in child["parameters"]["files"]]
    assert len(shares) == len(set(shares)) and set(shares) <= {"a.wav", "b.wav", "c.wav"}, shares

    # the runs that transcribed were executed by both workers
    submitted_by = {}
    for name in ("worker-a", "worker-b"):
        log = prefect.logs[name].read_text(errors="replace")
        for run in runs:
            if re.search(rf"Flow run '{re.escape(run['name'])}' submitted to infrastructure", log):
                submitted_by.setdefault(run["id"], set()).add(name)
    assert all(len(workers) == 1 for workers in submitted_by.values()), submitted_by
    assert set(submitted_by) == {r["id"] for r in runs}, (submitted_by, prefect.tail())
    workers_that_transcribed = {next(iter(submitted_by[run_id])) for run_id in by_run}
    assert workers_that_transcribed == {"worker-a", "worker-b"}, (
        f"transcribed by {workers_that_transcribed} only; runs per worker: {submitted_by}, transcribe tasks per run: {by_run}"
    )
