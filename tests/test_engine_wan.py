"""The video-only family (Wan 2.2 TI2V-5B layout) with a Stable Audio soundtrack, on tiny random components."""

from __future__ import annotations

import numpy as np
import pytest

from studio.cancel import CancelToken
from studio.engine.backends.base import SourceClip
from studio.engine.backends.wan import Soundtrack, WanBackend
from studio.engine.registry import get_model
from studio.recipe import Recipe


def tiny_t5(tokenizer):
    import torch
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    return T5EncoderModel(T5Config(vocab_size=len(tokenizer) + 8, d_model=32, d_kv=8, d_ff=37, num_layers=2,
                                   num_heads=4, pad_token_id=0, decoder_start_token_id=0)).eval()


def tiny_wan_pipe():
    """WanPipeline shaped like Wan 2.2 TI2V-5B (48-channel VAE with patching, expand_timesteps), tiny and seeded."""
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanPipeline, WanTransformer3DModel

    from studio.engine.tiny import build_tokenizer

    tokenizer = build_tokenizer()
    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=48, in_channels=12, out_channels=12, is_residual=True, patch_size=2,
                           latents_mean=[0.0] * 48, latents_std=[1.0] * 48, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           scale_factor_spatial=16, scale_factor_temporal=4, temperal_downsample=[False, True, True])
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12,
                                        in_channels=48, out_channels=48, text_dim=32, freq_dim=256, ffn_dim=32,
                                        num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                                        rope_max_seq_len=32)
    scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)
    return WanPipeline(tokenizer=tokenizer, text_encoder=tiny_t5(tokenizer), vae=vae, scheduler=scheduler,
                       transformer=transformer, expand_timesteps=True)


def tiny_wan_vace_pipe():
    """WanVACEPipeline shaped like Wan 2.1 VACE 1.3B (16-channel Wan 2.1 VAE, 8x spatial; VACE blocks on every
    other layer starting at 0; 96 VACE input channels = 2 x 16 latents + 8 x 8 mask), tiny and seeded."""
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanVACEPipeline, WanVACETransformer3DModel

    from studio.engine.tiny import build_tokenizer

    tokenizer = build_tokenizer()
    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    torch.manual_seed(0)
    transformer = WanVACETransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12,
                                            in_channels=16, out_channels=16, text_dim=32, freq_dim=256, ffn_dim=32,
                                            num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                                            rope_max_seq_len=32, vace_layers=[0], vace_in_channels=96)
    scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)
    return WanVACEPipeline(tokenizer=tokenizer, text_encoder=tiny_t5(tokenizer), vae=vae, scheduler=scheduler,
                           transformer=transformer)


def tiny_stable_audio_pipe():
    import torch
    from diffusers import (
        AutoencoderOobleck,
        CosineDPMSolverMultistepScheduler,
        StableAudioDiTModel,
        StableAudioPipeline,
        StableAudioProjectionModel,
    )

    from studio.engine.tiny import build_tokenizer

    tokenizer = build_tokenizer()
    tokenizer.model_max_length = 16
    torch.manual_seed(0)
    transformer = StableAudioDiTModel(sample_size=64, in_channels=3, num_layers=2, attention_head_dim=4,
                                      num_key_value_attention_heads=2, out_channels=3, cross_attention_dim=4,
                                      time_proj_dim=8, global_states_input_dim=8, cross_attention_input_dim=4)
    scheduler = CosineDPMSolverMultistepScheduler(solver_order=2, prediction_type="v_prediction", sigma_data=1.0,
                                                  sigma_schedule="exponential")
    torch.manual_seed(0)
    vae = AutoencoderOobleck(encoder_hidden_size=6, downsampling_ratios=[1, 2], decoder_channels=3,
                             decoder_input_channels=3, audio_channels=2, channel_multiples=[2, 4], sampling_rate=4)
    text_encoder = tiny_t5(tokenizer)
    torch.manual_seed(0)
    projection = StableAudioProjectionModel(text_encoder_dim=32, conditioning_dim=4, min_value=0, max_value=32)
    return StableAudioPipeline(vae=vae, text_encoder=text_encoder, projection_model=projection, tokenizer=tokenizer,
                               transformer=transformer, scheduler=scheduler)


@pytest.fixture(scope="module")
def backend():
    import dataclasses

    spec = get_model("wan-2.2-ti2v-5b")
    audio_spec = dataclasses.replace(get_model("stable-audio-open-1.0"), default_steps=2)
    return WanBackend(spec, tiny_wan_pipe(), Soundtrack(audio_spec, tiny_stable_audio_pipe()))


WAN = dict(model_id="wan-2.2-ti2v-5b", width=32, height=32, fps=24.0, steps=2, seed=3)


def test_text_to_video_gets_a_soundtrack_of_the_clips_length(backend):
    steps = []
    result = backend.generate(Recipe("a red ball", seconds=0.5, **WAN), source=None,
                              progress=lambda phase, step, total, preview: steps.append((phase, step, preview)),
                              cancel=CancelToken())
    assert result.frames.shape == (12, 32, 32, 3) and result.frames.dtype == np.uint8
    assert result.audio.shape == (round(0.5 * result.sample_rate), 2)
    assert [s[1] for s in steps if s[0] == "denoising"] == [1, 2]
    preview = next(s[2] for s in steps if s[0] == "denoising")
    assert preview().shape[2] == 3  # Wan latents are unpacked (B, C, F, H, W)


def test_extend_appends_new_frames_after_the_parent(backend, tmp_path):
    parent = np.full((12, 32, 32, 3), 90, np.uint8)
    source = SourceClip(parent, np.zeros((24000, 2), np.float32), 48000, 24.0)
    result = backend.generate(Recipe("more", seconds=0.5, mode="extend", source_path="x.mp4", **WAN), source=source,
                              progress=lambda *a: None, cancel=CancelToken())
    assert len(result.frames) == 24
    np.testing.assert_array_equal(result.frames[:12], parent)
    assert len(result.audio) == round(1.0 * result.sample_rate)


def test_cancel_stops_a_wan_run(backend):
    from studio.errors import Cancelled

    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        backend.generate(Recipe("x", seconds=0.5, **WAN), source=None, progress=lambda *a: None, cancel=token)


def test_a_vace_model_conditions_on_a_subject_reference_and_ti2v_says_it_cannot(backend, tmp_path, monkeypatch):
    import dataclasses

    from diffusers import WanVACEPipeline
    from PIL import Image

    from studio.errors import EngineError

    audio_spec = dataclasses.replace(get_model("stable-audio-open-1.0"), default_steps=2)
    vace = WanBackend(get_model("wan-2.1-vace-1.3b"), tiny_wan_vace_pipe(), Soundtrack(audio_spec, tiny_stable_audio_pipe()))
    still = np.full((48, 40, 3), 230, np.uint8)
    still[10:30, 12:28] = 25  # a face-sized block in the middle
    Image.fromarray(still).save(tmp_path / "still.png")
    seen = []
    original = WanVACEPipeline.preprocess_conditions

    def spy(self, video=None, mask=None, reference_images=None, *args, **kwargs):
        seen.append(reference_images)
        return original(self, video, mask, reference_images, *args, **kwargs)

    monkeypatch.setattr(WanVACEPipeline, "preprocess_conditions", spy)
    request = dict(WAN, model_id="wan-2.1-vace-1.3b")
    take = vace.generate(Recipe("@alice waves", seconds=0.5, mode="reference", image=str(tmp_path / "still.png"),
                                **request), source=None, progress=lambda *a: None, cancel=CancelToken())
    plain = vace.generate(Recipe("@alice waves", seconds=0.5, **request), source=None, progress=lambda *a: None,
                          cancel=CancelToken())
    assert take.frames.shape == (12, 32, 32, 3) and take.audio.shape == (round(0.5 * take.sample_rate), 2)
    # The still's own pixels reach the VACE conditioning; text mode passes none.
    [reference], none = seen
    assert none is None and np.array_equal(np.asarray(reference), still)
    # The reference is a latent frame of its own beside the clip's (trimmed before decoding): same seed and
    # prompt, different pictures. (Tiny random weights barely look at its content, so only that is asserted.)
    assert np.abs(take.frames.astype(int) - plain.frames.astype(int)).mean() > 1
    with pytest.raises(EngineError, match="no VACE weights"):
        backend.generate(Recipe("@alice waves", seconds=0.5, mode="reference", image=str(tmp_path / "still.png"),
                                **WAN), source=None, progress=lambda *a: None, cancel=CancelToken())


def test_a_bf16_wan_pipeline_stays_bf16_after_image_to_video():
    # The tiny Wan was float32, the dtype from_pipe converted the shared components to: nothing could show it.
    import dataclasses

    import torch

    pipe = tiny_wan_pipe().to(dtype=torch.bfloat16)
    audio_spec = dataclasses.replace(get_model("stable-audio-open-1.0"), default_steps=2)
    bf16 = WanBackend(get_model("wan-2.2-ti2v-5b"), pipe, Soundtrack(audio_spec, tiny_stable_audio_pipe()))
    source = SourceClip(np.full((12, 32, 32, 3), 90, np.uint8), None, 48000, 24.0)
    bf16.generate(Recipe("more", seconds=0.5, mode="extend", source_path="x.mp4", **WAN), source=source,
                  progress=lambda *a: None, cancel=CancelToken())
    assert pipe.transformer.dtype == torch.bfloat16 and pipe.text_encoder.dtype == torch.bfloat16
