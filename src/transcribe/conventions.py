"""Transcription conventions: how the words of a transcript are written for coding.

The JSON transcript keeps Whisper's words with their timings and probabilities; these
conventions turn them into the readable text a qualitative researcher codes:

* verbatim (default): pauses from word timings, `(.)` for a short one and `(2.4)` for one
  of at least `pause_s` seconds; words Whisper was unsure of kept inside
  `[unclear hh:mm:ss: ...]`; `[inaudible hh:mm:ss]` where speech was heard but a
  hallucination guard removed what Whisper decoded; fillers kept (the pipeline adds
  those Whisper smoothed over, see filler_pass.py).
  Speech said over another speaker is marked: `[overlap]` before a speaker's words said
  while the other one talked (a backchannel inside the other's turn, on its own line and
  under its own speaker), and `[overlapping speech hh:mm:ss, not transcribed]` where the
  diarization heard a second voice that Whisper, hearing the louder one, did not write.
  A turn in another language than the interview's starts with `[in English]` (or the
  language it was in).
* clean: the words alone, fillers and markers removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import SettingsError
from .guards import REMOVES_TEXT
from .transcript import GuardEvent, Segment, Transcript, Word

STYLES = ("verbatim", "clean")

# Fillers and backchannels, English and Norwegian, as Whisper spells them.
FILLERS = {
    "um", "umm", "uh", "uhm", "er", "erm", "ehm", "eh", "ah", "hmm", "hm", "mm", "mmm",
    "mm-hmm", "mhm", "uh-huh", "øh", "øhm", "æh", "ehh",
}


# Prompts that show Whisper transcripts which keep fillers; it imitates its context's style.
FILLER_PROMPTS = {
    "en": "So, um, I was, uh, you know, er, I mean, mm-hmm, yeah.",
    "no": "Så, eh, jeg var, ehm, altså, øh, du vet, mm, ja.",
}


def decoding_prompt(terms: list[str], fillers_in: str | None = None) -> str | None:
    """The prompt for the decoder: the study's own words, then filler examples in the
    language `fillers_in`. Turns are decoded without the filler examples: they made
    Whisper slip words across speaker changes (speaker-attributed WER 0.184 -> 0.207 on the
    sample call); the filler pass (filler_pass.py) uses them on short islands of sound."""
    parts = []
    if terms:
        parts.append(", ".join(terms) + ".")
    if fillers_in in FILLER_PROMPTS:
        parts.append(FILLER_PROMPTS[fillers_in])
    return " ".join(parts) or None


@dataclass(frozen=True)
class Conventions:
    style: str = "verbatim"
    short_pause_s: float = 0.3  # gaps from here up to pause_s are "(.)"
    pause_s: float = 1.0  # gaps from here on are written in seconds: "(2.4)"
    unclear_below: float = 0.3  # word probability under which a word is unclear

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise SettingsError(f"unknown style '{self.style}' (expected verbatim or clean)")
        if not 0 < self.short_pause_s <= self.pause_s:
            raise SettingsError("--pause must be at least the short-pause threshold (0.3 s)")


def clock(seconds: float) -> str:
    total = int(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def is_filler(word: str) -> bool:
    return re.sub(r"[^\w-]", "", word.lower()) in FILLERS


def _pause(gap: float, conventions: Conventions) -> str | None:
    if gap >= conventions.pause_s:
        return f"({gap:.1f})"
    if gap >= conventions.short_pause_s:
        return "(.)"
    return None


def _verbatim_pieces(words: list[Word], conventions: Conventions) -> list[str]:
    pieces: list[str] = []
    unclear: list[Word] = []

    def flush() -> None:
        if unclear:
            pieces.append(f"[unclear {clock(unclear[0].start)}: {' '.join(w.text for w in unclear)}]")
            unclear.clear()

    previous_end = None
    for word in words:
        if previous_end is not None and (marker := _pause(word.start - previous_end, conventions)):
            flush()
            pieces.append(marker)
        if word.probability < conventions.unclear_below:
            unclear.append(word)
        else:
            flush()
            pieces.append(word.text)
        previous_end = word.end
    flush()
    return pieces


def _clean(text: str) -> str:
    kept = [w for w in text.split() if not is_filler(w)]
    cleaned = " ".join(kept)
    cleaned = re.sub(r"\s+([,.?!])", r"\1", cleaned)
    cleaned = re.sub(r"^[,.\s]+", "", cleaned)
    return cleaned[:1].upper() + cleaned[1:] if cleaned else ""


@dataclass
class _Unheard:
    start: float
    speaker: str


@dataclass
class _Line:
    start: float
    speaker: str
    items: list  # Segment or GuardEvent, in time order


def _untranscribed_overlaps(transcript: Transcript) -> list[_Unheard]:
    """Overlapping speech of a speaker who has no words there: on a mono recording
    Whisper hears the dominant voice, so the other one is marked, not transcribed."""
    unheard = []
    for overlap in transcript.overlaps:
        for speaker in overlap.speakers:
            if not any(s.speaker == speaker and s.start < overlap.end and s.end > overlap.start for s in transcript.segments if s.text):
                unheard.append(_Unheard(overlap.start, speaker))
    return unheard


def _lines(transcript: Transcript, conventions: Conventions) -> list[_Line]:
    items: list = [s for s in transcript.segments if s.text]
    if conventions.style == "verbatim":
        items += [g for g in transcript.guards if g.guard in REMOVES_TEXT]
        items += _untranscribed_overlaps(transcript)
    items.sort(key=lambda item: item.start)
    lines: list[_Line] = []
    for item in items:
        if lines and lines[-1].speaker == item.speaker:
            lines[-1].items.append(item)
        else:
            lines.append(_Line(item.start, item.speaker, [item]))
    return lines


def _language_name(code: str) -> str:
    from .languages import whisper_languages

    return whisper_languages().get(code, code).title()


def render_line(line_items: list, conventions: Conventions, main_language: str | None = None) -> str:
    if conventions.style == "clean":
        return " ".join(t for s in line_items if isinstance(s, Segment) and (t := _clean(s.text)))
    pieces: list[str] = []
    previous_end = None
    current_language = main_language
    for item in line_items:
        if isinstance(item, GuardEvent):
            pieces.append(f"[inaudible {clock(item.start)}]")
            previous_end = None
            continue
        if isinstance(item, _Unheard):
            pieces.append(f"[overlapping speech {clock(item.start)}, not transcribed]")
            previous_end = None
            continue
        if item.overlap:
            pieces.append("[overlap]")
        if item.language and current_language and item.language != current_language:
            pieces.append(f"[in {_language_name(item.language)}]")
            current_language = item.language
        if previous_end is not None and item.words and (marker := _pause(item.words[0].start - previous_end, conventions)):
            pieces.append(marker)
        pieces.extend(_verbatim_pieces(item.words, conventions) if item.words else [item.text])
        previous_end = item.words[-1].end if item.words else item.end
    return " ".join(pieces)


def render_text(transcript: Transcript, conventions: Conventions = Conventions()) -> str:
    """`[hh:mm:ss] SPEAKER: text`, one line per turn (consecutive items of one speaker)."""
    labels = {s.id: s.label for s in transcript.speakers}
    out = []
    for line in _lines(transcript, conventions):
        text = render_line(line.items, conventions, transcript.language)
        if text:
            out.append(f"[{clock(line.start)}] {labels.get(line.speaker, line.speaker)}: {text}\n")
    return "".join(out)
