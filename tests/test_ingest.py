"""Ingest: every common recording format decodes; every kind of bad input gets its own
clear error through the real CLI, and the source file is never modified."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from synthetic import write_wav

from transcribe.errors import (
    CorruptAudioError,
    EmptyFileError,
    NoAudioStreamError,
    NotAudioError,
)
from transcribe.ingest.audio import SAMPLE_RATE, load_audio


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


# --- damage: times stay true -------------------------------------------------------------
def spoken_markers(folder, seconds: int = 60) -> "os.PathLike":
    """`seconds` of audio with "marker N" said at every tenth second (espeak-ng)."""
    parts = []
    for n in range(seconds // 10):
        part = folder / f"marker{n}.wav"
        subprocess.run(["espeak-ng", "-w", str(part), f"marker {n}"], check=True)
        parts.append(part)
    path = folder / "markers.wav"
    inputs = [a for p in parts for a in ("-i", str(p))]
    padded = "".join(f"[{n}]apad=whole_dur=10[a{n}];" for n in range(len(parts)))
    ffmpeg(*inputs, "-filter_complex", padded + "".join(f"[a{n}]" for n in range(len(parts))) + f"concat=n={len(parts)}:v=0:a=1",
           "-ar", "16000", "-ac", "1", str(path))
    return path


def damaged(path, out, size: int = 60_000):
    """A copy of `path` with `size` bytes in its middle overwritten with noise."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2 - size // 2
    data[middle : middle + size] = np.random.default_rng(0).integers(0, 256, size, dtype=np.uint8).tobytes()
    out.write_bytes(bytes(data))
    return out


def envelope(samples: np.ndarray) -> np.ndarray:
    """Loudness per 100 ms."""
    frames = samples[0, : samples.shape[1] // 1600 * 1600].reshape(-1, 1600)
    return np.sqrt((frames ** 2).mean(axis=1))


def test_a_damaged_mp3_keeps_its_times_and_names_the_gap(tmp_path):
    """60 KB of a 60 s constant-bitrate mp3 overwritten: the lost stretch comes back as
    silence of its true length, every marker after it is where it was said, and the
    warning names the gap."""
    clean = tmp_path / "clean.mp3"
    ffmpeg("-i", str(spoken_markers(tmp_path)), "-c:a", "libmp3lame", "-b:a", "64k", str(clean))
    audio = load_audio(damaged(clean, tmp_path / "damaged.mp3"))
    whole = load_audio(clean)
    assert abs(audio.duration - whole.duration) < 0.1
    [warning] = audio.warnings
    assert warning.startswith("[gap in the recording 00:00:2") and "the times after it kept true" in warning
    start, end = (int(t[:2]) * 3600 + int(t[3:5]) * 60 + int(t[6:8]) for t in warning.split("recording ")[1].split("]")[0].split("–"))
    assert end - start >= 5  # 60 KB at 64 kbit/s: 7.5 s
    after = slice((end + 1) * 10, 590)  # 100 ms frames from the gap's end to the end
    loud, same = envelope(whole.samples)[after], envelope(audio.samples)[after]
    assert np.abs(loud - same).max() < 0.02 * loud.max()  # markers 4 and 5 where they were said
    assert np.abs(audio.samples[:, (start + 1) * SAMPLE_RATE : end * SAMPLE_RATE]).max() == 0  # the gap is silence


def test_a_damaged_variable_bitrate_mp3_says_from_when_its_times_are_uncertain(tmp_path):
    vbr = tmp_path / "vbr.mp3"
    ffmpeg("-i", str(spoken_markers(tmp_path)), "-c:a", "libmp3lame", "-q:a", "2", str(vbr))
    audio = load_audio(damaged(vbr, tmp_path / "damaged.mp3", 30_000))
    assert any(w.startswith("the recording is damaged at 00:00:") and "times after it may be early" in w for w in audio.warnings), audio.warnings


def test_a_wav_whose_header_promises_a_little_more_than_it_holds_is_read_with_a_warning(tmp_path):
    path = write_wav(tmp_path / "short.wav", 0.3 * np.sin(np.arange(SAMPLE_RATE * 5) / 5))
    path.write_bytes(path.read_bytes()[: -SAMPLE_RATE // 5])  # 0.1 s of 16-bit samples gone
    audio = load_audio(path)
    assert audio.warnings == ["its header promises 5.0 s but the file holds 4.9 s: the end is missing"]
