"""Transcription conventions: how the words of a transcript are written for coding
(export/_turns.py applies them to a transcript).

The JSON transcript keeps Whisper's words with their timings and probabilities; these
conventions turn them into the readable text a qualitative researcher codes:

* verbatim (default): pauses from word timings, `(.)` for a short one and `(2.4)` for one
  of at least `pause_s` seconds; words Whisper was unsure of kept inside
  `[unclear hh:mm:ss: ...]`; `[inaudible hh:mm:ss]` where speech was heard but a
  hallucination guard removed what Whisper decoded; fillers kept (the pipeline adds
  those Whisper smoothed over, see asr/_filler_pass.py).
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
from .transcript import Transcript

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
    sample call); the filler pass (asr/_filler_pass.py) uses them on short islands of sound."""
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
            raise SettingsError(f"unknown `style` '{self.style}' (expected verbatim or clean)")
        if not 0 < self.short_pause_s <= self.pause_s:
            raise SettingsError("`pause` must be at least the short-pause threshold (0.3 s)")


def clock(seconds: float) -> str:
    total = int(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def is_filler(word: str) -> bool:
    return re.sub(r"[^\w-]", "", word.lower()) in FILLERS


def pause_length(gap: float, conventions: Conventions) -> str | None:
    """A silence of `gap` seconds between words: "long" (written in seconds), "short"
    (written "(.)") or None (not a pause)."""
    if gap >= conventions.pause_s:
        return "long"
    if gap >= conventions.short_pause_s:
        return "short"
    return None


def clean_text(text: str) -> str:
    """The words alone: fillers removed, the first letter capitalised."""
    kept = [w for w in text.split() if not is_filler(w)]
    cleaned = " ".join(kept)
    cleaned = re.sub(r"\s+([,.?!])", r"\1", cleaned)
    cleaned = re.sub(r"^[,.\s]+", "", cleaned)
    return cleaned[:1].upper() + cleaned[1:] if cleaned else ""


def conventions_of(transcript: Transcript) -> Conventions:
    """The conventions the transcript was made with: every format is a function of the
    JSON alone."""
    settings = transcript.provenance.settings
    return Conventions(style=settings.get("style", "verbatim"), pause_s=settings.get("pause", 1.0))
