"""No speech lost: the speech that no word and no mark accounts for.

Speech is what the diarization (and the speech detector behind it) calls speech, less the
quiet of speech_activity.silences: a pause is not speech. A word accounts for its own
timing and WORD_REACH_S either side (word timings from cross-attention are a few hundred
milliseconds off at the edges), but no more than a word of its letters can last
(`longest`, at most LONGEST_WORD_S): where Whisper skipped words, the alignment stretches
a neighbouring word over their time (an "is" of 2.0 s over "is number 18, item 19", a
"41" of 2.2 s over "item 40 is number 40, item"). A mark (`[inaudible]`) accounts for
its stretch. What is left, in
stretches of UNACCOUNTED_MIN_S or more, is speech the transcript says nothing about: the
transcription stage decodes it again and marks what stays without words
(transcription.py), and the quality report counts what is left (quality/report.py), which must
be nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..utils.intervals import Interval, subtract, union

WORD_REACH_S = 0.25
# A word lasts at most WORD_BASE_S + WORD_PER_LETTER_S a letter, and LONGEST_WORD_S (slow
# speech, 100 words a minute, gives "number" 0.6 s, "appointment" 0.9 s).
WORD_BASE_S = 0.2
WORD_PER_LETTER_S = 0.08
LONGEST_WORD_S = 1.0
UNACCOUNTED_MIN_S = 1.0

Timed = tuple[float, float, str]  # a word: start, end, text


def longest(text: str) -> float:
    """How long a word of `text` can last, in seconds."""
    return min(LONGEST_WORD_S, WORD_BASE_S + WORD_PER_LETTER_S * sum(c.isalnum() for c in text))


def reach(start: float, end: float, text: str) -> list[Interval]:
    """The time a word accounts for: its timing and WORD_REACH_S either side, or, where
    the word is timed longer than it can last, only the first and last half of that."""
    most = longest(text)
    if end - start <= most:
        return [(start - WORD_REACH_S, end + WORD_REACH_S)]
    return [(start - WORD_REACH_S, start + most / 2), (end - most / 2, end + WORD_REACH_S)]


def unaccounted(
    speech: Iterable[Interval], quiet: Iterable[Interval], words: Iterable[Timed], marks: Iterable[Interval] = (),
    least: float = UNACCOUNTED_MIN_S,
) -> list[Interval]:
    """Stretches of `speech` (seconds) of at least `least` that are not `quiet`, that none
    of the `words` reaches and no stretch of `marks` covers."""
    reached = union([*(piece for a, b, text in words for piece in reach(a, b, text)), *marks])
    left = subtract(subtract(union(speech), union(quiet)), reached)
    return [(a, b) for a, b in left if b - a >= least]
