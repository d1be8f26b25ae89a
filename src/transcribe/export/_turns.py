"""The transcript as its readers see it: turns of one speaker, each a run of typed pieces.

Every readable format (the .txt, subtitles, the coding tools' imports) renders from these
turns, so a convention is decided once, here and in conventions.py, not once per format.
A turn is consecutive speech of one speaker; its pieces are the words said (`Said`,
timed), words Whisper was unsure of (`Unclear`), pauses (`Pause`: where the audio was
quiet, not wherever words are apart), speech without words (`Inaudible`), a mark that what follows was said over the other speaker
(`OverlapMark`), a second voice heard but not transcribed (`Unheard`), and a change of
language (`LanguageMark`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..conventions import Conventions, clean_text, clock, pause_length
from ..transcript import Mark, Segment, Transcript, Word
from ..utils.intervals import Interval, intersect, length, near


@dataclass(frozen=True)
class Said:
    text: str
    start: float
    end: float
    words: tuple[Word, ...] = ()  # the timed words (none in the clean style: it rewrites them)

    def split(self) -> list[Said]:
        """One piece per word, timed by its word, or spread evenly where none are kept."""
        if self.words:
            return [Said(w.text, w.start, w.end, (w,)) for w in self.words]
        texts = self.text.split()
        step = (self.end - self.start) / max(1, len(texts))
        return [Said(t, self.start + i * step, self.start + (i + 1) * step) for i, t in enumerate(texts)]


@dataclass(frozen=True)
class Unclear:
    text: str
    start: float
    end: float
    words: tuple[Word, ...] = ()  # the timed words (the review page edits them)


@dataclass(frozen=True)
class Pause:
    seconds: float
    short: bool  # under the conventions' pause length: written "(.)"


@dataclass(frozen=True)
class Inaudible:
    start: float


@dataclass(frozen=True)
class OverlapMark:
    start: float


@dataclass(frozen=True)
class Unheard:
    start: float


@dataclass(frozen=True)
class LanguageMark:
    language: str  # a code: "de"

    @property
    def name(self) -> str:
        from ..asr.languages import whisper_languages

        return whisper_languages().get(self.language, self.language).title()


Piece = Said | Unclear | Pause | Inaudible | OverlapMark | Unheard | LanguageMark


def piece_text(piece: Piece) -> str:
    """A piece as the verbatim conventions write it."""
    match piece:
        case Said(text=text):
            return text
        case Unclear(text=text, start=start):
            return f"[unclear {clock(start)}: {text}]"
        case Pause(short=True):
            return "(.)"
        case Pause(seconds=seconds):
            return f"({seconds:.1f})"
        case Inaudible(start=start):
            return f"[inaudible {clock(start)}]"
        case OverlapMark():
            return "[overlap]"
        case Unheard(start=start):
            return f"[overlapping speech {clock(start)}, not transcribed]"
        case LanguageMark():
            return f"[in {piece.name}]"
    raise TypeError(piece)


@dataclass
class Turn:
    speaker: str  # the speaker's id
    label: str  # what the transcript calls them (a role, or the id)
    start: float
    end: float
    pieces: list[Piece]

    @property
    def text(self) -> str:
        return " ".join(piece_text(p) for p in self.pieces)

    def said(self) -> list[Said | Unclear]:
        return [p for p in self.pieces if isinstance(p, Said | Unclear)]


def turns_of(transcript: Transcript, conventions: Conventions = Conventions()) -> list[Turn]:
    """The transcript's turns under `conventions` (turns with nothing to show left out)."""
    labels = {s.id: s.label for s in transcript.speakers}
    turns = []
    for speaker, items in _runs(transcript, conventions):
        if conventions.style == "clean":
            pieces = _clean_pieces(items)
        else:
            pieces = _verbatim_pieces(items, _Pauses(transcript, speaker, conventions), transcript.language)
        if pieces:
            turns.append(Turn(speaker, labels.get(speaker, speaker), items[0].start, _end(items), pieces))
    return turns


@dataclass
class _NotTranscribed:
    """Overlapping speech of a speaker who has no words there."""

    start: float
    end: float
    speaker: str


def _not_transcribed(transcript: Transcript) -> list[_NotTranscribed]:
    """On a mono recording Whisper hears the dominant voice: the other one is marked."""
    found = []
    for overlap in transcript.overlaps:
        for speaker in overlap.speakers:
            if not any(s.speaker == speaker and s.start < overlap.end and s.end > overlap.start for s in transcript.segments if s.text):
                found.append(_NotTranscribed(overlap.start, overlap.end, speaker))
    return found


def _runs(transcript: Transcript, conventions: Conventions) -> list[tuple[str, list]]:
    """Consecutive items (segments, removed speech, unheard overlaps) of one speaker."""
    items: list = [s for s in transcript.segments if s.text]
    if conventions.style == "verbatim":
        items += transcript.marks
        items += _not_transcribed(transcript)
    items.sort(key=lambda item: item.start)
    runs: list[tuple[str, list]] = []
    for item in items:
        if runs and runs[-1][0] == item.speaker and not getattr(item, "turn_start", False):
            runs[-1][1].append(item)
        else:
            runs.append((item.speaker, [item]))
    return runs


def _end(items: list) -> float:
    return max(item.end for item in items)


def _clean_pieces(items: list) -> list[Piece]:
    return [Said(text, s.start, s.end) for s in items if isinstance(s, Segment) and (text := clean_text(s.text))]


class _Pauses:
    """Where a speaker's pauses can be: the quiet of their channel on a call split by
    channel, of the mix otherwise (transcripts before silences were measured: wherever
    words are apart)."""

    def __init__(self, transcript: Transcript, speaker: str, conventions: Conventions):
        channel = next((s.channel for s in transcript.speakers if s.id == speaker), None)
        self.conventions = conventions
        self.quiet: list[Interval] | None = None
        if transcript.silences is not None:
            self.quiet = [(q.start, q.end) for q in transcript.silences if q.channel == channel]

    def between(self, end: float, start: float) -> list[Piece]:
        """The pause between a word ending at `end` and the next starting at `start`: the
        quiet audio within, measured in seconds."""
        gap = start - end
        if self.quiet is not None:
            gap = length(intersect([(end, start)], near(self.quiet, end, start))) if start > end else 0.0
        kind = pause_length(gap, self.conventions)
        return [] if kind is None else [Pause(round(gap, 1), short=kind == "short")]


def _verbatim_pieces(items: list, pauses: _Pauses, main_language: str | None) -> list[Piece]:
    pieces: list[Piece] = []
    previous_end = None
    language = main_language
    for item in items:
        if isinstance(item, Mark | _NotTranscribed):
            pieces.append(Inaudible(item.start) if isinstance(item, Mark) else Unheard(item.start))
            previous_end = None
            continue
        if item.overlap:
            pieces.append(OverlapMark(item.start))
        if item.language and language and item.language != language:
            pieces.append(LanguageMark(item.language))
            language = item.language
        if previous_end is not None and item.words:
            pieces += pauses.between(previous_end, item.words[0].start)
        pieces += _word_pieces(item.words, pauses) if item.words else [Said(item.text, item.start, item.end)]
        previous_end = item.words[-1].end if item.words else item.end
    return pieces


def _word_pieces(words: list[Word], pauses: _Pauses) -> list[Piece]:
    """Words in runs of sure and unsure ones, with the pauses between them."""
    unclear_below = pauses.conventions.unclear_below
    pieces: list[Piece] = []
    run: list[Word] = []

    def flush() -> None:
        if run:
            text = " ".join(w.text for w in run)
            unsure = run[0].probability < unclear_below
            pieces.append(Unclear(text, run[0].start, run[-1].end, tuple(run)) if unsure else Said(text, run[0].start, run[-1].end, tuple(run)))
            run.clear()

    previous_end = None
    for word in words:
        gap = pauses.between(previous_end, word.start) if previous_end is not None else []
        unsure = word.probability < unclear_below
        if gap or (run and (run[0].probability < unclear_below) != unsure):
            flush()
        pieces += gap
        run.append(word)
        previous_end = word.end
    flush()
    return pieces


def text_lines(transcript: Transcript, conventions: Conventions = Conventions()) -> list[tuple[Turn, str]]:
    """Each turn with its line of the plain text (without the newline)."""
    return [(t, f"[{clock(t.start)}] {t.label}: {t.text}") for t in turns_of(transcript, conventions)]
