"""Who spoke when: pyannote with real weights on a real call; exact channel split."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import annotation, der

from transcribe.diarize.diarization import SpeakerCount, channels_are_separate, diarize
from transcribe.errors import SettingsError
from transcribe.ingest.audio import Audio, load_audio


@pytest.fixture(scope="module")
def offline_diarizer(store):
    from transcribe.diarize.pyannote_diarizer import PyannoteDiarizer

    return PyannoteDiarizer("auto", "cpu", store)


@pytest.mark.slow
def test_pyannote_with_real_weights_on_the_sample_call(offline_diarizer, sample_wav, sample_dir):
    from pyannote.database.util import load_rttm

    reference = next(iter(load_rttm(sample_dir / "sample.rttm").values()))
    audio = load_audio(sample_wav)
    result = diarize(audio, "auto", SpeakerCount(), lambda: offline_diarizer)
    error = der(reference, annotation((t.start, t.end, t.speaker) for t in result.regions))
    print(f"\nDER on pyannote sample.wav (no collar): {error:.3f}")
    assert result.method == "pyannote"
    assert len(result.speakers) == 2
    assert result.count_doubt is None  # two voices well apart
    assert error <= 0.10
    # The offline default is the store-assembled pipeline, with checksummed weights.
    assert {m.role for m in offline_diarizer.models} == {"segmentation", "embedding"}
    assert all(len(m.sha256) == 64 for m in offline_diarizer.models)


@pytest.mark.slow
def test_exact_speaker_count_is_honoured(offline_diarizer, sample_wav):
    audio = load_audio(sample_wav)
    result = diarize(audio, "pyannote", SpeakerCount(exact=3), lambda: offline_diarizer)
    assert len(result.speakers) == 3


@pytest.fixture(scope="module")
def speech_detector(store):
    from transcribe.diarize.speech_detector import SpeechDetector

    return SpeechDetector(store)


def test_stereo_call_is_split_by_channel_exactly(stereo_call, speech_detector):
    path, truth = stereo_call
    audio = load_audio(path)
    assert audio.num_channels == 2 and audio.recording.sample_rate == 8000

    def no_pyannote():
        raise AssertionError("a one-party-per-channel call must not need pyannote")

    result = diarize(audio, "auto", SpeakerCount(), no_pyannote, speech_detector=lambda: speech_detector)
    assert result.method == "channels" and not result.warnings
    channel_of = {s.id: s.channel for s in result.speakers}
    names = {0: "interviewer", 1: "participant"}  # left = interviewer in the synthetic call
    hypothesis = annotation((t.start, t.end, names[channel_of[t.speaker]]) for t in result.regions)
    reference = annotation((u.start, u.end, u.speaker) for u in truth)
    error = der(reference, hypothesis)
    print(f"\nDER of the channel split on the synthetic stereo call: {error:.3f}")
    assert error <= 0.05
    # every ground-truth utterance is found on its own speaker's channel only
    for utterance in truth:
        overlapping = {names[channel_of[t.speaker]] for t in result.turns if t.start < utterance.end and t.end > utterance.start}
        assert overlapping == {utterance.speaker}, utterance


def _audio(samples: np.ndarray) -> Audio:
    from transcribe.transcript import Recording

    return Audio(samples=samples.astype(np.float32), recording=Recording("x.wav", "0" * 64, 0, samples.shape[0], 16000))


def test_stereo_file_with_the_same_mix_on_both_channels_goes_to_pyannote(stereo_call):
    path, _ = stereo_call
    mix = load_audio(path).mono()
    same = _audio(np.stack([mix, mix * 0.9]))
    assert not channels_are_separate(same)
    calls = []

    def fake_pyannote():  # stands in for the model: only the dispatch is under test here
        calls.append(True)
        return lambda *args: "pyannote-result"

    assert diarize(same, "auto", SpeakerCount(), fake_pyannote) == "pyannote-result"
    assert calls


def test_stereo_file_with_one_dead_channel_is_treated_as_mono(stereo_call):
    path, _ = stereo_call
    mix = load_audio(path).mono()
    assert not channels_are_separate(_audio(np.stack([mix, np.zeros_like(mix)])))


def test_channels_mode_on_mono_is_a_clear_error(sample_wav):
    with pytest.raises(SettingsError, match="needs a stereo recording"):
        diarize(load_audio(sample_wav), "channels", SpeakerCount(), lambda: None)


def test_contradictory_speaker_counts_are_rejected():
    with pytest.raises(SettingsError, match="larger than"):
        SpeakerCount(minimum=4, maximum=2)


def test_campplus_shared_trunk_gives_the_same_embeddings_as_one_at_a_time(store, sample_wav):
    import torch

    from transcribe.models.campplus import CAMPPlusEmbedding

    model = CAMPPlusEmbedding.from_weights(store.get("embedding", "campplus").path)
    audio = torch.from_numpy(load_audio(sample_wav).samples[0])
    a, b = audio[6 * 16000 : 16 * 16000], audio[16 * 16000 : 26 * 16000]
    waveforms = torch.stack([a, a, a, b])[:, None, :]
    weights = torch.zeros(4, 589)
    weights[0, :300], weights[1, 300:], weights[2, :], weights[3, 100:400] = 1, 1, 1, 1
    with torch.inference_mode():
        together = model(waveforms, weights=weights)
        alone = torch.cat([model(waveforms[i : i + 1], weights=weights[i : i + 1]) for i in range(4)])
    assert torch.allclose(together, alone, atol=1e-5)
    # and the weights matter: different frames of one window give different embeddings
    assert torch.nn.functional.cosine_similarity(together[0], together[1], dim=0) < 0.99


# --- how sure the number of speakers is ------------------------------------------------
def turns_of(shares: dict[str, float]) -> list:
    from transcribe.diarize.diarization import Turn

    turns, start = [], 0.0
    for speaker, seconds in shares.items():
        turns.append(Turn(start, start + seconds, speaker))
        start += seconds
    return turns


def test_two_voices_close_to_being_one_are_a_doubt():
    from transcribe.diarize.pyannote_diarizer import count_doubt

    apart = np.array([[1.0, 0.0], [0.0, 1.0]])  # 1.41 apart
    near = np.array([[1.0, 0.0], [np.cos(0.75), np.sin(0.75)]])  # 0.73 apart: over 0.7, under 0.7 * 1.15
    turns = turns_of({"SPEAKER_00": 60.0, "SPEAKER_01": 40.0})
    assert count_doubt(turns, apart, 0.7, None) is None
    assert count_doubt(turns, near, 0.7, None).startswith("two of the speakers sound alike (voice distance 0.73")
    assert count_doubt(turns, np.array([[1.0, 0.0], [np.nan, np.nan]]), 0.7, None).startswith("a speaker's voice could not be measured")


def test_one_speaker_found_where_two_voices_were_heard_is_a_doubt():
    from transcribe.diarize.pyannote_diarizer import count_doubt

    chunks = np.zeros((10, 100, 3))
    chunks[:, :60, 0] = 1.0  # one voice in every chunk
    assert count_doubt(turns_of({"SPEAKER_00": 100.0}), None, 0.7, chunks) is None
    chunks[:3, 60:, 1] = 1.0  # a second voice in three chunks of ten
    assert count_doubt(turns_of({"SPEAKER_00": 100.0}), None, 0.7, chunks) == (
        "one speaker found, but two voices were heard within 30% of the 10-second stretches")


def test_a_speaker_with_almost_no_speech_is_a_doubt():
    from transcribe.diarize.pyannote_diarizer import count_doubt

    apart = np.eye(3)
    assert count_doubt(turns_of({"SPEAKER_00": 60.0, "SPEAKER_01": 38.0, "SPEAKER_02": 2.0}), apart, 0.7, None) == (
        "SPEAKER_02 holds 2% of the speech: a brief other voice, or part of another speaker")
