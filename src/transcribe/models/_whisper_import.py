"""Convert Whisper checkpoints from CTranslate2 and Hugging Face formats to openai-whisper's.

openai-whisper loads a `.pt` file holding `{"dims": ..., "model_state_dict": ...}`; once a
fine-tune (NB-Whisper) or a registry-shipped CTranslate2 model is converted to that, it loads
through exactly the same code as openai's own checkpoints.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import ModelError
from ._ct2_reader import read_ct2_variables

HEAD_DIM = 64  # every Whisper size uses 64-dimensional attention heads


@dataclass
class ConvertedWhisper:
    dims: dict[str, int]
    state_dict: dict[str, torch.Tensor]
    alignment_heads: list[list[int]] | None  # [[layer, head], ...]; None: whisper's default
    source_format: str
    extra: dict = field(default_factory=dict)

    def checkpoint(self) -> dict:
        return {"dims": self.dims, "model_state_dict": self.state_dict}


class _ConcatReader(io.RawIOBase):
    """Read several files (a model split into parts) as one stream."""

    def __init__(self, paths: list[Path]):
        self._handles = [open(p, "rb") for p in paths]
        self._index = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._index < len(self._handles):
            count = self._handles[self._index].readinto(buffer)
            if count:
                return count
            self._index += 1
        return 0

    def close(self) -> None:
        for handle in self._handles:
            handle.close()
        super().close()


def _tensor(array: np.ndarray) -> torch.Tensor:
    array = np.ascontiguousarray(array)
    if array.dtype not in (np.float16, np.float32):
        array = array.astype(np.float32)
    return torch.from_numpy(array.copy()).to(torch.float16)


def _find_files(sources: list[Path], pattern: str) -> list[Path]:
    found = []
    for source in sources:
        if source.is_file() and re.fullmatch(pattern, source.name):
            found.append(source)
        elif source.is_dir():
            found.extend(p for p in source.rglob("*") if p.is_file() and re.fullmatch(pattern, p.name))
    return found


def _part_number(path: Path) -> int:
    match = re.search(r"\.part(\d+)$", path.name)
    return int(match.group(1)) if match else 0


def detect_format(sources: list[Path]) -> str:
    if _find_files(sources, r"model\.bin(\.part\d+)?"):
        return "ctranslate2"
    if _find_files(sources, r".*\.safetensors|pytorch_model(-\d+-of-\d+)?\.bin"):
        return "transformers"
    if _find_files(sources, r".*\.pt"):
        return "openai-whisper"
    names = ", ".join(str(s) for s in sources)
    raise ModelError(f"no Whisper model found in {names} (looked for CTranslate2, Transformers or .pt files)")


def _load_config(sources: list[Path], name: str) -> dict:
    configs = _find_files(sources, re.escape(name))
    if not configs:
        return {}
    return json.loads(configs[0].read_text())


def convert(sources: list[Path]) -> ConvertedWhisper:
    fmt = detect_format(sources)
    if fmt == "ctranslate2":
        return _convert_ct2(sources)
    if fmt == "transformers":
        return _convert_transformers(sources)
    return _load_openai(sources)


# --- CTranslate2 --------------------------------------------------------------------


def _split_rows(array: np.ndarray, parts: int) -> list[np.ndarray]:
    return np.split(array, parts, axis=0)


def _ct2_attention(v: dict, src: str, dst: str, out: dict, fused_qkv: bool) -> None:
    if fused_qkv:
        q, k, vv = _split_rows(v[f"{src}/linear_0/weight"], 3)
        qb, kb, vb = _split_rows(v[f"{src}/linear_0/bias"], 3)
        proj = f"{src}/linear_1"
    else:
        q, qb = v[f"{src}/linear_0/weight"], v[f"{src}/linear_0/bias"]
        k, vv = _split_rows(v[f"{src}/linear_1/weight"], 2)
        kb, vb = _split_rows(v[f"{src}/linear_1/bias"], 2)
        proj = f"{src}/linear_2"
    if np.abs(kb.astype(np.float32)).max() > 1e-6:
        raise ModelError("CTranslate2 model has a key bias: it is not a Whisper model")
    out[f"{dst}.query.weight"], out[f"{dst}.query.bias"] = q, qb
    out[f"{dst}.key.weight"] = k
    out[f"{dst}.value.weight"], out[f"{dst}.value.bias"] = vv, vb
    out[f"{dst}.out.weight"], out[f"{dst}.out.bias"] = v[f"{proj}/weight"], v[f"{proj}/bias"]


def _ct2_norm(v: dict, src: str, dst: str, out: dict) -> None:
    out[f"{dst}.weight"], out[f"{dst}.bias"] = v[f"{src}/gamma"], v[f"{src}/beta"]


def _ct2_linear(v: dict, src: str, dst: str, out: dict) -> None:
    out[f"{dst}.weight"], out[f"{dst}.bias"] = v[f"{src}/weight"], v[f"{src}/bias"]


def _count_layers(names, prefix: str) -> int:
    return len({m.group(1) for n in names if (m := re.match(rf"{prefix}/layer_(\d+)/", n))})


def _convert_ct2(sources: list[Path]) -> ConvertedWhisper:
    parts = sorted(_find_files(sources, r"model\.bin(\.part\d+)?"), key=_part_number)
    numbers = [_part_number(p) for p in parts]
    if any(numbers) and numbers != list(range(1, len(parts) + 1)):
        raise ModelError(f"model parts are incomplete: found {[p.name for p in parts]}")
    with _ConcatReader(parts) as raw, io.BufferedReader(raw, 1 << 20) as handle:
        spec, v = read_ct2_variables(handle)
    if spec != "WhisperSpec":
        raise ModelError(f"CTranslate2 model is a {spec}, not a Whisper model")

    sd: dict[str, np.ndarray] = {}
    for idx in ("1", "2"):
        _ct2_linear(v, f"encoder/conv{idx}", f"encoder.conv{idx}", sd)
    sd["encoder.positional_embedding"] = v["encoder/position_encodings/encodings"]
    n_audio_layer = _count_layers(v, "encoder")
    for i in range(n_audio_layer):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        _ct2_attention(v, f"{src}/self_attention", f"{dst}.attn", sd, fused_qkv=True)
        _ct2_norm(v, f"{src}/self_attention/layer_norm", f"{dst}.attn_ln", sd)
        _ct2_linear(v, f"{src}/ffn/linear_0", f"{dst}.mlp.0", sd)
        _ct2_linear(v, f"{src}/ffn/linear_1", f"{dst}.mlp.2", sd)
        _ct2_norm(v, f"{src}/ffn/layer_norm", f"{dst}.mlp_ln", sd)
    _ct2_norm(v, "encoder/layer_norm", "encoder.ln_post", sd)

    sd["decoder.token_embedding.weight"] = v["decoder/embeddings/weight"]
    sd["decoder.positional_embedding"] = v["decoder/position_encodings/encodings"]
    n_text_layer = _count_layers(v, "decoder")
    for i in range(n_text_layer):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        _ct2_attention(v, f"{src}/self_attention", f"{dst}.attn", sd, fused_qkv=True)
        _ct2_norm(v, f"{src}/self_attention/layer_norm", f"{dst}.attn_ln", sd)
        _ct2_attention(v, f"{src}/attention", f"{dst}.cross_attn", sd, fused_qkv=False)
        _ct2_norm(v, f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln", sd)
        _ct2_linear(v, f"{src}/ffn/linear_0", f"{dst}.mlp.0", sd)
        _ct2_linear(v, f"{src}/ffn/linear_1", f"{dst}.mlp.2", sd)
        _ct2_norm(v, f"{src}/ffn/layer_norm", f"{dst}.mlp_ln", sd)
    _ct2_norm(v, "decoder/layer_norm", "decoder.ln", sd)

    audio_state = sd["encoder.positional_embedding"].shape[1]
    text_state = sd["decoder.positional_embedding"].shape[1]
    dims = {
        "n_mels": int(sd["encoder.conv1.weight"].shape[1]),
        "n_audio_ctx": int(sd["encoder.positional_embedding"].shape[0]),
        "n_audio_state": int(audio_state),
        "n_audio_head": int(v["encoder/num_heads"]) if "encoder/num_heads" in v else audio_state // HEAD_DIM,
        "n_audio_layer": n_audio_layer,
        "n_vocab": int(sd["decoder.token_embedding.weight"].shape[0]),
        "n_text_ctx": int(sd["decoder.positional_embedding"].shape[0]),
        "n_text_state": int(text_state),
        "n_text_head": int(v["decoder/num_heads"]) if "decoder/num_heads" in v else text_state // HEAD_DIM,
        "n_text_layer": n_text_layer,
    }
    config = _load_config(sources, "config.json")
    return ConvertedWhisper(
        dims=dims,
        state_dict={k: _tensor(a) for k, a in sd.items()},
        alignment_heads=config.get("alignment_heads"),
        source_format="ctranslate2",
    )


# --- Hugging Face transformers ------------------------------------------------------

_HF_RENAMES = [
    (r"^model\.encoder\.embed_positions\.weight$", "encoder.positional_embedding"),
    (r"^model\.decoder\.embed_positions\.weight$", "decoder.positional_embedding"),
    (r"^model\.decoder\.embed_tokens\.", "decoder.token_embedding."),
    (r"^model\.encoder\.layer_norm\.", "encoder.ln_post."),
    (r"^model\.decoder\.layer_norm\.", "decoder.ln."),
    (r"^model\.(encoder|decoder)\.layers\.", r"\1.blocks."),
    (r"^model\.encoder\.conv", "encoder.conv"),
    (r"\.self_attn_layer_norm\.", ".attn_ln."),
    (r"\.encoder_attn_layer_norm\.", ".cross_attn_ln."),
    (r"\.final_layer_norm\.", ".mlp_ln."),
    (r"\.self_attn\.", ".attn."),
    (r"\.encoder_attn\.", ".cross_attn."),
    (r"\.q_proj\.", ".query."),
    (r"\.k_proj\.", ".key."),
    (r"\.v_proj\.", ".value."),
    (r"\.out_proj\.", ".out."),
    (r"\.fc1\.", ".mlp.0."),
    (r"\.fc2\.", ".mlp.2."),
]


def hf_to_whisper_name(name: str) -> str | None:
    """Map one transformers parameter name to openai-whisper's; None for tied/unused ones."""
    if name.startswith("proj_out."):  # tied to the token embedding in Whisper
        return None
    if not name.startswith("model."):
        name = "model." + name
    for pattern, replacement in _HF_RENAMES:
        name = re.sub(pattern, replacement, name)
    return name


def _read_hf_tensors(sources: list[Path]) -> dict[str, torch.Tensor]:
    tensors: dict[str, torch.Tensor] = {}
    safetensors = _find_files(sources, r".*\.safetensors")
    if safetensors:
        from safetensors.torch import load_file

        for path in sorted(safetensors):
            tensors.update(load_file(str(path)))
        return tensors
    for path in sorted(_find_files(sources, r"pytorch_model(-\d+-of-\d+)?\.bin")):
        tensors.update(torch.load(path, map_location="cpu", weights_only=True))
    return tensors


def _convert_transformers(sources: list[Path]) -> ConvertedWhisper:
    config = _load_config(sources, "config.json")
    if config.get("model_type") not in (None, "whisper"):
        raise ModelError(f"transformers model is a {config.get('model_type')}, not Whisper")
    sd = {}
    for name, tensor in _read_hf_tensors(sources).items():
        target = hf_to_whisper_name(name)
        if target is not None:
            sd[target] = tensor.to(torch.float16)
    try:
        dims = {
            "n_mels": int(config["num_mel_bins"]),
            "n_audio_ctx": int(config["max_source_positions"]),
            "n_audio_state": int(config["d_model"]),
            "n_audio_head": int(config["encoder_attention_heads"]),
            "n_audio_layer": int(config["encoder_layers"]),
            "n_vocab": int(config["vocab_size"]),
            "n_text_ctx": int(config["max_target_positions"]),
            "n_text_state": int(config["d_model"]),
            "n_text_head": int(config["decoder_attention_heads"]),
            "n_text_layer": int(config["decoder_layers"]),
        }
    except KeyError as missing:
        raise ModelError(f"transformers config.json lacks {missing}: not a Whisper model") from None
    generation = _load_config(sources, "generation_config.json")
    return ConvertedWhisper(
        dims=dims,
        state_dict=sd,
        alignment_heads=generation.get("alignment_heads"),
        source_format="transformers",
    )


def _load_openai(sources: list[Path]) -> ConvertedWhisper:
    (path,) = _find_files(sources, r".*\.pt")[:1]
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if "dims" not in checkpoint or "model_state_dict" not in checkpoint:
        raise ModelError(f"{path.name} is not an openai-whisper checkpoint")
    return ConvertedWhisper(
        dims=checkpoint["dims"],
        state_dict=checkpoint["model_state_dict"],
        alignment_heads=None,
        source_format="openai-whisper",
    )
