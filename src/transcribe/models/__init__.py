"""Models: where weights live, how they are imported, and how a name becomes weights.

    store           the local model store (TRANSCRIBE_HOME/models): imported weights by kind and name
    importer        `transcribe models import`: CTranslate2 / Hugging Face Whisper, pyannote, CAM++
    whisper_models  a Whisper name, path or hub name to loaded weights (`resolve_whisper`, `load_whisper`)
    loaded_models   the models a process has loaded, shared by every pipeline of it
    ner_models      the named-entity models pseudonymization may use, per language
    campplus        the CAM++ speaker-embedding network (speakerlab weights)
    pyannote_api    pyannote.audio's classes, imported without its import-time warnings

Nothing is downloaded unless a run allows it (`ModelStore(allow_download=True)`).
"""

from .loaded_models import LoadedModels
from .store import ModelStore, StoredModel, default_root

__all__ = ["LoadedModels", "ModelStore", "StoredModel", "default_root"]
