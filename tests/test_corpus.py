"""The bad and awkward input corpus, through the command line: each recording either
gives a complete transcript set or one line that says what is wrong, with its own exit
code; never a traceback, never a changed source, never a half-written output."""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from synthetic import write_wav

from transcribe.ingest.audio import SAMPLE_RATE

pytestmark = pytest.mark.slow


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def speech(tmp_path_factory, sample_wav) -> Path:
    """Five seconds of the real telephone call."""
    path = tmp_path_factory.mktemp("corpus") / "speech.wav"
    ffmpeg("-i", str(sample_wav), "-ss", "7", "-t", "5", str(path))
    return path


# Each maker: (folder, speech) -> the recording to run on.
def _missing(folder, speech):
    return folder / "no-such-interview.wav"


def _empty(folder, speech):
    (folder / "empty.wav").write_bytes(b"")
    return folder / "empty.wav"


def _text(folder, speech):
    (folder / "notes.txt").write_text("Interview notes: participant 4 arrived late.\n" * 50)
    return folder / "notes.txt"


def _random_bytes(folder, speech):
    (folder / "garbage.bin").write_bytes(np.random.default_rng(1).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    return folder / "garbage.bin"


def _png_named_mp3(folder, speech):
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=32x32", "-frames:v", "1", "-f", "image2", "-c:v", "png", str(folder / "x.png"))
    return (folder / "x.png").rename(folder / "interview.mp3")


def _video_only(folder, speech):
    ffmpeg("-f", "lavfi", "-i", "testsrc=duration=2:size=64x64:rate=5", "-c:v", "mpeg4", str(folder / "screen.mp4"))
    return folder / "screen.mp4"


def _truncated_wav(folder, speech):
    full = write_wav(folder / "full.wav", 0.3 * np.sin(np.arange(SAMPLE_RATE * 20) / 5))
    (folder / "cut-off.wav").write_bytes(full.read_bytes()[: full.stat().st_size // 3])
    full.unlink()
    return folder / "cut-off.wav"


def _truncated_m4a(folder, speech):
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:duration=20", "-c:a", "aac", str(folder / "full.m4a"))
    (folder / "cut-off.m4a").write_bytes((folder / "full.m4a").read_bytes()[:20_000])
    (folder / "full.m4a").unlink()
    return folder / "cut-off.m4a"


def _header_only_wav(folder, speech):
    return write_wav(folder / "zero-length.wav", np.zeros(0))


def _ten_hours_promised(folder, speech):
    """A WAV header whose data chunk claims ten hours, holding two seconds."""
    data = bytearray(write_wav(folder / "x.wav", 0.3 * np.sin(np.arange(SAMPLE_RATE * 2) / 5)).read_bytes())
    struct.pack_into("<I", data, 40, 10 * 3600 * SAMPLE_RATE * 2)
    (folder / "x.wav").unlink()
    (folder / "ten-hours.wav").write_bytes(bytes(data))
    return folder / "ten-hours.wav"


def _folder(folder, speech):
    (folder / "interviews.wav").mkdir()
    return folder / "interviews.wav"


def _dangling_symlink(folder, speech):
    (folder / "link.wav").symlink_to(folder / "gone.wav")
    return folder / "link.wav"


def _named_pipe(folder, speech):
    os.mkfifo(folder / "pipe.wav")
    return folder / "pipe.wav"


def _growing(folder, speech):
    """A recording still being copied: it grows while it is read."""
    path = folder / "copying.wav"
    shutil.copyfile(speech, path)
    return path


def _converted(codec_args: list[str], name: str) -> Callable:
    def make(folder, speech):
        ffmpeg("-i", str(speech), *codec_args, str(folder / name))
        return folder / name

    return make


def _amr_nb(folder, speech):
    subprocess.run(["sox", str(speech), "-r", "8000", "-c", "1", "-t", "amr-nb", "-C", "7", str(folder / "phone.amr")], check=True)
    return folder / "phone.amr"


def _clipped(folder, speech):
    ffmpeg("-i", str(speech), "-af", "volume=30dB,alimiter=limit=1:level=false", "-c:a", "pcm_s16le", str(folder / "clipped.wav"))
    return folder / "clipped.wav"


def _tenth_of_a_second(folder, speech):
    return write_wav(folder / "blip.wav", 0.3 * np.sin(np.arange(SAMPLE_RATE // 10) / 5))


def _renamed(name: str) -> Callable:
    def make(folder, speech):
        return Path(shutil.copyfile(speech, folder / name))

    return make


def _symlink(folder, speech):
    (folder / "link-to-speech.wav").symlink_to(Path(shutil.copyfile(speech, folder / "real.wav")))
    return folder / "link-to-speech.wav"


# name: (maker, exit code, words the one-line message must contain; None for a transcript)
CORPUS = {
    "missing": (_missing, 3, "no-such-interview.wav does not exist"),
    "empty": (_empty, 4, "is empty"),
    "text": (_text, 5, "is not a recording"),
    "random-bytes": (_random_bytes, 5, "is not a recording"),
    "png-named-mp3": (_png_named_mp3, 5, "is not a recording"),
    "video-without-audio": (_video_only, 6, "has no audio stream"),
    "truncated-wav": (_truncated_wav, 7, "truncated"),
    "truncated-m4a": (_truncated_m4a, 7, "corrupt"),
    "zero-length-wav": (_header_only_wav, 4, "zero length"),
    "header-promising-ten-hours": (_ten_hours_promised, 7, "truncated"),
    "a-folder": (_folder, 3, "interviews.wav is a folder, not a recording"),
    "dangling-symlink": (_dangling_symlink, 3, "link.wav does not exist"),
    "named-pipe": (_named_pipe, 3, "pipe.wav is not a regular file"),
    "changes-while-read": (_growing, 8, "changed while it was being read"),
    "m4a": (_converted(["-c:a", "aac", "-b:a", "64k"], "call.m4a"), 0, None),
    "ogg-opus": (_converted(["-c:a", "libopus", "-b:a", "24k"], "call.ogg"), 0, None),
    "amr-nb": (_amr_nb, 0, None),
    "g711-8k": (_converted(["-ar", "8000", "-c:a", "pcm_mulaw"], "g711.wav"), 0, None),
    "6-channel-48k": (_converted(["-ac", "6", "-ar", "48000"], "surround.wav"), 0, None),
    "192k-24-bit": (_converted(["-ar", "192000", "-c:a", "pcm_s24le"], "hires.wav"), 0, None),
    "video-with-audio": (_converted(["-f", "mp4", "-c:a", "aac"], "zoom.mp4"), 0, None),
    "clipped": (_clipped, 0, None),
    "a-tenth-of-a-second": (_tenth_of_a_second, 0, None),
    "unicode-name": (_renamed("intervju-Ærlig-øy-å-テスト.wav"), 0, None),
    "dash-leading-name": (_renamed("-interview.wav"), 0, None),
    "spaces-and-capitals": (_renamed("Interview 04 (final).WAV"), 0, None),
    "symlink": (_symlink, 0, None),
}


def _grow_while_running(path: Path, stop: threading.Event) -> None:
    with open(path, "ab") as handle:
        while not stop.is_set():
            handle.write(b"\0" * 3200)
            handle.flush()
            time.sleep(0.01)


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_fifo() else None


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_every_recording_gives_a_transcript_or_one_line_naming_what_is_wrong(case, speech, tmp_path, capsys, model_home):
    from transcribe.cli import main

    maker, code, words = CORPUS[case]
    folder = tmp_path / "inbox"
    folder.mkdir()
    source = maker(folder, speech)
    before = digest(source)
    out = tmp_path / "out"
    stop = threading.Event()
    if case == "changes-while-read":
        threading.Thread(target=_grow_while_running, args=(source, stop), daemon=True).start()
    try:
        result = main(["run", str(source), "-o", str(out), "--model", "tiny.en", "--quiet"])
    finally:
        stop.set()
    captured = capsys.readouterr()
    assert result == code, captured.err
    assert "Traceback" not in captured.err and str(folder) not in captured.err + captured.out
    if words is None:
        written = set(os.listdir(out))
        assert {f"{source.stem}.json", f"{source.stem}.txt"} <= written <= {f"{source.stem}{s}" for s in (".json", ".txt", ".quality.txt")}
        assert captured.err == "" or captured.err.startswith("warning: ")
    else:
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], captured.err
        assert not out.exists()
    if case != "changes-while-read":
        assert digest(source) == before
