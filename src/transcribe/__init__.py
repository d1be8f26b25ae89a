"""transcribe: recorded research interviews to verbatim, speaker-labelled transcripts."""

from importlib.metadata import PackageNotFoundError, version

from .utils.offline import enforce_offline

# Before any dependency is imported: telemetry off and the hub offline for every user of
# the package (the command line, the Prefect flows, a notebook), not only the CLI.
enforce_offline()

try:
    __version__ = version("transcribe")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"
