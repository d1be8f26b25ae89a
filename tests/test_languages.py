"""Languages: Norwegian told from English, Nynorsk kept apart when asked, turns labelled."""

from __future__ import annotations

import pytest

from transcribe.asr.languages import (
    decide,
    fold_probabilities,
    needs_decoding,
    normalize_language,
    switch_candidate,
)
from transcribe.conventions import Conventions
from transcribe.errors import SettingsError
from transcribe.export.writers import render_text
from transcribe.settings import Settings
from transcribe.transcript import Provenance, Recording, Segment, Speaker, Transcript


@pytest.mark.parametrize("written, code", [("nb", "no"), ("Bokmål", "no"), ("norwegian", "no"), ("NO", "no"),
                                           ("nynorsk", "nn"), ("nn", "nn"), ("English", "en")])
def test_language_names_researchers_write_are_understood(written, code):
    assert normalize_language(written) == code


def test_unknown_languages_are_refused():
    with pytest.raises(SettingsError, match="unknown language 'klingon'"):
        Settings(languages=("en", "klingon"))


def test_nynorsk_is_kept_apart_only_when_the_study_lists_it():
    whisper = {"en": 0.1, "no": 0.5, "nn": 0.3, "da": 0.1}
    assert fold_probabilities(whisper, ["en", "no"]) == pytest.approx({"en": 0.1 / 0.9, "no": 0.8 / 0.9})
    assert fold_probabilities(whisper, ["en", "no", "nn"]) == pytest.approx({"en": 0.1 / 0.9, "no": 0.5 / 0.9, "nn": 0.3 / 0.9})
    assert fold_probabilities(whisper, ["en", "nn"]) == pytest.approx({"en": 0.1 / 0.9, "nn": 0.8 / 0.9})
    assert set(fold_probabilities(whisper, ["en", "no"])) == {"en", "no"}  # never Danish


def test_an_unsure_detector_defers_to_how_well_each_language_decodes():
    assert decide({"en": 0.95, "no": 0.05}, {"en": -2.0, "no": -0.5}) == "en"  # sure: the detector decides
    assert needs_decoding({"en": 0.6, "no": 0.4}) and not needs_decoding({"en": 0.95, "no": 0.05})
    assert decide({"en": 0.6, "no": 0.4}, {"en": -1.3, "no": -0.9}) == "no"


def test_only_long_turns_the_detector_is_sure_of_may_switch_language():
    assert switch_candidate({"en": 0.95, "no": 0.05}, "no", duration=5.0) == "en"
    assert switch_candidate({"en": 0.95, "no": 0.05}, "no", duration=2.0) is None  # a quoted term
    assert switch_candidate({"en": 0.7, "no": 0.3}, "no", duration=5.0) is None
    assert switch_candidate({"en": 0.1, "no": 0.9}, "no", duration=5.0) is None


def test_a_turn_in_another_language_is_marked_where_the_language_changes():
    segments = [Segment(0, 2, "A", "Hei og velkommen.", language="no"),
                Segment(3, 5, "B", "Thank you.", language="en"), Segment(5.5, 7, "B", "It is good.", language="en"),
                Segment(8, 9, "B", "Takk.", language="no")]
    transcript = Transcript(Recording("x.wav", "0" * 64, 9.0, 1, 16000), "no", [Speaker("A", "A"), Speaker("B", "B")],
                            segments, Provenance("0", "now"))
    assert render_text(transcript, Conventions()).splitlines()[1] == \
        "[00:00:03] B: [in English] Thank you. It is good. [in Norwegian] Takk."
    assert "[in" not in render_text(transcript, Conventions(style="clean"))


@pytest.mark.slow
def test_a_norwegian_interview_is_detected_as_norwegian(store, tmp_path):
    """Restricted to en,no the answer is one of the two; on synthetic Norwegian speech it
    is Norwegian, although Whisper base's detector alone leans to English."""
    from scripts import (
        INTERVIEWER,
        NORWEGIAN_FILLER_CALL,
        NORWEGIAN_FILLER_PHONEMES,
        NORWEGIAN_VOICES,
        PARTICIPANT,
    )
    from synthetic import build_dialogue, telephone_stereo, with_fillers

    from transcribe.pipeline import Pipeline

    spoken, _ = with_fillers(NORWEGIAN_FILLER_CALL, NORWEGIAN_FILLER_PHONEMES)
    tracks, _, _ = build_dialogue(spoken, NORWEGIAN_VOICES, tmp_path)
    path = telephone_stereo(tracks[INTERVIEWER], tracks[PARTICIPANT], tmp_path / "norsk.wav")
    transcript = Pipeline(Settings(model="base", device="cpu", languages=("en", "no"), style="clean"), store=store).transcribe(path)
    evidence = transcript.provenance.settings["language_detection"]
    print(f"detector {evidence['probabilities']}, decoding {evidence.get('decoding_logprob')}")
    assert transcript.language == "no"
    assert {s.language for s in transcript.segments} <= {"en", "no"}


@pytest.mark.slow
def test_a_turn_in_another_language_is_labelled_turn_by_turn(store, tmp_path):
    from synthetic import build_dialogue, telephone_stereo

    from transcribe.pipeline import Pipeline

    voices = {"interviewer": "en-us+m3", "participant": "en-gb+f3", "participant-es": "es+f3"}
    script = [
        ("interviewer", "Thank you for taking the time to talk with me today about the clinic", 0.0),
        ("participant", "You are welcome, I am happy to help with the study", 0.6),
        ("interviewer", "Could you tell me what your mother said about the nurses", 0.5),
        ("participant-es", "Ella dijo que las enfermeras siempre fueron amables y se tomaron mucho tiempo con ella", 0.7),
        ("interviewer", "And what did she think of the doctors", 0.6),
        ("participant", "She said they were kind but always in a hurry", 0.6),
        ("interviewer", "That is useful to know, thank you", 0.6),
    ]
    tracks, truth, _ = build_dialogue(script, voices, tmp_path)
    path = telephone_stereo(tracks["interviewer"], tracks["participant"] + tracks["participant-es"], tmp_path / "switch.wav")
    transcript = Pipeline(Settings(model="base", device="cpu", languages=("en", "es")), store=store).transcribe(path)
    spanish = next(u for u in truth if u.speaker == "participant-es")
    labelled = [(s.language, s.start < spanish.end and s.end > spanish.start) for s in transcript.segments]
    assert transcript.language == "en"
    assert labelled and all(language == ("es" if inside else "en") for language, inside in labelled), labelled
    assert "[in Spanish]" in render_text(transcript, Conventions())


@pytest.mark.slow
def test_a_turn_surely_in_a_language_the_study_did_not_list_is_kept_in_it_never_translated(pipeline, tmp_path):
    """With the default languages (en,no), a German answer is transcribed in German and
    marked `[in German]`: decoded with the English token, Whisper writes an English
    paraphrase of it ("My mother-in-law, we can't contribute...")."""
    from synthetic import build_dialogue, telephone_stereo

    voices = {"interviewer": "en-us+m3", "participant": "en-gb+f3", "participant-de": "de+f5"}
    script = [
        ("interviewer", "Thank you for taking the time to talk with me today about the clinic", 0.0),
        ("participant", "You are welcome, I am happy to help with the study", 0.6),
        ("interviewer", "Could you tell me what your mother said about the nurses", 0.5),
        ("participant-de", "Meine Mutter sagt, die Krankenschwestern waren immer sehr freundlich und haben sich viel "
         "Zeit für sie genommen. Die Ärzte dagegen hatten nie Zeit, und sie hat die Briefe aus dem Krankenhaus "
         "nicht verstanden.", 0.7),
        ("interviewer", "And what did she think of the doctors", 0.6),
    ]
    tracks, truth, _ = build_dialogue(script, voices, tmp_path)
    path = telephone_stereo(tracks["interviewer"], tracks["participant"] + tracks["participant-de"], tmp_path / "german.wav")
    transcript = pipeline.transcribe(path)
    german = next(u for u in truth if u.speaker == "participant-de")
    inside = [s for s in transcript.segments if s.start < german.end - 1 and s.end > german.start + 1]
    assert transcript.language == "en"
    assert inside and all(s.language == "de" for s in inside), [(s.language, s.start, s.end) for s in transcript.segments]
    assert all(s.language == "en" for s in transcript.segments if s not in inside)
    said = {w.text.strip(".,").lower() for s in inside for w in s.words}
    assert len(said & {"meine", "mutter", "und", "haben", "zeit", "nicht", "krankenhaus", "hatten"}) >= 4, said
    assert "[in German]" in render_text(transcript, Conventions())
