"""A fake ASR backend that knows what was said when, for testing the transcription stage
in milliseconds without Whisper.

The trick: the test recording's samples are a ramp, each sample holding its own time
(seconds / 1000), so any window of it tells the fake which stretch of the recording it
holds, however the stage cut, packed and shifted it. The fake then "hears" the script's
lines in that stretch: in the line's own language it writes the words; asked for another
language it translates (writes "translated"), less probably; at an unreadable line it
falls into a loop ("so so so so so", improbable words). Two of Whisper's habits on long windows can be switched on: a line
that sends the decoder into a loop in a clip longer than `short_s` (and not in a shorter
one), and words within `drops_end_s` of a long clip's end left out.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from transcribe.asr.backend import Hypothesis, Region
from transcribe.ingest.audio import SAMPLE_RATE, Audio
from transcribe.transcript import ModelInfo, Recording, Word

LANGUAGES = ("en", "no", "nn", "de", "es", "fi")
WORD_S = 0.4  # each word of a line takes this long


@dataclass
class Line:
    start: float
    speaker: str
    text: str
    language: str = "en"
    readable: bool = True
    loops_in_long: bool = False  # the decoder loops on it in a clip longer than FakeBackend.short_s

    @property
    def end(self) -> float:
        return self.start + WORD_S * len(self.text.split())

    def words(self) -> list[tuple[float, float, str]]:
        return [(self.start + i * WORD_S, self.start + (i + 1) * WORD_S - 0.05, w) for i, w in enumerate(self.text.split())]


def ramp_audio(seconds: float) -> Audio:
    samples = (np.arange(int(seconds * SAMPLE_RATE), dtype=np.float64) / SAMPLE_RATE / 1000).astype(np.float32)[None, :]
    return Audio(samples, Recording("fake.wav", "0" * 64, seconds, 1, SAMPLE_RATE))


@dataclass
class FakeEncoded:
    clips: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.clips)

    def source(self, row: int, t: float) -> float:
        """Recording time of window time `t` in window `row`."""
        clip = self.clips[row]
        index = min(len(clip) - 1, max(0, int(t * SAMPLE_RATE)))
        return float(clip[index]) * 1000 if len(clip) else 0.0

    def window_time(self, row: int, source: float) -> float:
        return float(np.searchsorted(self.clips[row].astype(np.float64) * 1000, source)) / SAMPLE_RATE


@dataclass
class FakeBackend:
    script: list[Line]
    multilingual: bool = True
    info: ModelInfo = field(default_factory=lambda: ModelInfo("asr", "fake", "test"))
    calls: list[tuple[str, int, float]] = field(default_factory=list)  # (what, rows, temperature)
    encoded_rows: list[int] = field(default_factory=list)
    doubted: tuple[str, ...] = ()
    # The detector hears a line's language as another, surely ({"no": "th"}), and a line
    # decoded in a language not its own fits this well ({("no", "th"): -0.7}; else -0.9).
    misheard: dict[str, str] = field(default_factory=dict)
    fits: dict[tuple[str, str], float] = field(default_factory=dict)
    contexts: list[str] = field(default_factory=list)  # the text before each region decoded with one
    short_s: float = 15.0
    drops_end_s: float = 0.0
    work: float = 0.0  # decoder token-rows and encoder passes (as transcription.Work counts them)
    concurrent: bool = False
    threads: dict[str, set[str]] = field(default_factory=lambda: {"prepare": set(), "words": set()})  # where host work ran

    def prepare(self, clips):
        self.threads["prepare"].add(threading.current_thread().name)
        return [np.asarray(c) for c in clips]

    def encode(self, prepared):
        from transcribe.asr.transcription import ENCODE_WORK

        self.encoded_rows.append(len(prepared))
        self.work += ENCODE_WORK * len(prepared)
        return FakeEncoded(prepared)

    def _heard(self, encoded: FakeEncoded, region: Region) -> list[tuple[Line, float, float, str]]:
        clip = encoded.clips[region.row]
        a = int(region.start * SAMPLE_RATE)
        b = min(len(clip), int(region.end * SAMPLE_RATE))
        if b <= a:
            return []
        times = np.sort(clip[a:b].astype(np.float64) * 1000)  # the recording's times it holds
        first, last = times[0], times[-1]
        heard = []
        for line in self.script:
            if line.end < first or line.start > last:
                continue
            for start, end, word in line.words():
                at = np.searchsorted(times, start)
                if at < len(times) and times[at] <= end and first <= (start + end) / 2 <= last:
                    heard.append((line, start, end, word))
        return heard

    def detect_languages(self, encoded, regions):
        """Sure of the language most words heard are in, except for a language in `doubted`
        heard in a slice of a longer clip: then unsure, and the recording's language
        (English) almost ruled out, as Whisper base is of a German answer in an English
        window."""
        self.calls.append(("detect", len(regions), 0.0))
        found = []
        for region in regions:
            heard = self._heard(encoded, region)
            languages = [line.language for line, *_ in heard] or ["en"]
            main = max(set(languages), key=languages.count)
            main = self.misheard.get(main, main)
            sliced = region.end - region.start < len(encoded.clips[region.row]) / SAMPLE_RATE - 0.5
            sure = 0.5 if main in self.doubted and sliced else 0.95
            probs = {code: (sure if code == main else (1 - sure) / (len(LANGUAGES) - 1)) for code in {*LANGUAGES, main}}
            if sure < 0.9:
                probs["fi"], probs["en"] = probs["fi"] + probs["en"] - 0.01, 0.01
            found.append(probs)
        return found

    def _written(self, encoded: FakeEncoded, region: Region, language: str) -> tuple[list[tuple[float, float, str, Line]], bool]:
        """The words the fake writes for a region (start, end, text, line) and whether it
        loops: at an unreadable line it writes "so" five times, at a line that loops in
        long clips that line's first two words five times, and what follows not at all."""
        long = len(encoded.clips[region.row]) / SAMPLE_RATE > self.short_s
        end = float(encoded.clips[region.row][-1]) * 1000 if len(encoded.clips[region.row]) else 0.0
        written = []
        for line, start, stop, word in self._heard(encoded, region):
            if not line.readable:
                return written + [(start, stop, "so", line)] * 5, True
            if long and line.loops_in_long:
                first = [w for w in line.words()][:2]
                return written + [(s, e, w, line) for _ in range(5) for s, e, w in first], True
            if long and self.drops_end_s and stop > end - self.drops_end_s:
                continue
            written.append((start, stop, word if line.language == language else "translated", line))
        return written, False

    def decode(self, encoded, regions, languages, max_tokens, prompt=None, temperature=0.0, best_of=1, beam_size=1, context=None):
        self.calls.append(("decode", len(regions), temperature))
        self.contexts.extend(context or [])
        hypotheses = []
        for region, language, limit in zip(regions, languages, max_tokens):
            heard = self._heard(encoded, region)
            written, looped = self._written(encoded, region, language)
            words = [w for _, _, w, _ in written][:limit]
            right = all(line.language == language for line, *_ in heard)
            fit = min((self.fits.get((line.language, language), -0.9) for line, *_ in heard if line.language != language), default=-0.9)
            hypotheses.append(Hypothesis(
                tokens=list(range(len(words))),
                text=" ".join(words),
                avg_logprob=-0.2 if right else fit,
                no_speech_prob=0.01 if words else 0.9,
                compression_ratio=4.0 if looped else 1.2,
                temperature=temperature,
                stopped="loop" if looped else ("token-limit" if len(heard) > limit else None),
            ))
            self.work += (len(words) + 1) * (best_of if temperature > 0 else beam_size)
        return hypotheses

    def align(self, encoded, rows, hypotheses, languages):
        aligned = []
        for row, hypothesis, language in zip(rows, hypotheses, languages):
            written, looped = self._written(encoded, Region(row, 0.0, 30.0), language)
            words, shift = [], 0.0
            for k, (start, end, text, _) in enumerate(written[: len(hypothesis.tokens)]):
                if looped and k and start <= written[k - 1][0]:  # a loop's repetitions follow each other
                    shift = words[-1].end - encoded.window_time(row, start) + 0.01
                probability = 0.1 if text == "so" else 0.9
                words.append(Word(encoded.window_time(row, start) + shift, encoded.window_time(row, end) + shift, text, probability))
            aligned.append(words)
        return FakeAlignment(aligned, self.threads["words"])


@dataclass
class FakeAlignment:
    aligned: list[list[Word]]
    threads: set[str]

    def words(self) -> list[list[Word]]:
        self.threads.add(threading.current_thread().name)
        return self.aligned
