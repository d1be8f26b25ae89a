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
when written with a capital letter. Organisations and places also match as the first part
of a Norwegian compound ("Haukelandsykehuset" -> "[ORG 1]sykehuset") when capitalized.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import StudyKeyError
from .identifiers import Finding

KINDS = {"people": "PERSON", "organisations": "ORG", "organizations": "ORG", "places": "PLACE"}
# Endings kept after the pseudonym (the genitive), and endings replaced with the name.
GENITIVE = ("'s", "’s", "'", "s")
DEFINITE = ("en", "et", "a", "ene", "ens", "ets")
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
        found = []
        for entry in self.entries:
            for variant, strict_case in _variants(entry):
                for match in _pattern(variant, strict_case).finditer(text):
                    end = match.end("name") if (match.group("ending") or "") in GENITIVE else match.end()
                    found.append(Finding(match.start(), end, text[match.start() : end], entry.kind, "study-key", 1.0 if not strict_case else 0.9, entry.name))
                if entry.kind != "PERSON" and len(variant) >= MIN_COMPOUND_NAME:
                    for match in _pattern(variant, True, _COMPOUND_REST).finditer(text):
                        end = match.end("name")
                        found.append(Finding(match.start(), end, text[match.start() : end], entry.kind, "study-key-compound", 0.8, entry.name))
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
    """The entry's spellings, longest first, each with whether it must be capitalized
    (a name part alone: "Rose", "Mark" are also words)."""
    variants = {v: False for v in (entry.name, *entry.also)}
    if entry.kind == "PERSON":
        for name in list(variants):
            for part in re.split(r"[\s-]+", name):
                if len(part) >= MIN_PART and part not in variants:
                    variants[part] = True
    return sorted(variants.items(), key=lambda v: -len(v[0]))


def _pattern(variant: str, strict_case: bool, rest: str | None = None) -> re.Pattern[str]:
    """`variant` as a whole word with an optional inflection, or followed by `rest` (the
    rest of a compound word)."""
    words = r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", variant.strip()))
    name = f"(?P<name>{words})" if strict_case else f"(?P<name>(?i:{words}))"
    if rest is not None:
        return re.compile(rf"(?<!\w){name}(?P<ending>{rest})(?!\w)")
    endings = "|".join(re.escape(e) for e in sorted(GENITIVE + DEFINITE, key=len, reverse=True))
    return re.compile(rf"(?<!\w){name}(?P<ending>(?i:{endings}))?(?!\w)")
