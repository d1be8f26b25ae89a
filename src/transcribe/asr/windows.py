"""Windows of speech for Whisper: up to 30 s each, cut at pauses, whoever speaks.

Whisper reads 30 s at a time, and every window costs a full encoder pass and a decoder
run however little speech it holds. Decoding each speaker's turn alone meant thousands of
short windows per hour, each without the context of the conversation around it. Here the
speech (the diarization's regions) is packed into windows as full as possible:

* silences up to KEEP_GAP_S stay as they are: they are part of how people speak;
* a longer silence is cut out, leaving GAP_EDGE_S of its audio on either side, so it
  costs no window time (and Whisper cannot invent words in it). Times map back exactly;
* a window ends at the longest silence between MIN_WINDOW_S and MAX_WINDOW_S. Speech that
  never pauses that long is cut at its quietest moment there (a word boundary, as a
  rule), and the window before the cut goes on SEAM_S past it: Whisper decoding a window
  without timestamps often drops the words at its very end, so that window does not end
  at the seam. The next window starts at the cut (started earlier, mid-sentence, Whisper
  garbled its first words and with them more of the window: WER 0.232 against 0.192 on
  the tuning monologue, Whisper base). Each window *owns* the words on its side of the
  cut (by the middle of their timing), so no word is written twice; one dropped at the
  seam by both is speech left without words, which the transcription stage decodes
  again (transcription.py).

Mono recordings are packed regardless of who speaks: words are given to speakers
afterwards, by their timings (attribution.py). A stereo call with one party per channel
is packed channel by channel, so its windows are one speaker's by construction, still
full length, and the other party's crosstalk falls in the silences that are cut out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..diarize.diarization import Turn
from ..ingest.speech_activity import HOP_S, quietest_point

MAX_WINDOW_S = 30.0
# A window is not cut before this much of it is filled, if the speech goes on.
MIN_WINDOW_S = 20.0
KEEP_GAP_S = 1.0
GAP_EDGE_S = 0.15
# Audio kept before and after speech, so that word onsets and endings are not clipped.
PAD_S = 0.1
# Where speech is cut without a pause, the window before the cut goes on this far past it.
SEAM_S = 4.0
EVERYTHING = (-math.inf, math.inf)


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
    # The recording's time whose words this window keeps (where it overlaps a neighbour).
    owns: tuple[float, float] = EVERYTHING
    # A part of the speech the first pass left without words, decoded again: the stretches
    # whose words it keeps (the rest of its audio is context), and the words said before.
    claims: tuple[tuple[float, float], ...] = ()
    context: str = ""

    @property
    def retry(self) -> bool:
        return bool(self.claims)

    def piece(self, start: float, end: float, **changes) -> Window:
        """Window time [start, end) as a window of its own (same channel, speaker, language
        and ownership)."""
        spans, offset = [], 0.0
        for span in self.part(start, end):
            spans.append(Span(span.start, span.end, offset))
            offset += span.duration
        return Window(spans, self.channel, self.speaker, **{"language": self.language, "owns": self.owns, **changes})

    def keeps(self, start: float, end: float) -> bool:
        """Whether a word timed [start, end] (recording time) is this window's to keep."""
        middle = (start + end) / 2
        return self.owns[0] <= middle < self.owns[1] and (not self.claims or any(a <= middle < b for a, b in self.claims))

    @property
    def duration(self) -> float:
        return self.spans[-1].offset + self.spans[-1].duration if self.spans else 0.0

    @property
    def start(self) -> float:
        return self.spans[0].start

    @property
    def end(self) -> float:
        return self.spans[-1].end

    def audio(self, samples: np.ndarray, sample_rate: int, gate: np.ndarray | None = None) -> np.ndarray:
        """The window's audio: its spans, from its channel or the mix, back to back; on a
        channel, silenced where `gate` (speech_activity.crosstalk_gate) is False."""
        pieces = []
        for span in self.spans:
            a, b = int(round(span.start * sample_rate)), int(round(span.end * sample_rate))
            if self.channel is None:
                pieces.append(samples[:, a:b].mean(axis=0))
                continue
            piece = samples[self.channel, a:b]
            if gate is not None:
                frames = np.minimum((np.arange(a, a + len(piece)) / (HOP_S * sample_rate)).astype(int), gate.shape[1] - 1)
                piece = piece * gate[self.channel, frames]
            pieces.append(piece)
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


def _deepest_silence(current: list[Span], following: Span, shortest: float) -> int:
    """Where to end a window of `current` spans that `following` does not fit: before the
    span after the longest silence that leaves the window at least `shortest` full (the
    later of equals)."""
    best, longest, filled = len(current), -1.0, 0.0
    for k, span in enumerate(current):
        filled += span.duration + (GAP_EDGE_S if k else 0.0)
        after = current[k + 1] if k + 1 < len(current) else following
        if filled >= shortest and after.start - span.end >= longest:
            best, longest = k + 1, after.start - span.end
    return best


def _pack(spans: list[Span], signal: np.ndarray, sample_rate: int, longest: float = MAX_WINDOW_S, shortest: float = MIN_WINDOW_S) -> list[tuple[list[Span], tuple[float, float]]]:
    """Spans into windows of at most `longest` seconds of audio, each with the time it owns
    (see module doc); their offsets are placed by _with_edges."""
    windows: list[tuple[list[Span], tuple[float, float]]] = []
    current: list[Span] = []
    filled, owned_from = 0.0, -math.inf
    queue = [Span(s.start, s.end) for s in spans]
    while queue:
        span = queue.pop(0)
        edge = GAP_EDGE_S if current else 0.0
        room = longest - filled - edge
        if span.duration <= room:
            current.append(Span(span.start, span.end))
            filled += edge + span.duration
            continue
        if current and filled >= shortest:  # cut at the longest silence after `shortest`
            at = _deepest_silence(current, span, shortest)
            windows.append((current[:at], (owned_from, math.inf)))
            queue[:0] = [*current[at:], span]
            current, filled, owned_from = [], 0.0, -math.inf
            continue
        # cut inside the span, at its quietest moment between `shortest` and `longest` of
        # the window, the window going on SEAM_S past the cut
        seam = min(SEAM_S, room / 4)
        low = span.start + max(0.0, shortest - filled - edge - seam)
        high = span.start + room - seam
        cut = quietest_point(signal, sample_rate, low, high) if high - low > 0.2 else high
        current.append(Span(span.start, cut + seam))
        windows.append((current, (owned_from, cut)))
        current, filled, owned_from = [], 0.0, cut
        queue.insert(0, Span(cut, span.end))
    if current:
        windows.append((current, (owned_from, math.inf)))
    return [(placed, owns) for placed, (_, owns) in zip(_with_edges([w for w, _ in windows]), windows)]


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


def plan_windows(turns: list[Turn], samples: np.ndarray, sample_rate: int, longest: float = MAX_WINDOW_S, shortest: float = MIN_WINDOW_S) -> list[Window]:
    """Windows of at most `longest` seconds over the speech of `turns` (cut no earlier
    than `shortest` where the speech goes on): per channel for turns that carry one (a
    stereo call split by channel), over the mix otherwise. In time order of their first
    speech."""
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
        for spans, owns in _pack(_merge(group, duration), signal, sample_rate, longest, shortest):
            windows.append(Window(spans, channel, speaker, owns=owns))
    return sorted(windows, key=lambda w: (w.start, w.channel if w.channel is not None else -1))
