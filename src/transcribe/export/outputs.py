"""A recording's transcript set in the output folder: `<stem>.json` (the data model, and
the mark of a finished transcript) and the formats derived from it (writers.py: by default
`<stem>.txt` and `<stem>.quality.txt`).

The set is written as one unit: every file goes to a temporary file first, then the
derived files are renamed into place and the JSON last. A failure before the renames
leaves the previous set as it was and no temporary file behind; a crash between renames
leaves derived files newer than the JSON, which the next run sees (they differ from what
the JSON renders to) and rebuilds from the JSON; a kill before the renames leaves
temporary files, which the next run removes. Messages name files, never full paths:
folder names can name participants.
"""

from __future__ import annotations

import errno
import glob
import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from ..errors import OutputError, TranscriptFileError
from ..transcript import Transcript
from ..utils.files import atomic_write, encoded, reason, temporary_beside
from .writers import DEFAULT_FORMATS, WRITERS

# Space a transcript set needs, at most: about 3 words a second of speech, each word with
# its timing and probability in the JSON (~150 bytes) and in the text.
BYTES_PER_SECOND = 1024
SPACE_MARGIN = 1 << 20

def written_paths(raw_json: Path) -> dict[str, Path]:
    """The transcript at `raw_json` and each of its formats written beside it, by name."""
    paths = output_paths(raw_json.parent, raw_json, tuple(WRITERS))
    return {kind: path for kind, path in paths.items() if kind == "json" or path.exists()}


def output_paths(out_dir: Path, source: Path, formats: tuple[str, ...] = ("json", *DEFAULT_FORMATS)) -> dict[str, Path]:
    """Where each format of `source`'s transcript goes (the JSON always among them)."""
    return {name: out_dir / f"{source.stem}{WRITERS[name].suffix}" for name in dict.fromkeys(["json", *formats])}


class OutputFolder:
    """The output folder, made and checked before any work is done."""

    def __init__(self, path: Path):
        self.path = path
        self.created: list[Path] = []

    @classmethod
    def prepare(cls, path: str | Path) -> OutputFolder:
        """Create the folder (and missing parents) and prove it writable with a probe file."""
        folder = cls(Path(path))
        try:
            missing = [p for p in [folder.path, *folder.path.parents] if not p.exists()]
            for parent in reversed(missing):
                parent.mkdir()
                folder.created.append(parent)
            if not folder.path.is_dir():
                raise OSError(errno.EEXIST, "a file is in the way")
            with tempfile.TemporaryFile(dir=folder.path, prefix=".probe-"):
                pass
        except OSError as error:
            folder.remove_if_unused()
            raise OutputError(f"cannot write transcripts to the folder '{folder.path.name}': {reason(error)}") from None
        return folder

    def require_space(self, seconds: float) -> None:
        """Enough free space for the transcript of `seconds` of audio."""
        needed = SPACE_MARGIN + int(BYTES_PER_SECOND * seconds)
        free = shutil.disk_usage(self.path).free
        if free < needed:
            raise OutputError(
                f"not enough space in the folder '{self.path.name}': {free / 1e6:.1f} MB free, "
                f"{needed / 1e6:.1f} MB needed for the transcript"
            )

    def remove_if_unused(self) -> None:
        """Remove the folders `prepare` created, where nothing was written to them."""
        for folder in reversed(self.created):
            try:
                folder.rmdir()
            except OSError:
                return


def render_derived(transcript: Transcript, formats: tuple[str, ...] = DEFAULT_FORMATS) -> dict[str, str | bytes]:
    """The derived formats' contents (those the transcript has something for)."""
    rendered = {name: WRITERS[name]().render(transcript) for name in formats if name != "json"}
    return {name: text for name, text in rendered.items() if text is not None}


def read_transcript(path: Path) -> Transcript | None:
    """The transcript at `path`, None when there is none; one that cannot be read is an
    error, never taken for absent (the next write would replace it unseen)."""
    if not path.exists():
        return None
    try:
        return Transcript.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except OSError as error:
        why = reason(error)
    except json.JSONDecodeError as error:
        why = f"damaged JSON at line {error.lineno}"
    except (ValueError, KeyError, TypeError) as error:
        why = str(error) if isinstance(error, ValueError) else f"not a transcript ({type(error).__name__} {error})"
    raise TranscriptFileError(
        f"{path.name} in the output folder cannot be read ({why}); move it away, or pass --force to transcribe again and replace it"
    )


def write_transcript(transcript: Transcript, paths: dict[str, Path]) -> None:
    """Write the set as one unit (see the module's docstring)."""
    contents: dict[str, str | bytes] = {**render_derived(transcript, tuple(paths)), "json": WRITERS["json"]().render(transcript)}
    temps: dict[str, Path] = {}
    kind = "json"
    try:
        paths["json"].parent.mkdir(parents=True, exist_ok=True)
        for kind, text in contents.items():
            temps[kind] = temporary_beside(paths[kind], text)
        for kind in contents:  # the JSON last: it marks the set finished
            os.replace(temps[kind], paths[kind])
            del temps[kind]
        _sync_folder(paths["json"].parent)
    except OSError as error:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
        raise OutputError(f"could not write {paths[kind].name}: {reason(error)}") from None


def remove_leftovers(paths: dict[str, Path]) -> None:
    """Remove the temporary files a killed run left of this set (call it holding the
    recording's lock: no other run is writing them)."""
    for path in paths.values():
        for temporary in path.parent.glob(f".{glob.escape(path.name)}.*"):
            temporary.unlink(missing_ok=True)


def refresh_derived(transcript: Transcript, paths: dict[str, Path]) -> list[str]:
    """Rebuild from the JSON each derived file that is missing or differs from it (a crash
    between the renames, a deleted file); returns the names rebuilt."""
    rebuilt = []
    for kind, text in render_derived(transcript, tuple(paths)).items():
        path = paths[kind]
        try:
            current = path.read_bytes() if path.exists() else None
        except OSError:
            current = None
        if current != encoded(text):
            atomic_write(path, text)
            rebuilt.append(path.name)
    return rebuilt


def export(json_path: Path, formats: tuple[str, ...], out_dir: Path | None = None) -> list[str]:
    """Write `formats` of the transcript at `json_path` again from the JSON alone (beside
    it, or in `out_dir`), without transcribing; returns the files written (those that
    were missing or differed)."""
    transcript = read_transcript(json_path)
    if transcript is None:
        raise TranscriptFileError(f"{json_path.name} does not exist")
    folder = OutputFolder.prepare(out_dir or json_path.parent)
    paths = output_paths(folder.path, json_path, formats)
    del paths["json"]  # the transcript itself is not copied
    return refresh_derived(transcript, paths)


def _sync_folder(folder: Path) -> None:
    """Make the renames durable (a power cut after this keeps the new set)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# Where a transcript that is replaced (other settings, or --force) is kept, beside the
# new one: <out>/previous/<name>.<when it was made>.json. Its other formats can be
# written again from it (`transcribe export`).
PREVIOUS_FOLDER = "previous"


def keep_previous(path: Path) -> Path:
    """Keep the transcript at `path`, about to be replaced, in PREVIOUS_FOLDER beside it,
    named after when it was written; its path."""
    made = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y%m%dT%H%M%S")
    folder = path.parent / PREVIOUS_FOLDER
    folder.mkdir(exist_ok=True)
    kept = folder / f"{path.stem}.{made}.json"
    content, number = path.read_bytes(), 1
    while kept.exists() and kept.read_bytes() != content:
        number += 1
        kept = folder / f"{path.stem}.{made}-{number}.json"
    shutil.copy2(path, kept)
    return kept
