"""The transcript data model every stage reads and writes.

Plain dataclasses, serialised to JSON with an explicit `schema_version` so later stages
(verbatim conventions, pseudonymization, export to coding tools) and later releases can
read transcripts written today. Times are seconds from the start of the recording.
Transcripts of an older schema are migrated when read (`MIGRATIONS`), never rejected.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 5


@dataclass
class Word:
    start: float
    end: float
    text: str
    probability: float


@dataclass
class Segment:
    """One speaker-homogeneous stretch of speech: the unit whisper decoded."""

    start: float
    end: float
    speaker: str
    text: str
    words: list[Word] = field(default_factory=list)
    language: str | None = None
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    temperature: float | None = None
    overlap: bool = False  # most of it was said while another speaker was talking
    turn_start: bool = False  # a new turn starts here, though the speaker is the one before (a researcher's split)

    def replace_span(self, start: int, end: int, new: str) -> None:
        """Replace characters `start:end` of `text` with `new`, and the words they fall in
        with one word saying what the text now says there (timed from the first to the
        last of them; none, if that is nothing): the one way a stage edits what was said,
        so that `text` and `words` never disagree."""
        if not self.words:
            self.text = self.text[:start] + new + self.text[end:]
            return
        offsets, position = [], 0
        for word in self.words:
            offsets.append(position)
            position += len(word.text) + 1
        covered = [i for i, (word, at) in enumerate(zip(self.words, offsets)) if at < end and start < at + len(word.text)]
        if not covered:
            raise ValueError(f"characters {start}-{end} are not within a word of the segment")
        first, last = covered[0], covered[-1]
        head = self.words[first].text[: max(0, start - offsets[first])]
        tail = self.words[last].text[end - offsets[last] :] if end - offsets[last] < len(self.words[last].text) else ""
        merged = Word(
            self.words[first].start,
            self.words[last].end,
            head + new + tail,
            min(w.probability for w in self.words[first : last + 1]),
        )
        self.set_words(self.words[:first] + ([merged] if merged.text else []) + self.words[last + 1 :])

    def set_words(self, words: list[Word]) -> None:
        """The segment's words, and its text made of them."""
        self.words = words
        self.text = " ".join(w.text for w in words)


@dataclass
class Overlap:
    """Where two or more speakers talk at once (from the diarization)."""

    start: float
    end: float
    speakers: list[str]


@dataclass
class GuardEvent:
    """Where a hallucination guard removed or cut decoded text (the text is not kept)."""

    guard: str  # "no-speech", "unreliable" or "repetition-loop"
    start: float
    end: float
    speaker: str


@dataclass
class Mark:
    """A stretch of speech the transcript has no words for, written as `[inaudible]`.

    Every stretch of speech ends as words or a mark. `reason`: "no-speech" or "unreliable"
    (a hallucination guard removed what Whisper decoded there), "repetition-loop" (what
    followed a decoding loop that was cut out), "no-words" (decoded, also alone, to nothing)."""

    start: float
    end: float
    speaker: str
    reason: str


@dataclass
class SpeechTurn:
    """Who spoke when, as the diarization says (turns of one channel never overlap)."""

    start: float
    end: float
    speaker: str
    channel: int | None = None  # the channel it was heard on (a stereo call split by channel)


@dataclass
class Silence:
    """Quiet audio of at least the short pause (speech_activity.silences): of the mix
    (`channel` None), or of one channel of a call split by channel."""

    start: float
    end: float
    channel: int | None = None


@dataclass
class Speaker:
    id: str
    label: str
    channel: int | None = None  # set when the speaker was taken from one stereo channel
    role: str | None = None  # "interviewer", "participant", ...
    role_source: str | None = None  # "channel-map", "enrolled-voice" or "question-heuristic"
    role_confidence: float | None = None  # 1 for the channel map, cosine similarity for a voice
    voice: str | None = None  # the enrolled voice this speaker matched


@dataclass
class Recording:
    source_name: str  # file name only: full paths can reveal participant identities
    sha256: str
    duration: float
    channels: int
    sample_rate: int
    codec: str | None = None
    container: str | None = None


@dataclass
class ModelInfo:
    role: str  # "asr", "diarization", ...
    name: str
    source: str  # where it was loaded from: "store", "whisper-cache", "hf-cache", a path
    sha256: str | None = None


@dataclass
class Provenance:
    package_version: str
    created: str  # ISO 8601, UTC
    models: list[ModelInfo] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    device: str = "cpu"


@dataclass
class SpeakerCheck:
    """A suspected speaker-change error (see quality/report.py for the rules)."""

    rule: str  # "short-turn" or "crosses-turn"
    start: float
    end: float
    speaker: str  # id of the speaker whose turn or words are in doubt
    other: str  # id of the speaker around whose turns, or into whose turn, it falls


@dataclass
class ListenSpan:
    """A stretch of the recording a researcher should listen to again, and why."""

    start: float
    end: float
    reason: str


@dataclass
class QualityReport:
    """How much of the speech the transcript covers and where it is doubtful (quality/report.py).

    Numbers, times, speaker ids and reasons only: never transcript text."""

    speech_seconds: float
    transcribed_seconds: float
    transcribed_share: float | None  # None when there was no speech
    words: int
    low_confidence_words: int
    low_confidence_share: float | None  # None when there were no words
    low_confidence_below: float  # the word-probability threshold used
    guards: dict[str, int]  # guards fired, by kind
    speaker_checks: list[SpeakerCheck] = field(default_factory=list)
    role_confidence: float | None = None  # the lowest of the speakers' role confidences
    role_source: str | None = None  # how that role was decided
    listen_again: list[ListenSpan] = field(default_factory=list)
    marks: dict[str, int] = field(default_factory=dict)  # `[inaudible]` marks, by reason
    # Speech with neither words nor a mark, in stretches of at least
    # coverage.UNACCOUNTED_MIN_S: 0 for a transcript as made; None where the transcript
    # does not know its silences (made before schema 4).
    unmarked_speech_seconds: float | None = None
    # The number of speakers, where diarization estimated it (not given, not one per
    # channel), and why that number may be wrong (pyannote_diarizer.count_doubt).
    speakers_estimated: int | None = None
    speaker_count_doubt: str | None = None
    # Words the researcher changed on the review page per 100 words (None: not corrected).
    corrected_per_100_words: float | None = None
    # The interview guide's questions no turn was found to ask (None: no guide given).
    guide_not_found: list[str] | None = None
    # The guide's questions found only by matches of low confidence: asked there, or
    # skipped and matched to a follow-up (None: no guide given).
    guide_to_check: list[str] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QualityReport:
        return cls(**{
            **data,
            "speaker_checks": [SpeakerCheck(**c) for c in data.get("speaker_checks", [])],
            "listen_again": [ListenSpan(**s) for s in data.get("listen_again", [])],
        })


@dataclass
class StageRecord:
    """What a stage after transcription made this transcript from, so that a rerun redoes
    only what changed: the SHA-256 of its input (the transcript it read) and of anything
    else it depends on (the study key), and its settings."""

    stage: str  # "pseudonymize"
    input_sha256: str
    settings: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # what it did, in numbers (never text)


@dataclass
class Correction:
    """One corrections file from the review page, applied (`transcribe corrections apply`,
    or again after a later transcription): when, and how much it changed, in numbers."""

    applied: str  # ISO 8601, UTC
    file_sha256: str  # of the corrections file (kept in the transcript's corrections/ folder)
    saved: str  # when the review page saved it
    edits: int
    applied_edits: int  # the others found no words to change (a transcript made again since)
    words_before: int  # the transcript's words before it
    words_changed: int  # words replaced, removed, given to another speaker or marked


@dataclass
class GuideQuestion:
    code: str  # a short name: the code in the coding tools
    question: str


@dataclass
class GuideMatch:
    """An interviewer's turn that asks a guide question, and the answer to it: every turn
    from there up to the next turn that asks one (`end`)."""

    question: int  # index into GuideCoding.questions
    start: float  # the asking turn's start
    asked_end: float  # the asking turn's end
    end: float  # the answer's end
    score: float  # how alike the turn and the question are (cosine, 0-1)
    confident: bool  # False: for the researcher to check


@dataclass
class GuideCoding:
    """The transcript coded by the interview guide (`--guide`): a suggestion the
    researcher checks and can correct."""

    source: str  # the guide's file name
    sha256: str  # of the guide file
    questions: list[GuideQuestion]
    matches: list[GuideMatch]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GuideCoding:
        return cls(data["source"], data["sha256"], [GuideQuestion(**q) for q in data["questions"]],
                   [GuideMatch(**m) for m in data["matches"]])


@dataclass
class Transcript:
    recording: Recording
    language: str | None
    speakers: list[Speaker]
    segments: list[Segment]
    provenance: Provenance
    warnings: list[str] = field(default_factory=list)
    guards: list[GuardEvent] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    speech: list[SpeechTurn] = field(default_factory=list)
    silences: list[Silence] | None = None  # None: not measured (transcripts before schema 4)
    quality: QualityReport | None = None  # absent from transcripts written before it existed
    stages: list[StageRecord] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    guide: GuideCoding | None = None  # coded by the interview guide, where one was given
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        version = data.get("schema_version")
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise ValueError(f"written by a newer version of transcribe (schema {version}, this one reads {SCHEMA_VERSION}): update transcribe")
        if version not in MIGRATIONS and version != SCHEMA_VERSION:
            raise ValueError(f"not a transcript (schema version {version!r})")
        while version != SCHEMA_VERSION:
            data, version = MIGRATIONS[version](data), version + 1
        prov = dict(data["provenance"])
        prov["models"] = [ModelInfo(**m) for m in prov.get("models", [])]
        return cls(
            recording=Recording(**data["recording"]),
            language=data.get("language"),
            speakers=[Speaker(**s) for s in data["speakers"]],
            segments=[
                Segment(**{**s, "words": [Word(**w) for w in s.get("words", [])]})
                for s in data["segments"]
            ],
            provenance=Provenance(**prov),
            warnings=list(data.get("warnings", [])),
            guards=[GuardEvent(**g) for g in data.get("guards", [])],
            overlaps=[Overlap(**o) for o in data.get("overlaps", [])],
            marks=[Mark(**m) for m in data.get("marks", [])],
            speech=[SpeechTurn(**t) for t in data.get("speech", [])],
            silences=None if data.get("silences") is None else [Silence(**q) for q in data["silences"]],
            quality=QualityReport.from_dict(data["quality"]) if data.get("quality") else None,
            stages=[StageRecord(**r) for r in data.get("stages", [])],
            corrections=[Correction(**c) for c in data.get("corrections", [])],
            guide=GuideCoding.from_dict(data["guide"]) if data.get("guide") else None,
            schema_version=version,
        )

    def stage(self, name: str) -> StageRecord | None:
        return next((r for r in self.stages if r.stage == name), None)

    def fingerprint(self) -> str:
        """The SHA-256 of what the review page shows: each segment's speaker and words with
        their starts (a corrections file is tied to it)."""
        shown = [[s.speaker, [[w.text, round(w.start, 2)] for w in s.words]] for s in self.segments]
        return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 2 added the records of the stages after transcription (none had run)."""
    return {**data, "stages": [], "schema_version": 2}


# Each older schema version's migration to the next one.
def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 3 records settings as typed values, not as the command line's strings:
    "en,no" became ["en", "no"], "left=interviewer" {"left": "interviewer"}, and a
    `roles` of "none" an empty list."""
    settings = dict(data["provenance"].get("settings", {}))

    def listed(key: str) -> None:
        if isinstance(settings.get(key), str):
            settings[key] = [part.strip() for part in settings[key].split(",") if part.strip()]

    listed("languages")
    if isinstance(settings.get("roles"), str):
        settings["roles"] = [] if settings["roles"].strip().lower() == "none" else settings["roles"]
        listed("roles")
    if isinstance(settings.get("voices"), str) and settings["voices"].strip().lower() not in ("auto", "none"):
        listed("voices")
    if isinstance(settings.get("channel_map"), str):
        sides = {"l": "left", "0": "left", "r": "right", "1": "right"}
        pairs = (item.partition("=") for item in settings["channel_map"].split(",") if "=" in item)
        settings["channel_map"] = {sides.get(c.strip().lower(), c.strip().lower()): role.strip() for c, _, role in pairs}
    return {**data, "provenance": {**data["provenance"], "settings": settings}, "schema_version": 3}


def _v3_to_v4(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 4 keeps the diarization's turns and the quiet stretches of the audio, and
    writes `[inaudible]` from `marks`, no longer from the guards: a transcript of an
    older schema has its text-removing guards as marks, and no speech or silences (its
    pauses are then written from the gaps between words, as they were)."""
    marks = [{**{k: g[k] for k in ("start", "end", "speaker")}, "reason": g["guard"]}
             for g in data.get("guards", []) if g["guard"] in ("no-speech", "unreliable")]
    return {**data, "marks": marks, "speech": [], "silences": None, "schema_version": 4}


def _v4_to_v5(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 5 records the researcher's corrections, the turns they started by hand and
    the coding by the interview guide (none before)."""
    return {**data, "corrections": [], "guide": None, "schema_version": 5}


MIGRATIONS = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5}
