"""REFI-QDA projects (.qdpx): valid against the standard's schema, the text of the .txt as
each source, a case per speaker whose coded selections are exactly that speaker's lines,
the same bytes for the same transcripts."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from test_outputs import make_transcript, segment

from transcribe.conventions import conventions_of
from transcribe.export.qdpx import render_qdpx
from transcribe.export.writers import WRITERS, render_text
from transcribe.transcript import Speaker, Transcript

NS = {"q": "urn:QDA-XML:project:1.0"}
SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "refi-qda" / "Project.xsd")))


def norwegian_interview(sha: str = "b" * 64, name: str = "intervju_01.m4a") -> Transcript:
    """An interview with roles from the channel map, a pause, an unclear stretch and æøå."""
    transcript = make_transcript(sha)
    transcript.recording.source_name = name
    transcript.language = "no"
    transcript.speakers = [
        Speaker("SPEAKER_00", "interviewer", channel=0, role="interviewer", role_source="channel-map", role_confidence=1.0),
        Speaker("SPEAKER_01", "participant", channel=1, role="participant", role_source="channel-map", role_confidence=1.0),
    ]
    transcript.segments = [
        segment(2.0, "SPEAKER_00", "Kan du fortelle litt om hverdagen din?"),
        segment(5.0, "SPEAKER_01", "Ja, øh, jeg bor på Ørland og jobber på sjøen."),
        segment(9.0, "SPEAKER_01", "Det er ærlig talt ganske fint."),
        segment(12.0, "SPEAKER_00", "Hva betyr været for deg?"),
        segment(15.0, "SPEAKER_01", "blåst og mørke", probability=0.2),
        segment(16.5, "SPEAKER_01", "Mye, særlig om vinteren."),
        segment(20.0, "SPEAKER_00", "Takk skal du ha."),
    ]
    return transcript


def unpack(content: bytes) -> tuple[etree._Element, dict[str, str]]:
    """The project.qde and the source texts by their path in the archive."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        qde = etree.fromstring(archive.read("project.qde"))
        texts = {name: archive.read(name).decode("utf-8") for name in archive.namelist() if name != "project.qde"}
    return qde, texts


def source_text(source: etree._Element, texts: dict[str, str]) -> str:
    return texts[source.get("plainTextPath").replace("internal://", "sources/", 1)]


def test_the_project_is_valid_against_the_refi_qda_schema_and_names_no_one():
    transcript = norwegian_interview()
    assert "[unclear" in render_text(transcript) and "(" in render_text(transcript)  # the conventions are in the text
    qde, _ = unpack(render_qdpx("study", [transcript]))
    SCHEMA.assertValid(qde)
    assert qde.get("name") == "study" and qde.get("creationDateTime") == "2026-11-22T00:00:00Z"
    assert qde.find("q:Users", NS) is None
    attributes = [value for element in qde.iter() for name, value in element.attrib.items()]
    assert not any("/" in value and not value.startswith("internal://") for value in attributes)  # no paths
    assert not any(name.startswith(("creatingUser", "modifyingUser")) for element in qde.iter() for name in element.attrib)


def test_each_source_is_the_plain_text_of_its_transcript():
    transcripts = [norwegian_interview(), make_transcript()]
    qde, texts = unpack(render_qdpx("study", transcripts))
    sources = qde.findall("q:Sources/q:TextSource", NS)
    assert sorted(texts) == sorted(f"sources/{s.get('guid')}.txt" for s in sources)
    by_name = {s.get("name"): source_text(s, texts) for s in sources}
    assert by_name == {"intervju_01": render_text(transcripts[0], conventions_of(transcripts[0])), "interview": render_text(transcripts[1])}
    assert "jeg bor på Ørland" in by_name["intervju_01"]


def test_each_speakers_case_selects_exactly_their_lines_coded_with_their_label():
    transcript = norwegian_interview()
    qde, texts = unpack(render_qdpx("study", [transcript]))
    (source,) = qde.findall("q:Sources/q:TextSource", NS)
    text = source_text(source, texts)
    selections = {s.get("guid"): s for s in source.iterfind("q:PlainTextSelection", NS)}
    speakers_code = qde.find("q:CodeBook/q:Codes/q:Code", NS)
    assert (speakers_code.get("name"), speakers_code.get("isCodable")) == ("Speakers", "false")
    codes = {c.get("guid"): c.get("name") for c in speakers_code.iterfind("q:Code", NS)}
    assert sorted(codes.values()) == ["interviewer", "participant"]
    (role,) = qde.findall("q:Variables/q:Variable", NS)
    assert (role.get("name"), role.get("typeOfVariable")) == ("Role", "Text")

    lines = render_text(transcript).splitlines()
    cases = qde.findall("q:Cases/q:Case", NS)
    assert [c.get("name") for c in cases] == ["intervju_01: interviewer", "intervju_01: participant"]
    for case, speaker in zip(cases, transcript.speakers):
        assert [r.get("targetGUID") for r in case.iterfind("q:SourceRef", NS)] == [source.get("guid")]
        chosen = [selections[r.get("targetGUID")] for r in case.iterfind("q:SelectionRef", NS)]
        said = [text[int(s.get("startPosition")) : int(s.get("endPosition"))] for s in chosen]
        assert said == [line for line in lines if line.split("] ", 1)[1].startswith(f"{speaker.label}: ")]
        assert [codes[s.find("q:Coding/q:CodeRef", NS).get("targetGUID")] for s in chosen] == [speaker.label] * len(chosen)
        assert case.find("q:VariableValue/q:VariableRef", NS).get("targetGUID") == role.get("guid")
        assert case.findtext("q:VariableValue/q:TextValue", namespaces=NS) == speaker.role
    assert len(selections) == len(lines) == 5  # every turn coded, once


def test_two_transcripts_make_two_sources_and_four_cases_in_any_order():
    first, second = norwegian_interview(), norwegian_interview("c" * 64, "intervju_02.wav")
    second.segments = second.segments[:4]
    content = render_qdpx("study", [second, first])
    assert content == render_qdpx("study", [first, second])
    qde, texts = unpack(content)
    SCHEMA.assertValid(qde)
    assert [s.get("name") for s in qde.iterfind("q:Sources/q:TextSource", NS)] == ["intervju_01", "intervju_02"]
    assert len(qde.findall("q:Cases/q:Case", NS)) == 4 and len(texts) == 2
    assert len(qde.findall("q:CodeBook/q:Codes/q:Code/q:Code", NS)) == 2  # one code per label, shared by the interviews
    guids = [e.get("guid") for e in qde.iter() if e.get("guid")]
    assert len(guids) == len(set(guids))


def test_speakers_without_roles_make_no_variables():
    qde, _ = unpack(render_qdpx("interview", [make_transcript()]))
    SCHEMA.assertValid(qde)
    assert qde.find("q:Variables", NS) is None and qde.find(".//q:VariableValue", NS) is None
    assert sorted(c.get("name") for c in qde.iterfind("q:Cases/q:Case", NS)) == ["interview: SPEAKER_00", "interview: SPEAKER_01"]


def test_the_same_transcripts_give_the_same_bytes():
    content = render_qdpx("study", [norwegian_interview()])
    assert content == render_qdpx("study", [norwegian_interview()])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert {member.date_time for member in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert render_qdpx("another study", [norwegian_interview()]) != content  # GUIDs are the project's own


def test_a_transcript_cannot_be_in_a_project_twice_but_its_recording_can_under_another_name():
    with pytest.raises(ValueError, match="twice"):
        render_qdpx("study", [norwegian_interview(), norwegian_interview()])
    with zipfile.ZipFile(io.BytesIO(render_qdpx("study", [norwegian_interview(), norwegian_interview(name="copy.m4a")]))) as archive:
        assert sum(name.startswith("sources/") for name in archive.namelist()) == 2


def test_the_qdpx_writer_makes_a_project_named_after_the_recording():
    transcript = norwegian_interview()
    writer = WRITERS["qdpx"]()
    content = writer.render(transcript)
    assert writer.suffix == ".qdpx" and content == render_qdpx("intervju_01", [transcript])
    qde, texts = unpack(content)
    SCHEMA.assertValid(qde)
    assert qde.get("name") == "intervju_01"
    assert list(texts.values()) == [render_text(transcript)]
