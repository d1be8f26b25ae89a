"""Ingest: any recording ffmpeg can read, decoded to 16 kHz float32 with every channel kept.

The source file is only ever opened for reading. Each way a recording can be unusable
maps to its own error class so the user learns what is wrong with *this* file.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import ffmpeg
import numpy as np

from ..conventions import clock
from ..errors import (
    CorruptAudioError,
    EmptyFileError,
    FileMissingError,
    NoAudioStreamError,
    NotAudioError,
    SourceChangedError,
)
from ..transcript import Recording
from ..utils.files import file_sha256

SAMPLE_RATE = 16_000

# Containers ffmpeg recognises for files that are text or pictures, never recordings.
_NON_AUDIO_FORMATS = {"tty", "image2", "png_pipe", "jpeg_pipe", "gif", "webp_pipe", "svg_pipe"}

# A recording counts as truncated when this much less audio decodes than its header promises.
_TRUNCATION_TOLERANCE_S = 0.5
# Containers whose headers state the exact length. Others (MP3, raw AMR, ADTS AAC) only
# let ffprobe estimate it from the bitrate, which says nothing about truncation.
_MPEG_SYNC_SECOND_BYTES = {0xFB, 0xFA, 0xF3, 0xF2, 0xE3, 0xE2, 0xF1, 0xF9}
_EXACT_DURATION_FORMATS = ("wav", "flac", "mov", "mp4", "matroska", "webm", "aiff", "w64", "caf")
# Packets this near a damaged one are part of the same damage (frames found by chance).
RESYNC_PACKETS = 3
# A stream whose other packets are this often of one size (give or take a padding byte) has
# a constant bitrate: its damaged bytes tell how much time they held. (A variable-bitrate
# stream of mostly silence has most frames of the smallest size: hence so high.)
CONSTANT_BITRATE_SHARE = 0.99


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


def _true_times(path: Path, stream: dict, samples: np.ndarray, declared: float | None) -> tuple[np.ndarray, list[str]]:
    """`samples` with the stretches a damaged stream lost put back as silence, and a
    warning for each; or, where the stream does not say how much was lost, a warning from
    which time on the times are uncertain. Empty warnings: nothing found.

    An MP3 stream has no timestamps of its own: it is timed by counting frames, so frames
    lost to damage move everything after them earlier. Damage shows as packets larger
    than any legal frame (the demuxer hunting for the next frame across the damaged
    bytes); at a constant bitrate each byte is a known stretch of time."""
    if stream.get("codec_name") != "mp3":
        return samples, []
    try:
        packets = ffmpeg.probe(str(path), select_streams="a:0", show_packets=None).get("packets", [])
    except ffmpeg.Error:
        return samples, []
    rows = [(float(p["pts_time"]), float(p["duration_time"]), int(p["size"])) for p in packets
            if p.get("pts_time") not in (None, "N/A") and p.get("duration_time") not in (None, "N/A") and p.get("size")]
    if len(rows) < 10:
        return samples, []
    sizes = np.array([size for *_, size in rows])
    typical = float(np.median(sizes))
    frame = float(np.median([duration for _, duration, _ in rows]))
    rate = int(stream.get("sample_rate") or 0)
    if not rate:
        return samples, []
    per_frame = round(frame * rate)  # 1152 samples in MPEG-1 layer III, 576 in MPEG-2 and 2.5
    largest = per_frame / 8 * (320_000 if per_frame == 1152 else 160_000) / rate + 1  # bytes of the largest legal frame
    damaged = sizes > largest
    if not damaged.any():
        return samples, []
    # The demuxer may find a frame or two inside the damage: one stretch, not several.
    near = np.convolve(damaged, np.ones(2 * RESYNC_PACKETS + 1), mode="same") > 0
    damaged = near & (np.cumsum(damaged) > 0) & (np.cumsum(damaged[::-1])[::-1] > 0)
    first = rows[int(np.argmax(damaged))][0]
    constant = np.mean(np.abs(sizes[~near] - typical) <= 1) >= CONSTANT_BITRATE_SHARE
    if not constant:
        lost = f"; the file should last {clock(declared)}" if declared else ""
        return samples, [f"the recording is damaged at {clock(first)}: times after it may be early{lost}"]
    warnings, pieces, done = [], [], 0
    for start, stop in _runs(damaged):
        at = rows[start][0]
        taken = sum(d for _, d, _ in rows[start:stop])  # what the decoder put there
        true = sum(size for *_, size in rows[start:stop]) / typical * frame  # what those bytes held
        cut, resume = int(at * SAMPLE_RATE), int((at + taken) * SAMPLE_RATE)
        pieces.append(samples[:, done:cut])
        begin = sum(p.shape[1] for p in pieces) / SAMPLE_RATE  # in true time: earlier gaps put back
        pieces.append(np.zeros((samples.shape[0], int(true * SAMPLE_RATE)), dtype=samples.dtype))
        done = min(resume, samples.shape[1])
        warnings.append(f"[gap in the recording {clock(begin)}–{clock(begin + true)}]: damaged, {true:.1f} s could not be decoded; "
                        "silence there, the times after it kept true")
    pieces.append(samples[:, done:])
    return np.concatenate(pieces, axis=1), warnings


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True in `flags`."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


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
    promised = None
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
    if promised is not None and promised[1] < promised[0]:
        warnings.append(f"its header promises {promised[0]:.1f} s but the file holds {promised[1]:.1f} s: the end is missing")
    if err and err.strip():
        samples, found = _true_times(path, stream, samples, declared)
        warnings += found or ["ffmpeg reported decoding errors; parts of the recording may be damaged"]
        decoded = samples.shape[1] / SAMPLE_RATE

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
