"""The memory planner: parameter counts from the published configs (meta device), a plan per card size,
the same plan for the same job, the out-of-memory ladder and the user override."""

from __future__ import annotations

import pytest

from studio.engine.footprint import count_parameters, footprint_of
from studio.engine.memory import POLICIES, DeviceInfo, JobShape, MemoryPlan, Policy, choose_plan, next_plan
from studio.engine.memory_estimate import estimate, usable_vram
from studio.engine.model_configs import config_folder
from studio.engine.registry import get_model, model_footprint
from studio.errors import EngineError

LTX2 = get_model("ltx-2")
CLIP = JobShape(768, 512, 121)


def gpu(total_gb: float, free_gb: float | None = None, host_gb: float = 0.0) -> DeviceInfo:
    return DeviceInfo("cuda", "Test GPU", total_gb if free_gb is None else free_gb, total_gb, 64.0, True, host_gb)


def test_full_size_ltx2_components_are_counted_from_the_published_configs():
    counts = count_parameters(config_folder("LTX-2"))
    billions = {name: round(count / 1e9, 2) for name, count in counts.items()}
    assert billions["transformer"] == pytest.approx(18.88, abs=0.01)
    assert billions["text_encoder"] == pytest.approx(12.19, abs=0.01)  # Gemma-3-12B
    assert billions["connectors"] == pytest.approx(1.43, abs=0.01)
    assert billions["vae"] == pytest.approx(1.22, abs=0.01)
    assert billions["latent_upsampler"] == pytest.approx(0.50, abs=0.01)
    assert billions["audio_vae"] + billions["vocoder"] == pytest.approx(0.11, abs=0.01)
    assert 63 < sum(counts.values()) * 2 / 1024**3 < 65  # ~63 GiB of bf16 weights


def test_ltx25_pairs_its_22b_dit_with_a_gemma4_text_encoder():
    counts = model_footprint(get_model("ltx-2.5")).params
    # 22B = the DiT and its text connectors, as LTX-2.3's checkpoint counts them.
    assert (counts["transformer"] + counts["connectors"]) / 1e9 == pytest.approx(22.16, abs=0.05)
    assert counts["text_encoder"] / 1e9 == pytest.approx(11.96, abs=0.01)  # Gemma 4 12B: 11.95B on its card


def test_footprints_are_cached_per_model_and_recounted_only_when_configs_change(tmp_path, monkeypatch):
    import shutil

    import studio.engine.footprint as footprint

    folder = tmp_path / "LTX-2"
    shutil.copytree(config_folder("LTX-2"), folder)
    # An earlier test in this process may have counted these configs already: start with no memo, so the
    # first call really counts and writes the cache file.
    monkeypatch.setattr(footprint, "_memo", {})
    first = footprint_of(folder, cache_dir=tmp_path / "cache")
    monkeypatch.setattr(footprint, "_memo", {})  # a new process: only the cache file remains
    monkeypatch.setattr(footprint, "count_parameters", lambda folder: pytest.fail("recounted an unchanged model"))
    assert footprint_of(folder, cache_dir=tmp_path / "cache").params == first.params
    vae = folder / "vae" / "config.json"
    vae.write_text(vae.read_text().replace('"in_channels": 3', '"in_channels": 4'))
    with pytest.raises(pytest.fail.Exception, match="recounted"):
        footprint_of(folder, cache_dir=tmp_path / "cache")


def test_cpu_runs_float32_without_offload():
    plan = choose_plan(LTX2, DeviceInfo("cpu", "CPU", 0, 0, 16, False))
    assert (plan.device, plan.dtype_name, plan.policy) == ("cpu", "float32", "none")
    assert next_plan(plan) is None  # nowhere to offload to


@pytest.mark.parametrize(("card_gb", "policy"), [(16, "group_offload"), (24, "fp8_model_offload"),
                                                 (48, "model_offload"), (80, "none"), (141, "none")])
def test_each_card_size_gets_the_fastest_plan_that_fits(card_gb, policy):
    plan = choose_plan(LTX2, gpu(card_gb), job=CLIP)
    assert plan.policy == policy and plan.dtype_name == "bfloat16" and plan.vae_tiling
    predicted = estimate(LTX2, Policy(policy), CLIP)
    assert predicted.peak_vram_gb <= usable_vram(card_gb)


def test_a_48_gb_card_does_not_get_none_for_a_63_gib_model():
    # Old code planned from a hand-typed vram_gb=40 and gave `none`, which died while loading 63 GiB.
    assert choose_plan(LTX2, gpu(48), job=CLIP).policy != "none"


def test_a_24_gb_card_gets_a_plan_whose_largest_resident_piece_fits():
    # Old code gave model_offload, whose 35 GiB bf16 transformer cannot be on a 24 GB card at once.
    plan = choose_plan(LTX2, gpu(24), job=CLIP)
    assert estimate(LTX2, Policy(plan.policy), CLIP).largest_piece_gb < usable_vram(24)
    assert estimate(LTX2, Policy.MODEL_OFFLOAD, CLIP).largest_piece_gb > usable_vram(24)


def test_identical_jobs_get_the_same_plan_whatever_the_warm_model_leaves_free():
    # Old code planned from free VRAM: with the previous model resident, identical jobs alternated plans.
    cold = choose_plan(LTX2, gpu(80, free_gb=79), job=CLIP)
    warm = choose_plan(LTX2, gpu(80, free_gb=12), job=CLIP)
    assert cold == warm == choose_plan(LTX2, gpu(80, free_gb=79), job=CLIP)


def test_longer_clips_need_more_activation_memory():
    short, long = estimate(LTX2, Policy.NONE, CLIP), estimate(LTX2, Policy.NONE, JobShape(768, 512, 481))
    assert long.activations_gb > 3 * short.activations_gb
    assert long.peak_vram_gb > short.peak_vram_gb


def test_fp8_policies_halve_the_big_components_on_the_card():
    bf16, fp8 = estimate(LTX2, Policy.MODEL_OFFLOAD, CLIP), estimate(LTX2, Policy.FP8_MODEL_OFFLOAD, CLIP)
    assert fp8.largest_piece_gb == pytest.approx(bf16.largest_piece_gb * 1.05 / 2, rel=0.01)


def test_models_without_configs_plan_nothing_to_offload():
    assert choose_plan(get_model("tiny-random"), gpu(8)).policy == "none"


def test_out_of_memory_ladder_ends_at_sequential():
    plan = choose_plan(LTX2, gpu(141))
    seen = [plan.policy]
    while (plan := next_plan(plan)) is not None:
        seen.append(plan.policy)
    assert seen == list(POLICIES)
    assert seen == ["none", "model_offload", "fp8_model_offload", "group_offload", "fp8_group_offload", "sequential"]


def test_user_override_wins_and_unknown_policy_is_refused(monkeypatch):
    assert choose_plan(LTX2, gpu(80), override="sequential").policy == "sequential"
    monkeypatch.setenv("KINORA_MEMORY_POLICY", "group_offload")
    assert choose_plan(LTX2, gpu(80)).policy == "group_offload"
    with pytest.raises(EngineError, match="Unknown memory policy"):
        choose_plan(LTX2, gpu(80), override="turbo")


def test_fp8_plans_store_the_transformer_and_text_encoder_in_float8():
    import torch
    from diffusers import LTX2Pipeline

    from studio.engine.memory import _cast_to_fp8
    from studio.engine.tiny import build_components

    pipe = LTX2Pipeline(**build_components(seed=0))
    _cast_to_fp8(pipe, MemoryPlan("cpu", "bfloat16", "fp8_model_offload", True))
    assert pipe.transformer.transformer_blocks[0].attn1.to_q.weight.dtype == torch.float8_e4m3fn
    q_proj = next(m for name, m in pipe.text_encoder.named_modules() if name.endswith("q_proj"))
    assert q_proj.weight.dtype == torch.float8_e4m3fn
    assert next(pipe.vae.parameters()).dtype != torch.float8_e4m3fn  # the VAE keeps its precision


def test_fp8_storage_and_streamed_group_offload_compose_on_a_real_pipeline():
    # The two hooks (layerwise casting, group offload) on the same modules: a tiny pipeline must still run.
    import torch
    from diffusers import LTX2Pipeline

    from studio.engine.memory import apply_plan
    from studio.engine.tiny import build_components

    pipe = LTX2Pipeline(**build_components(seed=0))
    pipe.set_progress_bar_config(disable=True)
    apply_plan(pipe, MemoryPlan("cpu", "float32", "fp8_group_offload", True))
    out = pipe(prompt="a red ball", height=32, width=32, num_frames=9, num_inference_steps=2, guidance_scale=1.0,
               stg_scale=0.0, audio_stg_scale=0.0, modality_scale=1.0, audio_modality_scale=1.0,
               audio_guidance_scale=1.0, max_sequence_length=16, output_type="np")
    assert out.frames.shape == (1, 9, 32, 32, 3) and torch.isfinite(torch.as_tensor(out.frames)).all()
    assert pipe.transformer.transformer_blocks[0].attn1.to_q.weight.dtype == torch.float8_e4m3fn
