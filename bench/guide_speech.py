"""Guide coding on recognised speech: interviews of the reporting half of bench/guide.py
spoken by espeak-ng (two voices, a stereo telephone call: one party per channel, so the
speakers are exact and what is measured is the recognition), transcribed by
`transcribe run --guide`, and each answer's code compared with the truth; beside it the
same interviews coded from their text, as bench/guide.py does.

    python bench/guide_speech.py                       # 3 interviews a language, Whisper base
    python bench/guide_speech.py --interviews 5 --languages en --work .bench/guide-speech
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from conversations import record  # noqa: E402
from guide_interviews import REPORTING_SEEDS, GuideInterview, build  # noqa: E402

from transcribe import cli  # noqa: E402
from transcribe.export.outputs import read_transcript  # noqa: E402
from transcribe.guide import code_by_guide, not_found, to_check  # noqa: E402

VOICES = {"en": {"SPEAKER_00": "en-gb+m3", "SPEAKER_01": "en-us+f2"}, "no": {"SPEAKER_00": "nb+m3", "SPEAKER_01": "nb+f2"}}


def spoken(interview: GuideInterview, work: Path, name: str) -> tuple[Path, list[tuple[float, float, str]]]:
    """The interview as a stereo call (interviewer left, participant right) and its
    answers as (start, end, code) in the recording's seconds."""
    segments = interview.transcript.segments
    script = [(s.speaker, s.text, 0.6) for s in segments]
    call = record(script, VOICES[interview.language], work, name, form="stereo8k", seed=len(segments))
    spoken_answers = [u for s, u in zip(segments, call.truth) if s.speaker == "SPEAKER_01"]  # every participant turn answers
    answers = [(u.start, u.end, code) for u, code in zip(spoken_answers, interview.truth.values(), strict=True)]
    return call.path, answers


def scored(coding, answers: list[tuple[float, float, str]], skipped: list[str]) -> dict:
    codes = [q.code for q in coding.questions]
    right = sum(next((codes[m.question] for m in coding.matches if m.start <= (start + end) / 2 < m.end), None) == code
                for start, end, code in answers)
    reported = {q.code for q in [*not_found(coding), *to_check(coding)]}
    return {"answers": len(answers), "right": right, "skipped": len(skipped), "reported": len(set(skipped) & reported)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interviews", type=int, default=3, help="interviews a language, from the reporting half's first")
    parser.add_argument("--model", default="base")
    parser.add_argument("--languages", default="en,no", help="comma-separated: en, no")
    parser.add_argument("--work", type=Path, default=ROOT / ".bench" / "guide-speech")
    args = parser.parse_args()
    rows = []
    for language in args.languages.split(","):
        for seed in list(REPORTING_SEEDS)[: args.interviews]:
            interview = build(language, seed)
            name = f"{language}-{seed}"
            audio, answers = spoken(interview, args.work / "audio", name)
            guide = args.work / f"guide-{language}.txt"
            guide.write_text("".join(f"[{q.code}] {q.question}\n" for q in interview.guide), encoding="utf-8")
            began = time.perf_counter()
            code = cli.main(["run", str(audio), "-o", str(args.work / "out"), "-q", "--force", "--model", args.model,
                             "--language", language, "--guide", str(guide), "--formats", "txt"])
            if code != 0:
                raise SystemExit(f"{name}: transcribe run exited {code}")
            seconds = time.perf_counter() - began
            speech = scored(read_transcript(args.work / "out" / f"{name}.json").guide, answers, interview.skipped)
            text = code_by_guide(interview.transcript, interview.guide, "guide.txt", "")
            truth = [(start, start + 0.01, c) for start, c in interview.truth.items()]
            rows.append((name, speech, scored(text, truth, interview.skipped), seconds))
    print(f"| interview | answers | coded right from speech ({args.model}) | from the text | skipped reported from speech | from the text | run (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, speech, text, seconds in rows:
        print(f"| {name} | {speech['answers']} | {speech['right']} | {text['right']} | {speech['reported']} of {speech['skipped']} | "
              f"{text['reported']} of {text['skipped']} | {seconds:.0f} |")
    for label, index in (("speech", 1), ("text", 2)):
        right, answers = sum(r[index]["right"] for r in rows), sum(r[index]["answers"] for r in rows)
        print(f"{label}: {right} of {answers} answers coded right ({right / answers:.1%}); skipped reported "
              f"{sum(r[index]['reported'] for r in rows)} of {sum(r[index]['skipped'] for r in rows)}")


if __name__ == "__main__":
    main()
