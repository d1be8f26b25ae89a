"""Benchmark: fillers kept, and plain WER, in verbatim vs clean style vs plain openai-whisper.

Synthetic stereo telephone interviews with spoken fillers (espeak-ng; channel-split
diarization, so only transcription is measured), all in one process and on one model:
    .venv/bin/python bench/fillers.py [--model base] [--device cpu] [--corpora en,no]
Filler recall: reference fillers that the word alignment pairs with a transcribed filler.
Plain WER: Whisper's English normaliser, which drops fillers, so it measures the other words
(for Norwegian it only lowercases and strips punctuation, and the fillers are dropped first).
Our systems are scored on the rendered text a researcher gets (markers removed).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import whisper  # noqa: E402
from scripts import (  # noqa: E402
    ENGLISH_FILLER_CALL,
    ENGLISH_FILLER_PHONEMES,
    ENGLISH_VOICES,
    INTERVIEWER,
    NORWEGIAN_FILLER_CALL,
    NORWEGIAN_FILLER_PHONEMES,
    NORWEGIAN_VOICES,
    PARTICIPANT,
)
from synthetic import build_dialogue, telephone_stereo, with_fillers  # noqa: E402

from transcribe.conventions import render_text  # noqa: E402
from transcribe.ingest.audio import load_audio  # noqa: E402
from transcribe.pipeline import Pipeline  # noqa: E402
from transcribe.quality.metrics import filler_recall, spoken_text, wer  # noqa: E402
from transcribe.settings import Settings  # noqa: E402

CORPORA = {
    "en": (ENGLISH_FILLER_CALL, ENGLISH_FILLER_PHONEMES, ENGLISH_VOICES),
    "no": (NORWEGIAN_FILLER_CALL, NORWEGIAN_FILLER_PHONEMES, NORWEGIAN_VOICES),
}


def build(language: str, workdir: Path) -> tuple[Path, str]:
    script, phonemes, voices = CORPORA[language]
    spoken, reference = with_fillers(script, phonemes)
    tracks, _, _ = build_dialogue(spoken, voices, workdir)
    path = telephone_stereo(tracks[INTERVIEWER], tracks[PARTICIPANT], workdir / f"fillers-{language}.wav")
    return path, " ".join(line for _, line, _ in reference)


def ours(path: Path, language: str, style: str, model: str, device: str) -> str:
    settings = Settings(model=model, device=device, language=language, style=style)
    transcript = Pipeline(settings).transcribe(path)
    return spoken_text(render_text(transcript, settings.conventions))


def plain_whisper(path: Path, language: str, model: str, device: str) -> str:
    from transcribe.models.whisper_models import load_whisper

    asr, _ = load_whisper(model, device)
    mono = load_audio(path).samples.mean(axis=0)
    return whisper.transcribe(asr, mono, language=language, fp16=device.startswith("cuda"))["text"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--corpora", default=",".join(CORPORA), help="which of en,no to run")
    args = parser.parse_args()
    chosen = [c for c in CORPORA if c in args.corpora.split(",")]
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, device {args.device}, model {args.model}")
    print(f"{'corpus':<8}{'system':<20}{'fillers kept':>14}{'WER':>8}{'seconds':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for language in chosen:
            path, reference = build(language, Path(tmp))
            if language == chosen[0]:
                ours(path, language, "clean", args.model, args.device)  # warm-up: first-run costs, untimed
            systems = {
                "verbatim": lambda: ours(path, language, "verbatim", args.model, args.device),
                "clean": lambda: ours(path, language, "clean", args.model, args.device),
                "plain whisper": lambda: plain_whisper(path, language, args.model, args.device),
            }
            for name, run in systems.items():
                start = time.perf_counter()
                hypothesis = run()
                seconds = time.perf_counter() - start
                kept, total = filler_recall(reference, hypothesis)
                print(f"{language:<8}{name:<20}{f'{kept}/{total} {kept / total:.0%}':>14}{wer(reference, hypothesis):>8.3f}{seconds:>9.1f}")


if __name__ == "__main__":
    main()
