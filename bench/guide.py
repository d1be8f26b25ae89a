"""How well answers are coded by the interview guide, on synthetic interviews that
paraphrase, reorder and skip the guide's questions (tests/guide_interviews.py), in
English and Norwegian.

    python bench/guide.py                      # the reporting half (seeds 10-29), per language
    python bench/guide.py --half tuning --sweep  # thresholds tried on the tuning half (seeds 0-9)

Per interview: the share of answer turns coded with the right question, the skipped
questions reported as not found, asked questions reported as not found (missed), and the
matches of low confidence. Choose thresholds on the tuning half only.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from guide_interviews import GuideInterview, build  # noqa: E402

from transcribe.guide import matching  # noqa: E402

HALVES = {"tuning": range(0, 10), "reporting": range(10, 30)}


def score(interview: GuideInterview) -> dict:
    coding = matching.code_by_guide(interview.transcript, interview.guide, "guide.txt", "")
    codes = [q.code for q in coding.questions]
    right = 0
    for start, code in interview.truth.items():
        found = next((codes[m.question] for m in coding.matches if m.start <= start < m.end), None)
        right += found == code
    not_found = {q.code for q in matching.not_found(coding)}
    return {
        "answers": len(interview.truth),
        "right": right,
        "skipped": len(interview.skipped),
        "skipped_reported": len(set(interview.skipped) & not_found),
        "missed": len(not_found - set(interview.skipped)),
        "low_confidence": sum(not m.confident for m in coding.matches),
        "matches": len(coding.matches),
    }


def summary(language: str, seeds: range) -> dict:
    rows = [score(build(language, seed)) for seed in seeds]
    total = {key: sum(r[key] for r in rows) for key in rows[0]}
    total["accuracy"] = total["right"] / total["answers"]
    total["worst"] = min(r["right"] / r["answers"] for r in rows)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half", choices=HALVES, default="reporting")
    parser.add_argument("--sweep", action="store_true", help="try thresholds (tuning half only)")
    args = parser.parse_args()
    seeds = HALVES[args.half]
    if args.sweep:
        if args.half != "tuning":
            parser.error("--sweep only on the tuning half")
        for low, confident in itertools.product((0.80, 0.82, 0.84, 0.86, 0.88), (0.87, 0.875, 0.88)):
            matching.MATCH_MIN, matching.CONFIDENT_MIN = low, confident
            results = {lang: summary(lang, seeds) for lang in ("en", "no")}
            print(f"MATCH_MIN {low:.2f} CONFIDENT_MIN {confident:.2f}: " + "; ".join(
                f"{lang} {r['accuracy']:.3f} (worst {r['worst']:.2f}, missed {r['missed']}, low {r['low_confidence']}/{r['matches']})"
                for lang, r in results.items()))
        return
    print(f"| language | interviews | answers | coded right | worst interview | skipped questions reported | asked but not found | low-confidence matches |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for lang in ("en", "no"):
        r = summary(lang, seeds)
        print(f"| {lang} | {len(seeds)} | {r['answers']} | {r['right']} ({r['accuracy']:.1%}) | {r['worst']:.1%} | "
              f"{r['skipped_reported']} of {r['skipped']} | {r['missed']} | {r['low_confidence']} of {r['matches']} |")


if __name__ == "__main__":
    main()
