"""`python killed_run.py STAGE ARGS...`: `transcribe ARGS...` that kills itself with
SIGKILL (no cleanup of any kind can run) as it reaches STAGE: `diarization` and
`transcription` at their first progress report, `writing` between renaming the text
file and the JSON into place."""

import os
import signal
import sys

import transcribe.cli
import transcribe.export.outputs


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


stage, args = sys.argv[1], sys.argv[2:]
if stage == "writing":
    rename = os.replace
    done = []

    def replace(temporary, path):
        if done:
            die()
        rename(temporary, path)
        done.append(path)

    transcribe.export.outputs.os.replace = replace
else:
    report = transcribe.cli._ProgressBars.__call__

    def progress(self, reached: str, fraction: float) -> None:
        if reached == stage:
            die()
        report(self, reached, fraction)

    transcribe.cli._ProgressBars.__call__ = progress
sys.exit(transcribe.cli.main(args))
