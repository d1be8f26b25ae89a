"""pyannote.audio's classes, imported without the warnings it prints at import time
(about optional backends this project does not use): one place for every module that
loads a pyannote model or pipeline."""

from __future__ import annotations

import warnings


def pyannote_classes() -> tuple[type, type, type, type]:
    """(Model, Pipeline, PLDA, SpeakerDiarization) from pyannote.audio (4.x)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyannote.audio import Model, Pipeline
        from pyannote.audio.core.plda import PLDA
        from pyannote.audio.pipelines import SpeakerDiarization
    return Model, Pipeline, PLDA, SpeakerDiarization
