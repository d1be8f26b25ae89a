"""Energy-based speech activity, per channel, for recordings with one party per channel,
and the quiet that a transcript may call a pause.

On a stereo telephone recording each party is close to their own microphone, so speech
on a channel is loud *relative to that channel's noise floor* and *relative to the other
channel*; crosstalk (the other party leaking in, typically 15-30 dB down) fails the
second test. This is exact enough for channel-split diarization and needs no model.

Quiet (`silences`) is stricter than the absence of speech: at least QUIET_MIN_S where the
signal stays within QUIET_MARGIN_DB of its floor (a low percentile of its frames, so that
an hour of speech without a pause has one too), or below ABSOLUTE_FLOOR_DB. A transcript
writes a pause only there, never where words are merely missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRAME_S = 0.025
HOP_S = 0.010
_EPS = 1e-10

# A frame is speech when it is this far above the channel's noise floor...
FLOOR_MARGIN_DB = 12.0
# ...and no more than this far below the loudest channel (crosstalk is further down).
CROSSTALK_MARGIN_DB = 15.0
# Absolute floor: quieter frames are never speech (digital silence, line hum).
ABSOLUTE_FLOOR_DB = -60.0
SILENT_RECORDING_DB = -55.0
# Quiet: within this much of the floor, the QUIET_PERCENTILE-th percentile of the frames...
QUIET_MARGIN_DB = 10.0
QUIET_PERCENTILE = 5
# ...for at least this long (the short pause of the transcription conventions: espeak-ng
# reading a list at 175 words a minute breaks for under 0.3 s at each comma, and measured
# 0-1 runs of 0.3 s in two minutes).
QUIET_MIN_S = 0.3


@dataclass(frozen=True)
class Activity:
    start: float
    end: float


def frame_energies_db(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mean power per frame in dBFS; `samples` is (channels, n), the result (channels, frames)."""
    win = int(FRAME_S * sample_rate)
    hop = int(HOP_S * sample_rate)
    channels, n = samples.shape
    if n < win:
        return np.full((channels, 0), ABSOLUTE_FLOOR_DB - 40)
    starts = np.arange(0, n - win + 1, hop)
    power = np.empty((channels, starts.size))
    for c in range(channels):
        cumulative = np.concatenate([[0.0], np.cumsum(samples[c].astype(np.float64) ** 2)])
        power[c] = (cumulative[starts + win] - cumulative[starts]) / win
    return 10 * np.log10(power + _EPS)


def noise_floor_db(energies: np.ndarray) -> np.ndarray:
    """Per-channel noise floor: a low percentile of frame energies."""
    return np.percentile(energies, 10, axis=1)


def active_frames(energies: np.ndarray) -> np.ndarray:
    """Boolean (channels, frames): where each channel carries its own speech."""
    floor = noise_floor_db(energies)[:, None]
    loud = energies > np.maximum(floor + FLOOR_MARGIN_DB, ABSOLUTE_FLOOR_DB)
    dominant = energies > energies.max(axis=0, keepdims=True) - CROSSTALK_MARGIN_DB
    return loud & dominant


def frames_to_activity(mask: np.ndarray, min_gap_s: float = 0.3, min_speech_s: float = 0.15) -> list[Activity]:
    """Turn a frame mask into time regions: bridge short gaps, drop blips."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    regions = [[s * HOP_S, e * HOP_S + FRAME_S - HOP_S] for s, e in zip(edges[::2], edges[1::2])]
    merged: list[list[float]] = []
    for region in regions:
        if merged and region[0] - merged[-1][1] < min_gap_s:
            merged[-1][1] = region[1]
        else:
            merged.append(region)
    return [Activity(s, e) for s, e in merged if e - s >= min_speech_s]


def is_silent(samples: np.ndarray, sample_rate: int) -> bool:
    """True when no frame on any channel rises above near-digital silence."""
    energies = frame_energies_db(samples, sample_rate)
    return energies.size == 0 or float(energies.max()) < SILENT_RECORDING_DB


def quietest_point(samples: np.ndarray, sample_rate: int, start: float, end: float) -> float:
    """Time of the lowest-energy 100 ms window between `start` and `end` (for cutting chunks)."""
    a, b = int(start * sample_rate), int(end * sample_rate)
    segment = samples[a:b]
    win = int(0.1 * sample_rate)
    if segment.size <= win:
        return (start + end) / 2
    energies = frame_energies_db(segment[None, :], sample_rate)[0]
    # smooth to 100 ms so that one quiet frame inside a word does not win
    width = max(1, int(0.1 / HOP_S))
    smooth = np.convolve(energies, np.ones(width) / width, mode="same")
    return start + (int(np.argmin(smooth)) * HOP_S + FRAME_S / 2)


def silences(samples: np.ndarray, sample_rate: int, per_channel: bool) -> dict[int | None, list[Activity]]:
    """Quiet stretches (see module doc) of the mix, under the key None, and with
    `per_channel` of each channel, where the other channel's crosstalk counts as quiet."""
    mix = samples.mean(axis=0, keepdims=True)
    rows = np.concatenate([samples, mix]) if per_channel and samples.shape[0] > 1 else mix
    energies = frame_energies_db(rows, sample_rate)
    if energies.shape[1] == 0:
        return {None: []}
    floors = np.maximum(np.percentile(energies, QUIET_PERCENTILE, axis=1) + QUIET_MARGIN_DB, ABSOLUTE_FLOOR_DB)
    quiet = energies < floors[:, None]
    if rows.shape[0] > 1:  # channels: the other party's crosstalk is not this one's speech
        channels = energies[:-1]
        quiet[:-1] |= channels < channels.max(axis=0, keepdims=True) - CROSSTALK_MARGIN_DB
    found = [frames_to_activity(row, min_gap_s=0.0, min_speech_s=QUIET_MIN_S) for row in quiet]
    keys: list[int | None] = [*range(rows.shape[0] - 1), None] if rows.shape[0] > 1 else [None]
    return dict(zip(keys, found))


# Own speech keeps this much of its channel's audio around it when crosstalk is gated.
GATE_HOLD_S = 0.2


def crosstalk_gate(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """(channels, frames) of HOP_S, True where a channel's audio is kept for transcribing
    a call split by channel: everywhere but where another channel's party speaks and this
    one's does not (this channel then carries only their crosstalk, which Whisper hears
    and writes down as this party's words)."""
    active = active_frames(frame_energies_db(samples, sample_rate))
    hold = int(GATE_HOLD_S / HOP_S)
    kernel = np.ones(2 * hold + 1)
    own = np.stack([np.convolve(row.astype(float), kernel, mode="same") > 0 for row in active])
    others = np.stack([np.delete(active, c, axis=0).any(axis=0) for c in range(active.shape[0])])
    return own | ~others
