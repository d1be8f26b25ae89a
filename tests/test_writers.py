"""Output formats from the JSON data model: the coding tools' imports, subtitles to check
a transcript against the recording, and writing formats again without transcribing."""

from __future__ import annotations

import re

import numpy as np
import pytest
from synthetic import write_wav
from test_outputs import make_transcript, segment
from test_reliability import FakePipeline, listing

from transcribe.errors import SettingsError
from transcribe.export.writers import (
    CUE_MAX_CHARS,
    CUE_MAX_S,
    WRITERS,
    parse_formats,
    render_text,
)
from transcribe.pipeline import transcribe_file

SRT_CUE = re.compile(r"(\d+)\n(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})\n(.+)\n")


def seconds(stamp: str) -> float:
    h, m, s = stamp.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def srt_cues(text: str) -> list[tuple[float, float, str]]:
    blocks = text.split("\n\n")
    assert blocks[-1] == ""
    cues = []
    for number, block in enumerate(blocks[:-1], 1):
        found = SRT_CUE.fullmatch(block + "\n")
        assert found and int(found[1]) == number, block
        cues.append((seconds(found[2]), seconds(found[3]), found[4]))
    return cues


def test_subtitles_have_a_cue_per_turn_with_its_speaker_and_times():
    cues = srt_cues(WRITERS["srt"]().render(make_transcript()))
    assert cues == [
        (5.2, 6.05, "SPEAKER_00: How are you?"),
        (8.0, 10.05, "SPEAKER_01: Um, fine, thanks. (.) And you?"),
        (3723.0, 3723.25, "SPEAKER_00: Good."),
    ]
    vtt = WRITERS["vtt"]().render(make_transcript())
    assert vtt.startswith("WEBVTT\n\n00:00:05.200 --> 00:00:06.050\n<v SPEAKER_00>How are you?\n\n")


def test_a_long_turn_is_cut_into_cues_that_keep_every_word_in_order():
    transcript = make_transcript()
    long_text = " ".join(f"word{i}" for i in range(60))  # 18 s at 0.3 s a word
    transcript.segments = [segment(10.0, "SPEAKER_00", long_text)]
    cues = srt_cues(WRITERS["srt"]().render(transcript))
    assert len(cues) >= 3
    assert " ".join(text.removeprefix("SPEAKER_00: ") for *_, text in cues) == long_text
    for start, end, text in cues:
        assert end - start <= CUE_MAX_S + 0.3 and len(text) <= len("SPEAKER_00: ") + CUE_MAX_CHARS + 8
    assert [c[0] for c in cues] == sorted(c[0] for c in cues)


def test_vtt_escapes_what_would_be_read_as_markup():
    transcript = make_transcript()
    transcript.speakers[0].label = "<b>interviewer"
    transcript.segments = [segment(1.0, "SPEAKER_00", "a <i> & b")]
    assert "<v &lt;b&gt;interviewer>a &lt;i&gt; &amp; b\n" in WRITERS["vtt"]().render(transcript)


def test_nvivo_rows_are_tab_separated_with_timespans_and_keep_norwegian_letters():
    transcript = make_transcript()
    transcript.segments.insert(3, segment(20.0, "SPEAKER_00", "Jeg bor på Ørland,\tog\ter glad."))
    text = WRITERS["nvivo"]().render(transcript)
    assert text.startswith("\ufeffTimespan\tSpeaker\tContent\n")  # the BOM: Windows reads it as UTF-8
    rows = text.removeprefix("\ufeff").splitlines()
    assert all(row.count("\t") == 2 for row in rows)
    assert rows[1] == "00:00:05.2 - 00:00:06.0\tSPEAKER_00\tHow are you?"
    assert rows[3].startswith("00:00:20.0 - 01:02:03.2\tSPEAKER_00\tJeg bor på Ørland, og er glad. (")


def test_maxqda_paragraphs_start_with_the_speaker_and_end_with_an_f4_time_mark():
    paragraphs = WRITERS["maxqda"]().render(make_transcript()).removeprefix("\ufeff").split("\n\n")
    assert paragraphs[:3] == [
        "SPEAKER_00: How are you? #00:00:06-0#",
        "SPEAKER_01: Um, fine, thanks. (.) And you? #00:00:10-0#",
        "SPEAKER_00: Good. #01:02:03-2#",
    ]


def test_formats_are_checked_and_the_json_is_always_written():
    assert parse_formats("srt, VTT,srt") == ("json", "srt", "vtt")
    assert parse_formats("") == ("json",)
    with pytest.raises(SettingsError, match="unknown output format 'pdf'"):
        parse_formats("txt,pdf")


def test_formats_asked_for_later_are_written_from_the_json_without_transcribing(tmp_path):
    source = tmp_path / "interview.wav"
    write_wav(source, 0.3 * np.sin(np.arange(16000) / 5))
    out = tmp_path / "out"
    first = transcribe_file(FakePipeline(), source, out)
    pipeline = FakePipeline()
    again = transcribe_file(pipeline, source, out, formats=("txt", "srt", "nvivo"))
    assert again.status == "skipped" and pipeline.calls == 0
    assert again.rebuilt == ["interview.srt", "interview.nvivo.txt"]
    assert listing(out) == ["interview.json", "interview.nvivo.txt", "interview.srt", "interview.txt"]  # no quality report made
    assert (out / "interview.txt").read_text() == render_text(first.transcript)


def test_the_export_command_writes_formats_of_existing_transcripts(tmp_path, capsys):
    from transcribe.cli import main
    from transcribe.export.outputs import output_paths, write_transcript

    paths = output_paths(tmp_path, tmp_path / "interview.wav")
    write_transcript(make_transcript(), paths)
    assert main(["export", str(paths["json"]), "--formats", "vtt,maxqda,docx", "-o", str(tmp_path / "coding")]) == 0
    assert capsys.readouterr().out == "interview.json: wrote interview.vtt, interview.maxqda.txt, interview.docx\n"
    assert listing(tmp_path / "coding") == ["interview.docx", "interview.maxqda.txt", "interview.vtt"]
    assert main(["export", str(paths["json"]), "--formats", "vtt,maxqda,docx", "-o", str(tmp_path / "coding")]) == 0
    assert capsys.readouterr().out == "interview.json: up to date\n"
    assert main(["export", str(tmp_path / "missing.json"), "--formats", "srt"]) == 13


@pytest.mark.slow
def test_every_format_of_the_sample_call_keeps_its_words(sample_transcript):
    """The real call's transcript: subtitles and coding-tool imports carry the very text
    of the .txt, turn by turn."""
    text_turns = [line.split(": ", 1)[1] for line in render_text(sample_transcript).splitlines()]
    srt = " ".join(t.split(": ", 1)[1] for *_, t in srt_cues(WRITERS["srt"]().render(sample_transcript)))
    assert srt == " ".join(text_turns)
    nvivo = [row.split("\t")[2] for row in WRITERS["nvivo"]().render(sample_transcript).splitlines()[1:]]
    assert nvivo == text_turns
    maxqda = WRITERS["maxqda"]().render(sample_transcript).removeprefix("\ufeff").split("\n\n")[:-1]
    assert [re.sub(r"^[^:]+: | #\d\d:\d\d:\d\d-\d#$", "", p) for p in maxqda] == text_turns


def test_the_word_document_has_a_paragraph_per_turn_and_marks_unclear_words():
    import io

    from docx import Document

    transcript = make_transcript()
    transcript.segments.insert(3, segment(20.0, "SPEAKER_00", "mumbled words here", probability=0.1))
    content = WRITERS["docx"]().render(transcript)
    assert content == WRITERS["docx"]().render(transcript)  # the same bytes: a rerun sees it is up to date
    paragraphs = [p for p in Document(io.BytesIO(content)).paragraphs if p.text]
    assert [p.text for p in paragraphs] == render_text(transcript).splitlines()
    assert all(p.runs[0].bold and p.runs[0].text.endswith(": ") for p in paragraphs)
    italic = [r.text.strip() for p in paragraphs for r in p.runs if r.italic]
    assert italic == ["[unclear 00:00:20: mumbled words here]"]
