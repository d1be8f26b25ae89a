"""One run at a time per recording and output folder.

Two runs of the same recording into the same folder (a scheduled batch and a researcher
at the command line) would both transcribe it and race to write. The lock is an advisory
`flock` on a hidden file beside the transcript: the kernel releases it when its holder
exits, however it exits, so a killed run never leaves a stale lock. The file is removed
on release; a waiter that then holds a lock on a removed file tries again.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def lock_path(out_dir: Path, stem: str) -> Path:
    return out_dir / f".{stem}.lock"


@contextmanager
def recording_lock(path: Path, on_wait: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold the lock at `path`; if another run holds it, call `on_wait` once and wait."""
    waited = False
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not waited:
                on_wait()
                waited = True
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        if _same_file(descriptor, path):
            break
        os.close(descriptor)  # its holder removed it on release: lock the new one
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(descriptor)


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(descriptor).st_ino
    except FileNotFoundError:
        return False
