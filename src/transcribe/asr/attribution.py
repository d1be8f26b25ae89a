"""Who said each word: words of mixed windows given to speakers by their timings.

A window of a mono recording holds whoever spoke; each word goes to the speaker whose
diarized turns (the exclusive ones: one speaker at a time) it overlaps most, or, between
turns, to the nearest turn. Word timings (DTW over cross-attention) and turn boundaries
are each a few hundred milliseconds off at a change of speaker, while people rarely hand
over mid-sentence: a change of speaker is moved to the nearest end of a sentence or
pause within SNAP_S of where the timings put it (on pyannote's sample call, "...in New
Jersey. | And I'm Sheila" instead of "...in New Jersey. And I'm | Sheila").
Segments are split where the speaker changes, at silences longer than a window keeps,
and where another speaker took a turn between two words (on a call split by channel, a
window holds one party's speech only: "Really?" and "Who called?" with the other's "Yes,
on a Friday" between them are two turns, not one), so a segment is one speaker's stretch
of speech, and segments in time order are the conversation's turns in order. A
backchannel said over the speaker's words leaves them one segment.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from ..diarize.diarization import Turn
from ..transcript import GuardEvent, Mark, Segment, Word
from .windows import KEEP_GAP_S, Window

# How many turns before a time are looked at (speakers' turns overlap a few at a time).
NEIGHBOURS = 8
# A change of speaker moves to a sentence end or pause at most this far away...
SNAP_S = 0.6
# ...where a pause is a silence between words of at least this long.
SNAP_PAUSE_S = 0.3
# Another speaker's turn falls between two words when it lies in the silence between them,
# give or take this much overlap at either end (quick turn-taking overlaps a little).
TURN_OVERLAP_S = 0.3
_SENTENCE_END = (".", "?", "!", "…")


@dataclass
class WindowText:
    """A decoded window: its words in recording time and how its decoding went."""

    window: Window
    words: list[Word]
    language: str
    avg_logprob: float
    no_speech_prob: float
    temperature: float
    guard: str | None = None  # the guard that removed or cut its text


class SpeakerTimeline:
    """The diarized (exclusive) turns, for lookups by time."""

    def __init__(self, turns: list[Turn]):
        self.turns = sorted(turns, key=lambda t: (t.start, t.end))
        self.starts = [t.start for t in self.turns]

    def near(self, start: float, end: float) -> list[Turn]:
        """The turns around [start, end]: those overlapping it and their neighbours (turns
        of one channel never overlap, so the ones that can are a few places back)."""
        i = bisect_right(self.starts, end)
        return self.turns[max(0, i - NEIGHBOURS) : i + 1]

    def turn_between(self, speaker: str, end: float, start: float) -> bool:
        """Whether someone other than `speaker` took a turn between a word of theirs
        ending at `end` and their next one starting at `start`."""
        return any(
            turn.speaker != speaker and turn.start >= end - TURN_OVERLAP_S and turn.end <= start + TURN_OVERLAP_S and turn.end > turn.start
            for turn in self.near(end, start)
        )

    def speaker_at(self, start: float, end: float) -> str | None:
        """The speaker whose turns overlap [start, end] most, else the nearest turn's."""
        candidates = self.near(start, end)
        if not candidates:
            return None
        overlap: dict[str, float] = {}
        for turn in candidates:
            shared = min(end, turn.end) - max(start, turn.start)
            if shared > 0 or (start == end and turn.start <= start <= turn.end):
                overlap[turn.speaker] = overlap.get(turn.speaker, 0.0) + max(shared, 0.0)
        if overlap:
            return max(overlap, key=overlap.get)
        middle = (start + end) / 2
        return min(candidates, key=lambda t: max(t.start - middle, middle - t.end)).speaker


def _boundary(words: list[Word], i: int) -> bool:
    """Whether a turn can end after words[i]: at a sentence end or a pause."""
    return words[i].text.endswith(_SENTENCE_END) or (i + 1 < len(words) and words[i + 1].start - words[i].end >= SNAP_PAUSE_S)


def snap_changes(words: list[Word], speakers: list[str | None]) -> list[str | None]:
    """Move each change of speaker (between words i and i+1) to the nearest sentence end or
    pause within SNAP_S, when it is not at one already. A change moves only within the two
    runs of words it separates, so a short turn between two others is never swallowed."""
    speakers = list(speakers)
    for i in range(len(words) - 1):
        if speakers[i] == speakers[i + 1] or _boundary(words, i):
            continue
        first = i
        while first > 0 and speakers[first - 1] == speakers[i]:
            first -= 1
        last = i + 1
        while last + 1 < len(words) and speakers[last + 1] == speakers[i + 1]:
            last += 1
        at = words[i + 1].start  # where the next speaker starts, by the timings
        options = [j for j in range(first, last) if abs(words[j + 1].start - at) <= SNAP_S and _boundary(words, j)]
        if not options:
            continue
        j = min(options, key=lambda j: abs(words[j + 1].start - at))
        before, after = speakers[i], speakers[i + 1]
        if j < i:  # the change comes earlier: words j+1..i belong to the next speaker
            speakers[j + 1 : i + 1] = [after] * (i - j)
        else:  # later: words i+1..j still belong to the speaker before
            speakers[i + 1 : j + 1] = [before] * (j - i)
    return speakers


def speakers_of(words: list[Word], timeline: SpeakerTimeline) -> list[str | None]:
    return snap_changes(words, [timeline.speaker_at(w.start, w.end) for w in words])


def _segment(words: list[Word], speaker: str, text: WindowText) -> Segment:
    segment = Segment(
        start=words[0].start,
        end=words[-1].end,
        speaker=speaker,
        text="",
        language=text.language,
        avg_logprob=round(text.avg_logprob, 4),
        no_speech_prob=round(text.no_speech_prob, 4),
        temperature=text.temperature,
    )
    segment.set_words(words)  # the text is made of the words (fillers put back included)
    return segment


def segments_of(text: WindowText, timeline: SpeakerTimeline) -> list[Segment]:
    """The window's words as speaker-homogeneous segments."""
    if not text.words:
        return []
    speakers = [text.window.speaker] * len(text.words) if text.window.speaker else speakers_of(text.words, timeline)
    segments: list[Segment] = []
    run: list[Word] = [text.words[0]]
    for previous, word, before, speaker in zip(text.words, text.words[1:], speakers, speakers[1:]):
        gap = word.start - previous.end
        if speaker != before or gap > KEEP_GAP_S or (gap > 0 and timeline.turn_between(speaker or "", previous.end, word.start)):
            segments.append(_segment(run, before or "SPEAKER_00", text))
            run = []
        run.append(word)
    segments.append(_segment(run, speakers[-1] or "SPEAKER_00", text))
    return segments


def guard_events(text: WindowText, timeline: SpeakerTimeline) -> list[GuardEvent]:
    """Where a guard acted on the window, under each speaker who spoke there."""
    if text.guard is None:
        return []
    if text.window.speaker is not None:
        return [GuardEvent(text.guard, round(s.start, 3), round(s.end, 3), text.window.speaker) for s in text.window.spans]
    events = []
    for span in text.window.spans:
        for turn in timeline.near(span.start, span.end):
            start, end = max(span.start, turn.start), min(span.end, turn.end)
            if end > start:
                events.append(GuardEvent(text.guard, round(start, 3), round(end, 3), turn.speaker))
    return sorted(events, key=lambda e: e.start)


# A stretch without words that falls in several speakers' turns is marked under each
# whose share is at least this long (the largest share, if none is).
MARK_SHARE_MIN_S = 0.2


def marks_of(stretches: list, timeline: SpeakerTimeline) -> list[Mark]:
    """Stretches of speech left without words (transcription.Unaccounted: start, end,
    channel, reason) as marks, each under the speakers whose turns on its channel it falls in."""
    marks = []
    for stretch in stretches:
        shares = []
        for turn in timeline.near(stretch.start, stretch.end):
            start, end = max(stretch.start, turn.start), min(stretch.end, turn.end)
            if turn.channel == stretch.channel and end > start:
                shares.append(Mark(round(start, 3), round(end, 3), turn.speaker, stretch.reason))
        kept = [m for m in shares if m.end - m.start >= MARK_SHARE_MIN_S]
        marks += kept or sorted(shares, key=lambda m: m.end - m.start)[-1:]
    return sorted(marks, key=lambda m: (m.start, m.speaker))
