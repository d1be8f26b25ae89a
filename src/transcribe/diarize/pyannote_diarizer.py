"""Adapter around pyannote.audio's speaker-diarization pipeline.

Pipelines load the normal pyannote way: a Hugging Face name (from the local cache, or
downloaded with the run's Hugging Face token when it allows downloads) or a local directory holding a
pipeline `config.yaml`. Without either, the default is pyannote's own `SpeakerDiarization`
pipeline assembled from weights in the local model store: the segmentation-3.0
checkpoint and CAM++ speaker embeddings (see campplus.py), clustered agglomeratively.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..errors import ModelError
from ..models.pyannote_api import pyannote_classes
from ..models.store import ModelStore
from ..transcript import ModelInfo, Speaker
from ..utils.offline import hub_opened
from .diarization import Diarization, SpeakerCount, Turn

RECOMMENDED_PIPELINE = "pyannote/speaker-diarization-community-1"
OFFLINE_PIPELINE = "offline"  # the pipeline assembled from the local model store
OFFLINE_SEGMENTATION = "segmentation-3.0"
OFFLINE_EMBEDDING = "campplus"

# Hyper-parameters of the offline pipeline (cosine distance between CAM++ embeddings).
OFFLINE_PARAMETERS = {
    "segmentation": {"min_duration_off": 0.0},
    "clustering": {"method": "centroid", "min_cluster_size": 12, "threshold": 0.7},
}


# The number of speakers found is worth checking when two voices are this much (a share of
# the clustering threshold) further apart than the distance that would merge them, when
# the segmentation model heard two voices (each over LOCAL_SPEAKER_SHARE of a chunk) in
# this share of its chunks yet one speaker was found, or when a speaker holds this little
# of the speech. On the tuning half of bench/corpus.py (BENCHMARKS.md) the two-speaker
# recordings' voices are 0.85-0.96 apart (threshold 0.7), and the one-speaker ones have two
# voices in no chunk.
COUNT_MARGIN = 0.15
LOCAL_SPEAKER_SHARE = 0.1
TWO_VOICES_SHARE = 0.2
SMALL_SPEAKER_SHARE = 0.03


def _hf_cached(repo_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(repo_id, "config.yaml"), str)


def _offline_pipeline_class():
    SpeakerDiarization = pyannote_classes()[3]

    class SharedFramesDiarization(SpeakerDiarization):
        """pyannote's pipeline, its chunk embeddings pooled from CAM++ frame features
        computed once per stretch of the recording (campplus.py) instead of once per chunk."""

        def get_embeddings(self, file, binary_segmentations, exclude_overlap=False, hook=None):
            model = self._embedding.model_
            window = binary_segmentations.sliding_window
            masks = np.nan_to_num(binary_segmentations.data, nan=0.0)
            if exclude_overlap:  # pyannote's rule: frames of overlapping speech left out where enough remain
                clean = masks * (masks.sum(axis=2, keepdims=True) < 2)
                minimum = math.ceil(masks.shape[1] * self._embedding.min_num_samples / (window.duration * self._embedding.sample_rate))
                masks = np.where(clean.sum(axis=1, keepdims=True) > minimum, clean, masks)
            waveform = file["waveform"].to(model.device)
            with torch.inference_mode():
                frames, chunk_frames = model.frame_features(waveform, window.duration)
                starts = np.array([window[c].start for c in range(masks.shape[0])])
                embeddings = model.embed_chunks(frames, starts, chunk_frames, masks)
            if hook is not None:
                hook("embeddings", None, total=1, completed=1)
            return embeddings

    return SharedFramesDiarization


def _build_offline_pipeline(store: ModelStore):
    Model, _, PLDA, _ = pyannote_classes()
    from ..models.campplus import CAMPPlusEmbedding

    segmentation = store.get("segmentation", OFFLINE_SEGMENTATION)
    embedding = store.get("embedding", OFFLINE_EMBEDDING)
    if segmentation is None or embedding is None:
        raise ModelError(
            "no diarization model is installed: run ./setup.sh (imports the offline models), "
            f"or pass --allow-download with HF_TOKEN set to fetch {RECOMMENDED_PIPELINE}"
        )

    class UnusedPLDA(PLDA):
        """pyannote's constructor loads a PLDA even for clustering that never uses one."""

        def __init__(self):  # noqa: D107 - nothing to load
            pass

        def __call__(self, embeddings: np.ndarray):
            raise RuntimeError("PLDA is not used by agglomerative clustering")

    pipeline = _offline_pipeline_class()(
        segmentation=Model.from_pretrained(str(segmentation.path)),
        embedding=CAMPPlusEmbedding.from_weights(embedding.path),
        plda=UnusedPLDA(),
        clustering="AgglomerativeClustering",
        embedding_exclude_overlap=True,
        segmentation_batch_size=16,
        embedding_batch_size=24,  # a multiple of the 3 local speakers per chunk (see campplus.py)
    )
    pipeline.instantiate(OFFLINE_PARAMETERS)
    models = [
        ModelInfo("segmentation", OFFLINE_SEGMENTATION, "store", segmentation.sha256),
        ModelInfo("embedding", OFFLINE_EMBEDDING, "store", embedding.sha256),
    ]
    return pipeline, models


def _load_named_pipeline(spec: str, store: ModelStore):
    _, Pipeline, _, _ = pyannote_classes()
    local = Path(spec).expanduser()
    if local.exists():
        source = str(local)
    elif not store.allow_download and not _hf_cached(spec):
        raise ModelError(
            f"diarization pipeline '{spec}' is not in the local cache and downloads are off: "
            "pass --allow-download (with HF_TOKEN set) once to fetch it"
        )
    else:
        source = spec
    try:
        with hub_opened(store.allow_download):
            pipeline = Pipeline.from_pretrained(source, token=store.hf_token)
    except Exception as error:  # pyannote raises many kinds; all mean "could not load"
        raise ModelError(f"could not load diarization pipeline '{spec}': {error}") from None
    if pipeline is None:
        raise ModelError(f"could not load diarization pipeline '{spec}' (is HF_TOKEN set and the licence accepted?)")
    return pipeline, [ModelInfo("diarization", spec, "path" if local.exists() else "hf-cache")]


class PyannoteDiarizer:
    """Load once, diarize many recordings."""

    def __init__(self, spec: str = "auto", device: str = "cpu", store: ModelStore | None = None):
        store = store or ModelStore()
        if spec == "auto":
            spec = RECOMMENDED_PIPELINE if _hf_cached(RECOMMENDED_PIPELINE) else OFFLINE_PIPELINE
        if spec == OFFLINE_PIPELINE:
            self.pipeline, self.models = _build_offline_pipeline(store)
        else:
            self.pipeline, self.models = _load_named_pipeline(spec, store)
        self.spec = spec
        self.pipeline.to(torch.device(device))

    def __call__(
        self,
        mono: np.ndarray,
        sample_rate: int,
        count: SpeakerCount,
        progress: Callable[[float], None] | None = None,
    ) -> Diarization:
        segmentation = []

        def hook(step_name, step_artifact, file=None, total=None, completed=None):
            if step_name == "segmentation" and step_artifact is not None:
                segmentation.append(step_artifact.data)
            if progress and total:
                progress(completed / total)

        waveform = torch.from_numpy(np.ascontiguousarray(mono, dtype=np.float32))[None, :]
        with torch.inference_mode(), warnings.catch_warnings():
            # pyannote probes the embedding model with too-short inputs on purpose
            warnings.filterwarnings("ignore", message=r"std\(\): degrees of freedom")
            output = self.pipeline(
                {"waveform": waveform, "sample_rate": sample_rate},
                num_speakers=count.exact,
                min_speakers=count.minimum,
                max_speakers=count.maximum,
                hook=hook,
            )
        # pyannote 4 returns both; pipelines in legacy mode return the annotation alone.
        full = getattr(output, "speaker_diarization", output)
        exclusive = getattr(output, "exclusive_speaker_diarization", output)
        rename = {label: f"SPEAKER_{i:02d}" for i, label in enumerate(sorted(full.labels()))}

        def as_turns(annotation) -> list[Turn]:
            turns = [Turn(s.start, s.end, rename[label]) for s, _, label in annotation.itertracks(yield_label=True)]
            return sorted(turns, key=lambda t: (t.start, t.end))

        regions = as_turns(full)
        doubt = None
        if count.exact is None:
            threshold = getattr(getattr(self.pipeline, "clustering", None), "threshold", None)
            centroids = getattr(output, "speaker_embeddings", None)
            doubt = count_doubt(regions, centroids, threshold if isinstance(threshold, float) else None, segmentation[0] if segmentation else None)
        return Diarization(
            turns=as_turns(exclusive),
            regions=regions,
            speakers=[Speaker(id=s, label=s) for s in rename.values()],
            method="pyannote",
            models=list(self.models),
            count_doubt=doubt,
        )


def count_doubt(regions: list[Turn], centroids: np.ndarray | None, threshold: float | None, segmentation: np.ndarray | None) -> str | None:
    """Why the number of speakers found may be wrong, or None.

    * Two speakers sound alike: the distance between their voices (unit-normalised
      centroid embeddings, the distance the clustering merges by) is within
      COUNT_MARGIN of the threshold under which it would have made them one.
    * One speaker found, but the segmentation model heard two voices at once or in turn
      within many of its 10-second chunks (`segmentation`: chunks, frames, local
      speakers, activations from 0 to 1).
    * A speaker holds under SMALL_SPEAKER_SHARE of the speech: a brief third voice, or a
      piece of another speaker split off."""
    speech: dict[str, float] = {}
    for turn in regions:
        speech[turn.speaker] = speech.get(turn.speaker, 0.0) + turn.end - turn.start
    total = sum(speech.values())
    if not total:
        return None
    if centroids is not None and threshold is not None and len(centroids) >= 2 and len(centroids) == len(speech):
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        if not np.all(np.isfinite(norms) & (norms > 0)):
            return "a speaker's voice could not be measured (too little speech of theirs)"
        unit = centroids / norms
        distances = np.linalg.norm(unit[:, None] - unit[None], axis=-1)[np.triu_indices(len(unit), 1)]
        if distances.min() < threshold * (1 + COUNT_MARGIN):
            return f"two of the speakers sound alike (voice distance {distances.min():.2f}; under {threshold:.2f} they would be one)"
    if len(speech) == 1 and segmentation is not None and segmentation.size:
        active = (segmentation > 0.5).mean(axis=1) >= LOCAL_SPEAKER_SHARE  # (chunks, local speakers)
        spoken = active.any(axis=1)
        two = (active.sum(axis=1) >= 2)[spoken].mean() if spoken.any() else 0.0
        if two >= TWO_VOICES_SHARE:
            return f"one speaker found, but two voices were heard within {two:.0%} of the 10-second stretches"
    smallest = min(speech, key=speech.get)
    if len(speech) >= 2 and speech[smallest] / total < SMALL_SPEAKER_SHARE:
        return f"{smallest} holds {speech[smallest] / total:.0%} of the speech: a brief other voice, or part of another speaker"
    return None
