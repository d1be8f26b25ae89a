"""Corrections files applied to the transcripts on disk.

`correct_file` applies one to the transcript it names, in the folder of raw transcripts
(`transcripts/`, or a study's `restricted/raw/`): the corrected transcript replaces it,
the one before is kept in `previous/`, its formats are written again, and the
corrections file is kept in `corrections/` beside it (owner-only: it holds words said).
`reapply` applies the kept files again, in the order they were applied, to a transcript
made anew (other settings, or forced), so that no correction is silently dropped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..conventions import clock
from ..errors import CorrectionsFileError
from ..export.outputs import (
    keep_previous,
    read_transcript,
    write_transcript,
    written_paths,
)
from ..quality.report import reassess
from ..transcript import Transcript
from ..utils.files import atomic_write, file_sha256
from ..utils.locks import lock_path, recording_lock
from .corrections import Outcome, apply_corrections, read_corrections

CORRECTIONS_FOLDER = "corrections"


@dataclass
class CorrectedFile:
    transcript: Transcript
    path: Path  # the corrected transcript's JSON
    kept: Path  # the transcript before, in previous/
    outcome: Outcome
    written: list[str]  # the files written: the JSON and its formats


def correct_file(corrections_path: Path, folder: Path) -> CorrectedFile:
    """Apply the corrections file at `corrections_path` to the transcript it names in
    `folder`. Raises CorrectionsFileError when the file cannot be read, names a transcript
    that is not there or is pseudonymized, or none of its edits finds its words."""
    corrections = read_corrections(corrections_path)
    raw = Path(folder) / corrections.transcript
    if Path(corrections.transcript).name != corrections.transcript or not raw.is_file():
        raise CorrectionsFileError(f"{corrections_path.name} corrects {corrections.transcript}, which is not in {Path(folder).name}/")
    content = corrections_path.read_bytes()
    with recording_lock(lock_path(raw.parent, raw.stem), lambda: None):
        transcript = read_transcript(raw)
        if transcript.stage("pseudonymize") is not None:
            raise CorrectionsFileError(f"{corrections.transcript} is pseudonymized: correct the transcript on its page in the study's restricted/raw folder")
        outcome = apply_corrections(transcript, corrections, hashlib.sha256(content).hexdigest())
        if corrections.edits and not outcome.applied:
            raise CorrectionsFileError(f"none of the {len(corrections.edits)} edits of {corrections_path.name} finds its words in {raw.name}: nothing was changed")
        reassess(transcript)
        paths = written_paths(raw)
        kept = keep_previous(raw)
        write_transcript(transcript, paths)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        atomic_write(raw.parent / CORRECTIONS_FOLDER / f"{raw.stem}.{stamp}.corrections.json", content)
    return CorrectedFile(transcript, raw, kept, outcome, [p.name for p in paths.values()])


def reapply(transcript: Transcript, folder: Path, stem: str) -> int:
    """Apply the corrections kept for `stem` in `folder` to `transcript`, just made anew;
    each edit whose words are no longer there is a warning of the transcript (by time).
    The number of edits applied."""
    applied = 0
    for path in sorted((Path(folder) / CORRECTIONS_FOLDER).glob(f"{stem}.*.corrections.json")):
        outcome = apply_corrections(transcript, read_corrections(path), file_sha256(path))
        applied += outcome.applied
        transcript.warnings += [f"a correction at {clock(start)} ({path.name}) no longer fits the words transcribed there: "
                                "it was not applied" for start in outcome.not_applied]
    if applied:
        reassess(transcript)
    return applied


def corrected_share(folder: Path) -> tuple[float, int] | None:
    """(words changed per 100, transcripts corrected) over the corrected transcripts in
    `folder` (a study's raw transcripts); None when none has been corrected."""
    changed = words = count = 0
    for path in sorted(Path(folder).glob("*.json")):
        transcript = read_transcript(path)
        if transcript is not None and transcript.corrections:
            changed += sum(c.words_changed for c in transcript.corrections)
            words += transcript.corrections[0].words_before
            count += 1
    return (round(100 * changed / max(1, words), 2), count) if count else None
