"""LTX-2 generation against faithful tiny models: the real configs (scheduler shift, VAE grid, vocoder rates,
per-version transformer flags) at tiny width, so the defects that only the real models would hit show here.

The old `tiny-random` missed each of these because it differed from the real models exactly there: float32,
an unshifted scheduler, a VAE that took multiples of 2, a 16 kHz vocoder, and call arguments that switched
every extra guidance pass off.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

from studio.cancel import CancelToken
from studio.engine.backends import load_backend
from studio.engine.backends.base import SourceClip
from studio.engine.memory import MemoryPlan
from studio.engine.registry import DEFAULT_REGISTRY, get_model
from studio.recipe import Recipe

CPU32 = MemoryPlan("cpu", "float32", "none", vae_tiling=False)
TINY = dict(model_id="tiny-random", width=32, height=32, fps=24.0, steps=2, seed=3)


def tiny_spec(version: str = "2.3", distilled: bool = False, **options):
    base = get_model("tiny-random")
    return dataclasses.replace(base, id=f"tiny-{version}{'-d' if distilled else ''}",
                               options={**base.options, "version": version, "distilled": distilled, **options})


def backend_for(spec=None, plan=CPU32):
    return load_backend(spec or get_model("tiny-random"), plan, DEFAULT_REGISTRY)


def run(backend, recipe, source=None):
    return backend.generate(recipe, source=source, progress=lambda *a: None, cancel=CancelToken("test"))


def parent_clip(seconds=0.5, fps=24.0, rate=48000, tone_hz=440.0):
    n = round(seconds * fps)
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (n, 32, 32, 3), dtype=np.uint8)
    t = np.arange(round(seconds * rate)) / rate
    audio = np.repeat((0.3 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)[:, None], 2, axis=1)
    return SourceClip(frames, audio, rate, fps)


# ---- the tiny models keep the real configuration --------------------------------------------------
@pytest.mark.parametrize("version, rate", [("2.0", 24000), ("2.3", 48000)])
def test_tiny_models_keep_the_real_grid_scheduler_and_vocoder_rate(version, rate):
    from diffusers import LTX2Pipeline

    from studio.engine.tiny import build_components

    pipe = LTX2Pipeline(**build_components(version=version))
    assert (pipe.vae_spatial_compression_ratio, pipe.vae_temporal_compression_ratio) == (32, 8)
    assert pipe.vocoder.config.output_sampling_rate == rate
    config = pipe.scheduler.config
    assert config.use_dynamic_shifting and config.shift_terminal == 0.1 and config.max_shift == 2.05
    assert pipe.transformer.config.perturbed_attn == (version != "2.0")


# ---- 1. from_pipe kept the warm model's dtype ------------------------------------------------------
def test_a_bf16_pipeline_stays_bf16_after_every_mode(tmp_path):
    # The old tiny model was float32, the dtype from_pipe converts to: the conversion could not show.
    import cv2
    import torch

    backend = backend_for(plan=MemoryPlan("cpu", "bfloat16", "none", vae_tiling=False))
    backend.pipe.to(dtype=torch.bfloat16)
    image = tmp_path / "still.png"
    cv2.imwrite(str(image), np.full((32, 32, 3), 180, np.uint8))
    parent = parent_clip()
    recipes = {
        "text": Recipe("a cat", **TINY, seconds=0.5),
        "image": Recipe("a cat", **TINY, seconds=0.5, mode="image", image=str(image)),
        "keyframes": Recipe("a cat", **TINY, seconds=0.5, mode="keyframes", keyframes=(str(image), str(image))),
        "extend": Recipe("a cat", **TINY, seconds=0.5, mode="extend", source_path="<parent>"),
        "video": Recipe("a cat", **TINY, seconds=0.5, mode="video", source_path="<parent>", strength=0.5),
        "retake": Recipe("a cat", **TINY, seconds=0.5, mode="retake", source_path="<parent>", range_from=0.1,
                         range_to=0.3),
    }
    for name, recipe in recipes.items():
        run(backend, recipe, parent if recipe.mode in ("extend", "video", "retake") else None)
        for component in ("transformer", "vae", "audio_vae", "text_encoder", "connectors", "vocoder"):
            assert getattr(backend.pipe, component).dtype == torch.bfloat16, f"{component} after {name}"


# ---- 4. two stages at any size ------------------------------------------------------------------
def test_two_stage_take_at_a_size_whose_half_is_off_the_grid_has_the_exact_size_and_a_refine_pass():
    # 1920x1080 halves to 960x540, off the upsampler's 32-pixel grid; the old tiny VAE took any even size.
    steps: list[tuple[str, int, int]] = []
    backend = backend_for()
    recipe = Recipe("a wide view", **{**TINY, "width": 120, "height": 68}, seconds=0.5)  # half: 60x34
    result = backend.generate(recipe, source=None, progress=lambda phase, step, total, _p: steps.append(
        (phase, step, total)), cancel=CancelToken("test"))
    assert result.frames.shape == (12, 68, 120, 3)
    assert "upscale_s" in result.timings
    denoising = [(s, t) for phase, s, t in steps if phase == "denoising"]
    assert denoising[-1] == (5, 5)  # 2 steps at half size + 3 refinement sigmas at full size


# ---- 5. SDEdit: the strength is the first sigma, the parent's sound is encoded -----------------------
@pytest.mark.parametrize("mode_name", ["video", "retake"])
def test_sdedit_starts_at_the_requested_strength_with_the_real_scheduler(monkeypatch, mode_name):
    # The old tiny scheduler had no dynamic shifting, so the sigmas passed in were used as given.
    from diffusers import FlowMatchEulerDiscreteScheduler

    first: list[float] = []
    original = FlowMatchEulerDiscreteScheduler.step

    def spy(self, model_output, timestep, sample, *args, **kwargs):
        if self.step_index is None or self.step_index == 0:
            first.append(float(self.sigmas[self.step_index or 0]))
        return original(self, model_output, timestep, sample, *args, **kwargs)

    monkeypatch.setattr(FlowMatchEulerDiscreteScheduler, "step", spy)
    backend = backend_for()
    recipe = Recipe("a cat", **{**TINY, "steps": 10}, seconds=0.5, mode=mode_name, source_path="<parent>",
                    strength=0.3, **({"range_from": 0.1, "range_to": 0.3} if mode_name == "retake" else {}))
    run(backend, recipe, parent_clip())
    assert first and first[0] == pytest.approx(0.3, abs=1e-6)
    assert backend.pipe.scheduler.config.use_dynamic_shifting  # the warm model's own scheduler is untouched


def test_video_to_video_starts_from_the_parents_sound_not_from_noise(monkeypatch):
    # The old code passed no audio_latents: the parent's sound never reached the model.
    from diffusers import LTX2Pipeline

    seen: list = []
    original = LTX2Pipeline.__call__

    def spy(self, *args, **kwargs):
        seen.append(kwargs.get("audio_latents"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LTX2Pipeline, "__call__", spy)
    backend = backend_for()
    recipe = Recipe("a cat", **TINY, seconds=0.5, mode="video", source_path="<parent>", strength=0.4)
    run(backend, recipe, parent_clip(tone_hz=440.0))
    run(backend, recipe, parent_clip(tone_hz=3000.0))
    low, high = seen
    assert low is not None and high is not None
    assert float((low - high).abs().max()) > 1e-3  # a different parent sound, different starting latents


# ---- 6. per-version settings --------------------------------------------------------------------
def count_transformer_calls(monkeypatch, backend):
    calls = {"n": 0, "batches": []}
    transformer = backend.pipe.transformer
    original = transformer.forward

    def counted(*args, **kwargs):
        calls["n"] += 1
        calls["batches"].append(int(kwargs["hidden_states"].shape[0]))
        return original(*args, **kwargs)

    monkeypatch.setattr(transformer, "forward", counted)
    return calls


@pytest.fixture(scope="module")
def installed_ltx2(tmp_path_factory):
    """A tiny LTX-2.0 saved in diffusers' layout: loaded through the real model path (not the tiny shortcut)."""
    from diffusers import LTX2Pipeline

    from studio.engine.loading import save_pipeline
    from studio.engine.tiny import build_components

    folder = tmp_path_factory.mktemp("models")
    save_pipeline(LTX2Pipeline(**build_components(version="2.0")), folder / "ltx-2")
    return folder


def installed_backend(monkeypatch, folder, version="2.0"):
    monkeypatch.setenv("KINORA_MODELS", str(folder))
    base = get_model("ltx-2")
    spec = dataclasses.replace(base, options={"version": version}, download_gb=0.01, vram_gb=0.0)
    return backend_for(spec)


@pytest.mark.parametrize("guidance, per_step, batch", [(4.0, 1, 2), (1.0, 1, 1)])
def test_ltx2_0_runs_one_transformer_pass_per_step(monkeypatch, installed_ltx2, guidance, per_step, batch):
    # diffusers' defaults are LTX-2.3's (STG on block 28, a modality pass, audio CFG 7): three passes per step
    # that the 2.0 transformer cannot use. The old tiny model turned them off in its own arguments; a real
    # model loaded from disk got them all (and an unconditional audio half even at guidance 1).
    backend = installed_backend(monkeypatch, installed_ltx2)
    calls = count_transformer_calls(monkeypatch, backend)
    run(backend, Recipe("a cat", **{**TINY, "model_id": "ltx-2", "width": 64, "height": 64, "guidance": guidance},
                        seconds=0.5))
    assert calls["n"] == per_step * 2
    assert set(calls["batches"]) == {batch}


def installed_with_lora(monkeypatch, models, model_id, version, lora_name):
    """A tiny `version` saved as `model_id` with its latent upsampler and a random LoRA file named `lora_name`."""
    from diffusers import LTX2Pipeline
    from peft import LoraConfig, get_peft_model_state_dict

    from studio.engine.loading import save_pipeline
    from studio.engine.tiny import build_components, build_latent_upsampler

    pipe = LTX2Pipeline(**build_components(version=version, distilled=version == "2.5"))
    folder = save_pipeline(pipe, models / model_id)  # the base weights, saved before the LoRA exists
    build_latent_upsampler().save_pretrained(str(folder / "latent_upsampler"), safe_serialization=True)
    pipe.transformer.add_adapter(LoraConfig(r=2, lora_alpha=2, init_lora_weights=False,
                                            target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    LTX2Pipeline.save_lora_weights(folder, transformer_lora_layers=get_peft_model_state_dict(pipe.transformer),
                                   weight_name=lora_name)
    monkeypatch.setenv("KINORA_MODELS", str(models))
    spec = dataclasses.replace(get_model(model_id), options={"version": version, "upscale_above": 48},
                               download_gb=0.01, vram_gb=0.0)
    return backend_for(spec)


def test_a_full_models_refinement_runs_with_its_distilled_lora_and_only_there(monkeypatch, tmp_path):
    # The docs' stage 2 of a full model is its distilled LoRA over 3 sigmas; the old code had no refinement.
    from peft.tuners.tuners_utils import BaseTunerLayer

    backend = installed_with_lora(monkeypatch, tmp_path, "ltx-2", "2.0", "tiny-distilled-lora-384.safetensors")
    transformer = backend.pipe.transformer
    active: list[bool] = []
    original = transformer.forward

    def spy(*args, **kwargs):
        active.append(any(not m.disable_adapters for m in transformer.modules() if isinstance(m, BaseTunerLayer)))
        return original(*args, **kwargs)

    monkeypatch.setattr(transformer, "forward", spy)
    run(backend, Recipe("a cat", **{**TINY, "model_id": "ltx-2", "width": 128, "height": 64}, seconds=0.5))
    assert active == [False, False, True, True, True]  # 2 steps at half size, 3 refinement steps with the LoRA
    run(backend, Recipe("a cat", **{**TINY, "model_id": "ltx-2", "width": 64, "height": 32}, seconds=0.5))
    assert active[5:] == [False, False]  # and off again for a one-stage take


@pytest.mark.parametrize("version, distilled, guidance, per_step, batch", [
    ("2.3", False, 3.0, 3, 2),  # CFG (batched) + STG on a block + the modality-isolation pass
    ("2.3", True, 3.0, 1, 1),  # distilled: unguided, whatever the user asked
])
def test_transformer_passes_per_step_follow_the_version(monkeypatch, version, distilled, guidance, per_step,
                                                          batch):
    # The old tiny model switched every extra pass off in its own call arguments, for every version.
    backend = backend_for(tiny_spec(version, distilled, upscale_above=4096))
    calls = count_transformer_calls(monkeypatch, backend)
    recipe = Recipe("a cat", **{**TINY, "width": 64, "height": 64, "guidance": guidance}, seconds=0.5)
    run(backend, recipe)
    steps = 8 if distilled else 2
    assert calls["n"] == per_step * steps
    assert calls["batches"][0] == batch


def test_distilled_models_use_the_distilled_sigmas_unshifted(monkeypatch):
    from diffusers import FlowMatchEulerDiscreteScheduler

    from studio.engine.backends.ltx2_versions import DISTILLED_SIGMAS

    used: list[list[float]] = []
    original = FlowMatchEulerDiscreteScheduler.set_timesteps

    @functools.wraps(original)  # the pipeline inspects set_timesteps' signature for `sigmas`
    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        used.append([round(float(s), 6) for s in self.sigmas[:-1]])

    monkeypatch.setattr(FlowMatchEulerDiscreteScheduler, "set_timesteps", spy)
    backend = backend_for(tiny_spec("2.3", distilled=True, upscale_above=4096))
    run(backend, Recipe("a cat", **TINY, seconds=0.5))
    assert used[-1] == [round(s, 6) for s in DISTILLED_SIGMAS]


# ---- 8. tiled decode to uint8 is the VAE's own tiled decode --------------------------------------
def test_tiled_uint8_decode_matches_the_vaes_temporal_tiling():
    import torch

    from studio.engine.backends import ltx2_decode
    from studio.engine.tiny import build_components

    vae = build_components(version="2.3")["vae"]
    latents = torch.randn(1, 8, 9, 1, 2, generator=torch.Generator().manual_seed(0))  # 65 frames > one tile
    ours = ltx2_decode.decode_video(vae, latents, 65, 64, 32)
    vae.use_framewise_decoding = True
    vae.tile_sample_min_num_frames, vae.tile_sample_stride_num_frames = ltx2_decode.TILE_FRAMES, ltx2_decode.TILE_STRIDE
    with torch.no_grad():
        reference = vae.decode(latents, None, return_dict=False)[0]
    expected = ((reference[0].float() + 1) * 127.5).clamp(0, 255).add(0.5).to(torch.uint8).permute(1, 2, 3, 0).numpy()
    assert ours.shape == expected.shape == (65, 32, 64, 3)
    assert np.abs(ours.astype(int) - expected.astype(int)).max() <= 1


def test_generated_frames_are_uint8_at_the_requested_size():
    backend = backend_for()
    result = run(backend, Recipe("a cat", **{**TINY, "width": 40, "height": 24}, seconds=0.5))
    assert result.frames.dtype == np.uint8 and result.frames.shape == (12, 24, 40, 3)
    assert result.sample_rate == 48000 and len(result.audio) == 24000


# ---- LTX-2.5: DFR passes ---------------------------------------------------------------------------
def test_ltx2_5_makes_fresh_clips_through_dfr_passes_at_half_and_full_size(monkeypatch):
    from diffusers import LTX2DFRPipeline

    sizes: list[tuple[int, int, int]] = []
    original = LTX2DFRPipeline.__call__

    def spy(self, *args, **kwargs):
        sizes.append((kwargs["width"], kwargs["height"], len(kwargs["sigmas"])))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LTX2DFRPipeline, "__call__", spy)
    backend = backend_for(tiny_spec("2.5"))
    assert backend.pipe.duration_head is not None and backend.pipe.vocoder.config.output_sampling_rate == 48000
    result = run(backend, Recipe("a cat", **{**TINY, "width": 120, "height": 68}, seconds=0.5))
    assert sizes == [(64, 32, 8), (128, 64, 3)]  # 8 distilled sigmas at half size, 3 stage-2 sigmas at full
    assert result.frames.shape == (12, 68, 120, 3) and result.sample_rate == 48000


def test_ltx2_5_runs_its_temporal_refine_round_on_the_shared_bf16_components(monkeypatch):
    import torch
    from diffusers import LTX2DFRTemporalRefinePipeline

    calls: list[str] = []
    rounds: list[dict] = []
    original = LTX2DFRTemporalRefinePipeline.__call__

    def spy(self, *args, **kwargs):
        rounds.append({"fps": kwargs["frame_rate"], "frames": kwargs["num_frames"], "pipe": self})
        calls.append("round")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LTX2DFRTemporalRefinePipeline, "__call__", spy)
    backend = backend_for(tiny_spec("2.5"), plan=MemoryPlan("cpu", "bfloat16", "none", vae_tiling=False))
    transformer = backend.pipe.transformer
    forward = transformer.forward
    monkeypatch.setattr(transformer, "forward", lambda *a, **k: (calls.append("transformer"), forward(*a, **k))[1])
    steps: list[tuple[int, int]] = []
    result = backend.generate(Recipe("a cat", **{**TINY, "width": 120, "height": 68}, seconds=0.5), source=None,
                              progress=lambda stage, done, total, _p: steps.append((done, total)),
                              cancel=CancelToken("test"))
    # 8 + 3 + 4 steps reported once each, in order, whatever the round's tile count.
    assert [done for done, _ in steps[1:]] == [*range(1, 16), 15] and {t for _, t in steps} == {15}
    assert len(rounds) == 1 and rounds[0]["fps"] == 12.0  # the passes before it at half the asked rate
    temporal = rounds[0]["pipe"]
    after_round = calls[calls.index("round") + 1:]
    # One transformer call per sigma per temporal tile (4 round sigmas), all on the one shared transformer.
    assert len(after_round) >= 4 and len(after_round) % 4 == 0 and set(after_round) == {"transformer"}
    assert temporal.transformer is transformer and temporal.vae is backend.pipe.vae
    for name, component in {**backend.pipe.components, "temporal": temporal.temporal_latent_upsampler}.items():
        if isinstance(component, torch.nn.Module):
            assert component.dtype == torch.bfloat16, name
    assert result.frames.shape == (12, 68, 120, 3) and result.sample_rate == 48000
    assert abs(len(result.audio) / 48000 - 0.5) < 1e-3


def test_ltx2_5_with_temporal_rounds_off_skips_the_round(monkeypatch, tmp_path):
    from diffusers import LTX2DFRTemporalRefinePipeline

    monkeypatch.setattr(LTX2DFRTemporalRefinePipeline, "__call__", lambda *a, **k: pytest.fail("round ran"))
    backend = backend_for(tiny_spec("2.5", temporal_rounds=0))
    result = run(backend, Recipe("a cat", **{**TINY, "width": 120, "height": 68}, seconds=0.5))
    assert result.frames.shape == (12, 68, 120, 3)
    backend.location = tmp_path  # a model folder without temporal_latent_upsampler/: no round pipeline at all
    assert backend._temporal() is None


def test_ltx2_5_details_its_full_size_pass_with_the_ic_lora_the_folder_ships(monkeypatch, tmp_path):
    # The recipe's full-size pass runs the detailing IC-LoRA at 0.5 with stage 1's canvas as its reference.
    from diffusers import LTX2DFRPipeline
    from peft.tuners.tuners_utils import BaseTunerLayer

    backend = installed_with_lora(monkeypatch, tmp_path, "ltx-2.5", "2.5",
                                  "tiny-IC-LoRA-Pixel-Spatial-Upscaler.safetensors")
    transformer = backend.pipe.transformer
    active: list[float] = []  # the LoRA's scale on each transformer call, 0 when off
    original = transformer.forward

    def spy(*args, **kwargs):
        layers = [m for m in transformer.modules() if isinstance(m, BaseTunerLayer) and not m.disable_adapters]
        active.append(layers[0].scaling["detailing"] if layers else 0.0)
        return original(*args, **kwargs)

    references: list[bool] = []
    call = LTX2DFRPipeline.__call__
    monkeypatch.setattr(LTX2DFRPipeline, "__call__", lambda self, *a, **k: (
        references.append(k.get("reference_latents") is not None), call(self, *a, **k))[1])
    monkeypatch.setattr(transformer, "forward", spy)
    run(backend, Recipe("a cat", **{**TINY, "model_id": "ltx-2.5", "width": 128, "height": 64}, seconds=0.5))
    assert references == [False, True]
    assert active == [0.0] * 8 + [0.5] * 3  # 8 sigmas at half size without it, 3 at full size with it at 0.5
    run(backend, Recipe("a cat", **{**TINY, "model_id": "ltx-2.5", "width": 64, "height": 32}, seconds=0.5))
    assert active[11:] == [0.0] * 8 and references[2:] == [False]  # off again for a one-stage take


# ---- LTX-2.5: the duration head picks the length when the recipe leaves it on auto ---------------
def test_ltx2_5_asks_its_duration_head_for_the_length_when_it_is_auto():
    import math

    import torch

    from studio.errors import EngineError

    backend = backend_for(tiny_spec("2.5"))
    head = backend.pipe.duration_head
    with torch.no_grad():  # a head that says 1.5 s for any prompt (it is trained in log-seconds)
        head.mlp_out.weight.zero_()
        head.mlp_out.bias.fill_(math.log(1.5))
    auto = Recipe("a cat", **TINY, seconds=20.0, auto_seconds=True)
    result = run(backend, auto)
    assert len(result.frames) == 33  # 1.5 s at 24 fps = 36 frames, snapped to the VAE's 8k+1 grid
    assert len(result.audio) == round(33 / 24 * result.sample_rate)
    assert len(run(backend, auto.replace(seconds=1.0)).frames) == 17  # `seconds` bounds the prediction
    with pytest.raises(EngineError, match="cannot choose a clip's length"):
        run(backend_for(), auto)  # LTX-2.3 has no duration head


# ---- the prompt enhancer, opt-in -----------------------------------------------------------------
class _TinyProcessor:
    """A processor the size of the tiny text encoder: the chat template and tokenizer, no images."""

    def __init__(self, tokenizer):
        tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }} {% endfor %}"
        self.tokenizer = tokenizer

    def __call__(self, text, images=None, return_tensors="pt"):
        return self.tokenizer(text, return_tensors=return_tensors)


def test_the_prompt_enhancer_rewrites_the_prompt_only_when_asked_and_only_where_the_model_has_one(monkeypatch):
    from diffusers import LTX2Pipeline

    from studio.errors import EngineError

    backend = backend_for()
    prompts: list[str] = []
    original = LTX2Pipeline.__call__
    monkeypatch.setattr(LTX2Pipeline, "__call__", lambda self, *a, **k: (prompts.append(k["prompt"]),
                                                                          original(self, *a, **k))[1])
    asked = Recipe("a red ball bounces", **TINY, seconds=0.5, enhance_prompt=True)
    with pytest.raises(EngineError, match="no `processor`.*--enhance-prompt"):
        run(backend, asked)  # the tiny folder has no processor: said before any step runs
    assert prompts == []
    object.__setattr__(backend.pipe, "processor", _TinyProcessor(backend.pipe.tokenizer))
    generate = backend.pipe.text_encoder.generate
    seen: list[str] = []

    def tiny_generate(**kwargs):  # LTX-2.3's Gemma doubles as its enhancer; a short answer keeps the test fast
        seen.append(backend.pipe.tokenizer.decode(kwargs["input_ids"][0], skip_special_tokens=True))
        return generate(**{**kwargs, "max_new_tokens": 8})

    monkeypatch.setattr(backend.pipe.text_encoder, "generate", tiny_generate)
    run(backend, asked)
    assert "a red ball bounces" in seen[0] and "video" in seen[0]  # the user's prompt inside the T2V system prompt
    assert prompts[0] != "a red ball bounces" and prompts[0].strip()
    run(backend, asked.replace(enhance_prompt=False))
    assert prompts[1] == "a red ball bounces" and len(seen) == 1  # off unless asked
