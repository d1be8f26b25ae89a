"""The measures the benchmarks report: WER with its errors by kind, and the missing-speech
diff between two systems."""

from __future__ import annotations

from transcribe.quality.metrics import errors, missing_stretches, normalize, wer
from transcribe.transcript import Word


def timed(text: str, start: float = 0.0) -> list[Word]:
    return [Word(start + i, start + i + 0.5, w, 0.9) for i, w in enumerate(text.split())]


def test_errors_are_counted_by_kind_from_one_alignment():
    found = errors("the nurse called me every week", "a nurse called every week on time")
    assert (found.substitutions, found.deletions, found.insertions, found.words) == (1, 1, 2, 6)
    assert found.wer == wer("the nurse called me every week", "a nurse called every week on time") == 4 / 6


def test_norwegian_is_normalised_without_losing_its_letters():
    assert normalize("Hvor går vi, Åse?", "no") == ["hvor", "går", "vi", "åse"]
    assert normalize("Two nurses, um, came.") == ["2", "nurses", "came"]  # English: numbers, fillers dropped


def test_the_missing_speech_diff_gives_each_stretch_one_system_heard_alone_with_its_times():
    heard = timed("item one is number one item two is number two item three")
    dropped = timed("item one is number one item three")
    [stretch] = missing_stretches(heard, dropped)
    assert stretch.words == ("item", "two", "is", "number", "two") and (stretch.start, stretch.end) == (5.0, 9.5)
    assert missing_stretches(dropped, heard) == []
    assert missing_stretches(timed("a b c d"), timed("a x y d")) == []  # heard differently is not lost
