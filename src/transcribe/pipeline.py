"""One recording in, one speaker-labelled, word-timed transcript out.

The CLI and the Prefect flows both call `Pipeline.transcribe` (models load once per
`Pipeline`, so a batch pays for them once) and `transcribe_file` (which adds writing
and resuming).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from . import __version__
from .asr import ASRBackend
from .attribution import SpeakerTimeline, guard_events, segments_of
from .audio import Audio, check_source, file_sha256, load_audio
from .conventions import Conventions
from .diarization import MODES, Diarization, SpeakerCount, diarize, mark_overlapping, overlapping_speech
from .errors import NameClashError, SettingsError, TranscribeError, UnexpectedError
from .languages import normalize_language, parse_language_list
from .locks import lock_path, recording_lock
from .model_store import ModelStore
from .outputs import OutputFolder, output_paths, read_transcript, refresh_derived, remove_leftovers, render_derived, write_transcript
from .quality import assess
from .roles import assign_roles, parse_channel_map, parse_roles
from .speech_activity import is_silent
from .transcript import GuardEvent, ModelInfo, Overlap, Provenance, Segment, Transcript
from .transcription import TranscriptionOptions, TranscriptionResult, Transcriber
from .voices import VoiceMatch, match, select_voices, speaker_speech
from .windows import Window, plan_windows
from .writers import DEFAULT_FORMATS

Progress = Callable[[str, float], None]


@dataclass
class Settings:
    model: str = "auto"
    language: str = "auto"
    languages: str = "en,no"
    device: str = "auto"
    precision: str = "auto"  # fp16 on a GPU, fp32 on a CPU; or fp32, fp16, bf16
    diarization: str = "auto"
    diarization_model: str = "auto"
    speakers: SpeakerCount = field(default_factory=SpeakerCount)
    batch_size: int | None = None  # None: 16 on a GPU, 4 on a CPU
    beam_size: int = 5  # 1: greedy decoding
    style: str = "verbatim"
    pause: float = 1.0  # pauses this long or longer are written in seconds
    terms: list[str] = field(default_factory=list)  # the study's own words, to bias decoding
    roles: str = "interviewer,participant"  # "none": keep SPEAKER_00, SPEAKER_01, ...
    channel_map: str = ""  # e.g. "left=interviewer"
    voices: str = "auto"  # enrolled voices to recognise: "auto" (all that fit the roles), "none", or names

    @property
    def conventions(self) -> Conventions:
        return Conventions(style=self.style, pause_s=self.pause)

    def validate(self) -> None:
        if self.diarization not in MODES:
            raise SettingsError(f"unknown diarization mode '{self.diarization}' (expected one of {', '.join(MODES)})")
        allowed = parse_language_list(self.languages)
        if self.language != "auto" and normalize_language(self.language) not in allowed:
            raise SettingsError(f"--language {self.language} is not among --languages {self.languages}")
        if self.precision not in ("auto", "fp32", "fp16", "bf16"):
            raise SettingsError(f"unknown precision '{self.precision}' (expected auto, fp32, fp16 or bf16)")
        if self.batch_size is not None and self.batch_size < 1:
            raise SettingsError("--batch-size must be at least 1")
        if self.beam_size < 1:
            raise SettingsError("--beam-size must be at least 1")
        self.conventions  # noqa: B018 - validates style and pause
        parse_channel_map(self.channel_map, parse_roles(self.roles))


class Pipeline:
    """The conductor: one line per stage. Models load on first use, once per Pipeline."""

    def __init__(self, settings: Settings, store: ModelStore | None = None, progress: Progress | None = None):
        from .whisper_models import resolve_device

        settings.validate()
        self.settings = settings
        self.store = store or ModelStore()
        self.device = resolve_device(settings.device)
        self.allowed_languages = parse_language_list(settings.languages)
        self.batch_size = settings.batch_size or (16 if self.device.startswith("cuda") else 4)
        self.progress = progress or (lambda stage, fraction: None)
        self._asr: ASRBackend | None = None
        self._whisper_source = None
        self._diarizer = None
        self._speech_detector = None
        self._voice_embedder = None
        self.roles = parse_roles(settings.roles)
        self.channel_map = parse_channel_map(settings.channel_map, self.roles)
        self.voices = select_voices(self.store, settings.voices, self.roles)

    def check(self) -> None:
        """Find the Whisper model without loading it: a wrong --model fails before any work."""
        if self._whisper_source is None:
            from .whisper_models import resolve_whisper

            self._whisper_source = resolve_whisper(self.settings.model, self.device, self.store)

    @property
    def asr(self) -> ASRBackend:
        if self._asr is None:
            from .whisper_backend import WhisperBackend

            self.check()
            precision = None if self.settings.precision == "auto" else self.settings.precision
            self._asr = WhisperBackend(self._whisper_source.load(self.device), self._whisper_source.info, self.device, precision)
        return self._asr

    def diarizer(self):
        if self._diarizer is None:
            from .pyannote_diarizer import PyannoteDiarizer

            self._diarizer = PyannoteDiarizer(self.settings.diarization_model, self.device, self.store)
        return self._diarizer

    def speech_detector(self):
        if self._speech_detector is None:
            from .speech_detector import SpeechDetector

            self._speech_detector = SpeechDetector(self.store, self.device)
        return self._speech_detector

    def transcriber(self) -> Transcriber:
        language = self.settings.language
        options = TranscriptionOptions(
            language=language if language == "auto" else normalize_language(language),
            allowed=tuple(self.allowed_languages),
            terms=tuple(self.settings.terms),
            verbatim=self.settings.style == "verbatim",
            batch_size=self.batch_size,
            beam_size=self.settings.beam_size,
        )
        return Transcriber(self.asr, options, progress=lambda fraction: self.progress("transcription", fraction))

    def _match_voices(self, audio: Audio, diarization: Diarization) -> tuple[dict[str, VoiceMatch], ModelInfo | None]:
        """Which diarized speakers are enrolled voices (speakers the channel map labels are
        left out: the map is exact)."""
        if not self.voices:
            return {}, None
        speech = speaker_speech(audio, diarization, skip_channels=set(self.channel_map))
        if not speech:
            return {}, None
        if self._voice_embedder is None:
            from .voices import VoiceEmbedder

            self._voice_embedder = VoiceEmbedder(self.store, self.device)
        embeddings = {speaker: self._voice_embedder(samples) for speaker, samples in speech.items()}
        return match(embeddings, self.voices), self._voice_embedder.info

    def _diarize(self, audio: Audio) -> Diarization:
        return diarize(
            audio,
            self.settings.diarization,
            self.settings.speakers,
            self.diarizer,
            progress=lambda fraction: self.progress("diarization", fraction),
            speech_detector=self.speech_detector,
        )

    def transcribe(self, recording: str | Path | Audio) -> Transcript:
        """The transcript of a recording (a file, or its audio already decoded)."""
        timings: dict[str, float] = {}
        clock = _Clock(timings)
        with clock("decode_audio"):
            audio = recording if isinstance(recording, Audio) else load_audio(recording)
        warnings = list(audio.warnings)
        models: list[ModelInfo] = []
        result = TranscriptionResult([], None)
        voice_matches: dict[str, VoiceMatch] = {}
        diarization = Diarization(turns=[], speakers=[], method="none")
        segments: list[Segment] = []
        guards: list[GuardEvent] = []
        overlaps: list[Overlap] = []
        windows: list[Window] = []

        if is_silent(audio.samples, audio.sample_rate):
            warnings.append("the recording is silent: there is no speech to transcribe")
        else:
            with clock("diarization"):
                diarization = self._diarize(audio)
            warnings.extend(diarization.warnings)
            if diarization.method == "pyannote":
                models.extend(self.diarizer().models)
            elif self._speech_detector is not None and self._speech_detector.available:
                models.append(self._speech_detector.model)
            windows = plan_windows(diarization.turns, audio.samples, audio.sample_rate)
            if not windows:
                warnings.append("no speech was detected in the recording")
            else:
                with clock("transcription"):
                    result = self.transcriber()(audio, windows, diarization.turns)
                overlaps = overlapping_speech(diarization.regions)
                timeline = SpeakerTimeline(diarization.turns)
                segments = sorted((s for t in result.texts for s in segments_of(t, timeline)), key=lambda s: (s.start, s.end))
                guards = [g for t in result.texts for g in guard_events(t, timeline)]
                mark_overlapping(segments, overlaps)
                models.append(self.asr.info)
            with clock("voices"):
                voice_matches, voice_model = self._match_voices(audio, diarization)
            if voice_model is None:
                timings.pop("voices")
            else:
                models.append(voice_model)

        settings = asdict(self.settings)
        settings.update(
            device=self.device,
            batch_size=self.batch_size,
            precision=self._asr.precision if self._asr is not None else None,
            diarization_method=diarization.method,
            windows=len(windows),
            fallback_windows=result.fallback_windows,
            language_detection={kind: {k: round(v, 4) for k, v in values.items()} for kind, values in result.evidence.items()},
        )
        transcript = Transcript(
            recording=audio.recording,
            language=result.language,
            speakers=diarization.speakers,
            segments=segments,
            provenance=Provenance(
                package_version=__version__,
                created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                models=models,
                settings=settings,
                timings={k: round(v, 3) for k, v in timings.items()},
                device=self.device,
            ),
            warnings=warnings,
            guards=guards,
            overlaps=overlaps,
        )
        # Segments keep the stable speaker ids; roles become the speakers' labels.
        assign_roles(transcript, self.roles, self.channel_map, voice_matches)
        transcript.quality = assess(transcript, diarization.turns, self.settings.conventions.unclear_below)
        return transcript


class _Clock:
    """`with clock("stage"):` adds the stage's wall time to `timings`, and names the stage
    in an error nobody anticipated (the traceback goes to the crash log, not the user)."""

    def __init__(self, timings: dict[str, float]):
        self.timings = timings

    @contextmanager
    def __call__(self, stage: str):
        start = time.perf_counter()
        try:
            yield
        except TranscribeError:
            raise
        except Exception as error:
            raise UnexpectedError(stage.replace("_", " "), error) from error
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


# Settings that say how a transcript is computed, not what it says (the device, batch
# size and precision change timings, not the words), and those that only change how it is
# written (applied to an existing transcript without transcribing again).
HOW_NOT_WHAT = ("device", "batch_size", "precision")
RENDERING = ("pause",)


def changed_settings(recorded: dict, settings: Settings) -> tuple[list[str], list[str]]:
    """The settings of `settings` that differ from a transcript's `recorded` ones: those
    that change what it says, and those that change only how it is written."""
    current = asdict(settings)
    differ = [k for k in current if k not in HOW_NOT_WHAT and k in recorded and recorded[k] != current[k]]
    return [k for k in differ if k not in RENDERING], [k for k in differ if k in RENDERING]


@dataclass
class FileOutcome:
    status: str  # "transcribed" or "skipped" (an up-to-date transcript already existed)
    paths: dict[str, Path]
    transcript: Transcript
    rebuilt: list[str] = field(default_factory=list)  # derived files rebuilt from the JSON
    changed: list[str] = field(default_factory=list)  # settings that made it transcribe again


def transcribe_file(
    pipeline: Pipeline,
    source: str | Path,
    out_dir: str | Path,
    force: bool = False,
    on_wait: Callable[[], None] = lambda: None,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
) -> FileOutcome:
    """Transcribe `source` into `out_dir`, resuming.

    Everything that can be checked is checked before any work: the recording exists, the
    output folder can be written, the model can be found. A finished transcript of the
    same recording (same content hash) made with the same settings is kept unless
    `force`, its derived files (the `formats` asked for now) written where missing or
    stale, and rewritten where only a rendering setting (the pause length) changed; one
    made with settings that change what it says (model, languages, style, ...) is made
    again (`FileOutcome.changed` names them). A transcript of a *different* recording under the same name,
    or one that cannot be read, is never silently replaced. Runs of the same recording
    into the same folder take turns (`on_wait` is called if this one has to wait), so the
    second finds the first one's transcript and does not redo it."""
    source, out_dir = Path(source), Path(out_dir)
    check_source(source)
    folder = OutputFolder.prepare(out_dir)
    try:
        pipeline.check()
        paths = output_paths(out_dir, source, formats)
        with recording_lock(lock_path(out_dir, source.stem), on_wait):
            remove_leftovers(paths)
            existing = None if force else read_transcript(paths["json"])
            changed: list[str] = []
            if existing is not None:
                if existing.recording.sha256 != file_sha256(source):
                    raise NameClashError(
                        f"{paths['json'].name} holds the transcript of a different recording named like "
                        f"{source.name}; move it away or pass --force to replace it"
                    )
                changed, rendering = changed_settings(existing.provenance.settings, pipeline.settings)
                if not changed:
                    if not rendering:
                        return FileOutcome("skipped", paths, existing, refresh_derived(existing, paths))
                    existing.provenance.settings.update({k: getattr(pipeline.settings, k) for k in rendering})
                    write_transcript(existing, paths)
                    return FileOutcome("skipped", paths, existing, [paths[k].name for k in render_derived(existing, tuple(paths))])
            audio = load_audio(source)
            folder.require_space(audio.duration)
            transcript = pipeline.transcribe(audio)
            write_transcript(transcript, paths)
            return FileOutcome("transcribed", paths, transcript, changed=changed)
    except BaseException:
        folder.remove_if_unused()
        raise
