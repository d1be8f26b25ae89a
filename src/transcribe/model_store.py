"""The model store's old place (now `transcribe.models.store`), kept for the lab's GPU
staging script (../shared/gpu/stage.sh), which reads `default_root` from here."""

from .models.store import ModelStore, default_root

__all__ = ["ModelStore", "default_root"]
