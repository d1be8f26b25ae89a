"""The study's pseudonym key: each real value, its pseudonym, and where it occurred.

One key per study, so the same person is the same pseudonym in every interview:
`[PERSON 1]`, `[ORG 2]`, `[PLACE 1]` numbered in order of first appearance across the
study (or the pseudonym the study key chose), and `[PHONE]`, `[ID-NUMBER]`, `[EMAIL]`,
`[URL]`, `[ADDRESS]` for identifiers nobody needs to tell apart. It is the one file that
links pseudonyms back to people, so it is written owner-only (0600) in the study's
restricted folder, never beside the hand-off, and updated under a lock: two runs of the
same study never hand out one number twice.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import TranscriptFileError
from ..utils.files import atomic_write
from ..utils.locks import recording_lock
from ._identifiers import Finding
from .study_key import GENITIVE, KeyEntry

NUMBERED = {"PERSON": "PERSON", "ORG": "ORG", "PLACE": "PLACE"}
UNNUMBERED = ("PHONE", "ID-NUMBER", "EMAIL", "URL", "ADDRESS")
KEY_FORMAT = 1


@dataclass
class Occurrence:
    transcript: str  # the transcript's stem
    start: float  # seconds into the recording
    detector: str


@dataclass
class KeyRecord:
    kind: str
    value: str
    pseudonym: str
    occurrences: list[Occurrence] = field(default_factory=list)


def canonical(value: str) -> str:
    """The form two mentions of one value share: case, spacing, surrounding punctuation
    and an English genitive do not make a different person."""
    value = re.sub(r"\s+", " ", value.strip(" \t\n.,;:!?\"()[]")).casefold()
    return re.sub(r"(?:'s|’s|')$", "", value)


class PseudonymKey:
    def __init__(self, path: Path, records: list[KeyRecord] | None = None, names: dict[str, str] | None = None):
        self.path = path
        self.records = records or []
        self.names = names or {}  # each raw transcript's name -> its pseudonymized name
        self._index = {(r.kind, canonical(r.value)): r for r in self.records}

    @classmethod
    @contextmanager
    def open(cls, path: str | Path) -> Iterator[PseudonymKey]:
        """The key at `path` (empty if there is none yet), held under the study's lock and
        saved owner-only when the block ends without an error."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with recording_lock(path.with_name(f".{path.name}.lock")):
            key = cls(path, *_read(path))
            yield key
            key.save()

    def save(self) -> None:
        data = {"format": KEY_FORMAT, "transcripts": dict(sorted(self.names.items())), "records": [asdict(r) for r in self.records]}
        atomic_write(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")  # owner-only from the start

    def pseudonym(self, finding: Finding, entry: KeyEntry | None = None) -> KeyRecord:
        """The record of what `finding` stands for, made on its first appearance."""
        kind = finding.kind
        value = entry.name if entry is not None else without_genitive(finding.stands_for)
        record = self._index.get((kind, canonical(value))) or self._part_of_known_person(kind, value)
        if record is None:
            if entry is not None and entry.pseudonym:
                pseudonym = entry.pseudonym
            elif kind in NUMBERED:
                pseudonym = f"[{NUMBERED[kind]} {sum(r.kind == kind and r.pseudonym.startswith('[') for r in self.records) + 1}]"
            else:
                pseudonym = f"[{kind}]"
            record = KeyRecord(kind, value, pseudonym)
            self.records.append(record)
            self._index[(kind, canonical(value))] = record
        elif entry is not None and entry.pseudonym:
            record.pseudonym = entry.pseudonym  # the researcher renamed it in the study key
        return record

    def _part_of_known_person(self, kind: str, value: str) -> KeyRecord | None:
        """A lone given or family name found by NER is the person already known by that
        name, when exactly one is."""
        if kind != "PERSON" or " " in value.strip():
            return None
        part = canonical(value)
        matches = [r for r in self.records if r.kind == "PERSON" and part in canonical(r.value).split()]
        return matches[0] if len(matches) == 1 else None

    def known(self) -> list[tuple[str, str]]:
        """(kind, value) of each person, organisation and place replaced somewhere in the
        study (a value the review only ever rejected, or only NER's reading of a
        case-normalised copy found, is not one)."""
        return sorted({(r.kind, r.value) for r in self.records if r.kind in NUMBERED and any(o.detector != "ner-cased" for o in r.occurrences)})

    def forget(self, transcript: str) -> None:
        """Drop the occurrences in `transcript` (it is being pseudonymized again); the
        records stay, and with them every pseudonym handed out."""
        for record in self.records:
            record.occurrences = [o for o in record.occurrences if o.transcript != transcript]


def without_genitive(value: str) -> str:
    for ending in GENITIVE[:2]:
        if value.endswith(ending):
            return value[: -len(ending)]
    return value


def _read(path: Path) -> tuple[list[KeyRecord], dict[str, str]]:
    if not path.exists():
        return [], {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        records = [KeyRecord(**{**r, "occurrences": [Occurrence(**o) for o in r["occurrences"]]}) for r in data["records"]]
        return records, dict(data["transcripts"])
    except (OSError, ValueError, KeyError, TypeError):
        raise TranscriptFileError(f"the pseudonym key {path.name} cannot be read; restore it from a backup (it links every pseudonym of the study)") from None
