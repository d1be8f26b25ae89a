"""ASR: the words, verbatim, from Whisper, window by window, with every stretch of speech
accounted for.

    backend          the `ASRBackend` protocol every engine meets (prepare, encode, decode, align)
    whisper_backend  openai-whisper behind that protocol (batched encoder, beam search, alignment)
    static_decoder   a fixed-shape decoding step (a CUDA graph on a GPU)
    windows          30 s windows cut at the deepest pauses
    transcription    the stage: languages, fallback, loops, fillers, no speech lost (`Transcriber`)
    attribution      words to speakers and segments
    languages        which language a turn is in, among those the study allows
    coverage         speech no word reaches, so that it is decoded again or marked

Private: `_beam_search`, `_filler_pass` (fillers Whisper leaves out), `_guards` (hallucination guards).
"""

from .backend import ASRBackend
from .languages import normalize_language

__all__ = ["ASRBackend", "normalize_language"]
