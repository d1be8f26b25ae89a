"""Never worse than the obvious baseline: the pipeline against plain `whisper.transcribe`
with the same weights on pyannote's sample call, a real telephone call.

The measuring is bench/accuracy.py's: 16 recordings from five sources, a tuning and a
reporting half, with tiny.en and base against plain Whisper and faster-whisper in one run
(BENCHMARKS.md). This test only keeps the suite from landing a change that loses to
plain Whisper on the one real call it has."""

from __future__ import annotations

import pytest
import whisper

from transcribe.models.whisper_models import load_whisper
from transcribe.quality.metrics import wer

pytestmark = pytest.mark.slow


def plain_whisper(store, model: str, path) -> str:
    """openai-whisper's own loop, as a user would run it."""
    weights, _ = load_whisper(model, "cpu", store)
    return whisper.transcribe(weights, str(path), language="en", fp16=False, word_timestamps=True)["text"]


def test_the_sample_call_is_transcribed_better_than_plain_whisper(store, sample_transcript, sample_wav, sample_reference):
    reference = " ".join(text for *_, text in sample_reference)
    ours = wer(reference, " ".join(s.text for s in sample_transcript.segments))
    plain = wer(reference, plain_whisper(store, "base", sample_wav))
    print(f"\nsample.wav: WER {ours:.3f}; plain whisper.transcribe {plain:.3f}")
    assert ours <= plain
