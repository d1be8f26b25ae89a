"""Whisper fine-tunes published on the Hugging Face Hub, loaded by name.

`--model NbAiLab/nb-whisper-large` (or its short name `nb-whisper-large`) finds the model
in the Hugging Face cache, or downloads it when downloads are allowed, and converts it
once into the model store (models/importer.py), so later runs load it like any other
openai-whisper checkpoint. The National Library of Norway's NB-Whisper models are the
Norwegian ones: trained on Norwegian speech, they write Bokmål (`no`) or Nynorsk (`nn`).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ModelError
from ..utils.offline import hub_opened
from .store import ModelStore, StoredModel

NB_WHISPER_SIZES = ("tiny", "base", "small", "medium", "large")
# nb-whisper-large, ...; the -verbatim variants write lower case without punctuation and
# keep closer to what was said.
SHORT_NAMES = {
    f"nb-whisper-{size}{variant}": f"NbAiLab/nb-whisper-{size}{variant}"
    for size in NB_WHISPER_SIZES
    for variant in ("", "-verbatim")
}

# What the conversion reads; tokenizers and other formats (CTranslate2, ggml) are not needed.
_WANTED_FILES = ["config.json", "generation_config.json", "*.safetensors", "model.safetensors.index.json"]
_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


def hub_repo(spec: str) -> str | None:
    """The Hub repository `spec` names (`owner/name` or a short name), or None."""
    if spec in SHORT_NAMES:
        return SHORT_NAMES[spec]
    if _REPO_ID.match(spec) and not Path(spec).expanduser().exists():
        return spec
    return None


def store_name(repo: str) -> str:
    return repo.replace("/", "--")


def _snapshot(repo: str, store: ModelStore) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
    )

    try:
        with hub_opened(store.allow_download):
            folder = snapshot_download(repo, allow_patterns=_WANTED_FILES, local_files_only=not store.allow_download, token=store.hf_token)
        return Path(folder)
    except LocalEntryNotFoundError:
        raise ModelError(
            f"Whisper model '{repo}' is not in the Hugging Face cache and downloads are off: pass "
            "--allow-download once (with HF_TOKEN if the model is gated)"
        ) from None
    except RepositoryNotFoundError:
        raise ModelError(f"there is no model '{repo}' on the Hugging Face Hub (or HF_TOKEN may not see it)") from None
    except HfHubHTTPError as error:
        raise ModelError(f"could not download '{repo}' from the Hugging Face Hub: {error}") from None


def load_from_hub(store: ModelStore, repo: str) -> StoredModel:
    """The store's converted copy of `repo`, converting it from the Hub cache the first time."""
    stored = store.get("whisper", store_name(repo))
    if stored is not None:
        return stored
    from .importer import import_whisper

    return import_whisper(store, [_snapshot(repo, store)], store_name(repo))
