"""openai-whisper as an ASR backend (asr/backend.py): batched encoding, language detection,
static-cache decoding and DTW word alignment, on a CPU or a CUDA GPU.

Half precision keeps whisper's own convention: every weight in fp16 (or bf16) except the
LayerNorms, which whisper computes in fp32 (`whisper.model.LayerNorm` casts its input to
float, so its weights must stay float; `model.half()` broke that and every CUDA run).

Every decoding pass runs on the encoder output computed once per window. Language
detection and the short decodings of the filler pass read a *region* of a window: the
decoder's cross-attention is limited to that region's frames (20 ms each), so a turn's
language or an island's filler costs no extra encoder pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import whisper
from whisper.audio import (
    HOP_LENGTH,
    N_FFT,
    N_FRAMES,
    N_SAMPLES,
    SAMPLE_RATE,
    mel_filters,
)
from whisper.model import disable_sdpa
from whisper.timing import dtw, median_filter, merge_punctuations
from whisper.tokenizer import Tokenizer, get_tokenizer
from whisper.utils import compression_ratio

from ..errors import SettingsError
from ..transcript import ModelInfo, Word
from ._beam_search import beam_search
from .backend import Hypothesis, Region
from .static_decoder import StaticDecoder

PRECISIONS = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
# The encoder's output frame: 30 s in 1500 frames.
FRAME_S = HOP_LENGTH * 2 / SAMPLE_RATE
FALLBACK_SEED = 0
# How much of the text before a region its decoding is prompted with, in tokens: rows whose
# texts are this long share one prompt length, so they decode in one batch.
CONTEXT_TOKENS = 64


def prepare_model(model: whisper.Whisper, precision: str) -> torch.dtype:
    """Cast `model` to `precision` (fp32, fp16 or bf16), LayerNorms kept in fp32."""
    if precision not in PRECISIONS:
        raise SettingsError(f"unknown precision '{precision}' (expected {', '.join(PRECISIONS)})")
    dtype = PRECISIONS[precision]
    model.to(dtype)
    for module in model.modules():
        if isinstance(module, torch.nn.LayerNorm):
            module.float()
    return dtype


def default_precision(device: str) -> str:
    return "fp16" if device.startswith("cuda") else "fp32"


@dataclass
class WhisperPrepared:
    """A batch of windows padded to 30 s, on the host (in pinned memory for a GPU, so that
    the copy to it does not hold the host up)."""

    audio: torch.Tensor  # (windows, N_SAMPLES) float32
    seconds: list[float]  # audio in each window

    def __len__(self) -> int:
        return len(self.seconds)


def pad_clips(clips: Sequence[np.ndarray], pinned: bool = False) -> WhisperPrepared:
    audio = torch.zeros(len(clips), N_SAMPLES, pin_memory=pinned)
    for row, clip in enumerate(clips):
        clip = torch.from_numpy(np.ascontiguousarray(clip[:N_SAMPLES], dtype=np.float32))
        audio[row, : len(clip)] = clip
    return WhisperPrepared(audio, [min(len(c), N_SAMPLES) / SAMPLE_RATE for c in clips])


def log_mel(audio: torch.Tensor, n_mels: int) -> torch.Tensor:
    """whisper's log-Mel spectrogram of each row of `audio` (30 s each), as one batch on
    the audio's device (the maximum that floors the dynamic range is each row's own)."""
    spectrum = torch.stft(audio, N_FFT, HOP_LENGTH, window=torch.hann_window(N_FFT, device=audio.device), return_complex=True)
    power = spectrum[..., :-1].abs() ** 2
    spec = torch.clamp(mel_filters(audio.device, n_mels) @ power, min=1e-10).log10()
    spec = torch.maximum(spec, spec.amax(dim=(1, 2), keepdim=True) - 8.0)
    return (spec + 4.0) / 4.0


@dataclass
class WhisperEncoded:
    features: torch.Tensor  # (windows, 1500, width) on the model's device, in its dtype
    seconds: list[float]  # audio in each window

    def __len__(self) -> int:
        return len(self.seconds)

    def regions(self, regions: Sequence[Region]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The frames of each region, padded to the longest, and the cross-attention mask
        that hides the padding (None when every region is a whole window)."""
        bounds = [(int(r.start / FRAME_S), min(N_FRAMES // 2, max(int(np.ceil(r.end / FRAME_S)), int(r.start / FRAME_S) + 1))) for r in regions]
        if all(a == 0 and b == N_FRAMES // 2 for a, b in bounds):
            return self.features[[r.row for r in regions]], None
        longest = max(b - a for a, b in bounds)
        frames = self.features.new_zeros(len(regions), longest, self.features.shape[-1])
        mask = torch.full((len(regions), 1, 1, longest), float("-inf"), dtype=self.features.dtype, device=self.features.device)
        for i, (region, (a, b)) in enumerate(zip(regions, bounds)):
            frames[i, : b - a] = self.features[region.row, a:b]
            mask[i, ..., : b - a] = 0.0
        return frames, mask


class WhisperBackend:
    """An openai-whisper model, loaded once, serving many recordings."""

    def __init__(self, model: whisper.Whisper, info: ModelInfo, device: str, precision: str | None = None, graphs: bool = True):
        self.model, self.info, self.device = model, info, device
        self.precision = precision or default_precision(device)
        self.dtype = prepare_model(model, self.precision)
        self.decoder = StaticDecoder(model, self.tokenizer(None).eot, graphs=graphs and device.startswith("cuda"))
        self.generator = torch.Generator(device=device)

    @property
    def multilingual(self) -> bool:
        return self.model.is_multilingual

    @property
    def concurrent(self) -> bool:
        return self.device.startswith("cuda")

    @lru_cache(maxsize=None)
    def tokenizer(self, language: str | None) -> Tokenizer:
        return get_tokenizer(
            self.multilingual,
            num_languages=self.model.num_languages,
            language=(language if self.multilingual else "en") if language else None,
            task="transcribe",
        )

    @lru_cache(maxsize=None)
    def _suppressed(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens never emitted: whisper's default set (symbols that are not speech) and
        every special token but end-of-text (whisper suppresses some; a language or
        timestamp token in the middle of text only ends in lost words); and tokens not
        emitted first (a blank, end-of-text: whisper's SuppressBlank)."""
        t = self.tokenizer(None)
        suppress = torch.zeros(self.model.dims.n_vocab, dtype=torch.bool)
        suppress[list(t.non_speech_tokens)] = True
        suppress[t.eot + 1 :] = True
        first = torch.zeros_like(suppress)
        first[t.encode(" ") + [t.eot]] = True
        return suppress.to(self.device), first.to(self.device)

    def prepare(self, clips: Sequence[np.ndarray]) -> WhisperPrepared:
        return pad_clips(clips, pinned=self.device.startswith("cuda"))

    def encode(self, prepared: WhisperPrepared) -> WhisperEncoded:
        mel = log_mel(prepared.audio.to(self.device, non_blocking=True), self.model.dims.n_mels).to(self.dtype)
        with torch.no_grad():
            features = self.model.embed_audio(mel)
        return WhisperEncoded(features, prepared.seconds)

    def detect_languages(self, encoded: WhisperEncoded, regions: Sequence[Region]) -> list[dict[str, float]]:
        if not self.multilingual:
            return [{"en": 1.0} for _ in regions]
        tokenizer = self.tokenizer(None)
        frames, mask = encoded.regions(regions)
        logits = self.decoder.first_logits(frames, [tokenizer.sot], mask)[:, 0]
        ids = list(tokenizer.all_language_tokens)
        probs = logits[:, ids].softmax(dim=-1).cpu().numpy()
        return [dict(zip(tokenizer.all_language_codes, map(float, row))) for row in probs]

    def initial_tokens(self, language: str, prompt: str | None, context: str = "") -> list[int]:
        """The decoder's first tokens: the prompt (the study's terms) and the last
        CONTEXT_TOKENS tokens of `context` after whisper's previous-text token, then the
        start of transcript in `language`, without timestamps."""
        tokenizer = self.tokenizer(language)
        tokens = list(tokenizer.sot_sequence_including_notimestamps)
        before = tokenizer.encode(" " + prompt.strip()) if prompt else []
        if context.strip():
            before += tokenizer.encode(" " + context.strip())[-CONTEXT_TOKENS:]
        if before:
            half = self.model.dims.n_text_ctx // 2
            tokens = [tokenizer.sot_prev, *before[-(half - 1) :], *tokens]
        return tokens

    def decode(
        self,
        encoded: WhisperEncoded,
        regions: Sequence[Region],
        languages: Sequence[str],
        max_tokens: Sequence[int],
        prompt: str | None = None,
        temperature: float = 0.0,
        best_of: int = 1,
        beam_size: int = 1,
        context: Sequence[str] | None = None,
    ) -> list[Hypothesis]:
        initial = [self.initial_tokens(language, prompt, text) for language, text in zip(languages, context or [""] * len(regions))]
        lengths = sorted({len(tokens) for tokens in initial})
        if len(lengths) == 1:
            return self._decode(encoded, list(regions), initial, list(max_tokens), temperature, best_of, beam_size)
        found: dict[int, Hypothesis] = {}  # rows whose prompts differ in length decode apart
        for length in lengths:
            rows = [i for i, tokens in enumerate(initial) if len(tokens) == length]
            decoded = self._decode(encoded, [regions[i] for i in rows], [initial[i] for i in rows], [max_tokens[i] for i in rows], temperature, best_of, beam_size)
            found.update(zip(rows, decoded))
        return [found[i] for i in range(len(regions))]

    def _decode(
        self, encoded: WhisperEncoded, regions: list[Region], initial: list[list[int]], max_tokens: list[int],
        temperature: float, best_of: int, beam_size: int,
    ) -> list[Hypothesis]:
        samples = best_of if temperature > 0 else 1
        frames, mask = encoded.regions(regions)
        if samples > 1:
            frames = frames.repeat_interleave(samples, dim=0)
            mask = None if mask is None else mask.repeat_interleave(samples, dim=0)
            initial = [tokens for tokens in initial for _ in range(samples)]
            max_tokens = [m for m in max_tokens for _ in range(samples)]
        tokenizer = self.tokenizer(None)
        suppress, first = self._suppressed()
        common = dict(sot_index=initial[0].index(tokenizer.sot), no_speech=tokenizer.no_speech, cross_mask=mask)
        if temperature == 0 and beam_size > 1:
            found = beam_search(self.decoder, frames, initial, list(max_tokens), suppress, first, beam_size=beam_size, **common)
        else:
            self.generator.manual_seed(FALLBACK_SEED)  # the same recording gives the same transcript
            found = self.decoder.generate(
                frames, initial, list(max_tokens), suppress, first, temperature=temperature, generator=self.generator, **common
            )
        hypotheses = []
        for row in range(len(regions)):
            candidates = range(row * samples, (row + 1) * samples)
            best = max(candidates, key=lambda i: found.sum_logprobs[i] / max(1, len(found.tokens[i])))
            tokens = found.tokens[best]
            text = tokenizer.decode(tokens).strip()
            hypotheses.append(Hypothesis(
                tokens=tokens,
                text=text,
                avg_logprob=found.sum_logprobs[best] / (len(tokens) + 1),
                no_speech_prob=found.no_speech_probs[best],
                compression_ratio=compression_ratio(text) if text else 0.0,
                temperature=temperature,
                stopped=found.stopped[best],
            ))
        return hypotheses

    def align(self, encoded: WhisperEncoded, rows: Sequence[int], hypotheses: Sequence[Hypothesis], languages: Sequence[str]) -> WhisperAlignment:
        """Word timings by DTW over the alignment heads' cross-attention, as openai-whisper
        computes them: one decoder pass over the whole batch and the filtering of the
        attention run on the device; the path search and the grouping into words, which
        are sequential, are left to `WhisperAlignment.words` on the host."""
        keep = [i for i, h in enumerate(hypotheses) if h.tokens]
        alignment = WhisperAlignment(len(rows))
        if not keep:
            return alignment
        eot = self.tokenizer(None).eot
        prefixes = [self.initial_tokens(languages[i], None) for i in keep]
        sequences = [prefix + hypotheses[i].tokens + [eot] for prefix, i in zip(prefixes, keep)]
        length = max(len(s) for s in sequences)
        batch = torch.tensor([s + [eot] * (length - len(s)) for s in sequences], device=encoded.features.device)
        heads = self.model.alignment_heads.to_dense().nonzero().tolist()  # [[layer, head], ...]
        captured: dict[int, torch.Tensor] = {}
        hooks = [
            self.model.decoder.blocks[layer].cross_attn.register_forward_hook(
                lambda _m, _in, out, layer=layer: captured.__setitem__(layer, out[-1])
            )
            for layer in sorted({layer for layer, _ in heads})
        ]
        try:
            with torch.no_grad(), disable_sdpa():
                logits = self.model.decoder(batch, encoded.features[[rows[i] for i in keep]])
        finally:
            for hook in hooks:
                hook.remove()
        probs = logits[..., :eot].float().softmax(dim=-1)
        start = len(prefixes[0])
        for row, index in enumerate(keep):
            tokens = hypotheses[index].tokens
            weights = torch.stack([captured[layer][row, head] for layer, head in heads]).float()
            frames = min(int(encoded.seconds[rows[index]] * SAMPLE_RATE) // HOP_LENGTH, N_FRAMES) // 2
            weights = weights[:, : start + len(tokens) + 1, :frames].softmax(dim=-1)
            std, mean = torch.std_mean(weights, dim=-2, keepdim=True, unbiased=False)
            matrix = median_filter((weights - mean) / std, 7).mean(dim=0)[start - 1 : -1]
            token_probs = probs[row, start - 1 : start - 1 + len(tokens)][torch.arange(len(tokens)), torch.tensor(tokens)]
            alignment.add(index, matrix.to("cpu", non_blocking=True), token_probs.to("cpu", non_blocking=True), tokens, self.tokenizer(languages[index]))
        alignment.launched(encoded.features.device)
        return alignment


class WhisperAlignment:
    """The host's share of a batch's word alignment: waits for the device's share, then
    finds each row's DTW path (whisper's numba `dtw` on the host) and groups its tokens
    into timed words."""

    def __init__(self, rows: int):
        self.rows = rows
        self.pending: list[tuple[int, torch.Tensor, torch.Tensor, list[int], Tokenizer]] = []
        self.done: torch.cuda.Event | None = None

    def add(self, row: int, matrix: torch.Tensor, token_probs: torch.Tensor, tokens: list[int], tokenizer: Tokenizer) -> None:
        self.pending.append((row, matrix, token_probs, tokens, tokenizer))

    def launched(self, device: torch.device) -> None:
        """Mark the end of the device's share: on a GPU the copies to the host are
        asynchronous, and `words` waits for this mark, not for the device to be idle."""
        if device.type == "cuda":
            self.done = torch.cuda.Event()
            self.done.record()

    def words(self) -> list[list[Word]]:
        if self.done is not None:
            self.done.synchronize()
        words: list[list[Word]] = [[] for _ in range(self.rows)]
        for row, matrix, token_probs, tokens, tokenizer in self.pending:
            words[row] = _dtw_words(matrix, token_probs.tolist(), tokens, tokenizer)
        return words


def _dtw_words(matrix: torch.Tensor, token_probs: list[float], tokens: list[int], tokenizer: Tokenizer) -> list[Word]:
    text_index, time_index = dtw(-matrix)
    texts, word_tokens = tokenizer.split_to_word_tokens(tokens + [tokenizer.eot])
    if len(word_tokens) <= 1:
        return []
    bounds = np.pad(np.cumsum([len(t) for t in word_tokens[:-1]]), (1, 0))
    jumps = np.pad(np.diff(text_index), (1, 0), constant_values=1).astype(bool)
    jump_times = time_index[jumps] * FRAME_S
    timings = [
        whisper.timing.WordTiming(text, ids, float(jump_times[a]), float(jump_times[b]), float(np.mean(token_probs[a:b])))
        for text, ids, a, b in zip(texts[:-1], word_tokens[:-1], bounds[:-1], bounds[1:])
    ]
    merge_punctuations(timings, "\"'“¿([{-", "\"'.。,，!！?？:：”)]}、")
    return [Word(t.start, t.end, t.word.strip(), t.probability) for t in timings if t.word.strip()]
