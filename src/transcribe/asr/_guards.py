"""Hallucination guards: decisions to drop or cut Whisper output, each one recorded.

Whisper is trained on subtitles; over silence, noise or music it tends to invent short
stock phrases ("you", "Thank you."), and on hard audio it can loop. A transcript used as
research data must say where text was removed, so every guard that fires is logged with
its time span (never the text itself).
"""

from __future__ import annotations

import re

# Whisper's own rule: the no-speech token is likely and the text is unlikely.
NO_SPEECH_THRESHOLD = 0.6
LOGPROB_THRESHOLD = -1.0
# Added rule: the no-speech token is likely and the words themselves are improbable.
# Real speech measured here never exceeded no-speech 0.40 (see BENCHMARKS.md).
WORD_PROBABILITY_THRESHOLD = 0.5
# Text still below Whisper's log-probability threshold after every temperature fallback,
# with words this improbable on average, is invented (measured on tones: ~0.1; the least
# certain real speech here: 0.38).
UNRELIABLE_WORD_PROBABILITY = 0.3
# A phrase repeated more often than this in a row is a decoding loop, not a stutter.
MAX_REPEATS = 3
MAX_LOOP_WORDS = 16  # a looped sentence of nine words was missed at 8
# Phrases up to this long can be repeated in speech (a stutter); longer ones are sentences.
STUTTER_WORDS = 3
# The guards that remove a decoding's whole text (a loop guard only cuts the loop out).
REMOVES_TEXT = ("no-speech", "unreliable")


def is_no_speech(no_speech_prob: float, avg_logprob: float, word_probabilities: list[float]) -> bool:
    if no_speech_prob <= NO_SPEECH_THRESHOLD:
        return False
    if avg_logprob < LOGPROB_THRESHOLD:
        return True
    return bool(word_probabilities) and sum(word_probabilities) / len(word_probabilities) < WORD_PROBABILITY_THRESHOLD


def is_unreliable(avg_logprob: float, fallbacks_exhausted: bool, word_probabilities: list[float]) -> bool:
    if not fallbacks_exhausted or avg_logprob >= LOGPROB_THRESHOLD or not word_probabilities:
        return False
    return sum(word_probabilities) / len(word_probabilities) < UNRELIABLE_WORD_PROBABILITY


def _key(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


def repeats(words: list[str]) -> bool:
    """Whether a phrase of 2-MAX_LOOP_WORDS words comes twice in a row, or one word more
    than MAX_REPEATS times: what makes Whisper's text compress well when it loops (a
    numbered list, "item 13 is number 13, item 14 is number 14", compresses as well
    without repeating itself)."""
    keys = [_key(w) for w in words]
    for size in range(1, MAX_LOOP_WORDS + 1):
        times = 2 if size > 1 else MAX_REPEATS + 1
        for start in range(0, len(keys) - size * times + 1):
            phrase = keys[start : start + size]
            if all(keys[start + k * size : start + (k + 1) * size] == phrase for k in range(1, times)):
                return True
    return False


def loop_cut(words: list[str]) -> tuple[int, int] | None:
    """Indices [a, b) of surplus repetitions: a phrase of 1-3 words repeated more than
    MAX_REPEATS times in a row keeps its first MAX_REPEATS occurrences (a stutter, "no, no,
    no", is spoken); a longer one, a sentence, repeated MAX_REPEATS times or more keeps one
    (nobody says the same sentence three times over: Whisper does, when it loops)."""
    keys = [_key(w) for w in words]
    for size in range(1, MAX_LOOP_WORDS + 1):
        keep = MAX_REPEATS if size <= STUTTER_WORDS else 1
        least = MAX_REPEATS + 1 if size <= STUTTER_WORDS else MAX_REPEATS
        for start in range(0, len(keys) - size * least + 1):
            phrase = keys[start : start + size]
            repeats = 1
            while keys[start + repeats * size : start + (repeats + 1) * size] == phrase:
                repeats += 1
            if repeats >= least:
                return start + keep * size, start + repeats * size
    return None


def loop_tail(words: list[str]) -> int | None:
    """Where the repetitions end in `words` that the decoder stopped in a loop: the index
    after the first occurrence of the phrase its tail repeats (at least twice, the last
    time possibly cut off mid-word), or None. The decoder has already seen the same
    tokens four times over; the text it wrote before stopping holds fewer."""
    keys = [_key(w) for w in words]
    for size in range(1, MAX_LOOP_WORDS + 1):
        end = len(keys)
        if end < 2 * size:
            break
        partial = keys[end - size - 1].startswith(keys[-1]) and keys[-1] != keys[end - size - 1]
        body = keys[:-1] if partial else keys
        start = len(body) - size
        while start > 0 and body[start - 1] == body[start - 1 + size]:
            start -= 1
        if len(body) - start >= 2 * size:
            return start + size
    return None
