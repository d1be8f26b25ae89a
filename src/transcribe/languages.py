"""Language codes as researchers write them, mapped onto what Whisper understands."""

from __future__ import annotations

from .errors import SettingsError

# Whisper has "no" (Norwegian) and "nn" (Nynorsk); researchers also write "nb" (Bokmål).
NORWEGIAN_VARIANTS = ("no", "nn", "nb")


def whisper_languages() -> dict[str, str]:
    from whisper.tokenizer import LANGUAGES

    return LANGUAGES


def normalize_language(code: str) -> str:
    """Map a code or English name ("Norwegian", "NB", "en") to the code we report."""
    from whisper.tokenizer import TO_LANGUAGE_CODE

    value = code.strip().lower()
    value = TO_LANGUAGE_CODE.get(value, value)
    if value in NORWEGIAN_VARIANTS or value in ("bokmål", "bokmal", "nynorsk"):
        return "no"
    if value not in whisper_languages():
        raise SettingsError(f"unknown language '{code}' (use a code such as en or no)")
    return value


def parse_language_list(text: str) -> list[str]:
    codes = [normalize_language(part) for part in text.split(",") if part.strip()]
    if not codes:
        raise SettingsError("--languages needs at least one language code")
    return list(dict.fromkeys(codes))


def fold_probabilities(probs: dict[str, float], allowed: list[str]) -> dict[str, float]:
    """Whisper's per-language probabilities restricted to `allowed`, Norwegian variants summed."""
    folded: dict[str, float] = {code: 0.0 for code in allowed}
    for code, p in probs.items():
        reported = "no" if code in NORWEGIAN_VARIANTS else code
        if reported in folded:
            folded[reported] += p
    total = sum(folded.values())
    if total > 0:
        folded = {code: p / total for code, p in folded.items()}
    return folded
