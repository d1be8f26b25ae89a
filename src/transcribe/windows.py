"""Windows of speech for Whisper: up to 30 s each, cut at pauses, whoever speaks.

Whisper reads 30 s at a time, and every window costs a full encoder pass and a decoder
run however little speech it holds. Decoding each speaker's turn alone meant thousands of
short windows per hour, each without the context of the conversation around it. Here the
speech (the diarization's regions) is packed into windows as full as possible:

* silences up to KEEP_GAP_S stay as they are: they are part of how people speak;
* a longer silence is cut out, leaving GAP_EDGE_S of its audio on either side, so it
  costs no window time (and Whisper cannot invent words in it). Times map back exactly;
* a window ends at the last silence between MIN_WINDOW_S and MAX_WINDOW_S, or, in speech
  that never pauses that long, at its quietest moment there.

Mono recordings are packed regardless of who speaks: words are given to speakers
afterwards, by their timings (attribution.py). A stereo call with one party per channel
is packed channel by channel, so its windows are one speaker's by construction, still
full length, and the other party's crosstalk falls in the silences that are cut out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .diarization import Turn
from .speech_activity import quietest_point

MAX_WINDOW_S = 30.0
# A window is not cut before this much of it is filled, if the speech goes on.
MIN_WINDOW_S = 20.0
KEEP_GAP_S = 1.0
GAP_EDGE_S = 0.15
# Audio kept before and after speech, so that word onsets and endings are not clipped.
PAD_S = 0.1


@dataclass
class Span:
    """A stretch of the recording (`start`-`end`, seconds) placed at `offset` in its window."""

    start: float
    end: float
    offset: float = 0.0

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Window:
    spans: list[Span]
    channel: int | None = None  # None: the mix of all channels
    speaker: str | None = None  # the one speaker of a channel's window
    language: str | None = None  # set when a window was split off for a turn's language
    retry: bool = False  # speech a window's decoding left without words, decoded on its own

    def piece(self, start: float, end: float, **changes) -> Window:
        """Window time [start, end) as a window of its own (same channel and speaker)."""
        spans, offset = [], 0.0
        for span in self.part(start, end):
            spans.append(Span(span.start, span.end, offset))
            offset += span.duration
        return Window(spans, self.channel, self.speaker, **{"language": self.language, **changes})

    @property
    def duration(self) -> float:
        return self.spans[-1].offset + self.spans[-1].duration if self.spans else 0.0

    @property
    def start(self) -> float:
        return self.spans[0].start

    @property
    def end(self) -> float:
        return self.spans[-1].end

    def audio(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        """The window's audio: its spans, from its channel or the mix, back to back."""
        pieces = []
        for span in self.spans:
            piece = samples[:, int(round(span.start * sample_rate)) : int(round(span.end * sample_rate))]
            pieces.append(piece.mean(axis=0) if self.channel is None else piece[self.channel])
        return np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, np.float32)

    def to_source(self, t: float) -> float:
        """Recording time of window time `t` (clamped to the span it falls in or before)."""
        for span in self.spans:
            if t <= span.offset + span.duration:
                return span.start + min(max(t - span.offset, 0.0), span.duration)
        last = self.spans[-1]
        return last.end

    def to_window(self, t: float) -> float:
        """Window time of recording time `t` (a time in a cut silence maps to its edge)."""
        for span in self.spans:
            if t <= span.end:
                return span.offset + max(t - span.start, 0.0)
        return self.duration

    def span_of(self, t: float) -> int:
        """Index of the span window time `t` falls in (the nearest one in a gap)."""
        for i, span in enumerate(self.spans):
            if t < span.offset + span.duration:
                return i
        return len(self.spans) - 1

    def part(self, start: float, end: float) -> list[Span]:
        """The recording's stretches covered by window time [start, end)."""
        found = []
        for span in self.spans:
            a, b = max(start, span.offset), min(end, span.offset + span.duration)
            if b > a:
                found.append(Span(span.start + a - span.offset, span.start + b - span.offset))
        return found


def _merge(turns: list[Turn], duration: float) -> list[Span]:
    """Speech regions padded by PAD_S, joined across silences up to KEEP_GAP_S."""
    spans: list[Span] = []
    for turn in sorted(turns, key=lambda t: (t.start, t.end)):
        start, end = max(0.0, turn.start - PAD_S), min(duration, turn.end + PAD_S)
        if spans and start - spans[-1].end <= KEEP_GAP_S:
            spans[-1].end = max(spans[-1].end, end)
        elif end > start:
            spans.append(Span(start, end))
    return spans


def _pack(spans: list[Span], signal: np.ndarray, sample_rate: int) -> list[list[Span]]:
    """Spans into windows of at most MAX_WINDOW_S of audio (see module doc); their
    offsets are placed by _with_edges."""
    windows: list[list[Span]] = []
    current: list[Span] = []
    filled = 0.0
    queue = [Span(s.start, s.end) for s in spans]
    while queue:
        span = queue.pop(0)
        edge = GAP_EDGE_S if current else 0.0
        room = MAX_WINDOW_S - filled - edge
        if span.duration <= room:
            current.append(Span(span.start, span.end))
            filled += edge + span.duration
            continue
        if current and filled >= MIN_WINDOW_S:  # cut at the silence before this span
            windows.append(current)
            current, filled = [], 0.0
            queue.insert(0, span)
            continue
        # cut inside the span, at its quietest moment between MIN and MAX of the window
        low = span.start + max(0.0, MIN_WINDOW_S - filled - edge)
        high = span.start + room
        cut = quietest_point(signal, sample_rate, low, high) if high - low > 0.2 else high
        current.append(Span(span.start, cut))
        windows.append(current)
        current, filled = [], 0.0
        queue.insert(0, Span(cut, span.end))
    if current:
        windows.append(current)
    return _with_edges(windows)


def _with_edges(windows: list[list[Span]]) -> list[list[Span]]:
    """Between two spans of a window, keep GAP_EDGE_S of the cut silence on either side:
    the window hears a short pause there instead of an abrupt join."""
    out = []
    for spans in windows:
        placed: list[Span] = []
        offset = 0.0
        for i, span in enumerate(spans):
            start = span.start - (GAP_EDGE_S / 2 if i else 0.0)
            end = span.end + (GAP_EDGE_S / 2 if i < len(spans) - 1 else 0.0)
            placed.append(Span(start, end, offset))
            offset += end - start
        out.append(placed)
    return out


def plan_windows(turns: list[Turn], samples: np.ndarray, sample_rate: int) -> list[Window]:
    """Windows over the speech of `turns`: per channel for turns that carry one (a stereo
    call split by channel), over the mix otherwise. In time order of their first speech."""
    duration = samples.shape[1] / sample_rate
    groups: dict[int | None, list[Turn]] = {}
    for turn in turns:
        groups.setdefault(turn.channel, []).append(turn)
    mono = samples.mean(axis=0) if samples.shape[0] > 1 else samples[0]
    windows = []
    for channel, group in groups.items():
        speakers = {t.speaker for t in group}
        speaker = next(iter(speakers)) if channel is not None and len(speakers) == 1 else None
        signal = mono if channel is None else samples[channel]
        for spans in _pack(_merge(group, duration), signal, sample_rate):
            windows.append(Window(spans, channel, speaker))
    return sorted(windows, key=lambda w: (w.start, w.channel if w.channel is not None else -1))
