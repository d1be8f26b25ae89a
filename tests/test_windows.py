"""Window planning: full windows of up to 30 s cut at pauses, whoever speaks; per channel on stereo calls."""

from __future__ import annotations

import math

import numpy as np
import pytest

from transcribe.asr.windows import (
    GAP_EDGE_S,
    KEEP_GAP_S,
    MAX_WINDOW_S,
    PAD_S,
    SEAM_S,
    Window,
    plan_windows,
)
from transcribe.diarize.diarization import Turn

SR = 16_000


def noise(seconds: float, seed: int = 0) -> np.ndarray:
    return 0.2 * np.random.default_rng(seed).standard_normal(int(seconds * SR)).astype(np.float32)


def mono(seconds: float, quiet: list[tuple[float, float]] = ()) -> np.ndarray:
    """Noise-like 'speech' with quiet stretches (not digital silence)."""
    signal = noise(seconds)
    for a, b in quiet:
        signal[int(a * SR) : int(b * SR)] *= 0.001
    return signal[None, :]


def test_a_conversation_fills_windows_whoever_speaks():
    # 60 s of turn-taking, two speakers, half-second gaps: two full windows, not 20 turns
    turns = [Turn(i * 3.0, i * 3.0 + 2.5, "A" if i % 2 else "B") for i in range(20)]
    windows = plan_windows(turns, mono(60.0, quiet=[(t.end, t.end + 0.5) for t in turns]), SR)
    assert len(windows) == 3
    assert all(w.duration <= MAX_WINDOW_S for w in windows)
    assert windows[0].duration >= 20.0 and windows[0].speaker is None
    # nothing is lost between windows: together they cover every turn
    covered = [(s.start, s.end) for w in windows for s in w.spans]
    for turn in turns:
        assert any(a <= turn.start and turn.end <= b for a, b in covered), turn


def test_long_silences_are_cut_out_and_times_map_back():
    turns = [Turn(1.0, 4.0, "A"), Turn(10.0, 12.0, "B")]  # a 6 s silence
    [window] = plan_windows(turns, mono(15.0), SR)
    assert [x for s in window.spans for x in (s.start, s.end)] == pytest.approx(
        [1.0 - PAD_S, 4.0 + PAD_S + GAP_EDGE_S / 2, 10.0 - PAD_S - GAP_EDGE_S / 2, 12.0 + PAD_S]
    )
    assert window.duration == pytest.approx(3.0 + 2.0 + 4 * PAD_S + GAP_EDGE_S)
    # 1.0 s into the window is 1.9 s of the recording; the second span starts where it should
    assert window.to_source(1.0) == pytest.approx(1.9)
    second = window.spans[1]
    assert window.to_source(second.offset + 0.5) == pytest.approx(second.start + 0.5)
    assert window.to_window(10.0) == pytest.approx(second.offset + PAD_S + GAP_EDGE_S / 2)
    audio = window.audio(mono(15.0), SR)
    assert len(audio) == pytest.approx(window.duration * SR, abs=2)


def test_short_silences_stay_in_the_window():
    turns = [Turn(1.0, 4.0, "A"), Turn(4.0 + KEEP_GAP_S * 0.8, 8.0, "B")]
    [window] = plan_windows(turns, mono(10.0), SR)
    assert len(window.spans) == 1  # a pause of 0.8 s is part of how people speak


def test_speech_that_never_pauses_is_cut_at_its_quietest_moment_into_overlapping_windows():
    samples = mono(70.0, quiet=[(25.0, 25.3), (50.0, 50.3)])
    windows = plan_windows([Turn(0.0, 70.0, "A")], samples, SR)
    assert len(windows) == 3
    first, second = windows[0].owns[1], windows[1].owns[1]
    assert 25.0 <= first <= 25.3 and 50.0 <= second <= 50.3  # each cut at the quietest moment
    for before, after, cut in zip(windows, windows[1:], (first, second)):  # the one before going on SEAM_S past the cut
        assert before.end == pytest.approx(cut + SEAM_S) and after.start == pytest.approx(cut)
        assert before.owns[1] == after.owns[0] == cut  # a word is the one window's or the other's
        assert before.keeps(cut - 0.2, cut - 0.1) and not before.keeps(cut + 0.1, cut + 0.2)
    assert windows[0].owns[0] == -math.inf and windows[-1].owns[1] == math.inf
    assert all(w.duration <= MAX_WINDOW_S for w in windows)


def test_a_stereo_call_is_packed_channel_by_channel():
    samples = np.concatenate([mono(40.0), mono(40.0)])
    turns = [Turn(i * 4.0, i * 4.0 + 3.0, "L" if i % 2 == 0 else "R", channel=i % 2) for i in range(10)]
    windows = plan_windows(turns, samples, SR)
    assert {(w.channel, w.speaker) for w in windows} == {(0, "L"), (1, "R")}
    left = next(w for w in windows if w.channel == 0)
    edge = PAD_S + GAP_EDGE_S / 2  # each span opens with a little of the silence before it
    assert [s.start for s in left.spans] == pytest.approx([0.0, 8.0 - edge, 16.0 - edge, 24.0 - edge, 32.0 - edge])
    # the window holds the left party only: crosstalk in the cut silences never reaches it
    assert left.duration < 5 * 3.0 + 5 * 2 * PAD_S + 4 * GAP_EDGE_S + 1e-6


def test_a_piece_of_a_window_is_a_window_of_its_own():
    window = plan_windows([Turn(1.0, 4.0, "A"), Turn(10.0, 12.0, "A")], mono(15.0), SR)[0]
    piece = window.piece(2.0, window.duration, language="de")
    assert piece.language == "de" and piece.owns == window.owns and piece.spans[0].offset == 0.0
    assert piece.start == pytest.approx(window.to_source(2.0)) and piece.end == pytest.approx(window.end)
    assert piece.duration == pytest.approx(window.duration - 2.0)
    assert Window(piece.spans).to_source(0.0) == pytest.approx(piece.start)


def test_a_window_ends_at_its_longest_silence_once_it_is_full_enough():
    turns = [Turn(0.0, 14.0, "A"), Turn(15.2, 21.2, "B"), Turn(25.2, 28.2, "A"), Turn(29.7, 39.7, "B")]
    first, second = plan_windows(turns, mono(40.0), SR)
    # after B the window holds 20 s: the 4 s silence there beats the 1.5 s one after the next turn
    assert first.end == pytest.approx(21.2 + PAD_S) and second.start == pytest.approx(25.2 - PAD_S)
