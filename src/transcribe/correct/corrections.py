"""A researcher's corrections, made on the review page, applied to the raw transcript.

The review page (`--formats html`) saves a corrections file (`<name>.corrections.json`):

    {"format": "transcribe-corrections", "version": 1, "transcript": "int-01.json",
     "fingerprint": "<sha256 of the words the page showed>", "saved": "2026-11-30T10:00:00Z",
     "edits": [{"op": "words", "ids": ["3.4", "3.5"], "was": ["Hake", "land"], "start": 81.2, "text": "Haukeland"},
               {"op": "speaker", "ids": [...], "was": [...], "start": ..., "speaker": "SPEAKER_01"},
               {"op": "split", "ids": ["7.0"], ...}, {"op": "merge", "ids": ["9.0"], ...},
               {"op": "unclear", "ids": [...], ..., "unclear": true}]}

A word's id is "<segment>.<word>", its place in the transcript the page was made from.
`words` replaces the words named with `text` (nothing: they are removed), each new word
timed within the span of those it replaced, in proportion to its letters; `speaker` gives
the words to another speaker; `split` starts a new turn at a word; `merge` joins the turn
starting at a word to the turn before it; `unclear` marks words [unclear] (probability 0)
or, false, heard as written (probability 1); `guide` says which interview guide question
the turn holding the words asks (`code`; empty: none). Edits apply in the order they were made.

On the transcript the page was made from (same fingerprint) each edit finds its words by
id. On one transcribed again since, an edit finds them by what they said (`was`) near
where they were said (`start`); an edit whose words are no longer there is not applied
and is listed (by time, never by its words).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import CorrectionsFileError
from ..guide.matching import recode_turn
from ..transcript import Correction, Segment, Transcript, Word

FORMAT = "transcribe-corrections"
VERSION = 1
OPS = ("words", "speaker", "split", "merge", "unclear", "guide")
# How far from where it was said an edit looks for its words in a transcript made again
# (seconds): window seams and another model move a word's start by well under a second.
NEAR_S = 2.0


@dataclass(frozen=True)
class Edit:
    op: str
    ids: tuple[str, ...]
    was: tuple[str, ...]
    start: float
    text: str = ""
    speaker: str = ""
    unclear: bool = True
    code: str = ""  # "guide": the guide question the turn asks (empty: none)


@dataclass
class Corrections:
    transcript: str  # the transcript's file name
    fingerprint: str
    saved: str
    edits: list[Edit] = field(default_factory=list)


@dataclass
class Outcome:
    applied: int
    not_applied: list[float]  # where each edit that found no words was (seconds)
    words_changed: int


def read_corrections(path: Path) -> Corrections:
    """The corrections file at `path`, checked. Raises CorrectionsFileError saying what is
    wrong (not JSON, not a corrections file, an unknown operation, an edit without words)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorrectionsFileError(f"{path.name} cannot be read as a corrections file ({type(error).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CorrectionsFileError(f"{path.name} is not a corrections file (save one from the review page)")
    if data.get("version") != VERSION:
        raise CorrectionsFileError(f"{path.name} is a corrections file of version {data.get('version')!r}; this transcribe reads {VERSION}")
    edits = []
    for number, raw in enumerate(data.get("edits", []), 1):
        try:
            edit = Edit(op=raw["op"], ids=tuple(raw["ids"]), was=tuple(raw.get("was", ())), start=float(raw["start"]),
                        text=str(raw.get("text", "")), speaker=str(raw.get("speaker", "")), unclear=bool(raw.get("unclear", True)),
                        code=str(raw.get("code", "")))
        except (KeyError, TypeError, ValueError):
            raise CorrectionsFileError(f"{path.name}: edit {number} is incomplete (op, ids and start are needed)") from None
        if edit.op not in OPS or not edit.ids:
            raise CorrectionsFileError(f"{path.name}: edit {number} has an unknown operation '{edit.op}' or no words")
        edits.append(edit)
    try:
        return Corrections(str(data["transcript"]), str(data["fingerprint"]), str(data.get("saved", "")), edits)
    except KeyError as missing:
        raise CorrectionsFileError(f"{path.name} lacks {missing}") from None


def apply_corrections(transcript: Transcript, corrections: Corrections, file_sha256: str) -> Outcome:
    """Apply `corrections` to `transcript` in place and record them (`transcript.corrections`)."""
    words_before = sum(len(s.words) for s in transcript.segments)
    by_id = transcript.fingerprint() == corrections.fingerprint
    index = {f"{i}.{j}": w for i, s in enumerate(transcript.segments) for j, w in enumerate(s.words)} if by_id else {}
    found = [_words_by_id(index, edit) if by_id else _words_by_content(transcript, edit) for edit in corrections.edits]
    applied, missing, changed = 0, [], 0
    replaced: dict[int, list[Word]] = {}  # a word an earlier edit replaced -> the words now there
    for edit, words in zip(corrections.edits, found):
        words = None if words is None else _now(words, replaced)
        if not words or not _still_there(transcript, words):
            missing.append(edit.start)
            continue
        if edit.op == "words":
            new = _replace(transcript, words, edit.text.split())
            replaced.update(dict.fromkeys(map(id, words), new))
            changed += max(len(words), len(new))
        else:
            changed += _apply(transcript, edit, words)
        applied += 1
    transcript.segments = [s for s in transcript.segments if s.words or s.text]
    transcript.corrections.append(Correction(
        applied=datetime.now(timezone.utc).isoformat(timespec="seconds"), file_sha256=file_sha256, saved=corrections.saved,
        edits=len(corrections.edits), applied_edits=applied, words_before=words_before, words_changed=changed,
    ))
    return Outcome(applied, missing, changed)


def _now(words: list[Word], replaced: dict[int, list[Word]]) -> list[Word]:
    """`words`, each that an earlier edit replaced by the words now in its place."""
    now: dict[int, Word] = {}
    for word in words:
        for current in _now(replaced[id(word)], replaced) if id(word) in replaced else [word]:
            now[id(current)] = current
    return list(now.values())


def _words_by_id(index: dict[str, Word], edit: Edit) -> list[Word] | None:
    words = [index.get(i) for i in edit.ids]
    return None if None in words else words  # type: ignore[return-value]


def _words_by_content(transcript: Transcript, edit: Edit) -> list[Word] | None:
    """The run of words saying `edit.was` that starts nearest `edit.start` (within NEAR_S)."""
    words = [w for s in transcript.segments for w in s.words]
    n, best = len(edit.was), None
    for i in range(len(words) - n + 1):
        if abs(words[i].start - edit.start) <= NEAR_S and tuple(w.text for w in words[i:i + n]) == edit.was:
            if best is None or abs(words[i].start - edit.start) < abs(words[best].start - edit.start):
                best = i
    return None if best is None else words[best:best + n]


def _still_there(transcript: Transcript, words: list[Word]) -> bool:
    present = {id(w) for s in transcript.segments for w in s.words}
    return all(id(w) in present for w in words)


def _apply(transcript: Transcript, edit: Edit, words: list[Word]) -> int:
    """Apply one edit other than "words" to `words` (found in `transcript`); the number of
    words it changed."""
    if edit.op == "unclear":
        for word in words:
            word.probability = 0.0 if edit.unclear else 1.0
        return len(words)
    if edit.op == "speaker":
        if edit.speaker not in {s.id for s in transcript.speakers}:
            raise CorrectionsFileError(f"an edit gives words to speaker {edit.speaker}, who is not in the transcript")
        for segment in _isolate(transcript, words):
            segment.speaker = edit.speaker
        return len(words)
    if edit.op == "guide":
        try:
            recode_turn(transcript, words[0].start, edit.code)
        except ValueError as error:
            raise CorrectionsFileError(f"an edit of the guide coding cannot be applied: {error}") from None
        return 0
    if edit.op == "split":
        _isolate(transcript, words[:1], keep_after=True)[0].turn_start = True
        return 0
    return _merge(transcript, words[0])


def _replace(transcript: Transcript, words: list[Word], texts: list[str]) -> list[Word]:
    """Replace `words` (consecutive) with words saying `texts`, timed within their span;
    the new words."""
    start, end = words[0].start, words[-1].end
    letters = sum(len(t) for t in texts) or 1
    new, at = [], start
    for text in texts:
        step = (end - start) * len(text) / letters
        new.append(Word(round(at, 3), round(at + step, 3), text, 1.0))
        at += step
    first = _segment_of(transcript, words[0])
    gone = {id(w) for w in words}
    position = next(i for i, w in enumerate(first.words) if w is words[0])
    for segment in transcript.segments:
        if any(id(w) in gone for w in segment.words):
            segment.set_words([w for w in segment.words if id(w) not in gone])
    first.set_words(first.words[:position] + new + first.words[position:])
    for segment in transcript.segments:
        _retime(segment)
    return new


def _merge(transcript: Transcript, first_word: Word) -> int:
    """Join the turn starting at `first_word` to the turn before it: its segments take
    that turn's speaker and no new turn starts there."""
    segment = _isolate(transcript, [first_word], keep_after=True)[0]
    at = transcript.segments.index(segment)
    before = next((s for s in reversed(transcript.segments[:at]) if s.words or s.text), None)
    if before is None:
        return 0
    speaker, moved = segment.speaker, 0
    for later in transcript.segments[at:]:
        if later.speaker != speaker or (later is not segment and later.turn_start):
            break
        later.speaker, later.turn_start = before.speaker, False
        moved += len(later.words) if speaker != before.speaker else 0
    return moved


def _isolate(transcript: Transcript, words: list[Word], keep_after: bool = False) -> list[Segment]:
    """Split segments so that `words` (consecutive) are whole segments of their own; those
    segments. With `keep_after`, the words after them stay with them (a split point)."""
    ids = {id(w) for w in words}
    result: list[Segment] = []
    segments: list[Segment] = []
    for segment in transcript.segments:
        inside = [i for i, w in enumerate(segment.words) if id(w) in ids]
        if not inside:
            segments.append(segment)
            continue
        cut_end = len(segment.words) if keep_after else inside[-1] + 1
        parts = [segment.words[: inside[0]], segment.words[inside[0]:cut_end], segment.words[cut_end:]]
        first = True
        for k, part in enumerate(parts):
            if not part:
                continue
            piece = dataclasses.replace(segment, words=[], turn_start=segment.turn_start and first)
            piece.set_words(part)
            _retime(piece)
            segments.append(piece)
            first = False
            if k == 1:
                result.append(piece)
    transcript.segments = segments
    return result


def _segment_of(transcript: Transcript, word: Word) -> Segment:
    return next(s for s in transcript.segments if any(w is word for w in s.words))


def _retime(segment: Segment) -> None:
    if segment.words:
        segment.start, segment.end = segment.words[0].start, segment.words[-1].end
