"""faster-whisper (CTranslate2; the engine WhisperX runs) on a list of files, for
bench/accuracy.py. Runs in a virtual environment of its own (faster-whisper pins its own
dependencies), so this file imports nothing of ours:

    python3 -m venv .bench/fw-venv && .bench/fw-venv/bin/pip install faster-whisper==1.2.1

    .bench/fw-venv/bin/python bench/faster_whisper_run.py MODEL_DIR int8 JOBS.json OUT.json

JOBS.json is a list of {"path", "language"}; OUT.json gets, per job, the text, the words
with their times and the wall seconds. Whisper's own decoding rules as faster-whisper
applies them by default: 5 beams, temperature fallback, the previous text as prompt.
"""

from __future__ import annotations

import json
import sys
import time

from faster_whisper import WhisperModel


def main() -> None:
    model_dir, compute_type, jobs_path, out_path = sys.argv[1:5]
    model = WhisperModel(model_dir, device="cpu", compute_type=compute_type, cpu_threads=0)
    results = []
    for job in json.loads(open(jobs_path).read()):
        started = time.perf_counter()
        segments, _ = model.transcribe(job["path"], language=job["language"], beam_size=5, word_timestamps=True, vad_filter=False)
        words = [{"start": w.start, "end": w.end, "text": w.word.strip(), "probability": w.probability} for s in segments for w in (s.words or [])]
        results.append({"path": job["path"], "seconds": time.perf_counter() - started, "words": words})
        print(f"faster-whisper {compute_type}: {job['path']} {results[-1]['seconds']:.1f} s", file=sys.stderr)
    with open(out_path, "w") as handle:
        json.dump(results, handle)


if __name__ == "__main__":
    main()
