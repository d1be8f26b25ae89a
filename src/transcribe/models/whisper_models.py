"""Whisper models by name: from the local store, whisper's cache, a checkpoint path or the
Hugging Face Hub (_hub_whisper.py), and the device they run on."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
import whisper

from ..errors import ModelError, SettingsError
from ..transcript import ModelInfo
from ._hub_whisper import SHORT_NAMES, hub_repo, load_from_hub
from .store import ModelStore, StoredModel

# Tried in order when --model is "auto".
AUTO_MODELS = {"cuda": ("turbo", "large-v3", "base"), "cpu": ("base", "small", "tiny")}


def whisper_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "whisper"


def _official_cache_file(name: str) -> Path:
    return whisper_cache_dir() / os.path.basename(whisper._MODELS[name])


def installed_whisper_models(store: ModelStore) -> list[str]:
    """The Whisper models a run can use without a download: imported into `store`, then
    openai-whisper's own downloads in its cache, each name once."""
    imported = [m.name for m in store.list() if m.kind == "whisper"]
    cached = [name for name in whisper.available_models() if _official_cache_file(name).is_file()]
    return list(dict.fromkeys(imported + cached))


def _official_sha256(name: str) -> str:
    return whisper._MODELS[name].split("/")[-2]


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise SettingsError(f"unknown `device` '{device}' (expected auto, cpu or cuda)")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SettingsError("`device` cuda was asked for but no CUDA GPU is available")
    return device


def _available(spec: str, store: ModelStore) -> bool:
    if store.get("whisper", spec):
        return True
    return spec in whisper._MODELS and _official_cache_file(spec).is_file()


def _apply_alignment_heads(model: whisper.Whisper, heads: list[list[int]] | None) -> None:
    if not heads:
        return
    mask = torch.zeros(model.dims.n_text_layer, model.dims.n_text_head, dtype=torch.bool)
    for layer, head in heads:
        mask[layer, head] = True
    model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)


@dataclass
class WhisperSource:
    """Weights a model name resolved to, not yet loaded."""

    info: ModelInfo
    stored: StoredModel | None = None
    path: Path | None = None  # a checkpoint file, or None for whisper's own cache

    def load(self, device: str) -> whisper.Whisper:
        if self.stored is not None:
            return _load_stored(self.stored, device)
        if self.path is not None:
            return whisper.load_model(str(self.path), device=device)
        return whisper.load_model(self.info.name, device=device, download_root=str(whisper_cache_dir()))


def resolve_whisper(spec: str, device: str, store: ModelStore | None = None) -> WhisperSource:
    """The weights `spec` names (store name, official name in whisper's cache, checkpoint
    path or Hub name), found without loading them: checked before any work is done, so a
    wrong --model fails in a second, not after diarization."""
    store = store or ModelStore()
    if spec == "auto":
        base = "cuda" if device.startswith("cuda") else "cpu"
        candidates = AUTO_MODELS[base]
        found = next((c for c in candidates if _available(c, store)), None)
        if found is None:
            raise ModelError(
                f"no Whisper model is installed (looked for {', '.join(candidates)}): run ./setup.sh, "
                "import one with `transcribe models import`, or pass --model NAME --allow-download"
            )
        spec = found

    stored = store.get("whisper", spec)
    path = Path(spec).expanduser()
    if stored is not None:
        return WhisperSource(ModelInfo("asr", spec, "store", stored.sha256), stored=stored)
    if path.is_file():
        from ..utils.files import file_sha256

        return WhisperSource(ModelInfo("asr", path.name, "path", file_sha256(path)), path=path)
    if spec in whisper._MODELS:
        if not _official_cache_file(spec).is_file() and not store.allow_download:
            raise ModelError(
                f"Whisper model '{spec}' is not downloaded and downloads are off: pass --allow-download "
                "once, or import a local copy with `transcribe models import`"
            )
        return WhisperSource(ModelInfo("asr", spec, "whisper-cache", _official_sha256(spec)))
    repo = hub_repo(spec)
    if repo is not None:
        stored = load_from_hub(store, repo)
        return WhisperSource(ModelInfo("asr", repo, "hf-cache", stored.sha256), stored=stored)
    known = sorted({m.name for m in store.list("whisper")} | set(whisper.available_models()) | set(SHORT_NAMES))
    raise ModelError(f"unknown Whisper model '{spec}' (known: {', '.join(known)}, or a Hugging Face name owner/model)")


def load_whisper(spec: str, device: str, store: ModelStore | None = None) -> tuple[whisper.Whisper, ModelInfo]:
    """Load a Whisper model by store name, official name (cache), checkpoint path or Hub name."""
    source = resolve_whisper(spec, device, store)
    return source.load(device), source.info


def _load_stored(stored: StoredModel, device: str) -> whisper.Whisper:
    model = whisper.load_model(str(stored.path), device=device)
    _apply_alignment_heads(model, stored.meta.get("alignment_heads"))
    return model
