"""What the Prefect flow costs over the library: the same N recordings transcribed three
ways with the same settings, wall-clock, on one machine.

    .venv/bin/python bench/orchestration.py                          # 4 interviews of ~90 s, base, CPU
    .venv/bin/python bench/orchestration.py --n 2 --seconds 40 --repeat 3 --json /tmp/flows.json

1. The recordings: N distinct synthetic two-party telephone interviews (tests/long_interview.py,
   seeds 0..N-1, 8 kHz mono, about `--seconds` each), cached in `--work` so reruns reuse them.
2. A warm-up process imports everything (torch, transcribe, Prefect, the flows) and reads
   the model weights once, so that the variant run first does not alone pay for a cold
   disk cache (timed apart; `--no-warmup` skips it).
3. Three variants, each into empty output folders, each in processes of its own (nothing
   loaded is shared between them):
   library  one process: one `Pipeline`, `transcribe_file` for each recording in turn;
   cli      N processes: `python -m transcribe run FILE -o OUT --model M --device D --quiet`,
            one after another, each paying interpreter start, imports and model loading;
   flow     one process: `transcribe_batch` (flows/interviews.py) on the folder, run
            in-process under `prefect.testing.utilities.prefect_test_harness()` (a temporary
            SQLite database and a Prefect server in a subprocess), with a fresh transcripts root.
   The parent times each process (`process_s`); inside, each child times its imports, the
   work (`work_s`: from making the pipeline, or calling the flow, to the last transcript
   written; models load inside it, once, in both the library and the flow) and, for the
   flow, starting and stopping the harness's server apart.
4. `--repeat R` runs the three R times, in rotated order (library, cli, flow; then cli,
   flow, library; ...), so the spread from noise is visible; summaries are medians.
5. The words: every variant's transcript of every recording (the JSON segments' text) is
   compared with the first library run's; any difference is reported.

Ratios (per repeat, and of the medians):
   cli / library             whole processes: N CLI runs against one library process;
   flow / library            work alone, the server already running (a deployed flow);
   flow overhead %           the same, as percent over the library loop (target: <= 5 %);
   ... with server start     plus starting and stopping the harness's server (a one-off run);
   ... whole process         process against process, minus the server's start and stop:
                             what a process worker (a new `python -m prefect.engine` for each
                             flow run) pays over a library process, imports of Prefect included;
   flow - library, outside   seconds of work outside the pipeline's own stage timings (which
                             hold the compute and the model loading): planning, hashing, writing,
                             Prefect's task and state bookkeeping; less swayed by a busy machine;
   flow / library, cpu       CPU seconds of the whole processes (the harness's server included).

Prints a summary; writes everything (machine, date, every run) to `--json`. Nothing here
is a test: timings vary by machine and by what else runs on it.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the project's flows/
VARIANTS = ("library", "cli", "flow")
TARGET_OVERHEAD_PCT = 5.0


# --- the recordings ----------------------------------------------------------------------


def recordings(work: Path, n: int, seconds: float) -> tuple[Path, list[dict]]:
    """The audio folder holding exactly the N interviews (copies of cached recordings)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from long_interview import build_interview

    cache = work / "recordings"
    cache.mkdir(parents=True, exist_ok=True)
    folder = work / "audio" / f"{seconds:g}s-n{n}"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        if stale.name not in {f"interview-{seed:02d}.wav" for seed in range(n)}:
            stale.unlink()
    found = []
    for seed in range(n):
        cached = cache / f"interview-{seconds:g}s-seed{seed}.wav"
        if not cached.exists():
            started = time.perf_counter()
            with tempfile.TemporaryDirectory(dir=work) as scratch:
                interview = build_interview(Path(scratch), seconds / 60, seed=seed)
                shutil.move(str(interview.mono), cached.with_suffix(".part"))
            cached.with_suffix(".part").rename(cached)
            log(f"synthesized {cached.name} in {time.perf_counter() - started:.1f} s")
        target = folder / f"interview-{seed:02d}.wav"
        if not target.exists() or target.stat().st_size != cached.stat().st_size:
            shutil.copyfile(cached, target)
        with wave.open(str(target)) as handle:
            duration = handle.getnframes() / handle.getframerate()
            rate = handle.getframerate()
        found.append({"file": target.name, "seconds": round(duration, 1), "sample_rate": rate})
    return folder, found


# --- the children: one process per library or flow run ----------------------------------


def child_library(args) -> dict:
    started = time.perf_counter()
    import torch

    from transcribe.batch import find_recordings
    from transcribe.models.loaded_models import LoadedModels
    from transcribe.models.store import ModelStore
    from transcribe.pipeline import Pipeline, transcribe_file
    from transcribe.settings import Settings

    imported = time.perf_counter()
    per_file = {}
    pipeline = Pipeline(Settings(model=args.model, device=args.device), ModelStore(), LoadedModels())
    for source in find_recordings(args.audio):
        at = time.perf_counter()
        outcome = transcribe_file(pipeline, source, args.out)
        if outcome.status != "transcribed":
            raise SystemExit(f"{source.name}: {outcome.status}, not transcribed: the output folder was not empty")
        per_file[source.name] = round(time.perf_counter() - at, 2)
    done = time.perf_counter()
    return {"import_s": imported - started, "work_s": done - imported, "per_file_s": per_file, "torch_threads": torch.get_num_threads()}


def child_flow(args) -> dict:
    started = time.perf_counter()
    os.environ["TRANSCRIBE_AUDIO_ROOT"] = str(args.audio)
    os.environ["TRANSCRIBE_TRANSCRIPTS_ROOT"] = str(args.out)
    import torch
    from prefect.testing.utilities import prefect_test_harness

    from flows.interviews import Options, transcribe_batch

    imported = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=180):
        server_up = time.perf_counter()
        state = transcribe_batch(folder=".", options=Options(model=args.model, device=args.device), return_state=True)
        done = time.perf_counter()
    stopped = time.perf_counter()
    if not state.is_completed():
        raise SystemExit(f"the flow run ended {state.type.value}: {state.message}")
    return {
        "import_s": imported - started,
        "server_start_s": server_up - imported,
        "work_s": done - server_up,
        "server_stop_s": stopped - done,
        "flow_state": f"{state.type.value}: {state.message}",
        "prefect_server": "prefect_test_harness (temporary SQLite database, Prefect server in a subprocess, flow in-process)",
        "torch_threads": torch.get_num_threads(),
    }


def child_warmup(args) -> dict:
    """Import what the variants import, and read the model store's files once."""
    started = time.perf_counter()
    import flows.interviews  # noqa: F401
    import transcribe.cli  # noqa: F401
    import transcribe.pipeline  # noqa: F401
    from transcribe.models.store import ModelStore

    imported = time.perf_counter()
    read = 0
    for path in ModelStore().root.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 24):
                    read += len(chunk)
    return {"import_s": imported - started, "read_mib": round(read / 2**20), "read_s": time.perf_counter() - imported}


CHILDREN = {"library": child_library, "flow": child_flow, "warmup": child_warmup}


# --- the parent ---------------------------------------------------------------------------


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def children_cpu_s() -> float:
    """CPU seconds (user + system) of the finished children of this process, and theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_child(kind: str, args, audio: Path, out: Path, logs: Path) -> dict:
    """Run this script as a child doing `kind`; its own timings, and the process's wall time."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_file = Path(handle.name)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--audio", str(audio), "--out", str(out),
               "--model", args.model, "--device", args.device, "--result", str(result_file)]
    started, cpu = time.perf_counter(), children_cpu_s()
    with logs.open("w") as output:
        finished = subprocess.run(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    wall, cpu = time.perf_counter() - started, children_cpu_s() - cpu
    try:
        if finished.returncode != 0:
            raise SystemExit(f"the {kind} run failed (exit {finished.returncode}); see {logs}")
        result = json.loads(result_file.read_text())
    finally:
        result_file.unlink(missing_ok=True)
    return {"process_s": wall, "cpu_s": cpu, **result}


def run_cli(args, audio: Path, out: Path, logs: Path) -> dict:
    """N separate `transcribe run` processes, one after another, into one output folder."""
    per_file, cpu = {}, children_cpu_s()
    with logs.open("w") as output:
        for source in sorted(audio.glob("*.wav")):
            command = [sys.executable, "-m", "transcribe", "run", str(source), "-o", str(out), "--model", args.model, "--device", args.device, "--quiet"]
            started = time.perf_counter()
            finished = subprocess.run(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
            per_file[source.name] = round(time.perf_counter() - started, 2)
            if finished.returncode != 0:
                raise SystemExit(f"transcribe run {source.name} failed (exit {finished.returncode}); see {logs}")
    total = sum(per_file.values())
    return {"process_s": total, "cpu_s": children_cpu_s() - cpu, "work_s": total, "per_file_s": per_file}


def read_outputs(out: Path) -> tuple[dict[str, list[str]], dict[str, dict[str, float]]]:
    """The words of every transcript in `out` (its JSON segments' text) and the pipeline's
    own stage timings (its provenance: model loading is inside them), by recording."""
    from transcribe.export.outputs import read_transcript

    words, stages = {}, {}
    for path in sorted(out.glob("*.json")):
        transcript = read_transcript(path)
        words[path.stem] = " ".join(s.text for s in transcript.segments).split()
        stages[path.stem] = transcript.provenance.timings
    return words, stages


def differences(reference: list[str], other: list[str], context: int = 3) -> dict:
    """How two word lists differ: counts and the first few differing stretches."""
    matcher = difflib.SequenceMatcher(a=reference, b=other, autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    shown = []
    for tag, i1, i2, j1, j2 in changes[:context]:
        shown.append(f"{tag} at word {i1}: {' '.join(reference[i1:i2]) or '-'!r} -> {' '.join(other[j1:j2]) or '-'!r}")
    return {
        "reference_words": len(reference),
        "words": len(other),
        "words_differing": sum(max(i2 - i1, j2 - j1) for _, i1, i2, j1, j2 in changes),
        "first_differences": shown,
    }


def compare_words(runs: list[dict], files: list[str]) -> dict:
    """Every run's words against the first library run's: {} for each file that matches."""
    reference_run = next(r for r in runs if r["variant"] == "library")
    reference = reference_run["words"]
    report = {"reference": f"library, repeat {reference_run['repeat']}", "all_identical": True, "differences": []}
    for run in runs:
        for name in (Path(f).stem for f in files):
            mine = run["words"].get(name)
            if mine is None:
                report["differences"].append({"variant": run["variant"], "repeat": run["repeat"], "file": name, "missing": True})
            elif mine != reference.get(name):
                report["differences"].append({"variant": run["variant"], "repeat": run["repeat"], "file": name, **differences(reference.get(name, []), mine)})
    report["all_identical"] = not report["differences"]
    return report


def machine(device: str) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass

    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    described = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1) if hasattr(os, "sysconf") else None,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "torch": installed("torch"),
        "prefect": installed("prefect"),
        "transcribe": installed("transcribe"),
        "device": device,
    }
    if device.startswith("cuda"):
        query = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True)
        described["gpu"] = query.stdout.strip() or None
    return described


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else float("nan")


def overhead_pct(a: float, b: float) -> float:
    return round(100 * (a / b - 1), 1) if b else float("nan")


def ratios(library: dict, cli: dict, flow: dict) -> dict:
    server = flow["server_start_s"] + flow["server_stop_s"]
    return {
        "cli_over_library": ratio(cli["process_s"], library["process_s"]),
        "flow_over_library": ratio(flow["work_s"], library["work_s"]),
        "flow_overhead_pct": overhead_pct(flow["work_s"], library["work_s"]),
        "flow_overhead_pct_with_server_start": overhead_pct(flow["work_s"] + server, library["work_s"]),
        "flow_overhead_pct_whole_process": overhead_pct(flow["process_s"] - server, library["process_s"]),
        "flow_minus_library_outside_stages_s": round(flow["outside_stages_s"] - library["outside_stages_s"], 2),
        "flow_over_library_cpu": ratio(flow["cpu_s"], library["cpu_s"]),
    }


FIELDS = ("process_s", "cpu_s", "import_s", "server_start_s", "work_s", "server_stop_s", "stages_s", "outside_stages_s")


def summarize(runs: list[dict], n: int) -> dict:
    by_variant = {}
    for variant in VARIANTS:
        mine = [r for r in runs if r["variant"] == variant]
        fields = {}
        for name in FIELDS:
            values = [r[name] for r in mine if name in r]
            if values:
                fields[name] = {"median": round(statistics.median(values), 2), "min": round(min(values), 2), "max": round(max(values), 2)}
        fields["work_s_per_file"] = round(fields["work_s"]["median"] / n, 2)
        fields["process_s_per_file"] = round(fields["process_s"]["median"] / n, 2)
        by_variant[variant] = fields
    median = {v: {k: f[k]["median"] for k in FIELDS if k in f} for v, f in by_variant.items()}
    return {"by_variant": by_variant, "ratios_of_medians": ratios(median["library"], median["cli"], median["flow"])}


def print_summary(report: dict) -> None:
    m, n = report["machine"], report["n"]
    print(f"machine: {m['cpu']}, {m['usable_cores']} cores, torch {m['torch']}, prefect {m['prefect']}, device {m['device']}; {report['date']}")
    audio = report["recordings"]
    lengths = ", ".join(f"{r['seconds']:.0f}" for r in audio)
    print(f"{n} recordings, {sum(r['seconds'] for r in audio):.0f} s of audio in all ({lengths} s); "
          f"model {report['settings']['model']}, device {report['settings']['device']}; {report['repeat']} repeat(s)")
    print(f"prefect: {report['prefect_server']}")
    if "warmup" in report:
        w = report["warmup"]
        print(f"warm-up (not timed below): imports {w['import_s']:.1f} s, {w['read_mib']} MiB of model files read in {w['read_s']:.1f} s")
    print()
    print(f"{'repeat':>6} {'variant':<8} {'process s':>10} {'cpu s':>7} {'imports s':>10} {'server s':>13} {'work s':>8} "
          f"{'work s/file':>12} {'in stages':>10} {'outside':>8} {'load avg':>8}")
    for run in report["runs"]:
        server = f"{run['server_start_s']:.1f} + {run['server_stop_s']:.1f}" if "server_start_s" in run else "-"
        imports = f"{run['import_s']:.1f}" if "import_s" in run else "-"
        print(f"{run['repeat']:>6} {run['variant']:<8} {run['process_s']:>10.1f} {run['cpu_s']:>7.1f} {imports:>10} {server:>13} "
              f"{run['work_s']:>8.1f} {run['work_s'] / n:>12.1f} {run['stages_s']:>10.1f} {run['outside_stages_s']:>8.1f} "
              f"{run['load_average_before']:>8.2f}")
    print("(cpu s: user + system of the process and its children; server s: the harness's server start + stop;\n"
          " in stages: the pipeline's own stage timings, model loading included; outside: work s minus those;\n"
          " cli: N whole processes, its work is their wall time)")
    print()
    print("ratios        " + "".join(f"{'repeat ' + str(r['repeat']):>10}" for r in report["ratios_by_repeat"]) + f"{'medians':>10}")
    labels = {
        "cli_over_library": "cli / library (processes)",
        "flow_over_library": "flow / library (work, server up)",
        "flow_overhead_pct": "flow overhead %, server up",
        "flow_overhead_pct_with_server_start": "flow overhead %, + server start/stop",
        "flow_overhead_pct_whole_process": "flow overhead %, whole process",
        "flow_minus_library_outside_stages_s": "flow - library, s outside stages",
        "flow_over_library_cpu": "flow / library, cpu s (processes)",
    }
    for key, label in labels.items():
        values = [r[key] for r in report["ratios_by_repeat"]] + [report["summary"]["ratios_of_medians"][key]]
        print(f"  {label:<38}" + "".join(f"{v:>10}" for v in values))
    overhead = report["summary"]["ratios_of_medians"]["flow_overhead_pct"]
    print(f"flow overhead with the server up: {overhead} % (target <= {TARGET_OVERHEAD_PCT:g} %: {'met' if overhead <= TARGET_OVERHEAD_PCT else 'NOT met'})")
    words = report["words"]
    if words["all_identical"]:
        print(f"words: identical in every variant and repeat for all {n} recordings (against {words['reference']})")
    else:
        print(f"words: {len(words['differences'])} transcript(s) differ from {words['reference']}:")
        for d in words["differences"]:
            detail = "missing" if d.get("missing") else f"{d['words_differing']} of {d['reference_words']} words differ; " + "; ".join(d["first_differences"])
            print(f"  {d['variant']}, repeat {d['repeat']}, {d['file']}: {detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=4, help="recordings (distinct interviews; default 4)")
    parser.add_argument("--seconds", type=float, default=90, help="about how long each recording is (default 90)")
    parser.add_argument("--model", default="base")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeat", type=int, default=1, help="run the three variants this many times, in rotated order (default 1)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "transcribe-bench-flows",
                        help="folder for the cached recordings, the outputs and the logs (reused by reruns)")
    parser.add_argument("--json", type=Path, help="write the full report here")
    parser.add_argument("--no-warmup", action="store_true", help="skip the warm-up process")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--audio", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        import transcribe  # noqa: F401 - telemetry off and the hub offline before anything else

        result = CHILDREN[args.child](args)
        args.result.write_text(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}))
        return
    if args.n < 1 or args.repeat < 1:
        parser.error("--n and --repeat must be at least 1")

    work = args.work.resolve()
    audio, found = recordings(work, args.n, args.seconds)
    files = [r["file"] for r in found]
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    report: dict = {
        "benchmark": "bench/orchestration.py",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(args.device),
        "settings": {"model": args.model, "device": args.device, "other": "defaults of Settings, `transcribe run` and Options alike"},
        "n": args.n,
        "repeat": args.repeat,
        "recordings": found,
        "prefect_server": "prefect_test_harness (temporary SQLite database, Prefect server in a subprocess, flow in-process)",
    }
    if not args.no_warmup:
        log("warm-up: imports and model files")
        warm = run_child("warmup", args, audio, work / "out" / "warmup", logs / "warmup.log")
        report["warmup"] = {k: round(v, 2) if isinstance(v, float) else v for k, v in warm.items()}

    runs: list[dict] = []
    for repeat in range(args.repeat):
        order = VARIANTS[repeat % 3:] + VARIANTS[: repeat % 3]
        for variant in order:
            out = work / "out" / f"r{repeat}-{variant}"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            load = os.getloadavg()[0]
            log(f"repeat {repeat}: {variant} ...")
            log_file = logs / f"r{repeat}-{variant}.log"
            result = run_cli(args, audio, out, log_file) if variant == "cli" else run_child(variant, args, audio, out, log_file)
            result = {k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}
            got, stages = read_outputs(out)
            in_stages = sum(sum(t.values()) for t in stages.values())
            log(f"repeat {repeat}: {variant}: {result['process_s']:.1f} s, {len(got)} transcripts")
            runs.append({
                "repeat": repeat, "variant": variant, "load_average_before": round(load, 2), **result,
                "stages_s": round(in_stages, 2), "outside_stages_s": round(result["work_s"] - in_stages, 2),
                "stages_by_file": stages, "words": got,
            })

    report["words"] = compare_words(runs, files)
    report["ratios_by_repeat"] = []
    for repeat in range(args.repeat):
        mine = {r["variant"]: r for r in runs if r["repeat"] == repeat}
        report["ratios_by_repeat"].append({"repeat": repeat, **ratios(mine["library"], mine["cli"], mine["flow"])})
    for run in runs:
        run["transcript_words"] = {name: len(words) for name, words in run.pop("words").items()}
    report["runs"] = runs
    report["summary"] = summarize(runs, args.n)
    print_summary(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
        log(f"report written to {args.json}")


if __name__ == "__main__":
    main()
