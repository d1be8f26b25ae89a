"""One recording in, one speaker-labelled, word-timed transcript out.

The CLI and the Prefect flows both call `Pipeline.transcribe` (models load once per
`LoadedModels`, so a batch and a worker process pay for them once) and `transcribe_file`
(which adds writing and resuming).
"""

from __future__ import annotations

import contextlib
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .asr.attribution import SpeakerTimeline, guard_events, marks_of, segments_of
from .asr.backend import ASRBackend
from .asr.languages import normalize_language
from .asr.transcription import Transcriber, TranscriptionOptions, TranscriptionResult
from .asr.windows import Window, plan_windows
from .correct.apply import reapply
from .diarize.diarization import (
    Diarization,
    diarize,
    mark_overlapping,
    overlapping_speech,
)
from .diarize.roles import assign_roles
from .diarize.voices import VoiceMatch, match, select_voices, speaker_speech
from .errors import NameClashError, TranscribeError, UnexpectedError
from .export.outputs import (
    OutputFolder,
    keep_previous,
    output_paths,
    read_transcript,
    refresh_derived,
    remove_leftovers,
    render_derived,
    write_transcript,
    written_paths,
)
from .export.writers import DEFAULT_FORMATS
from .guide import code_by_guide, read_guide
from .ingest.audio import Audio, check_source, load_audio
from .ingest.speech_activity import is_silent, silences
from .models.loaded_models import LoadedModels
from .models.store import ModelStore
from .quality.report import assess, reassess
from .settings import Settings
from .transcript import (
    GuardEvent,
    Mark,
    ModelInfo,
    Overlap,
    Provenance,
    Segment,
    Silence,
    SpeechTurn,
    Transcript,
)
from .utils.files import file_sha256
from .utils.locks import lock_path, recording_lock

# A per-call progress hook, as pyannote's pipelines take one: hook(stage, fraction done).
Hook = Callable[[str, float], None]


def _no_hook(stage: str, fraction: float) -> None:
    pass


class Pipeline:
    """The conductor: one line per stage.

    Structure in the constructor (the settings, where models are, which loaded models to
    share), per-call options in `transcribe` and `diarize` (a progress hook, a diarization
    made earlier). Models load on first use, into `models`: pass one `LoadedModels` to
    every Pipeline of a process and they load once for all of them."""

    def __init__(self, settings: Settings, store: ModelStore | None = None, models: LoadedModels | None = None):
        from .models.whisper_models import resolve_device

        self.settings = settings
        self.store = store or ModelStore()
        self.models = models or LoadedModels()
        self.device = resolve_device(settings.device)
        self.batch_size = settings.batch_size or (16 if self.device.startswith("cuda") else 4)
        self._whisper_source = None
        self.voices = select_voices(self.store, settings.voices, settings.roles)

    def check(self) -> None:
        """Find the Whisper model without loading it: a wrong `model` fails before any work."""
        if self._whisper_source is None:
            from .models.whisper_models import resolve_whisper

            self._whisper_source = resolve_whisper(self.settings.model, self.device, self.store)

    @property
    def asr(self) -> ASRBackend:
        from .asr.whisper_backend import WhisperBackend

        self.check()
        source, precision = self._whisper_source, None if self.settings.precision == "auto" else self.settings.precision
        key = ("asr", source.info.name, source.info.sha256, self.device, precision)
        return self.models.get(key, lambda: WhisperBackend(source.load(self.device), source.info, self.device, precision))

    def diarizer(self):
        from .diarize.pyannote_diarizer import PyannoteDiarizer

        spec = self.settings.diarization_model
        key = ("diarizer", spec, self.device, self.store.root)
        return self.models.get(key, lambda: PyannoteDiarizer(spec, self.device, self.store))

    def speech_detector(self):
        from .diarize.speech_detector import SpeechDetector

        return self.models.get(("speech", self.device, self.store.root), lambda: SpeechDetector(self.store, self.device))

    def transcriber(self, hook: Hook) -> Transcriber:
        language = self.settings.language
        options = TranscriptionOptions(
            language=language if language == "auto" else normalize_language(language),
            allowed=self.settings.languages,
            terms=self.settings.terms,
            verbatim=self.settings.style == "verbatim",
            batch_size=self.batch_size,
            beam_size=self.settings.beam_size,
        )
        return Transcriber(self.asr, options, progress=lambda fraction: hook("transcription", fraction))

    def _match_voices(self, audio: Audio, diarization: Diarization) -> tuple[dict[str, VoiceMatch], ModelInfo | None]:
        """Which diarized speakers are enrolled voices (speakers the channel map labels are
        left out: the map is exact)."""
        if not self.voices:
            return {}, None
        speech = speaker_speech(audio, diarization, skip_channels=set(self.settings.channel_roles))
        if not speech:
            return {}, None
        from .diarize.voices import VoiceEmbedder

        embedder = self.models.get(("voices", self.device, self.store.root), lambda: VoiceEmbedder(self.store, self.device))
        embeddings = {speaker: embedder(samples) for speaker, samples in speech.items()}
        return match(embeddings, self.voices), embedder.info

    def diarize(self, recording: str | Path | Audio, hook: Hook = _no_hook) -> Diarization:
        """Who spoke when in a recording (nobody in a silent one), with the models that said so."""
        audio = recording if isinstance(recording, Audio) else load_audio(recording)
        if is_silent(audio.samples, audio.sample_rate):
            return Diarization(turns=[], speakers=[], method="none")
        timings: dict[str, float] = {}
        with _Clock(timings)("diarization"):
            diarization = diarize(
                audio,
                self.settings.diarization,
                self.settings.speakers,
                self.diarizer,
                progress=lambda fraction: hook("diarization", fraction),
                speech_detector=self.speech_detector,
            )
            if diarization.method == "pyannote":
                diarization.models = list(self.diarizer().models)
            elif self.speech_detector().available:
                diarization.models = [self.speech_detector().model]
        diarization.seconds = timings["diarization"]
        return diarization

    def transcribe(self, recording: str | Path | Audio, diarization: Diarization | None = None, hook: Hook = _no_hook) -> Transcript:
        """The transcript of a recording (a file, or its audio already decoded), from its
        `diarization` when one was made already."""
        timings: dict[str, float] = {}
        clock = _Clock(timings)
        with clock("decode_audio"):
            audio = recording if isinstance(recording, Audio) else load_audio(recording)
        warnings = list(audio.warnings)
        models: list[ModelInfo] = []
        result = TranscriptionResult([], None)
        voice_matches: dict[str, VoiceMatch] = {}
        segments: list[Segment] = []
        guards: list[GuardEvent] = []
        marks: list[Mark] = []
        overlaps: list[Overlap] = []
        windows: list[Window] = []
        quiet: list[Silence] = []

        if is_silent(audio.samples, audio.sample_rate):
            warnings.append("the recording is silent: there is no speech to transcribe")
            diarization = Diarization(turns=[], speakers=[], method="none")
        else:
            diarization = diarization or self.diarize(audio, hook)
            timings["diarization"] = diarization.seconds
            warnings.extend(diarization.warnings)
            models.extend(diarization.models)
            windows = plan_windows(diarization.turns, audio.samples, audio.sample_rate)
            split = any(t.channel is not None for t in diarization.turns)
            tracks = {t.channel for t in diarization.turns} or {None}
            found = silences(audio.samples, audio.sample_rate, per_channel=split)
            quiet = [Silence(round(q.start, 3), round(q.end, 3), track) for track in sorted(tracks, key=lambda t: -1 if t is None else t) for q in found.get(track, [])]
            if not windows:
                warnings.append("no speech was detected in the recording")
            else:
                with clock("transcription"):
                    by_track = {track: [(q.start, q.end) for q in found.get(track, [])] for track in tracks}
                    result = self.transcriber(hook)(audio, windows, diarization.turns, by_track)
                overlaps = overlapping_speech(diarization.regions)
                timeline = SpeakerTimeline(diarization.turns)
                segments = sorted((s for t in result.texts for s in segments_of(t, timeline)), key=lambda s: (s.start, s.end))
                guards = [g for t in result.texts for g in guard_events(t, timeline)]
                guards += [GuardEvent(d.reason, d.start, d.end, d.speaker) for d in marks_of(result.doubts, timeline)]
                marks = marks_of(result.marks, timeline)
                mark_overlapping(segments, overlaps)
                models.append(self.asr.info)
            with clock("voices"):
                voice_matches, voice_model = self._match_voices(audio, diarization)
            if voice_model is None:
                timings.pop("voices")
            else:
                models.append(voice_model)

        settings = self.settings.recorded()
        settings.update(
            device=self.device,
            batch_size=self.batch_size,
            precision=self.asr.precision if windows else None,
            diarization_method=diarization.method,
            speaker_count=_speaker_count(diarization, self.settings),
            windows=len(windows),
            fallback_windows=result.fallback_windows,
            recovered_parts=result.recovered_parts,
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
            marks=marks,
            speech=[SpeechTurn(round(t.start, 3), round(t.end, 3), t.speaker, t.channel) for t in diarization.turns],
            silences=quiet,
        )
        # Segments keep the stable speaker ids; roles become the speakers' labels.
        assign_roles(transcript, list(self.settings.roles), self.settings.channel_roles, voice_matches)
        transcript.quality = assess(transcript, self.settings.conventions.unclear_below)
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
    current = settings.recorded()
    differ = [k for k in current if k not in HOW_NOT_WHAT and k in recorded and recorded[k] != current[k]]
    return [k for k in differ if k not in RENDERING], [k for k in differ if k in RENDERING]


@dataclass
class FileOutcome:
    status: str  # "transcribed" or "skipped" (an up-to-date transcript already existed)
    paths: dict[str, Path]
    transcript: Transcript
    rebuilt: list[str] = field(default_factory=list)  # derived files rebuilt from the JSON
    changed: list[str] = field(default_factory=list)  # settings that made it transcribe again
    kept: Path | None = None  # where the transcript it replaced is kept (PREVIOUS_FOLDER)


def _speaker_count(diarization: Diarization, settings: Settings) -> dict[str, Any]:
    """How many speakers the transcript has, whether that was given or estimated, and, for
    an estimate, why it may be wrong (None: no reason found). A split by channel counts
    the channels that carry speech: nothing is estimated."""
    given = settings.speakers.exact is not None or diarization.method in ("channels", "none")
    return {"found": len(diarization.speakers), "estimated": not given, "doubt": None if given else diarization.count_doubt}


def code_file(raw_json: Path, guide: Path) -> Transcript:
    """Code the transcript at `raw_json` by the interview guide at `guide` (guide/), and
    write it and its formats again; a coding it had before is kept with the transcript
    before, in PREVIOUS_FOLDER. Raises GuideFileError for a guide that cannot be used."""
    questions, sha256 = read_guide(guide)
    with recording_lock(lock_path(raw_json.parent, raw_json.stem), lambda: None):
        transcript = read_transcript(raw_json)
        coding = code_by_guide(transcript, questions, guide.name, sha256)
        if transcript.guide != coding:
            if transcript.guide is not None:
                keep_previous(raw_json)
            transcript.guide = coding
            reassess(transcript)
            write_transcript(transcript, written_paths(raw_json))
    return transcript


def transcribe_file(
    pipeline: Pipeline,
    source: str | Path,
    out_dir: str | Path,
    force: bool = False,
    on_wait: Callable[[], None] = lambda: None,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
    diarization: Diarization | None = None,
    hook: Hook = _no_hook,
    audio: Audio | None = None,
) -> FileOutcome:
    """Transcribe `source` into `out_dir`, resuming.

    Everything that can be checked is checked before any work: the recording exists, the
    output folder can be written, the model can be found. A finished transcript of the
    same recording (same content hash) made with the same settings is kept unless
    `force`, its derived files (the `formats` asked for now) written where missing or
    stale, and rewritten where only a rendering setting (the pause length) changed; one
    made with settings that change what it says (model, languages, style, ...) is made
    again (`FileOutcome.changed` names them), and the one it replaces (then, and with
    `force`) is kept in PREVIOUS_FOLDER (`FileOutcome.kept`). A transcript of a *different* recording under the same name,
    or one that cannot be read, is never silently replaced. Runs of the same recording
    into the same folder take turns (`on_wait` is called if this one has to wait), so the
    second finds the first one's transcript and does not redo it. `diarization` and
    `audio` are the recording's, when they were made elsewhere (a flow diarizes in a task
    of its own, beside the previous recording's transcription)."""
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
            if audio is None or audio.recording.sha256 != file_sha256(source):
                audio = load_audio(source)
            folder.require_space(audio.duration)
            transcript = pipeline.transcribe(audio, diarization, hook)
            reapply(transcript, out_dir, source.stem)  # the researcher's corrections, where the words still align
            kept = keep_previous(paths["json"]) if paths["json"].exists() else None
            try:
                write_transcript(transcript, paths)
            except BaseException:
                if kept is not None:  # the transcript it was to replace is still in place
                    kept.unlink(missing_ok=True)
                    with contextlib.suppress(OSError):
                        kept.parent.rmdir()  # only if nothing else was kept there
                raise
            return FileOutcome("transcribed", paths, transcript, changed=changed, kept=kept)
    except BaseException:
        folder.remove_if_unused()
        raise
