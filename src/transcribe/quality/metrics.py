"""Accuracy measures for tests and benchmarks: WER (with its substitutions, deletions
and insertions), speaker-attributed WER (cpWER), and the stretches of words one system
heard and another did not."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..transcript import Word


@lru_cache(maxsize=None)
def _normalizer(language: str):
    """Whisper's English normaliser (spellings, numbers, punctuation) for English, its basic
    one (case, punctuation, symbols; letters such as æ, ø, å kept) for other languages."""
    from whisper.normalizers import BasicTextNormalizer, EnglishTextNormalizer

    return EnglishTextNormalizer() if language == "en" else BasicTextNormalizer()


def normalize(text: str, language: str = "en") -> list[str]:
    """`text` as normalised words, fillers of both languages dropped: plain WER measures
    the words, filler_recall the fillers."""
    from ..conventions import is_filler

    return _normalizer(language)(" ".join(w for w in text.split() if not is_filler(w))).split()


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_word in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
        previous = current
    return previous[-1]


def wer(reference: str, hypothesis: str, language: str = "en") -> float:
    ref, hyp = normalize(reference, language), normalize(hypothesis, language)
    return edit_distance(ref, hyp) / max(len(ref), 1)


@dataclass(frozen=True)
class Errors:
    """A word alignment's substitutions, deletions and insertions against `words` of reference."""

    substitutions: int
    deletions: int
    insertions: int
    words: int

    @property
    def wer(self) -> float:
        return (self.substitutions + self.deletions + self.insertions) / max(self.words, 1)


def alignment(reference: Sequence[str], hypothesis: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """A minimal-edit alignment as (reference index, hypothesis index) pairs in order: both
    set for a match or a substitution, one None for a deletion or an insertion."""
    n, m = len(reference), len(hypothesis)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        table[i][0] = i
    for j in range(m + 1):
        table[0][j] = j
    for i in range(1, n + 1):
        row, above, ref_word = table[i], table[i - 1], reference[i - 1]
        for j in range(1, m + 1):
            row[j] = min(above[j] + 1, row[j - 1] + 1, above[j - 1] + (ref_word != hypothesis[j - 1]))
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i or j:
        if i and j and table[i][j] == table[i - 1][j - 1] + (reference[i - 1] != hypothesis[j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i and table[i][j] == table[i - 1][j] + 1:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return pairs[::-1]


def errors(reference: str, hypothesis: str, language: str = "en") -> Errors:
    ref, hyp = normalize(reference, language), normalize(hypothesis, language)
    pairs = alignment(ref, hyp)
    return Errors(
        substitutions=sum(a is not None and b is not None and ref[a] != hyp[b] for a, b in pairs),
        deletions=sum(b is None for _, b in pairs),
        insertions=sum(a is None for a, _ in pairs),
        words=len(ref),
    )


@dataclass(frozen=True)
class Stretch:
    """Consecutive words one system heard and the other did not."""

    start: float
    end: float
    words: tuple[str, ...]


def missing_stretches(kept: Sequence[Word], other: Sequence[Word], language: str = "en", least: int = 3) -> list[Stretch]:
    """What `kept` heard and `other` did not: runs of unmatched words of `kept` (between two
    matched words of the alignment with `other`) holding at least `least` words that
    `other` has nothing for, with their times."""
    def tokens(words: Sequence[Word]) -> list[tuple[str, int]]:
        return [(token, k) for k, w in enumerate(words) for token in normalize(w.text, language)]

    mine, theirs = tokens(kept), tokens(other)
    stretches: list[Stretch] = []
    run: list[tuple[int, bool]] = []  # (index in kept, other has nothing for it)

    def flush() -> None:
        if sum(deleted for _, deleted in run) >= least:
            indices = sorted({k for k, _ in run})
            stretches.append(Stretch(kept[indices[0]].start, kept[indices[-1]].end, tuple(kept[k].text for k in indices)))
        run.clear()

    for a, b in alignment([t for t, _ in mine], [t for t, _ in theirs]):
        if a is not None and b is not None and mine[a][0] == theirs[b][0]:
            flush()
        elif a is not None:
            run.append((mine[a][1], b is None))
    flush()
    return stretches


def speaker_attributed_wer(reference: dict[str, str], hypothesis: dict[str, str], language: str = "en") -> float:
    """cpWER: each speaker's words compared with the words attributed to the matching
    hypothesis speaker, under the speaker mapping that gives the lowest error. Words given
    to the wrong speaker count as errors twice (missing here, inserted there)."""
    ref = {s: normalize(t, language) for s, t in reference.items()}
    hyp = {s: normalize(t, language) for s, t in hypothesis.items()}
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
    from ..conventions import is_filler

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
