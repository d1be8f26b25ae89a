"""A study's folders, and the stages after transcription: pseudonymize, then hand off.

    transcripts/<study>/
      restricted/              owner-only (0700): never give this folder away
        raw/                   the transcripts as transcribed (real names), .json and .txt
        review/<name>.review.csv   every replacement, for the researcher to check
        pseudonym-key.json     real value -> pseudonym, where each occurred (0600)
        study-key.yaml         the study key the last run used (0600)
      handoff/                 what the coders get: pseudonymized transcripts only
        <pseudonymized name>.json, .docx, .txt, .maxqda.txt, .nvivo.txt, .srt, .vtt, .html
        <study>.qdpx           every transcript of the study, one REFI-QDA project

Each stage records what it made its output from (`StageRecord`: the SHA-256 of the raw
transcript, of the study key and of the review's decisions, and the NER models), so a
rerun pseudonymizes again only what changed, and re-exports without pseudonymizing.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import NameClashError, SettingsError, TranscriptFileError
from ..export.outputs import (
    output_paths,
    read_transcript,
    refresh_derived,
    write_transcript,
)
from ..export.writers import DEFAULT_FORMATS, parse_formats
from ..pseudonymize.pseudonym_key import PseudonymKey, canonical
from ..pseudonymize.replace import Find, as_words, file_name, pseudonymize, stage_record
from ..pseudonymize.review import read_review, render_review
from ..pseudonymize.study_key import StudyKey, find_known
from ..transcript import Transcript
from ..utils.files import atomic_write

HANDOFF_FORMATS = ("docx", "txt", "maxqda", "nvivo", "srt", "vtt", "html")
_STUDY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Bumped when pseudonymization changes what it finds or writes: transcripts pseudonymized
# by an older version are pseudonymized again.
PSEUDONYMIZER_VERSION = 1
REVIEW_SUFFIX = ".review.csv"


def run_formats(given: tuple[str, ...] | list[str] | str | None, pseudonymize: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The formats of a run's raw transcript and of its hand-off (none without
    pseudonymization). With pseudonymization the formats asked for are the hand-off's
    (by default all of them) and the raw transcript, restricted, gets its text, quality
    report and review page (to correct it); without, they are the raw transcript's (by default text and quality report).
    `given` None is the default; empty asks for the JSON alone (the study's REFI-QDA project
    is written with every hand-off)."""
    if pseudonymize:  # the raw transcript's review page too: the researcher corrects it there, real names and all
        return parse_formats((*DEFAULT_FORMATS, "html")), parse_formats(HANDOFF_FORMATS if given is None else given)
    return parse_formats(DEFAULT_FORMATS if given is None else given), ()


@dataclass(frozen=True)
class Study:
    name: str
    root: Path

    @classmethod
    def at(cls, out_root: str | Path, name: str) -> Study:
        if not _STUDY_NAME.fullmatch(name):
            raise SettingsError(f"`study` '{name}' is not a usable study name (letters, digits, '.', '_', '-'; at most 64)")
        return cls(name, Path(out_root) / name)

    @classmethod
    def containing(cls, path: Path) -> Study:
        """The study a file inside its folders belongs to (or whose folder `path` is)."""
        path = Path(path).resolve()
        for folder in (path, *path.parents):
            if (folder / "restricted").is_dir() and _STUDY_NAME.fullmatch(folder.name):
                return cls(folder.name, folder)
        raise SettingsError(f"{Path(path).name} is not inside a study's folders (transcripts/<study>/...)")

    @property
    def restricted(self) -> Path:
        return self.root / "restricted"

    @property
    def raw(self) -> Path:
        return self.restricted / "raw"

    @property
    def reviews(self) -> Path:
        return self.restricted / "review"

    @property
    def key_path(self) -> Path:
        return self.restricted / "pseudonym-key.json"

    @property
    def study_key_path(self) -> Path:
        return self.restricted / "study-key.yaml"

    def review_path(self, stem: str) -> Path:
        """The review file of the raw transcript `stem`."""
        return self.reviews / f"{stem}{REVIEW_SUFFIX}"

    def reviewed(self, review: Path) -> Path:
        """The raw transcript a review file reviews."""
        return self.raw / f"{review.name.removesuffix(REVIEW_SUFFIX)}.json"

    @property
    def handoff(self) -> Path:
        return self.root / "handoff"

    def prepare(self) -> None:
        """Make the folders; the restricted ones owner-only (also when they existed)."""
        for folder in (self.restricted, self.raw, self.reviews):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(folder, 0o700)
        self.handoff.mkdir(parents=True, exist_ok=True)

    def study_key(self, given: Path | None) -> StudyKey:
        """The study key given now (kept as the study's copy), else the study's copy, else
        none (patterns and NER only)."""
        if given is not None:
            key = StudyKey.load(given)
            if not self.study_key_path.exists() or self.study_key_path.read_bytes() != given.read_bytes():
                atomic_write(self.study_key_path, given.read_bytes())
            return key
        if self.study_key_path.exists():
            return StudyKey.load(self.study_key_path)
        return StudyKey()

    def admit(self, raw_json: Path) -> Path:
        """A transcript's place in the study's raw folder (copied there if it is elsewhere)."""
        target = self.raw / raw_json.name
        if raw_json.resolve() == target.resolve():
            return target
        if target.exists() and target.read_bytes() != raw_json.read_bytes():
            raise NameClashError(f"the study {self.name} already holds a different {raw_json.name}; rename one of them")
        atomic_write(target, raw_json.read_bytes())
        return target


@dataclass
class HandoffOutcome:
    status: str  # "pseudonymized" or "up to date"
    name: str  # the transcript's name in the hand-off folder
    transcript: Transcript
    new_names: bool = False  # the study knows names it did not before: other transcripts may mention them
    redone: list[str] = field(default_factory=list)  # other hand-off transcripts pseudonymized again for them


def hand_off(
    study: Study,
    raw_json: Path,
    study_key: StudyKey,
    detector: Callable[[], Find],
    ner: dict[str, str | None],
    formats: tuple[str, ...] = HANDOFF_FORMATS,
    project: bool = True,
) -> HandoffOutcome:
    """Pseudonymize the raw transcript at `raw_json` into the study's hand-off folder (or
    find it done with the same input, key, review and models), then write its formats
    and (`project`) the study's REFI-QDA project. `detector` is called only when there is
    work."""
    raw = raw_json.read_bytes()
    transcript = read_transcript(raw_json)
    if transcript is None:
        raise TranscriptFileError(f"{raw_json.name} does not exist")
    stem = raw_json.stem
    review_path = study.review_path(stem)
    decisions = read_review(review_path)
    settings = {"study_key": study_key.sha256, "review": decisions.fingerprint(), "ner": ner, "version": PSEUDONYMIZER_VERSION}
    input_sha256 = hashlib.sha256(raw).hexdigest()
    with PseudonymKey.open(study.key_path) as key:
        known = key.known()
        name = key.names.get(stem)
        existing = read_transcript(study.handoff / f"{name}.json") if name else None
        record = existing.stage("pseudonymize") if existing else None
        if record is not None and record.input_sha256 == input_sha256 and record.settings == settings | {"names": _names_said(transcript, known)}:
            refresh_derived(existing, _paths(study, name, formats))
            if project:
                write_project(study)
            return HandoffOutcome("up to date", name, existing)
        result, replacements = pseudonymize(transcript, detector(), key, study_key, stem, decisions)
        settings["names"] = _names_said(transcript, key.known())
        result.stages = [r for r in result.stages if r.stage != "pseudonymize"] + [stage_record(input_sha256, settings, replacements)]
        new_name = _unique(file_name(Path(result.recording.source_name).stem) or "transcript", stem, key.names)
        atomic_write(review_path, render_review(replacements))
        paths = _paths(study, new_name, formats)
        write_transcript(result, paths)
        if name and name != new_name:  # the pseudonymized name changed (a new key entry)
            for old in study.handoff.glob(f"{glob.escape(name)}.*"):
                old.unlink()
        key.names[stem] = new_name
        news = key.known() != known
    if project:
        write_project(study)
    return HandoffOutcome("pseudonymized", new_name, result, news)


def _names_said(transcript: Transcript, known: list[tuple[str, str]]) -> str:
    """A fingerprint of the names found elsewhere in the study that `transcript` mentions
    (in any casing): when it changes, the transcript is pseudonymized again."""
    text = "\n".join([*(s.text for s in transcript.segments), *(s.label for s in transcript.speakers), transcript.recording.source_name])
    said = sorted({(f.kind, canonical(f.stands_for)) for f in find_known(as_words(text), known)})
    return hashlib.sha256(repr(said).encode()).hexdigest()


class HandOff:
    """Pseudonymize a study's raw transcripts into its hand-off folder, with the study key
    given (or the study's copy) and the detectors loaded once, on first need. `notes`
    says what the user should know before trusting the result (no key, NER off)."""

    def __init__(self, study: Study, key: Path | None, formats: tuple[str, ...] = HANDOFF_FORMATS):
        from ..models.ner_models import ner_notice, resolve_ner

        self.study, self.formats = study, formats
        self.key = study.study_key(key)
        self.ner = resolve_ner(self.key.ner)
        self.notes = [note for note in (ner_notice(self.ner),) if note]
        if key is None and not self.key.entries:
            self.notes.insert(0, f"the study {study.name} has no study key: only NER and identifiers found by their form are replaced (give one: `key`)")
        self._find: Find | None = None

    def find(self) -> Find:
        if self._find is None:
            from ..pseudonymize.detection import Detector

            self._find = Detector(self.key, self.ner).find
        return self._find

    def __call__(self, raw_json: Path, formats: tuple[str, ...] | None = None) -> HandoffOutcome:
        """Pseudonymize `raw_json` and write its hand-off `formats` (by default this
        HandOff's; ("json",) pseudonymizes only, `export_handoff` writes the rest)."""
        outcome = hand_off(self.study, raw_json, self.key, self.find, self.ner, self.formats if formats is None else formats)
        if outcome.new_names:
            outcome.redone = [name for name in self.recheck() if name != outcome.name]
        return outcome

    def recheck(self) -> list[str]:
        """Pseudonymize again every transcript of the study that mentions a name the study
        has come to know since (in any casing), until no new name turns up; their names in
        the hand-off. The study's project is written once, at the end."""
        redone, again = [], True
        while again:
            with PseudonymKey.open(self.study.key_path) as key:
                handed_off = sorted(key.names)
            again = False
            for stem in handed_off:
                raw_json = self.study.raw / f"{stem}.json"
                if raw_json.exists():
                    outcome = hand_off(self.study, raw_json, self.key, self.find, self.ner, self.formats, project=False)
                    redone += [outcome.name] if outcome.status == "pseudonymized" else []
                    again = again or outcome.new_names
        write_project(self.study)
        return redone


def export_handoff(study: Study, name: str, formats: tuple[str, ...]) -> list[str]:
    """Write `formats` of the hand-off transcript `name` where missing or stale, and the
    study's project."""
    transcript = read_transcript(study.handoff / f"{name}.json")
    if transcript is None:
        raise TranscriptFileError(f"the study {study.name} has no hand-off transcript {name}")
    return refresh_derived(transcript, _paths(study, name, formats)) + write_project(study)


def write_project(study: Study) -> list[str]:
    """The study's REFI-QDA project from every transcript in its hand-off folder, written
    when it differs; returns its name if it was written."""
    from ..export.qdpx import render_qdpx

    transcripts = [t for path in sorted(study.handoff.glob("*.json")) if (t := read_transcript(path)) is not None]
    if not transcripts:
        return []
    path = study.handoff / f"{study.name}.qdpx"
    content = render_qdpx(study.name, transcripts)
    if path.exists() and path.read_bytes() == content:
        return []
    atomic_write(path, content)
    return [path.name]


def export_study(study: Study, formats: tuple[str, ...]) -> list[str]:
    """Write `formats` of every hand-off transcript again from its JSON, and the project."""
    written = []
    for path in sorted(study.handoff.glob("*.json")):
        transcript = read_transcript(path)
        written += refresh_derived(transcript, _paths(study, path.stem, formats))
    return written + write_project(study)


def _paths(study: Study, name: str, formats: tuple[str, ...]) -> dict[str, Path]:
    return output_paths(study.handoff, Path(f"{name}.json"), tuple(f for f in formats if f != "qdpx"))


def _unique(name: str, stem: str, names: dict[str, str]) -> str:
    """`name`, or `name-2`, ... where another transcript of the study has it already."""
    taken = {v for k, v in names.items() if k != stem}
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    return candidate
