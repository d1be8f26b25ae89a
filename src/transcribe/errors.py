"""Errors a researcher can act on.

Every failure the pipeline anticipates is a `TranscribeError` with a one-line message
and its own exit code, so the CLI can print the message without a traceback and a batch
runner can tell a bad recording (skip it, go on) from a broken installation (stop).
"""

import re


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


class SourceChangedError(InputFileError):
    """The recording changed while it was read (still being copied or recorded)."""

    exit_code = 8


class ModelError(TranscribeError):
    """A model is missing, unreadable or of the wrong kind: fix the installation."""

    exit_code = 10


class SettingsError(TranscribeError):
    """Options that contradict each other or name something unknown (a language, a device).

    Messages name a setting as its `Settings` field in backticks (`min_speakers`); the
    command line shows its own flag there instead (`for_command_line`)."""

    exit_code = 2

    def for_command_line(self) -> str:
        return for_command_line(str(self))


class StudySettingsError(SettingsError):
    """A study's settings file that cannot be used: its messages name the file's own
    settings (`model`), which stay so on the command line."""

    def for_command_line(self) -> str:
        return str(self)


class OutputError(TranscribeError):
    """The transcript could not be written (disk full, no permission, not a folder)."""

    exit_code = 12


class TranscriptFileError(TranscribeError):
    """A transcript already in the output folder cannot be read: it is never treated as
    absent (that would replace it unseen)."""

    exit_code = 13


class NameClashError(TranscribeError):
    """The output folder holds the transcript of a different recording of the same name."""

    exit_code = 14


class StudyKeyError(TranscribeError):
    """The study key (study.yaml) cannot be read or says something it cannot mean."""

    exit_code = 15


class ReviewFileError(TranscribeError):
    """A review file cannot be read, or no longer fits the transcript it reviews."""

    exit_code = 16


class CorrectionsFileError(TranscribeError):
    """A corrections file cannot be read, or does not fit the transcript it corrects."""

    exit_code = 17


class GuideFileError(TranscribeError):
    """An interview guide cannot be read, or holds no questions."""

    exit_code = 18


class UnexpectedError(TranscribeError):
    """A failure the pipeline did not anticipate (a bug, a driver error): the message names
    the stage, the traceback goes to a log file."""

    exit_code = 70  # EX_SOFTWARE

    def __init__(self, stage: str, error: BaseException):
        super().__init__(f"unexpected {type(error).__name__} during {stage}")
        self.stage = stage


def for_command_line(text: str) -> str:
    """A message that names settings as `name` (the `Settings` field, the flow's
    parameter), with the command line's flags there instead (--name)."""
    return re.sub(r"`(\w+)`", lambda m: "--" + m.group(1).replace("_", "-"), text)
