"""Model registry: what is installed, the message for missing weights, and the safetensors loader."""

from __future__ import annotations

import json

import numpy as np
import pytest

from studio.engine.registry import all_models, get_model, is_installed, local_folder, require_installed
from studio.errors import EngineError


def test_registry_has_every_family_the_studio_offers():
    ids = {spec.id for spec in all_models()}
    assert {"ltx-2", "wan-2.2-ti2v-5b", "stable-audio-open-1.0", "tiny-random"} <= ids
    assert {"builtin:title", "builtin:matte", "builtin:bars", "builtin:countdown"} <= ids
    assert set(get_model("ltx-2").modes) == {"text", "image", "extend", "video", "retake", "keyframes"}
    assert get_model("wan-2.2-ti2v-5b").soundtrack_model == "stable-audio-open-1.0"


def test_models_without_weights_are_always_installed():
    assert is_installed(get_model("tiny-random"))
    assert is_installed(get_model("builtin:bars"))


def test_missing_weights_name_the_model_its_size_and_the_pull_command():
    spec = get_model("ltx-2")
    assert not is_installed(spec)  # the test's HF_HOME is empty and offline
    with pytest.raises(EngineError) as info:
        require_installed(spec)
    message = str(info.value)
    # The size is the bf16 weights counted from the shipped configs (~34.3B parameters: 68.6 GB).
    assert "ltx-2" in message and "68.6 GB" in message and "kinora models pull ltx-2" in message


def test_unknown_model_lists_the_known_ones():
    with pytest.raises(EngineError, match="tiny-random"):
        get_model("sora-9")


def test_a_models_folder_counts_as_installed(tmp_path, monkeypatch):
    import torch
    from safetensors.torch import save_file

    spec = get_model("ltx-2")
    folder = tmp_path / "models" / "Lightricks--LTX-2"
    (folder / "transformer").mkdir(parents=True)
    (folder / "transformer" / "config.json").write_text("{}")
    save_file({"w": torch.zeros(2)}, str(folder / "transformer" / "diffusion_pytorch_model.safetensors"))
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "LTX2Pipeline",
                                                         "transformer": ["diffusers", "X"]}))
    monkeypatch.setenv("KINORA_MODELS", str(tmp_path / "models"))
    assert local_folder(spec) == folder
    assert is_installed(spec)


def test_tiny_pipeline_round_trips_through_the_safetensors_loader(tmp_path):
    import torch
    from diffusers import LTX2Pipeline

    from studio.engine.loading import load_pipeline, save_pipeline
    from studio.engine.tiny import build_components

    pipe = LTX2Pipeline(**build_components(seed=0))
    folder = save_pipeline(pipe, tmp_path / "tiny")
    assert list(folder.rglob("*.safetensors")) and not list(folder.rglob("*.bin"))
    loaded = load_pipeline(LTX2Pipeline, folder, torch.float32)
    args = dict(prompt="a red ball", height=32, width=32, num_frames=9, num_inference_steps=2, guidance_scale=1.0,
                stg_scale=0.0, audio_stg_scale=0.0, modality_scale=1.0, audio_modality_scale=1.0,
                audio_guidance_scale=1.0, max_sequence_length=16, output_type="np")
    for p in (pipe, loaded):
        p.set_progress_bar_config(disable=True)
    a = pipe(generator=torch.Generator().manual_seed(5), **args).frames
    b = loaded(generator=torch.Generator().manual_seed(5), **args).frames
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_loader_refuses_a_folder_with_only_pickled_weights(tmp_path):
    import torch
    from diffusers import AutoencoderKLLTX2Audio

    from studio.engine.loading import load_pipeline

    folder = tmp_path / "pickled"
    (folder / "vae").mkdir(parents=True)
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "StableAudioPipeline",
                                                         "vae": ["diffusers", "AutoencoderKLLTX2Audio"]}))
    model = AutoencoderKLLTX2Audio(base_channels=4, ch_mult=(1,), num_res_blocks=1, latent_channels=2,
                                   attn_resolutions=None, mid_block_add_attention=False)
    model.save_pretrained(folder / "vae", safe_serialization=False)
    assert list(folder.rglob("*.bin"))
    from diffusers import DiffusionPipeline

    with pytest.raises(EngineError, match="no file named diffusion_pytorch_model.safetensors"):
        load_pipeline(DiffusionPipeline, folder, torch.float32)


LINE_UP = {"ltx-2.5": ("2.5", True), "ltx-2.3": ("2.3", False), "ltx-2.3-distilled": ("2.3", True),
           "ltx-2": ("2.0", False), "ltx-2-distilled": ("2.0", True)}


@pytest.mark.parametrize(("model_id", "version_distilled"), LINE_UP.items())
def test_each_ltx_model_declares_its_version_repo_rules_and_shipped_configs(model_id, version_distilled):
    from studio.engine.model_configs import config_folder

    spec = get_model(model_id)
    assert (spec.options["version"], spec.options["distilled"]) == version_distilled
    assert spec.hf_repo and spec.size_multiple == 32 and spec.frame_multiple == 8
    assert spec.valid_frame_count(120) == 121 and spec.valid_frame_count(121) == 121
    folder = config_folder(spec.config_repo)
    scheduler = json.loads((folder / "scheduler" / "scheduler_config.json").read_text())
    vae = json.loads((folder / "vae" / "config.json").read_text())
    assert (vae["spatial_compression_ratio"], vae["temporal_compression_ratio"]) == (32, 8)  # the size/frame rules
    # Distilled checkpoints use their sigmas as given; the others shift them with the sequence length.
    assert scheduler["use_dynamic_shifting"] is not spec.options["distilled"]
    if spec.options["distilled"]:  # 8 distilled sigmas + a 3-sigma refine, unguided
        assert (spec.default_steps, spec.default_guidance, spec.options["call"]["refine_steps"]) == (8, 1.0, 3)
    else:
        assert spec.default_steps >= 30 and spec.default_guidance >= 3.0


def test_vocoder_rates_follow_the_version():
    from studio.engine.model_configs import config_folder

    rates = {mid: json.loads((config_folder(get_model(mid).config_repo) / "vocoder" / "config.json").read_text())
             .get("output_sampling_rate") for mid in ("ltx-2", "ltx-2.3")}
    assert rates == {"ltx-2": 24000, "ltx-2.3": 48000}  # issue 13: LTX-2.0 24 kHz, LTX-2.3 48 kHz


def test_tiny_random_is_a_tiny_ltx_23():
    spec = get_model("tiny-random")
    assert spec.options["version"] == "2.3" and spec.options["tiny"] and not spec.needs_weights
