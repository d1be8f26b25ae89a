"""Ingest: any recording ffmpeg can read, decoded to 16 kHz float32 with every channel kept.

The source file is only ever opened for reading. Each way a recording can be unusable
maps to its own error class so the user learns what is wrong with *this* file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import ffmpeg
import numpy as np

from .errors import (
    CorruptAudioError,
    EmptyFileError,
    FileMissingError,
    NoAudioStreamError,
    NotAudioError,
)
from .transcript import Recording

SAMPLE_RATE = 16_000

# Containers ffmpeg recognises for files that are text or pictures, never recordings.
_NON_AUDIO_FORMATS = {"tty", "image2", "png_pipe", "jpeg_pipe", "gif", "webp_pipe", "svg_pipe"}

# A recording counts as truncated when this much less audio decodes than its header promises.
_TRUNCATION_TOLERANCE_S = 0.5


@dataclass
class Audio:
    """Decoded recording: `samples` has shape (channels, frames) at `SAMPLE_RATE`."""

    samples: np.ndarray
    recording: Recording
    warnings: list[str] = field(default_factory=list)
    sample_rate: int = SAMPLE_RATE

    @property
    def duration(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    @property
    def num_channels(self) -> int:
        return self.samples.shape[0]

    def mono(self) -> np.ndarray:
        if self.num_channels == 1:
            return self.samples[0]
        return self.samples.mean(axis=0)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _ffmpeg_message(error: ffmpeg.Error) -> str:
    """The last meaningful line ffmpeg printed, without the file path (it may name a participant)."""
    lines = [line.strip() for line in (error.stderr or b"").decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return "ffmpeg gave no reason"
    last = lines[-1]
    if ": " in last:  # "path/to/file.wav: Invalid data found when processing input"
        last = last.rsplit(": ", 1)[-1]
    return last


def _probe(path: Path) -> dict:
    try:
        return ffmpeg.probe(str(path))
    except ffmpeg.Error as error:
        reason = _ffmpeg_message(error)
        if "Invalid data" in reason or "could not find codec" in reason.lower():
            raise NotAudioError(f"{path.name} is not a recording ffmpeg can read ({reason})") from None
        raise CorruptAudioError(f"{path.name} could not be opened: {reason}") from None


def _select_audio_stream(path: Path, info: dict) -> dict:
    streams = info.get("streams", [])
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if audio:
        return audio[0]
    container = info.get("format", {}).get("format_name", "")
    if not streams or container in _NON_AUDIO_FORMATS or any(
        s.get("codec_name") == "ansi" for s in streams
    ):
        raise NotAudioError(f"{path.name} is not a recording (ffmpeg reads it as '{container}')")
    kinds = ", ".join(sorted({s.get("codec_type", "unknown") for s in streams}))
    raise NoAudioStreamError(f"{path.name} has no audio stream (only {kinds})")


def _declared_duration(info: dict, stream: dict) -> float | None:
    for source in (stream, info.get("format", {})):
        value = source.get("duration")
        if value not in (None, "N/A"):
            return float(value)
    return None


def load_audio(path: str | os.PathLike) -> Audio:
    """Decode `path` to float32 at 16 kHz, one row per channel.

    Raises a specific `InputFileError` subclass for every way the file can be unusable.
    A silent recording is returned normally; the pipeline decides what silence means.
    """
    path = Path(path)
    if not path.exists():
        raise FileMissingError(f"{path} does not exist")
    if not path.is_file():
        raise FileMissingError(f"{path} is not a file")
    if path.stat().st_size == 0:
        raise EmptyFileError(f"{path.name} is empty (0 bytes)")

    info = _probe(path)
    stream = _select_audio_stream(path, info)
    channels = int(stream.get("channels") or 1)
    declared = _declared_duration(info, stream)

    try:
        raw, err = (
            ffmpeg.input(str(path))
            .output("pipe:", map="0:a:0", format="f32le", acodec="pcm_f32le", ar=SAMPLE_RATE, ac=channels)
            .global_args("-nostdin", "-v", "error")
            .run(capture_stdout=True, capture_stderr=True)
        )
    except ffmpeg.Error as error:
        raise CorruptAudioError(
            f"{path.name} is corrupt: decoding failed ({_ffmpeg_message(error)})"
        ) from None

    samples = np.frombuffer(raw, dtype=np.float32)
    usable = samples.size - samples.size % channels
    samples = samples[:usable].reshape(-1, channels).T.copy()
    decoded = samples.shape[1] / SAMPLE_RATE
    if samples.shape[1] == 0:
        raise EmptyFileError(f"{path.name} contains no audio (zero length)")
    if declared is not None and decoded < declared - _TRUNCATION_TOLERANCE_S:
        raise CorruptAudioError(
            f"{path.name} is truncated or corrupt: its header promises {declared:.1f} s "
            f"but only {decoded:.1f} s could be decoded"
        )

    warnings = []
    if err and err.strip():
        warnings.append("ffmpeg reported decoding errors; parts of the recording may be damaged")

    recording = Recording(
        source_name=path.name,
        sha256=file_sha256(path),
        duration=round(decoded, 3),
        channels=channels,
        sample_rate=int(stream.get("sample_rate") or 0),
        codec=stream.get("codec_name"),
        container=info.get("format", {}).get("format_name"),
    )
    return Audio(samples=samples, recording=recording, warnings=warnings)
