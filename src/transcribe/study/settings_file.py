"""The settings a study's recordings are transcribed with: one file that every run reads.

    transcripts/<study>/settings.yaml    a study's (written with today's defaults when the
                                         study is made; edit it to change them)
    transcripts/settings.yaml            runs without a study (optional)

`transcribe run`, the Prefect form and the nightly batch all start from it. A flag given on
the command line, or a form field changed from its default, overrides it for that run only;
such a transcript then differs from the study's settings, which the batch report shows and
the nightly batch respects (it never replaces a transcript made with other settings).

Only what decides the words and speakers goes in it (`STUDY_FIELDS`). The machine's choices
(device, precision, batch size) stay with the machine that runs it. The file may name
organisations and people among its `terms`, so it is written owner-only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from ..diarize.diarization import SpeakerCount
from ..errors import SettingsError, StudySettingsError
from ..settings import Settings
from ..utils.files import atomic_write

FILE_NAME = "settings.yaml"
STUDY_FIELDS = ("model", "language", "languages", "diarization", "diarization_model", "speakers", "beam_size",
                "style", "pause", "terms", "roles", "channel_map", "voices")
MACHINE_FIELDS = ("device", "precision", "batch_size")
SPEAKER_FIELDS = tuple(f.name for f in fields(SpeakerCount))


class _Loader(yaml.SafeLoader):
    """YAML with YAML 1.2's booleans (true, false) only: under YAML 1.1, which PyYAML follows,
    `languages: [no, en]` reads Norwegian as False (and yes, on, off as booleans too)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))

_HEADER = """\
# How this study's recordings are transcribed: `transcribe run --study`, the Prefect form
# and the nightly batch all start from these values. A flag or a form field given for one
# run overrides them for that run only (that transcript is then listed as made with other
# settings, and the nightly batch leaves it as it is).
#   model: auto (large-v3 on a GPU, base on a CPU), a Whisper name, or an imported name
#   language: auto detects among `languages`; speakers: exact, minimum, maximum (null: unknown)
#   style: verbatim or clean; roles: the one who asks first; channel_map: {left: interviewer}
"""


def settings_path(transcripts: Path, study: str | None) -> Path:
    """Where the settings of `study` (None: of runs without a study) are kept."""
    return Path(transcripts) / study / FILE_NAME if study else Path(transcripts) / FILE_NAME


def read_study_settings(path: Path) -> dict[str, Any]:
    """The values the file at `path` sets (an empty mapping where there is no file), checked
    as `Settings` checks them. Raises StudySettingsError (a SettingsError) naming the file
    and what is wrong: not YAML, not a mapping, an unknown name, a machine's setting, or an
    invalid value."""
    if not path.is_file():
        return {}
    try:
        values = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise StudySettingsError(f"{path.name} in {path.parent.name} is not readable YAML{line}") from None
    if not isinstance(values, Mapping):
        raise StudySettingsError(f"{path.name} in {path.parent.name} must hold names and values (model: base, ...)")
    for name in values:
        if name in MACHINE_FIELDS:
            raise StudySettingsError(f"{path.name} in {path.parent.name}: `{name}` belongs to the machine, not the study (give it for the run)")
        if name not in STUDY_FIELDS:
            raise StudySettingsError(f"{path.name} in {path.parent.name}: unknown setting `{name}` (known: {', '.join(STUDY_FIELDS)})")
    values = {name: _typed(name, value, path) for name, value in values.items()}
    try:
        Settings(**values)
    except (SettingsError, TypeError) as error:
        raise StudySettingsError(f"{path.name} in {path.parent.name}: {error}") from None
    return values


def _typed(name: str, value: Any, path: Path) -> Any:
    """A value as YAML gives it, in the type `Settings` takes (lists as tuples, speakers as
    a SpeakerCount from a number or a mapping)."""
    if name == "speakers":
        if value is None or isinstance(value, int):
            return SpeakerCount(value)
        if isinstance(value, Mapping) and set(value) <= set(SPEAKER_FIELDS):
            return SpeakerCount(**value)
        raise StudySettingsError(f"{path.name} in {path.parent.name}: `speakers` is a number, or exact/minimum/maximum")
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return value


def study_settings(transcripts: Path, study: str | None) -> tuple[dict[str, Any], Path | None]:
    """The settings the runs of `study` (None: runs without a study) start from, and the
    file's path where it was written now: a study's is made, with today's defaults, on its
    first use."""
    path = settings_path(transcripts, study)
    written = study is not None and write_template(path)
    return read_study_settings(path), path if written else None


def write_template(path: Path) -> bool:
    """Write today's defaults of every study setting to `path` unless a file is there;
    whether it wrote one. Pinning them keeps a study's runs alike when a later version of
    transcribe changes a default."""
    if path.exists():
        return False
    defaults = {name: value for name, value in Settings().recorded().items() if name in STUDY_FIELDS}
    atomic_write(path, _HEADER + yaml.safe_dump(defaults, sort_keys=False, allow_unicode=True))
    return True


def run_settings(study: Mapping[str, Any], chosen: Mapping[str, Any], machine: Mapping[str, Any] | None = None) -> Settings:
    """The settings of one run: the study's, overridden by what was `chosen` for this run
    (flags given, form fields changed), with the `machine`'s device, precision and batch size."""
    return Settings(**{**study, **chosen, **(machine or {})})


def differences(settings: Settings, study: Mapping[str, Any]) -> dict[str, Any]:
    """The study settings of `settings` that are not the study's (as recorded, JSON values)."""
    ours, theirs = settings.recorded(), Settings(**study).recorded()
    return {name: ours[name] for name in STUDY_FIELDS if ours[name] != theirs[name]}


def describe(values: Mapping[str, Any]) -> str:
    """Settings and their values for a log line or a report ("model tiny.en, speakers 3"):
    `terms` by name only, since they may name people and places."""
    return ", ".join(name if name == "terms" else f"{name} {_plain(value)}" for name, value in values.items())


def _plain(value: Any) -> str:
    if isinstance(value, Mapping):
        return ",".join(f"{k}={v}" for k, v in value.items() if v is not None) or "none"
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value)) or "none"
    return str(value)


def languages_in_use(transcripts: Path) -> list[str]:
    """The languages the studies under `transcripts` allow, in the order first named (for
    the form's choices); files that cannot be read are left out, their runs will say why."""
    found: dict[str, None] = {}
    for path in [Path(transcripts) / FILE_NAME, *sorted(Path(transcripts).glob(f"*/{FILE_NAME}"))]:
        try:
            values = read_study_settings(path)
        except SettingsError:
            continue
        found.update(dict.fromkeys(Settings(**values).languages if values else ()))
    return list(found)
