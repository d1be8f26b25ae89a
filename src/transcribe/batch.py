"""Batches: which recordings of an inbox still need transcribing, and a report of a batch.

A recording is done when a transcript of the same content (its SHA-256) made with the
same settings is in the output folder, whatever either file is called: a renamed
recording is not transcribed twice, and a changed recording under an old name is. The
report holds what a researcher needs to see in the Prefect UI or a terminal (file,
duration, language, speakers, status, timing, warnings), never a word of a transcript.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .errors import FileMissingError, SettingsError, TranscribeError
from .export.outputs import read_transcript
from .pipeline import changed_settings
from .settings import Settings
from .study.settings_file import describe
from .transcript import Transcript
from .utils.files import file_sha256

# Files an inbox may hold that are not recordings (yet): hidden files, downloads and copies
# in progress, and what this tool writes itself.
_NOT_RECORDINGS = (".part", ".partial", ".crdownload", ".download", ".tmp", ".lock", ".json", ".txt", ".yaml", ".csv")

Status = Literal["pending", "done", "duplicate"]


@dataclass(frozen=True)
class Roots:
    """The folders flows may read recordings from and write transcripts to; paths given to
    a flow (from the Prefect UI) are taken relative to them and never leave them."""

    audio: Path
    transcripts: Path

    @classmethod
    def from_environment(cls, base: Path | None = None) -> Roots:
        base = base or Path.cwd()
        return cls(
            Path(os.environ.get("TRANSCRIBE_AUDIO_ROOT", base / "audio")).resolve(),
            Path(os.environ.get("TRANSCRIBE_TRANSCRIPTS_ROOT", base / "transcripts")).resolve(),
        )

    def recording(self, path: str) -> Path:
        """A recording (or folder) given as a path inside the audio folder; the folder's own
        name in front is taken too (`audio/int-014.m4a`, as README writes it). A name that
        is not there is an error naming the folder searched and the closest names in it."""
        path = path.strip()
        found = _inside(path, self.audio, "the audio folder")
        prefix = f"{self.audio.name}/"
        if not found.exists() and path.startswith(prefix):
            found = _inside(path[len(prefix):], self.audio, "the audio folder")
        if not found.exists():
            names = [str(p.relative_to(self.audio)) for p in find_recordings(self.audio)] if self.audio.is_dir() else []
            closest = difflib.get_close_matches(path.removeprefix(prefix), names, n=3, cutoff=0.5)
            hint = f"; the closest: {', '.join(closest)}" if closest else ("" if names else "; it holds no recordings")
            raise FileMissingError(f"{path} is not in the audio folder ({self.audio}){hint}")
        return found

    def study_file(self, path: str) -> Path:
        """A file of the study (its key, its interview guide): in the transcripts folder or
        the audio folder."""
        try:
            return _inside(path, self.transcripts, "the transcripts folder")
        except SettingsError:
            return _inside(path, self.audio, "the audio or the transcripts folder")


def _inside(path: str, root: Path, what: str) -> Path:
    resolved = (root / path).resolve()  # an absolute `path` stays itself; `..` and links are followed
    if resolved != root and root not in resolved.parents:
        raise SettingsError(f"{path} is outside {what} ({root}); give a path inside it")
    return resolved


def find_recordings(folder: Path) -> list[Path]:
    """The recordings in `folder` and its subfolders, in name order."""
    if not folder.is_dir():
        raise SettingsError(f"{folder} is not a folder")
    found = []
    for path in folder.rglob("*"):
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
        if path.is_file() and not hidden and not path.name.lower().endswith(_NOT_RECORDINGS):
            found.append(path)
    return sorted(found)


@dataclass(frozen=True)
class Planned:
    source: Path
    status: Status
    transcript: Path | None = None  # for "done": the transcript it is done as
    same_as: Path | None = None  # for "duplicate": the recording of this batch with the same content
    differs: tuple[str, ...] = ()  # for "done": the settings it was made with that are not these


def plan(sources: Iterable[Path], out_dir: Path, settings: Settings, keep_other_settings: bool = False) -> list[Planned]:
    """What each recording needs. One that cannot be read is pending: transcribing it
    reports why. With `keep_other_settings` (a scheduled batch) a transcript made with
    other settings is done as it is: someone made it on purpose, and only a run asked for
    replaces it (keeping it beside the new one)."""
    done = _transcripts_by_content(out_dir, settings, keep_other_settings)
    first_of: dict[str, Path] = {}
    planned = []
    for source in sources:
        try:
            sha256 = file_sha256(source)
        except OSError:
            planned.append(Planned(source, "pending"))
            continue
        if sha256 in first_of:
            planned.append(Planned(source, "duplicate", same_as=first_of[sha256]))
        elif sha256 in done:
            planned.append(Planned(source, "done", transcript=done[sha256][0], differs=done[sha256][1]))
        else:
            planned.append(Planned(source, "pending"))
        first_of.setdefault(sha256, source)
    return planned


def _transcripts_by_content(out_dir: Path, settings: Settings, any_settings: bool) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """The transcripts in `out_dir` made with `settings` (or, `any_settings`, with any:
    those with these settings first), by their recording's SHA-256, each with the
    settings it was made with that differ."""
    found: dict[str, tuple[Path, tuple[str, ...]]] = {}
    for path in sorted(out_dir.glob("*.json")) if out_dir.is_dir() else []:
        try:
            transcript = read_transcript(path)
        except TranscribeError:
            continue  # transcribing that recording reports it
        if transcript is None:
            continue
        differs = tuple(changed_settings(transcript.provenance.settings, settings)[0])
        sha256 = transcript.recording.sha256
        if (not differs or any_settings) and (sha256 not in found or (found[sha256][1] and not differs)):
            found[sha256] = (path, differs)
    return found


@dataclass
class ReportRow:
    """One recording of a batch, as the batch report shows it: no transcript text."""

    file: str
    status: str  # transcribed, up to date, duplicate, failed
    duration: str = ""
    language: str = ""
    speakers: int | None = None
    seconds: float | None = None  # time spent on it in this batch
    warnings: str = ""
    handed_off_as: str = ""
    error: str = ""  # why it failed
    model: str = ""  # the Whisper model its transcript was made with
    other_settings: str = ""  # the settings its transcript was made with that are not the batch's

    @classmethod
    def of(cls, file: str, status: str, transcript: Transcript | None, seconds: float | None = None, **more) -> ReportRow:
        if transcript is None:
            return cls(file, status, seconds=seconds, **more)
        minutes, secs = divmod(round(transcript.recording.duration), 60)
        return cls(
            file,
            status,
            duration=f"{minutes}:{secs:02d}",
            language=transcript.language or "",
            speakers=len(transcript.speakers),
            seconds=None if seconds is None else round(seconds, 1),
            warnings="; ".join(transcript.warnings),
            model=str(transcript.provenance.settings.get("model", "")),
            **more,
        )


def other_settings(transcript: Transcript, differs: Iterable[str]) -> str:
    """`model tiny.en, languages en`: what the transcript was made with, where it differs
    from a batch's settings (the study's, unless the batch was given others)."""
    return describe({name: transcript.provenance.settings.get(name) for name in differs})


def summary(rows: list[ReportRow]) -> str:
    """`3 transcribed, 1 up to date, 1 failed`."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in counts.items()) or "no recordings"
