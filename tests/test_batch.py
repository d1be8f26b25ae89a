"""Batches: what an inbox still needs (by content and settings, not by name), and paths
given to a flow confined to the audio and transcript folders."""

from __future__ import annotations

import pytest

from transcribe.batch import ReportRow, Roots, find_recordings, plan, summary
from transcribe.errors import FileMissingError, SettingsError
from transcribe.export.outputs import output_paths, write_transcript
from transcribe.settings import Settings
from transcribe.transcript import Provenance, Recording, Transcript
from transcribe.utils.files import file_sha256


@pytest.fixture
def roots(tmp_path) -> Roots:
    (tmp_path / "audio" / "study1").mkdir(parents=True)
    (tmp_path / "transcripts").mkdir()
    return Roots(tmp_path / "audio", tmp_path / "transcripts")


def test_paths_stay_inside_their_folders(roots, tmp_path):
    (roots.audio / "study1").mkdir(parents=True, exist_ok=True)
    for name in ("study1/call.wav", "x.wav"):
        (roots.audio / name).write_bytes(b"RIFF")
    assert roots.recording("study1/call.wav") == roots.audio / "study1" / "call.wav"
    assert roots.recording(str(roots.audio / "x.wav")) == roots.audio / "x.wav"
    for outside in ("../secret.wav", "/etc/passwd", "study1/../../transcripts/a.json"):
        with pytest.raises(SettingsError, match="is outside the audio folder"):
            roots.recording(outside)
    (roots.audio / "link").symlink_to(tmp_path)
    with pytest.raises(SettingsError, match="outside"):
        roots.recording("link/elsewhere.wav")
    assert roots.study_file("keys/study.yaml") == roots.transcripts / "keys" / "study.yaml"
    with pytest.raises(SettingsError, match="outside the audio or the transcripts folder"):
        roots.study_file("../key.yaml")


def test_a_recording_is_found_with_the_audio_folder_in_front_or_the_closest_names_are_given(roots):
    (roots.audio / "study1").mkdir(parents=True, exist_ok=True)
    for name in ("example-call.wav", "study1/int-014.m4a", "study1/int-015.m4a"):
        (roots.audio / name).write_bytes(b"RIFF")
    assert roots.recording(f"{roots.audio.name}/example-call.wav") == roots.audio / "example-call.wav"  # as README writes it
    assert roots.recording(" study1/int-014.m4a ") == roots.audio / "study1" / "int-014.m4a"
    with pytest.raises(FileMissingError) as error:
        roots.recording("study1/int-14.m4a")
    assert str(error.value) == (f"study1/int-14.m4a is not in the audio folder ({roots.audio}); "
                                "the closest: study1/int-014.m4a, study1/int-015.m4a")
    assert error.value.exit_code == 3


def test_roots_come_from_the_environment_or_the_project(tmp_path, monkeypatch):
    monkeypatch.delenv("TRANSCRIBE_AUDIO_ROOT", raising=False)
    monkeypatch.setenv("TRANSCRIBE_TRANSCRIPTS_ROOT", str(tmp_path / "elsewhere"))
    roots = Roots.from_environment(tmp_path)
    assert roots.audio == (tmp_path / "audio").resolve() and roots.transcripts == (tmp_path / "elsewhere").resolve()


def test_the_inbox_lists_recordings_not_partial_copies_or_hidden_files(roots):
    for name in ("b.m4a", "a.wav", "study1/c.mp3", ".hidden.wav", "d.wav.part", "e.crdownload", "notes.txt"):
        (roots.audio / name).write_bytes(b"x")
    assert [p.relative_to(roots.audio).as_posix() for p in find_recordings(roots.audio)] == ["a.wav", "b.m4a", "study1/c.mp3"]
    with pytest.raises(SettingsError, match="is not a folder"):
        find_recordings(roots.audio / "a.wav")


def _transcribed(source, out_dir, settings: Settings, name: str | None = None):
    transcript = Transcript(
        recording=Recording(source.name, file_sha256(source), 61.0, 1, 8000),
        language="no",
        speakers=[],
        segments=[],
        provenance=Provenance("0.1.0", "2026-11-23T00:00:00+00:00", settings=settings.recorded()),
    )
    write_transcript(transcript, output_paths(out_dir, source.with_name(name or source.name)))


def test_done_means_same_content_and_settings_whatever_the_names(roots):
    out = roots.transcripts
    settings = Settings(model="base")
    old, renamed, changed, new, copy = (roots.audio / n for n in ("old.wav", "renamed.wav", "changed.wav", "new.wav", "copy.wav"))
    old.write_bytes(b"recording one")
    renamed.write_bytes(b"recording two")
    changed.write_bytes(b"recording three")
    new.write_bytes(b"recording four")
    copy.write_bytes(b"recording four")
    _transcribed(old, out, settings)
    _transcribed(renamed, out, settings, name="before-renaming.wav")  # done under its old name
    _transcribed(changed, out, Settings(model="small"))  # done with another model
    planned = {p.source.name: p for p in plan([old, renamed, changed, new, copy], out, settings)}
    assert {n: p.status for n, p in planned.items()} == {
        "old.wav": "done", "renamed.wav": "done", "changed.wav": "pending", "new.wav": "pending", "copy.wav": "duplicate",
    }
    assert planned["renamed.wav"].transcript.name == "before-renaming.json"
    assert planned["copy.wav"].same_as == new
    # a setting that changes only how it is written (or computed) does not make it pending
    assert plan([old], out, Settings(model="base", pause=2.0, batch_size=8))[0].status == "done"


def test_the_report_row_holds_no_transcript_text(roots):
    source = roots.audio / "call.wav"
    source.write_bytes(b"x")
    transcript = Transcript(
        recording=Recording("call.wav", "a" * 64, 125.4, 1, 8000),
        language="en",
        speakers=[],
        segments=[],
        provenance=Provenance("0.1.0", "2026-11-23T00:00:00+00:00"),
        warnings=["the recording is silent: there is no speech to transcribe"],
    )
    row = ReportRow.of("call.wav", "transcribed", transcript, 12.345)
    assert (row.duration, row.language, row.speakers, row.seconds) == ("2:05", "en", 0, 12.3)
    assert summary([row, ReportRow("b.wav", "failed"), ReportRow("c.wav", "failed")]) == "1 transcribed, 2 failed"
