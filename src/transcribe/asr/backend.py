"""The speech recogniser as the pipeline sees it: a `Protocol`, and the plain types it speaks.

The transcription stage (transcription.py) plans windows of audio, decides languages,
bounds the decoding work and applies the guards; a backend only encodes windows, detects
languages, decodes and aligns words. openai-whisper is one backend (whisper_backend.py);
a CTranslate2 or transformers backend would be another, and tests drive the stage with a
fake one in milliseconds.

Times a backend returns are seconds from the start of the window it was given.

Work is split so that the host's share can overlap the device's: `prepare` builds a batch's
input on the host (any thread, no model), and `align` launches the device's share of the
word alignment and returns the host's share (`Alignment.words`) to run while the device
decodes the next batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..transcript import ModelInfo, Word


@dataclass(frozen=True)
class Region:
    """A stretch of one encoded window (`row`), in seconds from the window's start."""

    row: int
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Hypothesis:
    """One decoding of a region: tokens are the backend's own, text is what they say."""

    tokens: list[int]
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    temperature: float = 0.0
    stopped: str | None = None  # decoding was cut short: "token-limit" or "loop"


class Prepared(Protocol):
    """A batch of windows made ready for the encoder, on the host."""

    def __len__(self) -> int: ...


class Encoded(Protocol):
    """Windows encoded once, reused by detection, every decoding and the alignment."""

    def __len__(self) -> int: ...


class Alignment(Protocol):
    """Word alignment whose device work is launched; `words` finishes it on the host."""

    def words(self) -> list[list[Word]]:
        """Word timings of each hypothesis aligned (safe to call from another thread)."""


class ASRBackend(Protocol):
    info: ModelInfo
    multilingual: bool
    # Whether host work can run beside the backend's device work (a GPU), rather than
    # compete with it for the same cores.
    concurrent: bool

    def prepare(self, clips: Sequence[np.ndarray]) -> Prepared:
        """Windows of at most 30 s of 16 kHz audio made ready for `encode`; host work only,
        safe to run on another thread."""

    def encode(self, prepared: Prepared) -> Encoded:
        """Encode a prepared batch of windows."""

    def detect_languages(self, encoded: Encoded, regions: Sequence[Region]) -> list[dict[str, float]]:
        """Each region's probability of every language the model knows (code -> p)."""

    def decode(
        self,
        encoded: Encoded,
        regions: Sequence[Region],
        languages: Sequence[str],
        max_tokens: Sequence[int],
        prompt: str | None = None,
        temperature: float = 0.0,
        best_of: int = 1,
        beam_size: int = 1,
        context: Sequence[str] | None = None,
    ) -> list[Hypothesis]:
        """Decode each region in its language, at most `max_tokens` tokens each: at
        temperature 0 greedily or by beam search, above it the best of `best_of` samples.
        The decoder is prompted with `prompt` (the study's terms), then with each region's
        `context` (the text said before it; its end, where it is long)."""

    def align(self, encoded: Encoded, rows: Sequence[int], hypotheses: Sequence[Hypothesis], languages: Sequence[str]) -> Alignment:
        """Word timings of each hypothesis of a whole window (`rows`)."""
