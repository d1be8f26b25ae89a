"""The transcription stage: windows of speech in, timed words with their languages out.

It talks to the recogniser only through the `ASRBackend` protocol (asr/backend.py) and keeps the
policy here, where it can be tested with a fake backend:

* Windows (windows.py) are decoded in batches, longest first, so the rows of a batch
  finish together; each window is encoded once and every later pass reuses the encoding.
* Languages (languages.py): the recording's from its longest windows, with one decoding
  tie-break per recording where the detector is unsure; then each turn's, from the
  window's encoding limited to the turn. A turn in another allowed language, or one the
  detector is sure is in a language the study did not list, is split off and decoded in
  its own language: speech is never translated.
* No speech is lost. A window whose decoding is degenerate (repetitive, improbable, a
  loop) is decoded again at whisper's fallback temperatures. Then the speech (the
  diarization's turns, less the quiet of speech_activity.silences) that no word accounts
  for, where a window dropped words, a guard cut a loop out or a window stayed
  degenerate, is decoded again in parts cut at its pauses, with the text before it as the
  prompt, and each part keeps only the words of its own stretch. What is still without
  words is returned as a mark (`TranscriptionResult.marks`), never left to look like a
  pause.
* Bounded work: each window may decode at most TOKENS_PER_SECOND tokens per second of
  its audio; decoding loops are stopped as they start (static_decoder.py); fallback and
  recovery spend what the first pass left of a budget of decoding work per second of
  speech (`Work`: MAX_WORK_RATIO times what clean speech costs), so unreadable audio
  costs at most that multiple of clean speech, and a recording with a few loops has
  room to recover them; the language evidence decodes only EVIDENCE_TOKENS tokens.
* Guards (_guards.py) and, in verbatim style, the filler pass (asr/_filler_pass.py), run once
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

from ..conventions import decoding_prompt
from ..diarize.diarization import Turn
from ..errors import SettingsError
from ..ingest.audio import SAMPLE_RATE, Audio
from ..ingest.speech_activity import (
    crosstalk_gate,
    frame_energies_db,
    noise_floor_db,
    silences,
)
from ..transcript import Word
from ..utils.intervals import Interval, union
from ._filler_pass import (
    Island,
    filler_word,
    insert_filler,
    island_audio,
    islands,
    pack_islands,
    unexplained,
)
from ._guards import (
    LOGPROB_THRESHOLD,
    REMOVES_TEXT,
    is_no_speech,
    is_unreliable,
    loop_cut,
    loop_tail,
    repeats,
)
from .attribution import WindowText
from .backend import ASRBackend, Encoded, Hypothesis, Prepared, Region
from .coverage import UNACCOUNTED_MIN_S, longest, unaccounted
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
from .windows import MAX_WINDOW_S, Window, plan_windows

# openai-whisper's own fallback: output this repetitive or this improbable is decoded
# again at the next temperature, the best of FALLBACK_BEST_OF samples.
COMPRESSION_RATIO_THRESHOLD = 2.4
FALLBACK_TEMPERATURES = (0.2, 0.4, 0.6, 0.8, 1.0)
FALLBACK_BEST_OF = 5
# A part of speech decoded again falls back this far only: a short stretch that stays
# degenerate at 0.2 is marked (the tuning monologue, tiny.en: the same words in 2.5-3.3 s
# instead of 6.6 s for all temperatures).
PART_FALLBACK_TEMPERATURES = FALLBACK_TEMPERATURES[:1]
# Decoding work, in decoder token-rows (one token of one row: a beam or a sample), an
# encoder pass of a window counted as ENCODE_WORK of them (Whisper base on 2 CPU cores: a
# window's encoding 1.0 s, a token-row of beam search 3.6 ms). Clean speech costs about
# 3.5 tokens a second x 5 beams plus an encoder pass per 25 s: some 24 a second (English
# espeak call: 26). Fallback and recovery may spend what the first pass left of
# MAX_WORK_RATIO times that per second of speech, and start no step whose most it could
# cost (every row to its token limit) would go past it.
CLEAN_WORK_PER_S = 24.0
MAX_WORK_RATIO = 3.0
ENCODE_WORK = 280.0
# Fast speech is about 4 tokens a second (English and Norwegian, measured on the test
# interviews); more than this per second of audio is a model writing what is not there.
TOKENS_PER_SECOND = 10
MAX_TOKENS = 224  # openai-whisper's sample_len
# How many windows (the longest) decide the recording's language, and how many of them are
# decoded in each allowed language where the detector is unsure (30 s windows: a minute of
# speech, more than the three longest turns this was measured with).
LANGUAGE_PROBE_WINDOWS = 3
TIE_BREAK_WINDOWS = 2
# A turn is decoded in a language the study did not list only when the detector is this sure,
# and its transcript in that language fits the audio better than in every listed language by
# this much (mean log-probability per token; the German answer of tests/test_languages.py,
# Whisper base: German -0.54, English -1.49, Norwegian -1.86).
FOREIGN_SURE = 0.9
FOREIGN_MARGIN = 0.3
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
# Speech where a guard removed the words is marked from this long on (other speech
# without words from coverage.UNACCOUNTED_MIN_S on).
MARKED_MIN_S = 0.2
# A stretch is decoded again in parts of at most this much audio, cut at its pauses...
PART_S = 12.0
# ...with this much of the audio around it, and the last PROMPT_WORDS words before it as
# the prompt (whisper conditions each window on the text before it the same way).
PART_PAD_S = 0.3
PROMPT_WORDS = 40
# Stretches less than this apart are decoded again in one window (one encoder pass).
PART_JOIN_S = 5.0
# A part keeps the words whose middle falls in its stretch or this close to it.
OWN_REACH_S = 0.1


@dataclass(frozen=True)
class TranscriptionOptions:
    language: str = "auto"  # or a code the recording is in
    allowed: tuple[str, ...] = ("en", "no")
    terms: tuple[str, ...] = ()
    verbatim: bool = True
    batch_size: int = 4
    beam_size: int = 5  # 1: greedy


@dataclass(frozen=True)
class Unaccounted:
    """Speech (recording time, on `channel` or the mix) left without words, and why."""

    start: float
    end: float
    channel: int | None
    reason: str  # "no-speech", "unreliable", "repetition-loop" or "no-words"


@dataclass
class LanguageDoubt:
    """A turn (recording time, on `channel` or the mix) the detector heard as `language`,
    one the study did not list, whose transcript in it did not fit clearly better than in
    the study's languages: transcribed in the recording's language, to listen to again."""

    start: float
    end: float
    channel: int | None
    language: str
    reason: str = "language-doubt"


@dataclass
class TranscriptionResult:
    texts: list[WindowText]
    language: str | None
    evidence: dict[str, dict[str, float]] = field(default_factory=dict)
    fallback_windows: int = 0  # windows decoded again at a higher temperature
    recovered_parts: int = 0  # parts of speech without words decoded again
    marks: list[Unaccounted] = field(default_factory=list)
    doubts: list[LanguageDoubt] = field(default_factory=list)


@dataclass
class Work:
    """Decoding work, all of it, against its budget (see CLEAN_WORK_PER_S)."""

    allowed: float
    spent: float = 0.0

    def decoded(self, hypotheses: Sequence[Hypothesis], rows_each: int) -> None:
        self.spent += sum(len(h.tokens) + 1 for h in hypotheses) * rows_each

    def encoded(self, windows: int) -> None:
        self.spent += ENCODE_WORK * windows

    def allows(self, most: float) -> bool:
        """Whether work that costs at most `most` stays within the budget."""
        return self.spent + most <= self.allowed


def token_limit(seconds: float) -> int:
    return min(MAX_TOKENS, math.ceil(TOKENS_PER_SECOND * seconds) + 8)


def _needs_fallback(h: Hypothesis) -> bool:
    """Whisper's rule: improbable text, or text that compresses too well, unless the
    no-speech token says there is nothing to hear; text compresses too well where it
    repeats itself (guards.repeats), or where the decoder stopped it in a loop."""
    repetitive = h.compression_ratio > COMPRESSION_RATIO_THRESHOLD and repeats(h.text.split())
    degenerate = repetitive or h.avg_logprob < LOGPROB_THRESHOLD or h.stopped == "loop"
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


# Two windows' words at a seam this close are one word when they say the same.
SEAM_HOLE_S = 0.3
# Past a cut, the words of the window before it stand where they are this much surer on
# average, up to this far before its end.
SURER_BY = 0.05
SEAM_TAIL_S = 0.5


def _key(word: Word) -> str:
    return "".join(c for c in word.text.lower() if c.isalnum())


def _stitch(heard: list[_Heard]) -> None:
    """Mend the seams where speech was cut without a pause (windows.SEAM_S). The window
    before the cut heard on past it; the window after starts at the cut, without the
    beginning of the sentence, and can garble or drop its first words ("item 4740" for
    "item 40 is number 40"). Past the cut, up to SEAM_TAIL_S before the end of the window
    before (its last words are its least sure), the words of the window that heard them
    more surely (mean word probability, by SURER_BY) stand; where the window after dropped
    its first words, those of the window before fill the hole. A word both kept is kept once."""
    ends = {(h.window.channel, h.window.owns[1]): h for h in sorted(heard, key=lambda h: h.window.end) if math.isfinite(h.window.owns[1])}
    starts = {(h.window.channel, h.window.owns[0]): h for h in sorted(heard, key=lambda h: -h.window.start) if math.isfinite(h.window.owns[0])}
    for key in ends.keys() & starts.keys():
        before, after, cut = ends[key], starts[key], key[1]
        until = before.window.end - SEAM_TAIL_S
        mine = [w for w in before.heard if cut <= _middle(w) < until]
        theirs = [w for w in after.words if _middle(w) < until]
        if mine and (not theirs or _sureness(mine) > _sureness(theirs) + SURER_BY):
            before.words += mine
            after.words = [w for w in after.words if _middle(w) > mine[-1].end]
        elif mine:
            first = after.words[0].start if after.words else math.inf
            before.words += [w for w in mine if w.end <= first]
        if before.words and after.words:
            tail, head = before.words[-1], after.words[0]
            if _key(tail) == _key(head) and head.start < tail.end + SEAM_HOLE_S:
                after.words = after.words[1:]


def _middle(word: Word) -> float:
    return (word.start + word.end) / 2


def _sureness(words: list[Word]) -> float:
    return sum(w.probability for w in words) / len(words)


def _give_way(texts: list[WindowText]) -> None:
    """A word timed longer than it can last (coverage.longest) over speech that was decoded
    again gives up that time: the words recovered there are what was said in it. A word
    recovered inside it that says the same is the word itself, drawn out, and goes."""
    recovered: dict[int | None, list[Word]] = {}
    for text in texts:
        if text.window.retry:
            recovered.setdefault(text.window.channel, []).extend(text.words)
    for text in texts:
        if text.window.retry:
            continue
        found = sorted(recovered.get(text.window.channel, []), key=lambda w: w.start)
        for k, word in enumerate(text.words):
            if word.end - word.start <= longest(word.text):
                continue
            inside = [w for w in found if w.start < word.end and w.end > word.start]
            same = [w for w in inside if _key(w) == _key(word)]
            for part in texts:
                if part.window.retry and same:
                    part.words = [w for w in part.words if not any(w is s for s in same)]
            inside = [w for w in inside if not any(w is s for s in same)]
            if not inside:
                continue
            if inside[0].start >= (word.start + word.end) / 2:  # the recovered words come after its true end
                text.words[k] = Word(word.start, max(word.start, inside[0].start), word.text, word.probability)
            else:  # they come before its true start
                text.words[k] = Word(min(word.end, inside[-1].end), word.end, word.text, word.probability)


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
    exhausted: list[bool]  # still degenerate after every fallback the budget allowed
    words: Future


@dataclass
class _Heard:
    """A window decoded, aligned and guarded: the words it owns, and all it heard (the
    overlap with a neighbour included), in recording time."""

    window: Window
    hypothesis: Hypothesis
    language: str
    guard: str | None
    words: list[Word]
    heard: list[Word]
    degenerate: bool = False


class Transcriber:
    """Windows to words, through an ASR backend, with the policy above."""

    def __init__(self, backend: ASRBackend, options: TranscriptionOptions, progress: Callable[[float], None] | None = None):
        if not backend.multilingual and "en" not in options.allowed:
            raise SettingsError("this Whisper model is English-only but English is not among `languages`")
        self.backend = backend
        self.options = options
        self.progress = progress or (lambda fraction: None)
        self._done = self._total = 0
        self._gate: np.ndarray | None = None  # crosstalk gate of a call split by channel

    def __call__(
        self, audio: Audio, windows: list[Window], turns: Sequence[Turn], quiet: dict[int | None, list[Interval]] | None = None
    ) -> TranscriptionResult:
        """Words of `windows`, planned over the diarized `turns`; `quiet` is the audio's
        quiet per track (channel, or None for the mix; speech_activity.silences, made
        from the audio when not given)."""
        result = TranscriptionResult([], None)
        if not windows:
            return result
        if quiet is None:
            found = silences(audio.samples, audio.sample_rate, per_channel=any(t.channel is not None for t in turns))
            quiet = {track: [(q.start, q.end) for q in spans] for track, spans in found.items()}
        speech: dict[int | None, list[Interval]] = {}
        for turn in turns:
            speech.setdefault(turn.channel, []).append((turn.start, turn.end))
        speech = {track: union(spans) for track, spans in speech.items()}
        self._gate = crosstalk_gate(audio.samples, audio.sample_rate) if any(w.channel is not None for w in windows) else None
        work = Work(MAX_WORK_RATIO * CLEAN_WORK_PER_S * sum(w.duration for w in windows))
        self._done, self._total = 0, len(windows)
        with host_thread(self.backend.concurrent) as host:
            heard = self._hear(host, audio, windows, turns, result, work)
            _stitch(heard)
            for together in (True, False):  # stretches near each other share a window, then each alone
                parts = self._parts(audio, heard, self._unaccounted(heard, speech, quiet, recover=True), together)
                self._total += len(parts)
                recovered = self._hear(host, audio, parts, turns, result, work)
                result.recovered_parts += len(recovered)
                heard += recovered
        result.marks = self._marks(heard, speech, quiet)
        if self.options.verbatim:
            self._fillers(audio, heard)
        result.texts = sorted(
            (WindowText(h.window, h.words, h.language, h.hypothesis.avg_logprob,
                        h.hypothesis.no_speech_prob, h.hypothesis.temperature, h.guard) for h in heard),
            key=lambda t: (t.window.start, t.window.channel or 0),
        )
        _give_way(result.texts)
        return result

    def _hear(self, host: Executor, audio: Audio, windows: list[Window], turns: Sequence[Turn], result: TranscriptionResult, work: Work) -> list[_Heard]:
        """Decode `windows` in batches, longest first, and guard their words. Parts decoded
        again (`Window.retry`) are decoded only while the work budget lasts."""
        queue = deque(sorted(windows, key=lambda w: w.duration, reverse=True))
        heard: list[_Heard] = []
        previous: _Decoded | None = None
        staged = self._stage(host, audio, queue)
        while queue or previous:
            current = None
            size = min(self.options.batch_size, len(queue))
            if queue and queue[0].retry:  # parts: as many as the budget allows, the rest marked
                most = lambda n: sum(ENCODE_WORK + self.options.beam_size * token_limit(w.duration) for w in list(queue)[:n])  # noqa: E731
                size = max((n for n in range(size + 1) if work.allows(most(n))), default=0)
                if not size:
                    queue.clear()
            if queue:
                batch = [queue.popleft() for _ in range(size)]
                encoded = self.backend.encode(self._prepared(staged, batch, audio))
                work.encoded(len(batch))
                staged = self._stage(host, audio, queue)
                if result.language is None:
                    result.language, result.evidence = self._recording_language(encoded, batch)
                languages, parts = self._turn_languages(audio, encoded, batch, result.language, turns, result.doubts)
                for split in parts.values():
                    queue.extend(split)
                    self._total += len(split) - 1
                rows = [i for i in range(len(batch)) if i not in parts]
                current, used = self._decode(host, encoded, [batch[i] for i in rows], rows, [languages[i] for i in rows], work)
                result.fallback_windows += used
            if previous is not None:
                heard.extend(self._settle(previous))
                self._done += len(previous.windows)
            previous = current
            self.progress(min(1.0, self._done / max(self._total, 1)))
        return heard

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
        return self.backend.prepare([w.audio(audio.samples, audio.sample_rate, self._gate) for w in windows])

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
        self, audio: Audio, encoded: Encoded, batch: list[Window], main: str, turns: Sequence[Turn], doubts: list[LanguageDoubt]
    ) -> tuple[list[str], dict[int, list[Window]]]:
        """Each window's language, and the windows to split because a turn in them is in
        another language (another allowed one, or one the study did not list); turns put
        in an unlisted language without the evidence for it go to `doubts`.

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
        confirmed, doubted = self._confirmed(regions, checks, candidates, main)
        switch_to = {regions[k]: language for k, language in confirmed.items()}
        for k in doubted:
            window = batch[regions[k].row]
            doubts.append(LanguageDoubt(window.to_source(regions[k].start), window.to_source(regions[k].end), window.channel, candidates[k]))
        parts: dict[int, list[Window]] = {}
        for row in sorted({r.row for r in switch_to}):
            labelled = [(r, switch_to.get(r, main)) for r in turn_regions(batch[row], turns, row)]
            parts[row] = split_by_language(batch[row], labelled)
        return languages, parts

    def _confirmed(
        self, regions: list[Region], checks: list[tuple[Encoded, Region]], candidates: dict[int, str], main: str
    ) -> tuple[dict[int, str], list[int]]:
        """The candidate turns whose transcript in the other language is sound (not
        degenerate) and fits the audio better than in the recording's language; for a
        language the study did not list, better by FOREIGN_MARGIN than in every language it
        did. Whisper base's detector, listening to a few seconds of telephone speech, is
        sometimes sure of a language that is not there (Thai for a Norwegian sentence full
        of names); its transcript in that language then loops or fits no better. Also
        returns the turns put in an unlisted language without that evidence: they stay in
        the recording's language, to be listened to again."""
        allowed = list(self.options.allowed)
        confirmed, doubted = {}, []
        for encoded in {id(checks[k][0]): checks[k][0] for k in candidates}.values():
            ks = [k for k in candidates if checks[k][0] is encoded]
            where = [checks[k][1] for k in ks]
            limits = [min(EVIDENCE_TOKENS, token_limit(regions[k].duration)) for k in ks]
            foreign = [counted_as(candidates[k], allowed) is None for k in ks]
            against = [main] + ([code for code in allowed if code != main] if any(foreign) else [])
            fits = {code: self.backend.decode(encoded, where, [code] * len(ks), limits) for code in against}
            as_other = self.backend.decode(encoded, where, [candidates[k] for k in ks], limits)
            for j, k in enumerate(ks):
                listed = max(against if foreign[j] else [main], key=lambda code: fits[code][j].avg_logprob)
                if not _needs_fallback(as_other[j]) and as_other[j].avg_logprob > fits[listed][j].avg_logprob + (FOREIGN_MARGIN if foreign[j] else 0.0):
                    confirmed[k] = candidates[k]
                elif foreign[j]:
                    doubted.append(k)
                    if listed != main:  # the listed language that fits it best
                        confirmed[k] = listed
        return confirmed, doubted

    # --- decoding ------------------------------------------------------------------
    def _decode(
        self, host: Executor, encoded: Encoded, windows: list[Window], rows: list[int], languages: list[str], work: Work
    ) -> tuple[_Decoded | None, int]:
        """Decode whole windows, falling back while the work budget lasts, and launch their
        word alignment, to finish on the host thread. Also returns how many windows were
        decoded again at a higher temperature."""
        if not rows:
            return None, 0
        regions = self._whole(rows)
        limits = [token_limit(w.duration) for w in windows]
        prompt = decoding_prompt(list(self.options.terms))
        context = [w.context for w in windows] if any(w.context for w in windows) else None
        hypotheses = self.backend.decode(
            encoded, regions, languages, limits, prompt=prompt, context=context, beam_size=self.options.beam_size
        )
        work.decoded(hypotheses, self.options.beam_size)
        temperatures = PART_FALLBACK_TEMPERATURES if windows[0].retry else FALLBACK_TEMPERATURES
        used, exhausted = self._fallback(encoded, regions, languages, limits, prompt, context, hypotheses, work, temperatures)
        alignment = self.backend.align(encoded, rows, hypotheses, languages)
        return _Decoded(windows, rows, languages, hypotheses, exhausted, host.submit(alignment.words)), used

    def _settle(self, decoded: _Decoded) -> list[_Heard]:
        """A decoded batch's windows with their aligned words guarded, each window keeping
        the words it owns."""
        heard = []
        for window, hypothesis, language, words, degenerate in zip(
            decoded.windows, decoded.hypotheses, decoded.languages, decoded.words.result(), decoded.exhausted
        ):
            kept, guard = self._guard(hypothesis, words, degenerate)
            timed = _in_recording_time(window, kept)
            heard.append(_Heard(window, hypothesis, language, guard, [w for w in timed if window.keeps(w.start, w.end)], timed, degenerate))
        return heard

    def _fallback(
        self, encoded, regions, languages, limits, prompt, context, hypotheses: list[Hypothesis], work: Work, temperatures: tuple[float, ...]
    ) -> tuple[int, list[bool]]:
        """Decode degenerate rows again at rising `temperatures` while the work budget lasts. A row keeps its first decoding that is not degenerate, else its most
        probable one (a loop is very probable: that is how it loops). Returns the rows
        decoded again and, per row, whether it is still degenerate."""
        pending = [i for i, h in enumerate(hypotheses) if _needs_fallback(h)]
        tried: set[int] = set()
        for temperature in temperatures:
            if not pending or not work.allows(FALLBACK_BEST_OF * sum(limits[i] for i in pending)):
                break
            again = self.backend.decode(
                encoded, [regions[i] for i in pending], [languages[i] for i in pending], [limits[i] for i in pending],
                prompt=prompt, context=None if context is None else [context[i] for i in pending],
                temperature=temperature, best_of=FALLBACK_BEST_OF,
            )
            work.decoded(again, FALLBACK_BEST_OF)
            tried.update(pending)
            for i, found in zip(pending, again):
                if not _needs_fallback(found) or found.avg_logprob > hypotheses[i].avg_logprob:
                    hypotheses[i] = found
            pending = [i for i in pending if _needs_fallback(hypotheses[i])]
        return len(tried), [_needs_fallback(h) for h in hypotheses]

    # --- speech left without words -----------------------------------------------------
    def _unaccounted(
        self, heard: list[_Heard], speech: dict[int | None, list[Interval]], quiet: dict[int | None, list[Interval]],
        recover: bool, least: float = UNACCOUNTED_MIN_S,
    ) -> dict[int | None, list[Interval]]:
        """Per track, the stretches of speech of at least `least` seconds that are not
        quiet and that no word reaches. To `recover`, speech Whisper judged not to be
        speech at all (the no-speech guard) is left out: decoding it again would only
        invite invented words."""
        found = {}
        for track, spoken in speech.items():
            mine = [h for h in heard if h.window.channel == track]
            words = [(w.start, w.end, w.text) for h in mine for w in h.words]
            skip = [(s.start, s.end) for h in mine if recover and h.guard == "no-speech" for s in h.window.spans]
            found[track] = unaccounted(spoken, quiet.get(track, []), words, skip, least)
        return found

    def _covering(self, heard: list[_Heard], track: int | None, t: float) -> _Heard | None:
        """The window of `track` that owns recording time `t` (a part decoded again before
        the window it came from)."""
        holding = [h for h in heard if h.window.channel == track and h.window.start <= t <= h.window.end and h.window.keeps(t, t)]
        return min(holding, key=lambda h: not h.window.retry, default=None)

    def _parts(self, audio: Audio, heard: list[_Heard], gaps: dict[int | None, list[Interval]], together: bool) -> list[Window]:
        """The stretches of speech left without words, to decode again in windows of at
        most PART_S cut at their pauses, in the language of the window they were in,
        prompted with the words said before them; `together`, stretches less than
        PART_JOIN_S apart share a window (the speech between them cut out where it is
        longer than a window keeps), else each has its own (one stretch Whisper cannot
        read then costs no other its words). Each part keeps the words of its stretches."""
        parts = []
        for track, stretches in gaps.items():
            before = sorted((w for h in heard if h.window.channel == track for w in h.words), key=lambda w: w.start)
            clusters: list[list[Interval]] = []
            for stretch in stretches:
                if together and clusters and stretch[0] - clusters[-1][-1][1] < PART_JOIN_S:
                    clusters[-1].append(stretch)
                else:
                    clusters.append([stretch])
            for cluster in clusters:
                start = cluster[0][0]
                owner = self._covering(heard, track, (start + cluster[0][1]) / 2)
                if owner is None:
                    continue
                context = " ".join(" ".join(w.text for w in before if w.end <= start).split()[-PROMPT_WORDS:])
                turns = [Turn(max(0.0, a - PART_PAD_S), min(audio.duration, b + PART_PAD_S), owner.window.speaker or "", track) for a, b in cluster]
                for piece in plan_windows(turns, audio.samples, audio.sample_rate, longest=PART_S, shortest=PART_S / 2):
                    claims = tuple((a - OWN_REACH_S, b + OWN_REACH_S) for a, b in cluster if a < piece.end and b > piece.start)
                    parts.append(Window(piece.spans, track, owner.window.speaker, owner.language, owns=piece.owns, claims=claims, context=context))
        return parts

    def _marks(self, heard: list[_Heard], speech: dict[int | None, list[Interval]], quiet: dict[int | None, list[Interval]]) -> list[Unaccounted]:
        """The speech still without words, each stretch with why: the guard that removed
        its text (marked however short: a guard removed words there), or "no-words"
        (marked from UNACCOUNTED_MIN_S)."""
        marks = []
        for track, stretches in self._unaccounted(heard, speech, quiet, recover=False, least=MARKED_MIN_S).items():
            for start, end in stretches:
                owner = self._covering(heard, track, (start + end) / 2)
                reason = (owner.guard or ("unreliable" if owner.degenerate else None)) if owner is not None else None
                if reason is None and end - start < UNACCOUNTED_MIN_S:
                    continue
                marks.append(Unaccounted(round(start, 3), round(end, 3), track, reason or "no-words"))
        return marks

    @staticmethod
    def _guard(h: Hypothesis, words: list[Word], exhausted: bool) -> tuple[list[Word], str | None]:
        probabilities = [w.probability for w in words]
        if is_no_speech(h.no_speech_prob, h.avg_logprob, probabilities):
            return [], "no-speech"
        if is_unreliable(h.avg_logprob, exhausted, probabilities):
            return [], "unreliable"
        if h.compression_ratio > COMPRESSION_RATIO_THRESHOLD or h.stopped == "loop":
            texts = [w.text for w in words]
            tail = loop_tail(texts) if h.stopped == "loop" else None  # the decoder saw it repeat
            if tail is not None:
                return words[:tail], "repetition-loop"
            cut = loop_cut(texts)
            if cut is not None:
                return words[: cut[0]] + words[cut[1] :], "repetition-loop"
        return words, None

    def _fillers(self, audio: Audio, heard: list[_Heard]) -> None:
        """Put back the hesitations Whisper smoothed over (asr/_filler_pass.py): each island of
        sound no word accounts for is decoded on its own, the islands of the whole
        recording packed many to one encoder pass, and becomes a filler when Whisper
        writes nothing but fillers there."""
        floors = noise_floors(audio)
        words: dict[int | None, list[Word]] = {}
        for h in heard:
            words.setdefault(h.window.channel, []).extend(h.words)
        wanted: dict[str, list[tuple[_Heard, Island, np.ndarray]]] = {}
        for h in heard:
            if h.guard not in REMOVES_TEXT:
                clip = h.window.audio(audio.samples, audio.sample_rate, self._gate)
                found = islands(clip, SAMPLE_RATE, floors[h.window.channel])
                timed = [Island(h.window.to_source(i.start), h.window.to_source(i.end)) for i in found]
                nearby = [w for w in words[h.window.channel] if w.end > h.window.start and w.start < h.window.end]
                alone = set(unexplained(timed, nearby))
                wanted.setdefault(h.language, []).extend(
                    (h, t, island_audio(clip, island)) for island, t in zip(found, timed) if t in alone and h.window.keeps(t.start, t.end)
                )
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
