"""Output formats: one `Writer` per format, chosen by name (`--formats`) from `WRITERS`.

Every format is rendered from the JSON data model alone (with the conventions recorded
in its provenance), so any of them can be written again from an existing transcript
without transcribing (`transcribe export`). The readable ones render from the turns of
export/_turns.py: the plain text, a Word document, subtitles (SRT, WebVTT) to check a transcript
against the recording in any media player, a review page with an audio player, and the
timestamped text conventions MAXQDA and NVivo import.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from typing import ClassVar

from ..conventions import Conventions, clock, conventions_of
from ..errors import SettingsError
from ..guide.matching import asked_in
from ..quality.report import render_summary
from ..transcript import GuideMatch, GuideQuestion, Transcript
from ._turns import (
    Said,
    Turn,
    Unclear,
    piece_text,
    text_lines,
    turns_of,
)

# Subtitle cues end at the next timed piece after this much text or time.
CUE_MAX_CHARS = 84
CUE_MAX_S = 7.0
# Windows programs (NVivo, MAXQDA) read a UTF-8 text file as the local code page unless it
# starts with a byte-order mark: "ø" would come out as "Ã¸".
BOM = "\ufeff"


class Writer:
    name: ClassVar[str]
    suffix: ClassVar[str]  # after the recording's stem
    description: ClassVar[str]

    def render(self, transcript: Transcript) -> str | bytes | None:
        """The file's content (text, or bytes for a binary format), or None when the
        transcript has nothing for this format. The same transcript always renders to
        the same content: that is how a rerun tells a file is up to date."""
        raise NotImplementedError


class JsonWriter(Writer):
    name, suffix, description = "json", ".json", "the data model: speakers, segments, word timings, provenance (always written)"

    def render(self, transcript: Transcript) -> str:
        return json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2) + "\n"


def render_text(transcript: Transcript, conventions: Conventions = Conventions()) -> str:
    """`[hh:mm:ss] SPEAKER: text`, one line per turn."""
    return "".join(line + "\n" for _, line in text_lines(transcript, conventions))


class TextWriter(Writer):
    name, suffix, description = "txt", ".txt", "[hh:mm:ss] speaker: text, one line per turn"

    def render(self, transcript: Transcript) -> str:
        return render_text(transcript, conventions_of(transcript))


class QualityWriter(Writer):
    name, suffix, description = "quality", ".quality.txt", "the quality report: what was transcribed, what to listen to again"

    def render(self, transcript: Transcript) -> str | None:
        return None if transcript.quality is None else render_summary(transcript.quality, transcript)


class SrtWriter(Writer):
    name, suffix, description = "srt", ".srt", "SubRip subtitles, one cue per stretch of a turn"

    def render(self, transcript: Transcript) -> str:
        cues = _cues(turns_of(transcript, conventions_of(transcript)))
        return "".join(
            f"{i}\n{_stamp(start, ',')} --> {_stamp(end, ',')}\n{label}: {text}\n\n" for i, (start, end, label, text) in enumerate(cues, 1)
        )


class VttWriter(Writer):
    name, suffix, description = "vtt", ".vtt", "WebVTT subtitles, the speaker as the cue's voice"

    def render(self, transcript: Transcript) -> str:
        cues = _cues(turns_of(transcript, conventions_of(transcript)))
        body = "".join(f"{_stamp(start, '.')} --> {_stamp(end, '.')}\n<v {_escape(label)}>{_escape(text)}\n\n" for start, end, label, text in cues)
        return "WEBVTT\n\n" + body


class MaxqdaWriter(Writer):
    name, suffix, description = "maxqda", ".maxqda.txt", "MAXQDA: a paragraph per turn, 'speaker: text #hh:mm:ss-t#' (f4/f5 time marks)"

    def render(self, transcript: Transcript) -> str:
        turns = turns_of(transcript, conventions_of(transcript))
        return BOM + "".join(_guide_markers(transcript, t) + f"{t.label}: {t.text} {_f4_mark(t.end)}\n\n" for t in turns)


class NvivoWriter(Writer):
    name, suffix, description = "nvivo", ".nvivo.txt", "NVivo transcript rows: timespan, speaker, content, tab-separated with a header"

    def render(self, transcript: Transcript) -> str:
        turns = turns_of(transcript, conventions_of(transcript))
        rows = [("Timespan", "Speaker", "Content")]
        rows += [(f"{_stamp(t.start, '.', 1)} - {_stamp(t.end, '.', 1)}", t.label, t.text) for t in turns]
        return BOM + "".join("\t".join(" ".join(cell.split()) for cell in row) + "\n" for row in rows)


class DocxWriter(Writer):
    name, suffix, description = "docx", ".docx", "Word: a paragraph per turn, speaker and time in bold, unclear words in italics"

    def render(self, transcript: Transcript) -> bytes:
        from docx import Document

        document = Document()
        created = datetime.fromisoformat(transcript.provenance.created) if transcript.provenance.created else datetime(2000, 1, 1)
        document.core_properties.created = document.core_properties.modified = created
        document.core_properties.title = document.core_properties.author = ""
        document.core_properties.last_modified_by = ""
        for turn in turns_of(transcript, conventions_of(transcript)):
            for match, question in asked_in(transcript, turn.start, turn.end):
                document.add_heading(_guide_heading(match, question), level=2)
            paragraph = document.add_paragraph()
            paragraph.add_run(f"[{clock(turn.start)}] {turn.label}: ").bold = True
            for i, piece in enumerate(turn.pieces):
                paragraph.add_run(("" if i == 0 else " ") + piece_text(piece)).italic = isinstance(piece, Unclear)
        saved = io.BytesIO()
        document.save(saved)
        return _fixed_zip_times(saved.getvalue())


def _guide_heading(match: GuideMatch, question: GuideQuestion) -> str:
    """`workday: Could you describe a normal working day?`, `(check)` after a match of low confidence."""
    return f"{question.code}: {question.question}" + ("" if match.confident else " (check)")


def _guide_markers(transcript: Transcript, turn: Turn) -> str:
    """A paragraph for each guide question the turn asks, before it (MAXQDA reads it as text,
    not as a speaker's turn: it starts with a bracket)."""
    return "".join(f"[Guide {_guide_heading(m, q)}]\n\n" for m, q in asked_in(transcript, turn.start, turn.end))


class QdpxWriter(Writer):
    name, suffix = "qdpx", ".qdpx"
    description = "REFI-QDA project (NVivo, ATLAS.ti, MAXQDA): the text as a source, a case per speaker, each turn coded by its speaker"

    def render(self, transcript: Transcript) -> bytes:
        from .qdpx import recording_stem, render_qdpx

        return render_qdpx(recording_stem(transcript), [transcript])


class HtmlWriter(Writer):
    name, suffix = "html", ".html"
    description = "review page: the text beside an audio player (click a line to hear it), unsure words highlighted; works offline"

    def render(self, transcript: Transcript) -> str:
        from ._review_page import render_review_page

        return render_review_page(transcript)


def _fixed_zip_times(archive: bytes) -> bytes:
    """The archive with every member dated 1980-01-01, so equal documents are equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(zipfile.ZipInfo(member.filename, (1980, 1, 1, 0, 0, 0)), source.read(member), zipfile.ZIP_DEFLATED)
    return out.getvalue()


WRITERS: dict[str, type[Writer]] = {
    w.name: w for w in (JsonWriter, TextWriter, QualityWriter, SrtWriter, VttWriter, MaxqdaWriter, NvivoWriter, DocxWriter, HtmlWriter, QdpxWriter)
}
DEFAULT_FORMATS = ("txt", "quality")


def parse_formats(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Format names from "txt,srt" (or a sequence), checked; the JSON is always among them
    (it is the data model and the mark of a finished transcript)."""
    names = [n.strip().lower() for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    unknown = [n for n in names if n not in WRITERS]
    if unknown:
        raise SettingsError(f"unknown output format '{unknown[0]}' in `formats` (known: {', '.join(WRITERS)})")
    return tuple(dict.fromkeys(["json", *names]))


def _stamp(seconds: float, separator: str, decimals: int = 3) -> str:
    """hh:mm:ss,mmm (SRT), hh:mm:ss.mmm (WebVTT) or hh:mm:ss.t (NVivo)."""
    scale = 10**decimals
    units = int(round(max(0.0, seconds) * scale))
    whole, fraction = divmod(units, scale)
    return f"{clock(whole)}{separator}{fraction:0{decimals}d}"


def _f4_mark(seconds: float) -> str:
    tenths = int(round(seconds * 10))
    return f"#{clock(tenths // 10)}-{tenths % 10}#"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cues(turns: list[Turn]) -> list[tuple[float, float, str, str]]:
    """Each turn cut into cues of at most about CUE_MAX_CHARS characters or CUE_MAX_S
    seconds, cut before a word; untimed pieces (pauses, marks) go with the cue they fall
    in, and a run of unclear words stays whole."""
    cues = []
    for turn in turns:
        pieces: list = []
        start = end = None
        for piece in (part for p in turn.pieces for part in (p.split() if isinstance(p, Said) else [p])):
            timed = isinstance(piece, Said | Unclear)
            text = " ".join(piece_text(p) for p in pieces)
            if timed and start is not None and (len(text) >= CUE_MAX_CHARS or piece.end - start > CUE_MAX_S):
                cues.append((start, end, turn.label, text))
                pieces, start = [], None
            pieces.append(piece)
            if timed:
                start = piece.start if start is None else start
                end = piece.end
        if pieces:
            start = turn.start if start is None else start
            cues.append((start, max(end or turn.end, start + 0.1), turn.label, " ".join(piece_text(p) for p in pieces)))
    return sorted(cues, key=lambda cue: cue[0])
