"""Verbatim conventions on real speech: fillers kept, overlapping backchannels attributed."""

from __future__ import annotations

import pytest

from transcribe.conventions import Conventions
from transcribe.diarize.diarization import Turn, mark_overlapping, overlapping_speech
from transcribe.export.writers import render_text
from transcribe.quality.metrics import filler_recall, normalize, spoken_text, wer
from transcribe.transcript import (
    Overlap,
    Provenance,
    Recording,
    Segment,
    Speaker,
    Transcript,
    Word,
)


@pytest.fixture(scope="module")
def filler_call(tmp_path_factory):
    from scripts import (
        ENGLISH_FILLER_CALL,
        ENGLISH_FILLER_PHONEMES,
        ENGLISH_VOICES,
        INTERVIEWER,
        PARTICIPANT,
    )
    from synthetic import build_dialogue, telephone_stereo, with_fillers

    workdir = tmp_path_factory.mktemp("fillers")
    spoken, reference = with_fillers(ENGLISH_FILLER_CALL, ENGLISH_FILLER_PHONEMES)
    tracks, _, _ = build_dialogue(spoken, ENGLISH_VOICES, workdir)
    path = telephone_stereo(tracks[INTERVIEWER], tracks[PARTICIPANT], workdir / "fillers.wav")
    return path, " ".join(line for _, line, _ in reference)


def _rendered_words(store, path, style: str) -> str:
    from transcribe.pipeline import Pipeline
    from transcribe.settings import Settings

    settings = Settings(model="base", device="cpu", language="en", style=style)
    return spoken_text(render_text(Pipeline(settings, store=store).transcribe(path), settings.conventions))


@pytest.mark.slow
def test_verbatim_keeps_spoken_fillers_and_clean_keeps_none(store, filler_call):
    path, reference = filler_call
    verbatim, clean = _rendered_words(store, path, "verbatim"), _rendered_words(store, path, "clean")
    kept, total = filler_recall(reference, verbatim)
    kept_clean, _ = filler_recall(reference, clean)
    wer_verbatim, wer_clean = wer(reference, verbatim), wer(reference, clean)
    print(f"fillers kept: verbatim {kept}/{total}, clean {kept_clean}/{total}; WER verbatim {wer_verbatim:.3f}, clean {wer_clean:.3f}")
    assert total == 12
    assert kept / total >= 0.7, verbatim
    assert kept_clean == 0 and not any(w in clean.lower().split() for w in ("um", "uh", "er")), clean
    assert wer_verbatim <= wer_clean + 0.03


def test_filler_recall_counts_fillers_in_place():
    assert filler_recall("so um I think uh yes", "So, um, I think, uh, yes.") == (2, 2)
    assert filler_recall("so um I think uh yes", "So, I think, er, yes.") == (1, 2)  # "er" for "uh" still a hesitation
    assert filler_recall("so um I think", "So I think, um") == (0, 1)  # in the wrong place
    assert "um" not in normalize("So, um, I think, eh, yes")  # plain WER ignores fillers


@pytest.mark.slow
def test_an_overlapping_backchannel_is_attributed_to_the_other_speaker(store, tmp_path):
    from scripts import ENGLISH_VOICES, INTERVIEWER, PARTICIPANT
    from synthetic import build_dialogue, telephone_stereo

    from transcribe.pipeline import Pipeline
    from transcribe.settings import Settings

    script = [
        (INTERVIEWER, "After the operation the nurses called you every week to ask how the wound was healing", 0.0),
        (PARTICIPANT, "yes I remember that well", -2.5),  # said over the interviewer's last words
        (PARTICIPANT, "It was every Tuesday", 0.8),
    ]
    tracks, truth, _ = build_dialogue(script, ENGLISH_VOICES, tmp_path)
    backchannel = truth[1]
    assert 1.3 <= backchannel.end - backchannel.start <= 1.8 and backchannel.end < truth[0].end
    path = telephone_stereo(tracks[INTERVIEWER], tracks[PARTICIPANT], tmp_path / "backchannel.wav")
    settings = Settings(model="base", device="cpu", language="en", channel_map={"left": "interviewer"})
    transcript = Pipeline(settings, store=store).transcribe(path)
    labels = {s.id: s.label for s in transcript.speakers}
    said_over = [s for s in transcript.segments if s.start < backchannel.end and s.end > backchannel.start and s.overlap]
    assert [labels[s.speaker] for s in said_over] == ["participant"], transcript.segments
    assert "remember" in normalize(said_over[0].text)
    interviewer_words = " ".join(s.text for s in transcript.segments if labels[s.speaker] == "interviewer")
    assert "remember" not in normalize(interviewer_words)
    assert any(o.start < backchannel.end and o.end > backchannel.start for o in transcript.overlaps)
    lines = render_text(transcript).splitlines()
    assert any(line.split("] ", 1)[1].startswith("participant: [overlap] ") for line in lines), lines


def _transcript(segments, overlaps) -> Transcript:
    speakers = [Speaker("SPEAKER_00", "interviewer"), Speaker("SPEAKER_01", "participant")]
    return Transcript(Recording("x.wav", "0" * 64, 30.0, 1, 16000), "en", speakers, segments, Provenance("0", "now"), overlaps=overlaps)


def test_overlaps_come_from_simultaneous_speakers_and_flag_what_was_said_over():
    regions = [Turn(0, 10, "SPEAKER_00"), Turn(4, 5.5, "SPEAKER_01"), Turn(9.9, 12, "SPEAKER_01")]
    overlaps = overlapping_speech(regions)
    assert overlaps == [Overlap(4, 5.5, ["SPEAKER_00", "SPEAKER_01"])]  # 0.1 s at the hand-over is not overlap
    segments = [
        Segment(0.0, 10.0, "SPEAKER_00", "a long question", [Word(0.0, 10.0, "question", 0.9)]),
        Segment(4.1, 5.4, "SPEAKER_01", "mm-hmm", [Word(4.1, 5.4, "mm-hmm", 0.9)]),
    ]
    mark_overlapping(segments, overlaps)
    assert [s.overlap for s in segments] == [False, True]
    text = render_text(_transcript(segments, overlaps))
    assert "[00:00:04] participant: [overlap] mm-hmm" in text
    assert "[overlap]" not in render_text(_transcript(segments, overlaps), Conventions(style="clean"))


def test_overlapping_speech_nobody_transcribed_is_marked_under_its_speaker():
    segments = [Segment(0.0, 10.0, "SPEAKER_00", "a long answer", [Word(0.0, 10.0, "answer", 0.9)])]
    text = render_text(_transcript(segments, [Overlap(6.0, 7.5, ["SPEAKER_00", "SPEAKER_01"])]))
    assert "[00:00:06] participant: [overlapping speech 00:00:06, not transcribed]" in text


def test_islands_are_stretches_of_sound_split_at_silences():
    import numpy as np

    from transcribe.asr._filler_pass import islands

    rate = 16000
    rng = np.random.default_rng(0)
    signal = rng.normal(0, 1e-4, rate * 3)  # line noise
    for start, end in [(0.2, 0.6), (0.65, 0.9), (1.5, 1.9), (2.5, 2.55)]:  # the 50 ms gap is one island
        a, b = int(start * rate), int(end * rate)
        signal[a:b] += np.sin(np.arange(b - a) * 0.2) * 0.3
    found = [(round(i.start, 2), round(i.end, 2)) for i in islands(signal, rate, floor_db=-80.0)]
    assert len(found) == 2  # the 50 ms blip at 2.5 s is too short to be a hesitation
    assert found[0][0] == pytest.approx(0.2, abs=0.03) and found[0][1] == pytest.approx(0.9, abs=0.03)
    assert found[1][0] == pytest.approx(1.5, abs=0.03) and found[1][1] == pytest.approx(1.9, abs=0.03)


def test_an_island_a_stretched_word_swallowed_is_unexplained_and_the_filler_goes_in_before_it():
    from transcribe.asr._filler_pass import (
        Island,
        filler_word,
        insert_filler,
        unexplained,
    )

    found = [Island(0.0, 0.25), Island(0.48, 0.78), Island(0.98, 1.22), Island(1.38, 1.6)]
    words = [Word(0.0, 0.24, "Ja,", 0.9), Word(0.48, 1.24, "jeg", 0.8), Word(1.24, 1.58, "tror", 0.9)]
    # "jeg" spans the hesitation and its own island: both are candidates; "Ja," and "tror" are explained
    assert unexplained(found, words) == [Island(0.48, 0.78), Island(0.98, 1.22)]
    assert unexplained(found, [*words, Word(0.5, 0.7, "eh,", 0.6)])[:1] != [Island(0.48, 0.78)]  # already there
    assert filler_word("Ehh.") == "ehh" and filler_word("Um, uh,") == "um uh"
    assert filler_word("Jeg.") is None and filler_word("") is None and filler_word("um, yes") is None
    merged = insert_filler(words, Word(0.48, 0.78, "eh", 0.7))
    assert [w.text for w in merged] == ["Ja,", "eh", "jeg", "tror"]
    assert merged[2].start == 0.78  # the stretched word no longer covers the filler
