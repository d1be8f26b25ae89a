"""Correcting a transcript: the review page as an editor (in Debian's Chromium), the
corrections file it saves, and `transcribe corrections apply`: exactly the changes made,
timings kept elsewhere, the transcript before kept, formats and hand-off redone, and the
corrections applied again after the recording is transcribed anew."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np
import pytest
from synthetic import write_wav
from test_format_choices import AssessedPipeline
from test_outputs import make_transcript
from test_review_page import open_page

from transcribe import cli
from transcribe.conventions import conventions_of
from transcribe.correct.apply import correct_file
from transcribe.correct.corrections import (
    Corrections,
    Edit,
    apply_corrections,
    read_corrections,
)
from transcribe.errors import CorrectionsFileError
from transcribe.export._review_page import render_review_page
from transcribe.export._turns import turns_of
from transcribe.export.outputs import read_transcript
from transcribe.transcript import SCHEMA_VERSION, Transcript


def edit(transcript: Transcript, op: str, ids: list[str], **more) -> Edit:
    """An edit as the page makes it: the words' ids, what they said and where."""
    index = {f"{i}.{j}": w for i, s in enumerate(transcript.segments) for j, w in enumerate(s.words)}
    return Edit(op, tuple(ids), tuple(index[i].text for i in ids), index[ids[0]].start, **more)


def corrected(transcript: Transcript, *edits: Edit, made_from: Transcript | None = None):
    made_from = made_from or transcript
    corrections = Corrections("interview.json", made_from.fingerprint(), "2026-11-30T10:00:00Z", list(edits))
    return apply_corrections(transcript, corrections, "f" * 64)


def turns(transcript: Transcript) -> list[str]:
    return [f"{t.label}: {t.text}" for t in turns_of(transcript, conventions_of(transcript))]


def timings(transcript: Transcript) -> dict[str, tuple[float, float]]:
    return {w.text: (w.start, w.end) for s in transcript.segments for w in s.words}


def test_an_edited_word_takes_the_time_of_the_word_it_replaced_and_nothing_else_moves():
    transcript = make_transcript()
    before = timings(transcript)
    outcome = corrected(transcript, edit(transcript, "words", ["1.1"], text="fine, really,"))
    assert (outcome.applied, outcome.not_applied) == (1, [])
    assert turns(transcript)[1] == "SPEAKER_01: Um, fine, really, thanks. (.) And you?"
    new = {w.text: w for w in transcript.segments[1].words}
    assert before["fine,"][0] == new["fine,"].start < new["really,"].start < new["really,"].end == before["fine,"][1]
    assert new["really,"].probability == 1.0  # heard by the researcher
    assert {k: v for k, v in timings(transcript).items() if k not in ("fine,", "really,")} == {k: v for k, v in before.items() if k != "fine,"}
    record = transcript.corrections[0]
    assert (record.edits, record.applied_edits, record.words_before, record.words_changed) == (1, 1, 9, 2)


def test_words_given_to_the_other_speaker_become_a_turn_of_theirs():
    transcript = make_transcript()
    corrected(transcript, edit(transcript, "speaker", ["1.1", "1.2"], speaker="SPEAKER_00"))
    assert turns(transcript) == ["SPEAKER_00: How are you?", "SPEAKER_01: Um,", "SPEAKER_00: fine, thanks.",
                                 "SPEAKER_01: And you?", "SPEAKER_00: Good."]


def test_a_turn_is_split_at_a_word_and_joined_again_or_to_the_other_speakers_turn():
    transcript = make_transcript()
    corrected(transcript, edit(transcript, "split", ["1.2"]))
    assert turns(transcript)[1:3] == ["SPEAKER_01: Um, fine,", "SPEAKER_01: thanks. (.) And you?"]
    split = copy.deepcopy(transcript)
    corrected(split, edit(split, "merge", ["2.0"]))
    assert turns(split)[1] == "SPEAKER_01: Um, fine, thanks. (.) And you?"
    joined = make_transcript()
    corrected(joined, edit(joined, "merge", ["1.0"]))
    assert turns(joined) == ["SPEAKER_00: How are you? (2.0) Um, fine, thanks. (.) And you? (3712.9) Good."]


def test_words_are_marked_unclear_or_heard_as_written():
    transcript = make_transcript()
    corrected(transcript, edit(transcript, "unclear", ["0.1"], unclear=True), edit(transcript, "unclear", ["1.0"], unclear=False))
    assert transcript.segments[0].words[1].probability == 0.0 and transcript.segments[1].words[0].probability == 1.0
    assert turns(transcript)[0] == "SPEAKER_00: How [unclear 00:00:05: are] you?"


def test_later_edits_follow_the_words_an_earlier_edit_put_in_place():
    transcript = make_transcript()
    corrected(transcript, edit(transcript, "words", ["1.1"], text="fine, really,"), edit(transcript, "speaker", ["1.1", "1.2"], speaker="SPEAKER_00"))
    assert turns(transcript)[2] == "SPEAKER_00: fine, really, thanks."


def test_on_a_transcript_made_again_edits_apply_where_the_words_still_align_and_the_rest_are_listed():
    original = make_transcript()
    remade = make_transcript()
    for segment in remade.segments:  # another model: every word a little later, one word heard otherwise
        for word in segment.words:
            word.start, word.end = word.start + 0.4, word.end + 0.4
    remade.segments[0].words[1].text = "were"
    remade.segments[0].set_words(remade.segments[0].words)
    outcome = corrected(remade, edit(original, "words", ["0.1"], text="art"), edit(original, "words", ["1.1"], text="fine, really,"),
                        made_from=original)
    assert outcome.applied == 1 and outcome.not_applied == [pytest.approx(5.5)]
    assert turns(remade)[1].startswith("SPEAKER_01: Um, fine, really, thanks.")


@pytest.mark.parametrize("content, says", [
    ("not json", "cannot be read as a corrections file"),
    ('{"format": "something else"}', "is not a corrections file (save one from the review page)"),
    ('{"format": "transcribe-corrections", "version": 9}', "of version 9; this transcribe reads 1"),
    ('{"format": "transcribe-corrections", "version": 1, "transcript": "a.json", "fingerprint": "x", "edits": [{"op": "shout", "ids": ["0.0"], "start": 1}]}',
     "edit 1 has an unknown operation 'shout'"),
    ('{"format": "transcribe-corrections", "version": 1, "transcript": "a.json", "fingerprint": "x", "edits": [{"op": "words"}]}',
     "edit 1 is incomplete"),
])
def test_a_bad_corrections_file_says_what_is_wrong(tmp_path, content, says):
    path = tmp_path / "a.corrections.json"
    path.write_text(content)
    with pytest.raises(CorrectionsFileError, match=re.escape(says)):
        read_corrections(path)


def test_transcripts_of_schema_4_are_read_without_corrections():
    data = make_transcript().to_dict()
    data["schema_version"] = 4
    del data["corrections"]
    for segment in data["segments"]:
        del segment["turn_start"]
    transcript = Transcript.from_dict(data)
    assert transcript.corrections == [] and transcript.schema_version == SCHEMA_VERSION == 5


# --- the command line, in a study with a hand-off -----------------------------------------


@pytest.fixture
def study_run(tmp_path, monkeypatch):
    """A recording transcribed (fake pipeline) into study `calls`, pseudonymized and handed off."""
    import transcribe.pipeline

    words = "My name is Kari Nordmann and I work at the clinic."
    monkeypatch.setattr(transcribe.pipeline, "Pipeline", lambda settings, store: AssessedPipeline(words, segments=2))
    recording = write_wav(tmp_path / "interview.wav", 0.3 * np.sin(np.arange(16000 * 3) / 5))
    (tmp_path / "key.yaml").write_text("ner: none\npeople: [Kari Nordmann]\n")
    out = tmp_path / "out"
    args = ["run", str(recording), "-o", str(out), "-q", "--study", "calls", "--pseudonymize", "--key", str(tmp_path / "key.yaml")]
    assert cli.main(args) == 0
    return out, args


def save_corrections(raw: Path, *make) -> Path:
    transcript = read_transcript(raw)
    path = raw.parent.parent.parent.parent / "downloads" / f"{raw.stem}.corrections.json"
    path.parent.mkdir(exist_ok=True)
    edits = [m(transcript) for m in make]
    path.write_text(json.dumps({"format": "transcribe-corrections", "version": 1, "transcript": raw.name,
                                "fingerprint": transcript.fingerprint(), "saved": "2026-11-30T10:00:00Z",
                                "edits": [e.__dict__ for e in edits]}))
    return path


def test_corrections_apply_redoes_the_formats_and_the_hand_off_and_survive_a_new_transcription(study_run, capsys):
    out, run_args = study_run
    raw = out / "calls" / "restricted" / "raw" / "interview.json"
    assert (raw.parent / "interview.html").is_file()  # the page to correct it on, beside it
    before = read_transcript(raw)
    path = save_corrections(raw, lambda t: edit(t, "words", ["0.10"], text="hospital."),
                            lambda t: edit(t, "speaker", ["1.0", "1.1", "1.2"], speaker="SPEAKER_00"))
    capsys.readouterr()
    assert cli.main(["corrections", "apply", str(path), "-o", str(out), "--study", "calls"]) == 0
    printed = capsys.readouterr().out
    assert "interview.json: 2 of 2 corrections applied (18.2 words per 100 changed)" in printed  # 4 of 22 words
    assert "study calls: 18.18 words per 100 corrected, over 1 corrected transcript" in printed
    after = read_transcript(raw)
    assert [s.text for s in after.segments] == ["My name is Kari Nordmann and I work at the hospital.",
                                               "My name is", "Kari Nordmann and I work at the clinic."]
    assert after.segments[1].speaker == "SPEAKER_00"
    every = [w for s in before.segments for w in s.words]
    unchanged = every[:10] + every[11:]
    assert [(w.start, w.end) for w in unchanged] == [(w.start, w.end) for s in after.segments for w in s.words if w.text != "hospital."]
    assert after.quality.corrected_per_100_words == 18.18
    assert "hospital." in (raw.parent / "interview.txt").read_text()
    assert "Corrected by the researcher: 18.18 words per 100" in (raw.parent / "interview.quality.txt").read_text()
    assert len(list((raw.parent / "previous").glob("interview.*.json"))) == 1
    [handed] = [p for p in (out / "calls" / "handoff").glob("*.json")]
    handed_text = handed.read_text()
    assert "hospital." in handed_text and "Kari" not in handed_text
    # A new transcription (forced) applies the corrections again where the words still align.
    assert cli.main([*run_args, "--force"]) == 0
    again = read_transcript(raw)
    assert [s.text for s in again.segments][0].endswith("the hospital.") and again.segments[1].speaker == "SPEAKER_00"
    assert not [w for w in again.warnings if "correction" in w]


def test_a_corrections_file_of_the_pseudonymized_page_or_of_another_transcript_is_refused(study_run, capsys):
    out, _ = study_run
    [handed] = list((out / "calls" / "handoff").glob("*.json"))
    wrong = out.parent / "wrong.corrections.json"
    wrong.write_text(json.dumps({"format": "transcribe-corrections", "version": 1, "transcript": "nobody.json", "fingerprint": "x", "edits": []}))
    assert cli.main(["corrections", "apply", str(wrong), "-o", str(out), "--study", "calls"]) == 17
    assert "wrong.corrections.json corrects nobody.json, which is not in raw/" in capsys.readouterr().err
    with pytest.raises(CorrectionsFileError, match="is pseudonymized"):
        path = save_corrections(handed, lambda t: edit(t, "unclear", ["0.0"], unclear=True))
        correct_file(path, handed.parent)


# --- the page, in a real browser -----------------------------------------------------------


def word(page, text: str):
    return page.locator(".w", has_text=text).first


def open_editor(browser, folder: Path, transcript: Transcript):
    """The raw transcript, its recording and its review page in `folder`, the page opened
    in a browser context that takes downloads: (the JSON's path, context, page, the
    page's requests, its errors)."""
    stem = Path(transcript.recording.source_name).stem
    raw = folder / f"{stem}.json"
    raw.write_text(json.dumps(transcript.to_dict()))
    write_wav(folder / transcript.recording.source_name, 0.2 * np.sin(np.arange(int(transcript.segments[-1].end + 2) * 16000) / 5))
    page_file = folder / f"{stem}.html"
    page_file.write_text(render_review_page(transcript), encoding="utf-8")
    context = browser.new_context(accept_downloads=True)
    return (raw, context, *open_page(context, page_file))


def test_on_the_page_a_word_is_edited_a_speaker_reassigned_a_turn_split_kept_over_a_reload_and_saved(browser, tmp_path):
    transcript = make_transcript()
    transcript.segments = transcript.segments[:3]  # an 11-second recording
    raw, context, page, requests, errors = open_editor(browser, tmp_path, transcript)
    word(page, "fine,").click()
    page.keyboard.press("e")
    page.locator("main input").fill("fine, really,")
    page.keyboard.press("Enter")
    word(page, "Um,").click()
    page.keyboard.press("s")  # to the speaker chosen: the other one
    word(page, "And").click()
    page.keyboard.press("t")
    assert page.locator(".status").inner_text().startswith("3 corrections")
    page.screenshot(path=str(tmp_path / "editor.png"), full_page=True)
    page.reload()
    assert "3 corrections restored" in page.locator(".status").inner_text()
    assert page.locator(".w.edited").inner_text() == "fine, really,"
    with page.expect_download() as download:
        page.keyboard.press("Control+s")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "interview.corrections.json"
    assert errors == [] and all(url.startswith("file://") for url in requests), (errors, requests)  # nothing sent anywhere
    context.close()
    done = correct_file(saved, tmp_path)
    assert (done.outcome.applied, done.outcome.not_applied) == (3, [])
    after = read_transcript(raw)
    assert turns(after) == ["SPEAKER_00: How are you? (2.0) Um,", "SPEAKER_01: fine, really, thanks.", "SPEAKER_01: And you?"]
    before = timings(transcript)
    assert {k: v for k, v in timings(after).items() if k not in ("fine,", "really,")} == {k: v for k, v in before.items() if k != "fine,"}


def test_the_page_of_a_pseudonymized_transcript_is_read_only():
    from transcribe.transcript import StageRecord

    transcript = make_transcript()
    editable = render_review_page(transcript)
    transcript.stages.append(StageRecord("pseudonymize", "a" * 64))
    handed = render_review_page(transcript)
    assert 'data-do="save"' in editable and '"editable": true' in editable
    assert 'data-do="save"' not in handed and '"editable": false' in handed
    assert "correct the transcript on its page in the study's restricted folder" in handed
