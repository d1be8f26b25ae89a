"""Keep every dependency off the network unless the user explicitly asked for a download.

Interview recordings are sensitive health data. Hugging Face Hub, pyannote.audio and
Prefect all phone home by default (telemetry, update checks, implicit downloads); this
module switches that off. It must run before those libraries are imported because several
of them read their environment variables at import time.
"""

import os

# Variables that disable telemetry and analytics; always set.
_TELEMETRY_OFF = {
    "PYANNOTE_METRICS_ENABLED": "false",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "TOKENIZERS_PARALLELISM": "false",
}

# Variables that forbid hub downloads; lifted by `allow_downloads()`.
_HUB_OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def enforce_offline() -> None:
    """Switch telemetry off unconditionally; forbid hub downloads unless the user opted in."""
    for key, value in _TELEMETRY_OFF.items():
        os.environ[key] = value
    for key, value in _HUB_OFFLINE.items():
        os.environ.setdefault(key, value)


def allow_downloads() -> None:
    """Permit model downloads from the hub for this process (the user passed --allow-download).

    huggingface_hub reads HF_HUB_OFFLINE when it is imported, so its cached constant is
    updated too if it was imported already.
    """
    for key in _HUB_OFFLINE:
        os.environ[key] = "0"
    try:
        from huggingface_hub import constants
    except ImportError:
        return
    constants.HF_HUB_OFFLINE = False


def downloads_allowed() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "1") not in ("1", "true", "True")
