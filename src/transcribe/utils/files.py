"""Files as every stage writes them: atomically, owner-only, fsynced; and their SHA-256.

A file is written to a temporary file beside it and renamed over it, so a reader sees the
old content or the new, never part of either; it is owner-only (0600) from its creation,
which the raw transcripts, the pseudonym key and the voiceprints rely on.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

from ..errors import OutputError

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "part of the path is a file, not a folder",
    errno.EEXIST: "it is a file, not a folder",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ENOENT: "its folder cannot be created there",
}


def reason(error: OSError) -> str:
    return _REASONS.get(error.errno, error.strerror or type(error).__name__)


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file's bytes, as 64 hex digits (read 1 MiB at a time)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def encoded(content: str | bytes) -> bytes:
    return content if isinstance(content, bytes) else content.encode("utf-8")


def atomic_write(path: Path, content: str | bytes) -> None:
    """Write one file: a temporary file beside `path`, fsynced, renamed over it. Like
    every file written here it is owner-only (0600) from its creation: the pseudonym
    key and the raw transcripts rely on that."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary_beside(path, content), path)
    except OSError as error:
        raise OutputError(f"could not write {path.name}: {reason(error)}") from None


def temporary_beside(path: Path, content: str | bytes) -> Path:
    """`content` (UTF-8 where it is text) in a new fsynced temporary file beside `path`
    (removed if it fails)."""
    handle = tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{path.name}.", delete=False)
    try:
        with handle:
            handle.write(encoded(content))
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return Path(handle.name)
