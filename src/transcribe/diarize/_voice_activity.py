"""Long stretches without speech (hold music, tones, silence), found before diarization.

Hold music, DTMF tones and long silences are ordinary in telephone interviews. pyannote's
diarization spends as long on them as on speech (on the development VM 0.043 s per second
of music or beeps, 0.042 on speech) and may take music for a speaker, whose "words" then
sway the language detector. Silero VAD (its weights ship in the `silero-vad` wheel: nothing
is downloaded) hears none of them as speech, at about 0.006 s per second of audio.

Only long stretches are taken out (SKIP_MIN_S, after PAD_S of margin around the speech
Silero hears, SKIP_TOTAL_MIN_S of them in all), so an ordinary conversation, whose pauses
are shorter, is diarized whole and exactly as before.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from ..utils.intervals import Interval, length, subtract, union

SAMPLE_RATE = 16_000
# Speech Silero hears is widened by this much on each side: its edges are tight, and a
# quiet word at a turn's edge must not be cut away.
PAD_S = 0.5
# Stretches without speech at least this long are left out of diarization, when together
# they come to SKIP_TOTAL_MIN_S or more: less saves no time worth a change in how pyannote
# cuts the rest into chunks (sample.wav's first 6.3 s of silence, left out, cost its
# speaker-attributed WER 0.02).
SKIP_MIN_S = 5.0
SKIP_TOTAL_MIN_S = 30.0
# Silero's probability above which a 32 ms frame is speech (its default 0.5; lower keeps
# quiet telephone speech: nothing spoken may be lost).
THRESHOLD = 0.35


@functools.cache
def _silero():
    """Silero's model and its speech finder. Importing silero_vad sets torch to one thread
    for the whole process: the setting is put back."""
    threads = torch.get_num_threads()
    try:
        from silero_vad import get_speech_timestamps, load_silero_vad

        return load_silero_vad(), get_speech_timestamps
    finally:
        torch.set_num_threads(threads)


def long_silences(mono: np.ndarray, sample_rate: int = SAMPLE_RATE) -> list[Interval]:
    """Stretches of `mono` (samples at `sample_rate`, 16 kHz) of at least SKIP_MIN_S with
    no speech in them, in seconds (the whole recording where Silero hears no speech);
    none where they come to less than SKIP_TOTAL_MIN_S."""
    model, speech_timestamps = _silero()
    duration = len(mono) / sample_rate
    with torch.inference_mode():
        found = speech_timestamps(
            torch.from_numpy(np.ascontiguousarray(mono, dtype=np.float32)), model, threshold=THRESHOLD,
            sampling_rate=sample_rate, return_seconds=True,
        )
    speech = union((s["start"] - PAD_S, s["end"] + PAD_S) for s in found)
    long = [(a, b) for a, b in subtract([(0.0, duration)], speech) if b - a >= SKIP_MIN_S]
    return long if length(long) >= SKIP_TOTAL_MIN_S else []
