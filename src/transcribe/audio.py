"""Ingest: any recording ffmpeg can read, decoded to 16 kHz float32 with every channel kept.

The source file is only ever opened for reading. Each way a recording can be unusable
maps to its own error class so the user learns what is wrong with *this* file.
"""

from __future__ import annotations

import hashlib
import os
import struct
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
    SourceChangedError,
)
from .transcript import Recording

SAMPLE_RATE = 16_000

# Containers ffmpeg recognises for files that are text or pictures, never recordings.
_NON_AUDIO_FORMATS = {"tty", "image2", "png_pipe", "jpeg_pipe", "gif", "webp_pipe", "svg_pipe"}

# A recording counts as truncated when this much less audio decodes than its header promises.
_TRUNCATION_TOLERANCE_S = 0.5
# Containers whose headers state the exact length. Others (MP3, raw AMR, ADTS AAC) only
# let ffprobe estimate it from the bitrate, which says nothing about truncation.
_MPEG_SYNC_SECOND_BYTES = {0xFB, 0xFA, 0xF3, 0xF2, 0xE3, 0xE2, 0xF1, 0xF9}
_EXACT_DURATION_FORMATS = ("wav", "flac", "mov", "mp4", "matroska", "webm", "aiff", "w64", "caf")


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


def media_signature(path: Path) -> str | None:
    """The media format a file's first bytes announce, whether or not the rest is intact."""
    with open(path, "rb") as handle:
        head = handle.read(12)
    if head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"AVI "):
        return "WAV"
    if head[4:8] == b"ftyp":
        return "MP4/M4A/3GP"
    signatures = {
        b"ID3": "MP3", b"fLaC": "FLAC", b"OggS": "Ogg", b"#!AMR": "AMR",
        b"\x1aE\xdf\xa3": "WebM/Matroska", b"FORM": "AIFF", b"caff": "CAF",
    }
    for magic, name in signatures.items():
        if head.startswith(magic):
            return name
    # MPEG frame sync with a valid layer/version (MP3) or ADTS (AAC), and a valid
    # bitrate and sample-rate index: eleven sync bits alone match random data too often.
    if len(head) >= 3 and head[0] == 0xFF and head[1] in _MPEG_SYNC_SECOND_BYTES:
        if head[2] >> 4 != 0xF and (head[2] >> 2) & 0x3 != 0x3:
            return "MPEG audio (MP3/AAC)"
    return None


def _probe(path: Path) -> dict:
    try:
        return ffmpeg.probe(str(path))
    except ffmpeg.Error as error:
        reason = _ffmpeg_message(error)
        kind = media_signature(path)
        if kind is not None:
            raise CorruptAudioError(
                f"{path.name} starts like a {kind} file but is corrupt or truncated ({reason})"
            ) from None
        raise NotAudioError(f"{path.name} is not a recording ffmpeg can read ({reason})") from None


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
    """The length the container promises, where it records one exactly."""
    container = info.get("format", {}).get("format_name", "")
    if not any(name in _EXACT_DURATION_FORMATS for name in container.split(",")):
        return None
    for source in (stream, info.get("format", {})):
        value = source.get("duration")
        if value not in (None, "N/A"):
            return float(value)
    return None


def _wav_promised_and_present(path: Path) -> tuple[float, float] | None:
    """Seconds a WAV's data chunk promises and seconds actually present in the file.

    ffprobe quietly shortens a WAV's duration to the bytes present, hiding truncation, so
    the RIFF header is read here. None when the file is not plain PCM RIFF/WAVE or the
    writer left the size open (streaming recorders write 0 or 0xFFFFFFFF).
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        if handle.read(12)[8:12] != b"WAVE":
            return None
        byte_rate = None
        while True:
            header = handle.read(8)
            if len(header) < 8:
                return None
            chunk, length = header[:4], struct.unpack("<I", header[4:])[0]
            if chunk == b"fmt ":
                fmt = handle.read(length + length % 2)
                byte_rate = struct.unpack("<I", fmt[8:12])[0] if len(fmt) >= 12 else None
            elif chunk == b"data":
                if not byte_rate or length in (0, 0xFFFFFFFF):
                    return None
                present = min(length, size - handle.tell())
                return length / byte_rate, present / byte_rate
            else:
                handle.seek(length + length % 2, os.SEEK_CUR)


def check_source(path: Path) -> None:
    """The recording exists and is a file (messages name the file, never its folders)."""
    if not path.exists():
        raise FileMissingError(f"{path.name} does not exist")
    if path.is_dir():
        raise FileMissingError(f"{path.name} is a folder, not a recording")
    if not path.is_file():
        raise FileMissingError(f"{path.name} is not a regular file")


def load_audio(path: str | os.PathLike) -> Audio:
    """Decode `path` to float32 at 16 kHz, one row per channel.

    Raises a specific `InputFileError` subclass for every way the file can be unusable.
    A silent recording is returned normally; the pipeline decides what silence means.
    """
    path = Path(path)
    check_source(path)
    before = path.stat()
    if before.st_size == 0:
        raise EmptyFileError(f"{path.name} is empty (0 bytes)")

    info = _probe(path)
    stream = _select_audio_stream(path, info)
    channels = int(stream.get("channels") or 1)
    declared = _declared_duration(info, stream)
    if "wav" in info.get("format", {}).get("format_name", "").split(","):
        promised = _wav_promised_and_present(path)
        declared = promised[0] if promised else declared

    try:
        raw, err = (
            ffmpeg.input(str(path))
            .output(
                "pipe:",
                map="0:a:0",
                format="f32le",
                acodec="pcm_f32le",
                ac=channels,
                # Frames the decoder cannot use (AMR comfort-noise frames, damaged packets)
                # become silence of the same length, so later timestamps stay true.
                af=f"aresample={SAMPLE_RATE}:async=1:first_pts=0",
            )
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

    sha256 = file_sha256(path)
    after = path.stat()
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise SourceChangedError(
            f"{path.name} changed while it was being read (is it still being copied or recorded?); "
            "run again once it is complete"
        )
    recording = Recording(
        source_name=path.name,
        sha256=sha256,
        duration=round(decoded, 3),
        channels=channels,
        sample_rate=int(stream.get("sample_rate") or 0),
        codec=stream.get("codec_name"),
        container=info.get("format", {}).get("format_name"),
    )
    return Audio(samples=samples, recording=recording, warnings=warnings)
