"""A transcript with its direct identifiers replaced by the study's pseudonyms.

The text is searched a speaker's run at a time (consecutive segments of one speaker, so a
phone number read out across a pause is still one number), in the language it was said
in. Each finding is replaced through `Segment.replace_span`, so the words and their
timings stay in step with the text: the pseudonym takes the time of the words it
replaces. Speaker labels, the recording's file name, model paths and the study's terms in
the settings are covered too; the enrolled voice a speaker matched is dropped.

Every replacement is listed (`Replacement`) for the review file: the researcher accepts
or rejects each, or adds what the detectors missed; applying the same review to the same
transcript with the same key gives the same result.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

from ..transcript import Segment, StageRecord, Transcript
from ._identifiers import Finding, resolve
from .pseudonym_key import NUMBERED, Occurrence, PseudonymKey, without_genitive
from .study_key import StudyKey, find_known

Find = Callable[[str, "str | None"], list[Finding]]
CONTEXT_CHARS = 40


@dataclass
class Replacement:
    """One replacement, as the review file lists it (real values: restricted)."""

    time: float  # seconds: where it was said
    speaker: str
    kind: str
    original: str
    pseudonym: str
    detector: str
    confidence: float
    context: str  # the text around it, the original in «»
    decision: str = "accept"  # accept, reject, or add (the researcher added it)

    @property
    def identity(self) -> tuple[float, str]:
        """What a review decision refers to: where it was said and what was said there."""
        return round(self.time, 2), self.original.casefold()


@dataclass
class Decisions:
    """A reviewed file's decisions: replacements rejected, and values added."""

    rejected: set[tuple[float, str]] = field(default_factory=set)
    added: list[tuple[str, str]] = field(default_factory=list)  # (kind, value): replaced wherever said

    def fingerprint(self) -> str:
        """The same decisions give the same fingerprint (a rerun compares them)."""
        return hashlib.sha256(repr((sorted(self.rejected), sorted(self.added))).encode()).hexdigest()

    def find_added(self, text: str) -> list[Finding]:
        found = []
        for kind, value in self.added:
            for match in re.finditer(rf"(?<!\w){re.escape(value)}(?!\w)", text, re.IGNORECASE):
                found.append(Finding(match.start(), match.end(), match.group(), kind, "review", 1.0, value))
        return found


@dataclass
class _Run:
    """Consecutive segments of one speaker, as one text."""

    segments: list[Segment]
    text: str
    offsets: list[int]  # where each segment's text starts in `text`
    language: str | None

    @classmethod
    def of(cls, segments: list[Segment], language: str | None) -> _Run:
        offsets, position = [], 0
        for segment in segments:
            offsets.append(position)
            position += len(segment.text) + 1
        return cls(segments, " ".join(s.text for s in segments), offsets, segments[0].language or language)

    def pieces(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """The span `start:end` of the run's text as (segment, start, end) spans."""
        spans = []
        for index, (segment, at) in enumerate(zip(self.segments, self.offsets)):
            a, b = max(start, at), min(end, at + len(segment.text))
            if a < b:
                spans.append((index, a - at, b - at))
        return spans

    def time_of(self, start: int) -> float:
        index, at, _ = self.pieces(start, start + 1)[0]
        segment = self.segments[index]
        position = 0
        for word in segment.words:
            if at < position + len(word.text) + 1:
                return word.start
            position += len(word.text) + 1
        return segment.start


def pseudonymize(
    transcript: Transcript,
    find: Find,
    key: PseudonymKey,
    study_key: StudyKey,
    name: str,
    decisions: Decisions = Decisions(),
) -> tuple[Transcript, list[Replacement]]:
    """A pseudonymized copy of `transcript` (named `name` in the key), and every
    replacement made or rejected. The key is updated: new pseudonyms, and where each
    value occurred in this transcript."""
    result = Transcript.from_dict(transcript.to_dict())
    entries = {e.name: e for e in study_key.entries}
    labels = {s.id: s.label for s in result.speakers}
    key.forget(name)
    replacements: list[Replacement] = []

    def replace(finding: Finding, time: float, speaker: str, context: str) -> str | None:
        """The pseudonym for `finding`, or None where the review rejected it."""
        record = key.pseudonym(finding, entries.get(finding.value))
        replacement = Replacement(round(time, 2), speaker, finding.kind, finding.text, record.pseudonym, finding.detector, finding.confidence, context)
        if replacement.identity in decisions.rejected:
            replacement.decision = "reject"
        elif finding.detector == "review":
            replacement.decision = "add"
        replacements.append(replacement)
        if replacement.decision == "reject":
            return None
        record.occurrences.append(Occurrence(name, round(time, 2), finding.detector))
        return record.pseudonym

    runs = _runs(result)
    found = [find(run.text, run.language) + decisions.find_added(run.text) for run in runs]
    # A name found anywhere in the study, this transcript included, is replaced wherever
    # it is said, in any casing (the detectors may have seen it capitalised only once).
    # NER's reading of the case-normalised copy is not trusted that far: its span may
    # run on into the next word.
    known = set(key.known()) | {
        (f.kind, without_genitive(f.stands_for))
        for run, findings in zip(runs, found) for f in findings
        if f.kind in NUMBERED and f.detector != "ner-cased" and (round(run.time_of(f.start), 2), f.text.casefold()) not in decisions.rejected
    }
    for run, findings in zip(runs, found):
        speaker = labels.get(run.segments[0].speaker, run.segments[0].speaker)
        findings = resolve(_known_besides(findings, run.text, known))
        # Pseudonyms handed out in order of appearance, the text edited from its end.
        chosen = [(f, replace(f, run.time_of(f.start), speaker, _context(run.text, f))) for f in findings]
        for finding, pseudonym in reversed(chosen):
            if pseudonym is None:
                continue
            for i, (index, start, end) in enumerate(run.pieces(finding.start, finding.end)):
                run.segments[index].replace_span(start, end, pseudonym if i == 0 else "")
    replacements.sort(key=lambda r: (r.time, r.original))

    def in_text(text: str, what: str) -> str:
        """`text` (a label, a file name) with what it names replaced."""
        spaced = as_words(text)
        # A label or a file name has no casing to go by: NER's reading of it capitalised
        # counts only for a name of two words or more ("kari nordmann", not "participant").
        found_here = [f for f in find(spaced, result.language) if f.detector != "ner-cased" or len(f.text.split()) > 1]
        found_here += decisions.find_added(spaced)
        for finding in reversed(resolve(_known_besides(found_here, spaced, known))):
            pseudonym = replace(finding, 0.0, what, f"«{finding.text}» in the {what}")
            if pseudonym is not None:
                text = text[: finding.start] + pseudonym + text[finding.end :]
        return text

    for speaker in result.speakers:
        speaker.label = in_text(speaker.label, "speaker label")
        speaker.voice = None  # an enrolled voice is named after its person
    source = PurePath(result.recording.source_name)
    result.recording.source_name = file_name(in_text(source.stem, "file name")) + source.suffix
    result.warnings = [in_text(w, "warnings") for w in result.warnings]
    settings = result.provenance.settings
    if settings.get("terms"):
        settings["terms"] = [f"[{len(settings['terms'])} terms]"]
    for model in result.provenance.models:
        if "/" in model.source or "\\" in model.source:
            model.source = PurePath(model.source).name  # a path can name its owner
    return result, replacements


def as_words(text: str) -> str:
    """A label or a file name with its separators as spaces ("kari_nordmann.m4a" ->
    "kari nordmann m4a"); of the same length, so spans found in it carry over."""
    return re.sub(r"[_.\-]", " ", text)


def file_name(text: str) -> str:
    """A pseudonymized name as a file name: `[PERSON 1]` -> `PERSON-1`."""
    return re.sub(r"\[([^\]]+)\]", lambda m: m.group(1).replace(" ", "-"), text)


def stage_record(input_sha256: str, settings: dict, replacements: list[Replacement]) -> StageRecord:
    counts: dict[str, int] = {}
    for r in replacements:
        if r.decision != "reject":
            counts[r.kind] = counts.get(r.kind, 0) + 1
    counts["rejected"] = sum(r.decision == "reject" for r in replacements)
    return StageRecord("pseudonymize", input_sha256, settings, dict(sorted(counts.items())))


def _known_besides(findings: list[Finding], text: str, known: set[tuple[str, str]]) -> list[Finding]:
    """`findings` with the mentions in `text` of the names the study knows: a mention
    fills where no detector found anything, and takes the place of NER's reading of the
    case-normalised copy (which may run on into the next word) or of a shorter finding
    inside it; where a detector found the same name, the detector keeps the credit."""

    def overlap(a: Finding, b: Finding) -> bool:
        return a.start < b.end and b.start < a.end

    mentions = resolve(find_known(text, known))
    kept = [
        f for f in findings
        if not any(overlap(f, m) and (f.detector == "ner-cased" or (m.start <= f.start and f.end <= m.end and m.end - m.start > f.end - f.start)) for m in mentions)
    ]
    return kept + [m for m in mentions if not any(overlap(f, m) for f in kept)]


def _runs(transcript: Transcript) -> list[_Run]:
    runs: list[list[Segment]] = []
    for segment in sorted(transcript.segments, key=lambda s: (s.start, s.end)):
        if not segment.text:
            continue
        if runs and runs[-1][-1].speaker == segment.speaker:
            runs[-1].append(segment)
        else:
            runs.append([segment])
    return [_Run.of(segments, transcript.language) for segments in runs]


def _context(text: str, finding: Finding) -> str:
    before = text[max(0, finding.start - CONTEXT_CHARS) : finding.start]
    after = text[finding.end : finding.end + CONTEXT_CHARS]
    return f"{before}«{finding.text}»{after}".strip()
