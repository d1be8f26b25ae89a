"""transcribe: recorded research interviews to verbatim, speaker-labelled transcripts."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("transcribe")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"
