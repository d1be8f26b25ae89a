"""Benchmark: batched chunk decoding vs one chunk at a time vs plain whisper.transcribe.

All three run in one process on the same audio and model, so the ratios are fair:
    .venv/bin/python bench/batched_vs_sequential.py [--repeat 4] [--model base] [--device cpu]
The audio is pyannote's real two-party phone call, repeated `--repeat` times. Diarization
runs once (timed separately) and its chunks feed both of our decoding modes.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

from transcribe.offline import enforce_offline

enforce_offline()

from transcribe.audio import load_audio  # noqa: E402
from transcribe.chunking import cut, plan_chunks  # noqa: E402
from transcribe.diarization import SpeakerCount, diarize  # noqa: E402
from transcribe.metrics import edit_distance, normalize  # noqa: E402
from transcribe.pipeline import Pipeline, Settings  # noqa: E402


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=4, help="copies of the 30 s call (default 4: 2 minutes)")
    parser.add_argument("--model", default="base")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()

    import pyannote.audio
    import whisper
    from pathlib import Path

    sample = Path(pyannote.audio.__file__).parent / "sample" / "sample.wav"
    pipeline = Pipeline(Settings(model=args.model, device=args.device, batch_size=args.batch_size))
    audio = load_audio(sample)
    audio.samples = np.tile(audio.samples, args.repeat)
    duration = audio.duration

    diarization, t_diar = timed(lambda: diarize(audio, "auto", SpeakerCount(), pipeline.diarizer))
    chunks = plan_chunks(diarization.turns, audio.samples, audio.sample_rate)
    pieces = [cut(c, audio.samples, audio.sample_rate) for c in chunks]
    asr = pipeline.asr
    asr.transcribe_batch(pieces[:1], "en")  # warm-up

    def batched():
        out = []
        for i in range(0, len(pieces), pipeline.batch_size):
            out += asr.transcribe_batch(pieces[i : i + pipeline.batch_size], "en")
        return out

    def sequential():
        return [asr.transcribe_batch([p], "en")[0] for p in pieces]

    def plain_whisper():
        return whisper.transcribe(asr.model, audio.mono(), language="en", fp16=asr.fp16, word_timestamps=True)

    seq, t_seq = timed(sequential)
    bat, t_bat = timed(batched)
    plain, t_plain = timed(plain_whisper)

    seq_words = normalize(" ".join(r.text for r in seq))
    bat_words = normalize(" ".join(r.text for r in bat))
    differing = edit_distance(seq_words, bat_words) / max(len(seq_words), 1)

    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else platform.processor() or platform.machine()
    print(f"machine: {device}, {torch.get_num_threads()} CPU threads, torch {torch.__version__}")
    print(f"audio: {duration:.0f} s, {len(chunks)} chunks, model {args.model}, batch size {pipeline.batch_size}")
    print(f"diarization ({diarization.method}): {t_diar:.1f} s ({duration / t_diar:.1f}x real time)")
    print(f"{'mode':<34}{'seconds':>9}{'x real time':>13}{'speed-up':>10}")
    for name, seconds in [
        ("plain whisper.transcribe (words)", t_plain),
        ("our chunks, one at a time", t_seq),
        ("our chunks, batched", t_bat),
    ]:
        print(f"{name:<34}{seconds:>9.1f}{duration / seconds:>13.1f}{t_seq / seconds:>9.2f}x")
    print(f"batched vs one at a time: {t_seq / t_bat:.2f}x faster; words differing: {differing:.1%}")
    print(f"batched vs plain whisper.transcribe: {t_plain / t_bat:.2f}x faster")


if __name__ == "__main__":
    main()
