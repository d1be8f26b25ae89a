"""The static-cache decoder: exactly openai-whisper's tokens, in every precision, on a CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from transcribe.asr.backend import Region
from transcribe.asr.static_decoder import loop_start
from transcribe.ingest.audio import load_audio


def test_a_decoding_loop_is_found_where_it_starts():
    speech = [5, 9, 13, 2, 7, 5, 9, 13, 40, 41]
    assert loop_start(np.array(speech)) is None
    assert loop_start(np.array(speech + [3] * 24)) == len(speech)  # one token, 24 times
    looped = speech + [8, 9, 10, 11] * 6  # four tokens, six times: 24 tokens
    assert loop_start(np.array(looped)) is not None and loop_start(np.array(looped)) >= len(speech)
    assert loop_start(np.array(speech + [8, 9, 10, 11] * 3)) is None  # a stutter is not a loop


@pytest.fixture(scope="module")
def windows(sample_wav) -> list[np.ndarray]:
    """Three windows of pyannote's real telephone call."""
    signal = load_audio(sample_wav).samples[0]
    return [signal[6 * 16000 : 18 * 16000], signal[14 * 16000 : 30 * 16000], signal[6 * 16000 : 30 * 16000]]


def _backend(store, name: str, precision: str = "fp32"):
    from transcribe.asr.whisper_backend import WhisperBackend
    from transcribe.models.whisper_models import load_whisper

    model, info = load_whisper(name, "cpu", store)
    return WhisperBackend(model, info, "cpu", precision)


def _eager(backend, encoded, language: str, **options):
    """openai-whisper's own decode, with the tokens our decoder never emits suppressed too."""
    import whisper

    suppressed = [-1, *range(backend.tokenizer(None).eot + 1, backend.model.dims.n_vocab)]
    settings = whisper.DecodingOptions(language=language, without_timestamps=True, fp16=False, suppress_tokens=suppressed, **options)
    return [whisper.decode(backend.model, encoded.features[i], settings) for i in range(len(encoded))]


@pytest.mark.slow
@pytest.mark.parametrize("name, language", [("tiny.en", "en"), ("base", "en")])
def test_greedy_decoding_gives_exactly_whisper_s_tokens(store, windows, name, language):
    backend = _backend(store, name)
    encoded = backend.encode(backend.prepare(windows))
    ours = backend.decode(encoded, [Region(i, 0.0, 30.0) for i in range(len(windows))], [language] * 3, [224] * 3)
    eager = _eager(backend, encoded, language)
    for mine, theirs in zip(ours, eager):
        assert mine.tokens == theirs.tokens and mine.text == theirs.text
        assert mine.avg_logprob == pytest.approx(theirs.avg_logprob, abs=1e-4)
        assert mine.no_speech_prob == pytest.approx(theirs.no_speech_prob, abs=1e-5)
    assert all(len(h.tokens) > 20 for h in ours)  # real transcripts, rows finishing at different steps


@pytest.mark.slow
def test_beam_search_gives_exactly_whisper_s_beams(store, windows):
    backend = _backend(store, "tiny.en")
    encoded = backend.encode(backend.prepare(windows))
    ours = backend.decode(encoded, [Region(i, 0.0, 30.0) for i in range(3)], ["en"] * 3, [224] * 3, beam_size=5)
    eager = _eager(backend, encoded, "en", beam_size=5)  # openai-whisper searches one window at a time
    assert [h.tokens for h in ours] == [r.tokens for r in eager]


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_half_precision_runs_with_layer_norms_in_fp32(store, windows, precision):
    """The CUDA default (fp16) and bf16, on a CPU: `model.half()` broke whisper's LayerNorm
    (fp32 by design) and every GPU run; the same mistake fails on a CPU, so CI catches it."""
    import whisper

    from transcribe.quality.metrics import wer

    full = _backend(store, "tiny.en")
    half = _backend(store, "tiny.en", precision)
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}[precision]
    norms = [m for m in half.model.modules() if isinstance(m, torch.nn.LayerNorm)]
    assert norms and all(p.dtype == torch.float32 for m in norms for p in m.parameters())
    assert half.model.decoder.token_embedding.weight.dtype == dtype
    encoded = half.encode(half.prepare(windows[:2]))
    assert encoded.features.dtype == dtype
    regions = [Region(i, 0.0, 30.0) for i in range(2)]
    found = half.decode(encoded, regions, ["en"] * 2, [224] * 2)
    words = half.align(encoded, [0, 1], found, ["en"] * 2).words()
    reference = full.decode(full.encode(full.prepare(windows[:2])), regions, ["en"] * 2, [224] * 2)
    for mine, theirs, timed in zip(found, reference, words):  # bf16 keeps 8 bits of mantissa, fp16 11
        assert wer(theirs.text, mine.text) <= {"fp16": 0.1, "bf16": 0.2}[precision] and timed
    with pytest.raises(RuntimeError):  # what the old code did: every weight in half precision
        bare = _backend(store, "tiny.en").model.to(dtype)
        bare.encoder(whisper.log_mel_spectrogram(whisper.pad_or_trim(torch.from_numpy(windows[0])))[None].to(dtype))


@pytest.mark.slow
def test_a_step_touches_tensors_of_fixed_shape_and_address(store, windows):
    """What CUDA graph capture needs (and the GPU path replays): no tensor a step reads or
    writes is reallocated between steps, and the position lives on the device."""
    from transcribe.asr.static_decoder import _Caches, _Rows

    backend = _backend(store, "tiny.en")
    encoded = backend.encode(backend.prepare(windows[:2]))
    decoder = backend.decoder
    caches = _Caches(decoder.decoder, encoded.features, None, 32)
    initial = torch.tensor([backend.initial_tokens("en", None)] * 2)
    decoder.prefill(caches, initial)
    rows = _Rows([20, 20], 20, initial.shape[1], "cpu")
    addresses = [t.data_ptr() for t in (*caches.self_k, *caches.cross_k, rows.out, rows.last, rows.position, rows.finished)]
    suppress, _ = backend._suppressed()
    for _ in range(3):
        logits = decoder.step(caches, rows.last, rows.position).masked_fill(suppress, float("-inf"))
        rows.update(logits, decoder.eot)
    assert [t.data_ptr() for t in (*caches.self_k, *caches.cross_k, rows.out, rows.last, rows.position, rows.finished)] == addresses
    assert int(rows.position) == initial.shape[1] + 2 and int(rows.written) == 3


@pytest.mark.slow
def test_batched_alignment_finished_on_another_thread_gives_whisper_s_word_timings(store, windows):
    """The device's share of the alignment for a whole batch, the host's share (DTW and
    grouping into words) on a thread as on a GPU: the words and timings openai-whisper's
    own find_alignment gives each window alone, to the float."""
    from concurrent.futures import ThreadPoolExecutor

    import whisper
    from whisper.timing import find_alignment, merge_punctuations

    backend = _backend(store, "tiny.en")
    encoded = backend.encode(backend.prepare(windows))
    found = backend.decode(encoded, [Region(i, 0.0, 30.0) for i in range(3)], ["en"] * 3, [224] * 3)
    with ThreadPoolExecutor(1) as host:
        ours = host.submit(backend.align(encoded, [0, 1, 2], found, ["en"] * 3).words).result()
    tokenizer = backend.tokenizer("en")
    for window, hypothesis, words in zip(windows, found, ours):
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(torch.from_numpy(window)))
        theirs = find_alignment(backend.model, tokenizer, hypothesis.tokens, mel, min(len(window), 480000) // 160)
        merge_punctuations(theirs, "\"'“¿([{-", "\"'.。,，!！?？:：”)]}、")
        theirs = [t for t in theirs if t.word.strip()]
        assert [w.text for w in words] == [t.word.strip() for t in theirs] and len(words) > 10
        assert [t for w in words for t in (w.start, w.end)] == pytest.approx([x for t in theirs for x in (t.start, t.end)], abs=1e-6)
