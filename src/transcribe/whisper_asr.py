"""Adapter around openai-whisper: model loading, language detection, batched decoding.

Decoding is batched: speaker-homogeneous chunks (each at most 30 s) are encoded and
greedily decoded together, which is where the GPU (and, less so, the CPU) earns its keep.
Whisper's beam search is broken for batches larger than one, so the first pass is greedy;
chunks whose output looks degenerate (too repetitive or too unlikely) are decoded again,
as a smaller batch, at rising temperatures. The encoder runs once per chunk: its output
serves decoding, every fallback and the word alignment.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import whisper
from whisper.model import disable_sdpa
from whisper.timing import WordTiming, dtw, median_filter, merge_punctuations
from whisper.tokenizer import Tokenizer, get_tokenizer

from .errors import ModelError, SettingsError
from .guards import LOGPROB_THRESHOLD, is_no_speech, is_unreliable, loop_cut
from .languages import fold_probabilities
from .hub_whisper import SHORT_NAMES, hub_repo, load_from_hub
from .model_store import ModelStore, StoredModel
from .offline import downloads_allowed
from .transcript import ModelInfo

# openai-whisper's own threshold: a result this repetitive is decoded again, hotter.
COMPRESSION_RATIO_THRESHOLD = 2.4
FALLBACK_TEMPERATURES = (0.2, 0.4, 0.6, 0.8, 1.0)
FALLBACK_BEST_OF = 5
FALLBACK_SEED = 0

# Tried in order when --model is "auto".
AUTO_MODELS = {"cuda": ("turbo", "large-v3", "base"), "cpu": ("base", "small", "tiny")}

TOKENS_PER_SECOND = whisper.audio.SAMPLE_RATE / whisper.audio.HOP_LENGTH / 2  # 50


def whisper_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "whisper"


def _official_cache_file(name: str) -> Path:
    return whisper_cache_dir() / os.path.basename(whisper._MODELS[name])


def _official_sha256(name: str) -> str:
    return whisper._MODELS[name].split("/")[-2]


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise SettingsError(f"unknown device '{device}' (expected auto, cpu or cuda)")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SettingsError("--device cuda was asked for but no CUDA GPU is available")
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


def load_whisper(spec: str, device: str, store: ModelStore | None = None) -> tuple[whisper.Whisper, ModelInfo]:
    """Load a Whisper model by store name, official name (cache) or checkpoint path."""
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
        return _load_stored(stored, device), ModelInfo("asr", spec, "store", stored.sha256)
    if path.is_file():
        from .audio import file_sha256

        return whisper.load_model(str(path), device=device), ModelInfo("asr", path.name, "path", file_sha256(path))
    if spec in whisper._MODELS:
        if not _official_cache_file(spec).is_file() and not downloads_allowed():
            raise ModelError(
                f"Whisper model '{spec}' is not downloaded and downloads are off: pass --allow-download "
                "once, or import a local copy with `transcribe models import`"
            )
        model = whisper.load_model(spec, device=device, download_root=str(whisper_cache_dir()))
        return model, ModelInfo("asr", spec, "whisper-cache", _official_sha256(spec))
    repo = hub_repo(spec)
    if repo is not None:
        stored = load_from_hub(store, repo)
        return _load_stored(stored, device), ModelInfo("asr", repo, "hf-cache", stored.sha256)
    known = sorted({m.name for m in store.list("whisper")} | set(whisper.available_models()) | set(SHORT_NAMES))
    raise ModelError(f"unknown Whisper model '{spec}' (known: {', '.join(known)}, or a Hugging Face name owner/model)")


def _load_stored(stored: StoredModel, device: str) -> whisper.Whisper:
    model = whisper.load_model(str(stored.path), device=device)
    _apply_alignment_heads(model, stored.meta.get("alignment_heads"))
    return model


@dataclass
class ChunkResult:
    text: str
    tokens: list[int]
    words: list[WordTiming] = field(default_factory=list)
    avg_logprob: float = float("nan")
    no_speech_prob: float = float("nan")
    compression_ratio: float = float("nan")
    temperature: float = 0.0
    guard: str | None = None  # the hallucination guard that removed or cut text, if any


class WhisperTranscriber:
    def __init__(self, model: whisper.Whisper, device: str):
        self.model = model
        self.device = device
        self.fp16 = device.startswith("cuda")
        self.dtype = torch.float16 if self.fp16 else torch.float32
        if self.fp16:
            self.model.half()

    @property
    def multilingual(self) -> bool:
        return self.model.is_multilingual

    def tokenizer(self, language: str | None) -> Tokenizer:
        return get_tokenizer(
            self.multilingual,
            num_languages=self.model.num_languages,
            language=language if self.multilingual else "en",
            task="transcribe",
        )

    def encode(self, chunks: list[np.ndarray]) -> torch.Tensor:
        """Encoder output (batch, n_audio_ctx, n_audio_state) for chunks of at most 30 s."""
        mels = [
            whisper.log_mel_spectrogram(
                whisper.pad_or_trim(torch.from_numpy(np.ascontiguousarray(c, dtype=np.float32))),
                self.model.dims.n_mels,
            )
            for c in chunks
        ]
        mel = torch.stack(mels).to(self.device, self.dtype)
        with torch.no_grad():
            return self.model.embed_audio(mel)

    def detect_languages(self, features: torch.Tensor, allowed: list[str]) -> list[dict[str, float]]:
        """Each chunk's probabilities over the `allowed` languages (see languages.py)."""
        if not self.multilingual:
            if "en" not in allowed:
                raise SettingsError("this Whisper model is English-only but English is not among --languages")
            return [{"en": 1.0} for _ in range(len(features))]
        _, probs = self.model.detect_language(features, self.tokenizer(None))
        return [fold_probabilities(item, allowed) for item in probs]

    def decode_logprobs(self, features: torch.Tensor, languages: list[str]) -> list[dict[str, float]]:
        """Each chunk's average token log-probability of its greedy transcript when
        decoded as each of `languages`: how well that language's text fits the audio."""
        found: list[dict[str, float]] = [{} for _ in range(len(features))]
        for code in languages:
            for scores, result in zip(found, self._decode(features, code, 0.0, None)):
                scores[code] = result.avg_logprob
        return found

    def _decode(self, features: torch.Tensor, language: str, temperature: float, prompt: str | None):
        options = whisper.DecodingOptions(
            language=language if self.multilingual else "en",
            temperature=temperature,
            best_of=FALLBACK_BEST_OF if temperature > 0 else None,
            without_timestamps=True,
            fp16=self.fp16,
            prompt=prompt,
        )
        # Sampling at fallback temperatures is seeded: the same recording and settings give
        # the same transcript, as research data should.
        if temperature > 0 and len(features) > 1:
            # openai-whisper samples best_of candidates by repeating the tokens but not the
            # audio features, which only broadcasts for one chunk: sample chunk by chunk.
            return [r for i in range(len(features)) for r in self._decode(features[i : i + 1], language, temperature, prompt)]
        devices = [torch.device(self.device)] if self.device.startswith("cuda") else []
        with torch.no_grad(), torch.random.fork_rng(devices=devices):
            torch.manual_seed(FALLBACK_SEED)
            return whisper.decode(self.model, features, options)

    def transcribe_batch(
        self,
        chunks: list[np.ndarray],
        language: str | list[str],
        prompt: str | None = None,
        features: torch.Tensor | None = None,
        fallback: bool = True,
    ) -> list[ChunkResult]:
        """Greedy batched decoding with per-chunk temperature fallback and word timings.

        `language` is one code for every chunk or one per chunk; chunks of one language
        are decoded together. `features` is the chunks' encoder output, when the caller
        already has it. Without `fallback` the greedy result stands, however unlikely."""
        if features is None:
            features = self.encode(chunks)
        languages = [language] * len(chunks) if isinstance(language, str) else list(language)
        results: list[ChunkResult | None] = [None] * len(chunks)
        for code in dict.fromkeys(languages):
            indices = [i for i, c in enumerate(languages) if c == code]
            lengths = [len(chunks[i]) for i in indices]
            decoded = self._transcribe_features(features[indices], lengths, code, prompt, fallback)
            for index, result in zip(indices, decoded):
                results[index] = result
        return results

    def _transcribe_features(
        self, features: torch.Tensor, num_samples: list[int], language: str, prompt: str | None, fallback: bool
    ) -> list[ChunkResult]:
        results = [None] * len(features)
        pending = list(range(len(features)))
        for temperature in (0.0, *FALLBACK_TEMPERATURES) if fallback else (0.0,):
            decoded = self._decode(features[pending], language, temperature, prompt)
            still = []
            for index, result in zip(pending, decoded):
                results[index] = result
                needs_fallback = (
                    result.compression_ratio > COMPRESSION_RATIO_THRESHOLD
                    or result.avg_logprob < LOGPROB_THRESHOLD
                )
                # whisper's own silence rule; the word-based guards run after alignment
                silent = is_no_speech(result.no_speech_prob, result.avg_logprob, [])
                if needs_fallback and not silent:
                    still.append(index)
            pending = still
            if not pending:
                break

        eot = self.tokenizer(language).eot
        out = [
            ChunkResult(
                text=r.text.strip(),
                tokens=[t for t in r.tokens if t < eot],
                avg_logprob=r.avg_logprob,
                no_speech_prob=r.no_speech_prob,
                compression_ratio=r.compression_ratio,
                temperature=r.temperature,
            )
            for r in results
        ]
        alignments = self.align(features, [r.tokens for r in out], num_samples, language)
        for result, words in zip(out, alignments):
            result.words = words
            self._apply_guards(result)
        return out

    @staticmethod
    def _apply_guards(result: ChunkResult) -> None:
        probabilities = [w.probability for w in result.words]
        exhausted = result.temperature >= FALLBACK_TEMPERATURES[-1]
        for guard, fired in (
            ("no-speech", is_no_speech(result.no_speech_prob, result.avg_logprob, probabilities)),
            ("unreliable", is_unreliable(result.avg_logprob, exhausted, probabilities)),
        ):
            if fired:
                result.text, result.tokens, result.words, result.guard = "", [], [], guard
                return
        if result.compression_ratio > COMPRESSION_RATIO_THRESHOLD:
            cut = loop_cut([w.word for w in result.words])
            if cut is not None:
                result.words = result.words[: cut[0]] + result.words[cut[1] :]
                result.text = "".join(w.word for w in result.words).strip()
                result.guard = "repetition-loop"

    def align(
        self, features: torch.Tensor, token_lists: list[list[int]], num_samples: list[int], language: str
    ) -> list[list[WordTiming]]:
        """Word timings for a batch by DTW over the alignment heads' cross-attention.

        The same method as openai-whisper's word timestamps, but for a whole batch in one
        decoder pass over the already computed encoder output.
        """
        tokenizer = self.tokenizer(language)
        prefix = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        keep = [i for i, tokens in enumerate(token_lists) if tokens]
        timings: list[list[WordTiming]] = [[] for _ in token_lists]
        if not keep:
            return timings
        sequences = [prefix + token_lists[i] + [tokenizer.eot] for i in keep]
        length = max(len(s) for s in sequences)
        batch = torch.tensor([s + [tokenizer.eot] * (length - len(s)) for s in sequences], device=features.device)

        heads = self.model.alignment_heads.to_dense().nonzero().tolist()  # [[layer, head], ...]
        captured: dict[int, torch.Tensor] = {}
        layers = sorted({layer for layer, _ in heads})
        hooks = [
            self.model.decoder.blocks[layer].cross_attn.register_forward_hook(
                lambda _m, _in, out, layer=layer: captured.__setitem__(layer, out[-1])
            )
            for layer in layers
        ]
        try:
            with torch.no_grad(), disable_sdpa():
                logits = self.model.decoder(batch, features[keep])
        finally:
            for hook in hooks:
                hook.remove()
        probs = logits[..., : tokenizer.eot].float().softmax(dim=-1)

        for row, index in enumerate(keep):
            text_tokens = token_lists[index]
            n_text = len(text_tokens)
            frames = min(num_samples[index] // whisper.audio.HOP_LENGTH, whisper.audio.N_FRAMES) // 2
            # attention of each alignment head: (heads, tokens, frames)
            weights = torch.stack([captured[layer][row, head] for layer, head in heads]).float()
            weights = weights[:, : len(prefix) + n_text + 1, :frames].softmax(dim=-1)
            std, mean = torch.std_mean(weights, dim=-2, keepdim=True, unbiased=False)
            weights = median_filter((weights - mean) / std, 7)
            matrix = weights.mean(dim=0)[len(prefix) - 1 : -1]
            text_index, time_index = dtw(-matrix)

            token_probs = probs[row, len(prefix) - 1 : len(prefix) - 1 + n_text]
            token_probs = token_probs[torch.arange(n_text), torch.tensor(text_tokens)].tolist()
            words, word_tokens = tokenizer.split_to_word_tokens(text_tokens + [tokenizer.eot])
            if len(word_tokens) <= 1:
                continue
            bounds = np.pad(np.cumsum([len(t) for t in word_tokens[:-1]]), (1, 0))
            jumps = np.pad(np.diff(text_index), (1, 0), constant_values=1).astype(bool)
            jump_times = time_index[jumps] / TOKENS_PER_SECOND
            timings[index] = [
                WordTiming(word, tokens, float(jump_times[a]), float(jump_times[b]), float(np.mean(token_probs[a:b])))
                for word, tokens, a, b in zip(words[:-1], word_tokens[:-1], bounds[:-1], bounds[1:])
            ]
            merge_punctuations(timings[index], "\"'“¿([{-", "\"'.。,，!！?？:：”)]}、")
            timings[index] = [w for w in timings[index] if w.word]
        return timings
