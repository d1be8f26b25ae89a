"""Prefect flows over the transcribe library: `transcribe-file` (one recording, run from the
Prefect UI with a parameter form) and `transcribe-batch` (an inbox, on a schedule).

Flows are thin: every step is a library call that `transcribe run` makes too. Tasks pass
paths, counts and the diarization (who spoke when) and never a word of a transcript:
results are not persisted, and the batch report artifact holds file names, durations,
languages, speaker counts, statuses, timings and warnings only.
"""

import errno
import os
import time
from dataclasses import replace
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Literal, Optional

import transcribe  # noqa: F401 - first: telemetry off and the hub offline before Prefect's imports

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import task_run
from prefect.states import Completed, Failed, State
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import BaseModel, Field, PositiveInt

from transcribe.ingest.audio import Audio, load_audio
from transcribe.batch import Planned, ReportRow, Roots, find_recordings, other_settings, plan, summary
from transcribe.diarize.diarization import Diarization, SpeakerCount
from transcribe.errors import SettingsError, TranscribeError, UnexpectedError
from transcribe.models.loaded_models import LoadedModels
from transcribe.models.store import ModelStore
from transcribe.export.outputs import read_transcript
from transcribe.guide import read_guide, summary as guide_summary
from transcribe.pipeline import Pipeline, code_file, transcribe_file
from transcribe.utils.progress_log import ProgressLog
from transcribe.settings import DiarizationMode, Settings, Style
from transcribe.study.handoff import HandOff, Study, export_handoff, run_formats
from transcribe.study.settings_file import describe, differences, languages_in_use, run_settings, study_settings
from transcribe.models.whisper_models import installed_whisper_models
from transcribe.export.writers import WRITERS

Format = Literal[tuple(name for name in WRITERS if name != "json")]

# One per process: every recording and task of a flow run reuses the models loaded once.
# (A process worker starts a process per flow run, so a batch, not a file, is the unit
# that pays for loading them.)
MODELS = LoadedModels()
# The deployment (prefect.yaml) that runs the shares of a batch spread over machines.
SHARE_DEPLOYMENT = "share"


# The form's choices, read when the deployment is made (`prefect deploy` imports this module):
# the Whisper models installed here (`transcribe models list`), and the languages the studies'
# settings allow (English and Norwegian where none says). Free text stays possible
# (`other_model`, `languages`).
MODEL_CHOICES = ["auto", *installed_whisper_models(ModelStore())]
LANGUAGE_CHOICES = ["auto", *(languages_in_use(Roots.from_environment().transcripts) or ["en", "no", "nn"])]
ROLE_CHOICES = Literal["", "interviewer", "participant"]


class Options(BaseModel):
    """How to transcribe: the choices of `transcribe run`, as the Prefect UI's form (every
    field a plain value: 0 or empty means "not given"). A field left at its default takes the
    study's setting (transcripts/STUDY/settings.yaml, study/settings_file.py); one changed
    overrides it for this run."""

    study: str = Field("", description="The study (a short name): its transcripts go to transcripts/STUDY/restricted/raw, owner-only, and the fields below left "
                       "at their defaults take its settings (transcripts/STUDY/settings.yaml). Empty: no study.")
    languages: list[str] = Field(["en", "no"], description="The languages the study allows (en, no, nn, ...): detection picks among these.")
    language: str = Field("auto", description="The interview's language. Left at auto: the study's setting; auto there too: detected among the study's languages.",
                          json_schema_extra={"enum": LANGUAGE_CHOICES})
    speakers: int = Field(0, ge=0, description="How many people speak, if you know (an interviewer and one participant: 2). 0: the study's number, else unknown and estimated.")
    min_speakers: int = Field(0, ge=0, description="At least this many speakers, where the exact number is unknown. 0: no lower bound.")
    max_speakers: int = Field(0, ge=0, description="At most this many speakers, where the exact number is unknown. 0: no upper bound.")
    model: str = Field("auto", description="The Whisper model (installed here when deployed). Left at auto: the study's model; "
                       "auto there too: large-v3 on a GPU, base on a CPU.",
                       json_schema_extra={"enum": MODEL_CHOICES})
    other_model: str = Field("", description="Another model's name (imported, or from the internet with Allow Download): used instead of Model.")
    style: Style = Field("verbatim", description="verbatim keeps fillers, pauses and unclear passages; clean gives the words alone.")
    diarization: DiarizationMode = Field("auto", description="Who spoke when: auto splits a stereo call by channel, else pyannote; none: one speaker.")
    roles: list[str] = Field(["interviewer", "participant"], description="Speaker roles, the one who asks first; empty keeps SPEAKER_00.")
    left_channel: ROLE_CHOICES = Field("", description="A stereo call's left channel: whose voice it carries (empty: decided from what is said).")
    right_channel: ROLE_CHOICES = Field("", description="A stereo call's right channel: whose voice it carries (empty: decided from what is said).")
    terms: list[str] = Field([], description="Names and terms of the study to bias recognition toward.")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Where to run: auto uses the worker's GPU if it has one.")
    batch_size: int = Field(0, ge=0, description="30 s windows decoded together. 0: 16 on a GPU, 4 on a CPU.")
    pseudonymize: bool = Field(False, description="With a study: replace names and identifiers, and hand off to coding.")
    key: str = Field("", description="The study key (YAML): a path in the transcripts or audio folder. Empty: the study's copy, if any.")
    guide: str = Field("", description="The interview guide (a question per line, [code] first; or YAML), a path in the transcripts or "
                       "audio folder: each answer is coded with the guide question it answers. Empty: none.")
    formats: list[Format] = Field([], description="Files to write. Empty: txt and quality; the hand-off formats when pseudonymizing.")
    force: bool = Field(False, description="Transcribe again even where a transcript exists (the old one is kept in previous/).")
    allow_download: bool = Field(False, description="Let this run fetch missing models (uses the worker's HF_TOKEN).")

    def settings(self, study: Mapping[str, Any] | None = None) -> Settings:
        """The run's settings: the fields changed from their defaults, over the `study`'s
        settings, over the defaults."""
        changed = {name for name, field in type(self).model_fields.items() if getattr(self, name) != field.default}
        chosen: dict[str, Any] = {name: self._setting(name) for name, fields in STUDY_SETTING_FIELDS.items() if changed & fields}
        return run_settings(study or {}, chosen, {"device": self.device, "batch_size": self.batch_size or None})

    def _setting(self, name: str) -> Any:
        if name == "model":
            return self.other_model.strip() or self.model
        if name == "speakers":
            return SpeakerCount(self.speakers or None, self.min_speakers or None, self.max_speakers or None)
        if name == "channel_map":
            return {side: role for side, role in (("left", self.left_channel), ("right", self.right_channel)) if role}
        value = getattr(self, name)
        return tuple(value) if isinstance(value, list) else value


# The study settings (study_settings.STUDY_FIELDS) the form sets, and the fields that set each.
STUDY_SETTING_FIELDS = {
    "model": {"model", "other_model"}, "language": {"language"}, "languages": {"languages"}, "style": {"style"},
    "diarization": {"diarization"}, "speakers": {"speakers", "min_speakers", "max_speakers"}, "terms": {"terms"},
    "roles": {"roles"}, "channel_map": {"left_channel", "right_channel"},
}


class _Run:
    """One flow run's library objects, made once: settings, the pipeline (sharing the
    process's loaded models), where transcripts go, and the study's hand-off."""

    def __init__(self, options: Options, roots: Roots):
        if options.pseudonymize and not options.study:
            raise SettingsError("`pseudonymize` needs a `study` (the study whose pseudonyms to use)")
        self.options, self.roots = options, roots
        store = ModelStore(allow_download=options.allow_download, hf_token=os.environ.get("HF_TOKEN"))
        self.study = Study.at(roots.transcripts, options.study) if options.study else None
        if self.study is not None:
            self.study.prepare()
        study, written = study_settings(roots.transcripts, options.study or None)
        if written is not None:
            get_run_logger().info(f"study {self.study.name}: its settings are in {self.study.name}/{written.name} (today's defaults)")
        self.pipeline = Pipeline(options.settings(study), store, MODELS)
        if study and (other := differences(self.pipeline.settings, study)):
            get_run_logger().info(f"settings other than the study's for this run: {describe(other)}")
        self.out_dir = self.study.raw if self.study is not None else roots.transcripts
        self.formats, handoff_formats = run_formats(options.formats or None, options.pseudonymize)
        self.guide = roots.study_file(options.guide) if options.guide else None
        if self.guide is not None:
            read_guide(self.guide)  # a guide that cannot be used stops the run before any work
        self.decoded: dict[Path, Audio] = {}  # recordings diarized, waiting for transcription
        self.hand_off = None
        if options.pseudonymize:
            key = roots.study_file(options.key) if options.key else None
            self.hand_off = HandOff(self.study, key, handoff_formats)
            for note in self.hand_off.notes:  # no key, NER off: what to know before trusting it
                get_run_logger().warning(note)

    def pipeline_for_attempt(self, attempt: int) -> Pipeline:
        """The pipeline, with half the batch size for each retry (after CUDA ran out of memory)."""
        if attempt <= 1:
            return self.pipeline
        _free_gpu_memory()
        smaller = replace(self.pipeline.settings, batch_size=max(1, self.pipeline.batch_size // 2 ** (attempt - 1)))
        return Pipeline(smaller, self.pipeline.store, MODELS)


def _free_gpu_memory() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _worth_retrying(task, task_run, state) -> bool:
    """Retry what a second attempt can fix (CUDA out of memory: with a smaller batch; a
    network share that hiccuped), never a bad recording or a wrong setting."""
    error = state.result(raise_on_failure=False)
    while isinstance(error, UnexpectedError) and error.__cause__ is not None:
        error = error.__cause__
    if isinstance(error, TranscribeError) or not isinstance(error, BaseException):
        return False
    if "out of memory" in str(error).lower():
        return True
    return isinstance(error, OSError) and error.errno in (errno.EIO, errno.EAGAIN, errno.ETIMEDOUT, errno.ESTALE)


_TASK = dict(cache_policy=NO_CACHE, persist_result=False, retry_condition_fn=_worth_retrying)


@task(name="diarize", retries=1, **_TASK)
def diarize(run: _Run, source: Path) -> Diarization:
    """Who spoke when; the decoded audio is kept in this process for the transcribe task
    (a task result is never persisted, and this is not one)."""
    audio = load_audio(source)
    run.decoded[source] = audio
    with ProgressLog(source.name, get_run_logger().info) as progress:
        return run.pipeline.diarize(audio, hook=progress)


@task(name="transcribe", retries=2, **_TASK)
def transcribe_recording(run: _Run, source: Path, diarization: Diarization) -> tuple[str, Path]:
    """Transcribe into the output folder (resuming); returns the status and the transcript's path."""
    pipeline = run.pipeline_for_attempt(task_run.run_count)
    audio = run.decoded.pop(source, None)
    with ProgressLog(source.name, get_run_logger().info) as progress:
        outcome = transcribe_file(
            pipeline, source, run.out_dir, run.options.force, formats=run.formats, diarization=diarization, hook=progress, audio=audio
        )
    if outcome.kept is not None:
        why = f"{', '.join(outcome.changed)} changed" if outcome.changed else "asked to (force)"
        get_run_logger().info(f"{source.name}: transcribed again, {why}; the transcript it replaced is kept as previous/{outcome.kept.name}")
    if run.guide is not None:
        get_run_logger().info(f"{source.name}: {guide_summary(code_file(outcome.paths['json'], run.guide).guide)}")
    return outcome.status, outcome.paths["json"]


@task(name="pseudonymize", retries=1, **_TASK)
def pseudonymize(run: _Run, raw_json: Path) -> str:
    """Pseudonymize into the study's hand-off folder; returns the hand-off name."""
    outcome = run.hand_off(raw_json, formats=("json",))
    counts = outcome.transcript.stage("pseudonymize").counts
    get_run_logger().info(f"{raw_json.stem}: {outcome.status} as {outcome.name} ({', '.join(f'{k} {n}' for k, n in counts.items() if n) or 'nothing found'})")
    if outcome.redone:
        get_run_logger().info(f"pseudonymized again, for names found since: {', '.join(outcome.redone)}")
    return outcome.name


@task(name="hand off", retries=1, **_TASK)
def hand_off(run: _Run, name: str) -> list[str]:
    """Write the hand-off formats and the study's REFI-QDA project."""
    return export_handoff(run.study, name, run.hand_off.formats)


def _failure(state: State) -> str:
    error = state.result(raise_on_failure=False)
    return str(error) if isinstance(error, BaseException) else state.message or "failed"


def _finish(run: _Run, item: Planned, transcribed: Optional[tuple[str, Path]], started: float) -> ReportRow:
    """Pseudonymize and hand off a transcribed (or already done) recording; its report row."""
    status, raw_json = transcribed or ("up to date", item.transcript)
    status = "up to date" if status == "skipped" else status
    more = {}
    if run.hand_off is not None:
        named = pseudonymize(run, raw_json, return_state=True)
        if named.is_failed():
            return ReportRow.of(item.source.name, "failed", read_transcript(raw_json), error=_failure(named))
        handed = hand_off(run, named.result(), return_state=True)
        if handed.is_failed():
            return ReportRow.of(item.source.name, "failed", read_transcript(raw_json), error=_failure(handed))
        more["handed_off_as"] = named.result()
    transcript = read_transcript(raw_json)
    if item.differs and transcript is not None and status == "up to date":
        more["other_settings"] = other_settings(transcript, item.differs)
        get_run_logger().info(f"{item.source.name}: kept as made on purpose with other settings ({more['other_settings']}); run it from the form to redo it")
    return ReportRow.of(item.source.name, status, transcript, time.perf_counter() - started, **more)


def _work_through(run: _Run, planned: list[Planned]) -> list[ReportRow]:
    """Every recording of `planned`, one after another; on a GPU the next one's
    diarization runs while this one is transcribed. A failure stays with its recording."""
    force = run.options.force
    rows = {p.source: ReportRow(p.source.name, f"duplicate of {p.same_as.name}") for p in planned if p.status == "duplicate" and not force}
    rows |= {p.source: _finish(run, p, None, time.perf_counter()) for p in planned if p.status == "done" and not force}
    pending = [p for p in planned if p.source not in rows]
    overlap = run.pipeline.device.startswith("cuda")
    ahead = None
    for index, item in enumerate(pending):
        started = time.perf_counter()
        if overlap:
            current = ahead or diarize.submit(run, item.source)
            ahead = diarize.submit(run, pending[index + 1].source) if index + 1 < len(pending) else None
            current.wait()
            diarized = current.state
        else:
            # On a CPU one thread does all: a second thread's OpenMP team would take the
            # cores from the first (diarization 3.7 s in the main thread, 5.5-7 s in another).
            diarized = diarize(run, item.source, return_state=True)
        if diarized.is_failed():
            rows[item.source] = ReportRow(item.source.name, "failed", error=_failure(diarized))
            continue
        transcribed = transcribe_recording(run, item.source, diarized.result(), return_state=True)
        if transcribed.is_failed():
            rows[item.source] = ReportRow(item.source.name, "failed", error=_failure(transcribed))
            continue
        rows[item.source] = _finish(run, item, transcribed.result(), started)
    return [rows[p.source] for p in planned]


def _spread(run: _Run, planned: list[Planned], machines: int) -> list[ReportRow]:
    """Share the pending recordings among `machines` runs: this one takes the first share,
    and each other share is a run of the `share` deployment, which the work pool's other
    workers pick up (each loads its models once for its share). Their rows are read back
    from the transcripts they wrote."""
    from prefect import get_client
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    pending = [p.source for p in planned if p.status == "pending"]
    shares = [pending[i::machines] for i in range(machines) if pending[i::machines]]
    try:
        children = [
            run_deployment(
                f"{transcribe_batch.name}/{SHARE_DEPLOYMENT}",
                parameters={"files": [str(p.relative_to(run.roots.audio)) for p in share], "options": run.options.model_dump()},
                timeout=0,
            )
            for share in shares[1:]
        ]
    except ObjectNotFound:
        raise TranscribeError(f"spreading a batch needs the deployment {transcribe_batch.name}/{SHARE_DEPLOYMENT} (prefect deploy --all)") from None
    local = [p for p in planned if p.status != "pending" or p.source in shares[0]]
    mine = dict(zip((p.source for p in local), _work_through(run, local)))
    with get_client(sync_client=True) as client:
        while not all(client.read_flow_run(child.id).state.is_final() for child in children):
            time.sleep(5)
    after = {p.source: p for p in plan(pending, run.out_dir, run.pipeline.settings)}
    rows = []
    for item in planned:
        if item.source in mine:
            rows.append(mine[item.source])
        elif after[item.source].status == "done":
            rows.append(ReportRow.of(item.source.name, "transcribed", read_transcript(after[item.source].transcript)))
        else:
            rows.append(ReportRow(item.source.name, "failed", error="see the log of the run that had it"))
    return rows


def _report(rows: list[ReportRow]) -> State:
    """The batch report artifact, and the run's final state: failed when a recording failed
    (every other one is finished all the same)."""
    text = summary(rows)
    create_table_artifact(
        [{k: v for k, v in vars(row).items()} for row in rows], key="transcribe-report", description=f"Transcription: {text}"
    )
    get_run_logger().info(text)
    failed = [row for row in rows if row.status == "failed"]
    if failed:
        return Failed(message=f"{len(failed)} of {len(rows)} recordings failed ({text}); see the report")
    return Completed(message=text)


@flow(name="transcribe-file", persist_result=False, log_prints=False)
def transcribe_one(recording: str, options: Options = Options()) -> State:
    """Transcribe one recording of the audio folder (then pseudonymize and hand it off, with
    a study and pseudonymize on).

    Args:
        recording: the recording: a path inside the audio folder, as int-014.m4a or audio/int-014.m4a
        options: how to transcribe
    """
    roots = Roots.from_environment()
    source = roots.recording(recording)
    run = _Run(options, roots)
    return _report(_work_through(run, plan([source], run.out_dir, run.pipeline.settings)))


@flow(name="transcribe-batch", persist_result=False, log_prints=False, task_runner=ThreadPoolTaskRunner(max_workers=2))
def transcribe_batch(
    folder: str = ".", options: Options = Options(), machines: PositiveInt = 1, files: list[str] = []
) -> State:
    """Transcribe every recording in the folder not yet transcribed with these settings
    (by content, not name); one bad recording never stops the others, and a rerun after a
    crash does only what is left.

    Args:
        folder: the folder of recordings, inside the audio folder ("." is all of it)
        options: how to transcribe
        machines: spread the batch over this many runs of the work pool (GPU machines)
        files: these recordings only (paths inside the audio folder), not the folder
    """
    roots = Roots.from_environment()
    sources = [roots.recording(f) for f in files] if files else find_recordings(roots.recording(folder))
    run = _Run(options, roots)
    planned = plan(sources, run.out_dir, run.pipeline.settings, keep_other_settings=True)
    get_run_logger().info(f"{len(sources)} recordings: {sum(p.status == 'pending' for p in planned)} to transcribe")
    if machines > 1 and sum(p.status == "pending" for p in planned) > 1:
        return _report(_spread(run, planned, machines))
    return _report(_work_through(run, planned))
