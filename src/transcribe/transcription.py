"""The transcription stage: windows of speech in, timed words with their languages out.

It talks to the recogniser only through the `ASRBackend` protocol (asr.py) and keeps the
policy here, where it can be tested with a fake backend:

* Windows (windows.py) are decoded in batches, longest first, so the rows of a batch
  finish together; each window is encoded once and every later pass reuses the encoding.
* Languages (languages.py): the recording's from its longest windows, with one decoding
  tie-break per recording where the detector is unsure; then each turn's, from the
  window's encoding limited to the turn. A turn in another allowed language, or one the
  detector is sure is in a language the study did not list, is split off and decoded in
  its own language: speech is never translated.
* Bounded work: each window may decode at most TOKENS_PER_SECOND tokens per second of
  its audio; decoding loops are stopped as they start (static_decoder.py); temperature
  fallback is tried at FALLBACK_TEMPERATURES only, in all at most FALLBACK_SHARE of a
  recording's windows decoded again; the language evidence decodes only
  EVIDENCE_TOKENS tokens. What stays unreadable is marked by the guards, not searched on.
* Guards (guards.py) and, in verbatim style, the filler pass (filler_pass.py), run once
  over the whole recording so its islands fill whole encoder batches.
* Host work overlaps device work: while a GPU encodes and decodes a batch, a host
  thread pads the next batch's audio and finishes the previous batch's word alignment
  (the DTW path search and grouping into words, asr.Alignment). Where the device is the
  host's own cores, that thread would only take them from the decoder (5-10% slower on 2
  cores), and the same work runs in line.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .asr import ASRBackend, Encoded, Hypothesis, Prepared, Region
from .attribution import WindowText
from .audio import SAMPLE_RATE, Audio
from .conventions import decoding_prompt
from .diarization import Turn
from .errors import SettingsError
from .filler_pass import Island, filler_word, insert_filler, island_audio, islands, pack_islands, unexplained
from .guards import LOGPROB_THRESHOLD, REMOVES_TEXT, is_no_speech, is_unreliable, loop_cut, loop_tail
from .intervals import subtract, union
from .languages import (
    DETECTOR_SURE,
    TURN_SWITCH_MIN_S,
    counted_as,
    decide,
    fold_probabilities,
    mean_by_language,
    needs_decoding,
    share_of,
    switch_candidate,
)
from .speech_activity import frame_energies_db, noise_floor_db
from .transcript import Word
from .windows import MAX_WINDOW_S, Window

# openai-whisper's own thresholds: output this repetitive or this improbable is decoded
# again at a higher temperature.
COMPRESSION_RATIO_THRESHOLD = 2.4
FALLBACK_TEMPERATURES = (0.2, 0.6)
FALLBACK_BEST_OF = 5
# Temperature fallback may decode at most this share of a recording's windows again (one
# window at one temperature counts once; at least one): when much of a recording fails, it
# is audio Whisper cannot read, and sampling more does not make it readable.
FALLBACK_SHARE = 0.25
# Fast speech is about 4 tokens a second (English and Norwegian, measured on the test
# interviews); more than this per second of audio is a model writing what is not there.
TOKENS_PER_SECOND = 10
MAX_TOKENS = 224  # openai-whisper's sample_len
# How many windows (the longest) decide the recording's language, and how many of them are
# decoded in each allowed language where the detector is unsure (30 s windows: a minute of
# speech, more than the three longest turns this was measured with).
LANGUAGE_PROBE_WINDOWS = 3
TIE_BREAK_WINDOWS = 2
# A turn is decoded in a language the study did not list only when the detector is this sure.
FOREIGN_SURE = 0.9
FILLER_MAX_TOKENS = 3
# A turn the detector doubts is heard again from an encoding of its own, the most doubtful
# first, at most this many per window of the batch (at least one): where most turns are
# doubtful the detector cannot read the audio, and hearing them all again costs half again
# the encoding for nothing (synthetic Norwegian under Whisper base).
REHEAR_PER_WINDOW = 0.5
# A turn is doubtful in a window the detector is unsure of, or in any window when, heard
# within it, the recording's language gets less than this (a German answer in an English
# window: Finnish 0.23, English 0.01).
TURN_DOUBT = 0.2
# Decodings that only weigh how well a language fits the audio stop after this many tokens.
EVIDENCE_TOKENS = 32
# Speech this long with no word within HEARD_PAD_S of it is decoded again on its own (once).
UNHEARD_MIN_S = 2.0
HEARD_PAD_S = 0.5
# Audio kept around such a stretch.
RETRY_PAD_S = 0.3
# ...but only where Whisper read the rest of the window well: where it struggled, or its
# decoding stayed degenerate after fallback, the stretch it skipped is speech it cannot
# read (synthetic Norwegian under Whisper base).
RETRY_LOGPROB = -0.7


@dataclass(frozen=True)
class TranscriptionOptions:
    language: str = "auto"  # or a code the recording is in
    allowed: tuple[str, ...] = ("en", "no")
    terms: tuple[str, ...] = ()
    verbatim: bool = True
    batch_size: int = 4
    beam_size: int = 5  # 1: greedy


@dataclass
class TranscriptionResult:
    texts: list[WindowText]
    language: str | None
    evidence: dict[str, dict[str, float]] = field(default_factory=dict)
    fallback_windows: int = 0


def token_limit(seconds: float) -> int:
    return min(MAX_TOKENS, math.ceil(TOKENS_PER_SECOND * seconds) + 8)


def _needs_fallback(h: Hypothesis) -> bool:
    degenerate = h.compression_ratio > COMPRESSION_RATIO_THRESHOLD or h.avg_logprob < LOGPROB_THRESHOLD or h.stopped == "loop"
    return degenerate and not is_no_speech(h.no_speech_prob, h.avg_logprob, [])


def _in_recording_time(window: Window, words: list[Word]) -> list[Word]:
    """Window-time words in recording time; a word whose timing straddles a cut silence
    keeps to the span holding its start."""
    out = []
    for word in words:
        span = window.spans[window.span_of(word.start)]
        start = window.to_source(word.start)
        end = min(window.to_source(word.end), span.end)
        out.append(Word(round(start, 3), round(max(start, end), 3), word.text, round(word.probability, 4)))
    return out


def noise_floors(audio: Audio) -> dict[int | None, float]:
    """Noise floor (dB) of each channel, and of the mix under the key None."""
    mix = audio.samples.mean(axis=0, keepdims=True)
    floors = noise_floor_db(frame_energies_db(np.concatenate([audio.samples, mix]), audio.sample_rate))
    return {**{c: float(f) for c, f in enumerate(floors[:-1])}, None: float(floors[-1])}


def turn_regions(window: Window, turns: Sequence[Turn], row: int) -> list[Region]:
    """The window's stretches of each diarized turn heard in it, in window time."""
    regions = []
    for turn in turns:
        if turn.channel != window.channel or turn.end <= window.start or turn.start >= window.end:
            continue
        start, end = window.to_window(max(turn.start, window.start)), window.to_window(min(turn.end, window.end))
        if end > start:
            regions.append(Region(row, start, end))
    return regions


def _cut_between(window: Window, end: float, start: float) -> float:
    """Where to cut a window between window times `end` and `start`: at a silence cut out
    there if there is one (the parts then start and end at speech), else halfway."""
    joins = [span.offset for span in window.spans if end <= span.offset <= start]
    return joins[0] if joins else (end + start) / 2


def split_by_language(window: Window, regions: list[tuple[Region, str]]) -> list[Window]:
    """The window cut between its turns (`regions`) of different languages, each part
    with its language."""
    regions = sorted(regions, key=lambda r: r[0].start)
    runs: list[list] = []  # [start, end, language]
    for region, language in regions:
        if runs and runs[-1][2] == language:
            runs[-1][1] = region.end
        else:
            runs.append([region.start, region.end, language])
    cuts = [0.0] + [_cut_between(window, a[1], b[0]) for a, b in zip(runs, runs[1:])] + [window.duration]
    parts = [window.piece(start, end, language=run[2]) for (start, end), run in zip(zip(cuts, cuts[1:]), runs)]
    return [part for part in parts if part.spans]


def unheard(regions: list[Region], words: list[Word]) -> list[tuple[float, float]]:
    """Stretches of a window's speech (`regions`) at least UNHEARD_MIN_S long that no word
    is near: Whisper decoding a long window without timestamps sometimes skips a stretch."""
    speech = union((r.start, r.end) for r in regions)
    heard = union((w.start - HEARD_PAD_S, w.end + HEARD_PAD_S) for w in words)
    return [(a, b) for a, b in subtract(speech, heard) if b - a >= UNHEARD_MIN_S]


class InLine(Executor):
    """An executor that runs what it is given at once, in the calling thread."""

    def submit(self, fn: Callable, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:
            future.set_exception(error)
        return future


def host_thread(concurrent: bool) -> Executor:
    """Where host work runs: its own thread when it can run beside the device's."""
    return ThreadPoolExecutor(1, thread_name_prefix="transcribe-host") if concurrent else InLine()


@dataclass
class _Decoded:
    """A batch decoded; its word alignment is still finishing on the host thread."""

    windows: list[Window]
    rows: list[int]
    languages: list[str]
    hypotheses: list[Hypothesis]
    exhausted: list[bool]  # left degenerate: no fallback decoding was allowed
    words: Future


@dataclass
class _Heard:
    """A window decoded, aligned and guarded; its words still in window time."""

    window: Window
    hypothesis: Hypothesis
    language: str
    guard: str | None
    words: list[Word]


class Transcriber:
    """Windows to words, through an ASR backend, with the policy above."""

    def __init__(self, backend: ASRBackend, options: TranscriptionOptions, progress: Callable[[float], None] | None = None):
        if not backend.multilingual and "en" not in options.allowed:
            raise SettingsError("this Whisper model is English-only but English is not among `languages`")
        self.backend = backend
        self.options = options
        self.progress = progress or (lambda fraction: None)

    def __call__(self, audio: Audio, windows: list[Window], turns: Sequence[Turn]) -> TranscriptionResult:
        result = TranscriptionResult([], None)
        if not windows:
            return result
        budget = max(1, math.floor(FALLBACK_SHARE * len(windows)))
        queue = deque(sorted(windows, key=lambda w: w.duration, reverse=True))
        total = len(queue)
        heard: list[_Heard] = []
        previous: _Decoded | None = None
        with host_thread(self.backend.concurrent) as host:
            staged = self._stage(host, audio, queue)
            while queue or previous:
                current = None
                if queue:
                    batch = [queue.popleft() for _ in range(min(self.options.batch_size, len(queue)))]
                    encoded = self.backend.encode(self._prepared(staged, batch, audio))
                    staged = self._stage(host, audio, queue)
                    if result.language is None:
                        result.language, result.evidence = self._recording_language(encoded, batch)
                    languages, parts = self._turn_languages(audio, encoded, batch, result.language, turns)
                    for split in parts.values():
                        queue.extend(split)
                        total += len(split)
                    rows = [i for i in range(len(batch)) if i not in parts]
                    current, spent, used = self._decode(host, encoded, [batch[i] for i in rows], rows, [languages[i] for i in rows], budget)
                    budget -= spent
                    result.fallback_windows += used
                if previous is not None:
                    done, retries = self._settle(previous, turns)
                    heard.extend(done)
                    queue.extend(retries)
                    total += len(retries)
                previous = current
                self.progress(1.0 - (len(queue) + (previous is not None)) / total)
        if self.options.verbatim:
            self._fillers(audio, heard)
        result.texts = sorted(
            (WindowText(h.window, _in_recording_time(h.window, h.words), h.language, h.hypothesis.avg_logprob,
                        h.hypothesis.no_speech_prob, h.hypothesis.temperature, h.guard) for h in heard),
            key=lambda t: (t.window.start, t.window.channel or 0),
        )
        return result

    def _stage(self, host: Executor, audio: Audio, queue: deque) -> tuple[list[Window], Future] | None:
        """Start preparing the batch at the head of the queue on the host thread."""
        batch = list(queue)[: self.options.batch_size]
        if not batch:
            return None
        return batch, host.submit(self._prepare, audio, batch)

    def _prepared(self, staged: tuple[list[Window], Future] | None, batch: list[Window], audio: Audio) -> Prepared:
        """The batch as staged, or prepared now where the queue changed since."""
        if staged is not None and len(staged[0]) == len(batch) and all(a is b for a, b in zip(staged[0], batch)):
            return staged[1].result()
        return self._prepare(audio, batch)

    def _prepare(self, audio: Audio, windows: Sequence[Window]) -> Prepared:
        return self.backend.prepare([w.audio(audio.samples, audio.sample_rate) for w in windows])

    # --- languages -----------------------------------------------------------------
    @staticmethod
    def _whole(rows: Sequence[int]) -> list[Region]:
        """Whole windows, the silence that pads them to 30 s included: Whisper hears where
        speech ends (cut at the last word, it went on inventing: WER 0.161 against 0.126
        on pyannote's sample call)."""
        return [Region(row, 0.0, MAX_WINDOW_S) for row in rows]

    def _recording_language(self, encoded: Encoded, batch: list[Window]) -> tuple[str, dict]:
        """From the longest windows (a batch starts with them); see languages.py."""
        allowed = list(self.options.allowed)
        if self.options.language != "auto":
            return self.options.language, {}
        if not self.backend.multilingual:
            return "en", {}
        probe = self._whole(range(min(LANGUAGE_PROBE_WINDOWS, len(batch))))
        detected = [fold_probabilities(p, allowed) for p in self.backend.detect_languages(encoded, probe)]
        evidence = {"probabilities": mean_by_language(detected)}
        if needs_decoding(evidence["probabilities"]):
            tie = probe[:TIE_BREAK_WINDOWS]
            limits = [min(EVIDENCE_TOKENS, token_limit(w.duration)) for w in batch[: len(tie)]]
            evidence["decoding_logprob"] = {
                code: float(np.mean([h.avg_logprob for h in self.backend.decode(encoded, tie, [code] * len(tie), limits)]))
                for code in allowed
            }
        return decide(evidence["probabilities"], evidence.get("decoding_logprob")), evidence

    def _turn_languages(
        self, audio: Audio, encoded: Encoded, batch: list[Window], main: str, turns: Sequence[Turn]
    ) -> tuple[list[str], dict[int, list[Window]]]:
        """Each window's language, and the windows to split because a turn in them is in
        another language (another allowed one, or one the study did not list).

        Each long turn is first heard from its window's encoding, limited to the turn. A
        turn the detector doubts (in a window it is unsure of as a whole, or where the
        recording's language gets under TURN_DOUBT) is heard again from an encoding of its
        own: a few seconds of a shared encoding can hide a language (a Spanish answer among
        English ones came out as Tagalog 0.39, a German one as German 0.75), a turn of its
        own does not (German 0.97). How many turns are heard again is bounded
        (REHEAR_PER_WINDOW)."""
        languages = [w.language or main for w in batch]
        rows = [i for i, w in enumerate(batch) if w.language is None]
        if not self.backend.multilingual or not rows:
            return languages, {}
        regions = [r for i in rows for r in turn_regions(batch[i], turns, i) if r.duration >= TURN_SWITCH_MIN_S]
        if not regions:
            return languages, {}
        allowed = list(self.options.allowed)
        probs = self.backend.detect_languages(encoded, regions)
        checks: list[tuple[Encoded, Region]] = [(encoded, r) for r in regions]
        whole = self.backend.detect_languages(encoded, self._whole(rows))
        unsure = {row for row, p in zip(rows, whole) if share_of(p, main) < DETECTOR_SURE}
        doubtful = [
            k for k, r in enumerate(regions)
            if max(probs[k].values()) < FOREIGN_SURE and (r.row in unsure or share_of(probs[k], main) < TURN_DOUBT)
        ]
        again = sorted(doubtful, key=lambda k: share_of(probs[k], main))[: max(1, int(REHEAR_PER_WINDOW * len(rows)))]
        if again:
            pieces = [batch[regions[k].row].piece(regions[k].start, regions[k].end) for k in again]
            alone = self.backend.encode(self._prepare(audio, pieces))
            for j, (k, heard) in enumerate(zip(again, self.backend.detect_languages(alone, self._whole(range(len(again)))))):
                probs[k], checks[k] = heard, (alone, Region(j, 0.0, MAX_WINDOW_S))
        candidates: dict[int, str] = {}
        for k, (region, found) in enumerate(zip(regions, probs)):
            best = max(found, key=found.get)
            if counted_as(best, allowed) is None and found[best] >= FOREIGN_SURE:
                candidates[k] = best
            elif self.options.language == "auto" and len(allowed) > 1:
                other = switch_candidate(fold_probabilities(found, allowed), main, region.duration)
                if other is not None:
                    candidates[k] = other
        switch_to = {regions[k]: language for k, language in self._confirmed(regions, checks, candidates, main).items()}
        parts: dict[int, list[Window]] = {}
        for row in sorted({r.row for r in switch_to}):
            labelled = [(r, switch_to.get(r, main)) for r in turn_regions(batch[row], turns, row)]
            parts[row] = split_by_language(batch[row], labelled)
        return languages, parts

    def _confirmed(self, regions: list[Region], checks: list[tuple[Encoded, Region]], candidates: dict[int, str], main: str) -> dict[int, str]:
        """The candidate turns whose transcript in the other language is sound (not
        degenerate) and fits the audio better than in the recording's language. Whisper
        base's detector, listening to a few seconds of telephone speech, is sometimes sure
        of a language that is not there; its transcript in that language then loops."""
        confirmed = {}
        for encoded in {id(checks[k][0]): checks[k][0] for k in candidates}.values():
            ks = [k for k in candidates if checks[k][0] is encoded]
            where = [checks[k][1] for k in ks]
            limits = [min(EVIDENCE_TOKENS, token_limit(regions[k].duration)) for k in ks]
            as_main = self.backend.decode(encoded, where, [main] * len(ks), limits)
            as_other = self.backend.decode(encoded, where, [candidates[k] for k in ks], limits)
            confirmed.update({k: candidates[k] for k, a, b in zip(ks, as_main, as_other) if not _needs_fallback(b) and b.avg_logprob > a.avg_logprob})
        return confirmed

    # --- decoding ------------------------------------------------------------------
    def _decode(
        self, host: Executor, encoded: Encoded, windows: list[Window], rows: list[int], languages: list[str], budget: int
    ) -> tuple[_Decoded | None, int, int]:
        """Decode whole windows, falling back while the budget lasts, and launch their word
        alignment, to finish on the host thread. Also returns the fallback decodings spent
        and the windows decoded again."""
        if not rows:
            return None, 0, 0
        regions = self._whole(rows)
        limits = [token_limit(w.duration) for w in windows]
        prompt = decoding_prompt(list(self.options.terms))
        hypotheses = self.backend.decode(encoded, regions, languages, limits, prompt=prompt, beam_size=self.options.beam_size)
        spent, used, exhausted = self._fallback(encoded, regions, languages, limits, prompt, hypotheses, budget)
        alignment = self.backend.align(encoded, rows, hypotheses, languages)
        return _Decoded(windows, rows, languages, hypotheses, exhausted, host.submit(alignment.words)), spent, used

    def _settle(self, decoded: _Decoded, turns: Sequence[Turn]) -> tuple[list[_Heard], list[Window]]:
        """A decoded batch's windows with their aligned words guarded, and the stretches of
        speech left without words, as windows to decode again."""
        heard, retries = [], []
        for window, row, hypothesis, language, words, degenerate in zip(
            decoded.windows, decoded.rows, decoded.hypotheses, decoded.languages, decoded.words.result(), decoded.exhausted
        ):
            kept, guard = self._guard(hypothesis, words, degenerate)
            heard.append(_Heard(window, hypothesis, language, guard, kept))
            if window.retry or degenerate or guard in REMOVES_TEXT or hypothesis.avg_logprob < RETRY_LOGPROB:
                continue
            for start, end in unheard(turn_regions(window, turns, row), kept):
                retries.append(window.piece(max(0.0, start - RETRY_PAD_S), end + RETRY_PAD_S, retry=True, language=language))
        return heard, [r for r in retries if r.spans]

    def _fallback(self, encoded, regions, languages, limits, prompt, hypotheses: list[Hypothesis], budget: int) -> tuple[int, int, list[bool]]:
        """Decode degenerate rows again at rising temperatures while the recording's budget
        of window-decodings lasts. A row keeps its first decoding that is not degenerate,
        else its most probable one (a loop is very probable: that is how it loops).
        Returns the decodings spent, the rows decoded again, and per row whether it was
        left degenerate because no more decoding was allowed."""
        pending = [i for i, h in enumerate(hypotheses) if _needs_fallback(h)]
        spent, tried = 0, set()
        for temperature in FALLBACK_TEMPERATURES:
            pending = pending[: max(0, budget - spent)]
            if not pending:
                break
            again = self.backend.decode(
                encoded, [regions[i] for i in pending], [languages[i] for i in pending], [limits[i] for i in pending],
                prompt=prompt, temperature=temperature, best_of=FALLBACK_BEST_OF,
            )
            spent += len(pending)
            tried.update(pending)
            for i, found in zip(pending, again):
                if not _needs_fallback(found) or found.avg_logprob > hypotheses[i].avg_logprob:
                    hypotheses[i] = found
            pending = [i for i in pending if _needs_fallback(hypotheses[i])]
        return spent, len(tried), [_needs_fallback(h) for h in hypotheses]

    @staticmethod
    def _guard(h: Hypothesis, words: list[Word], exhausted: bool) -> tuple[list[Word], str | None]:
        probabilities = [w.probability for w in words]
        if is_no_speech(h.no_speech_prob, h.avg_logprob, probabilities):
            return [], "no-speech"
        if is_unreliable(h.avg_logprob, exhausted, probabilities):
            return [], "unreliable"
        if h.compression_ratio > COMPRESSION_RATIO_THRESHOLD or h.stopped == "loop":
            texts = [w.text for w in words]
            cut = loop_cut(texts)
            if cut is not None:
                return words[: cut[0]] + words[cut[1] :], "repetition-loop"
            tail = loop_tail(texts) if h.stopped == "loop" else None
            if tail is not None:
                return words[:tail], "repetition-loop"
        return words, None

    def _fillers(self, audio: Audio, heard: list[_Heard]) -> None:
        """Put back the hesitations Whisper smoothed over (filler_pass.py): each island of
        sound no word accounts for is decoded on its own, the islands of the whole
        recording packed many to one encoder pass, and becomes a filler when Whisper
        writes nothing but fillers there."""
        floors = noise_floors(audio)
        wanted: dict[str, list[tuple[_Heard, Island, np.ndarray]]] = {}
        for h in heard:
            if h.guard not in REMOVES_TEXT:
                clip = h.window.audio(audio.samples, audio.sample_rate)
                found = unexplained(islands(clip, SAMPLE_RATE, floors[h.window.channel]), h.words)
                wanted.setdefault(h.language, []).extend((h, island, island_audio(clip, island)) for island in found)
        for language, found in wanted.items():
            prompt = decoding_prompt(list(self.options.terms), fillers_in=language)
            packed, placed = pack_islands([sound for _, _, sound in found], SAMPLE_RATE)
            size = self.options.batch_size
            for first in range(0, len(packed), size):
                encoded = self.backend.encode(self.backend.prepare(packed[first : first + size]))
                mine = [(i, p) for i, p in enumerate(placed) if first <= p.row < first + size]
                regions = [Region(p.row - first, p.start, p.end) for _, p in mine]
                decoded = self.backend.decode(encoded, regions, [language] * len(regions), [FILLER_MAX_TOKENS] * len(regions), prompt=prompt)
                for (i, _), hypothesis in zip(mine, decoded):
                    filler = filler_word(hypothesis.text)
                    if filler is not None:
                        h, island, _ = found[i]
                        probability = round(math.exp(hypothesis.avg_logprob), 4)
                        h.words = insert_filler(h.words, Word(island.start, island.end, filler, probability))
