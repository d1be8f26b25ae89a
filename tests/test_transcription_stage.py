"""The transcription stage's orchestration, driven by a fake ASR backend (tests/fake_asr.py):
batching, languages, bounded work and the retry of skipped speech, in milliseconds."""

from __future__ import annotations

import pytest
from fake_asr import FakeBackend, Line, ramp_audio

from transcribe.attribution import SpeakerTimeline, segments_of
from transcribe.diarization import Turn
from transcribe.errors import SettingsError
from transcribe.transcription import FALLBACK_SHARE, MAX_TOKENS, TranscriptionOptions, Transcriber, token_limit
from transcribe.windows import plan_windows

OPTIONS = TranscriptionOptions(language="auto", allowed=("en", "no"), verbatim=False, batch_size=4)


def run(
    script: list[Line], options: TranscriptionOptions = OPTIONS, seconds: float | None = None, doubted: tuple[str, ...] = (), concurrent: bool = False
):
    seconds = seconds or max(line.end for line in script) + 2.0
    audio = ramp_audio(seconds)
    turns = [Turn(line.start - 0.05, line.end, line.speaker) for line in script]
    windows = plan_windows(turns, audio.samples, audio.sample_rate)
    backend = FakeBackend(script, doubted=doubted, concurrent=concurrent)
    result = Transcriber(backend, options)(audio, windows, turns)
    segments = sorted((s for t in result.texts for s in segments_of(t, SpeakerTimeline(turns))), key=lambda s: s.start)
    return result, segments, backend, windows


def interview(lines: int, language: str = "en") -> list[Line]:
    return [Line(2.0 + 4.0 * i, "A" if i % 2 == 0 else "B", f"line {i} says words", language) for i in range(lines)]


def test_every_word_comes_back_in_time_order_with_its_speaker():
    script = interview(40)  # 160 s of turn-taking
    result, segments, backend, windows = run(script)
    assert result.language == "en"
    assert " ".join(s.text for s in segments) == " ".join(line.text for line in script)
    assert [s.speaker for s in segments] == [line.speaker for line in script]
    for segment, line in zip(segments, script):
        assert segment.start == pytest.approx(line.start, abs=0.01)
    # 64 s of speech in 160 s: the silences between turns are cut out, three windows
    assert len(windows) == 3 and all(w.duration <= 30.0 for w in windows)
    assert backend.encoded_rows == [3]
    assert result.fallback_windows == 0


def test_windows_are_decoded_longest_first_and_capped_in_tokens():
    script = interview(10) + [Line(100.0, "A", "a short last word")]
    result, _, backend, windows = run(script)
    durations = sorted((w.duration for w in windows), reverse=True)
    first = next(t.window for t in result.texts if t.window.duration == durations[0])
    assert first in windows
    assert token_limit(1.0) == 18 and token_limit(30.0) == MAX_TOKENS


def test_a_turn_in_a_language_the_study_did_not_list_is_transcribed_in_it_not_translated():
    script = interview(6) + [Line(30.0, "B", "das ist ein deutscher satz hier wirklich sehr gut", "de")] + [Line(35.0, "A", "back to english now")]
    _, segments, _, _ = run(script)
    german = [s for s in segments if s.language == "de"]
    assert [s.text for s in german] == ["das ist ein deutscher satz hier wirklich sehr gut"]
    assert "translated" not in " ".join(s.text for s in segments)
    assert {s.language for s in segments if s not in german} == {"en"}


def test_a_foreign_turn_the_detector_doubts_within_its_window_is_heard_again_alone():
    script = interview(6) + [Line(30.0, "B", "das ist ein deutscher satz hier wirklich sehr gut", "de")] + [Line(35.0, "A", "back to english now")]
    _, segments, backend, windows = run(script, doubted=("de",))
    assert [s.text for s in segments if s.language == "de"] == ["das ist ein deutscher satz hier wirklich sehr gut"]
    assert backend.encoded_rows[:2] == [len(windows), 1]  # the windows, then the German turn alone


def test_turns_heard_again_alone_are_bounded_by_the_number_of_windows():
    """In a recording of doubtful turns (all German, the study's languages en,no) at most
    one turn per two windows is heard again, however many the detector doubts."""
    script = [Line(2.0 + 6.0 * i, "AB"[i % 2], "eins zwei drei vier fünf sechs sieben acht", "de") for i in range(20)]
    _, _, backend, windows = run(script, doubted=("de",))
    assert len(windows) == 3
    assert backend.encoded_rows[:2] == [3, 1]  # of 20 doubtful turns, one heard again


def test_a_turn_in_another_allowed_language_is_labelled_turn_by_turn():
    script = interview(6) + [Line(30.0, "B", "dette er en norsk setning her ja det er", "no")]
    _, segments, _, _ = run(script)
    assert [(s.text, s.language) for s in segments if s.language != "en"] == [("dette er en norsk setning her ja det er", "no")]


def test_a_recording_in_norwegian_is_detected_as_norwegian():
    result, segments, _, _ = run(interview(8, "no"))
    assert result.language == "no" and {s.language for s in segments} == {"no"}


def test_with_the_language_given_the_detector_is_not_asked_for_the_recording():
    options = TranscriptionOptions(language="en", allowed=("en", "no"), verbatim=False)
    result, _, backend, _ = run(interview(4), options)
    assert result.language == "en" and result.evidence == {}


def test_unreadable_audio_gets_bounded_fallback_and_is_marked_not_searched_on():
    script = [Line(2.0 + 3.0 * i, "A", "mumble mumble mumble mumble", readable=False) for i in range(200)]  # 10 minutes
    result, segments, backend, windows = run(script)
    budget = max(1, int(FALLBACK_SHARE * len(windows)))
    sampled = [(rows, temperature) for what, rows, temperature in backend.calls if what == "decode" and temperature > 0]
    assert len(windows) >= 12 and 1 <= sum(rows for rows, _ in sampled) <= budget  # window-decodings at a temperature
    assert result.fallback_windows <= budget
    assert all(t.guard in ("repetition-loop", "unreliable") for t in result.texts)
    assert all(len(s.words) <= 3 for s in segments)  # a loop keeps three repetitions at most, marked


def test_an_english_only_model_refuses_a_study_without_english():
    with pytest.raises(SettingsError, match="English-only"):
        Transcriber(FakeBackend([], multilingual=False), TranscriptionOptions(allowed=("no",)))


def test_on_a_gpu_host_work_runs_beside_the_device_and_changes_nothing():
    """Padding the next batch and finishing the previous batch's alignment on a host
    thread gives the very transcript the in-line order gives, with batches that split
    (a German turn) and windows added back to the queue (unreadable speech)."""
    script = interview(30) + [Line(125.0, "B", "das ist ein deutscher satz hier wirklich sehr gut", "de")]
    script += [Line(135.0, "A", "mumble mumble mumble", readable=False)]
    options = TranscriptionOptions(language="auto", allowed=("en", "no"), verbatim=False, batch_size=2)
    inline, inline_segments, inline_backend, _ = run(script, options)
    threaded, threaded_segments, threaded_backend, _ = run(script, options, concurrent=True)
    assert [(s.speaker, s.text, s.language) for s in threaded_segments] == [(s.speaker, s.text, s.language) for s in inline_segments]
    assert [(t.window, t.guard) for t in threaded.texts] == [(t.window, t.guard) for t in inline.texts]
    assert threaded_backend.calls == inline_backend.calls
    assert any(s.language == "de" for s in threaded_segments) and any(t.guard for t in threaded.texts)
    assert inline_backend.threads == {"prepare": {"MainThread"}, "words": {"MainThread"}}
    assert threaded_backend.threads["words"] == {"transcribe-host_0"}
    assert "transcribe-host_0" in threaded_backend.threads["prepare"]  # the parts of a split window are prepared at once
