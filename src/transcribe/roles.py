"""Interview roles instead of SPEAKER_00: from the channel map, else from who asks.

* Channel map (`--channel-map left=interviewer`): exact for stereo calls; confidence 1.
* Question heuristic: in a semi-structured interview the interviewer asks, so the
  speaker who asks the most questions takes the first role (`--roles
  interviewer,participant`); the others take the remaining roles in order of how much
  they speak. Confidence is that speaker's share of all questions, Laplace-smoothed so a
  few questions do not look certain: 0.5 for two speakers means the heuristic could not
  tell; 2 questions against none give 0.75, 10 against none 0.92.
"""

from __future__ import annotations

import re

from .errors import SettingsError
from .transcript import Speaker, Transcript

CHANNEL_NAMES = {"left": 0, "l": 0, "0": 0, "right": 1, "r": 1, "1": 1}

# Question words that open a question even when Whisper left out the question mark.
_QUESTION_START = re.compile(
    r"^((and|so|but|og|så|men),?\s+)?(what|how|why|when|where|who|which|could|can|would|do|did|does|is|are|have|tell me|"
    r"hva|hvordan|hvorfor|når|hvor|hvem|hvilke|kan|kunne|vil|har|er|fortell)\b",
    re.IGNORECASE,
)


def parse_roles(text: str) -> list[str]:
    if text.strip().lower() == "none":
        return []
    roles = [r.strip() for r in text.split(",") if r.strip()]
    if len(set(roles)) != len(roles):
        raise SettingsError(f"--roles names a role twice: {text}")
    return roles


def parse_channel_map(text: str, roles: list[str]) -> dict[int, str]:
    mapping = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        channel, _, role = item.partition("=")
        if channel.strip().lower() not in CHANNEL_NAMES or not role.strip():
            raise SettingsError(f"--channel-map entries look like left=interviewer (got '{item}')")
        if roles and role.strip() not in roles:
            raise SettingsError(f"--channel-map names role '{role.strip()}' that is not in --roles")
        mapping[CHANNEL_NAMES[channel.strip().lower()]] = role.strip()
    return mapping


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


def assign_roles(transcript: Transcript, roles: list[str], channel_map: dict[int, str]) -> None:
    """Label the transcript's speakers with roles, recording how each was decided."""
    if not roles and not channel_map:
        return
    unassigned = list(transcript.speakers)
    for speaker in list(unassigned):
        if speaker.channel is not None and speaker.channel in channel_map:
            _label(speaker, channel_map[speaker.channel], "channel-map", 1.0)
            unassigned.remove(speaker)
    free = [r for r in roles if r not in {s.role for s in transcript.speakers}]
    if not unassigned or not free:
        return
    if len(unassigned) == 1 and channel_map:
        # the channel map named the other party: this one takes the role that is left
        _label(unassigned[0], free[0], "channel-map", 1.0)
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
