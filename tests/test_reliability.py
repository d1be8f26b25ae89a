"""Reliability around the output: checked before any work, written as one unit, never
lost or mixed up; faults made real (read-only and full file systems, a file in the way),
damaged and partial transcript sets, two runs at once, and failures nobody anticipated."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from synthetic import write_wav
from test_outputs import make_transcript, segment

from transcribe.errors import (
    ModelError,
    NameClashError,
    OutputError,
    TranscriptFileError,
)
from transcribe.export.outputs import (
    output_paths,
    read_transcript,
    render_derived,
    write_transcript,
)
from transcribe.ingest.audio import SAMPLE_RATE, Audio
from transcribe.pipeline import transcribe_file
from transcribe.settings import Settings


class FakePipeline:
    """A pipeline that 'transcribes' into a transcript of the given words, counting calls."""

    def __init__(
        self, words: str = "How are you?", segments: int = 1, delay: float = 0.0, model_error: bool = False, step: float = 4.0, **settings
    ):
        self.words, self.segments, self.delay, self.model_error, self.step = words, segments, delay, model_error, step
        self.settings = Settings(**settings)
        self.checked = self.calls = 0

    def check(self) -> None:
        self.checked += 1
        if self.model_error:
            raise ModelError("unknown Whisper model 'nonexistent'")

    def transcribe(self, audio: Audio, diarization=None, hook=None):
        self.calls += 1
        time.sleep(self.delay)
        transcript = make_transcript(audio.recording.sha256)
        transcript.segments = [segment(5.0 + self.step * i, "SPEAKER_00", self.words) for i in range(self.segments)]
        transcript.provenance.settings = asdict(self.settings)
        return transcript


@pytest.fixture
def source(tmp_path) -> Path:
    return write_wav(tmp_path / "interview.wav", 0.3 * np.sin(np.arange(SAMPLE_RATE) / 5))


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


def mount(*args: str) -> bool:
    return os.geteuid() == 0 and subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    """A real file system of a chosen size (a tmpfs; needs root)."""
    mounted = []

    def make(size: str) -> Path:
        folder = tmp_path / f"disk-{size}"
        folder.mkdir()
        if not mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)):
            pytest.skip("mounting a tmpfs needs root")
        mounted.append(folder)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture
def read_only_folder(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    if mount("-o", "bind,ro", str(folder), str(folder)):
        yield folder
        subprocess.run(["umount", str(folder)], check=True)
    elif os.geteuid() != 0:
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        yield folder
        folder.chmod(stat.S_IRWXU)
    else:
        pytest.skip("root without mount: no way to make a folder read-only")


# --- checked before any work ---------------------------------------------------------
def test_an_output_path_that_is_a_file_fails_before_any_work(tmp_path, source):
    before = source.read_bytes()
    pipeline = FakePipeline()
    with pytest.raises(OutputError, match="'interview.wav': it is a file, not a folder") as error:
        transcribe_file(pipeline, source, source)
    assert error.value.exit_code == 12 and str(tmp_path) not in str(error.value)
    assert (pipeline.checked, pipeline.calls) == (0, 0)
    assert source.read_bytes() == before


def test_an_output_folder_that_cannot_be_made_fails_before_any_work(source):
    pipeline = FakePipeline()
    with pytest.raises(OutputError, match="cannot write transcripts to the folder 'transcripts'"):
        transcribe_file(pipeline, source, "/proc/transcripts")
    assert pipeline.calls == 0


def test_a_read_only_output_folder_fails_before_any_work(read_only_folder, source):
    pipeline = FakePipeline()
    with pytest.raises(OutputError, match="read-only|permission denied"):
        transcribe_file(pipeline, source, read_only_folder / "transcripts")
    assert pipeline.calls == 0 and listing(read_only_folder) == []


def test_too_little_space_fails_before_any_work(small_disk, source):
    disk = small_disk("256k")
    pipeline = FakePipeline()
    with pytest.raises(OutputError, match="not enough space in the folder 'out'"):
        transcribe_file(pipeline, source, disk / "out")
    assert pipeline.calls == 0 and listing(disk) == []  # the folder it made is gone again


def test_a_model_that_cannot_be_found_fails_before_any_work(tmp_path, source):
    pipeline = FakePipeline(model_error=True)
    with pytest.raises(ModelError):
        transcribe_file(pipeline, source, tmp_path / "new" / "out")
    assert pipeline.calls == 0 and not (tmp_path / "new").exists()


# --- written as one unit ---------------------------------------------------------------
def test_a_full_disk_while_writing_leaves_the_previous_set_whole_and_no_temporary_files(small_disk, source):
    disk = small_disk("1200k")  # passes the space check, too small for the long transcript
    transcribe_file(FakePipeline("first words"), source, disk)
    before = {name: (disk / name).read_bytes() for name in listing(disk)}
    assert sorted(before) == ["interview.json", "interview.txt"]
    with pytest.raises(OutputError, match="could not write interview.(txt|json): the disk is full"):
        transcribe_file(FakePipeline("many many words " * 20, segments=3000), source, disk, force=True)
    assert {name: (disk / name).read_bytes() for name in listing(disk)} == before


def test_a_full_disk_on_a_first_run_leaves_nothing(small_disk, source):
    disk = small_disk("1200k")
    with pytest.raises(OutputError, match="the disk is full"):
        transcribe_file(FakePipeline("many many words " * 20, segments=3000), source, disk / "out")
    assert listing(disk) == []


def test_a_crash_between_the_renames_is_repaired_from_the_json_on_the_next_run(tmp_path, source, monkeypatch):
    import transcribe.export.outputs as outputs

    out = tmp_path / "out"
    first = transcribe_file(FakePipeline("first words"), source, out)
    rename = os.replace

    def killed_before_the_json(temporary, path):
        if str(path).endswith(".json"):
            raise OSError(5, "Input/output error")  # as if the process died here
        rename(temporary, path)

    monkeypatch.setattr(outputs.os, "replace", killed_before_the_json)
    with pytest.raises(OutputError):
        transcribe_file(FakePipeline("second words"), source, out, force=True)
    monkeypatch.undo()
    assert "second words" in first.paths["txt"].read_text()  # the new text beside the old JSON
    again = transcribe_file(FakePipeline("never used"), source, out)
    assert again.status == "skipped" and again.rebuilt == ["interview.txt"]
    assert first.paths["txt"].read_text() == render_derived(first.transcript)["txt"]
    assert "first words" in first.paths["txt"].read_text()
    assert listing(out) == ["interview.json", "interview.txt"]


def test_a_missing_text_file_is_rebuilt_from_the_json_without_transcribing(tmp_path, source):
    first = transcribe_file(FakePipeline(), source, tmp_path)
    text = first.paths["txt"].read_text()
    first.paths["txt"].unlink()
    pipeline = FakePipeline()
    again = transcribe_file(pipeline, source, tmp_path)
    assert again.status == "skipped" and again.rebuilt == ["interview.txt"] and pipeline.calls == 0
    assert first.paths["txt"].read_text() == text


# --- never lost or mixed up --------------------------------------------------------------
def test_a_damaged_transcript_is_an_error_that_names_it_and_is_kept(tmp_path, source):
    paths = output_paths(tmp_path, source)
    write_transcript(make_transcript("b" * 64), paths)
    paths["json"].write_text(paths["json"].read_text()[:200])  # truncated
    kept = {kind: path.read_bytes() for kind, path in paths.items() if path.exists()}
    pipeline = FakePipeline()
    with pytest.raises(TranscriptFileError, match="interview.json in the output folder cannot be read .*--force") as error:
        transcribe_file(pipeline, source, tmp_path)
    assert error.value.exit_code == 13 and pipeline.calls == 0
    assert {kind: path.read_bytes() for kind, path in paths.items() if path.exists()} == kept
    assert transcribe_file(pipeline, source, tmp_path, force=True).status == "transcribed"
    assert json.loads(paths["json"].read_text())["recording"]["sha256"] != "b" * 64


def test_a_transcript_from_a_newer_version_is_not_replaced(tmp_path, source):
    paths = output_paths(tmp_path, source)
    write_transcript(make_transcript("b" * 64), paths)
    data = json.loads(paths["json"].read_text())
    paths["json"].write_text(json.dumps({**data, "schema_version": 99}))
    with pytest.raises(TranscriptFileError, match="newer version of transcribe"):
        transcribe_file(FakePipeline(), source, tmp_path)


def test_another_recording_of_the_same_name_has_its_own_exit_code(tmp_path, source):
    write_transcript(make_transcript("b" * 64), output_paths(tmp_path, source))
    with pytest.raises(NameClashError, match="different recording") as error:
        transcribe_file(FakePipeline(), source, tmp_path)
    assert error.value.exit_code == 14


def test_two_runs_of_one_recording_into_one_folder_transcribe_it_once(tmp_path, source):
    pipelines = [FakePipeline(delay=1.0), FakePipeline(delay=1.0)]
    outcomes, waited = {}, []

    def run(i: int) -> None:
        outcomes[i] = transcribe_file(pipelines[i], source, tmp_path, on_wait=lambda: waited.append(i))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.2)
    for thread in threads:
        thread.join()
    assert sorted(o.status for o in outcomes.values()) == ["skipped", "transcribed"]
    assert sum(p.calls for p in pipelines) == 1 and waited == [1]
    assert listing(tmp_path) == ["interview.json", "interview.txt", "interview.wav"]  # the lock is gone


# --- the command line ------------------------------------------------------------------
def run_cli(capsys, *args: str) -> tuple[int, list[str]]:
    from transcribe.cli import main

    code = main(["run", *args, "--quiet"])
    return code, capsys.readouterr().err.strip().splitlines()


def test_a_model_that_cannot_be_found_fails_at_once_even_on_a_silent_recording(tmp_path, capsys, model_home):
    silent = write_wav(tmp_path / "silence.wav", np.zeros(SAMPLE_RATE * 5))
    code, lines = run_cli(capsys, str(silent), "-o", str(tmp_path / "out"), "--model", "nonexistent")
    assert code == 10 and len(lines) == 1 and "unknown Whisper model 'nonexistent'" in lines[0]
    assert not (tmp_path / "out").exists()


def test_an_unexpected_failure_is_one_line_naming_the_stage_and_a_private_crash_log(tmp_path, source, capsys, model_home, monkeypatch):
    import transcribe.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("expected scalar type Float but found Half")

    monkeypatch.setattr(transcribe.pipeline, "diarize", broken)
    code, lines = run_cli(capsys, str(source), "-o", str(tmp_path / "out"), "--model", "tiny.en")
    assert code == 70 and len(lines) == 1, lines
    assert lines[0].startswith("error: unexpected RuntimeError during diarization; the details are in ")
    log = Path(lines[0].split("the details are in ")[1].split(" (please report it)")[0])
    assert log.parent == Path(model_home) / "logs" and stat.S_IMODE(log.stat().st_mode) == 0o600
    assert "Traceback" in log.read_text() and "found Half" in log.read_text()
    assert not (tmp_path / "out").exists()


def test_messages_name_files_never_their_folders(tmp_path, capsys, model_home):
    private = tmp_path / "participant-kari-nordmann"
    private.mkdir()
    code, lines = run_cli(capsys, str(private / "interview.wav"))
    assert code == 3 and lines == ["error: interview.wav does not exist"]
    code, lines = run_cli(capsys, str(private))
    assert code == 3 and lines == ["error: participant-kari-nordmann is a folder, not a recording"]


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["diarization", "transcription", "writing"])
def test_a_run_killed_at_any_point_is_finished_by_the_next_exactly_once(stage, sample_wav, tmp_path, model_home):
    """SIGKILL leaves no chance to clean up; the next run still ends with one complete,
    valid transcript set, and nothing else, in the folder."""
    from transcribe.export.outputs import read_transcript
    from transcribe.utils.files import file_sha256

    source = tmp_path / "call.wav"  # 14 s of the sample call, both parties
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(sample_wav), "-ss", "6", "-t", "14", str(source)], check=True)
    before = source.read_bytes()
    out = tmp_path / "out"
    command = ["run", str(source), "-o", str(out), "--model", "tiny.en", "--quiet"]
    env = {**os.environ, "TRANSCRIBE_HOME": str(model_home)}
    tests = Path(__file__).parent
    killed = subprocess.run([sys.executable, str(tests / "killed_run.py"), stage, *command], capture_output=True, text=True, env=env)
    assert killed.returncode == -9, killed.stderr
    assert not (out / "call.json").exists()
    rerun = subprocess.run([sys.executable, "-m", "transcribe", *command], capture_output=True, text=True, env=env)
    assert rerun.returncode == 0 and "segments" in rerun.stdout, rerun.stderr
    assert listing(out) == ["call.json", "call.quality.txt", "call.txt"]
    transcript = read_transcript(out / "call.json")
    assert transcript.recording.sha256 == file_sha256(source) and len(transcript.segments) >= 2
    derived = render_derived(transcript)
    assert (out / "call.txt").read_text() == derived["txt"] and (out / "call.quality.txt").read_text() == derived["quality"]
    assert source.read_bytes() == before


# --- a rerun redoes what changed ----------------------------------------------------------
def test_a_rerun_with_another_model_transcribes_again_and_says_why(tmp_path, source):
    transcribe_file(FakePipeline(model="base"), source, tmp_path)
    same = FakePipeline(model="base", device="cpu", batch_size=8)  # how, not what: nothing to redo
    assert transcribe_file(same, source, tmp_path).status == "skipped" and same.calls == 0
    other = FakePipeline("other words", model="large-v3")
    outcome = transcribe_file(other, source, tmp_path)
    assert outcome.status == "transcribed" and outcome.changed == ["model"] and other.calls == 1
    assert "other words" in outcome.paths["txt"].read_text()
    # the transcript it replaced is kept beside it, whole
    assert outcome.kept.parent == tmp_path / "previous" and listing(tmp_path / "previous") == [outcome.kept.name]
    kept = read_transcript(outcome.kept)
    assert kept.provenance.settings["model"] == "base" and kept.segments[0].text == "How are you?"
    forced = transcribe_file(FakePipeline("third words", model="large-v3"), source, tmp_path, force=True)
    assert forced.kept is not None and forced.kept != outcome.kept and len(listing(tmp_path / "previous")) == 2
    assert read_transcript(forced.kept).segments[0].text == "other words"


def test_a_scheduled_batch_keeps_a_transcript_made_with_other_settings_and_says_which(tmp_path, source):
    from transcribe.batch import other_settings, plan

    transcribe_file(FakePipeline(model="tiny.en", languages=("en",)), source, tmp_path)
    nightly = Settings(model="base")
    [asked] = plan([source], tmp_path, nightly)
    assert asked.status == "pending"  # a run asked for with these settings redoes it (keeping the old one)
    [scheduled] = plan([source], tmp_path, nightly, keep_other_settings=True)
    assert scheduled.status == "done" and scheduled.transcript == tmp_path / "interview.json"
    assert set(scheduled.differs) == {"model", "languages"}
    text = other_settings(read_transcript(scheduled.transcript), scheduled.differs)
    assert "model tiny.en" in text and "languages" in text


def test_a_new_pause_length_rewrites_the_text_without_transcribing(tmp_path, source):
    first = transcribe_file(FakePipeline("one two", segments=2, step=1.3, pause=1.0), source, tmp_path)
    assert "two (.) one" in first.paths["txt"].read_text()  # a 0.75 s pause
    later = FakePipeline(pause=0.5)
    outcome = transcribe_file(later, source, tmp_path)
    assert outcome.status == "skipped" and later.calls == 0 and outcome.rebuilt == ["interview.txt"]
    assert "two (0.8) one" in first.paths["txt"].read_text()
    assert json.loads(outcome.paths["json"].read_text())["provenance"]["settings"]["pause"] == 0.5
    assert transcribe_file(FakePipeline(pause=0.5), source, tmp_path).rebuilt == []
