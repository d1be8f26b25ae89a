"""The Prefect flows, on a real Prefect (a temporary server: `prefect_test_harness`), real
recordings and real models: the same transcript as the CLI, a batch that finishes the good
recordings and reports the bad, a second run that does nothing, a crash mid-batch after
which every transcript is complete exactly once, nothing of a transcript in Prefect."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

pytestmark = pytest.mark.slow

FAST = {"model": "tiny.en", "device": "cpu", "languages": ["en"], "diarization": "none"}


@pytest.fixture(scope="module")
def harness(model_home):
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="module")
def short_calls(tmp_path_factory, sample_wav) -> list[Path]:
    """Three different 12-second cuts of the real sample call."""
    folder = tmp_path_factory.mktemp("cuts")
    cuts = []
    for index, start in enumerate((0, 9, 18), 1):
        cut = folder / f"call{index:02d}.wav"
        subprocess.run(["ffmpeg", "-v", "error", "-ss", str(start), "-t", "12", "-i", str(sample_wav), str(cut)], check=True)
        cuts.append(cut)
    return cuts


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A lab's folders: audio/ (the inbox) and transcripts/."""
    (tmp_path / "audio").mkdir()
    (tmp_path / "transcripts").mkdir()
    monkeypatch.setenv("TRANSCRIBE_AUDIO_ROOT", str(tmp_path / "audio"))
    monkeypatch.setenv("TRANSCRIBE_TRANSCRIPTS_ROOT", str(tmp_path / "transcripts"))
    return tmp_path


def _report() -> list[dict]:
    from prefect.artifacts import Artifact

    return json.loads(Artifact.get("transcribe-report").data)


def _said(transcript_json: Path) -> list[tuple]:
    data = json.loads(transcript_json.read_text())
    return [(s["speaker"], s["start"], s["end"], s["text"]) for s in data["segments"]]


def test_the_file_flow_gives_the_cli_transcript(harness, project, sample_wav, tmp_path):
    from flows.interviews import Options, transcribe_one

    from transcribe.cli import main

    shutil.copy(sample_wav, project / "audio" / "call.wav")
    guide = project / "transcripts" / "guide.txt"
    guide.write_text("[plans] What are your plans for the weekend?\n[work] How is work going?\n")
    state = transcribe_one("call.wav", Options(model="tiny.en", languages=["en"], device="cpu", guide="guide.txt"), return_state=True)
    assert state.is_completed(), state.message
    assert main(["run", str(project / "audio" / "call.wav"), "-o", str(tmp_path / "cli"), "--model", "tiny.en", "--languages", "en",
                 "--device", "cpu", "--quiet", "--guide", str(guide)]) == 0
    flow_json, cli_json = project / "transcripts" / "call.json", tmp_path / "cli" / "call.json"
    assert _said(flow_json) == _said(cli_json) and len(_said(flow_json)) > 5
    assert json.loads(flow_json.read_text())["guide"] == json.loads(cli_json.read_text())["guide"] is not None
    assert json.loads(flow_json.read_text())["speakers"] == json.loads(cli_json.read_text())["speakers"]
    [row] = _report()
    assert row["file"] == "call.wav" and row["status"] == "transcribed" and row["speakers"] == 2 and row["language"] == "en"
    # no transcript text in the report, and no result of any task persisted
    said = " ".join(text for *_, text in _said(flow_json))
    assert not any(word in json.dumps(row) for word in said.split() if len(word) > 4)
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH

    stored = Path(PREFECT_LOCAL_STORAGE_PATH.value())
    assert not stored.exists() or not any(said[:40] in p.read_text(errors="ignore") for p in stored.rglob("*") if p.is_file())


def test_a_batch_finishes_the_good_recordings_reports_the_bad_and_reruns_do_nothing(harness, project, short_calls):
    from flows.interviews import Options, transcribe_batch

    inbox = project / "audio"
    for call in short_calls:
        shutil.copy(call, inbox / call.name)
    shutil.copy(short_calls[0], inbox / "same-as-call01.wav")
    (inbox / "corrupt.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(2000))
    (inbox / "empty.m4a").write_bytes(b"")
    state = transcribe_batch(options=Options(**FAST), return_state=True)
    assert state.is_failed() and state.message.startswith("2 of 6 recordings failed")
    rows = {row["file"]: row for row in _report()}
    assert {name: row["status"] for name, row in rows.items()} == {
        "call01.wav": "transcribed", "call02.wav": "transcribed", "call03.wav": "transcribed",
        "corrupt.wav": "failed", "empty.m4a": "failed", "same-as-call01.wav": "duplicate of call01.wav",
    }
    assert "empty.m4a is empty" in rows["empty.m4a"]["error"] and "corrupt.wav" in rows["corrupt.wav"]["error"]
    written = {p.name: p.stat().st_mtime_ns for p in (project / "transcripts").iterdir()}
    assert {n for n in written if n.endswith(".json")} == {"call01.json", "call02.json", "call03.json"}

    transcribe_batch(options=Options(**FAST), return_state=True)
    assert {row["file"]: row["status"] for row in _report()}["call02.wav"] == "up to date"
    assert {p.name: p.stat().st_mtime_ns for p in (project / "transcripts").iterdir()} == written  # nothing redone


@pytest.mark.parametrize("study, formats, expected", [
    (None, ["srt", "docx"], {"call01.json", "call01.srt", "call01.docx"}),
    (None, [], {"call01.json", "call01.txt", "call01.quality.txt"}),  # empty: the default
    ("calls", ["vtt", "qdpx"], {"call01.json", "call01.vtt", "calls.qdpx"}),
])
def test_any_choice_of_formats_runs_in_the_flow(harness, project, short_calls, study, formats, expected):
    """Formats without the text or the quality report, none at all, and a hand-off of two."""
    from flows.interviews import Options, transcribe_one

    shutil.copy(short_calls[0], project / "audio" / "call01.wav")
    more = {"study": study, "pseudonymize": True} if study else {}
    state = transcribe_one("call01.wav", Options(**FAST, formats=formats, **more), return_state=True)
    assert state.is_completed(), state.message
    folder = project / "transcripts" / study / "handoff" if study else project / "transcripts"
    assert {p.name for p in folder.iterdir() if p.is_file()} == expected


def test_a_scheduled_batch_never_replaces_a_transcript_made_on_purpose_with_other_settings(harness, project, short_calls):
    """A run from the form with the clean style, then the nightly batch (verbatim): the
    form's transcript stays as it was, and the report says what it was made with."""
    from flows.interviews import Options, transcribe_batch, transcribe_one

    shutil.copy(short_calls[0], project / "audio" / "call01.wav")
    assert transcribe_one("call01.wav", Options(**FAST, style="clean"), return_state=True).is_completed()
    made = (project / "transcripts" / "call01.json").read_bytes()
    state = transcribe_batch(options=Options(**FAST), return_state=True)
    assert state.is_completed(), state.message
    [row] = _report()
    assert row["status"] == "up to date" and row["other_settings"] == "style clean" and row["model"] == "tiny.en"
    assert (project / "transcripts" / "call01.json").read_bytes() == made
    # asked for from the form with the nightly settings, it is made again, the old one kept
    assert transcribe_one("call01.wav", Options(**FAST), return_state=True).is_completed()
    [kept] = (project / "transcripts" / "previous").iterdir()
    assert kept.read_bytes() == made


def test_paths_outside_the_audio_folder_are_refused(harness, project):
    from flows.interviews import Options, transcribe_one

    state = transcribe_one("../transcripts/x.wav", Options(**FAST), return_state=True)
    assert state.is_failed() and "is outside the audio folder" in state.message


# The batch in a process of its own that kills itself (SIGKILL: nothing can clean up) as
# the second recording starts transcription, after the first one's transcript is written.
_KILLED_BATCH = """
import os, signal, sys
sys.path.insert(0, sys.argv[1])
from flows.interviews import Options, transcribe_batch
from transcribe.pipeline import Pipeline
started = []
transcribe = Pipeline.transcribe
def dying(self, *args, **kwargs):
    started.append(1)
    if len(started) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return transcribe(self, *args, **kwargs)
Pipeline.transcribe = dying
transcribe_batch(options=Options(**{options}))
"""


def test_a_batch_killed_midway_resumes_and_every_transcript_is_complete_once(harness, project, short_calls):
    from flows.interviews import Options, transcribe_batch

    for call in short_calls:
        shutil.copy(call, project / "audio" / call.name)
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}  # the harness's server
    killed = subprocess.run([sys.executable, "-c", _KILLED_BATCH.format(options=FAST), str(ROOT)], capture_output=True, text=True, env=env)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    out = project / "transcripts"
    assert sorted(p.name for p in out.glob("*.json")) == ["call01.json"]
    first = (out / "call01.json").read_bytes()

    state = transcribe_batch(options=Options(**FAST), return_state=True)
    assert state.is_completed(), state.message
    assert {row["file"]: row["status"] for row in _report()} == {
        "call01.wav": "up to date", "call02.wav": "transcribed", "call03.wav": "transcribed",
    }
    assert (out / "call01.json").read_bytes() == first  # not redone
    names = sorted(p.name for p in out.iterdir() if not p.name.endswith(".lock"))
    assert names == sorted(f"call0{i}{ext}" for i in (1, 2, 3) for ext in (".json", ".txt", ".quality.txt"))  # no leftovers
    for index, call in enumerate(short_calls, 1):
        data = json.loads((out / f"call0{index}.json").read_text())
        assert data["recording"]["source_name"] == call.name and data["segments"]
