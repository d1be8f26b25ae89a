"""Quality report: how much of the speech a transcript covers, and where to listen again.

Everything is computed from timings, probabilities, guards and speaker ids, never from
the words' text, so the report can be shared where the transcript cannot.

* Speech (`speech_seconds`): the union of the diarized turns (`Transcript.speech`).
* Unmarked speech (`unmarked_speech_seconds`): speech that is not quiet and that neither
  words nor marks account for, in stretches of coverage.UNACCOUNTED_MIN_S or more (see
  coverage.py). The transcription stage leaves none; a transcript edited since, or made
  by an older version, may have some: they are listed to listen again. None where the
  transcript does not know its silences (made before schema 4).
* Transcribed (`transcribed_seconds`, `transcribed_share`): the union of the words' time
  spans, intersected with the speech, over the speech. A gap between two words of a
  segment shorter than the conventions' short pause (0.3 s, not marked in the text) counts
  as transcribed; longer pauses, and the silence diarization leaves at the edges of turns,
  do not, so a complete transcript scores somewhat below 100% (about 90% measured).
* Low confidence: words whose probability is under the conventions' unclear threshold
  (those the verbatim text marks `[unclear ...]`), counted by words.
* Suspected speaker-change errors (`speaker_checks`), each a "check speaker", not a
  verdict:
  - short-turn: a turn shorter than SHORT_TURN_S between two turns of one other
    speaker, each at most FLICKER_GAP_S away. This is how diarization flicker looks,
    but a genuine backchannel ("mm-hmm") looks the same. Only mixed-audio turns are
    checked: a per-channel split knows who spoke.
  - crosses-turn: a segment's words lie more than CROSS_TURN_S inside another
    speaker's turns where their own speaker is not speaking (typically the last words
    of a segment running into the next speaker's turn): words given to the wrong speaker.
* Speakers (`speakers_estimated`, `speaker_count_doubt`): where diarization estimated how
  many spoke (no `--speakers`, not one per channel), that number, and why it may be wrong.
* Listen again: guard spans, runs of low-confidence words, turns of at least
  SILENT_TURN_S with no word of their speaker (and no guard that explains why), the
  speaker checks, and overlapping speech (two voices at once: one may be missing); sorted by time and merged when they overlap or lie closer than
  LISTEN_MERGE_GAP_S (one rewind covers both).
"""

from __future__ import annotations

import math

from ..asr.coverage import unaccounted
from ..conventions import Conventions, clock, conventions_of
from ..guide.matching import not_found, to_check
from ..transcript import (
    ListenSpan,
    QualityReport,
    Segment,
    SpeakerCheck,
    SpeechTurn,
    Transcript,
    Word,
)
from ..utils.intervals import Interval, intersect, length, near, subtract, union

__all__ = ["QualityReport", "assess", "headline", "render_summary"]

GUARD_KINDS = ("no-speech", "unreliable", "repetition-loop", "language-doubt")
MARK_REASONS = ("no-speech", "unreliable", "repetition-loop", "no-words")
# Gaps between words shorter than this are not pauses (the verbatim text does not mark them).
WORD_JOIN_S = Conventions.short_pause_s
SHORT_TURN_S = 1.0
FLICKER_GAP_S = 0.5
CROSS_TURN_S = 0.5
SILENT_TURN_S = 1.0
LISTEN_MERGE_GAP_S = 1.0
# Role confidences under this are worth checking (0.5 means the heuristic could not tell).
ROLE_CONFIDENCE_LOW = 0.7
CHECK_REASONS = {"short-turn": "check speaker (short turn)", "crosses-turn": "check speaker (words cross turns)"}

def _transcribed(segment: Segment) -> list[Interval]:
    """The segment's word spans, gaps under WORD_JOIN_S between consecutive words filled."""
    spans: list[Interval] = []
    for word in segment.words:
        if spans and word.start - spans[-1][1] < WORD_JOIN_S:
            spans[-1] = (spans[-1][0], max(spans[-1][1], word.end))
        else:
            spans.append((word.start, word.end))
    return spans


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole > 0 else None


def _short_turns(turns: list[SpeechTurn]) -> list[SpeakerCheck]:
    ordered = sorted((t for t in turns if t.channel is None), key=lambda t: (t.start, t.end))
    return [
        SpeakerCheck("short-turn", round(turn.start, 3), round(turn.end, 3), turn.speaker, before.speaker)
        for before, turn, after in zip(ordered, ordered[1:], ordered[2:])
        if turn.end - turn.start < SHORT_TURN_S
        and before.speaker == after.speaker != turn.speaker
        and turn.start - before.end <= FLICKER_GAP_S
        and after.start - turn.end <= FLICKER_GAP_S
    ]


def _crossing_words(segments: list[Segment], speech_by_speaker: dict[str, list[Interval]]) -> list[SpeakerCheck]:
    checks = []
    for segment in segments:
        if not segment.words:
            continue
        spoken = union((w.start, w.end) for w in segment.words)
        start, end = spoken[0][0], spoken[-1][1]
        outside = subtract(spoken, near(speech_by_speaker.get(segment.speaker, []), start, end))
        for other, speech in speech_by_speaker.items():
            if other == segment.speaker:
                continue
            crossing = intersect(outside, near(speech, start, end))
            if length(crossing) > CROSS_TURN_S:
                checks.append(
                    SpeakerCheck("crosses-turn", round(crossing[0][0], 3), round(crossing[-1][1], 3), segment.speaker, other)
                )
    return checks


def _low_confidence_runs(segments: list[Segment], threshold: float) -> list[ListenSpan]:
    """Maximal runs of consecutive low-confidence words within a segment."""
    spans = []
    for segment in segments:
        run: list[Word] = []
        for word in [*segment.words, None]:
            if word is not None and word.probability < threshold:
                run.append(word)
            elif run:
                spans.append(ListenSpan(run[0].start, run[-1].end, "low confidence"))
                run = []
    return spans


def _silent_turns(transcript: Transcript, turns: list[SpeechTurn]) -> list[ListenSpan]:
    """Turns of SILENT_TURN_S or more where no word of their speaker falls and no guard
    of theirs says why."""
    heard: dict[str, list[Interval]] = {}
    for segment in transcript.segments:
        heard.setdefault(segment.speaker, []).extend((w.start, w.end) for w in segment.words)
    for guard in transcript.guards:
        heard.setdefault(guard.speaker, []).append((guard.start, guard.end))
    for mark in transcript.marks:
        heard.setdefault(mark.speaker, []).append((mark.start, mark.end))
    accounted = {speaker: union(spans) for speaker, spans in heard.items()}
    spans = []
    for turn in turns:
        if turn.end - turn.start < SILENT_TURN_S:
            continue
        if not intersect([(turn.start, turn.end)], near(accounted.get(turn.speaker, []), turn.start, turn.end)):
            spans.append(ListenSpan(turn.start, turn.end, "speech without words"))
    return spans


def _merge(spans: list[ListenSpan]) -> list[ListenSpan]:
    merged: list[ListenSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        last = merged[-1] if merged else None
        if last is not None and span.start <= last.end + LISTEN_MERGE_GAP_S:
            last.end = max(last.end, span.end)
            if span.reason not in last.reason.split("; "):
                last.reason += f"; {span.reason}"
        else:
            merged.append(ListenSpan(span.start, span.end, span.reason))
    return [ListenSpan(round(s.start, 3), round(s.end, 3), s.reason) for s in merged]


def _lowest_role(transcript: Transcript) -> tuple[float | None, str | None]:
    rated = [s for s in transcript.speakers if s.role_confidence is not None]
    if not rated:
        return None, None
    lowest = min(rated, key=lambda s: s.role_confidence)
    return lowest.role_confidence, lowest.role_source


def unmarked_speech(transcript: Transcript) -> list[Interval] | None:
    """Speech without words or a mark (see coverage.py), per channel of a call split by
    channel, else of the mix; None when the transcript does not know its silences."""
    if transcript.silences is None:
        return None
    channel_of = {s.id: s.channel for s in transcript.speakers}
    found: list[Interval] = []
    for track in {t.channel for t in transcript.speech}:
        found += unaccounted(
            ((t.start, t.end) for t in transcript.speech if t.channel == track),
            ((q.start, q.end) for q in transcript.silences if q.channel == track),
            ((w.start, w.end, w.text) for s in transcript.segments if channel_of.get(s.speaker) == track for w in s.words),
            ((m.start, m.end) for m in transcript.marks if channel_of.get(m.speaker) == track),
        )
    return sorted(found)


def assess(transcript: Transcript, unclear_below: float) -> QualityReport:
    """The quality report of `transcript` (its diarized turns in `speech`), given the word
    probability under which a word counts as unclear."""
    turns = transcript.speech
    speech = union((t.start, t.end) for t in turns)
    speech_by_speaker = {
        speaker: union((t.start, t.end) for t in turns if t.speaker == speaker)
        for speaker in sorted({t.speaker for t in turns})
    }
    words = [w for s in transcript.segments for w in s.words]
    unmarked = unmarked_speech(transcript)
    speech_s = length(speech)
    transcribed_s = length(intersect(union(s for seg in transcript.segments for s in _transcribed(seg)), speech))
    low = sum(w.probability < unclear_below for w in words)
    checks = sorted(
        _short_turns(turns) + _crossing_words(transcript.segments, speech_by_speaker), key=lambda c: (c.start, c.end)
    )
    listen = (
        [ListenSpan(g.start, g.end, f"guard: {g.guard}") for g in transcript.guards]
        + _low_confidence_runs(transcript.segments, unclear_below)
        + _silent_turns(transcript, turns)
        + [ListenSpan(c.start, c.end, CHECK_REASONS[c.rule]) for c in checks]
        + [ListenSpan(o.start, o.end, "overlapping speech") for o in transcript.overlaps]
        + [ListenSpan(m.start, m.end, f"no words: {m.reason}") for m in transcript.marks if m.reason == "no-words"]
        + [ListenSpan(a, b, "speech without words or mark") for a, b in unmarked or []]
        + _guide_doubts(transcript)
    )
    role_confidence, role_source = _lowest_role(transcript)
    count = transcript.provenance.settings.get("speaker_count") or {}
    return QualityReport(
        speakers_estimated=count.get("found") if count.get("estimated") else None,
        speaker_count_doubt=count.get("doubt") if count.get("estimated") else None,
        marks={reason: sum(m.reason == reason for m in transcript.marks) for reason in MARK_REASONS},
        unmarked_speech_seconds=None if unmarked is None else round(length(unmarked), 3),
        speech_seconds=round(speech_s, 3),
        transcribed_seconds=round(transcribed_s, 3),
        transcribed_share=_share(transcribed_s, speech_s),
        words=len(words),
        low_confidence_words=low,
        low_confidence_share=_share(low, len(words)),
        low_confidence_below=unclear_below,
        guards={kind: sum(g.guard == kind for g in transcript.guards) for kind in GUARD_KINDS},
        speaker_checks=checks,
        role_confidence=role_confidence,
        role_source=role_source,
        listen_again=_merge(listen),
        corrected_per_100_words=corrected_per_100_words(transcript),
        guide_not_found=None if transcript.guide is None else [q.code for q in not_found(transcript.guide)],
        guide_to_check=None if transcript.guide is None else [q.code for q in to_check(transcript.guide)],
    )


def _guide_doubts(transcript: Transcript) -> list[ListenSpan]:
    """The turns matched to a guide question with low confidence."""
    if transcript.guide is None:
        return []
    return [ListenSpan(m.start, m.asked_end, f"guide question {transcript.guide.questions[m.question].code}: matched with low confidence "
                       "(asked here, or skipped and a follow-up taken for it?)")
            for m in transcript.guide.matches if not m.confident]


def reassess(transcript: Transcript) -> None:
    """The transcript's quality report made again, under the conventions it was made with
    (after the researcher's corrections or the guide coding changed it)."""
    transcript.quality = assess(transcript, conventions_of(transcript).unclear_below)


def corrected_per_100_words(transcript: Transcript) -> float | None:
    """Words the researcher changed per 100 words of the transcript as first corrected
    (None: never corrected): the word-edit rate, how much the machine transcript needed."""
    if not transcript.corrections:
        return None
    changed = sum(c.words_changed for c in transcript.corrections)
    return round(100 * changed / max(1, transcript.corrections[0].words_before), 2)


def _duration(seconds: float) -> str:
    """12:31, or 1:02:03 from an hour on."""
    total = round(seconds)
    hours, minutes, secs = total // 3600, total % 3600 // 60, total % 60
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def _counted(total: int, counts: dict[str, int]) -> str:
    detail = ", ".join(f"{kind} {n}" for kind, n in counts.items() if n)
    return f"{total} ({detail})" if detail else str(total)


def headline(report: QualityReport) -> list[str]:
    """The report's figures in a few lines (the CLI prints these)."""
    rules = dict.fromkeys(CHECK_REASONS, 0)
    for check in report.speaker_checks:
        rules[check.rule] += 1
    if report.transcribed_share is None:
        lines = ["Speech transcribed: no speech was detected"]
    else:
        lines = [f"Speech transcribed: {_percent(report.transcribed_share)} of {_duration(report.speech_seconds)} of speech"]
    lines += [
        f"Low-confidence words: {_percent(report.low_confidence_share)} "
        f"({report.low_confidence_words} of {report.words}, probability under {report.low_confidence_below:g})",
        f"Guards fired: {_counted(sum(report.guards.values()), report.guards)}",
        f"Speech without words, marked [inaudible]: {_counted(sum(report.marks.values()), report.marks)}"
        + ("" if report.unmarked_speech_seconds is None else f"; unmarked: {report.unmarked_speech_seconds:g} s"),
        f"Speaker checks: {_counted(len(report.speaker_checks), rules)}",
    ]
    if report.speakers_estimated is not None:
        lines.append(f"Speakers: {report.speakers_estimated}, estimated (give --speakers if you know)"
                     + (f"; check the speakers: {report.speaker_count_doubt}" if report.speaker_count_doubt else ""))
    if report.role_confidence is not None and report.role_confidence < ROLE_CONFIDENCE_LOW:
        lines.append(f"Roles: uncertain ({report.role_source}, confidence {report.role_confidence:.2f}): check the labels")
    if report.guide_not_found is not None:
        lines.append("Interview guide: " + (f"not found: {', '.join(report.guide_not_found)} (skipped, or asked in other words)"
                                            if report.guide_not_found else "every question found"))
        if report.guide_to_check:
            lines.append(f"Interview guide: found only with low confidence: {', '.join(report.guide_to_check)} "
                         "(asked, or skipped: listen where the report says)")
    if report.corrected_per_100_words is not None:
        lines.append(f"Corrected by the researcher: {report.corrected_per_100_words:g} words per 100")
    lines.append(f"Listen again: {len(report.listen_again)} place{'' if len(report.listen_again) == 1 else 's'}")
    return lines


def _clock_span(span: ListenSpan) -> str:
    # the end rounded up, so that a span inside one second still reads as a second
    return f"{clock(span.start)}–{clock(math.ceil(span.end))}"


def render_summary(report: QualityReport, transcript: Transcript) -> str:
    """The plain-text summary written as `<stem>.quality.txt`."""
    lines = [f"Quality report: {transcript.recording.source_name}", *headline(report)]
    lines += [f"  {_clock_span(span)}  {span.reason}" for span in report.listen_again]
    lines += [f"Recording: {warning}" for warning in transcript.warnings]  # damage, lost stretches, what ingest found
    return "\n".join(lines) + "\n"
