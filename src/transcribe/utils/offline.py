"""Keep every dependency off the network unless a run explicitly allows a download.

Interview recordings are sensitive health data. Hugging Face Hub, pyannote.audio and
Prefect all phone home by default (telemetry, update checks, implicit downloads); the
package switches that off when it is imported (`transcribe/__init__.py`), before any of
those libraries is, because several read their environment variables at import time.

A download is a choice of one run, not of the process: the loaders that may fetch a
model open the hub for their own call only (`hub_opened`), when the `ModelStore` they
were given allows downloads, so a flow run that allowed one does not leave the hub open
for the next run in the same worker.
"""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Variables that disable telemetry and analytics; always set.
TELEMETRY_OFF = {
    "PYANNOTE_METRICS_ENABLED": "false",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "TOKENIZERS_PARALLELISM": "false",
}

# Variables that keep the hub libraries offline; `hub_opened` lifts them for one call.
_HUB_OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

_hub_lock = threading.Lock()


def enforce_offline() -> None:
    """Switch telemetry off and keep the hub offline (unless the environment says otherwise)."""
    for key, value in TELEMETRY_OFF.items():
        os.environ[key] = value
    for key, value in _HUB_OFFLINE.items():
        os.environ.setdefault(key, value)


@contextmanager
def hub_opened(allowed: bool) -> Iterator[None]:
    """Let huggingface_hub reach the hub inside this block when `allowed`; it reads its
    offline switch on every request, so the switch is set back when the block ends."""
    if not allowed:
        yield
        return
    from huggingface_hub import constants

    with _hub_lock:
        before = constants.HF_HUB_OFFLINE
        constants.HF_HUB_OFFLINE = False
        try:
            yield
        finally:
            constants.HF_HUB_OFFLINE = before
