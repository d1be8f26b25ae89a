"""Command line: `transcribe run FILE [--study NAME --pseudonymize --key KEY]`,
`transcribe pseudonymize JSON --study NAME`, `transcribe review apply REVIEW`,
`transcribe corrections apply CORRECTIONS`,
`transcribe export JSON|STUDY --formats ...`, `transcribe models list|import`,
`transcribe voices enroll|list|remove`, `transcribe prefect ARGS` (Prefect's own command,
pointed at this machine's server, telemetry off)."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from . import (
    __version__,  # importing the package switches telemetry off and the hub offline
)
from .errors import (
    CorrectionsFileError,
    GuideFileError,
    ReviewFileError,
    SettingsError,
    TranscribeError,
    TranscriptFileError,
    UnexpectedError,
    for_command_line,
)
from .export.writers import WRITERS
from .utils.crash_log import write_crash_log

DERIVED_FORMATS = ", ".join(name for name in WRITERS if name != "json")
HANDOFF_DEFAULT = "docx,txt,maxqda,nvivo,srt,vtt,html,qdpx"

EPILOG_RUN = """examples:
  transcribe run audio/interview01.m4a
  transcribe run call.wav --diarization channels --language no
  transcribe run interview.mp3 --speakers 2 --model large-v3 --device cuda

Outputs <out>/<name>.json (all data: speakers, segments, word timings, provenance)
and <out>/<name>.txt ([hh:mm:ss] SPEAKER: text per turn), and <out>/<name>.quality.txt
(share of the speech transcribed, low-confidence words, guards, where to listen again).
Rerunning skips recordings that are already transcribed (rebuilding a missing .txt from
the .json). Nothing is downloaded unless you pass --allow-download.
"""


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="transcribe",
        description="Verbatim, speaker-labelled transcripts of recorded research interviews.",
    )
    parser.add_argument("--version", action="version", version=f"transcribe {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="transcribe one recording",
        description="Transcribe one interview recording into a speaker-labelled, word-timed transcript.",
        epilog=EPILOG_RUN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("file", type=Path, help="the recording (any format ffmpeg reads: wav, mp3, m4a, flac, ogg, amr, ...)")
    run.add_argument("-o", "--out", type=Path, default=Path("transcripts"), help="output folder (default: transcripts)")
    run.add_argument("--model", help="Whisper model: a name (base, large-v3, turbo), nb-whisper-large (Norwegian) or another Hugging Face name, an imported name, or a .pt path (default: auto, by device)")
    run.add_argument("--language", help="language of the interview, e.g. en or no (default: auto-detect among --languages)")
    run.add_argument("--languages", help="languages the study allows; detection picks only among these, per recording and per turn (default: en,no; add nn to keep Nynorsk apart)")
    run.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    run.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "bf16"],
                     help="Whisper's precision: auto is fp16 on a GPU and fp32 on a CPU")
    run.add_argument("--diarization", choices=["auto", "pyannote", "channels", "none"],
                     help="who spoke when: channels splits a stereo call by channel; auto picks channels for such calls, else pyannote")
    run.add_argument("--diarization-model",
                     help="pyannote pipeline: a Hugging Face name, a local folder, or 'offline' (default: auto)")
    run.add_argument("--speakers", type=_positive_int, help="exact number of speakers, if known")
    run.add_argument("--min-speakers", type=_positive_int, help="at least this many speakers")
    run.add_argument("--max-speakers", type=_positive_int, help="at most this many speakers")
    run.add_argument("--style", choices=["verbatim", "clean"],
                     help="verbatim keeps fillers and marks pauses (.) (2.4), [unclear ...] and [inaudible ...]; clean gives the words alone")
    run.add_argument("--pause", type=float, metavar="SECONDS",
                     help="pauses this long or longer are written in seconds, shorter ones (from 0.3 s) as (.) (default 1.0)")
    run.add_argument("--terms", metavar="WORDS",
                     help="comma-separated names and terms of the study (organisations, medicines) to bias recognition toward")
    run.add_argument("--roles",
                     help="speaker roles, the one who asks questions first (default: interviewer,participant; 'none' keeps SPEAKER_00 ...)")
    run.add_argument("--channel-map", metavar="MAP",
                     help="roles of a stereo call's channels, e.g. left=interviewer (exact; otherwise roles come from who asks questions)")
    run.add_argument("--voices", metavar="NAMES",
                     help="enrolled voices to recognise (see `transcribe voices`): auto (all whose role is in --roles), none, or comma-separated names")
    run.add_argument("--batch-size", type=_positive_int, help="30 s windows decoded together (default: 16 on GPU, 4 on CPU)")
    run.add_argument("--beam-size", type=_positive_int, help="beams searched per window; 1 decodes greedily (faster, less accurate; default: 5)")
    run.add_argument("--allow-download", action="store_true", help="allow fetching models from the internet (uses HF_TOKEN for pyannote)")
    run.add_argument("--formats", metavar="NAMES",
                     help=f"files to write beside the .json, comma-separated: {DERIVED_FORMATS} (default: txt,quality; "
                     "with --pseudonymize, the hand-off formats: docx,txt,maxqda,nvivo,srt,vtt,html,qdpx)")
    run.add_argument("--study", metavar="NAME", help="the study this interview belongs to: the transcript goes to <out>/NAME/restricted/raw (owner-only), "
                     "and the study's settings (<out>/NAME/settings.yaml) are the defaults of the flags above")
    run.add_argument("--pseudonymize", action="store_true", help="with --study: replace names and other identifiers, and write the pseudonymized transcript to <out>/NAME/handoff")
    run.add_argument("--key", type=Path, metavar="STUDY.yaml", help="the study key: names to replace, chosen pseudonyms, NER models (see README); kept in the study's restricted folder")
    run.add_argument("--guide", type=Path, metavar="GUIDE", help="the interview guide (a question per line, or YAML): each answer is coded "
                     "with the guide question it answers, in the .qdpx, .docx and MAXQDA files and the quality report")
    run.add_argument("--force", action="store_true", help="transcribe again even if a transcript exists")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress display")

    export = commands.add_parser(
        "export",
        help="write other formats of existing transcripts, from their .json",
        description="Write formats of existing transcripts again from their .json alone, without transcribing.",
    )
    export.add_argument("transcripts", nargs="+", type=Path, help="transcript .json files, or study folders (<out>/<study>: its hand-off transcripts and project)")
    export.add_argument("--formats", required=True, metavar="NAMES", help=f"comma-separated: {DERIVED_FORMATS}")
    export.add_argument("-o", "--out", type=Path, help="folder to write to (default: beside each .json)")

    pseudo = commands.add_parser(
        "pseudonymize",
        help="pseudonymize existing transcripts into a study's hand-off folder",
        description="Replace names, organisations, places, phone and ID numbers, e-mail and street addresses in existing "
        "transcripts with the study's pseudonyms, consistently across the study; write a review file of every "
        "replacement (restricted) and the hand-off formats.",
    )
    pseudo.add_argument("transcripts", nargs="+", type=Path, help="transcript .json files (copied into the study's restricted folder if elsewhere)")
    pseudo.add_argument("--study", metavar="NAME", help="the study (default: the one the transcripts are in)")
    pseudo.add_argument("--key", type=Path, metavar="STUDY.yaml", help="the study key (default: the study's copy of the last one given)")
    pseudo.add_argument("-o", "--out", type=Path, default=Path("transcripts"), help="the folder holding the studies (default: transcripts)")
    pseudo.add_argument("--formats", default=HANDOFF_DEFAULT, metavar="NAMES", help=f"hand-off formats (default: {HANDOFF_DEFAULT})")

    review = commands.add_parser("review", help="apply a reviewed replacement list").add_subparsers(dest="review_command", required=True, metavar="ACTION")
    apply = review.add_parser(
        "apply",
        help="pseudonymize a transcript again with the decisions of its review file",
        description="Rows set to 'reject' are left as said; rows added with decision 'add', a kind and the original are "
        "replaced wherever said. The same review file always gives the same result.",
    )
    apply.add_argument("reviews", nargs="+", type=Path, help="review files (<study>/restricted/review/<name>.review.csv)")
    apply.add_argument("--formats", default=HANDOFF_DEFAULT, metavar="NAMES", help=f"hand-off formats (default: {HANDOFF_DEFAULT})")

    corrections = commands.add_parser("corrections", help="apply corrections saved from the review page").add_subparsers(
        dest="corrections_command", required=True, metavar="ACTION")
    capply = corrections.add_parser(
        "apply",
        help="apply corrections files to their transcripts; redo their formats and hand-off",
        description="Apply corrections saved from a transcript's review page (the .html beside the raw transcript): "
        "edited words keep the time of the words they replaced, and nothing else moves. The transcript before is kept in "
        "previous/, its formats are written again, and in a study its pseudonymized hand-off is redone. The corrections "
        "are kept (corrections/) and applied again if the recording is transcribed anew.",
    )
    capply.add_argument("files", nargs="+", type=Path, help="corrections files (<name>.corrections.json, as the review page saves them)")
    capply.add_argument("-o", "--out", type=Path, default=Path("transcripts"), help="the folder of the transcripts, or of the studies (default: transcripts)")
    capply.add_argument("--study", metavar="NAME", help="the study the transcripts are in (its restricted/raw folder); its hand-off is redone")
    capply.add_argument("--formats", default=HANDOFF_DEFAULT, metavar="NAMES", help=f"hand-off formats, in a study (default: {HANDOFF_DEFAULT})")

    guide = commands.add_parser(
        "guide",
        help="code existing transcripts by the interview guide",
        description="Code each answer of transcripts already made with the interview guide question it answers "
        "(a suggestion: the quality report lists the questions not found and the matches to check); their formats, "
        "and in a study the pseudonymized hand-off, are written again.",
    )
    guide.add_argument("transcripts", nargs="+", type=Path, help="raw transcript .json files (in a study: its restricted/raw folder)")
    guide.add_argument("--guide", required=True, type=Path, metavar="GUIDE", help="the interview guide (a question per line, [code] first if wanted; or YAML)")
    guide.add_argument("--formats", default=HANDOFF_DEFAULT, metavar="NAMES", help=f"hand-off formats, in a study (default: {HANDOFF_DEFAULT})")

    models = commands.add_parser("models", help="list or import models").add_subparsers(dest="models_command", required=True, metavar="ACTION")
    models.add_parser("list", help="list imported models and downloaded Whisper models")
    imp = models.add_parser(
        "import",
        help="import local model weights into the model store",
        description="Import weights (CTranslate2 or Hugging Face Whisper, pyannote segmentation, CAM++) into the local store.",
    )
    imp.add_argument("sources", nargs="+", type=Path, help="folders or files holding the weights (a model split in parts: give every part)")
    imp.add_argument("--name", required=True, help="name to use with --model")
    imp.add_argument("--kind", default="whisper", choices=["whisper", "segmentation", "embedding"], help="default: whisper")
    imp.add_argument("--replace", action="store_true", help="replace a model imported under the same name")

    voices = commands.add_parser(
        "voices",
        help="enrol the study's interviewers so every recording labels them by voice",
        description="Voiceprints (CAM++ speaker embeddings, no audio) of people who take part in many recordings, "
        "such as the study's interviewers. `transcribe run` gives a speaker whose voice matches an enrolled voice "
        "that voice's role (a stereo call's --channel-map still comes first). Voiceprints are personal data: "
        "they are kept owner-only beside the model store.",
    ).add_subparsers(dest="voices_command", required=True, metavar="ACTION")
    enroll = voices.add_parser("enroll", help="enrol a voice from a short clip of the person talking alone")
    enroll.add_argument("name", help="a name for the voice, e.g. interviewer-anna (letters, digits, '.', '_', '-')")
    enroll.add_argument("clip", type=Path, help="a recording of this person alone (10-30 s of speech is ideal, at least 3 s)")
    enroll.add_argument("--role", default="interviewer", help="the role this voice takes in transcripts (default: interviewer)")
    enroll.add_argument("--replace", action="store_true", help="replace a voice enrolled under the same name")
    enroll.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    voices.add_parser("list", help="list enrolled voices")
    remove = voices.add_parser("remove", help="delete an enrolled voice")
    remove.add_argument("name")
    # Listed for --help only: main() hands `prefect ARGS` to Prefect before parsing (argparse
    # cannot pass on arguments that start with "-", such as `--no-prompt deploy`).
    commands.add_parser("prefect", help="Prefect's own command (prefect ARGS), pointed at this machine's server with telemetry off")
    return parser


class _ProgressBars:
    """One tqdm bar per stage, on stderr; disabled when stderr is not a terminal."""

    def __init__(self, enabled: bool):
        from tqdm import tqdm

        self._tqdm, self._enabled, self._bars = tqdm, enabled, {}

    def __call__(self, stage: str, fraction: float) -> None:
        if not self._enabled:
            return
        bar = self._bars.get(stage)
        if bar is None:
            bar = self._bars[stage] = self._tqdm(total=100, desc=stage, unit="%", leave=False, file=sys.stderr)
        bar.update(round(fraction * 100) - bar.n)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()


def _listed(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _channel_map(text: str) -> dict[str, str]:
    sides = {"left": "left", "l": "left", "0": "left", "right": "right", "r": "right", "1": "right"}
    channel_map = {}
    for item in _listed(text):
        channel, _, role = item.partition("=")
        if channel.strip().lower() not in sides or not role.strip():
            raise SettingsError(f"`channel_map` entries look like left=interviewer (got '{item}')")
        channel_map[sides[channel.strip().lower()]] = role.strip()
    return channel_map


# How each study setting's flag is read ("en,no", "left=interviewer", "none"); a flag not
# given (None) leaves the study's setting, or the default, as it is.
FLAG_READERS = {
    "model": str, "language": str, "languages": _listed, "diarization": str, "diarization_model": str,
    "beam_size": int, "style": str, "pause": float, "terms": _listed, "channel_map": _channel_map,
    "roles": lambda text: () if text.strip().lower() == "none" else _listed(text),
    "voices": lambda text: text.strip().lower() if text.strip().lower() in ("auto", "none") else _listed(text),
}


def settings_from_args(args: argparse.Namespace, study: dict | None = None):
    """The run's `Settings`: the flags given, over the `study`'s settings (study/settings_file.py),
    over the defaults."""
    from .diarize.diarization import SpeakerCount
    from .study.settings_file import run_settings

    chosen = {name: read(getattr(args, name)) for name, read in FLAG_READERS.items() if getattr(args, name) is not None}
    if (args.speakers, args.min_speakers, args.max_speakers) != (None, None, None):
        chosen["speakers"] = SpeakerCount(args.speakers, args.min_speakers, args.max_speakers)
    machine = {"device": args.device, "precision": args.precision, "batch_size": args.batch_size}
    return run_settings(study or {}, chosen, machine)


def _run(args: argparse.Namespace) -> int:
    from .models.store import ModelStore
    from .pipeline import Pipeline, code_file, transcribe_file
    from .quality.report import headline
    from .study.handoff import run_formats
    from .study.settings_file import describe, differences

    if (args.pseudonymize or args.key) and not args.study:
        raise SettingsError("--pseudonymize and --key need --study NAME (the study whose pseudonyms to use)")
    if args.guide is not None:  # a guide that cannot be used stops the run before any work
        from .guide import read_guide

        read_guide(args.guide)
    study = _study(args.out, args.study) if args.study else None
    formats, handoff_formats = run_formats(args.formats, args.pseudonymize)
    study_settings = _study_settings(args.out, study)
    settings = settings_from_args(args, study_settings)
    if study_settings and (other := differences(settings, study_settings)):
        print(f"{args.file.name}: settings other than the study's for this run: {describe(other)}", file=sys.stderr)
    store = ModelStore(allow_download=args.allow_download, hf_token=os.environ.get("HF_TOKEN"))
    progress = _ProgressBars(enabled=not args.quiet and sys.stderr.isatty())

    def waiting() -> None:
        print(f"{args.file.name}: another run is transcribing it into this folder; waiting for it to finish", file=sys.stderr)

    try:
        out = study.raw if study is not None else args.out
        outcome = transcribe_file(Pipeline(settings, store), args.file, out, force=args.force, on_wait=waiting, formats=formats, hook=progress)
    finally:
        progress.close()
    transcript = outcome.transcript
    for warning in transcript.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    folder = outcome.paths["json"].parent.name or "."
    if outcome.status == "skipped":
        rebuilt = f"; rebuilt {', '.join(outcome.rebuilt)} from it" if outcome.rebuilt else ""
        print(f"{args.file.name}: already transcribed in {outcome.paths['json'].name} in {folder}{rebuilt} (use --force to redo)")
    else:
        if outcome.kept is not None:
            why = f"{', '.join(outcome.changed)} changed since the last transcript" if outcome.changed else "--force"
            print(f"{args.file.name}: transcribed again ({why}); the transcript it replaced is kept as "
                  f"{outcome.kept.parent.name}/{outcome.kept.name}", file=sys.stderr)
        print(
            f"{args.file.name}: {len(transcript.segments)} segments, {len(transcript.speakers)} speakers, "
            f"language {transcript.language or '-'} -> {', '.join(path.name for path in outcome.paths.values())} in {folder}"
        )
        if transcript.quality is not None:
            report = outcome.paths.get("quality")
            print("\n".join(f"  {line}" for line in headline(transcript.quality)) + (f" (see {report.name})" if report else ""))
    if args.guide is not None:
        _print_guide(outcome.paths["json"], code_file(outcome.paths["json"], args.guide))
    if args.pseudonymize:
        _HandOff(study, args.key, handoff_formats)(outcome.paths["json"])
    elif study is not None:
        print(f"{args.file.name}: kept in {study.name}/restricted/raw only; nothing handed off (add --pseudonymize)", file=sys.stderr)
    return 0


def _study(out: Path, name: str):
    from .study.handoff import Study

    study = Study.at(out, name)
    study.prepare()
    return study


def _study_settings(out: Path, study) -> dict:
    """The settings of `study` (None: of runs without one), its file made on first use."""
    from .study.settings_file import study_settings

    values, written = study_settings(out, study.name if study is not None else None)
    if written is not None:
        print(f"study {study.name}: its settings are in {study.name}/{written.name} (today's defaults; edit them to change every run of the study)",
              file=sys.stderr)
    return values


class _HandOff:
    """The library's HandOff, telling the user what to know (no key, NER off) and what
    was replaced, in numbers (never the names: a terminal is not a restricted place)."""

    def __init__(self, study, key: Path | None, formats: tuple[str, ...]):
        from .study.handoff import HandOff

        self.hand_off = HandOff(study, key, formats)
        for note in self.hand_off.notes:
            print(f"note: {for_command_line(note)}", file=sys.stderr)

    def __call__(self, raw_json: Path) -> None:
        study = self.hand_off.study
        outcome = self.hand_off(raw_json)
        where = f"{study.name}/handoff"
        if outcome.status == "up to date":
            print(f"{raw_json.stem}: pseudonymized transcript {outcome.name} in {where} is up to date")
            return
        counts = outcome.transcript.stage("pseudonymize").counts
        done = ", ".join(f"{kind} {n}" for kind, n in counts.items() if kind != "rejected" and n) or "nothing found"
        print(
            f"{raw_json.stem}: pseudonymized as {outcome.name} in {where} ({done}; {counts.get('rejected', 0)} rejected in review); "
            f"check every replacement in {study.name}/restricted/review/{study.review_path(raw_json.stem).name}"
        )
        if outcome.redone:
            print(f"{where}: pseudonymized again, for names found since: {', '.join(outcome.redone)}")


def _pseudonymize(args: argparse.Namespace) -> int:
    from .export.writers import parse_formats
    from .study.handoff import Study

    formats = parse_formats(args.formats)
    for path in args.transcripts:
        if not path.is_file():
            raise TranscriptFileError(f"{path.name} does not exist")
    study = _study(args.out, args.study) if args.study else Study.containing(args.transcripts[0])
    study.prepare()
    hand = _HandOff(study, args.key, formats)
    for path in args.transcripts:
        hand(study.admit(path))
    return 0


def _review(args: argparse.Namespace) -> int:
    from .export.writers import parse_formats
    from .study.handoff import Study

    formats = parse_formats(args.formats)
    for review in args.reviews:
        if not review.is_file():
            raise ReviewFileError(f"{review.name} does not exist")
        study = Study.containing(review)
        raw = study.reviewed(review)
        if not raw.is_file():
            raise ReviewFileError(f"{review.name} reviews {raw.name}, which is not in the study's restricted/raw folder")
        _HandOff(study, None, formats)(raw)
    return 0


def _corrections(args: argparse.Namespace) -> int:
    from .conventions import clock
    from .correct.apply import correct_file, corrected_share
    from .export.writers import parse_formats

    formats = parse_formats(args.formats)
    study = _study(args.out, args.study) if args.study else None
    folder = study.raw if study is not None else args.out
    for path in args.files:
        if not path.is_file():
            raise CorrectionsFileError(f"{path.name} does not exist")
    hand_off = _HandOff(study, None, formats) if study is not None and study.key_path.exists() else None
    for path in args.files:
        done = correct_file(path, folder)
        record, missed = done.transcript.corrections[-1], done.outcome.not_applied
        rate = 100 * record.words_changed / max(1, record.words_before)
        print(f"{done.path.name}: {record.applied_edits} of {record.edits} corrections applied ({rate:.1f} words per 100 changed); "
              f"wrote {', '.join(done.written)}; the transcript before is kept as previous/{done.kept.name}")
        if missed:
            print(f"{done.path.name}: {len(missed)} corrections found no words to change, at {', '.join(clock(t) for t in missed)}", file=sys.stderr)
        if hand_off is not None:
            hand_off(done.path)
    if study is not None and (share := corrected_share(study.raw)):
        print(f"study {study.name}: {share[0]:g} words per 100 corrected, over {share[1]} corrected transcript{'' if share[1] == 1 else 's'}")
    return 0


def _print_guide(raw_json: Path, transcript) -> None:
    from .guide import summary

    print(f"{raw_json.stem}: {summary(transcript.guide)}")


def _guide(args: argparse.Namespace) -> int:
    from .export.writers import parse_formats
    from .pipeline import code_file
    from .study import Study

    formats = parse_formats(args.formats)
    for path in args.transcripts:
        if not path.is_file():
            raise TranscriptFileError(f"{path.name} does not exist")
    if not args.guide.is_file():
        raise GuideFileError(f"{args.guide.name} does not exist")
    for path in args.transcripts:
        _print_guide(path, code_file(path, args.guide))
        try:
            study = Study.containing(path)
        except SettingsError:
            continue
        if study.key_path.exists():
            _HandOff(study, None, formats)(path)
    return 0


def _export(args: argparse.Namespace) -> int:
    from .export.outputs import export
    from .export.writers import parse_formats

    formats = parse_formats(args.formats)
    for path in args.transcripts:
        if path.is_dir():
            from .study.handoff import Study, export_study

            written = export_study(Study.containing(path), formats)
        else:
            written = export(path, formats, args.out)
        print(f"{path.name}: " + (f"wrote {', '.join(written)}" if written else "up to date"))
    return 0


def _models(args: argparse.Namespace) -> int:
    from .models.store import ModelStore

    store = ModelStore()
    if args.models_command == "import":
        from .models.importer import IMPORTERS

        for source in args.sources:
            if not source.exists():
                raise TranscribeError(f"{source} does not exist")
        model = IMPORTERS[args.kind](store, args.sources, args.name, args.replace)
        print(f"imported {model.kind} model '{model.name}' (sha256 {model.sha256[:12]}) into {model.path.parent}")
        return 0

    import whisper

    from .models.whisper_models import _official_cache_file

    print(f"model store: {store.root}")
    for model in store.list():
        print(f"  {model.kind:<13} {model.name:<20} {model.meta.get('format', ''):<15} sha256 {model.sha256[:12]}")
    cached = [name for name in whisper.available_models() if _official_cache_file(name).is_file()]
    print("downloaded Whisper models: " + (", ".join(cached) if cached else "none"))
    return 0


def _voices(args: argparse.Namespace) -> int:
    from .diarize.voices import VoiceStore, enrol
    from .models.store import ModelStore

    store = ModelStore()
    voices = VoiceStore.beside(store)
    if args.voices_command == "enroll":
        from .models.whisper_models import resolve_device

        voice = enrol(store, args.name, args.clip, args.role, args.replace, resolve_device(args.device))
        print(f"enrolled voice '{voice.name}' (role {voice.role}) from {voice.seconds:.1f} s of speech in {voices.root}")
    elif args.voices_command == "remove":
        voices.remove(args.name)
        print(f"removed voice '{args.name}'")
    else:
        print(f"enrolled voices: {voices.root}")
        for voice in voices.list():
            print(f"  {voice.name:<24} role {voice.role:<14} {voice.seconds:5.1f} s of speech, enrolled {voice.created}")
    return 0


def _prefect(rest: list[str]) -> int:
    """Replace this process with Prefect's command line, given `rest`, in the environment
    every Prefect process of the README needs (prefect_setup.py)."""
    from .prefect_setup import prefect_environment

    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, "-m", "prefect", *rest], prefect_environment(os.environ, rest))
    return 0  # not reached: execve does not return


COMMANDS = {"run": _run, "pseudonymize": _pseudonymize, "review": _review, "corrections": _corrections, "guide": _guide, "export": _export,
            "models": _models, "voices": _voices}


def main(argv: list[str] | None = None) -> int:
    # What the user must know reaches stderr as the transcript's warnings; the libraries'
    # own warnings (numpy's divide, torch's deprecations) are for their developers.
    warnings.simplefilter("ignore")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["prefect"]:  # everything after it is Prefect's, options first included
        return _prefect(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UnexpectedError as error:
        return _crashed(error, error.__cause__)
    except SettingsError as error:
        print(f"error: {error.for_command_line()}", file=sys.stderr)
        return error.exit_code
    except TranscribeError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:  # output piped into a command that stopped reading (head, grep -q)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted: nothing was written for the recording in progress", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the last resort: one line, the traceback to a log
        return _crashed(UnexpectedError(f"transcribe {args.command}", error), error)


def _crashed(error: UnexpectedError, cause: BaseException | None) -> int:
    log = write_crash_log(error.stage, cause or error, __version__)
    where = f"the details are in {log}" if log else "no crash log could be written"
    print(f"error: {error}; {where} (please report it)", file=sys.stderr)
    return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
