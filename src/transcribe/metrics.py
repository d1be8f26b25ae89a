"""Accuracy measures for tests and benchmarks: WER and speaker-attributed WER."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable


def normalize(text: str) -> list[str]:
    """Whisper's English normaliser (spellings, numbers, punctuation) as word list, fillers
    of both languages dropped: plain WER measures the words, filler_recall the fillers."""
    from whisper.normalizers import EnglishTextNormalizer

    from .conventions import is_filler

    return EnglishTextNormalizer()(" ".join(w for w in text.split() if not is_filler(w))).split()


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


def _filler_classes(words: list[str]) -> list[str]:
    from .conventions import is_filler

    return ["<filler>" if is_filler(w) else re.sub(r"[^\w'-]", "", w.lower()) for w in words]


def filler_recall(reference: str, hypothesis: str) -> tuple[int, int]:
    """(reference fillers kept, reference fillers): a reference filler is kept when the
    word alignment pairs it with a filler of the hypothesis (any filler: "uh" heard as
    "um" is still a hesitation kept)."""
    ref = [w for w in _filler_classes(reference.split()) if w]
    hyp = [w for w in _filler_classes(hypothesis.split()) if w]
    # Levenshtein table, then a backtrace that prefers matches.
    table = [[0] * (len(hyp) + 1) for _ in range(len(ref) + 1)]
    for i in range(len(ref) + 1):
        table[i][0] = i
    for j in range(len(hyp) + 1):
        table[0][j] = j
    for i in range(1, len(ref) + 1):
        for j in range(1, len(hyp) + 1):
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]))
    kept, i, j = 0, len(ref), len(hyp)
    while i and j:
        if ref[i - 1] == hyp[j - 1] and table[i][j] == table[i - 1][j - 1]:
            kept += ref[i - 1] == "<filler>"
            i, j = i - 1, j - 1
        elif table[i][j] == table[i - 1][j - 1] + 1:
            i, j = i - 1, j - 1
        elif table[i][j] == table[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return kept, ref.count("<filler>")


def spoken_text(rendered: str) -> str:
    """The words of a rendered transcript (`[hh:mm:ss] label: ...` lines) without its
    markers: pauses and [inaudible] go, [unclear ...] keeps its words."""
    text = re.sub(r"^\[\d\d:\d\d:\d\d\] [^:]*: ", "", rendered, flags=re.MULTILINE)
    text = re.sub(r"\[unclear \d\d:\d\d:\d\d: ([^\]]*)\]", r"\1", text)
    text = re.sub(r"\[(inaudible|overlapping speech) \d\d:\d\d:\d\d[^\]]*\]|\[overlap\]|\((\.|\d+\.\d)\)", " ", text)
    return " ".join(text.split())
