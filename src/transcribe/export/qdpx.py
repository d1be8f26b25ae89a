"""REFI-QDA 1.0 projects (.qdpx): the exchange format NVivo, ATLAS.ti and MAXQDA import.

A .qdpx is a zip of `project.qde` (XML in the namespace urn:QDA-XML:project:1.0) and the
internal sources, `sources/<guid>.txt` (UTF-8 without a byte-order mark: the mark would be
a code point of the text and shift every selection). Each transcript becomes a text source
whose text is its plain text (`render_text`); each of its speakers a case, with the
variable "Role" where a role was decided; each turn a selection of its line, coded with
its speaker's label (a code under "Speakers") and referred to by its speaker's case, so a
coding tool can gather what one speaker, or every interviewer, said.

Selections count Unicode code points from 0 (REFI-QDA 1.5, section 10.2); `endPosition`
is one past the line's last code point: `text[startPosition:endPosition]` is the line.

The same transcripts give the same bytes, in whatever order they come: GUIDs are uuid5
names of the project and what they stand for, archive members are dated 1980-01-01.
Nothing goes in that is not in the transcripts: no users, no machine, no paths.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import PurePath
from xml.etree import ElementTree as ET

from ..conventions import conventions_of
from ..transcript import Speaker, Transcript
from ._turns import Turn, text_lines

NAMESPACE = "urn:QDA-XML:project:1.0"
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:transcribe:refi-qda")
ARCHIVE_DATE = (1980, 1, 1, 0, 0, 0)

Guid = Callable[..., str]


def recording_stem(transcript: Transcript) -> str:
    """The recording's file name without its extension: what its source is called."""
    return PurePath(transcript.recording.source_name).stem


def _identity(transcript: Transcript) -> str:
    """What a transcript's GUIDs derive from: its recording, and its name (one recording
    can be in a study twice, say under two pseudonymized names)."""
    return f"{transcript.recording.sha256}/{recording_stem(transcript)}"


def render_qdpx(project_name: str, transcripts: list[Transcript]) -> bytes:
    """The transcripts as a REFI-QDA project archive, a text source each."""
    transcripts = sorted(transcripts, key=lambda t: (recording_stem(t), t.recording.sha256))
    identities = [_identity(t) for t in transcripts]
    if len(set(identities)) < len(identities):
        raise ValueError("the same transcript is in the project twice")

    def guid(*parts: str) -> str:
        return str(uuid.uuid5(GUID_NAMESPACE, "\n".join((project_name, *parts))))

    labels: set[str] = set()
    guide_codes: dict[str, str] = {}  # code -> question, over the project's transcripts
    cases: list[ET.Element] = []
    sources: list[ET.Element] = []
    files: dict[str, bytes] = {}
    for transcript in transcripts:
        lines = text_lines(transcript, conventions_of(transcript))
        labels.update(turn.label for turn, _ in lines)
        source, selections = _text_source(transcript, lines, guid)
        _guide_selections(transcript, lines, source, guid)
        guide_codes.update({q.code: q.question for q in transcript.guide.questions} if transcript.guide else {})
        sources.append(source)
        cases += [_case(transcript, speaker, selections.get(speaker.id, []), guid) for speaker in transcript.speakers]
        files[f"sources/{source.get('guid')}.txt"] = "".join(line + "\n" for _, line in lines).encode("utf-8")

    created = [d for t in transcripts if (d := _xsd_datetime(t.provenance.created))]
    # ElementTree's default_namespace refuses unqualified attributes, and every REFI-QDA
    # attribute is one: the root declares the namespace and the tags stay unqualified.
    project = _element("Project", xmlns=NAMESPACE, name=project_name, origin="transcribe", creationDateTime=max(created, default=None))
    speakers = _child(_child(_child(project, "CodeBook"), "Codes"), "Code", guid=guid("code"), name="Speakers", isCodable="false")
    for label in sorted(labels):
        _child(speakers, "Code", guid=guid("code", label), name=label, isCodable="true")
    if guide_codes:  # one code per question of the interview guide, on the answers
        guide = _child(project.find("CodeBook/Codes"), "Code", guid=guid("code", "guide"), name="Interview guide", isCodable="false")
        for code, question in guide_codes.items():
            _child(_child(guide, "Code", guid=guid("code", "guide", code), name=code, isCodable="true"), "Description").text = question
    if any(s.role for t in transcripts for s in t.speakers):
        _child(_child(project, "Variables"), "Variable", guid=guid("variable", "role"), name="Role", typeOfVariable="Text")
    for tag, children in (("Cases", cases), ("Sources", sources)):
        if children:  # the schema wants at least one in each
            _child(project, tag).extend(children)
    ET.indent(project)
    qde = ET.tostring(project, encoding="UTF-8", xml_declaration=True)
    return _archive({"project.qde": qde, **files})


def _text_source(transcript: Transcript, lines: list[tuple[Turn, str]], guid: Guid) -> tuple[ET.Element, dict[str, list[str]]]:
    """The transcript's source with a selection per turn, coded with the turn's speaker
    label, and the selections' GUIDs by speaker id."""
    sha = _identity(transcript)
    created = _xsd_datetime(transcript.provenance.created)
    source_guid = guid(sha, "source")
    source = _element(
        "TextSource",
        guid=source_guid,
        name=recording_stem(transcript),
        plainTextPath=f"internal://{source_guid}.txt",
        creationDateTime=created,
    )
    selections: dict[str, list[str]] = {}
    position = 0
    for index, (turn, line) in enumerate(lines):
        selection = _child(
            source,
            "PlainTextSelection",
            guid=guid(sha, "selection", str(index)),
            startPosition=str(position),
            endPosition=str(position + len(line)),
            creationDateTime=created,
        )
        coding = _child(selection, "Coding", guid=guid(sha, "coding", str(index)), creationDateTime=created)
        _child(coding, "CodeRef", targetGUID=guid("code", turn.label))
        selections.setdefault(turn.speaker, []).append(selection.get("guid"))
        position += len(line) + 1
    return source, selections


def _guide_selections(transcript: Transcript, lines: list[tuple[Turn, str]], source: ET.Element, guid: Guid) -> None:
    """A selection per answer to a guide question (from the turn that asks it up to the
    next such turn), coded with the question's code."""
    if transcript.guide is None:
        return
    sha, created = _identity(transcript), _xsd_datetime(transcript.provenance.created)
    starts, position = [], 0
    for _, line in lines:
        starts.append(position)
        position += len(line) + 1
    for index, match in enumerate(transcript.guide.matches):
        inside = [i for i, (turn, _) in enumerate(lines) if match.start <= turn.start < match.end]
        if not inside:
            continue
        first, last = inside[0], inside[-1]
        selection = _child(source, "PlainTextSelection", guid=guid(sha, "guide", str(index)), name=transcript.guide.questions[match.question].code,
                           startPosition=str(starts[first]), endPosition=str(starts[last] + len(lines[last][1])), creationDateTime=created)
        coding = _child(selection, "Coding", guid=guid(sha, "guide-coding", str(index)), creationDateTime=created)
        _child(coding, "CodeRef", targetGUID=guid("code", "guide", transcript.guide.questions[match.question].code))


def _case(transcript: Transcript, speaker: Speaker, selections: list[str], guid: Guid) -> ET.Element:
    """One speaker of one transcript: their role, the source, the selections of their turns."""
    sha = _identity(transcript)
    case = _element("Case", guid=guid(sha, "case", speaker.id), name=f"{recording_stem(transcript)}: {speaker.label}")
    if speaker.role:
        value = _child(case, "VariableValue")
        _child(value, "VariableRef", targetGUID=guid("variable", "role"))
        _child(value, "TextValue").text = speaker.role
    _child(case, "SourceRef", targetGUID=guid(sha, "source"))
    for selection in selections:
        _child(case, "SelectionRef", targetGUID=selection)
    return case


def _element(tag: str, **attributes: str | None) -> ET.Element:
    """An element (attributes that are None left out)."""
    return ET.Element(tag, {name: value for name, value in attributes.items() if value is not None})


def _child(parent: ET.Element, tag: str, **attributes: str | None) -> ET.Element:
    child = _element(tag, **attributes)
    parent.append(child)
    return child


def _xsd_datetime(created: str) -> str | None:
    """The provenance's ISO 8601 time as an xsd:dateTime in UTC; None when not recorded."""
    if not created:
        return None
    moment = datetime.fromisoformat(created)
    return moment.replace(tzinfo=moment.tzinfo or timezone.utc).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _archive(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name, ARCHIVE_DATE), content, zipfile.ZIP_DEFLATED)
    return out.getvalue()
