"""Interview roles instead of SPEAKER_00: from the channel map, an enrolled voice, or who asks.

Sources, in order of precedence (a speaker keeps the first role it gets):

* Channel map (`channel_map`, e.g. left=interviewer): exact for stereo calls; confidence 1.
* Enrolled voice (`transcribe voices enroll`, see voices.py): the speaker whose speech
  matches a voiceprint takes that voice's role; confidence is the cosine similarity.
* Elimination: when those settled every speaker but one, and one role is left, that
  speaker takes it, with the confidence of the decision it follows from.
* Question heuristic: in a semi-structured interview the interviewer asks, so the
  speaker who asks the most questions takes the first role (`--roles
  interviewer,participant`); the others take the remaining roles in order of how much
  they speak. Confidence is that speaker's share of all questions, Laplace-smoothed so a
  few questions do not look certain: 0.5 for two speakers means the heuristic could not
  tell; 2 questions against none give 0.75, 10 against none 0.92.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..transcript import Speaker, Transcript

if TYPE_CHECKING:
    from .voices import VoiceMatch

# Question words that open a question even when Whisper left out the question mark.
_QUESTION_START = re.compile(
    r"^((and|so|but|og|så|men),?\s+)?(what|how|why|when|where|who|which|could|can|would|do|did|does|is|are|have|tell me|"
    r"hva|hvordan|hvorfor|når|hvor|hvem|hvilke|kan|kunne|vil|har|er|fortell)\b",
    re.IGNORECASE,
)


def _is_question(text: str) -> bool:
    text = text.strip()
    return text.endswith("?") or bool(_QUESTION_START.match(text))


def _questions_and_talk(transcript: Transcript) -> tuple[dict[str, int], dict[str, float]]:
    questions = {s.id: 0 for s in transcript.speakers}
    talk = {s.id: 0.0 for s in transcript.speakers}
    for segment in transcript.segments:
        sentences = re.split(r"(?<=[.?!])\s+", segment.text)
        questions[segment.speaker] += sum(_is_question(s) for s in sentences)
        talk[segment.speaker] += segment.end - segment.start
    return questions, talk


def _label(speaker: Speaker, role: str, source: str, confidence: float) -> None:
    speaker.role, speaker.label = role, role
    speaker.role_source, speaker.role_confidence = source, round(confidence, 3)


def assign_roles(
    transcript: Transcript,
    roles: list[str],
    channel_map: dict[int, str],
    voice_matches: dict[str, VoiceMatch] | None = None,
) -> None:
    """Label the transcript's speakers with roles, recording how each was decided."""
    voice_matches = voice_matches or {}
    if not roles and not channel_map:
        return
    unassigned = list(transcript.speakers)
    settled_by = None  # (source, confidence) of the last exact or voice decision
    for speaker in list(unassigned):
        if speaker.channel is not None and speaker.channel in channel_map:
            _label(speaker, channel_map[speaker.channel], "channel-map", 1.0)
            unassigned.remove(speaker)
            settled_by = ("channel-map", 1.0)
    taken = {s.role for s in transcript.speakers}
    for speaker in list(unassigned):
        found = voice_matches.get(speaker.id)
        if found is not None and found.voice.role not in taken:
            _label(speaker, found.voice.role, "enrolled-voice", found.similarity)
            speaker.voice = found.voice.name
            taken.add(found.voice.role)
            unassigned.remove(speaker)
            settled_by = ("enrolled-voice", min(found.similarity, settled_by[1] if settled_by else 1.0))
    free = [r for r in roles if r not in taken]
    if not unassigned or not free:
        return
    if len(unassigned) == 1 and settled_by is not None:
        # the others are known: this one takes the role that is left
        _label(unassigned[0], free[0], *settled_by)
        return
    questions, talk = _questions_and_talk(transcript)
    confidence = 0.5
    if len(unassigned) > 1:
        asker = max(unassigned, key=lambda s: (questions[s.id], -talk[s.id]))
        total = sum(questions[s.id] for s in unassigned)
        confidence = (questions[asker.id] + 1) / (total + len(unassigned))  # Laplace-smoothed share
        _label(asker, free.pop(0), "question-heuristic", confidence)
        unassigned.remove(asker)
    # the rest follow from the same decision, in order of how much they speak
    for speaker, role in zip(sorted(unassigned, key=lambda s: -talk[s.id]), free):
        _label(speaker, role, "question-heuristic", confidence)
