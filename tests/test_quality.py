"""Quality report: shares, speaker checks, where to listen again; no transcript text."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from transcribe.diarize.diarization import Turn
from transcribe.export.outputs import output_paths, read_transcript, write_transcript
from transcribe.pipeline import transcribe_file
from transcribe.quality.report import assess, render_summary
from transcribe.settings import Settings
from transcribe.transcript import (
    GuardEvent,
    Mark,
    Provenance,
    Recording,
    Segment,
    Silence,
    Speaker,
    SpeechTurn,
    Transcript,
    Word,
)

A, B = "SPEAKER_00", "SPEAKER_01"
UNCLEAR = 0.3


def segment(speaker: str, timed: list[tuple[float, float, str, float]]) -> Segment:
    """A segment from (start, end, text, probability) words."""
    words = [Word(start, end, text, p) for start, end, text, p in timed]
    return Segment(words[0].start, words[-1].end, speaker, " ".join(w.text for w in words), words)


def spoken(start: float, text: str, speaker: str = A, probability: float = 0.9, step: float = 0.5) -> Segment:
    """Words `step` seconds apart, each lasting the whole step (no pauses)."""
    return segment(speaker, [(start + i * step, start + (i + 1) * step, w, probability) for i, w in enumerate(text.split())])


def transcript(segments: list[Segment], guards: list[GuardEvent] | None = None) -> Transcript:
    return Transcript(
        recording=Recording("interview.wav", "a" * 64, 60.0, 1, 16000),
        language="en",
        speakers=[Speaker(A, "interviewer", role="interviewer"), Speaker(B, "participant", role="participant")],
        segments=segments,
        provenance=Provenance("0.1.0", "2026-11-22T00:00:00+00:00"),
        guards=guards or [],
    )


def assessed(t: Transcript, turns: list[Turn]):
    """The quality report of `t` as diarized into `turns`."""
    t.speech = [SpeechTurn(turn.start, turn.end, turn.speaker, turn.channel) for turn in turns]
    return assess(t, UNCLEAR)


def reasons(report) -> list[str]:
    return [span.reason for span in report.listen_again]


def test_shares_count_word_time_inside_speech_and_improbable_words():
    turns = [Turn(0.0, 10.0, A), Turn(10.0, 20.0, B)]
    segments = [
        # 0-2 s: a gap under the short pause (0.3 s) counts as transcribed, a pause does not
        segment(A, [(0.0, 0.5, "alpha", 0.9), (0.7, 1.2, "bravo", 0.9), (1.7, 2.0, "charlie", 0.9), (2.0, 2.5, "delta", 0.9)]),
        spoken(12.0, "echo foxtrot golf hotel", speaker=B, probability=0.2),  # 12-14 s, all unclear
        spoken(19.5, "india juliett", speaker=B),  # 19.5-20.5: half of it after the speech
    ]
    segments[0].words[0].probability = UNCLEAR  # at the threshold: not unclear
    report = assessed(transcript(segments), turns)
    assert report.speech_seconds == 20.0
    assert report.transcribed_seconds == pytest.approx(4.5)
    assert report.transcribed_share == pytest.approx(4.5 / 20)
    assert (report.words, report.low_confidence_words) == (10, 4)
    assert report.low_confidence_share == pytest.approx(0.4)
    assert report.low_confidence_below == UNCLEAR


def test_overlapping_turns_and_words_are_counted_once():
    turns = [Turn(0.0, 4.0, A, channel=0), Turn(2.0, 6.0, B, channel=1)]
    segments = [spoken(0.0, "kilo lima mike november"), spoken(1.0, "oscar papa quebec romeo", speaker=B)]
    report = assessed(transcript(segments), turns)
    assert report.speech_seconds == 6.0
    assert report.transcribed_seconds == pytest.approx(3.0)  # 0-2 and 1-3 overlap


def test_no_speech_gives_no_shares_and_says_so():
    report = assessed(transcript([]), [])
    assert report.transcribed_share is None and report.low_confidence_share is None
    assert report.listen_again == []
    assert "no speech was detected" in render_summary(report, transcript([]))


def test_a_short_turn_inside_another_speakers_speech_is_a_speaker_check():
    turns = [Turn(0.0, 5.0, A), Turn(5.1, 5.6, B), Turn(5.7, 10.0, A)]
    segments = [spoken(0.0, "sierra tango uniform"), spoken(5.1, "victor", speaker=B), spoken(6.0, "whiskey xray")]
    report = assessed(transcript(segments), turns)
    assert [(c.rule, c.start, c.end, c.speaker, c.other) for c in report.speaker_checks] == [("short-turn", 5.1, 5.6, B, A)]
    assert [(s.start, s.end, s.reason) for s in report.listen_again] == [(5.1, 5.6, "check speaker (short turn)")]


@pytest.mark.parametrize(
    "turns",
    [
        [Turn(0.0, 5.0, A), Turn(6.0, 6.5, B), Turn(6.6, 10.0, A)],  # a second's pause before it
        [Turn(0.0, 5.0, A), Turn(5.0, 6.5, B), Turn(6.5, 10.0, A)],  # long enough to be a turn
        [Turn(0.0, 5.0, A), Turn(5.0, 5.5, B), Turn(5.5, 10.0, "SPEAKER_02")],  # a change of speaker
        [Turn(0.0, 5.0, A, 0), Turn(5.0, 5.5, B, 1), Turn(5.5, 10.0, A, 0)],  # one party per channel
    ],
)
def test_turns_that_do_not_look_like_flicker_are_not_checked(turns):
    assert assessed(transcript([]), turns).speaker_checks == []


def test_words_running_into_the_next_speakers_turn_are_a_speaker_check():
    turns = [Turn(0.0, 3.0, A), Turn(3.0, 8.0, B)]
    segments = [spoken(0.0, "yankee zulu alpha bravo charlie delta echo foxtrot"), spoken(4.0, "golf", speaker=B)]
    report = assessed(transcript(segments), turns)  # A's words end at 4.0 s
    [check] = report.speaker_checks
    assert (check.rule, check.start, check.end, check.speaker, check.other) == ("crosses-turn", 3.0, 4.0, A, B)
    assert reasons(report) == ["check speaker (words cross turns)"]


def test_words_a_little_past_the_turn_are_not_checked():
    turns = [Turn(0.0, 3.2, A), Turn(3.2, 8.0, B)]
    segments = [spoken(0.0, "hotel india juliett kilo lima mike november"), spoken(4.0, "oscar papa", speaker=B)]
    assert assessed(transcript(segments), turns).speaker_checks == []  # 0.3 s past the turn


def test_guards_are_counted_and_listed_and_explain_speech_without_words():
    turns = [Turn(0.0, 4.0, A), Turn(10.0, 14.0, B), Turn(20.0, 23.0, A), Turn(30.0, 30.8, B)]
    guards = [GuardEvent("unreliable", 9.9, 14.1, B), GuardEvent("repetition-loop", 2.0, 4.0, A)]
    report = assessed(transcript([spoken(0.0, "quebec romeo sierra tango")], guards), turns)
    assert report.guards == {"no-speech": 0, "unreliable": 1, "repetition-loop": 1, "language-doubt": 0}
    assert [(s.start, s.end, s.reason) for s in report.listen_again] == [
        (2.0, 4.0, "guard: repetition-loop"),
        (9.9, 14.1, "guard: unreliable"),
        (20.0, 23.0, "speech without words"),  # the 0.8 s turn at 30 s is too short to list
    ]
    summary = render_summary(report, transcript([]))
    assert "Guards fired: 2 (unreliable 1, repetition-loop 1)" in summary
    assert "00:00:09–00:00:15  guard: unreliable" in summary


def test_listen_again_is_sorted_and_merges_overlapping_and_close_spans():
    turns = [Turn(0.0, 30.0, A)]
    unclear = segment(A, [
        (1.0, 1.5, "uniform", 0.1), (1.5, 2.0, "victor", 0.1), (2.0, 2.5, "whiskey", 0.9),  # a run: 1-2 s
        (20.0, 20.5, "xray", 0.1), (20.5, 21.0, "yankee", 0.9), (21.1, 21.5, "zulu", 0.1),  # 0.6 s apart
    ])
    guards = [GuardEvent("no-speech", 10.0, 12.0, A), GuardEvent("unreliable", 1.8, 3.0, A)]
    report = assessed(transcript([unclear], guards), turns)
    assert [(s.start, s.end, s.reason) for s in report.listen_again] == [
        (1.0, 3.0, "low confidence; guard: unreliable"),
        (10.0, 12.0, "guard: no-speech"),
        (20.0, 21.5, "low confidence"),
    ]


def test_uncertain_roles_are_reported():
    t = transcript([spoken(0.0, "alpha bravo")])
    t.speakers[0].role_confidence, t.speakers[0].role_source = 0.55, "question-heuristic"
    t.speakers[1].role_confidence, t.speakers[1].role_source = 0.9, "question-heuristic"
    report = assessed(t, [Turn(0.0, 1.0, A)])
    assert (report.role_confidence, report.role_source) == (0.55, "question-heuristic")
    assert "Roles: uncertain (question-heuristic, confidence 0.55)" in render_summary(report, t)


def test_an_estimated_speaker_count_is_reported_with_why_it_may_be_wrong():
    t = transcript([spoken(0.0, "alpha bravo")])
    doubt = "one speaker found, but two voices were heard within 35% of the 10-second stretches"
    t.provenance.settings["speaker_count"] = {"found": 1, "estimated": True, "doubt": doubt}
    report = assessed(t, [Turn(0.0, 1.0, A)])
    assert f"Speakers: 1, estimated (give --speakers if you know); check the speakers: {doubt}" in render_summary(report, t)
    t.provenance.settings["speaker_count"] = {"found": 2, "estimated": True, "doubt": None}
    assert "Speakers: 2, estimated (give --speakers if you know)\n" in render_summary(assessed(t, [Turn(0.0, 1.0, A)]), t)
    t.provenance.settings["speaker_count"] = {"found": 2, "estimated": False, "doubt": None}  # given, or one per channel
    assert "Speakers:" not in render_summary(assessed(t, [Turn(0.0, 1.0, A)]), t)


def test_summary_gives_the_figures():
    turns = [Turn(0.0, 600.0, A), Turn(600.0, 751.0, B)]
    segments = [spoken(0.0, " ".join(["charlie"] * 100)), spoken(600.0, "delta echo", speaker=B, probability=0.1)]
    t = transcript(segments)
    summary = render_summary(assessed(t, turns), t)
    assert summary.splitlines()[:3] == [
        "Quality report: interview.wav",
        "Speech transcribed: 7% of 12:31 of speech",
        "Low-confidence words: 2% (2 of 102, probability under 0.3)",
    ]
    assert "Listen again: 1 place\n" in summary
    assert "00:10:00–00:10:01  low confidence" in summary


def test_neither_the_report_nor_the_summary_holds_transcript_text(tmp_path):
    turns = [Turn(0.0, 3.0, A), Turn(3.0, 3.4, B), Turn(3.4, 9.0, A)]
    segments = [
        spoken(0.0, "Haukeland metformin Bergen"),
        spoken(3.0, "zebrafish", speaker=B, probability=0.1),
        spoken(3.5, "quokka ", probability=0.1),
        spoken(4.5, "platypus narwhal axolotl wombat capybara"),
    ]
    guards = [GuardEvent("no-speech", 8.0, 9.0, A)]
    t = transcript(segments, guards)
    t.quality = assessed(t, turns)
    paths = output_paths(tmp_path, tmp_path / "interview.wav")
    write_transcript(t, paths)
    report = json.dumps(json.loads(paths["json"].read_text())["quality"]).lower()
    summary = paths["quality"].read_text().lower()
    assert t.quality.listen_again and t.quality.speaker_checks
    for word in (w.text.lower() for s in segments for w in s.words):
        assert word not in report and word not in summary


def test_the_report_round_trips_and_old_transcripts_still_load(tmp_path):
    t = transcript([spoken(0.0, "alpha bravo", probability=0.1)])
    t.quality = assessed(t, [Turn(0.0, 1.0, A), Turn(1.0, 1.5, B), Turn(1.5, 3.0, A)])
    assert Transcript.from_dict(json.loads(json.dumps(t.to_dict()))) == t
    old = t.to_dict()
    del old["quality"]
    assert Transcript.from_dict(old).quality is None


def test_the_summary_is_written_before_the_json(tmp_path, monkeypatch):
    import transcribe.export.outputs as outputs

    written = []
    rename = os.replace

    def replace(temporary, path):
        written.append(Path(path).name)
        rename(temporary, path)

    monkeypatch.setattr(outputs.os, "replace", replace)
    t = transcript([spoken(0.0, "alpha")])
    write_transcript(t, output_paths(tmp_path, tmp_path / "interview.wav"))
    assert written == ["interview.txt", "interview.json"]  # no report: no summary
    written.clear()
    t.quality = assessed(t, [Turn(0.0, 1.0, A)])
    write_transcript(t, output_paths(tmp_path, tmp_path / "interview.wav"))
    assert written == ["interview.txt", "interview.quality.txt", "interview.json"]  # the JSON last


class _Done:
    """A pipeline that has already transcribed the recording."""

    settings = Settings()

    def __init__(self, result: Transcript):
        self.result = result

    def check(self):
        pass

    def transcribe(self, path, diarization=None, hook=None):
        return self.result


@pytest.mark.slow
def test_the_sample_call_has_a_quality_report_and_summary(sample_transcript, sample_wav, tmp_path):
    quality = sample_transcript.quality
    print(f"\nsample.wav quality: {quality}")
    assert quality is not None
    assert quality.speech_seconds > 20 and quality.transcribed_share > 0.8
    assert quality.words > 50 and quality.low_confidence_share < 0.2
    outcome = transcribe_file(_Done(sample_transcript), sample_wav, tmp_path)
    summary = outcome.paths["quality"].read_text()
    assert summary.startswith("Quality report: sample.wav\nSpeech transcribed: ")
    assert read_transcript(outcome.paths["json"]).quality == quality


def test_overlapping_speech_is_a_place_to_listen_again():
    from transcribe.transcript import Overlap

    turns = [Turn(0.0, 10.0, A), Turn(4.0, 5.5, B)]
    heard = transcript([spoken(0.0, "one two three four five six seven eight nine ten", step=1.0)])
    heard.overlaps = [Overlap(4.0, 5.5, [A, B])]
    report = assessed(heard, turns)
    # B's words under A's were not transcribed: both reasons send the researcher there
    assert [(s.start, s.end, s.reason) for s in report.listen_again] == [(4.0, 5.5, "speech without words; overlapping speech")]


def test_speech_with_neither_words_nor_a_mark_is_counted_and_listed_unless_it_was_quiet():
    turns = [Turn(0.0, 10.0, A)]
    said = [spoken(0.0, "one two three four five six"), spoken(7.0, "seven eight nine ten eleven twelve")]  # 0-3 s, 7-10 s
    t = transcript(said)
    assert assessed(t, turns).unmarked_speech_seconds is None  # silences not measured (an older transcript)
    t.silences = []
    report = assessed(t, turns)
    assert report.unmarked_speech_seconds == pytest.approx(7.0 - 3.0 - 2 * 0.25)  # words reach a quarter second
    assert "speech without words or mark" in reasons(report)
    t.silences = [Silence(3.0, 7.0)]  # the speaker paused
    assert assessed(t, turns).unmarked_speech_seconds == 0
    t.silences, t.marks = [], [Mark(3.2, 6.8, A, "no-words")]
    report = assessed(t, turns)
    assert report.unmarked_speech_seconds == 0 and report.marks["no-words"] == 1
    assert "no words: no-words" in reasons(report)
