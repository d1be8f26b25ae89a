"""Language codes as researchers write them, mapped onto what Whisper understands, and
how the language of a recording and of each turn is decided.

Whisper's language detector looks at the audio alone, from one decoder step. Where it is
unsure (its best allowed language under DETECTOR_SURE), each allowed language is decoded
and the one whose transcript Whisper finds more probable per token decides: on synthetic
telephone interviews Whisper base's detector leaned to English for espeak-ng's Norwegian
(0.53-0.68) while decoding as Norwegian fitted better (tests/test_languages.py).
"""

from __future__ import annotations

from ..errors import SettingsError

NORWEGIAN_VARIANTS = ("no", "nn", "nb")
_ALIASES = {"nb": "no", "bokmål": "no", "bokmal": "no", "nynorsk": "nn"}

# A turn is labelled with another language than the recording's only when the detector is
# this sure of it, the turn is long enough for detection to mean something, and the other
# language's transcript explains the audio better: a Norwegian answer that quotes English
# terms stays Norwegian.
DETECTOR_SURE = 0.8
TURN_SWITCH_PROBABILITY = 0.9
TURN_SWITCH_MIN_S = 3.0


def whisper_languages() -> dict[str, str]:
    from whisper.tokenizer import LANGUAGES

    return LANGUAGES


def normalize_language(code: str) -> str:
    """Map a code or English name ("Norwegian", "NB", "nynorsk", "en") to the code we report."""
    from whisper.tokenizer import TO_LANGUAGE_CODE

    value = code.strip().lower()
    value = _ALIASES.get(value, TO_LANGUAGE_CODE.get(value, value))
    if value not in whisper_languages():
        raise SettingsError(f"unknown language '{code}' (use a code such as en or no)")
    return value


def counted_as(code: str, allowed: list[str]) -> str | None:
    """The allowed code Whisper's `code` counts as: Norwegian variants count as whichever
    Norwegian the study allows (both kept apart when it allows both)."""
    if code in allowed:
        return code
    if code in NORWEGIAN_VARIANTS:
        return next((c for c in allowed if c in NORWEGIAN_VARIANTS), None)
    return None


def fold_probabilities(probs: dict[str, float], allowed: list[str]) -> dict[str, float]:
    """Whisper's per-language probabilities restricted to `allowed` and renormalised."""
    folded: dict[str, float] = {code: 0.0 for code in allowed}
    for code, p in probs.items():
        reported = counted_as(code, allowed)
        if reported is not None:
            folded[reported] += p
    total = sum(folded.values())
    if total > 0:
        folded = {code: p / total for code, p in folded.items()}
    return folded


def share_of(probs: dict[str, float], language: str) -> float:
    """The detector's probability of `language`, its variants counted in (Bokmål and
    Nynorsk both count for Norwegian)."""
    return sum(p for code, p in probs.items() if counted_as(code, [language]) == language)


def mean_by_language(per_chunk: list[dict[str, float]]) -> dict[str, float]:
    """Per-chunk values (probabilities, log-probabilities) averaged over the chunks."""
    return {code: sum(chunk[code] for chunk in per_chunk) / len(per_chunk) for code in per_chunk[0]}


def decide(probs: dict[str, float], logprobs: dict[str, float] | None = None) -> str:
    """The language: the detector's choice when it is sure or nothing else is known, else
    the language whose decoding fitted the audio best (average token log-probability)."""
    best = max(probs, key=probs.get)
    if probs[best] >= DETECTOR_SURE or not logprobs:
        return best
    return max(logprobs, key=logprobs.get)


def needs_decoding(probs: dict[str, float]) -> bool:
    return len(probs) > 1 and max(probs.values()) < DETECTOR_SURE


def switch_candidate(probs: dict[str, float], recording_language: str, duration: float) -> str | None:
    """The other language a turn may be in: one the detector is sure of, in a turn long
    enough for detection to mean something. The decoders then have the last word."""
    if duration < TURN_SWITCH_MIN_S or not probs:
        return None
    best = max(probs, key=probs.get)
    return best if best != recording_language and probs[best] >= TURN_SWITCH_PROBABILITY else None
