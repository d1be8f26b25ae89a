"""Hold music, tones and long silences, as telephone interviews have them (issue 19): the
language comes from the speech alone, no word is written in them, and diarization spends
next to nothing on them. The recordings are made here with espeak-ng and numpy."""

from __future__ import annotations

import time

import numpy as np
import pytest
from synthetic import speak, telephone_mono, write_wav

from transcribe.diarize.diarization import SpeakerCount, diarize
from transcribe.ingest.audio import SAMPLE_RATE, load_audio

pytestmark = pytest.mark.slow


def hold_music(seconds: float) -> np.ndarray:
    """A synthetic melody of half-second notes (a fifth above each), as hold lines play."""
    notes = [261.6, 293.7, 329.6, 349.2, 392.0, 440.0, 493.9, 523.3, 493.9, 440.0, 392.0, 349.2]
    t = np.arange(int(0.5 * SAMPLE_RATE)) / SAMPLE_RATE
    envelope = np.minimum(1.0, np.minimum(t / 0.02, (0.5 - t) / 0.05))
    melody = np.concatenate([0.15 * envelope * (np.sin(2 * np.pi * f * t) + np.sin(3 * np.pi * f * t)) for f in notes])
    return np.resize(melody, int(seconds * SAMPLE_RATE)).astype(np.float32)


def dtmf(key_low: float = 697.0, key_high: float = 1209.0) -> np.ndarray:
    """One DTMF key press: 0.3 s of its two tones, then 0.7 s of silence."""
    t = np.arange(int(0.3 * SAMPLE_RATE)) / SAMPLE_RATE
    tone = 0.15 * (np.sin(2 * np.pi * key_low * t) + np.sin(2 * np.pi * key_high * t))
    return np.concatenate([tone, np.zeros(int(0.7 * SAMPLE_RATE))]).astype(np.float32)


@pytest.fixture(scope="module")
def hold_call(tmp_path_factory):
    """6 s of Norwegian, two key presses, 60 s of hold music, 45 s of silence, 6 s of
    Norwegian, over an 8 kHz telephone line: the issue's recording."""
    folder = tmp_path_factory.mktemp("hold")
    first = speak("Takk for at du tok deg tid til å snakke med meg i dag om behandlingen din.", "nb+m3", folder, 150)
    second = speak("Ja, jeg ble henvist til sykehuset i fjor, og ventetiden var veldig lang.", "nb+f3", folder, 150)
    parts = [first, dtmf(), dtmf(), hold_music(60.0), np.zeros(45 * SAMPLE_RATE, dtype=np.float32), second]
    bounds = np.cumsum([0] + [len(p) for p in parts]) / SAMPLE_RATE
    return telephone_mono(np.concatenate(parts), folder / "hold.wav"), bounds


def test_the_language_comes_from_the_speech_and_nothing_is_written_in_music_tones_or_silence(pipeline, hold_call):
    path, bounds = hold_call
    transcript = pipeline.transcribe(path)  # Whisper base, --languages en,no (the defaults)
    assert transcript.language == "no"
    assert transcript.segments and {s.language for s in transcript.segments} == {"no"}
    speech = [(bounds[0], bounds[1]), (bounds[5], bounds[6])]
    words = [w for s in transcript.segments for w in s.words]
    assert all(any(a - 0.5 <= w.start and w.end <= b + 0.5 for a, b in speech) for w in words), \
        [(w.text, w.start) for w in words if not any(a - 0.5 <= w.start <= b + 0.5 for a, b in speech)]
    assert not any(bounds[1] + 0.5 < t.start < bounds[5] - 0.5 for t in transcript.speech)  # no speaker in the music


def test_diarization_spends_a_fifth_or_less_on_music_and_silence_than_on_speech(store, tmp_path, sample_wav):
    """Two minutes of each: speech (the sample call four times over), hold music, a key
    pressed every ten seconds, silence. pyannote is given next to none of the others."""
    from transcribe.diarize.pyannote_diarizer import PyannoteDiarizer

    diarizer = PyannoteDiarizer("auto", "cpu", store)
    heard = []

    def factory():
        def diarize_and_note(mono, rate, count, progress=None):
            heard.append(len(mono) / rate)
            return diarizer(mono, rate, count, progress)
        return diarize_and_note

    call = load_audio(sample_wav).samples[0]
    recordings = {
        "speech": np.resize(call, 120 * SAMPLE_RATE),
        "music": hold_music(120.0),
        "tones": np.resize(np.concatenate([dtmf(), np.zeros(9 * SAMPLE_RATE, dtype=np.float32)]), 120 * SAMPLE_RATE),  # a key every 10 s
        "silence": np.zeros(120 * SAMPLE_RATE, dtype=np.float32),
    }
    seconds, given = {}, {}
    for name, samples in recordings.items():
        audio = load_audio(write_wav(tmp_path / f"{name}.wav", samples))
        diarize(audio, "pyannote", SpeakerCount(), factory)  # warm
        heard.clear()
        started = time.perf_counter()
        diarize(audio, "pyannote", SpeakerCount(), factory)
        seconds[name], given[name] = time.perf_counter() - started, sum(heard)
    print(f"\ndiarization seconds for 120 s: {seconds}; seconds pyannote was given: {given}")
    assert given["speech"] >= 90 and all(given[n] <= 12 for n in ("music", "tones", "silence"))
    assert max(seconds[n] for n in ("music", "tones", "silence")) <= seconds["speech"] / 5
