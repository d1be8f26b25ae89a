"""How well answers are coded by the interview guide, on synthetic interviews that
paraphrase, reorder and skip the guide's questions (tests/guide_interviews.py), in
English and Norwegian.

    python bench/guide.py                      # the reporting half (seeds 30-59), per language
    python bench/guide.py --half tuning --sweep  # settings tried on the tuning half (seeds 0-29)
    python bench/guide.py --each               # and a line per interview

Per interview: the share of answer turns coded with the right question; each skipped
question reported as not found, or as taken only by a low-confidence match (listed to
check), or not reported; asked questions reported as not found (missed); the matches of
low confidence. The halves are worded apart (tests/guide_interviews.py). Choose thresholds
on the tuning half only.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from guide_interviews import REPORTING_SEEDS, TUNING_SEEDS, GuideInterview, build  # noqa: E402

from transcribe.guide import matching  # noqa: E402

HALVES = {"tuning": TUNING_SEEDS, "reporting": REPORTING_SEEDS}


def score(interview: GuideInterview) -> dict:
    coding = matching.code_by_guide(interview.transcript, interview.guide, "guide.txt", "")
    codes = [q.code for q in coding.questions]
    right = unflagged = 0
    for start, code in interview.truth.items():
        match = next((m for m in coding.matches if m.start <= start < m.end), None)
        right += match is not None and codes[match.question] == code
        unflagged += match is not None and codes[match.question] != code and match.confident
    not_found = {q.code for q in matching.not_found(coding)}
    to_check = {q.code for q in matching.to_check(coding)}
    return {
        "answers": len(interview.truth),
        "right": right,
        "wrong_unflagged": unflagged,
        "skipped": len(interview.skipped),
        "skipped_not_found": len(set(interview.skipped) & not_found),
        "skipped_to_check": len(set(interview.skipped) & to_check),
        "missed": len(not_found - set(interview.skipped)),
        "low_confidence": sum(not m.confident for m in coding.matches),
        "matches": len(coding.matches),
    }


def scores(language: str, seeds: range) -> list[dict]:
    """`score` of each interview of `seeds` in `language`."""
    return [score(build(language, seed)) for seed in seeds]


def summary(rows: list[dict]) -> dict:
    """The interviews' scores summed, with the share coded right overall and in the worst."""
    total = {key: sum(r[key] for r in rows) for key in rows[0]}
    total["accuracy"] = total["right"] / total["answers"]
    total["worst"] = min(r["right"] / r["answers"] for r in rows)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half", choices=HALVES, default="reporting")
    parser.add_argument("--sweep", action="store_true", help="try thresholds (tuning half only)")
    parser.add_argument("--each", action="store_true", help="a line per interview after the table")
    args = parser.parse_args()
    seeds = HALVES[args.half]
    if args.sweep:
        if args.half != "tuning":
            parser.error("--sweep only on the tuning half")
        embedders = {name: getattr(matching, name) for name in ("similarity", "relevance_of")}
        for name, embed in embedders.items():  # each text set embedded once, not once per setting tried
            cached = functools.cache(lambda texts, questions, embed=embed: embed(list(texts), list(questions)))
            setattr(matching, name, lambda texts, questions, cached=cached: cached(tuple(texts), tuple(questions)))
        for answer, low, band, margin in itertools.product((0.0, 0.25, 0.5, 1.0), (0.86, 0.87, 0.88, 0.89, 0.90, 0.91), (0.01, 0.02, 0.03),
                                                           (0.005, 0.01, 0.02, 0.03)):
            matching.ANSWER_WEIGHT, matching.MATCH_MIN, matching.CONFIDENT_MIN, matching.MARGIN_MIN = answer, low, low + band, margin
            matching.REASK_MIN = matching.CONFIDENT_MIN
            results = {lang: summary(scores(lang, seeds)) for lang in ("en", "no")}
            print(f"ANSWER_WEIGHT {answer:.2f} MATCH_MIN {low:.3f} CONFIDENT_MIN {low + band:.3f} MARGIN_MIN {margin:.3f}: " + "; ".join(
                f"{lang} {r['accuracy']:.3f} (worst {r['worst']:.2f}, missed {r['missed']}, low {r['low_confidence']}/{r['matches']}, "
                f"wrong unflagged {r['wrong_unflagged']}, skipped {r['skipped_not_found']}+{r['skipped_to_check']}/{r['skipped']})"
                for lang, r in results.items()), flush=True)
        for name, embed in embedders.items():
            setattr(matching, name, embed)
        return
    print("| language | interviews | answers | coded right | worst interview | skipped questions | reported not found | reported to check "
          "| not reported | asked but not found | low-confidence matches |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    each = {lang: scores(lang, seeds) for lang in ("en", "no")}
    for lang, rows in each.items():
        r = summary(rows)
        print(f"| {lang} | {len(seeds)} | {r['answers']} | {r['right']} ({r['accuracy']:.1%}) | {r['worst']:.1%} | "
              f"{r['skipped']} | {r['skipped_not_found']} | {r['skipped_to_check']} | {r['skipped'] - r['skipped_not_found'] - r['skipped_to_check']} | "
              f"{r['missed']} | {r['low_confidence']} of {r['matches']} |")
    if args.each:
        for lang, rows in each.items():
            for seed, r in zip(seeds, rows):
                unreported = r["skipped"] - r["skipped_not_found"] - r["skipped_to_check"]
                print(f"{lang} interview {seed}: {r['right']} of {r['answers']} answers coded right ({r['right'] / r['answers']:.0%}); "
                      f"skipped {r['skipped']}: {r['skipped_not_found']} not found, {r['skipped_to_check']} to check, {unreported} not reported; "
                      f"asked but not found {r['missed']}; low-confidence matches {r['low_confidence']} of {r['matches']}")


if __name__ == "__main__":
    main()
