"""What a run is asked to do: typed values, validated once when made.

The command line parses its flags and the Prefect flows their form into a `Settings`;
everything after reads typed values (tuples, `Literal`s, a channel-to-role mapping), never
the mini-languages of flags. An invalid value is a `SettingsError` naming the setting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

from .asr.languages import normalize_language
from .conventions import Conventions
from .diarize.diarization import SpeakerCount
from .errors import SettingsError

Precision = Literal["auto", "fp32", "fp16", "bf16"]
DiarizationMode = Literal["auto", "pyannote", "channels", "none"]
Style = Literal["verbatim", "clean"]
Channel = Literal["left", "right"]
CHANNEL_INDEX: dict[str, int] = {"left": 0, "right": 1}


@dataclass(frozen=True)
class Settings:
    model: str = "auto"
    language: str = "auto"  # or one of `languages`
    languages: tuple[str, ...] = ("en", "no")  # detection picks only among these
    device: str = "auto"
    precision: Precision = "auto"  # fp16 on a GPU, fp32 on a CPU
    diarization: DiarizationMode = "auto"
    diarization_model: str = "auto"
    speakers: SpeakerCount = field(default_factory=SpeakerCount)
    batch_size: int | None = None  # None: 16 on a GPU, 4 on a CPU
    beam_size: int = 5  # 1: greedy decoding
    style: Style = "verbatim"
    pause: float = 1.0  # pauses this long or longer are written in seconds
    terms: tuple[str, ...] = ()  # the study's own words, to bias decoding
    roles: tuple[str, ...] = ("interviewer", "participant")  # (): keep SPEAKER_00, SPEAKER_01, ...
    channel_map: Mapping[Channel, str] = field(default_factory=dict)  # {"left": "interviewer"}
    voices: Literal["auto", "none"] | tuple[str, ...] = "auto"  # enrolled voices to recognise

    def __post_init__(self) -> None:
        languages = tuple(dict.fromkeys(normalize_language(code) for code in self.languages))
        self._set(languages=languages, terms=tuple(t.strip() for t in self.terms if t.strip()), roles=tuple(self.roles))
        self._set(channel_map=dict(self.channel_map), voices=self.voices if isinstance(self.voices, str) else tuple(self.voices))
        if isinstance(self.speakers, Mapping):
            self._set(speakers=SpeakerCount(**self.speakers))
        self._check_choices()
        if not languages:
            raise SettingsError("`languages` needs at least one language code")
        if self.language != "auto" and normalize_language(self.language) not in languages:
            raise SettingsError(f"`language` {self.language} is not among `languages` {', '.join(languages)}")
        if self.batch_size is not None and self.batch_size < 1:
            raise SettingsError("`batch_size` must be at least 1")
        if self.beam_size < 1:
            raise SettingsError("`beam_size` must be at least 1")
        self.conventions  # noqa: B018 - validates style and pause
        self._check_roles()

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def _check_choices(self) -> None:
        for name, kind in (("precision", Precision), ("diarization", DiarizationMode), ("style", Style)):
            if getattr(self, name) not in get_args(kind):
                raise SettingsError(f"unknown `{name}` '{getattr(self, name)}' (expected {', '.join(get_args(kind))})")
        if isinstance(self.voices, str) and self.voices not in ("auto", "none"):
            raise SettingsError(f"`voices` is auto, none or a list of enrolled voices' names (got '{self.voices}')")

    def _check_roles(self) -> None:
        if len(set(self.roles)) != len(self.roles):
            raise SettingsError(f"`roles` names a role twice: {', '.join(self.roles)}")
        for channel, role in self.channel_map.items():
            if channel not in CHANNEL_INDEX:
                raise SettingsError(f"`channel_map` names channel '{channel}' (expected left or right)")
            if self.roles and role not in self.roles:
                raise SettingsError(f"`channel_map` names role '{role}', which is not in `roles`")

    @property
    def conventions(self) -> Conventions:
        return Conventions(style=self.style, pause_s=self.pause)

    @property
    def channel_roles(self) -> dict[int, str]:
        """The channel map by channel index (0 is left)."""
        return {CHANNEL_INDEX[channel]: role for channel, role in self.channel_map.items()}

    def recorded(self) -> dict[str, Any]:
        """The settings as a transcript's provenance records them (JSON values)."""
        return json.loads(json.dumps(asdict(self)))
