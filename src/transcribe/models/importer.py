"""`transcribe models import`: bring local weights into the model store, validated."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from ..errors import ModelError
from .store import ModelStore, StoredModel


def _single_file(sources: list[Path], patterns: tuple[str, ...], what: str) -> Path:
    found = []
    for source in sources:
        if source.is_file():
            found.append(source)
        elif source.is_dir():
            for pattern in patterns:
                found.extend(sorted(source.rglob(pattern)))
    if len(found) != 1:
        listed = ", ".join(p.name for p in found) or "nothing"
        raise ModelError(f"expected exactly one {what} file in {', '.join(map(str, sources))}, found {listed}")
    return found[0]


def import_whisper(store: ModelStore, sources: list[Path], name: str, replace: bool = False) -> StoredModel:
    from ._whisper_import import convert

    converted = convert(sources)
    meta = {
        "format": converted.source_format,
        "dims": converted.dims,
        "alignment_heads": converted.alignment_heads,
        "sources": [s.name for s in sources],
    }
    return store.add("whisper", name, lambda path: torch.save(converted.checkpoint(), path), meta, replace)


def import_segmentation(store: ModelStore, sources: list[Path], name: str, replace: bool = False) -> StoredModel:
    from .pyannote_api import pyannote_classes

    path = _single_file(sources, ("pytorch_model.bin", "*.ckpt"), "pyannote segmentation checkpoint")
    Model = pyannote_classes()[0]
    try:
        model = Model.from_pretrained(str(path))
    except Exception as error:
        raise ModelError(f"{path} is not a pyannote segmentation checkpoint: {error}") from None
    meta = {"format": "pyannote", "architecture": type(model).__name__, "sources": [path.name]}
    return store.add("segmentation", name, lambda target: shutil.copyfile(path, target), meta, replace)


def import_embedding(store: ModelStore, sources: list[Path], name: str, replace: bool = False) -> StoredModel:
    from .campplus import CAMPPlusEmbedding

    path = _single_file(sources, ("campplus*.pt",), "CAM++ weights")
    model = CAMPPlusEmbedding.from_weights(path)
    meta = {"format": "campplus", "dimension": model.dimension, "sources": [path.name]}
    return store.add("embedding", name, lambda target: shutil.copyfile(path, target), meta, replace)


IMPORTERS = {"whisper": import_whisper, "segmentation": import_segmentation, "embedding": import_embedding}
