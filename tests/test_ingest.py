"""Ingest: every common recording format decodes; every kind of bad input gets its own
clear error through the real CLI, and the source file is never modified."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from transcribe.audio import SAMPLE_RATE, load_audio
from transcribe.errors import CorruptAudioError, EmptyFileError, NoAudioStreamError, NotAudioError

from synthetic import write_wav


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def speech_excerpt(tmp_path_factory, sample_wav):
    """Ten seconds of the real telephone call, where both parties talk."""
    path = tmp_path_factory.mktemp("formats") / "excerpt.wav"
    ffmpeg("-i", str(sample_wav), "-ss", "6", "-t", "10", str(path))
    return path


FORMATS = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    "m4a": ["-c:a", "aac", "-b:a", "64k"],
    "flac": ["-c:a", "flac"],
    "ogg": ["-c:a", "libopus", "-b:a", "24k"],
    "webm": ["-c:a", "libopus", "-b:a", "24k"],
    "wav": ["-ar", "8000", "-c:a", "pcm_mulaw"],  # G.711 telephone audio at 8 kHz
}


@pytest.mark.parametrize("extension", sorted(FORMATS))
def test_common_formats_decode_to_16k_with_true_length(speech_excerpt, tmp_path, extension):
    path = tmp_path / f"call.{extension}"
    ffmpeg("-i", str(speech_excerpt), *FORMATS[extension], str(path))
    audio = load_audio(path)
    assert audio.sample_rate == SAMPLE_RATE
    assert audio.samples.dtype == np.float32
    assert abs(audio.duration - 10.0) < 0.1
    assert np.abs(audio.samples).max() > 0.05  # the speech is there


@pytest.mark.parametrize("container", ["amr", "3gp"])
def test_phone_recorder_amr_keeps_timing(speech_excerpt, tmp_path, container):
    """AMR-NB from phone recorders; comfort-noise frames ffmpeg cannot decode become
    silence instead of disappearing, so the timeline is not shortened."""
    amr = tmp_path / "call.amr"
    subprocess.run(["sox", str(speech_excerpt), "-r", "8000", "-c", "1", "-t", "amr-nb", "-C", "7", str(amr)], check=True)
    path = amr
    if container == "3gp":
        path = tmp_path / "call.3gp"
        ffmpeg("-i", str(amr), "-c:a", "copy", str(path))
    audio = load_audio(path)
    assert audio.recording.codec == "amr_nb"
    assert audio.recording.sample_rate == 8000
    assert abs(audio.duration - 10.0) < 0.1


def test_video_with_audio_track_uses_the_audio(speech_excerpt, tmp_path):
    path = tmp_path / "zoom.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=duration=10:size=64x64:rate=5", "-i", str(speech_excerpt),
           "-c:v", "mpeg4", "-c:a", "aac", "-shortest", str(path))
    audio = load_audio(path)
    assert abs(audio.duration - 10.0) < 0.2
    assert np.abs(audio.samples).max() > 0.05


def test_stereo_channels_are_kept_apart(tmp_path):
    t = np.arange(SAMPLE_RATE * 2) / SAMPLE_RATE
    left, right = 0.5 * np.sin(2 * np.pi * 440 * t), np.zeros_like(t)
    path = write_wav(tmp_path / "stereo.wav", np.stack([left, right]), 44100 // 2 * 2)
    audio = load_audio(path)
    assert audio.num_channels == 2
    assert np.abs(audio.samples[0]).max() > 0.4
    assert np.abs(audio.samples[1]).max() < 1e-3


# --- bad input ---------------------------------------------------------------------


def test_exit_codes_tell_the_kinds_of_bad_input_apart():
    codes = [c.exit_code for c in (EmptyFileError, NotAudioError, NoAudioStreamError, CorruptAudioError)]
    assert len(set(codes)) == len(codes)


def test_silent_recording_is_not_an_error(tmp_path, model_home):
    source = write_wav(tmp_path / "silence.wav", np.zeros(SAMPLE_RATE * 60))
    before = source.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "transcribe", "run", str(source), "-o", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, env={**os.environ, "TRANSCRIBE_HOME": str(model_home)},
    )
    assert result.returncode == 0, result.stderr
    assert "warning: the recording is silent" in result.stderr
    import json

    data = json.loads((tmp_path / "out" / "silence.json").read_text())
    assert data["segments"] == [] and data["recording"]["duration"] == 60.0
    assert (tmp_path / "out" / "silence.txt").read_text() == ""
    assert source.read_bytes() == before
