"""Enrolled voices: the study's interviewer is recognised by voice on a mono call."""

from __future__ import annotations

import copy
import stat

import numpy as np
import pytest

from transcribe.cli import main
from transcribe.diarize.roles import assign_roles
from transcribe.diarize.voices import (
    MATCH_THRESHOLD,
    MIN_MARGIN,
    Voice,
    VoiceEmbedder,
    VoiceMatch,
    VoiceStore,
    enrol,
    match,
    select_voices,
)
from transcribe.errors import InputFileError, ModelError, SettingsError
from transcribe.ingest.audio import load_audio
from transcribe.models.store import ModelStore
from transcribe.settings import Settings
from transcribe.transcript import Provenance, Recording, Segment, Speaker, Transcript

ROLES = ["interviewer", "participant"]

# A call in which the *participant* asks the questions: the question heuristic gets the
# roles wrong, so only the enrolled voice can label the interviewer correctly.
VOICES = {"interviewer": "en-us+m3", "participant": "en-us+f2"}
QUESTIONING_PARTICIPANT = [
    ("interviewer", "Thank you for joining me today, we can start whenever you are ready", 0.0),
    ("participant", "Before we start, could you tell me how long this will take?", 0.6),
    ("interviewer", "About thirty minutes, and you can stop at any time", 0.5),
    ("participant", "Will my name be used in the report?", 0.6),
    ("interviewer", "No, everything you say is kept confidential", 0.5),
    ("participant", "And who will read the transcript?", 0.7),
    ("interviewer", "Only the research team will see it", 0.5),
    ("participant", "What happens if I change my mind later?", 0.6),
    ("interviewer", "Then we delete the recording and your answers", 0.5),
]
ENROLMENT_TEXT = (
    "Hello, my name is on the study team. I run the interviews about follow up care after surgery, "
    "and I will be the one calling you from the hospital over the next few weeks."
)


@pytest.fixture
def home(tmp_path, store, monkeypatch):
    """A TRANSCRIBE_HOME of its own (sharing the session's imported models), so voices
    enrolled here never reach the other tests' pipelines."""
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "models").symlink_to(store.root, target_is_directory=True)
    monkeypatch.setenv("TRANSCRIBE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def voice(name: str, vector, role: str = "interviewer") -> Voice:
    vector = np.asarray(vector, dtype=np.float32)
    return Voice(name, role, [float(x) for x in vector / np.linalg.norm(vector)], "campplus", "0" * 64, 10.0, "2026-01-01T00:00:00+00:00")


def unit(*values) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


# --- matching and precedence (own logic, no model) ---------------------------------


def test_a_voice_goes_to_the_speaker_it_clearly_resembles():
    anna = voice("anna", [1, 0, 0])
    found = match({"SPEAKER_00": unit(0.2, 1, 0), "SPEAKER_01": unit(1, 0.3, 0)}, [anna])
    assert list(found) == ["SPEAKER_01"] and found["SPEAKER_01"].voice is anna
    assert found["SPEAKER_01"].similarity > MATCH_THRESHOLD and found["SPEAKER_01"].margin >= MIN_MARGIN


def test_a_voice_nobody_resembles_or_two_resemble_alike_is_not_matched():
    anna = voice("anna", [1, 0, 0])
    assert match({"SPEAKER_00": unit(0.3, 1, 0), "SPEAKER_01": unit(0.2, 0, 1)}, [anna]) == {}  # below threshold
    assert match({"SPEAKER_00": unit(1, 0.30, 0), "SPEAKER_01": unit(1, 0.32, 0)}, [anna]) == {}  # no margin


def test_two_voices_never_claim_one_speaker():
    anna, bo = voice("anna", [1, 0, 0]), voice("bo", [1, 0.5, 0], role="participant")
    found = match({"SPEAKER_00": unit(1, 0.1, 0), "SPEAKER_01": unit(0, 0, 1)}, [anna, bo])
    assert {speaker: m.voice.name for speaker, m in found.items()} == {"SPEAKER_00": "anna"}


def interview(channels: bool = False) -> Transcript:
    speakers = [Speaker(f"SPEAKER_0{i}", f"SPEAKER_0{i}", i if channels else None) for i in range(2)]
    lines = [("SPEAKER_00", "Could you tell me how long this takes?"), ("SPEAKER_01", "About half an hour.")] * 3
    segments = [Segment(i * 5.0, i * 5.0 + 4.0, speaker, text) for i, (speaker, text) in enumerate(lines)]
    return Transcript(Recording("x.wav", "0" * 64, 30.0, 1, 8000), "en", speakers, segments, Provenance("0", "now"))


def test_an_enrolled_voice_beats_the_question_heuristic_and_settles_the_other_speaker():
    transcript = interview()
    assign_roles(transcript, ROLES, {}, {"SPEAKER_01": VoiceMatch(voice("anna", [1, 0]), 0.83, 0.4)})
    labels = {s.id: (s.label, s.role_source, s.role_confidence, s.voice) for s in transcript.speakers}
    assert labels == {
        "SPEAKER_00": ("participant", "enrolled-voice", 0.83, None),
        "SPEAKER_01": ("interviewer", "enrolled-voice", 0.83, "anna"),
    }


def test_the_channel_map_beats_an_enrolled_voice():
    transcript = interview(channels=True)
    matches = {"SPEAKER_01": VoiceMatch(voice("anna", [1, 0]), 0.9, 0.4)}
    assign_roles(transcript, ROLES, Settings(channel_map={"left": "interviewer"}).channel_roles, matches)
    assert [(s.label, s.role_source, s.voice) for s in transcript.speakers] == [
        ("interviewer", "channel-map", None),
        ("participant", "channel-map", None),
    ]


# --- the voice store -----------------------------------------------------------------


def test_voices_are_stored_owner_only_and_can_be_replaced_and_removed(tmp_path):
    voices = VoiceStore(tmp_path / "voices")
    path = voices.save(voice("interviewer-anna", [1, 0]))
    assert stat.S_IMODE(voices.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(SettingsError, match="already enrolled"):
        voices.save(voice("interviewer-anna", [0, 1]))
    voices.save(voice("interviewer-anna", [0, 1]), replace=True)
    assert voices.get("interviewer-anna").embedding == [0.0, 1.0]
    assert [v.name for v in voices.list()] == ["interviewer-anna"]
    voices.remove("interviewer-anna")
    assert voices.list() == []
    with pytest.raises(SettingsError, match="no voice named"):
        voices.remove("interviewer-anna")


@pytest.mark.parametrize("name", ["../escape", "a/b", "auto", "none", "", "x" * 65])
def test_voice_names_cannot_escape_the_store_or_shadow_options(tmp_path, name):
    with pytest.raises(SettingsError, match="not a valid voice name"):
        VoiceStore(tmp_path).save(voice(name, [1, 0]))


def test_voices_option_fails_early_on_unknown_names_roles_and_other_weights(home):
    store = ModelStore()
    sha256 = store.get("embedding", "campplus").sha256
    voices = VoiceStore.beside(store)
    voices.save(voice("anna", [1, 0]))  # enrolled with other weights (sha256 0000...)
    with pytest.raises(SettingsError, match="'bo', which is not enrolled"):
        select_voices(store, ("anna", "bo"), ROLES)
    with pytest.raises(ModelError, match="enrol it again"):
        select_voices(store, "auto", ROLES)
    moderator = voice("moderator", [1, 0], role="moderator")
    moderator.model_sha256 = sha256
    voices.save(moderator)
    with pytest.raises(SettingsError, match="not in `roles`"):
        select_voices(store, ("moderator",), ROLES)
    assert select_voices(store, "none", ROLES) == []
    assert [v.name for v in select_voices(store, ("moderator",), ROLES + ["moderator"])] == ["moderator"]


# --- real weights, real and synthetic speech --------------------------------------------


@pytest.mark.slow
def test_voiceprints_tell_the_two_real_callers_of_the_sample_apart(store, sample_wav):
    """Two stretches of each caller of a real telephone call: same person above the match
    threshold, the other person below it (the figures behind MATCH_THRESHOLD)."""
    audio = load_audio(sample_wav)
    mono, rate = audio.mono(), audio.sample_rate
    stretches = {  # exclusive speech of each caller, from sample.rttm
        ("diane", 1): [(8.32, 9.9), (11.05, 14.45)],
        ("diane", 2): [(18.6, 21.5), (28.5, 30.0)],
        ("sheila", 1): [(14.5, 17.9)],
        ("sheila", 2): [(21.9, 27.8)],
    }
    embed = VoiceEmbedder(store)
    prints = {key: embed(np.concatenate([mono[int(a * rate) : int(b * rate)] for a, b in spans])) for key, spans in stretches.items()}
    same = [float(prints[p, 1] @ prints[p, 2]) for p in ("diane", "sheila")]
    other = [float(prints["diane", i] @ prints["sheila", j]) for i in (1, 2) for j in (1, 2)]
    print(f"same caller {min(same):.2f}-{max(same):.2f}, other caller {min(other):.2f}-{max(other):.2f}")
    assert min(same) >= MATCH_THRESHOLD + MIN_MARGIN
    assert max(other) < MATCH_THRESHOLD


def test_a_clip_without_enough_speech_is_refused(home, tmp_path):
    from synthetic import write_wav

    clip = write_wav(tmp_path / "short.wav", np.zeros(16000 * 5, dtype=np.float32))
    with pytest.raises(InputFileError, match="needs at least 3 s"):
        enrol(ModelStore(), "anna", clip, "interviewer")


@pytest.mark.slow
def test_the_interviewer_of_a_mono_call_is_recognised_by_enrolled_voice(home, tmp_path, capsys):
    from synthetic import build_dialogue, speak, telephone_mono

    from transcribe.pipeline import Pipeline
    from transcribe.settings import Settings

    tracks, truth, _ = build_dialogue(QUESTIONING_PARTICIPANT, VOICES, tmp_path)
    call = telephone_mono(tracks["interviewer"] + tracks["participant"], tmp_path / "call.wav")
    clip = telephone_mono(speak(ENROLMENT_TEXT, VOICES["interviewer"], tmp_path), tmp_path / "anna.wav")

    assert main(["voices", "enroll", "interviewer-anna", str(clip), "--device", "cpu"]) == 0
    assert main(["voices", "list"]) == 0
    assert "interviewer-anna" in capsys.readouterr().out
    assert stat.S_IMODE((home / "voices" / "interviewer-anna.json").stat().st_mode) == 0o600

    transcript = Pipeline(Settings(model="base", device="cpu", language="en"), store=ModelStore()).transcribe(call)
    by_id = {s.id: s for s in transcript.speakers}

    def role_at(time: float) -> str:
        segment = min(transcript.segments, key=lambda s: abs((s.start + s.end) / 2 - time))
        return by_id[segment.speaker].role

    assert [role_at((u.start + u.end) / 2) for u in truth] == [u.speaker for u in truth]
    interviewer = next(s for s in transcript.speakers if s.role == "interviewer")
    assert (interviewer.role_source, interviewer.voice) == ("enrolled-voice", "interviewer-anna")
    print(f"interviewer matched the enrolled voice at cosine similarity {interviewer.role_confidence:.2f}")
    assert interviewer.role_confidence >= MATCH_THRESHOLD
    assert any(m.role == "voice-embedding" for m in transcript.provenance.models)

    # without the voice, the question heuristic would have swapped the roles
    guessed = copy.deepcopy(transcript)
    for speaker in guessed.speakers:
        speaker.role = speaker.voice = None
    assign_roles(guessed, ROLES, {})
    assert next(s for s in guessed.speakers if s.id == interviewer.id).role == "participant"

    assert main(["voices", "remove", "interviewer-anna"]) == 0
    assert not (home / "voices" / "interviewer-anna.json").exists()

