"""No speech lost: every stretch of speech ends as words or an explicit mark, and a pause
is written only where the audio was quiet (conftest.py checks the first on every
transcript the suite makes, with speech_check.py)."""

from __future__ import annotations

import re
import subprocess

import pytest
from speech_check import unaccounted_runs

from transcribe.export.writers import render_text
from transcribe.pipeline import Pipeline
from transcribe.quality.metrics import alignment, normalize
from transcribe.settings import Settings
from transcribe.transcript import (
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

MODEL = "base"


def test_the_check_finds_speech_left_without_words_or_mark():
    words = [Word(0.5 + 0.5 * i, 0.9 + 0.5 * i, "word", 0.9) for i in range(4)] + [Word(6.0, 6.4, "word", 0.9)]
    transcript = Transcript(
        recording=Recording("call.wav", "a" * 64, 10.0, 1, 16000), language="en", speakers=[Speaker("A", "A")],
        segments=[Segment(0.5, 6.4, "A", " ".join(w.text for w in words), words)],
        provenance=Provenance("0.1.0", "2026-11-30T00:00:00+00:00"),
        speech=[SpeechTurn(0.4, 6.5, "A")], silences=[],
    )
    [(start, end)] = unaccounted_runs(transcript)  # 2.4-6.0 s was speech, and nothing says so
    assert start == pytest.approx(2.65, abs=0.02) and end == pytest.approx(5.75, abs=0.02)
    transcript.silences = [Silence(2.5, 6.0)]
    assert unaccounted_runs(transcript) == []  # a pause
    transcript.silences, transcript.marks = [], [Mark(2.6, 5.8, "A", "no-words")]
    assert unaccounted_runs(transcript) == []


@pytest.mark.slow
def test_a_list_read_without_a_pause_comes_back_whole_with_no_pause_marks(store, tmp_path):
    """The issue's recording: espeak-ng reading sixty numbered items in 124 s, never
    pausing 0.7 s; Whisper tiny.en dropped items where its 30 s windows met, and the text
    wrote "(2.3)" where they were said."""
    text = ", ".join(f"item {i} is number {i}" for i in range(1, 61))
    path = tmp_path / "reading.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "175", "-w", str(path), text], check=True)
    pipeline = Pipeline(Settings(model=MODEL, device="cpu", language="en", roles=()), store=store)
    transcript = pipeline.transcribe(path)
    assert transcript.recording.duration > 120 and transcript.provenance.settings["windows"] >= 4
    reference = normalize(text)  # five words an item
    heard = normalize(" ".join(s.text for s in transcript.segments))
    matched = [0] * 60
    for ref, hyp in alignment(reference, heard):
        if ref is not None and hyp is not None and reference[ref] == heard[hyp]:
            matched[ref // 5] += 1
    lost = [item + 1 for item, count in enumerate(matched) if count < 3]
    assert not lost, f"items {lost} are missing"  # every item, in order (Whisper may mishear a number in one)
    reading = render_text(transcript)
    assert not re.search(r"\((\.|\d+\.\d)\)", reading), reading  # no pause: the reader never paused
    assert "[inaudible" not in reading and transcript.quality.unmarked_speech_seconds == 0
