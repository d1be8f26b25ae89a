"""Whisper's text decoder with preallocated key/value caches, for fast batched decoding.

openai-whisper's decoding loop grows its key/value cache with `torch.cat` at every step
and re-enters Python for every layer: on a GPU each step costs hundreds of kernel
launches whatever the batch size, so time per step, not batch size, sets the speed. Here
the caches are allocated once per batch, every tensor a step touches has a fixed shape
and address, and the whole greedy step (decoder, token suppression, argmax,
log-probability bookkeeping, end-of-text handling) runs on the device with no host
synchronisation. On a GPU the step is captured once as a CUDA graph and replayed with one
launch (`CudaGraphStep`); on a CPU the same step runs eagerly.

Rows that finished are dropped: when half of a batch is done, the caches of the rows
still decoding are gathered into a batch half the size. Rows also stop at their own token
limit, and when they fall into a decoding loop (the same few tokens over and over, how
Whisper fails on audio it cannot read), which the host checks every few steps.

Greedy decoding gives exactly the tokens of openai-whisper's `decode` with the same
suppressed tokens (tests/test_static_decoder.py); sampling (temperature fallback) draws
from a seeded generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

# A row whose last tokens repeat a pattern of at most this many tokens...
LOOP_MAX_PERIOD = 24
# ...at least this many times, over at least LOOP_MIN_TOKENS tokens, is in a decoding loop
# (a stutter "no, no, no" repeats three times; a loop runs on to the token limit).
LOOP_MIN_REPEATS = 4
LOOP_MIN_TOKENS = 24


@dataclass
class Generation:
    """What decoding produced for each row: its tokens up to (not including) end-of-text."""

    tokens: list[list[int]]
    sum_logprobs: list[float]
    no_speech_probs: list[float]
    stopped: list[str | None]  # "token-limit", "loop", or None for end-of-text


def loop_start(tokens: np.ndarray) -> int | None:
    """Index where a trailing decoding loop starts in `tokens`, or None."""
    n = len(tokens)
    for period in range(1, LOOP_MAX_PERIOD + 1):
        needed = max(LOOP_MIN_REPEATS * period, LOOP_MIN_TOKENS)
        if n < needed:
            break
        tail = tokens[n - needed :]
        if np.array_equal(tail[period:], tail[:-period]):
            return n - needed
    return None


def _heads(x: Tensor, n_head: int) -> Tensor:
    return x.view(*x.shape[:2], n_head, -1).permute(0, 2, 1, 3)


def _attend(attention, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, causal: bool = False) -> Tensor:
    """whisper's MultiHeadAttention (its SDPA path), with an additive mask."""
    n = attention.n_head
    out = F.scaled_dot_product_attention(_heads(q, n), _heads(k, n), _heads(v, n), attn_mask=mask, is_causal=causal)
    return attention.out(out.permute(0, 2, 1, 3).flatten(start_dim=2))


def _cross(block, x: Tensor, k: Tensor, v: Tensor, mask: Tensor | None) -> Tensor:
    """Cross-attention of rows `x` (R, n, d) to the audio of `k`, `v` (W, T, d), where R is
    a multiple of W: consecutive rows share a window (the beams of a beam search), and
    their queries attend to its audio together, with no copy of its keys and values."""
    q = block.cross_attn.query(block.cross_attn_ln(x))
    out = _attend(block.cross_attn, q.reshape(k.shape[0], -1, q.shape[-1]), k, v, mask)
    return out.reshape(x.shape)


class _Caches:
    """Key/value caches of one batch: self-attention, preallocated to the batch's longest
    sequence, and cross-attention, computed once from the encoder output."""

    def __init__(self, decoder, features: Tensor, cross_mask: Tensor | None, length: int, rows: int | None = None):
        rows, width = rows or features.shape[0], decoder.token_embedding.weight.shape[1]
        empty = lambda: torch.zeros(rows, length, width, dtype=features.dtype, device=features.device)  # noqa: E731
        self.self_k = [empty() for _ in decoder.blocks]
        self.self_v = [empty() for _ in decoder.blocks]
        self.cross_k = [b.cross_attn.key(features) for b in decoder.blocks]
        self.cross_v = [b.cross_attn.value(features) for b in decoder.blocks]
        self.cross_mask = cross_mask
        self.positions = torch.arange(length, device=features.device)

    def keep(self, index: Tensor) -> None:
        for caches in (self.self_k, self.self_v, self.cross_k, self.cross_v):
            caches[:] = [c.index_select(0, index) for c in caches]
        if self.cross_mask is not None:
            self.cross_mask = self.cross_mask.index_select(0, index)

    def rows(self, count: int) -> _Caches:
        """The first `count` rows of the self-attention caches (views: writes go through)."""
        view = object.__new__(_Caches)
        view.__dict__.update(self.__dict__)
        view.self_k = [c[:count] for c in self.self_k]
        view.self_v = [c[:count] for c in self.self_v]
        return view


class _Rows:
    """Per-row decoding state, all on the device: tokens so far, their summed
    log-probabilities, which rows are finished, and each row's token limit. `origin` maps
    the batch's rows to the rows the caller passed in (rows are dropped as they finish)."""

    def __init__(self, limits: list[int], width: int, prefix: int, device):
        rows = len(limits)
        self.out = torch.full((rows, width), -1, dtype=torch.long, device=device)
        self.sum_logprobs = torch.zeros(rows, device=device)
        self.finished = torch.zeros(rows, dtype=torch.bool, device=device)
        self.limits = torch.tensor(limits, device=device)
        self.last = torch.zeros(rows, 1, dtype=torch.long, device=device)
        self.position = torch.tensor([prefix - 1], device=device)  # sequence position of `last`
        self.written = torch.zeros(1, dtype=torch.long, device=device)  # tokens so far, per row
        self.looped = torch.zeros(rows, dtype=torch.bool, device=device)
        self.origin = list(range(rows))
        self.done: dict[int, tuple[np.ndarray, float, bool]] = {}  # origin row -> result

    def __len__(self) -> int:
        return len(self.origin)

    def update(self, logits: Tensor, eot: int, temperature: float = 0.0, generator=None) -> None:
        """Choose each row's next token from its suppressed logits, as openai-whisper's
        GreedyDecoder does; a finished row only ever adds end-of-text."""
        if temperature == 0:
            chosen = logits.argmax(dim=-1)
        else:
            chosen = torch.multinomial((logits / temperature).softmax(dim=-1), 1, generator=generator)[:, 0]
        logprobs = F.log_softmax(logits, dim=-1).gather(1, chosen[:, None])[:, 0]
        self.sum_logprobs += logprobs * (~self.finished)
        chosen = torch.where(self.finished, eot, chosen)
        self.out.index_copy_(1, self.written, chosen[:, None])
        self.finished |= (chosen == eot) | (self.written + 1 >= self.limits)
        self.last.copy_(chosen[:, None])
        self.written += 1
        self.position += 1

    def stop_loops(self) -> None:
        """Finish the rows whose tokens have fallen into a loop (checked on the host)."""
        tokens = self.out[:, : int(self.written)].cpu().numpy()
        finished = self.finished.cpu().numpy()
        looping = [i for i, row in enumerate(tokens) if not finished[i] and loop_start(row) is not None]
        if looping:
            index = torch.tensor(looping, device=self.out.device)
            self.finished[index] = True
            self.looped[index] = True

    def keep(self, index: Tensor) -> None:
        """Move the rows not in `index` to the host results and shrink the state to `index`."""
        kept = set(index.tolist())
        out, sums, looped = self.out.cpu().numpy(), self.sum_logprobs.cpu().tolist(), self.looped.cpu().tolist()
        for i, origin in enumerate(self.origin):
            if i not in kept:
                self.done[origin] = (out[i], sums[i], looped[i])
        for name in ("out", "sum_logprobs", "finished", "limits", "last", "looped"):
            setattr(self, name, getattr(self, name).index_select(0, index))
        self.origin = [self.origin[i] for i in index.tolist()]

    def result(self, eot: int, limits: list[int], no_speech_probs: list[float]) -> Generation:
        self.keep(torch.zeros(0, dtype=torch.long, device=self.out.device))
        generation = Generation([], [], no_speech_probs, [])
        for row, limit in enumerate(limits):
            out, total, looped = self.done[row]
            ends = np.flatnonzero((out == eot) | (out < 0))
            end = int(ends[0]) if ends.size else len(out)
            generation.tokens.append(out[:end].tolist())
            generation.sum_logprobs.append(total)
            generation.stopped.append("loop" if looped else ("token-limit" if end >= limit else None))
        return generation


class StaticDecoder:
    """Decode batches of encoded audio with one whisper model's text decoder."""

    def __init__(self, model, eot: int, graphs: bool = False):
        self.decoder = model.decoder
        self.n_ctx = model.dims.n_text_ctx
        self.eot = eot
        self.graphs = graphs and torch.cuda.is_available()
        self.check_every = 16 if self.graphs else 4

    def _embed(self, tokens: Tensor, positions: Tensor, dtype: torch.dtype) -> Tensor:
        d = self.decoder
        return (d.token_embedding(tokens) + d.positional_embedding.index_select(0, positions)).to(dtype)

    def _logits(self, x: Tensor) -> Tensor:
        """Logits over the vocabulary, computed as (V, d) @ (d, N): for a few rows, MKL's
        kernel for x @ W.T reads the whole embedding matrix again for every row (Whisper
        base on 2 CPU cores: 12 ms a row, against 3.5-8 ms for 2 to 8 rows this way; a
        whole step with 3 rows 43 ms instead of 77-89 ms)."""
        d = self.decoder
        h = d.ln(x).flatten(end_dim=-2)
        rows = h.shape[0]
        if rows == 1:  # one row is slow either way, two are not
            h = h.repeat(2, 1)
        logits = (d.token_embedding.weight.to(x.dtype) @ h.T).T[:rows]
        return logits.float().reshape(*x.shape[:-1], -1)

    def prefill(self, caches: _Caches, tokens: Tensor) -> Tensor:
        """Run the initial tokens (B, P) at once into cache positions [0, P); logits (B, P, V)."""
        count = tokens.shape[1]
        x = self._embed(tokens, caches.positions[:count], caches.cross_k[0].dtype)
        for i, block in enumerate(self.decoder.blocks):
            h = block.attn_ln(x)
            k, v = block.attn.key(h), block.attn.value(h)
            caches.self_k[i][:, :count] = k
            caches.self_v[i][:, :count] = v
            x = x + _attend(block.attn, block.attn.query(h), k, v, None, causal=count > 1)
            x = x + _cross(block, x, caches.cross_k[i], caches.cross_v[i], caches.cross_mask)
            x = x + block.mlp(block.mlp_ln(x))
        return self._logits(x)

    def step(self, caches: _Caches, token: Tensor, position: Tensor) -> Tensor:
        """Logits (B, V) for one token per row (B, 1) at `position` (a one-element tensor).

        Fixed shapes, no host synchronisation: caches are written with index_copy_ and
        attention over the whole static cache is masked beyond `position`."""
        x = self._embed(token, position, caches.cross_k[0].dtype)
        visible = torch.where(caches.positions <= position, 0.0, float("-inf")).to(x.dtype)[None, None, None, :]
        for i, block in enumerate(self.decoder.blocks):
            h = block.attn_ln(x)
            caches.self_k[i].index_copy_(1, position, block.attn.key(h))
            caches.self_v[i].index_copy_(1, position, block.attn.value(h))
            x = x + _attend(block.attn, block.attn.query(h), caches.self_k[i], caches.self_v[i], visible)
            x = x + _cross(block, x, caches.cross_k[i], caches.cross_v[i], caches.cross_mask)
            x = x + block.mlp(block.mlp_ln(x))
        return self._logits(x)[:, -1]

    @torch.no_grad()
    def first_logits(self, features: Tensor, initial: list[int], cross_mask: Tensor | None = None) -> Tensor:
        """Logits (B, P, V) of the same initial tokens for every row, and no decoding
        (language detection)."""
        caches = _Caches(self.decoder, features, cross_mask, len(initial))
        return self.prefill(caches, torch.tensor([initial] * features.shape[0], device=features.device))

    @torch.no_grad()
    def generate(
        self,
        features: Tensor,
        initial: list[list[int]],
        max_new: list[int],
        suppress: Tensor,
        suppress_first: Tensor,
        sot_index: int,
        no_speech: int | None = None,
        cross_mask: Tensor | None = None,
        temperature: float = 0.0,
        generator: torch.Generator | None = None,
        stop_loops: bool = True,
    ) -> Generation:
        """Decode each row of `features` (B, T, d) after its `initial` tokens (one list per
        row, all of one length: rows may differ in their language token).

        `suppress` and `suppress_first` (V,) are boolean masks of tokens never to emit and
        not to emit first; `max_new` caps each row's new tokens (end-of-text included);
        `cross_mask` (B, 1, 1, T) hides padded audio frames (0 visible, -inf hidden)."""
        prefix = len(initial[0])
        width = min(max(max_new), self.n_ctx - prefix)
        limits = [min(m, width) for m in max_new]
        caches = _Caches(self.decoder, features, cross_mask, prefix + width)
        logits = self.prefill(caches, torch.tensor(initial, device=features.device))
        no_speech_probs = [math.nan] * len(limits)
        if no_speech is not None:
            no_speech_probs = logits[:, sot_index].softmax(dim=-1)[:, no_speech].tolist()
        rows = _Rows(limits, width, prefix, features.device)
        rows.update(logits[:, -1].masked_fill(suppress | suppress_first, float("-inf")), self.eot, temperature, generator)
        self._run(caches, rows, suppress, width, temperature, generator, stop_loops)
        return rows.result(self.eot, limits, no_speech_probs)

    def _run(self, caches: _Caches, rows: _Rows, suppress: Tensor, width: int, temperature: float, generator, stop_loops: bool) -> None:
        steps, graph = 1, None
        while steps < width:
            for _ in range(min(self.check_every, width - steps)):
                if graph is None and self.graphs and temperature == 0:
                    graph = CudaGraphStep(self, caches, rows, suppress)  # its capture runs one real step
                    self.graphs = graph.ok
                elif graph is not None and graph.ok:
                    graph.replay()
                else:
                    logits = self.step(caches, rows.last, rows.position).masked_fill(suppress, float("-inf"))
                    rows.update(logits, self.eot, temperature, generator)
                steps += 1
            if stop_loops:
                rows.stop_loops()
            finished = rows.finished.cpu()
            if finished.all():
                return
            if int((~finished).sum()) <= len(rows) // 2:  # a batch half the size, and a new graph
                keep = torch.nonzero(~finished).flatten().to(rows.out.device)
                caches.keep(keep)
                rows.keep(keep)
                graph = None


class CudaGraphStep:
    """One greedy step (decoder forward plus the token update) captured as a CUDA graph
    over one batch's static tensors; each replay runs all its kernels with one launch.

    Capturing needs a warm-up run of the step on a side stream: that run is a real
    decoding step, so nothing is repeated. If capture fails (an unsupported operation, a
    driver without graph support) `ok` is False and decoding goes on eagerly. Capture
    is confined to this thread: the transcription's host thread may allocate pinned
    memory or wait on an event meanwhile, which a process-wide capture forbids."""

    def __init__(self, decoder: StaticDecoder, caches: _Caches, rows: _Rows, suppress: Tensor):
        def body() -> None:
            logits = decoder.step(caches, rows.last, rows.position).masked_fill(suppress, float("-inf"))
            rows.update(logits, decoder.eot)

        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            body()  # the warm-up: one real step
        torch.cuda.current_stream().wait_stream(stream)
        self.graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(self.graph, capture_error_mode="thread_local"):
                body()
            self.ok = True
        except RuntimeError:
            self.ok = False

    def replay(self) -> None:
        self.graph.replay()
