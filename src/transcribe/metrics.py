"""Accuracy measures for tests and benchmarks: WER and speaker-attributed WER."""

from __future__ import annotations

import itertools
from collections.abc import Iterable


def normalize(text: str) -> list[str]:
    """Whisper's English normaliser (spellings, numbers, fillers, punctuation) as word list."""
    from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()(text).split()


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_word in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
        previous = current
    return previous[-1]


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalize(reference), normalize(hypothesis)
    return edit_distance(ref, hyp) / max(len(ref), 1)


def speaker_attributed_wer(reference: dict[str, str], hypothesis: dict[str, str]) -> float:
    """cpWER: each speaker's words compared with the words attributed to the matching
    hypothesis speaker, under the speaker mapping that gives the lowest error. Words given
    to the wrong speaker count as errors twice (missing here, inserted there)."""
    ref = {s: normalize(t) for s, t in reference.items()}
    hyp = {s: normalize(t) for s, t in hypothesis.items()}
    ref_ids, hyp_ids = list(ref), list(hyp)
    size = max(len(ref_ids), len(hyp_ids))
    ref_ids += [None] * (size - len(ref_ids))
    hyp_ids += [None] * (size - len(hyp_ids))
    total = sum(len(words) for words in ref.values())
    best = min(
        sum(edit_distance(ref.get(r, []), hyp.get(h, [])) for r, h in zip(ref_ids, permutation))
        for permutation in itertools.permutations(hyp_ids)
    )
    return best / max(total, 1)


def words_by_speaker(turns: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Join (speaker, text) pairs, in order, into one text per speaker."""
    joined: dict[str, list[str]] = {}
    for speaker, text in turns:
        joined.setdefault(speaker, []).append(text)
    return {speaker: " ".join(texts) for speaker, texts in joined.items()}
