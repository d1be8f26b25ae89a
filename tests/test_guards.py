"""Hallucination guards: no invented words on non-speech, decoding loops cut, all recorded."""

from __future__ import annotations

import subprocess

import pytest

from transcribe.asr._guards import is_no_speech, is_unreliable, loop_cut, loop_tail

NON_SPEECH = {
    "silence": ["synth", "60", "sine", "0", "vol", "0"],
    "white-noise": ["synth", "60", "whitenoise", "vol", "0.3"],
    "pink-noise": ["synth", "60", "pinknoise", "vol", "0.3"],
    "brown-noise-hum": ["synth", "60", "brownnoise", "synth", "60", "sine", "mix", "50", "vol", "0.4"],
    "music": ["synth", "60", "pluck", "C4", "pluck", "E4", "pluck", "G4", "remix", "-", "vol", "0.5"],
    "tones": ["synth", "60", "square", "220", "square", "330", "remix", "-", "tremolo", "2", "80", "vol", "0.3"],
}


@pytest.fixture(scope="module")
def non_speech_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("non-speech")
    files = {}
    for name, effects in NON_SPEECH.items():
        files[name] = folder / f"{name}.wav"
        subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(files[name]), *effects], check=True)
    return files


@pytest.fixture(scope="module")
def energy_vad_pipeline(store):
    """Speech found by energy alone (--diarization none): everything loud reaches Whisper."""
    from transcribe.pipeline import Pipeline
    from transcribe.settings import Settings

    return Pipeline(Settings(model="base", device="cpu", diarization="none"), store=store)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(NON_SPEECH))
def test_no_words_are_invented_on_a_minute_of_non_speech(pipeline, energy_vad_pipeline, non_speech_files, name):
    from transcribe.ingest.audio import load_audio

    assert load_audio(non_speech_files[name]).duration == pytest.approx(60.0, abs=0.5)
    for runner in (pipeline, energy_vad_pipeline):
        transcript = runner.transcribe(non_speech_files[name])
        assert [s.text for s in transcript.segments] == [], (name, runner.settings.diarization)
        # anything Whisper did decode there was removed by a recorded guard
        assert all(g.guard in ("no-speech", "unreliable") for g in transcript.guards)


def test_no_speech_rule():
    assert is_no_speech(0.9, -1.5, [0.9])  # whisper's own rule
    assert is_no_speech(0.9, -0.6, [0.14])  # "you" over music: likely silence, improbable word
    assert not is_no_speech(0.9, -0.3, [0.95, 0.9])  # confident words are kept
    assert not is_no_speech(0.4, -0.93, [0.38])  # the least certain real speech measured


def test_unreliable_rule_only_after_every_fallback_failed():
    tones = [0.0, 0.0, 0.01, 0.0, 0.0, 0.0, 0.53, 0.07, 0.53]  # measured on pulsing tones
    assert is_unreliable(-4.67, True, tones)
    assert not is_unreliable(-4.67, False, tones)  # a hotter retry may still succeed
    assert not is_unreliable(-0.97, True, [0.45, 0.38])  # hard but real speech keeps its words


def test_decoding_loops_are_cut_but_stutters_are_kept():
    loop = "Thank you . Thank you . Thank you . Thank you . Thank you . Thank you .".split()
    a, b = loop_cut(loop)
    assert loop[:a] + loop[b:] == "Thank you . Thank you . Thank you .".split()
    assert loop_cut("I I I did not".split()) is None  # a stutter, spoken: verbatim keeps it
    words = "so we went and and and and and and and and then".split()
    a, b = loop_cut(words)
    assert words[:a] + words[b:] == "so we went and and and then".split()


def test_a_loop_the_decoder_stopped_keeps_its_phrase_once_even_cut_off_mid_word():
    looped = "Det man kan lide i min lødkørt. " * 3 + "Det man kan lide i min lød"
    words = ("Ja, jeg tror det. " + looped).split()
    assert words[: loop_tail(words)] == "Ja, jeg tror det. Det man kan lide i min lødkørt.".split()
    assert loop_tail("I did not know what to say".split()) is None
