"""Speed of the pipeline on a long interview, against plain `whisper.transcribe` in the same
run, and a timing projection for large Whisper models. Runs on a GPU or a CPU.

    python bench/gpu.py --device cuda                      # 48-minute interview, then the proxy
    python bench/gpu.py --device cpu --minutes 12 --repeat 1 --proxy ""

1. The interview: a synthetic two-party telephone interview (tests/long_interview.py,
   8 kHz mono) of `--minutes`, played `--repeat` times over (12 x 4 = 48 minutes).
2. Model loading and warm-up on pyannote's sample call, timed apart: a process that
   transcribes many files pays them once.
3. `Pipeline.transcribe` on the interview: wall time, realtime factor, the stage timings
   from the transcript's provenance, peak GPU memory, and WER.
4. Plain `whisper.transcribe` (word timestamps, fp16 on a GPU) with the same weights on
   the same file, model already loaded: wall time and WER; the ratios are ours.
5. The proxy (`--proxy large-v3,turbo`): models of the real dimensions with random
   weights (costs do not depend on the weights' values): encoder ms per 30 s window, and
   ms per decoding step by batch size for openai-whisper's eager step and for
   static_decoder.py's step (a CUDA graph on a GPU), and from those a projection of one
   hour of interview. Labelled as a projection: no real large weights were run.

Prints JSON (also written to `--json`). Nothing here is a test: timings vary by machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import whisper  # noqa: E402
from whisper.model import ModelDimensions, Whisper  # noqa: E402

from transcribe.asr.static_decoder import StaticDecoder  # noqa: E402
from transcribe.asr.whisper_backend import default_precision, prepare_model  # noqa: E402
from transcribe.models.whisper_models import load_whisper  # noqa: E402
from transcribe.pipeline import Pipeline  # noqa: E402
from transcribe.quality.metrics import wer  # noqa: E402
from transcribe.settings import Settings  # noqa: E402

LARGE = dict(n_mels=128, n_audio_ctx=1500, n_audio_state=1280, n_audio_head=20, n_audio_layer=32,
             n_vocab=51866, n_text_ctx=448, n_text_state=1280, n_text_head=20)
PROXY_DIMS = {"large-v3": {**LARGE, "n_text_layer": 32}, "turbo": {**LARGE, "n_text_layer": 4}}
PROXY_STEPS = 64
SOT, EOT = 50258, 50257


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def long_interview(workdir: Path, minutes: float) -> tuple[Path, str]:
    """(path, reference text) of a synthetic interview of about `minutes` (needs espeak-ng)."""
    from long_interview import build_interview

    interview = build_interview(workdir, minutes)
    return interview.mono, interview.reference


def repeated(workdir: Path, path: Path, reference: str, repeat: int) -> tuple[Path, str, float]:
    """(path, reference text, seconds) of `path` played `repeat` times over."""
    if repeat > 1:
        listing = workdir / "concat.txt"
        listing.write_text(f"file '{path.resolve()}'\n" * repeat)
        path = workdir / f"{path.stem}-x{repeat}.wav"
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-c:a", "pcm_s16le", str(path)], check=True)
    seconds = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True).stdout)
    return path, " ".join([reference] * repeat) if reference else "", seconds


def end_to_end(args, path: Path, reference: str, seconds: float) -> dict:
    import pyannote.audio

    pipeline = Pipeline(Settings(model=args.model, device=args.device, style=args.style, roles=()))
    started = time.perf_counter()
    pipeline.transcribe(Path(pyannote.audio.__file__).parent / "sample" / "sample.wav")
    load_s = time.perf_counter() - started
    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    transcript = pipeline.transcribe(path)
    synchronize(args.device)
    wall = time.perf_counter() - started
    result = {
        "load_and_warm_up_s": round(load_s, 1),
        "wall_s": round(wall, 1),
        "realtime_factor": round(seconds / wall, 1),
        "stages_s": transcript.provenance.timings,
        "windows": transcript.provenance.settings.get("windows"),
        "wer": round(wer(reference, " ".join(s.text for s in transcript.segments)), 3) if reference else None,
    }
    if args.device.startswith("cuda"):
        result["peak_gpu_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    return result


def plain_whisper(args, path: Path, reference: str) -> dict:
    model, _ = load_whisper(args.model, args.device, None)
    fp16 = args.device.startswith("cuda")
    started = time.perf_counter()
    text = whisper.transcribe(model, str(path), language="en", fp16=fp16, word_timestamps=True)["text"]
    synchronize(args.device)
    return {"wall_s": round(time.perf_counter() - started, 1), "wer": round(wer(reference, text), 3) if reference else None}


def timed(fn, device: str, reps: int = 1) -> float:
    fn()
    synchronize(device)
    started = time.perf_counter()
    for _ in range(reps):
        fn()
    synchronize(device)
    return (time.perf_counter() - started) / reps


def proxy(name: str, device: str, batches: list[int]) -> dict:
    """ms per window encoded and per decoding step of random-weight models."""
    model = Whisper(ModelDimensions(**PROXY_DIMS[name])).to(device).eval()
    dtype = prepare_model(model, default_precision(device))
    static = StaticDecoder(model, EOT, graphs=device.startswith("cuda"))
    never = torch.zeros(model.dims.n_vocab, dtype=torch.bool, device=device)
    never[EOT] = True  # random weights must not stop early: every batch runs PROXY_STEPS steps
    result: dict[str, dict] = {}
    for batch in batches:
        mel = torch.randn(batch, model.dims.n_mels, 3000, device=device, dtype=dtype)
        with torch.no_grad():
            encode_s = timed(lambda: model.encoder(mel), device)
            audio = model.encoder(mel)
            eager_s = timed(lambda: eager_greedy(model, audio, PROXY_STEPS), device)
            static_s = timed(lambda: static.generate(audio, [[SOT]] * batch, [PROXY_STEPS] * batch, never, never, 0, stop_loops=False), device)
        result[str(batch)] = {
            "encode_ms_per_window": round(1000 * encode_s / batch, 2),
            "eager_step_ms": round(1000 * eager_s / PROXY_STEPS, 2),
            "static_step_ms": round(1000 * static_s / PROXY_STEPS, 2),
        }
        del mel, audio
    if device.startswith("cuda"):
        result["peak_gpu_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    return result


def eager_greedy(model: Whisper, audio: torch.Tensor, steps: int) -> None:
    """openai-whisper's decoding loop at its core: the kv-cache hooks and one forward per token."""
    cache, hooks = model.install_kv_cache_hooks()
    try:
        tokens = torch.full((audio.shape[0], 1), SOT, device=audio.device)
        logits = model.decoder(tokens, audio, kv_cache=cache)
        for _ in range(steps - 1):
            logits = model.decoder(logits[:, -1].argmax(-1, keepdim=True), audio, kv_cache=cache)
    finally:
        for hook in hooks:
            hook.remove()


def projected_hour(timings: dict, batch: int, windows_per_hour: int, tokens_per_window: int, beam_size: int) -> dict:
    """One hour of interview: every window encoded once and decoded in batches of `batch`
    windows of `beam_size` rows each (the step cost read at the nearest measured batch
    size of rows), for openai-whisper's step and ours. Alignment, diarization and
    fallback are not in it."""
    rows = batch * beam_size
    nearest = min((int(b) for b in timings if b.isdigit()), key=lambda b: abs(b - rows))
    at = timings[str(nearest)]
    encode_s = windows_per_hour * at["encode_ms_per_window"] / 1000
    batches = -(-windows_per_hour // batch)
    return {
        "rows_per_step": rows,
        "step_cost_read_at_rows": nearest,
        "encode_s": round(encode_s, 1),
        "decode_s_eager": round(batches * tokens_per_window * at["eager_step_ms"] / 1000, 1),
        "decode_s_static": round(batches * tokens_per_window * at["static_step_ms"] / 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--model", default="base")
    parser.add_argument("--style", default="verbatim")
    parser.add_argument("--minutes", type=float, default=12)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--audio", type=Path, help="an interview of your own instead, played --repeat times over")
    parser.add_argument("--reference", type=Path, help="the --audio interview's transcript, for WER (none: no WER)")
    parser.add_argument("--skip-plain", action="store_true")
    parser.add_argument("--proxy", default="large-v3,turbo", help="comma-separated; empty for none")
    parser.add_argument("--batches", default="1,8,16,32,64")
    parser.add_argument("--windows-per-hour", type=int, default=140, help="measured: 27 windows in the 11.6-minute interview")
    parser.add_argument("--tokens-per-window", type=int, default=100)
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    report: dict = {
        "machine": {
            "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else platform.processor() or platform.machine(),
            "cpu_threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "whisper": whisper.__version__,
        },
        "model": args.model,
    }
    with tempfile.TemporaryDirectory() as workdir:
        if args.audio:
            path, reference = args.audio, args.reference.read_text() if args.reference else ""
        else:
            path, reference = long_interview(Path(workdir), args.minutes)
        path, reference, seconds = repeated(Path(workdir), path, reference, args.repeat)
        report["audio_minutes"] = round(seconds / 60, 1)
        report["pipeline"] = ours = end_to_end(args, path, reference, seconds)
        if not args.skip_plain:
            report["plain_whisper_transcribe"] = plain = plain_whisper(args, path, reference)
            transcription = ours["stages_s"].get("transcription", ours["wall_s"])
            report["ratios"] = {
                "plain_over_our_transcription": round(plain["wall_s"] / transcription, 2),
                "plain_over_our_end_to_end": round(plain["wall_s"] / ours["wall_s"], 2),
            }
    batches = [int(b) for b in args.batches.split(",") if b]
    for name in filter(None, args.proxy.split(",")):
        timings = proxy(name, args.device, batches)
        report[f"proxy_{name}"] = {
            "note": "projection: random weights of the real dimensions",
            "by_batch": timings,
            "hour_batch_8": projected_hour(timings, 8, args.windows_per_hour, args.tokens_per_window, args.beam_size),
            "hour_batch_32_greedy": projected_hour(timings, 32, args.windows_per_hour, args.tokens_per_window, 1),
        }
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
