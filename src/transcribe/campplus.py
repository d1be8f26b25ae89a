"""CAM++ speaker embeddings (3D-Speaker) as a pyannote.audio `Model`.

pyannote's diarization pipeline extracts one embedding per (chunk, local speaker) by
passing the whole chunk plus that speaker's frame weights. CAM++ as published pools over
all frames, which would give every local speaker of a chunk the same embedding; here the
statistics pooling is replaced by pyannote's weighted `StatsPool`, so each embedding
describes only the frames where its speaker talks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
import torchaudio.compliance.kaldi as kaldi
from pyannote.audio import Model
from pyannote.audio.models.blocks.pooling import StatsPool

from .errors import ModelError

FEATURE_DIM = 80


class CAMPPlusEmbedding(Model):
    def __init__(self, embedding_size: int = 192, sample_rate: int = 16000, num_channels: int = 1):
        super().__init__(sample_rate=sample_rate, num_channels=num_channels)
        try:
            from speakerlab.models.campplus.DTDNN import CAMPPlus
        except ImportError as error:
            raise ModelError(
                "the CAM++ architecture is missing: install it with "
                "`pip install --no-deps speakerlab-slim` (setup.sh does this)"
            ) from error
        self.campplus = CAMPPlus(feat_dim=FEATURE_DIM, embedding_size=embedding_size)
        self.pooling = StatsPool()
        self._embedding_size = embedding_size

    @property
    def dimension(self) -> int:
        return self._embedding_size

    @classmethod
    def from_weights(cls, path) -> CAMPPlusEmbedding:
        state = torch.load(path, map_location="cpu", weights_only=True)
        dense = state.get("xvector.dense.linear.weight")
        if dense is None:
            raise ModelError(f"{path} does not hold CAM++ weights")
        model = cls(embedding_size=int(dense.shape[0]))
        model.campplus.load_state_dict(state)
        return model.eval()

    def fbank(self, waveforms: torch.Tensor) -> torch.Tensor:
        """(batch, 1, samples) -> (batch, frames, 80) mean-normalised Kaldi filterbanks."""
        feats = torch.stack(
            [
                kaldi.fbank(w, num_mel_bins=FEATURE_DIM, sample_frequency=self.hparams.sample_rate, dither=0.0)
                for w in waveforms
            ]
        )
        return feats - feats.mean(dim=1, keepdim=True)

    def trunk(self, waveforms: torch.Tensor) -> torch.Tensor:
        """Frame-level features before pooling: (batch, channels, frames)."""
        x = self.campplus.head(self.fbank(waveforms).permute(0, 2, 1))
        for name, layer in self.campplus.xvector.named_children():
            if name == "stats":
                break
            x = layer(x)
        return x

    def forward(self, waveforms: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        if waveforms.shape[-1] < int(0.025 * self.hparams.sample_rate):
            raise ValueError("waveform shorter than one filterbank frame")
        # pyannote sends each chunk once per local speaker, one after the other, differing
        # only in the weights: run the trunk once per distinct waveform, pool per speaker.
        distinct = [0]
        for i in range(1, len(waveforms)):
            distinct.append(distinct[-1] + (not torch.equal(waveforms[i], waveforms[i - 1])))
        index = torch.tensor(distinct, device=waveforms.device)
        first = torch.ones_like(index, dtype=torch.bool)
        first[1:] = index[1:] != index[:-1]
        frames = self.trunk(waveforms[first])[index]
        stats = self.pooling(frames, weights=weights)
        flat = stats.reshape(-1, stats.shape[-1])
        embeddings = self.campplus.xvector.dense(flat)
        return F.normalize(embeddings, dim=-1).reshape(*stats.shape[:-1], -1)
