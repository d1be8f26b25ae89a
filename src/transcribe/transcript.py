"""The transcript data model every stage reads and writes.

Plain dataclasses, serialised to JSON with an explicit `schema_version` so later stages
(verbatim conventions, pseudonymization, export to coding tools) and later releases can
read transcripts written today. Times are seconds from the start of the recording.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1


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


@dataclass
class GuardEvent:
    """Where a hallucination guard removed or cut decoded text (the text is not kept)."""

    guard: str  # "no-speech", "unreliable" or "repetition-loop"
    start: float
    end: float
    speaker: str


@dataclass
class Speaker:
    id: str
    label: str
    channel: int | None = None  # set when the speaker was taken from one stereo channel
    role: str | None = None  # "interviewer", "participant", ...
    role_source: str | None = None  # "channel-map" or "question-heuristic"
    role_confidence: float | None = None


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
class Transcript:
    recording: Recording
    language: str | None
    speakers: list[Speaker]
    segments: list[Segment]
    provenance: Provenance
    warnings: list[str] = field(default_factory=list)
    guards: list[GuardEvent] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"transcript schema version {version} is not supported (expected {SCHEMA_VERSION})"
            )
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
            schema_version=version,
        )
