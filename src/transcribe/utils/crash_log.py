"""Tracebacks of unexpected failures, kept for the person who debugs them, not shown to
the user: one owner-only file per crash in `$TRANSCRIBE_HOME/logs` (by default
`~/.local/state/transcribe/logs`). A traceback holds code, file paths of the installed
packages and the error's message; no transcript text passes through an exception."""

from __future__ import annotations

import os
import platform
import sys
import traceback
from datetime import datetime
from pathlib import Path


def logs_dir() -> Path:
    if "TRANSCRIBE_HOME" in os.environ:
        return Path(os.environ["TRANSCRIBE_HOME"]) / "logs"
    state_home = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state_home) / "transcribe" / "logs"


def write_crash_log(stage: str, error: BaseException, version: str) -> Path | None:
    """Write the crash's traceback, with transcribe's `version`; its path, or None where it
    could not be written."""
    folder = logs_dir()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"crash-{stamp}-{os.getpid()}.log"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as log:
            log.write(f"transcribe {version}, Python {platform.python_version()}, {platform.platform()}\n")
            log.write(f"stage: {stage}\ncommand: {' '.join(sys.argv[1:2])}\n\n")
            log.write("".join(traceback.format_exception(error)))
    except OSError:
        return None
    return path
