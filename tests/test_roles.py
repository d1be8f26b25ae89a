"""Interview roles: from the channel map (exact) or from who asks the questions."""

from __future__ import annotations

import pytest

from transcribe.diarize.roles import assign_roles
from transcribe.errors import SettingsError
from transcribe.settings import Settings
from transcribe.transcript import Provenance, Recording, Segment, Speaker, Transcript

ROLES = ["interviewer", "participant"]


def interview(lines: list[tuple[str, str]], channels: bool = False) -> Transcript:
    speakers = [Speaker("SPEAKER_00", "SPEAKER_00", 0 if channels else None), Speaker("SPEAKER_01", "SPEAKER_01", 1 if channels else None)]
    segments = [Segment(i * 5.0, i * 5.0 + 4.0, speaker, text) for i, (speaker, text) in enumerate(lines)]
    return Transcript(Recording("x.wav", "0" * 64, 60.0, 1, 8000), "en", speakers, segments, Provenance("0", "now"))


LINES = [
    ("SPEAKER_01", "Thanks for having me."),
    ("SPEAKER_00", "How did you first hear about the clinic?"),
    ("SPEAKER_01", "My doctor told me about it after the operation."),
    ("SPEAKER_00", "And what was that like"),  # a question without its question mark
    ("SPEAKER_01", "It was fine. Honestly? I was nervous."),
    ("SPEAKER_00", "Could you say more about that?"),
]


def roles_of(transcript: Transcript) -> dict[str, tuple]:
    return {s.id: (s.label, s.role_source, s.role_confidence) for s in transcript.speakers}


def test_the_speaker_who_asks_questions_is_the_interviewer():
    transcript = interview(LINES)
    assign_roles(transcript, ROLES, {})
    labels = roles_of(transcript)
    assert labels["SPEAKER_00"][:2] == ("interviewer", "question-heuristic")
    assert labels["SPEAKER_01"][0] == "participant"
    assert labels["SPEAKER_00"][2] == pytest.approx((3 + 1) / (4 + 2), abs=1e-3)  # 3 of 4 questions, smoothed


def test_no_questions_means_no_confidence():
    transcript = interview([("SPEAKER_00", "Yes."), ("SPEAKER_01", "Right.")])
    assign_roles(transcript, ROLES, {})
    assert {s.role_confidence for s in transcript.speakers} == {0.5}


def test_channel_map_is_exact_and_beats_the_heuristic():
    transcript = interview(LINES, channels=True)
    assign_roles(transcript, ROLES, Settings(channel_map={"left": "participant"}).channel_roles)
    assert roles_of(transcript) == {
        "SPEAKER_00": ("participant", "channel-map", 1.0),
        "SPEAKER_01": ("interviewer", "channel-map", 1.0),
    }


def test_roles_none_keeps_speaker_ids():
    transcript = interview(LINES)
    assign_roles(transcript, list(Settings(roles=()).roles), {})
    assert [s.label for s in transcript.speakers] == ["SPEAKER_00", "SPEAKER_01"]


def test_more_speakers_than_roles_keep_their_ids():
    transcript = interview(LINES + [("SPEAKER_02", "Sorry, can I come in?")])
    transcript.speakers.append(Speaker("SPEAKER_02", "SPEAKER_02"))
    assign_roles(transcript, ROLES, {})
    assert sorted(s.label for s in transcript.speakers) == ["SPEAKER_02", "interviewer", "participant"]


@pytest.mark.parametrize("bad, message", [
    ({"middle": "interviewer"}, "`channel_map` names channel 'middle'"),
    ({"left": "nurse"}, "role 'nurse', which is not in `roles`"),
])
def test_bad_channel_maps_are_rejected(bad, message):
    with pytest.raises(SettingsError, match=message):
        Settings(roles=tuple(ROLES), channel_map=bad)
