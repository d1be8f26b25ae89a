"""Finding direct identifiers in transcript text, with Microsoft Presidio.

Presidio's `AnalyzerEngine` hosts every detector, per language (English, Norwegian):

* the study key (study_key.py): names the researcher listed, with their inflections;
* the pattern layer (_identifiers.py): Norwegian ID and phone numbers, e-mail addresses,
  street addresses, postcodes, also as spoken;
* Presidio's own validated recognizers for English identifiers: UK NHS numbers (check
  digit), US social security numbers, URLs;
* named-entity recognition, when a model is installed: a spaCy pipeline
  (`en_core_web_*`, `nb_core_news_*`, a package name or a folder) or a Hugging Face token
  classifier (`hf:NAME` or a folder holding one). Their labels map to PERSON, ORG and
  PLACE, Norwegian ones included (GPE_LOC is a place, GPE_ORG an organisation).

Nothing is downloaded: a model that is not installed is an error naming it, and with
`ner: auto` a language without an installed model runs without NER (`Detector.ner` says
so, and the CLI tells the user). Presidio's e-mail recognizer is not used: it looks up
top-level domains on the internet. This module is the one that imports Presidio; the
pseudonymizer only needs something with `find(text, language)`.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    NhsRecognizer,
    SpacyRecognizer,
    UrlRecognizer,
    UsSsnRecognizer,
)

from ..errors import ModelError
from ..models.ner_models import LANGUAGES
from ._identifiers import Finding, find_identifiers, resolve
from .study_key import StudyKey, common_word

# Whisper's and spaCy's codes for the languages detection knows.
LANGUAGE_OF = {"en": "en", "no": "no", "nb": "no", "nn": "no"}
SPACY_LANG = {"en": "en", "no": "nb"}
# NER labels (OntoNotes in English, NorNE in Norwegian, CoNLL in most token classifiers)
# and Presidio's entity names, as the kinds of pseudonym they become.
KIND_OF = {
    "PERSON": "PERSON", "PER": "PERSON",
    "ORG": "ORG", "GPE_ORG": "ORG", "ORGANIZATION": "ORG",
    "GPE": "PLACE", "LOC": "PLACE", "GPE_LOC": "PLACE", "FAC": "PLACE", "LOCATION": "PLACE",
    "UK_NHS": "ID-NUMBER", "US_SSN": "ID-NUMBER", "URL": "URL",
}
NER_KINDS = ("PERSON", "ORG", "PLACE")
DETECTOR_NAMES = {"NhsRecognizer": "uk-nhs-number", "UsSsnRecognizer": "us-ssn", "UrlRecognizer": "url"}
# Words of conversation that NER models trained on written text take for names.
NOT_NAMES = frozenset({"yeah", "okay", "ok", "hello", "hi", "um", "uh", "mm", "mhm", "ja", "nei", "jo", "hei", "ok?"})
# Findings less sure than this are not replaced (Presidio's URL pattern without a scheme
# scores 0.5; NER 0.85; context can lower a score).
MIN_CONFIDENCE = 0.4


@dataclass(frozen=True)
class NerModel:
    language: str
    name: str  # what the study key or `auto` named
    version: str
    kind: str  # "spacy" or "huggingface"


class Detector:
    """Every detector of a study, loaded once; `find` is called per stretch of text."""

    def __init__(self, key: StudyKey, ner: dict[str, str | None]):
        """`ner`: the model for each language, None for none (ner_models.resolve_ner)."""
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)  # its debug lines quote text
        self.key = key
        pipelines, self.ner, transformer_recognizers = {}, [], []
        for language in LANGUAGES:
            model = _load_ner(language, ner.get(language))
            if model is None:
                pipelines[language] = _blank(language)
            elif model[1].kind == "spacy":
                pipelines[language] = model[0]
                self.ner.append(model[1])
            else:
                pipelines[language] = _blank(language)
                transformer_recognizers.append(model[0])
                self.ner.append(model[1])
        recognizers = [*transformer_recognizers]
        for language in LANGUAGES:
            recognizers += [
                _Layer(language, "patterns", lambda text: find_identifiers(text, key.region), ("PHONE", "ID-NUMBER", "EMAIL", "ADDRESS")),
                _Layer(language, "study-key", key.find, ("PERSON", "ORG", "PLACE")),
                UrlRecognizer(supported_language=language),
            ]
            if any(m.language == language and m.kind == "spacy" for m in self.ner):
                recognizers.append(SpacyRecognizer(supported_language=language, supported_entities=list(NER_KINDS)))
        recognizers += [NhsRecognizer(supported_language="en"), UsSsnRecognizer(supported_language="en")]
        registry = RecognizerRegistry(recognizers=recognizers, supported_languages=list(LANGUAGES))
        self._engine = AnalyzerEngine(registry=registry, nlp_engine=_loaded_spacy(pipelines), supported_languages=list(LANGUAGES))

    def find(self, text: str, language: str | None) -> list[Finding]:
        """The identifiers in `text` (said in `language`: Norwegian or, for anything
        else, English), overlaps resolved to the surest and longest. NER also reads a
        case-normalised copy (`case_normalised`), so a name Whisper wrote in lower or
        upper case is found as it would be capitalised."""
        language = LANGUAGE_OF.get(language or "en", "en")
        findings = self._findings(text, text, language)
        cased = case_normalised(text, language)
        if cased != text and any(m.language == language for m in self.ner):
            uncased = _uncased(text)
            # In text Whisper wrote all in lower or upper case, NER's findings in capitals
            # are its reading of the capitals ("NAME"); the copy's stand instead. In text
            # with casing, a lone word found only in the copy is as often an uncommon word
            # ("Landline") as a name: a lone name there is found where the study knows it.
            # The copy only adds where the text itself gave nothing.
            findings = [f for f in findings if not (f.detector == "ner" and uncased and f.text.isupper())]
            findings += [
                replace(f, detector="ner-cased") for f in self._findings(cased, text, language)
                if f.detector == "ner" and (uncased or len(f.text.split()) > 1) and not any(f.start < g.end and g.start < f.end for g in findings)
            ]
        return resolve(findings)

    def _findings(self, searched: str, text: str, language: str) -> list[Finding]:
        """The findings in `searched` (`text` or its case-normalised copy, of the same
        length), each quoting `text`."""
        findings = []
        for result in self._engine.analyze(searched, language=language, score_threshold=MIN_CONFIDENCE):
            kind = KIND_OF.get(result.entity_type, result.entity_type)
            metadata = result.recognition_metadata or {}
            detector = metadata.get("recognizer_name", "")
            piece = text[result.start : result.end]
            if detector == "SpacyRecognizer" or detector.endswith("NerRecognizer"):
                detector = "ner"
                if not _name_like(searched[result.start : result.end]):
                    continue
            if piece.strip().casefold() in self.key.keep:
                continue
            findings.append(Finding(result.start, result.end, piece, kind, DETECTOR_NAMES.get(detector, detector), round(result.score, 3), metadata.get("value", "")))
        return findings


def case_normalised(text: str, language: str) -> str:
    """`text` as NER models trained on edited text expect it, of the same length: each
    word written all in lower or all in upper case is capitalised unless it is a
    function word or a common word of `language` (study_key.common_word), which are
    lower-cased. Words written with a capital and small
    letters stay as they are."""
    stop = _stop_words(language)

    def cased(match: re.Match[str]) -> str:
        word = match.group()
        if not (word.islower() or word.isupper()):
            return word
        lower = word.lower()
        if len(lower) < 2 or lower in stop or common_word(lower, (language,)):
            return lower if word.isupper() and len(word) > 1 else word
        return lower.capitalize()

    return re.sub(r"\w+", cased, text)


def _uncased(text: str) -> bool:
    """`text` has no capitals, or mostly capitals: its casing says nothing of names."""
    letters = [c for c in text if c.isalpha()]
    capitals = sum(c.isupper() for c in letters)
    return bool(letters) and (capitals == 0 or capitals > len(letters) / 2)


@functools.cache
def _stop_words(language: str) -> frozenset[str]:
    import importlib

    return frozenset(importlib.import_module(f"spacy.lang.{SPACY_LANG[language]}.stop_words").STOP_WORDS)


def _name_like(text: str) -> bool:
    """A name starts with a capital and has two letters at least: NER models trained on
    written text take a sentence's "I." or "Yeah" for one at times."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and letters[0].isupper() and text.strip(" .,;:!?").casefold() not in NOT_NAMES


def _blank(language: str):
    import spacy

    return spacy.blank(SPACY_LANG[language])


def _load_ner(language: str, name: str | None) -> tuple[object, NerModel] | None:
    """The NER model `name` for `language` (None: none)."""
    if name is None:
        return None
    if name.startswith("hf:") or (Path(name) / "config.json").is_file():
        return _huggingface(language, name.removeprefix("hf:"))
    import spacy

    try:
        pipeline = spacy.load(name, exclude=["lemmatizer"])
    except OSError:
        raise ModelError(
            f"the NER model '{name}' for {language} is not installed: install it (see README, 'Pseudonymization'), "
            "give a folder holding it, or set ner: none for this language in the study key"
        ) from None
    if "ner" not in pipeline.pipe_names:
        raise ModelError(f"the spaCy pipeline '{name}' has no named-entity recognizer")
    return pipeline, NerModel(language, name, pipeline.meta.get("version", ""), "spacy")


def _huggingface(language: str, name: str) -> tuple[object, NerModel]:
    """A Hugging Face token classifier, by name (from the local cache: downloads stay off
    unless allowed) or folder."""
    if importlib.util.find_spec("transformers") is None:
        raise ModelError(f"the NER model '{name}' is a Hugging Face token classifier, which needs the transformers package (pip install transformers)")
    from presidio_analyzer.predefined_recognizers.ner.huggingface_ner_recognizer import (
        HuggingFaceNerRecognizer,
    )

    try:
        recognizer = HuggingFaceNerRecognizer(
            model_name=name, supported_language=language, label_mapping=dict(KIND_OF), supported_entities=list(NER_KINDS), device="cpu",
        )
    except OSError:
        raise ModelError(f"the Hugging Face NER model '{name}' is not in the local cache or folder (downloads are off)") from None
    return recognizer, NerModel(language, name, "", "huggingface")


class _Layer(EntityRecognizer):
    """Our own detectors (the study key, the pattern layer) as one Presidio recognizer."""

    def __init__(self, language: str, name: str, find: Callable[[str], list[Finding]], kinds: tuple[str, ...]):
        self._find = find
        super().__init__(supported_entities=list(kinds), name=name, supported_language=language)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        return [
            RecognizerResult(f.kind, f.start, f.end, f.confidence, recognition_metadata={"recognizer_name": f.detector, "value": f.value})
            for f in self._find(text)
            if f.kind in entities
        ]


def _loaded_spacy(pipelines: dict) -> SpacyNlpEngine:
    """Presidio's spaCy engine over pipelines loaded here (its own loader downloads
    missing models), NER labels mapped to our kinds."""
    engine = SpacyNlpEngine(
        models=[{"lang_code": language, "model_name": "loaded"} for language in pipelines],
        ner_model_configuration=NerModelConfiguration(
            model_to_presidio_entity_mapping={label: kind for label, kind in KIND_OF.items() if kind in NER_KINDS},
            low_score_entity_names=[],
        ),
    )
    engine.nlp = pipelines
    return engine
