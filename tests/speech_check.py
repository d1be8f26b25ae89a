"""No speech lost, checked on every transcript the suite makes (conftest.py wraps
`Pipeline.transcribe`): an implementation of its own, frame by frame, of the rule that
coverage.py implements with intervals.

Every 10 ms frame that the diarization calls speech and that is not quiet (the silences the
transcript records) must lie within REACH_S of a word or inside a mark (`[inaudible]`);
a run of frames that does not may last less than MAX_UNACCOUNTED_S. Word timings reach
as far as the library lets them, or farther: this check may pass what the library would
have marked, never the other way round.
"""

from __future__ import annotations

import numpy as np

FRAME_S = 0.01
REACH_S = 0.25
MAX_UNACCOUNTED_S = 1.0


def _frames(spans, count: int) -> np.ndarray:
    mask = np.zeros(count, dtype=bool)
    for start, end in spans:
        mask[max(0, int(start / FRAME_S)) : max(0, int(np.ceil(end / FRAME_S)))] = True
    return mask


def unaccounted_runs(transcript) -> list[tuple[float, float]]:
    """Runs of speech frames with neither words nor a mark, in seconds."""
    if transcript.silences is None or not transcript.speech:
        return []
    count = int(transcript.recording.duration / FRAME_S) + 2
    channel_of = {s.id: s.channel for s in transcript.speakers}
    runs = []
    for track in {t.channel for t in transcript.speech}:
        speech = _frames(((t.start, t.end) for t in transcript.speech if t.channel == track), count)
        quiet = _frames(((q.start, q.end) for q in transcript.silences if q.channel == track), count)
        words = [w for s in transcript.segments if channel_of.get(s.speaker) == track for w in s.words]
        heard = _frames(((w.start - REACH_S, w.end + REACH_S) for w in words), count)
        marked = _frames(((m.start, m.end) for m in transcript.marks if channel_of.get(m.speaker) == track), count)
        left = speech & ~quiet & ~heard & ~marked
        edges = np.flatnonzero(np.diff(np.concatenate([[0], left.astype(np.int8), [0]])))
        runs += [(a * FRAME_S, b * FRAME_S) for a, b in zip(edges[::2], edges[1::2]) if (b - a) * FRAME_S >= MAX_UNACCOUNTED_S]
    return sorted(runs)


def assert_no_speech_lost(transcript) -> None:
    runs = unaccounted_runs(transcript)
    assert not runs, f"{transcript.recording.source_name}: speech with neither words nor a mark at {runs}"
    if transcript.quality is not None and transcript.quality.unmarked_speech_seconds is not None:
        assert transcript.quality.unmarked_speech_seconds == 0, transcript.quality.unmarked_speech_seconds
