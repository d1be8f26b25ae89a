"""Models loaded once and shared: by every file of a batch, and by every `Pipeline` a
process makes (a flow run keeps one `LoadedModels` for all its recordings and tasks), so
a new file or new per-call settings never pay for loading the same weights again."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any


class LoadedModels:
    def __init__(self) -> None:
        self._models: dict[Hashable, Any] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The model under `key`, loaded with `load()` the first time. Two threads asking
        for the same model wait for one load; different models load side by side."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._models:
                self._models[key] = load()
            return self._models[key]
