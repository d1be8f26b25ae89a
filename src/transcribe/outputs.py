"""Write transcripts atomically: `<out>/<stem>.json` (the data model), `<stem>.txt` and
`<stem>.quality.txt` (the quality summary)."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path

from .conventions import Conventions, render_text
from .errors import OutputError
from .quality import render_summary
from .transcript import Transcript


def atomic_write(path: Path, content: str) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False)
    try:
        with handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except OSError as error:
        Path(handle.name).unlink(missing_ok=True)
        reason = "the disk is full" if error.errno == errno.ENOSPC else error.strerror
        raise OutputError(f"could not write {path}: {reason}") from None


def output_paths(out_dir: Path, source: Path) -> dict[str, Path]:
    return {
        "json": out_dir / f"{source.stem}.json",
        "txt": out_dir / f"{source.stem}.txt",
        "quality": out_dir / f"{source.stem}.quality.txt",
    }


def read_transcript(path: Path) -> Transcript | None:
    """The transcript at `path`, or None when it is missing or unreadable."""
    try:
        return Transcript.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_transcript(transcript: Transcript, paths: dict[str, Path], conventions: Conventions = Conventions()) -> None:
    # The text files first: the JSON is the marker of a finished transcript (see resume).
    atomic_write(paths["txt"], render_text(transcript, conventions))
    if transcript.quality is not None:
        atomic_write(paths["quality"], render_summary(transcript.quality, transcript))
    atomic_write(paths["json"], json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2) + "\n")
