"""A second pass for the hesitations Whisper left out (verbatim style).

Whisper writes like a subtitler: even prompted with fillers it drops many "um"s and
"eh"s, and its word timings then stretch a neighbouring word over the hesitation. This
pass looks for *islands* of sound (stretches above the noise floor, separated by short
silences) that the words do not account for:

* an island no word overlaps, or
* an island whose every overlapping word also overlaps another island: a word stretched
  across a pause has swallowed something, and it is not known which island is the word.

Each such island is decoded again on its own, with the filler prompt. Whisper, hearing
only the island, writes the hesitation it smoothed over in context; the island becomes a
filler when what it writes is nothing but fillers. Anything else (a real word, nothing at
all) leaves the transcript as it was: this pass only ever adds fillers, never words.

An encoder pass costs the same for 0.3 s as for 30 s, so islands are packed into shared
windows, ISLAND_SPACING_S of silence apart, and each is decoded from its own stretch of
the shared encoding (the decoder attends to that stretch alone). On the English filler
interview this finds the fillers that one encoder pass per island finds, 5x faster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..conventions import is_filler
from ..ingest.speech_activity import (
    FLOOR_MARGIN_DB,
    frame_energies_db,
    frames_to_activity,
)
from ..transcript import Word

# Silence this long separates two islands (a stop consonant's closure is shorter).
ISLAND_GAP_S = 0.12
MIN_ISLAND_S = 0.15
# Longer islands are speech, not a hesitation.
MAX_ISLAND_S = 1.5
# Audio kept around an island when it is decoded alone.
ISLAND_PAD_S = 0.1
# A word overlapping an island by less than this does not account for it (timing slop).
MIN_OVERLAP_S = 0.03
# Silence between islands packed into one window, and the most audio one window takes.
ISLAND_SPACING_S = 1.0
PACKED_WINDOW_S = 30.0


@dataclass(frozen=True)
class Island:
    start: float  # seconds, relative to the signal it was found in
    end: float


def islands(signal: np.ndarray, sample_rate: int, floor_db: float) -> list[Island]:
    """Stretches of `signal` louder than the noise floor, split at silences of ISLAND_GAP_S."""
    active = frame_energies_db(signal[None, :], sample_rate)[0] > floor_db + FLOOR_MARGIN_DB
    return [Island(a.start, a.end) for a in frames_to_activity(active, min_gap_s=ISLAND_GAP_S, min_speech_s=MIN_ISLAND_S)]


@dataclass(frozen=True)
class Placement:
    row: int  # which packed window
    start: float  # seconds in it
    end: float


def island_audio(signal: np.ndarray, island: Island, sample_rate: int = 16_000) -> np.ndarray:
    """The island's audio with ISLAND_PAD_S around it."""
    return signal[int(max(0.0, island.start - ISLAND_PAD_S) * sample_rate) : int((island.end + ISLAND_PAD_S) * sample_rate)]


def pack_islands(clips: list[np.ndarray], sample_rate: int) -> tuple[list[np.ndarray], list[Placement]]:
    """The clips laid into windows of at most PACKED_WINDOW_S, ISLAND_SPACING_S apart;
    where each clip went, in order."""
    windows: list[list[tuple[float, np.ndarray]]] = [[]]
    placed: list[Placement] = []
    cursor = 0.0
    for clip in clips:
        seconds = len(clip) / sample_rate
        if windows[-1] and cursor + seconds > PACKED_WINDOW_S:
            windows.append([])
            cursor = 0.0
        windows[-1].append((cursor, clip))
        placed.append(Placement(len(windows) - 1, cursor, cursor + seconds))
        cursor += seconds + ISLAND_SPACING_S
    audio = []
    for window in windows:
        length = max((int(round(start * sample_rate)) + len(clip) for start, clip in window), default=0)
        signal = np.zeros(length, dtype=np.float32)
        for start, clip in window:
            at = int(round(start * sample_rate))
            signal[at : at + len(clip)] = clip
        audio.append(signal)
    return (audio if clips else []), placed


def _overlap(word: Word, island: Island) -> float:
    return min(word.end, island.end) - max(word.start, island.start)


def unexplained(found: list[Island], words: list[Word]) -> list[Island]:
    """Islands of hesitation length that no word accounts for on its own (see module doc)."""
    covering = {i: [w for w in words if _overlap(w, island) > MIN_OVERLAP_S] for i, island in enumerate(found)}
    islands_of = {id(w): sum(w in ws for ws in covering.values()) for w in words}
    return [
        island
        for i, island in enumerate(found)
        if island.end - island.start <= MAX_ISLAND_S
        and not any(is_filler(w.text) for w in covering[i])  # the hesitation is there already
        and all(islands_of[id(w)] > 1 for w in covering[i])
    ]


def filler_word(text: str) -> str | None:
    """The filler a decoded island holds ("Um," -> "um"), or None when it holds anything else."""
    tokens = text.split()
    if not tokens or not all(is_filler(t) for t in tokens):
        return None
    return " ".join(re.sub(r"[^\w-]", "", t.lower()) for t in tokens)


def insert_filler(words: list[Word], filler: Word) -> list[Word]:
    """`words` with `filler` in time order; a word stretched over the filler is trimmed off it."""
    trimmed = []
    for word in words:
        if _overlap(word, Island(filler.start, filler.end)) > 0:
            if word.start >= filler.start - MIN_OVERLAP_S and word.end > filler.end:
                word = Word(filler.end, word.end, word.text, word.probability)
            elif word.end <= filler.end + MIN_OVERLAP_S and word.start < filler.start:
                word = Word(word.start, filler.start, word.text, word.probability)
            elif word.start < filler.start and word.end > filler.end:
                # the word spans the filler on both sides: keep the larger side
                before, after = filler.start - word.start, word.end - filler.end
                word = Word(word.start, filler.start, word.text, word.probability) if before >= after else Word(filler.end, word.end, word.text, word.probability)
        trimmed.append(word)
    return sorted([*trimmed, filler], key=lambda w: (w.start, w.end))
