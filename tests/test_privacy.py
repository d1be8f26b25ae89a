"""Privacy: a whole run attempts no network access and leaks no transcript text."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Runs the real CLI with an audit hook that records and blocks every DNS lookup and every
# connect to an internet address: telemetry that fails quietly is caught too.
_GUARDED_RUN = """
import socket, sys
attempts = []
def guard(event, args):
    if event == "socket.getaddrinfo" or (
        event == "socket.connect" and args[0].family in (socket.AF_INET, socket.AF_INET6)
    ):
        attempts.append(f"{event} {args[1:]!r}"[:200])
        raise OSError("network access blocked by test")
sys.addaudithook(guard)
from transcribe.cli import main
code = main(sys.argv[1:])
print("NETWORK-ATTEMPTS:", len(attempts), attempts[:5], file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.slow
def test_a_full_run_with_pseudonymization_makes_no_network_attempt(sample_wav, tmp_path, model_home):
    """Transcription, then Presidio with spaCy NER and every hand-off format."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "PYANNOTE_", "DO_NOT_TRACK"))}
    env["TRANSCRIBE_HOME"] = str(model_home)
    (tmp_path / "key.yaml").write_text("people: [Diane, Sheila]\n")
    result = subprocess.run(
        [sys.executable, "-c", _GUARDED_RUN, "run", str(sample_wav), "-o", str(tmp_path), "--quiet",
         "--study", "calls", "--pseudonymize", "--key", str(tmp_path / "key.yaml")],
        capture_output=True, text=True, env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "NETWORK-ATTEMPTS: 0 []" in result.stderr, result.stderr
    assert json.loads((tmp_path / "calls" / "restricted" / "raw" / "sample.json").read_text())["segments"]
    assert (tmp_path / "calls" / "handoff" / "calls.qdpx").exists()
    # what the CLI prints is a summary: no transcript text or name on the terminal or in logs
    for said in ("Chicago", "Diane", "Sheila", "Jersey"):
        assert said not in result.stdout + result.stderr


@pytest.mark.parametrize("module", ["transcribe.pipeline", "transcribe.cli"])
def test_telemetry_is_off_after_importing_the_library(module):
    """The library is safe by default for every caller (a flow imports the pipeline, not the CLI)."""
    code = (
        f"import {module}, os\n"
        "from pyannote.audio.telemetry.metrics import is_metrics_enabled\n"
        "print(is_metrics_enabled(), os.environ['HF_HUB_OFFLINE'], os.environ['HF_HUB_DISABLE_TELEMETRY'])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "PYANNOTE_"))}
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, env=env)
    assert result.stdout.split() == ["False", "1", "1"], result.stderr


# A flow run under the same guard, loopback excepted (the flow talks to its own Prefect
# server on this machine); the server's database is then searched for what was said.
_GUARDED_FLOW = """
import ipaddress, json, socket, sys
attempts = []
def loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
def guard(event, args):
    if event == "socket.getaddrinfo" and not loopback(args[0]) or (
        event == "socket.connect" and args[0].family in (socket.AF_INET, socket.AF_INET6) and not loopback(args[1][0])
    ):
        attempts.append(f"{event} {args[1:]!r}"[:200])
        raise OSError("network access blocked by test")
sys.addaudithook(guard)
sys.path.insert(0, sys.argv[1])
from flows.interviews import Options, transcribe_one
from prefect.testing.utilities import prefect_test_harness
from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL
with prefect_test_harness(server_startup_timeout=120):
    state = transcribe_one("call.wav", Options(**json.loads(sys.argv[2])), return_state=True)
    database = PREFECT_SERVER_DATABASE_CONNECTION_URL.value()
    print("STATE:", state.type.value, state.message, file=sys.stderr)
    print("DATABASE:", database, file=sys.stderr)
    import sqlite3
    path = database.split("///", 1)[1]
    rows = sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    dump = []
    connection = sqlite3.connect(path)
    for (table,) in rows:
        dump += [repr(row) for row in connection.execute(f'SELECT * FROM "{table}"')]
    open(sys.argv[3], "w").write("\\n".join(dump))
print("NETWORK-ATTEMPTS:", len(attempts), attempts[:5], file=sys.stderr)
"""


@pytest.mark.slow
def test_a_flow_run_reaches_only_its_own_prefect_server_and_leaves_no_text_there(sample_wav, tmp_path, model_home):
    """The single-file flow with pseudonymization: no connection beyond loopback, and
    neither the names nor the transcript's words in the Prefect database or the logs."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "PYANNOTE_", "DO_NOT_TRACK", "PREFECT_"))}
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "call.wav").write_bytes(sample_wav.read_bytes())
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "key.yaml").write_text("people: [Diane, Sheila]\n")
    env.update(TRANSCRIBE_HOME=str(model_home), TRANSCRIBE_AUDIO_ROOT=str(tmp_path / "audio"), TRANSCRIBE_TRANSCRIPTS_ROOT=str(tmp_path / "transcripts"))
    options = {"model": "tiny.en", "device": "cpu", "languages": ["en"], "study": "s1", "pseudonymize": True, "key": "key.yaml"}
    dump = tmp_path / "database.txt"
    result = subprocess.run(
        [sys.executable, "-c", _GUARDED_FLOW, str(root), json.dumps(options), str(dump)], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "STATE: COMPLETED" in result.stderr, result.stderr[-3000:]
    assert "NETWORK-ATTEMPTS: 0 []" in result.stderr, result.stderr[-3000:]
    raw = json.loads((tmp_path / "transcripts" / "s1" / "restricted" / "raw" / "call.json").read_text())
    phrases = [" ".join(s["text"].split()[:4]) for s in raw["segments"] if len(s["text"].split()) >= 4]
    assert len(phrases) > 3  # the raw transcript has text to look for
    database = dump.read_text()
    assert "transcribe-report" in database and "call.wav" in database  # the report and the run are there
    for said in ("Chicago", "Diane", "Sheila", "Jersey", *phrases):
        assert said not in database and said not in result.stdout + result.stderr, said
