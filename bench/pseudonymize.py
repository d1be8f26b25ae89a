"""How long pseudonymization takes for an hour of interview.

Builds a 60-minute two-party transcript from the test interviews' lines (English and
Norwegian, planted identifiers included; about 150 words a minute), then times the
detectors' loading and `pseudonymize` with the study key, the patterns and spaCy's
English NER, and counts what it replaced.

    .venv/bin/python bench/pseudonymize.py
"""

from __future__ import annotations

import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_pseudonymize import EN_INTERVIEW, EN_KEY, NO_INTERVIEW, NO_KEY, interview  # noqa: E402

from transcribe.models.ner_models import resolve_ner  # noqa: E402
from transcribe.pseudonymize.detection import Detector  # noqa: E402
from transcribe.pseudonymize.pseudonym_key import PseudonymKey  # noqa: E402
from transcribe.pseudonymize.replace import pseudonymize  # noqa: E402
from transcribe.pseudonymize.study_key import StudyKey  # noqa: E402

WORDS_PER_MINUTE = 150


def hour_of(lines: list[tuple[str, str]], language: str):
    per_round = sum(len(text.split()) for _, text in lines)
    rounds = 60 * WORDS_PER_MINUTE // per_round + 1
    return interview(lines * rounds, language)


def main() -> None:
    print(f"machine: {platform.processor() or platform.machine()}, {platform.system()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder:
        for label, key_text, lines, language in (("English", EN_KEY, EN_INTERVIEW, "en"), ("Norwegian", NO_KEY, NO_INTERVIEW, "no")):
            (Path(folder) / "key.yaml").write_text(key_text)
            key = StudyKey.load(Path(folder) / "key.yaml")
            ner = resolve_ner("auto")
            start = time.perf_counter()
            detector = Detector(key, ner)
            loaded = time.perf_counter() - start
            transcript = hour_of(lines, language)
            words = sum(len(s.words) for s in transcript.segments)
            start = time.perf_counter()
            with PseudonymKey.open(Path(folder) / f"{language}.json") as pseudonyms:
                _, replacements = pseudonymize(transcript, detector.find, pseudonyms, key, "bench")
            took = time.perf_counter() - start
            models = ", ".join(f"{m.language}: {m.name}" for m in detector.ner) or "none"
            print(
                f"{label}: {words} words ({transcript.recording.duration / 60:.0f} min), NER {models}: "
                f"detectors loaded in {loaded:.1f} s, pseudonymized in {took:.1f} s "
                f"({words / took:.0f} words/s), {len(replacements)} replacements"
            )


if __name__ == "__main__":
    main()
