"""A trained speech detector (pyannote segmentation-3.0) to confirm energy-based activity.

Energy tells a loud channel from a quiet one, which is what separates the parties of a
stereo call, but music on hold, tones and noise are loud too. Where diarization rests on
energy (channel split, `--diarization none`), speech must also be what this model hears.
"""

from __future__ import annotations

import numpy as np
import torch

from ..ingest.speech_activity import FRAME_S, HOP_S
from ..models.store import ModelStore
from ..transcript import ModelInfo

SEGMENTATION_NAME = "segmentation-3.0"


class SpeechDetector:
    def __init__(self, store: ModelStore | None = None, device: str = "cpu"):
        from ..models.pyannote_api import pyannote_classes

        stored = (store or ModelStore()).get("segmentation", SEGMENTATION_NAME)
        self.available = stored is not None
        if not self.available:
            return
        self.model = ModelInfo("speech-detection", SEGMENTATION_NAME, "store", stored.sha256)
        Model = pyannote_classes()[0]
        from pyannote.audio.pipelines import VoiceActivityDetection

        self.pipeline = VoiceActivityDetection(segmentation=Model.from_pretrained(str(stored.path)))
        self.pipeline.instantiate({"min_duration_on": 0.0, "min_duration_off": 0.0})
        self.pipeline.to(torch.device(device))

    def frame_mask(self, signal: np.ndarray, sample_rate: int, num_frames: int) -> np.ndarray:
        """Boolean speech mask on the frame grid of `speech_activity` (HOP_S steps)."""
        waveform = torch.from_numpy(np.ascontiguousarray(signal, dtype=np.float32))[None, :]
        with torch.inference_mode():
            speech = self.pipeline({"waveform": waveform, "sample_rate": sample_rate})
        centres = np.arange(num_frames) * HOP_S + FRAME_S / 2
        mask = np.zeros(num_frames, dtype=bool)
        for region in speech.get_timeline().support():
            mask[(centres >= region.start) & (centres < region.end)] = True
        return mask
