"""The transcription stage's orchestration, driven by a fake ASR backend (tests/fake_asr.py):
batching, languages, bounded work, seams between windows and the recovery of speech left
without words, in milliseconds."""

from __future__ import annotations

import pytest
from fake_asr import FakeBackend, Line, ramp_audio

from transcribe.asr.attribution import SpeakerTimeline, segments_of
from transcribe.asr.transcription import (
    CLEAN_WORK_PER_S,
    ENCODE_WORK,
    FALLBACK_BEST_OF,
    MAX_TOKENS,
    MAX_WORK_RATIO,
    Transcriber,
    TranscriptionOptions,
    token_limit,
)
from transcribe.asr.windows import plan_windows
from transcribe.diarize.diarization import Turn
from transcribe.errors import SettingsError

OPTIONS = TranscriptionOptions(language="auto", allowed=("en", "no"), verbatim=False, batch_size=4)


def run(
    script: list[Line], options: TranscriptionOptions = OPTIONS, seconds: float | None = None, doubted: tuple[str, ...] = (),
    concurrent: bool = False, drops_end_s: float = 0.0, **fake,
):
    seconds = seconds or max(line.end for line in script) + 2.0
    audio = ramp_audio(seconds)
    turns = [Turn(line.start - 0.05, line.end, line.speaker) for line in script]
    windows = plan_windows(turns, audio.samples, audio.sample_rate)
    backend = FakeBackend(script, doubted=doubted, concurrent=concurrent, drops_end_s=drops_end_s, **fake)
    result = Transcriber(backend, options)(audio, windows, turns, quiet={})  # the ramp is never quiet
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


def test_a_turn_is_put_in_an_unlisted_language_only_where_it_fits_clearly_better_than_every_listed_one():
    """The detector is sure a Norwegian turn full of names is Thai, and its Thai transcript
    fits the audio better than an English one, but not better than a Norwegian one: the
    turn is transcribed in Norwegian, never in Thai, and listed to be listened to again."""
    norwegian = Line(30.0, "B", "jeg heter åse ødegård og kollegaen min heter kari nordmann", "no")
    script = interview(6) + [norwegian, Line(36.0, "A", "back to english now")]
    result, segments, _, _ = run(script, misheard={"no": "th"}, fits={("no", "th"): -0.7})
    assert [(s.text, s.language) for s in segments if s.language != "en"] == [(norwegian.text, "no")]
    assert [(round(d.start), round(d.end), d.language) for d in result.doubts] == [(30, round(norwegian.end), "th")]
    # A turn that is Thai fits clearly better in Thai than in any listed language: it stands.
    thai = Line(30.0, "B", "sawatdee kha chan chue som and chan tham ngan thi rong phayaban", "th")
    result, segments, _, _ = run(interview(6) + [thai, Line(36.0, "A", "back to english now")])
    assert [(s.text, s.language) for s in segments if s.language != "en"] == [(thai.text, "th")] and not result.doubts


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


def said(segments) -> list[str]:
    return " ".join(s.text for s in segments).split()


def test_a_window_that_loops_has_its_words_recovered_in_parts_with_the_text_before_as_prompt():
    script = interview(40)  # 160 s: the work budget grows with the recording
    script[6] = Line(script[6].start, script[6].speaker, "line 6 sends the decoder round", loops_in_long=True)
    result, segments, backend, windows = run(script)
    assert said(segments) == " ".join(line.text for line in script).split()  # every word, once, in order
    assert result.recovered_parts >= 1 and not result.marks
    assert any(context.endswith("line 5 says words line 6") for context in backend.contexts)  # said before the stretch


def test_speech_that_stays_unreadable_is_marked_where_it_was_said():
    script = interview(40)
    script[8] = Line(script[8].start, script[8].speaker, "mumble mumble mumble mumble", readable=False)
    result, segments, _, _ = run(script)
    words = [w for s in segments for w in s.words]
    assert [w.text for w in words if w.text != "so"] == " ".join(line.text for line in script if line.readable).split()
    assert all(w.probability < 0.3 for w in words if w.text == "so")  # what it made of the mumbling: unclear
    [mark] = result.marks
    assert script[8].start < mark.start < script[8].end - 0.5 and mark.end == pytest.approx(script[8].end, abs=0.3)
    assert mark.reason == "repetition-loop"


def test_speech_without_a_pause_is_cut_into_overlapping_windows_and_no_word_is_lost_or_doubled_at_a_seam():
    """Ninety seconds of speech with no pause, the decoder dropping the last words of every
    long window (as Whisper does without timestamps)."""
    script = [Line(1.0 + 1.7 * i, "A", f"item {i} is here") for i in range(53)]  # 0.1 s between lines
    result, segments, _, windows = run(script, drops_end_s=1.5)
    assert len(windows) >= 4
    for before, after in zip(windows, windows[1:]):
        assert after.start < before.end and before.owns[1] == after.owns[0]  # overlapping, one owner each side
    assert said(segments) == " ".join(line.text for line in script).split()
    assert not result.marks


def test_unreadable_audio_costs_a_bounded_multiple_of_clean_speech_and_is_marked_not_searched_on():
    """All decoding, fallback and recovery included, stays within MAX_WORK_RATIO times
    what clean speech costs per second (one batch over at most); test_worst_case.py
    times it with Whisper."""
    script = [Line(2.0 + 3.0 * i, "A", "mumble mumble mumble mumble mumble", readable=False) for i in range(200)]  # 10 minutes
    options = TranscriptionOptions(language="en", allowed=("en",), verbatim=False, batch_size=4, beam_size=5)
    result, segments, backend, windows = run(script, options)
    assert len(windows) >= 12 and result.fallback_windows >= 1 and result.recovered_parts >= 1
    allowed = MAX_WORK_RATIO * CLEAN_WORK_PER_S * sum(w.duration for w in windows)
    one_batch = options.batch_size * (ENCODE_WORK + FALLBACK_BEST_OF * token_limit(30.0))
    assert allowed / 2 < backend.work <= allowed + one_batch
    assert all(t.guard in ("repetition-loop", "unreliable") for t in result.texts)
    assert all(w.probability < 0.3 for s in segments for w in s.words)  # only what it made of the mumbling, unclear
    assert all(any(m.start < line.end and m.end > line.start for m in result.marks) for line in script)  # every line marked


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
