"""Synthetic test recordings made with espeak-ng and sox: real speech, known ground truth."""

from __future__ import annotations

import re
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from transcribe.ingest.audio import SAMPLE_RATE, load_audio


@dataclass
class Utterance:
    speaker: str
    text: str
    start: float
    end: float


def write_wav(path: Path, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    """Write float samples, shape (channels, n) or (n,), as 16-bit PCM."""
    samples = np.atleast_2d(samples)
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").T.copy()
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(samples.shape[0])
        handle.setsampwidth(2)
        handle.setframerate(sample_rate)
        handle.writeframes(pcm.tobytes())
    return path


def speak(text: str, voice: str, workdir: Path, speed: int = 165) -> np.ndarray:
    """espeak-ng speech at 16 kHz with leading and trailing silence trimmed."""
    path = workdir / f"tts-{abs(hash((text, voice, speed)))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True)
    signal = load_audio(path).samples[0]
    loud = np.flatnonzero(np.abs(signal) > 0.01)
    return signal[loud[0] : loud[-1] + 1] * 0.5


def build_dialogue(
    script: list[tuple[str, str, float]], voices: dict[str, str], workdir: Path, speeds: dict[str, int] | None = None
) -> tuple[dict[str, np.ndarray], list[Utterance], float]:
    """Lay out (speaker, text, gap-before) lines on one track per speaker, each speaker's
    voice at its speed (words a minute; espeak-ng's default 165).

    A negative gap starts the line before the previous one ends (overlapping speech).
    Returns the tracks, the ground truth and the total duration.
    """
    clips, truth, cursor = [], [], 0.5
    for speaker, text, gap in script:
        audio = speak(text, voices[speaker], workdir, (speeds or {}).get(speaker, 165))
        start = max(0.0, cursor + gap)
        clips.append((speaker, int(start * SAMPLE_RATE), audio))
        truth.append(Utterance(speaker, text, start, start + len(audio) / SAMPLE_RATE))
        cursor = max(cursor, truth[-1].end)
    length = int((cursor + 0.5) * SAMPLE_RATE)
    tracks = {speaker: np.zeros(length, dtype=np.float32) for speaker in voices}
    for speaker, offset, audio in clips:
        tracks[speaker][offset : offset + len(audio)] += audio
    return tracks, truth, length / SAMPLE_RATE


def telephone_stereo(left: np.ndarray, right: np.ndarray, path: Path, crosstalk_db: float = -25.0) -> Path:
    """A stereo call recording: one party per channel, light crosstalk, 8 kHz telephone band."""
    leak = 10 ** (crosstalk_db / 20)
    noise = np.random.default_rng(0).normal(0, 3e-4, size=(2, len(left)))
    stereo = np.stack([left + leak * right, right + leak * left]) + noise
    wide = write_wav(path.with_suffix(".wide.wav"), stereo)
    subprocess.run(["sox", str(wide), "-r", "8000", str(path), "sinc", "300-3400"], check=True)
    wide.unlink()
    return path


def telephone_mono(mix: np.ndarray, path: Path) -> Path:
    wide = write_wav(path.with_suffix(".wide.wav"), mix)
    subprocess.run(["sox", str(wide), "-r", "8000", str(path), "sinc", "300-3400"], check=True)
    wide.unlink()
    return path


def with_fillers(
    script: list[tuple[str, str, float]], phonemes: dict[str, str]
) -> tuple[list[tuple[str, str, float]], list[tuple[str, str, float]]]:
    """(what the synthesizer says, the reference transcript) for a script whose fillers
    are written `{um}`: espeak-ng gets the filler's phonemes, the reference its spelling."""
    spoken, reference = [], []
    for speaker, line, gap in script:
        spoken.append((speaker, re.sub(r"\{(\w+)\}", lambda m: phonemes[m.group(1)], line), gap))
        reference.append((speaker, re.sub(r"\{(\w+)\}", r"\1", line), gap))
    return spoken, reference
