"""Cut diarized turns into speaker-homogeneous chunks of at most 30 s for Whisper."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .diarization import Turn
from .speech_activity import quietest_point

MAX_CHUNK_S = 30.0
# Consecutive turns of one speaker closer than this are decoded together (more context).
MERGE_GAP_S = 1.0
# Audio kept around each chunk so that word onsets and endings are not clipped.
PAD_S = 0.1
# A long turn is cut at its quietest moment, but never before this much of it.
MIN_PIECE_S = 10.0


@dataclass
class Chunk:
    start: float
    end: float
    speaker: str
    channel: int | None

    @property
    def duration(self) -> float:
        return self.end - self.start


def _merge(turns: list[Turn]) -> list[Chunk]:
    chunks: list[Chunk] = []
    for turn in sorted(turns, key=lambda t: (t.start, t.end)):
        last = chunks[-1] if chunks else None
        if (
            last is not None
            and last.speaker == turn.speaker
            and last.channel == turn.channel
            and turn.start - last.end <= MERGE_GAP_S
            and turn.end - last.start <= MAX_CHUNK_S
        ):
            last.end = max(last.end, turn.end)
        else:
            chunks.append(Chunk(turn.start, turn.end, turn.speaker, turn.channel))
    return chunks


def _split(chunk: Chunk, signal: np.ndarray, sample_rate: int) -> list[Chunk]:
    pieces = []
    start = chunk.start
    limit = MAX_CHUNK_S - 2 * PAD_S
    while chunk.end - start > limit:
        cut = quietest_point(signal, sample_rate, start + MIN_PIECE_S, start + limit)
        pieces.append(Chunk(start, cut, chunk.speaker, chunk.channel))
        start = cut
    pieces.append(Chunk(start, chunk.end, chunk.speaker, chunk.channel))
    return pieces


def plan_chunks(turns: list[Turn], samples: np.ndarray, sample_rate: int) -> list[Chunk]:
    """Merge close turns of the same speaker, split long ones at pauses, pad the edges.

    `samples` is (channels, n); a chunk with a channel is cut from that channel alone,
    otherwise from the mono mix.
    """
    duration = samples.shape[1] / sample_rate
    mono = samples.mean(axis=0) if samples.shape[0] > 1 else samples[0]
    planned = []
    for chunk in _merge(turns):
        signal = mono if chunk.channel is None else samples[chunk.channel]
        for piece in _split(chunk, signal, sample_rate):
            piece.start = max(0.0, piece.start - PAD_S)
            piece.end = min(duration, piece.end + PAD_S)
            if piece.duration > 0.05:
                planned.append(piece)
    return planned


def cut(chunk: Chunk, samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """The chunk's audio: from its channel, or the mix of all channels (of this slice only)."""
    piece = samples[:, int(chunk.start * sample_rate) : int(chunk.end * sample_rate)]
    return piece.mean(axis=0) if chunk.channel is None else piece[chunk.channel]
