"""Who spoke when: exact per-channel split for stereo calls, pyannote for mixed audio."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import SettingsError
from ..ingest.audio import Audio
from ..ingest.speech_activity import (
    FLOOR_MARGIN_DB,
    SILENT_RECORDING_DB,
    active_frames,
    frame_energies_db,
    frames_to_activity,
    noise_floor_db,
)
from ..transcript import ModelInfo, Overlap, Segment, Speaker

MODES = ("auto", "pyannote", "channels", "none")

# Channels whose waveforms correlate this strongly carry the same mix.
_SAME_MIX_CORRELATION = 0.9
# A channel "has its own party" when this share of its speech frames is its alone.
_OWN_SPEECH_SHARE = 0.3


@dataclass
class Turn:
    start: float
    end: float
    speaker: str
    channel: int | None = None  # which channel to transcribe this turn from; None: the mono mix


@dataclass
class Diarization:
    """`turns` never overlap within a channel (they feed transcription); `regions` is the
    full answer to who spoke when, overlapping speech included."""

    turns: list[Turn]
    speakers: list[Speaker]
    method: str
    regions: list[Turn] = field(default_factory=list)
    models: list[ModelInfo] = field(default_factory=list)  # those that made it
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0  # how long it took
    count_doubt: str | None = None  # why the number of speakers found may be wrong (when not given)


@dataclass
class SpeakerCount:
    exact: int | None = None
    minimum: int | None = None
    maximum: int | None = None

    def __post_init__(self) -> None:
        for name, value in (("`speakers`", self.exact), ("`min_speakers`", self.minimum), ("`max_speakers`", self.maximum)):
            if value is not None and value < 1:
                raise SettingsError(f"{name} must be at least 1 (got {value})")
        if self.minimum and self.maximum and self.minimum > self.maximum:
            raise SettingsError(f"`min_speakers` {self.minimum} is larger than `max_speakers` {self.maximum}")


def speech_channels(energies: np.ndarray) -> list[int]:
    """Channels that carry any sound above near-digital silence (from frame energies)."""
    return [c for c in range(energies.shape[0]) if energies[c].size and energies[c].max() > SILENT_RECORDING_DB]


def channels_are_separate(audio: Audio, energies: np.ndarray | None = None) -> bool:
    """True when a multi-channel recording has one party per channel (not one mix copied).

    `energies` are the recording's frame energies, when the caller has them already."""
    energies = frame_energies_db(audio.samples, audio.sample_rate) if energies is None else energies
    live = speech_channels(energies)
    if len(live) < 2:
        return False
    samples = audio.samples[live]
    correlation = np.corrcoef(samples[:, :: max(1, samples.shape[1] // 2_000_000)])
    if np.min(correlation) > _SAME_MIX_CORRELATION:
        return False
    energies = energies[live]
    own = active_frames(energies)
    loud = energies > noise_floor_db(energies)[:, None] + FLOOR_MARGIN_DB
    shares = own.sum(axis=1) / np.maximum(loud.sum(axis=1), 1)
    # Any speech frame on a mix is loud on every channel, so "own" speech would be rare.
    exclusive = own & (own.sum(axis=0) == 1)
    exclusive_shares = exclusive.sum(axis=1) / np.maximum(loud.sum(axis=1), 1)
    return bool(np.all(shares > _OWN_SPEECH_SHARE) and np.all(exclusive_shares > _OWN_SPEECH_SHARE / 2))


def _confirm_speech(mask: np.ndarray, signals: np.ndarray, audio: Audio, detector) -> tuple[np.ndarray, list[str]]:
    """Keep only frames the trained speech detector also hears as speech."""
    if detector is None or not detector.available:
        return mask, ["no speech-detection model is installed: music or noise may be transcribed"]
    confirmed = np.stack([
        row & detector.frame_mask(signal, audio.sample_rate, mask.shape[1]) for row, signal in zip(mask, signals)
    ])
    return confirmed, []


def diarize_by_channel(audio: Audio, detector=None, energies: np.ndarray | None = None) -> Diarization:
    """One speaker per channel that carries speech; crosstalk is not counted as speech."""
    energies = frame_energies_db(audio.samples, audio.sample_rate) if energies is None else energies
    live = speech_channels(energies)
    mask, warnings = _confirm_speech(active_frames(energies[live]), audio.samples[live], audio, detector)
    speakers, turns = [], []
    for index, channel in enumerate(live):
        speaker_id = f"SPEAKER_{index:02d}"
        speakers.append(Speaker(id=speaker_id, label=speaker_id, channel=channel))
        turns.extend(
            Turn(a.start, min(a.end, audio.duration), speaker_id, channel)
            for a in frames_to_activity(mask[index])
        )
    turns.sort(key=lambda t: (t.start, t.end))
    return Diarization(turns=turns, speakers=speakers, method="channels", regions=list(turns), warnings=warnings)


def single_speaker(audio: Audio, detector=None) -> Diarization:
    """`--diarization none`: one speaker over everything that is speech."""
    mono = audio.mono()[None, :]
    mask, warnings = _confirm_speech(active_frames(frame_energies_db(mono, audio.sample_rate)), mono, audio, detector)
    speaker = Speaker(id="SPEAKER_00", label="SPEAKER_00")
    turns = [Turn(a.start, min(a.end, audio.duration), speaker.id) for a in frames_to_activity(mask[0], min_gap_s=1.0)]
    return Diarization(turns=turns, speakers=[speaker], method="none", regions=list(turns), warnings=warnings)


def diarize(
    audio: Audio,
    mode: str,
    count: SpeakerCount,
    pyannote_factory: Callable[[], "PyannoteDiarizer"],  # noqa: F821 - loaded lazily
    progress: Callable[[float], None] | None = None,
    speech_detector: Callable[[], "SpeechDetector"] | None = None,  # noqa: F821 - loaded when needed
) -> Diarization:
    """Dispatch on `mode`; `auto` picks channels for one-party-per-channel recordings."""
    if mode not in MODES:
        raise SettingsError(f"unknown `diarization` mode '{mode}' (expected one of {', '.join(MODES)})")
    detector = speech_detector if speech_detector is not None else (lambda: None)
    if mode == "none":
        return single_speaker(audio, detector())
    if mode == "channels" and audio.num_channels < 2:
        raise SettingsError(f"`diarization` channels needs a stereo recording; {audio.recording.source_name} is mono")
    energies = frame_energies_db(audio.samples, audio.sample_rate) if audio.num_channels > 1 else None
    if mode == "channels":
        result = diarize_by_channel(audio, detector(), energies)
        if not channels_are_separate(audio, energies):
            result.warnings.append("the channels look like the same mix; the per-channel split may be wrong")
        return result
    if mode == "auto" and energies is not None and channels_are_separate(audio, energies):
        return diarize_by_channel(audio, detector(), energies)
    return diarize_speech(audio, count, pyannote_factory, progress)


def diarize_speech(
    audio: Audio, count: SpeakerCount, pyannote_factory: Callable[[], "PyannoteDiarizer"], progress: Callable[[float], None] | None = None,  # noqa: F821
) -> Diarization:
    """pyannote on the recording less its long stretches without speech (hold music, tones,
    silence: _voice_activity.py), its turns mapped back to the recording's time. Where
    nothing is left out the whole recording is diarized; where nothing is left, nobody spoke."""
    from ..utils.intervals import subtract
    from ._voice_activity import long_silences

    mono, rate = audio.mono(), audio.sample_rate
    skipped = long_silences(mono, rate)
    spans = subtract([(0.0, audio.duration)], skipped)
    if not skipped:
        return pyannote_factory()(mono, rate, count, progress)
    if not spans:
        return Diarization(turns=[], speakers=[], method="pyannote", warnings=["no speech was heard, only music, tones, noise or silence"])
    cut = np.concatenate([mono[int(a * rate) : int(b * rate)] for a, b in spans])
    result = pyannote_factory()(cut, rate, count, progress)
    starts = np.cumsum([0.0] + [int(b * rate) / rate - int(a * rate) / rate for a, b in spans])

    def back(turns: list[Turn]) -> list[Turn]:
        """Turns in the cut's time as turns in the recording's, split where a span ends."""
        out = []
        for turn in turns:
            for (a, b), at, until in zip(spans, starts[:-1], starts[1:]):
                start, end = max(turn.start, at), min(turn.end, until)
                if end > start:
                    out.append(Turn(round(a + start - at, 3), round(a + end - at, 3), turn.speaker, turn.channel))
        return out

    result.turns, result.regions = back(result.turns), back(result.regions)
    return result


# Overlaps shorter than this are turn-taking slop, not two people talking.
MIN_OVERLAP_S = 0.3


def overlapping_speech(regions: list[Turn], min_duration: float = MIN_OVERLAP_S) -> list[Overlap]:
    """Stretches where two or more speakers talk at once, with who is talking."""
    events = sorted([(t.start, 1, t.speaker) for t in regions] + [(t.end, -1, t.speaker) for t in regions])
    active: dict[str, int] = {}
    found: list[Overlap] = []
    previous = None
    for time, change, speaker in events:
        talking = sorted(s for s, n in active.items() if n > 0)
        if previous is not None and time > previous and len(talking) > 1:
            last = found[-1] if found else None
            if last is not None and last.end >= previous and last.speakers == talking:
                last.end = time
            else:
                found.append(Overlap(previous, time, talking))
        active[speaker] = active.get(speaker, 0) + change
        previous = time
    return [Overlap(round(float(o.start), 3), round(float(o.end), 3), o.speakers) for o in found if o.end - o.start >= min_duration]


def mark_overlapping(segments: list[Segment], overlaps: list[Overlap]) -> None:
    """Flag segments said mostly (half or more) while another speaker was talking."""
    for segment in segments:
        shared = sum(
            max(0.0, min(segment.end, o.end) - max(segment.start, o.start))
            for o in overlaps
            if segment.speaker in o.speakers
        )
        segment.overlap = bool(segment.end > segment.start and shared >= 0.5 * (segment.end - segment.start))
