"""Enrolled voices: recognise the study's interviewer by voice on every recording.

`transcribe voices enroll NAME CLIP` stores a CAM++ voiceprint of the speech in a short
reference clip; during `transcribe run` each diarized speaker's speech is embedded the
same way and compared (cosine similarity) with the enrolled voices. A speaker that
resembles a voice closely enough takes that voice's role (see roles.py for precedence).

Voiceprints are biometric personal data: the store is owner-only (folder 0o700, files
0o600), holds no audio, and `transcribe voices remove NAME` deletes a voiceprint.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..errors import InputFileError, ModelError, SettingsError, TranscribeError
from ..ingest.audio import SAMPLE_RATE, Audio, load_audio
from ..ingest.speech_activity import (
    active_frames,
    frame_energies_db,
    frames_to_activity,
)
from ..models.store import ModelStore
from ..transcript import ModelInfo
from ..utils.files import atomic_write
from .diarization import Diarization, Turn

# The store's CAM++ weights: the embedding model of the offline diarization pipeline.
EMBEDDING_MODEL = "campplus"

MIN_ENROL_SPEECH_S = 3.0  # a reference clip must hold at least this much speech
MIN_MATCH_SPEECH_S = 2.0  # speakers with less speech are not compared with voices
MAX_SPEECH_S = 60.0  # speech embedded per clip or speaker; more adds time, not accuracy
WINDOW_S = 5.0  # speech is embedded in windows of about this length, then averaged
# A speaker is taken to be an enrolled voice when its cosine similarity with the
# voiceprint is at least MATCH_THRESHOLD and beats every other speaker of the recording by
# MIN_MARGIN. Measured on real telephone speech (pyannote's sample call, tests/test_voices.py):
# the same person in two different stretches scores 0.81-0.90, the other party 0.29-0.48.
# Voices from one synthesizer (espeak-ng) resemble each other far more (0.51-0.93), which is
# why the margin over the recording's other speakers is required as well.
MATCH_THRESHOLD = 0.6
MIN_MARGIN = 0.1

_NAME = re.compile(r"^\w[\w.-]{0,63}$")
_RESERVED_NAMES = ("auto", "none")  # the special values of --voices
_DIR_MODE, _FILE_MODE = 0o700, 0o600


@dataclass
class Voice:
    name: str
    role: str
    embedding: list[float]  # L2-normalised
    model: str  # embedding model name in the store
    model_sha256: str
    seconds: float  # of speech the voiceprint was computed from
    created: str  # ISO 8601, UTC

    @property
    def vector(self) -> np.ndarray:
        return np.asarray(self.embedding, dtype=np.float32)


def check_name(name: str) -> str:
    if not _NAME.match(name) or name.lower() in _RESERVED_NAMES:
        raise SettingsError(
            f"'{name}' is not a valid voice name: use letters, digits, '.', '_' or '-' "
            f"(no path separators, at most 64 characters, not {' or '.join(_RESERVED_NAMES)})"
        )
    return name


class VoiceStore:
    """`<home>/voices/<name>.json`, beside the model store's `<home>/models`."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @classmethod
    def beside(cls, store: ModelStore) -> VoiceStore:
        return cls(store.root.parent / "voices")

    def _path(self, name: str) -> Path:
        return self.root / f"{check_name(name)}.json"

    def get(self, name: str) -> Voice | None:
        path = self._path(name)
        if not path.is_file():
            return None
        try:
            return Voice(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as error:
            raise TranscribeError(f"the voice file {path} is unreadable ({error}): remove it and enrol again") from None

    def list(self) -> list[Voice]:
        if not self.root.is_dir():
            return []
        return [voice for path in sorted(self.root.glob("*.json")) if (voice := self.get(path.stem))]

    def save(self, voice: Voice, replace: bool = False) -> Path:
        """Write the voice owner-only. The folder is made 0o700 first, so no other user
        can reach the file even before its own mode is set (atomic_write's temporary
        file is created 0o600 as well)."""
        path = self._path(voice.name)
        if path.exists() and not replace:
            raise SettingsError(f"a voice named '{voice.name}' is already enrolled (use --replace to enrol it again)")
        self.root.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        self.root.chmod(_DIR_MODE)
        atomic_write(path, json.dumps(asdict(voice), indent=2) + "\n")
        path.chmod(_FILE_MODE)
        return path

    def remove(self, name: str) -> None:
        path = self._path(name)
        if not path.is_file():
            raise SettingsError(f"no voice named '{name}' is enrolled")
        path.unlink()


def _stored_embedding_model(store: ModelStore):
    stored = store.get("embedding", EMBEDDING_MODEL)
    if stored is None:
        raise ModelError(
            f"the '{EMBEDDING_MODEL}' speaker-embedding model is not installed: run ./setup.sh "
            "(it imports the offline models)"
        )
    return stored


class VoiceEmbedder:
    """CAM++ voiceprints of speech: one L2-normalised vector per stretch of speech."""

    def __init__(self, store: ModelStore, device: str = "cpu"):
        import torch

        from ..models.campplus import CAMPPlusEmbedding

        stored = _stored_embedding_model(store)
        self.info = ModelInfo("voice-embedding", EMBEDDING_MODEL, "store", stored.sha256)
        self.device = torch.device(device)
        self.model = CAMPPlusEmbedding.from_weights(stored.path).to(self.device)

    def __call__(self, speech: np.ndarray) -> np.ndarray:
        """Embed `speech` (16 kHz, silence removed) in windows of about WINDOW_S, averaged."""
        import torch

        windows = np.array_split(speech, max(1, round(len(speech) / (WINDOW_S * SAMPLE_RATE))))
        length = min(len(w) for w in windows)  # array_split lengths differ by one sample at most
        batch = torch.from_numpy(np.stack([w[:length] for w in windows]).astype(np.float32))[:, None, :]
        with torch.inference_mode():
            embeddings = self.model(batch.to(self.device)).cpu().numpy()
        mean = embeddings.mean(axis=0)
        return mean / np.linalg.norm(mean)


def speech_spans(signal: np.ndarray, sample_rate: int) -> list[tuple[float, float]]:
    """Where `signal` carries sound well above its noise floor (seconds)."""
    mask = active_frames(frame_energies_db(signal[None, :], sample_rate))[0]
    return [(a.start, a.end) for a in frames_to_activity(mask)]


def gather_speech(
    signal: np.ndarray,
    sample_rate: int,
    spans: list[tuple[float, float]],
    within: list[tuple[float, float]] | None = None,
    limit_s: float = MAX_SPEECH_S,
) -> np.ndarray:
    """The samples of `spans` (restricted to `within`, when given), joined, up to `limit_s`."""
    pieces, total = [], 0
    for start, end in spans:
        for lo, hi in within if within is not None else [(start, end)]:
            a, b = max(start, lo), min(end, hi)
            if b <= a:
                continue
            piece = signal[int(a * sample_rate) : int(b * sample_rate)][: int(limit_s * sample_rate) - total]
            pieces.append(piece)
            total += len(piece)
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)


def enrol(
    store: ModelStore, name: str, clip: str | os.PathLike, role: str, replace: bool = False, device: str = "cpu"
) -> Voice:
    """Compute the voiceprint of the speech in `clip` and store it as `name`."""
    voices = VoiceStore.beside(store)
    check_name(name)
    if voices.get(name) is not None and not replace:
        raise SettingsError(f"a voice named '{name}' is already enrolled (use --replace to enrol it again)")
    audio = load_audio(clip)
    mono = audio.mono()
    speech = gather_speech(mono, audio.sample_rate, speech_spans(mono, audio.sample_rate))
    seconds = len(speech) / audio.sample_rate
    if seconds < MIN_ENROL_SPEECH_S:
        raise InputFileError(
            f"{Path(clip).name} holds {seconds:.1f} s of speech; enrolling a voice needs at least "
            f"{MIN_ENROL_SPEECH_S:.0f} s (ideally 10-30 s of the person talking alone)"
        )
    embedder = VoiceEmbedder(store, device)
    voice = Voice(
        name=name,
        role=role,
        embedding=[round(float(x), 6) for x in embedder(speech)],
        model=EMBEDDING_MODEL,
        model_sha256=embedder.info.sha256,
        seconds=round(seconds, 1),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    voices.save(voice, replace)
    return voice


def select_voices(store: ModelStore, spec: str | tuple[str, ...], roles: tuple[str, ...]) -> list[Voice]:
    """The enrolled voices `voices` asks for: "auto" (all that fit `roles`), "none", or names.

    Fails early, before any recording is processed, on unknown names, roles outside
    `roles`, and voiceprints made with other embedding weights than the store holds
    (their similarities would mean nothing)."""
    voices = VoiceStore.beside(store)
    if spec == "none" or not roles:
        return []
    if spec == "auto":
        chosen = [v for v in voices.list() if v.role in roles]
    else:
        chosen = []
        for name in spec:
            voice = voices.get(name)
            if voice is None:
                raise SettingsError(f"`voices` names '{name}', which is not enrolled (see `transcribe voices list`)")
            if voice.role not in roles:
                raise SettingsError(f"voice '{name}' has role '{voice.role}', which is not in `roles`")
            chosen.append(voice)
    if chosen:
        sha256 = _stored_embedding_model(store).sha256
        for voice in chosen:
            if voice.model_sha256 != sha256:
                raise ModelError(
                    f"voice '{voice.name}' was enrolled with other '{voice.model}' weights than those installed: "
                    f"enrol it again (transcribe voices enroll {voice.name} CLIP --replace)"
                )
    return chosen


def speaker_speech(audio: Audio, diarization: Diarization, skip_channels: set[int]) -> dict[str, np.ndarray]:
    """Each speaker's own speech (exclusive turns, on their channel), for speakers with
    at least MIN_MATCH_SPEECH_S of it and not on a channel in `skip_channels`."""
    by_speaker: dict[str, list[Turn]] = {}
    for turn in diarization.turns:
        if turn.channel not in skip_channels:
            by_speaker.setdefault(turn.speaker, []).append(turn)
    spans: dict[int | None, list[tuple[float, float]]] = {}
    found = {}
    for speaker, turns in by_speaker.items():
        channel = turns[0].channel
        signal = audio.mono() if channel is None else audio.samples[channel]
        if channel not in spans:
            spans[channel] = speech_spans(signal, audio.sample_rate)
        speech = gather_speech(signal, audio.sample_rate, spans[channel], [(t.start, t.end) for t in turns])
        if len(speech) >= MIN_MATCH_SPEECH_S * audio.sample_rate:
            found[speaker] = speech
    return found


@dataclass
class VoiceMatch:
    voice: Voice
    similarity: float  # cosine similarity of the speaker's speech with the voiceprint
    margin: float | None  # over the next most similar speaker; None when there is no other


def match(
    embeddings: dict[str, np.ndarray],
    voices: list[Voice],
    threshold: float = MATCH_THRESHOLD,
    min_margin: float = MIN_MARGIN,
) -> dict[str, VoiceMatch]:
    """Speaker id -> the enrolled voice it is, each voice given to at most one speaker.

    A voice goes to its most similar speaker when that similarity reaches `threshold` and
    beats the runner-up speaker by `min_margin`; a voice that no speaker clearly owns is
    left unmatched (the heuristic decides instead). Voices are settled most similar first,
    so two voices never claim one speaker."""
    candidates = []
    for voice in voices:
        ranked = sorted(((float(vector @ voice.vector), speaker) for speaker, vector in embeddings.items()), reverse=True)
        if not ranked or ranked[0][0] < threshold:
            continue
        margin = ranked[0][0] - ranked[1][0] if len(ranked) > 1 else None
        if margin is None or margin >= min_margin:
            candidates.append((ranked[0][0], ranked[0][1], voice, margin))
    found: dict[str, VoiceMatch] = {}
    for similarity, speaker, voice, margin in sorted(candidates, key=lambda c: -c[0]):
        if speaker not in found:
            found[speaker] = VoiceMatch(voice, round(similarity, 3), None if margin is None else round(margin, 3))
    return found
