"""Chunk planning: speaker-homogeneous, at most 30 s, cut where the speaker pauses."""

from __future__ import annotations

import numpy as np

from transcribe.chunking import MAX_CHUNK_S, plan_chunks
from transcribe.diarization import Turn

SR = 16_000


def speech_with_pause(total_s: float, pause_at: float, pause_s: float = 0.4) -> np.ndarray:
    """Noise-like 'speech' with one clear pause (quiet but not digital silence)."""
    rng = np.random.default_rng(0)
    signal = 0.2 * rng.standard_normal(int(total_s * SR)).astype(np.float32)
    a, b = int(pause_at * SR), int((pause_at + pause_s) * SR)
    signal[a:b] *= 0.001
    return signal[None, :]


def test_long_turn_is_cut_at_the_pause_into_pieces_of_at_most_30_s():
    samples = speech_with_pause(50.0, pause_at=22.0)
    chunks = plan_chunks([Turn(0.0, 50.0, "SPEAKER_00")], samples, SR)
    assert len(chunks) == 2
    assert all(c.duration <= MAX_CHUNK_S for c in chunks)
    assert 22.0 <= chunks[0].end - 0.1 <= 22.4  # the cut falls inside the pause
    assert all(c.speaker == "SPEAKER_00" for c in chunks)


def test_very_long_monologue_is_cut_repeatedly():
    samples = speech_with_pause(125.0, pause_at=60.0)
    chunks = plan_chunks([Turn(0.0, 125.0, "SPEAKER_00")], samples, SR)
    assert len(chunks) >= 5
    assert all(c.duration <= MAX_CHUNK_S for c in chunks)
    assert chunks[0].start == 0.0 and chunks[-1].end == 125.0


def test_close_turns_of_one_speaker_merge_but_never_across_another_speaker():
    samples = speech_with_pause(20.0, pause_at=19.0)
    turns = [
        Turn(0.0, 2.0, "A"), Turn(2.5, 4.0, "A"),  # same speaker, short gap: merged
        Turn(4.2, 5.0, "B"),
        Turn(5.3, 7.0, "A"),  # A again after B: a new chunk
        Turn(10.0, 12.0, "A"),  # long gap: a new chunk
    ]
    chunks = plan_chunks(turns, samples, SR)
    assert [(c.speaker, round(c.start, 1), round(c.end, 1)) for c in chunks] == [
        ("A", 0.0, 4.1), ("B", 4.1, 5.1), ("A", 5.2, 7.1), ("A", 9.9, 12.1),
    ]


def test_chunks_of_a_stereo_call_keep_their_channel():
    samples = np.concatenate([speech_with_pause(10, 5), speech_with_pause(10, 5)])
    chunks = plan_chunks([Turn(1, 3, "L", channel=0), Turn(2, 4, "R", channel=1)], samples, SR)
    assert [(c.speaker, c.channel) for c in chunks] == [("L", 0), ("R", 1)]


def test_cut_takes_the_chunk_from_its_channel_or_the_mix():
    from transcribe.chunking import Chunk, cut

    samples = np.stack([np.full(SR * 4, 0.2, np.float32), np.full(SR * 4, 0.6, np.float32)])
    assert np.allclose(cut(Chunk(1.0, 2.0, "L", 0), samples, SR), 0.2)
    assert np.allclose(cut(Chunk(1.0, 2.0, "R", 1), samples, SR), 0.6)
    mixed = cut(Chunk(1.0, 2.5, "A", None), samples, SR)
    assert mixed.shape == (int(1.5 * SR),) and np.allclose(mixed, 0.4)
