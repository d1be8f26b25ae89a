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


def test_telemetry_is_off_after_import():
    code = (
        "import transcribe.cli, os\n"
        "from pyannote.audio.telemetry.metrics import is_metrics_enabled\n"
        "print(is_metrics_enabled(), os.environ['HF_HUB_OFFLINE'], os.environ['HF_HUB_DISABLE_TELEMETRY'])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "PYANNOTE_"))}
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, env=env)
    assert result.stdout.split() == ["False", "1", "1"], result.stderr
