"""Errors a researcher can act on.

Every failure the pipeline anticipates is a `TranscribeError` with a one-line message
and its own exit code, so the CLI can print the message without a traceback and a batch
runner can tell a bad recording (skip it, go on) from a broken installation (stop).
"""


class TranscribeError(Exception):
    """Base class: `str(error)` is a complete sentence meant for the user."""

    exit_code = 1


class InputFileError(TranscribeError):
    """The recording itself is unusable; other recordings in a batch are unaffected."""

    exit_code = 3


class FileMissingError(InputFileError):
    exit_code = 3


class EmptyFileError(InputFileError):
    exit_code = 4


class NotAudioError(InputFileError):
    exit_code = 5


class NoAudioStreamError(InputFileError):
    exit_code = 6


class CorruptAudioError(InputFileError):
    exit_code = 7


class ModelError(TranscribeError):
    """A model is missing, unreadable or of the wrong kind: fix the installation."""

    exit_code = 10


class SettingsError(TranscribeError):
    """Options that contradict each other or name something unknown (a language, a device)."""

    exit_code = 2


class OutputError(TranscribeError):
    """The transcript could not be written (disk full, no permission)."""

    exit_code = 12
