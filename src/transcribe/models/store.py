"""A local, offline store of imported models: `<root>/<kind>/<name>/` with a `meta.json`.

Kinds: `whisper` (openai-whisper checkpoints), `segmentation` (pyannote segmentation
checkpoints) and `embedding` (CAM++ speaker-embedding weights). Imports are atomic: a
model appears under its name only once it is complete, so an interrupted import never
leaves a half-written model that later loads.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ModelError
from ..utils.files import file_sha256

KINDS = ("whisper", "segmentation", "embedding")

# The file each kind keeps its weights in.
WEIGHTS_FILE = {"whisper": "model.pt", "segmentation": "pytorch_model.bin", "embedding": "campplus.pt"}


def default_root() -> Path:
    if "TRANSCRIBE_HOME" in os.environ:
        return Path(os.environ["TRANSCRIBE_HOME"]) / "models"
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "transcribe" / "models"


@dataclass
class StoredModel:
    kind: str
    name: str
    path: Path  # the weights file
    meta: dict

    @property
    def sha256(self) -> str:
        return self.meta["sha256"]


class ModelStore:
    """Where models are, and whether this run may fetch missing ones.

    `allow_download` and `hf_token` are a run's choices, passed here rather than set in
    the environment, so they end with the run: a worker serving many runs keeps each
    one's choice apart."""

    def __init__(self, root: Path | None = None, allow_download: bool = False, hf_token: str | None = None):
        self.root = Path(root) if root else default_root()
        self.allow_download = allow_download
        self.hf_token = hf_token

    def get(self, kind: str, name: str) -> StoredModel | None:
        directory = self.root / kind / name
        meta_file = directory / "meta.json"
        if not meta_file.is_file():
            return None
        return StoredModel(kind, name, directory / WEIGHTS_FILE[kind], json.loads(meta_file.read_text()))

    def list(self, kind: str | None = None) -> list[StoredModel]:
        found = []
        for k in (kind,) if kind else KINDS:
            base = self.root / k
            if base.is_dir():
                found.extend(m for d in sorted(base.iterdir()) if (m := self.get(k, d.name)))
        return found

    def add(self, kind: str, name: str, write_weights, meta: dict, replace: bool = False) -> StoredModel:
        """Store a model: `write_weights(path)` writes the weights file into a staging folder."""
        if kind not in KINDS:
            raise ModelError(f"unknown model kind '{kind}' (expected one of {', '.join(KINDS)})")
        if not name or "/" in name or name.startswith("."):
            raise ModelError(f"'{name}' is not a valid model name")
        target = self.root / kind / name
        if target.exists() and not replace:
            raise ModelError(f"a {kind} model named '{name}' is already imported (use --replace)")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=target.parent))
        try:
            weights = staging / WEIGHTS_FILE[kind]
            write_weights(weights)
            meta = {
                **meta,
                "kind": kind,
                "name": name,
                "sha256": file_sha256(weights),
                "imported": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            (staging / "meta.json").write_text(json.dumps(meta, indent=2))
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return self.get(kind, name)
