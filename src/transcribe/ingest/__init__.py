"""Ingest: any recording ffmpeg reads, as mono or per-channel float samples, checked.

    audio            decode (ffmpeg) and check; damaged MP3s restored with their gaps
    speech_activity  frame energies, noise floor, silences, cross-talk (signal level, no model)

Sources are read, never modified.
"""

from .audio import SAMPLE_RATE, Audio, check_source, load_audio
from .speech_activity import is_silent, silences

__all__ = ["SAMPLE_RATE", "Audio", "check_source", "load_audio", "is_silent", "silences"]
