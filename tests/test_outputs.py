"""Outputs: readable text, atomic writes, resume without duplicates."""

from __future__ import annotations

import errno
import os

import pytest

from transcribe.conventions import Conventions
from transcribe.errors import OutputError, TranscribeError
from transcribe.export.outputs import output_paths, write_transcript
from transcribe.export.writers import render_text
from transcribe.pipeline import transcribe_file
from transcribe.settings import Settings
from transcribe.transcript import (
    Mark,
    Provenance,
    Recording,
    Segment,
    Silence,
    Speaker,
    Transcript,
    Word,
)
from transcribe.utils.files import atomic_write


def words(start: float, text: str, step: float = 0.3, probability: float = 0.9) -> list[Word]:
    return [Word(round(start + i * step, 2), round(start + i * step + 0.25, 2), w, probability) for i, w in enumerate(text.split())]


def segment(start: float, speaker: str, text: str, **kwargs) -> Segment:
    ws = words(start, text, **kwargs)
    return Segment(ws[0].start, ws[-1].end, speaker, text, ws)


def make_transcript(sha: str = "a" * 64) -> Transcript:
    return Transcript(
        recording=Recording("interview.wav", sha, 3725.0, 1, 8000),
        language="en",
        speakers=[Speaker("SPEAKER_00", "SPEAKER_00"), Speaker("SPEAKER_01", "SPEAKER_01")],
        segments=[
            segment(5.2, "SPEAKER_00", "How are you?"),
            segment(8.0, "SPEAKER_01", "Um, fine, thanks."),
            segment(9.5, "SPEAKER_01", "And you?"),
            segment(3723.0, "SPEAKER_00", "Good."),
        ],
        provenance=Provenance("0.1.0", "2026-11-22T00:00:00+00:00"),
    )


def test_text_has_one_line_per_turn_with_hours():
    assert render_text(make_transcript(), Conventions(style="clean")) == (
        "[00:00:05] SPEAKER_00: How are you?\n"
        "[00:00:08] SPEAKER_01: Fine, thanks. And you?\n"
        "[01:02:03] SPEAKER_00: Good.\n"
    )


def test_verbatim_marks_pauses_unclear_words_and_inaudible_speech():
    transcript = make_transcript()
    transcript.segments[0].words[1].probability = 0.1  # "are" was hard to hear
    transcript.marks = [Mark(12.0, 14.0, "SPEAKER_01", "unreliable")]
    assert render_text(transcript) == (
        "[00:00:05] SPEAKER_00: How [unclear 00:00:05: are] you?\n"
        # 8.85 -> 9.5: a short pause (the silences were not measured: the gap); the mark is inaudible
        "[00:00:08] SPEAKER_01: Um, fine, thanks. (.) And you? [inaudible 00:00:12]\n"
        "[01:02:03] SPEAKER_00: Good.\n"
    )


def test_long_pauses_are_written_in_seconds_from_the_threshold():
    transcript = make_transcript()
    transcript.segments[2] = segment(11.85, "SPEAKER_01", "And you?")  # 3.0 s after "thanks."
    line = render_text(transcript).splitlines()[1]
    assert line == "[00:00:08] SPEAKER_01: Um, fine, thanks. (3.0) And you?"
    assert "(.)" in render_text(transcript, Conventions(pause_s=5.0)).splitlines()[1]


def test_a_pause_is_written_only_where_the_audio_was_quiet_and_as_long_as_the_quiet():
    transcript = make_transcript()
    transcript.segments[2] = segment(11.85, "SPEAKER_01", "And you?")  # 3.0 s after "thanks."
    transcript.silences = []  # measured: no quiet at all (the words between were missed)
    assert render_text(transcript).splitlines()[1] == "[00:00:08] SPEAKER_01: Um, fine, thanks. And you?"
    transcript.silences = [Silence(9.0, 10.4), Silence(11.0, 11.3, channel=1)]  # the other channel's quiet does not count
    assert render_text(transcript).splitlines()[1] == "[00:00:08] SPEAKER_01: Um, fine, thanks. (1.4) And you?"
    transcript.silences = [Silence(9.0, 9.4)]
    assert render_text(transcript).splitlines()[1] == "[00:00:08] SPEAKER_01: Um, fine, thanks. (.) And you?"


def test_clean_style_drops_fillers_in_both_languages():
    from transcribe.conventions import is_filler

    assert all(is_filler(w) for w in ["um,", "Uh.", "mm-hmm", "øh", "ehm,", "Eh"])
    assert not any(is_filler(w) for w in ["umbrella", "er-", "the", "ja"])


def test_atomic_write_replaces_whole_and_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "t.txt"
    atomic_write(target, "old")
    atomic_write(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["t.txt"]


def test_full_disk_is_a_clear_error_and_keeps_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "t.txt"
    atomic_write(target, "finished transcript")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OutputError, match="the disk is full"):
        atomic_write(target, "new")
    assert target.read_text() == "finished transcript"
    assert os.listdir(tmp_path) == ["t.txt"]


class _NeverCalled:
    settings = Settings()

    def check(self):
        pass

    def transcribe(self, path, diarization=None, hook=None):
        raise AssertionError("an up-to-date transcript must not be redone")


def test_rerun_skips_a_finished_transcript_of_the_same_recording(tmp_path):
    from transcribe.utils.files import file_sha256

    source = tmp_path / "interview.wav"
    source.write_bytes(b"RIFF recording bytes")
    paths = output_paths(tmp_path / "out", source)
    write_transcript(make_transcript(file_sha256(source)), paths)
    outcome = transcribe_file(_NeverCalled(), source, tmp_path / "out")
    assert outcome.status == "skipped"


def test_transcript_of_another_recording_with_the_same_name_is_not_overwritten(tmp_path):
    source = tmp_path / "interview.wav"
    source.write_bytes(b"a different recording")
    paths = output_paths(tmp_path / "out", source)
    write_transcript(make_transcript("b" * 64), paths)
    with pytest.raises(TranscribeError, match="different recording"):
        transcribe_file(_NeverCalled(), source, tmp_path / "out")


def test_a_transcript_of_schema_3_keeps_its_inaudible_marks_and_its_pauses():
    """Schema 3 wrote [inaudible] from the text-removing guards and pauses from the gaps
    between words; read now, it says the same."""
    import dataclasses

    from transcribe.transcript import GuardEvent

    old = make_transcript()
    old.guards = [GuardEvent("unreliable", 12.0, 14.0, "SPEAKER_01"), GuardEvent("repetition-loop", 20.0, 25.0, "SPEAKER_00")]
    data = {k: v for k, v in dataclasses.asdict(old).items() if k not in ("marks", "speech", "silences")}
    read = Transcript.from_dict({**data, "schema_version": 3})
    assert read.marks == [Mark(12.0, 14.0, "SPEAKER_01", "unreliable")] and read.silences is None
    assert render_text(read).splitlines()[1] == "[00:00:08] SPEAKER_01: Um, fine, thanks. (.) And you? [inaudible 00:00:12]"
