"""One recording in, one speaker-labelled, word-timed transcript out.

The CLI and the Prefect flows both call `Pipeline.transcribe` (models load once per
`Pipeline`, so a batch pays for them once) and `transcribe_file` (which adds writing
and resuming).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from . import __version__
from .audio import SAMPLE_RATE, Audio, file_sha256, load_audio
from .chunking import Chunk, cut, plan_chunks
from .conventions import Conventions, decoding_prompt
from .filler_pass import ISLAND_PAD_S, filler_word, insert_filler, islands, unexplained
from .diarization import MODES, Diarization, SpeakerCount, diarize, mark_overlapping, overlapping_speech
from .errors import SettingsError, TranscribeError
from .languages import decide, mean_by_language, needs_decoding, normalize_language, parse_language_list, switch_candidate
from .model_store import ModelStore
from .roles import assign_roles, parse_channel_map, parse_roles
from .outputs import output_paths, read_transcript, write_transcript
from .quality import assess
from .speech_activity import frame_energies_db, is_silent, noise_floor_db
from .transcript import GuardEvent, ModelInfo, Overlap, Provenance, Segment, Transcript, Word
from .voices import VoiceMatch, match, select_voices, speaker_speech

if TYPE_CHECKING:
    from .whisper_asr import ChunkResult

# How many chunks (the longest ones) language detection listens to.
LANGUAGE_PROBE_CHUNKS = 3

Progress = Callable[[str, float], None]


@dataclass
class Settings:
    model: str = "auto"
    language: str = "auto"
    languages: str = "en,no"
    device: str = "auto"
    diarization: str = "auto"
    diarization_model: str = "auto"
    speakers: SpeakerCount = field(default_factory=SpeakerCount)
    batch_size: int | None = None  # None: 16 on a GPU, 4 on a CPU
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
        if self.batch_size is not None and self.batch_size < 1:
            raise SettingsError("--batch-size must be at least 1")
        self.conventions  # noqa: B018 - validates style and pause
        parse_channel_map(self.channel_map, parse_roles(self.roles))


class Pipeline:
    def __init__(self, settings: Settings, store: ModelStore | None = None, progress: Progress | None = None):
        from .whisper_asr import resolve_device

        settings.validate()
        self.settings = settings
        self.store = store or ModelStore()
        self.device = resolve_device(settings.device)
        self.allowed_languages = parse_language_list(settings.languages)
        self.batch_size = settings.batch_size or (16 if self.device.startswith("cuda") else 4)
        self.progress = progress or (lambda stage, fraction: None)
        self._asr = None
        self._asr_info: ModelInfo | None = None
        self._diarizer = None
        self._speech_detector = None
        self._voice_embedder = None
        self.roles = parse_roles(settings.roles)
        self.channel_map = parse_channel_map(settings.channel_map, self.roles)
        self.voices = select_voices(self.store, settings.voices, self.roles)

    @property
    def asr(self):
        if self._asr is None:
            from .whisper_asr import WhisperTranscriber, load_whisper

            model, self._asr_info = load_whisper(self.settings.model, self.device, self.store)
            self._asr = WhisperTranscriber(model, self.device)
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

    def _language(self, audio: Audio, chunks: list[Chunk]) -> tuple[str, dict[str, dict[str, float]]]:
        """The recording's language, from its longest chunks, and the evidence: the
        detector's average probabilities and, where it was unsure, each language's average
        token log-probability when decoded in it (see languages.py)."""
        if self.settings.language != "auto":
            return normalize_language(self.settings.language), {}
        probe = sorted(chunks, key=lambda c: c.duration, reverse=True)[:LANGUAGE_PROBE_CHUNKS]
        features = self.asr.encode([cut(c, audio.samples, audio.sample_rate) for c in probe])
        evidence = {"probabilities": mean_by_language(self.asr.detect_languages(features, self.allowed_languages))}
        if needs_decoding(evidence["probabilities"]):
            evidence["decoding_logprob"] = mean_by_language(self.asr.decode_logprobs(features, list(evidence["probabilities"])))
        return decide(evidence["probabilities"], evidence.get("decoding_logprob")), evidence

    @staticmethod
    def _noise_floors(audio: Audio) -> dict[int | None, float]:
        """Noise floor (dB) of each channel, and of the mix under the key None."""
        mix = audio.samples.mean(axis=0, keepdims=True)
        floors = noise_floor_db(frame_energies_db(np.concatenate([audio.samples, mix]), audio.sample_rate))
        return {**{c: float(f) for c, f in enumerate(floors[:-1])}, None: float(floors[-1])}

    def _recover_fillers(
        self,
        chunks: list[Chunk],
        pieces: list[np.ndarray],
        results: list[ChunkResult],
        words: list[list[Word]],
        languages: list[str],
        floors: dict[int | None, float],
    ) -> list[list[Word]]:
        """Decode each island of sound that no word accounts for on its own; keep the
        fillers found (see filler_pass). Chunks whose text a guard removed are skipped:
        their sound was judged not to be speech."""
        wanted: dict[str, list] = {}  # language -> [(chunk index, island)]
        for index, (chunk, piece, result) in enumerate(zip(chunks, pieces, results)):
            if result.guard in ("no-speech", "unreliable"):
                continue
            found = islands(piece, SAMPLE_RATE, floors[chunk.channel])
            wanted.setdefault(languages[index], []).extend((index, island) for island in unexplained(found, words[index]))
        for language, language_wanted in wanted.items():
            prompt = decoding_prompt(self.settings.terms, fillers_in=language)
            for first in range(0, len(language_wanted), self.batch_size):
                group = language_wanted[first : first + self.batch_size]
                clips = [
                    pieces[i][int(max(0.0, island.start - ISLAND_PAD_S) * SAMPLE_RATE) : int((island.end + ISLAND_PAD_S) * SAMPLE_RATE)]
                    for i, island in group
                ]
                # greedy only: sampling hotter cannot turn a murmur into a better filler
                decoded = self.asr.transcribe_batch(clips, language, prompt=prompt, fallback=False)
                for (index, island), found in zip(group, decoded):
                    filler = filler_word(found.text) if not found.guard else None
                    if filler is None:
                        continue
                    probability = float(np.mean([w.probability for w in found.words])) if found.words else 0.5
                    words[index] = insert_filler(words[index], Word(island.start, island.end, filler, probability))
                    results[index].text = " ".join(w.text for w in words[index])
        return words

    def _chunk_languages(self, chunks: list[Chunk], features, language: str) -> list[str]:
        """Each chunk's language: the recording's, unless the detector is sure a turn is in
        another allowed language and decoding agrees (see languages.py)."""
        languages = [language] * len(chunks)
        if self.settings.language != "auto" or len(self.allowed_languages) < 2 or not self.asr.multilingual:
            return languages
        probs = self.asr.detect_languages(features, self.allowed_languages)
        candidates = {i: other for i, (c, p) in enumerate(zip(chunks, probs)) if (other := switch_candidate(p, language, c.duration))}
        if candidates:
            indices = list(candidates)
            for index, logprobs in zip(indices, self.asr.decode_logprobs(features[indices], self.allowed_languages)):
                if logprobs[candidates[index]] > logprobs[language]:
                    languages[index] = candidates[index]
        return languages

    def _decode(
        self, audio: Audio, chunks: list[Chunk], language: str
    ) -> tuple[list[Segment], list[GuardEvent]]:
        segments, guards = [], []
        prompt = decoding_prompt(self.settings.terms)
        floors = self._noise_floors(audio)
        for first in range(0, len(chunks), self.batch_size):
            batch = chunks[first : first + self.batch_size]
            pieces = [cut(c, audio.samples, audio.sample_rate) for c in batch]
            features = self.asr.encode(pieces)
            languages = self._chunk_languages(batch, features, language)
            results = self.asr.transcribe_batch(pieces, languages, prompt=prompt, features=features)
            # chunk-relative words, with the hesitations Whisper smoothed over put back
            words = [[Word(w.start, w.end, w.word.strip(), w.probability) for w in r.words] for r in results]
            if self.settings.style == "verbatim":
                words = self._recover_fillers(batch, pieces, results, words, languages, floors)
            for chunk, result, chunk_words, chunk_language in zip(batch, results, words, languages):
                if result.guard:
                    guards.append(GuardEvent(result.guard, round(chunk.start, 3), round(chunk.end, 3), chunk.speaker))
                if not result.text:
                    continue
                absolute = [
                    Word(round(chunk.start + w.start, 3), round(chunk.start + w.end, 3), w.text, round(w.probability, 4))
                    for w in chunk_words
                ]
                segments.append(
                    Segment(
                        start=absolute[0].start if absolute else round(chunk.start, 3),
                        end=absolute[-1].end if absolute else round(chunk.end, 3),
                        speaker=chunk.speaker,
                        text=result.text,
                        words=absolute,
                        language=chunk_language,
                        avg_logprob=round(result.avg_logprob, 4),
                        no_speech_prob=round(result.no_speech_prob, 4),
                        temperature=result.temperature,
                    )
                )
            self.progress("transcription", min(1.0, (first + len(batch)) / len(chunks)))
        return sorted(segments, key=lambda s: (s.start, s.end)), guards

    def transcribe(self, path: str | Path) -> Transcript:
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        audio = load_audio(path)
        timings["decode_audio"] = time.perf_counter() - clock
        warnings = list(audio.warnings)
        models: list[ModelInfo] = []
        language, language_evidence = None, {}
        voice_matches: dict[str, VoiceMatch] = {}
        diarization = Diarization(turns=[], speakers=[], method="none")
        segments: list[Segment] = []
        guards: list[GuardEvent] = []
        overlaps: list[Overlap] = []

        if is_silent(audio.samples, audio.sample_rate):
            warnings.append("the recording is silent: there is no speech to transcribe")
        else:
            clock = time.perf_counter()
            diarization = diarize(
                audio,
                self.settings.diarization,
                self.settings.speakers,
                self.diarizer,
                progress=lambda fraction: self.progress("diarization", fraction),
                speech_detector=self.speech_detector,
            )
            timings["diarization"] = time.perf_counter() - clock
            warnings.extend(diarization.warnings)
            if diarization.method == "pyannote":
                models.extend(self.diarizer().models)
            elif self._speech_detector is not None and self._speech_detector.available:
                models.append(self._speech_detector.model)
            chunks = plan_chunks(diarization.turns, audio.samples, audio.sample_rate)
            if not chunks:
                warnings.append("no speech was detected in the recording")
            else:
                clock = time.perf_counter()
                language, language_evidence = self._language(audio, chunks)
                segments, guards = self._decode(audio, chunks, language)
                overlaps = overlapping_speech(diarization.regions)
                mark_overlapping(segments, overlaps)
                timings["transcription"] = time.perf_counter() - clock
                models.append(self._asr_info)
            clock = time.perf_counter()
            voice_matches, voice_model = self._match_voices(audio, diarization)
            if voice_model is not None:
                timings["voices"] = time.perf_counter() - clock
                models.append(voice_model)

        settings = asdict(self.settings)
        settings.update(
            device=self.device,
            batch_size=self.batch_size,
            diarization_method=diarization.method,
            language_detection={kind: {k: round(v, 4) for k, v in values.items()} for kind, values in language_evidence.items()},
        )
        transcript = Transcript(
            recording=audio.recording,
            language=language,
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


@dataclass
class FileOutcome:
    status: str  # "transcribed" or "skipped" (an up-to-date transcript already existed)
    paths: dict[str, Path]
    transcript: Transcript


def transcribe_file(pipeline: Pipeline, source: str | Path, out_dir: str | Path, force: bool = False) -> FileOutcome:
    """Transcribe `source` into `out_dir`, resuming: a finished transcript of the same
    recording (same content hash) is kept unless `force`; a transcript of a *different*
    recording under the same name is never silently replaced."""
    source, out_dir = Path(source), Path(out_dir)
    paths = output_paths(out_dir, source)
    existing = read_transcript(paths["json"])
    if existing is not None and not force:
        if source.is_file() and existing.recording.sha256 == file_sha256(source):
            return FileOutcome("skipped", paths, existing)
        if source.is_file():
            raise TranscribeError(
                f"{paths['json']} holds the transcript of a different recording named like "
                f"{source.name}; move it away or pass --force to replace it"
            )
    transcript = pipeline.transcribe(source)
    write_transcript(transcript, paths, pipeline.settings.conventions)
    return FileOutcome("transcribed", paths, transcript)
