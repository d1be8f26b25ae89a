"""Energy-based speech activity, per channel, for recordings with one party per channel.

On a stereo telephone recording each party is close to their own microphone, so speech
on a channel is loud *relative to that channel's noise floor* and *relative to the other
channel*; crosstalk (the other party leaking in, typically 15-30 dB down) fails the
second test. This is exact enough for channel-split diarization and needs no model.
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
