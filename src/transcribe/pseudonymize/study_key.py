"""The study key: what the researcher knows must never reach the coders.

A YAML file lists the study's participants, the third parties they talk about, their
organisations and places, each with the pseudonym the researcher chose (or none: then it
is numbered, `[PERSON 3]`), plus the NER models to use and words never to replace:

    region: "NO"                   # phone numbers written without a country code
    ner: {en: en_core_web_sm, no: nb_core_news_md}   # or "auto", or "none"
    people:
      - name: Kari Nordmann
        pseudonym: Participant 1
        also: [Kari Nordmann-Hansen]
      - Ola Hansen
    organisations:
      - name: Haukeland universitetssjukehus
        also: [Haukeland]
    places: [Fana, Os]
    keep: [Norge, Norway]          # never replaced, whoever finds them

Names match case-insensitively, with Norwegian and English inflections: genitive "-s",
"'s" (kept after the pseudonym: "[PERSON 1]s"), definite forms "-en", "-et", "-a",
"-ene" (replaced with the name). A person's given and family names also match alone,
in any case, or only capitalised or in capitals where the name is also a common word
("Will", "Mark"; `common_word`). Organisations and places also match as the first part
of a Norwegian compound ("Haukelandsykehuset" -> "[ORG 1]sykehuset") when capitalized.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import StudyKeyError
from ._identifiers import Finding

KINDS = {"people": "PERSON", "organisations": "ORG", "organizations": "ORG", "places": "PLACE"}
# Endings kept after the pseudonym (the genitive), and endings replaced with the name.
GENITIVE = ("'s", "’s", "'", "s")
DEFINITE = ("en", "et", "a", "ene", "ens", "ets")
# Words at least this frequent (wordfreq's Zipf scale: 5 is once in 100,000 words;
# "hospital" 5.1, "name" 5.6, "tom" 4.8) are taken for words, not names, in lower case.
# Chosen on the sentences of tests/test_pseudonymize.py in lower and upper case.
COMMON_ZIPF = 5.0
WORDFREQ_LANG = {"en": "en", "no": "nb"}
# A name part shorter than this does not match alone ("Li", "Bo" are too often words);
# a name shorter than this is not looked for inside compounds ("Os" in "Osteoporose").
MIN_PART = 3
MIN_COMPOUND_NAME = 4
_COMPOUND_REST = r"[a-zæøå]{3,}"


@dataclass(frozen=True)
class KeyEntry:
    name: str
    kind: str  # PERSON, ORG or PLACE
    pseudonym: str | None = None  # the researcher's choice; None: numbered per study
    also: tuple[str, ...] = ()


@dataclass
class StudyKey:
    entries: list[KeyEntry] = field(default_factory=list)
    keep: frozenset[str] = frozenset()  # casefolded
    region: str = "NO"
    ner: dict[str, str] | str = "auto"  # per language, or "auto" / "none" for all
    sha256: str = ""  # of the file: a changed key makes transcripts pseudonymized again

    @classmethod
    def load(cls, path: str | Path) -> StudyKey:
        import yaml

        path = Path(path)
        try:
            raw = path.read_bytes()
            data = yaml.safe_load(raw) or {}
        except OSError as error:
            raise StudyKeyError(f"the study key {path.name} cannot be read: {error.strerror}") from None
        except yaml.YAMLError as error:
            line = getattr(getattr(error, "problem_mark", None), "line", None)
            raise StudyKeyError(f"the study key {path.name} is not valid YAML" + (f" (line {line + 1})" if line is not None else "")) from None
        if not isinstance(data, dict):
            raise StudyKeyError(f"the study key {path.name} must be a mapping (people:, organisations:, places:, ...)")
        known = {*KINDS, "keep", "region", "ner", "study"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise StudyKeyError(f"the study key {path.name} has unknown sections: {', '.join(unknown)} (expected {', '.join(sorted(known))})")
        entries = [_entry(item, KINDS[section], path.name) for section in KINDS for item in data.get(section) or []]
        ner = data.get("ner", "auto")
        if not (isinstance(ner, str) or (isinstance(ner, dict) and all(isinstance(v, str) for v in ner.values()))):
            raise StudyKeyError(f"the study key {path.name}: ner must be auto, none, or a model per language (en: ..., no: ...)")
        return cls(
            entries=entries,
            keep=frozenset(str(word).casefold() for word in data.get("keep") or []),
            region=str(data.get("region", "NO")).upper(),
            ner={str(k): v for k, v in ner.items()} if isinstance(ner, dict) else ner,
            sha256=hashlib.sha256(raw).hexdigest(),
        )

    def find(self, text: str) -> list[Finding]:
        """Every mention of a listed name in `text` (overlaps left for the caller)."""
        return [finding for entry in self.entries for finding in _mentions(entry, text, "study-key")]


def find_known(text: str, known: Iterable[tuple[str, str]]) -> list[Finding]:
    """Every mention in `text` of the names (kind, value) the study has already found in
    some transcript, in any casing ("kari nordmann", "KARI NORDMANN", "tom"); a part of
    a name alone, or a name that is also a common word ("Will", "Hope"), only capitalised
    or in capitals."""
    return [finding for kind, value in known for finding in _mentions(KeyEntry(value, kind), text, "study-name", words_strict=True)]


def common_word(word: str, languages: Iterable[str] = ("en", "no")) -> bool:
    """`word` is a common word in one of `languages` (wordfreq's Zipf frequency of
    COMMON_ZIPF or more): in lower case it is more likely the word than a name."""
    from wordfreq import zipf_frequency

    return any(zipf_frequency(word.lower(), WORDFREQ_LANG[language]) >= COMMON_ZIPF for language in languages)


def _mentions(entry: KeyEntry, text: str, detector: str, words_strict: bool = False) -> list[Finding]:
    found = []
    for variant, strict_case in _variants(entry):
        strict_case = strict_case or (words_strict and " " not in variant.strip() and common_word(variant))
        for match in _pattern(variant, strict_case).finditer(text):
            end = match.end("name") if (match.group("ending") or "") in GENITIVE else match.end()
            found.append(Finding(match.start(), end, text[match.start() : end], entry.kind, detector, 1.0 if not strict_case else 0.9, entry.name))
        if entry.kind != "PERSON" and len(variant) >= MIN_COMPOUND_NAME:
            for match in _pattern(variant, True, _COMPOUND_REST).finditer(text):
                end = match.end("name")
                found.append(Finding(match.start(), end, text[match.start() : end], entry.kind, f"{detector}-compound", 0.8, entry.name))
    return found


def _entry(item: object, kind: str, file: str) -> KeyEntry:
    if isinstance(item, str) and item.strip():
        return KeyEntry(item.strip(), kind)
    if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].strip():
        also = item.get("also") or []
        if isinstance(also, str):
            also = [also]
        pseudonym = item.get("pseudonym")
        return KeyEntry(item["name"].strip(), kind, str(pseudonym) if pseudonym else None, tuple(str(a) for a in also))
    raise StudyKeyError(f"the study key {file}: every entry needs a name (got {type(item).__name__})")


def _variants(entry: KeyEntry) -> list[tuple[str, bool]]:
    """The entry's spellings, longest first, each with whether it must be capitalized or
    in capitals (a name part alone that is also a common word: "Will", "Mark")."""
    variants = {v: False for v in (entry.name, *entry.also)}
    if entry.kind == "PERSON":
        for name in list(variants):
            for part in re.split(r"[\s-]+", name):
                if len(part) >= MIN_PART and part not in variants:
                    variants[part] = common_word(part)
    return sorted(variants.items(), key=lambda v: -len(v[0]))


def _pattern(variant: str, strict_case: bool, rest: str | None = None) -> re.Pattern[str]:
    """`variant` as a whole word with an optional inflection, or followed by `rest` (the
    rest of a compound word)."""
    def joined(text: str) -> str:
        return r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", text.strip()))

    words = joined(variant)
    name = f"(?P<name>{words}|{joined(variant.upper())})" if strict_case else f"(?P<name>(?i:{words}))"
    if rest is not None:
        return re.compile(rf"(?<!\w){name}(?P<ending>{rest})(?!\w)")
    endings = "|".join(re.escape(e) for e in sorted(GENITIVE + DEFINITE, key=len, reverse=True))
    return re.compile(rf"(?<!\w){name}(?P<ending>(?i:{endings}))?(?!\w)")
