"""Tiny LTX-2 models: the real pipeline classes and the real configurations at tiny width, random weights.

They make noise, and their names say so. They exist so the whole generation flow (tokenizer, text encoder,
joint audio/video transformer, both VAEs, vocoder, scheduler, latent upsampler) runs offline, in tests and on
machines without weights. What a test model must keep from the real one is everything a bug can live in,
so only widths and depths are shrunk (sources: diffusers' `scripts/convert_ltx2_to_diffusers.py`):

- the scheduler config of the real repository (dynamic shifting with a terminal shift for the full models,
  unshifted for distilled ones), from `ltx2_versions`;
- the video VAE's compression: patch size 4 and the real down/upsample block types, so sizes are multiples
  of 32 and frame counts 8k+1, and the latent upsampler needs multiples of 32 at half size as the real one;
- the audio path: 16 kHz mel at hop 160, 4x audio latent compression, the vocoder's real output rate
  (LTX-2.0 24 kHz, LTX-2.3/2.5 48 kHz through the bandwidth extender);
- the per-version transformer flags (2.0 has no perturbed attention, 2.3 gated attention and STG, 2.5 the
  keyframe position embedding and a duration head);
- the dtype, when a test asks for bfloat16.

Weights are seeded, so two builds are identical. The text encoder stays a tiny Gemma 3 for every version
(LTX-2.5's is Gemma 4; the DFR pipeline accepts either): not faithful there, and said so here.
"""

from __future__ import annotations

from typing import Any

from studio.engine.backends.ltx2_versions import LTX2Version, ltx2_version

# A small English vocabulary: words outside it become <unk>, which is fine for random weights.
_WORDS = (
    "a an the and or of in on at to with from by for under over into near is are was its this that "
    "red green blue yellow orange purple black white gray golden silver dark bright "
    "ball cat dog bird horse car boat train city street forest river ocean sea sky sun moon rain snow "
    "man woman child girl boy people face hand eye camera light shadow fire water wind tree flower "
    "bounces runs walks flies jumps dances falls rolls spins swims drives glows shines moves slowly fast "
    "wooden floor table room house window door wall road mountain beach field desert night day morning "
    "close-up wide shot slow motion cinematic realistic anime claymation 3d style film photo video"
).split()
_SPECIALS = ("<pad>", "<eos>", "<bos>", "<unk>")

TEXT_HIDDEN_SIZE = 32
TEXT_LAYERS = 2
LATENT_CHANNELS = 8
AUDIO_SAMPLE_RATE = 16000  # the audio VAE's mel rate, as in every real LTX-2 (the vocoder outputs 24 or 48 kHz)
MEL_BINS = 16
AUDIO_LATENT_CHANNELS = 2
VIDEO_DIM, AUDIO_DIM = 16, 8  # transformer widths (cross-attention dims)


def build_tokenizer() -> Any:
    """A word-level tokenizer made in code, wrapped in PreTrainedTokenizerFast (no download)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {word: index for index, word in enumerate(_SPECIALS + tuple(dict.fromkeys(_WORDS)))}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.normalizer = normalizers.Lowercase()
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>", unk_token="<unk>",
        model_max_length=256,
    )


def build_text_encoder(vocab_size: int) -> Any:
    """A Gemma3 text encoder of hidden size 32 (with the smallest vision tower the class accepts)."""
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration

    config = Gemma3Config(
        text_config={
            "hidden_size": TEXT_HIDDEN_SIZE, "intermediate_size": 64, "num_hidden_layers": TEXT_LAYERS,
            "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16,
            "vocab_size": vocab_size + 8, "max_position_embeddings": 512, "sliding_window": 64,
        },
        vision_config={
            "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
            "image_size": 28, "patch_size": 14,
        },
        mm_tokens_per_image=4,
        image_token_index=vocab_size + 4,
    )
    return Gemma3ForConditionalGeneration(config).eval()


def _video_vae(spec: LTX2Version) -> Any:
    """The real block layout (32x spatial, 8x temporal) with 8 channels everywhere and one layer per block."""
    from diffusers import AutoencoderKLLTX2Video

    common = dict(
        in_channels=3, out_channels=3, latent_channels=LATENT_CHANNELS, block_out_channels=(8, 8, 8, 8),
        down_block_types=("LTX2VideoDownBlock3D",) * 4, layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, True, True),
        downsample_type=("spatial", "temporal", "spatiotemporal", "spatiotemporal"),
        timestep_conditioning=False, patch_size=4, patch_size_t=1, resnet_norm_eps=1e-6,
        encoder_causal=True, decoder_causal=False, encoder_spatial_padding_mode="zeros",
        spatial_compression_ratio=32, temporal_compression_ratio=8,
    )
    if spec.version == "2.0":
        return AutoencoderKLLTX2Video(
            **common, decoder_block_out_channels=(8, 16, 32), decoder_layers_per_block=(1, 1, 1, 1),
            decoder_spatio_temporal_scaling=(True, True, True), decoder_inject_noise=(False,) * 4,
            upsample_type=("spatiotemporal",) * 3, upsample_residual=(True, True, True), upsample_factor=(2, 2, 2),
            decoder_spatial_padding_mode="reflect")
    return AutoencoderKLLTX2Video(
        **common, decoder_block_out_channels=(8, 16, 16, 32), decoder_layers_per_block=(1, 1, 1, 1, 1),
        decoder_spatio_temporal_scaling=(True,) * 4, decoder_inject_noise=(False,) * 5,
        upsample_type=("spatiotemporal", "spatiotemporal", "temporal", "spatial"), upsample_residual=(False,) * 4,
        upsample_factor=(2, 2, 1, 2), decoder_spatial_padding_mode="zeros")


def _audio_vae() -> Any:
    from diffusers import AutoencoderKLLTX2Audio

    # ch_mult of three levels: 4x compression in time and mel bins, as the real (1, 2, 4); base_channels is also
    # the size of its latent statistics (latent channels x latent mel bins), as the real 128 = 8 x 16.
    return AutoencoderKLLTX2Audio(
        base_channels=AUDIO_LATENT_CHANNELS * MEL_BINS // 4, output_channels=2, ch_mult=(1, 2, 4), num_res_blocks=1, attn_resolutions=None,
        in_channels=2, resolution=32, latent_channels=AUDIO_LATENT_CHANNELS, norm_type="pixel",
        causality_axis="height", dropout=0.0, mid_block_add_attention=False, sample_rate=AUDIO_SAMPLE_RATE,
        mel_hop_length=160, is_causal=True, mel_bins=MEL_BINS, double_z=True,
    )


def _vocoder(spec: LTX2Version) -> Any:
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder, LTX2VocoderWithBWE

    mel_in = 2 * MEL_BINS  # stereo x mel bins; channels halve at every upsample stage
    if spec.vocoder_rate == 24000:
        # 100 mel frames/s x 240 = 24 kHz, as LTX-2.0's vocoder (its 6*5*2*2*2 upsampling in three stages).
        return LTX2Vocoder(
            in_channels=mel_in, hidden_channels=16, out_channels=2, upsample_kernel_sizes=[12, 11, 16],
            upsample_factors=[6, 5, 8], resnet_kernel_sizes=[3], resnet_dilations=[[1, 3, 5]],
            act_fn="leaky_relu", leaky_relu_negative_slope=0.1, antialias=False, final_act_fn="tanh",
            final_bias=True, output_sampling_rate=24000)
    # 16 kHz from 160 x 100 frames/s, then the bandwidth extender (x240 over its hop-80 mel) to 48 kHz, as
    # LTX-2.3/2.5's vocoder (5*2^5 and 6*5*2*2*2 upsampling there, in fewer stages here).
    return LTX2VocoderWithBWE(
        in_channels=mel_in, hidden_channels=16, out_channels=2, upsample_kernel_sizes=[20, 32],
        upsample_factors=[10, 16], resnet_kernel_sizes=[3], resnet_dilations=[[1, 3, 5]],
        bwe_in_channels=2 * MEL_BINS, bwe_hidden_channels=16, bwe_out_channels=2,
        bwe_upsample_kernel_sizes=[12, 11, 16], bwe_upsample_factors=[6, 5, 8],
        bwe_resnet_kernel_sizes=[3], bwe_resnet_dilations=[[1, 3, 5]], num_mel_channels=MEL_BINS,
        filter_length=512, hop_length=80, window_length=512, input_sampling_rate=16000, output_sampling_rate=48000)


def build_components(seed: int = 0, *, version: str = "2.3", distilled: bool = False,
                     dtype: Any = None) -> dict[str, Any]:
    """Every component an LTX-2 pipeline of `version` takes, tiny and seeded (identical for the same seed).

    `dtype` (e.g. torch.bfloat16) casts every model, as `from_pretrained(dtype=...)` would.
    """
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, LTX2VideoTransformer3DModel
    from diffusers.pipelines.ltx2 import LTX2TextConnectors

    spec = ltx2_version({"version": version, "distilled": distilled})
    tokenizer = build_tokenizer()
    torch.manual_seed(seed)
    text_encoder = build_text_encoder(len(tokenizer))
    audio_in = AUDIO_LATENT_CHANNELS * (MEL_BINS // 4)
    torch.manual_seed(seed)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=LATENT_CHANNELS, out_channels=LATENT_CHANNELS, patch_size=1, patch_size_t=1,
        num_attention_heads=2, attention_head_dim=8, cross_attention_dim=VIDEO_DIM,
        audio_in_channels=audio_in, audio_out_channels=audio_in, audio_num_attention_heads=2,
        audio_attention_head_dim=4, audio_cross_attention_dim=AUDIO_DIM, num_layers=2,
        qk_norm="rms_norm_across_heads", caption_channels=TEXT_HIDDEN_SIZE, rope_double_precision=False,
        rope_type="split", **spec.transformer_flags,
    )
    torch.manual_seed(seed)
    # 2.0: both connectors work at the text width; 2.3/2.5 project per modality to the transformer's widths.
    per_modality = spec.version != "2.0"
    video_heads, audio_heads = ((2, 8), (2, 4)) if per_modality else ((4, 8), (4, 8))
    connectors = LTX2TextConnectors(
        caption_channels=TEXT_HIDDEN_SIZE, text_proj_in_factor=TEXT_LAYERS + 1,
        video_connector_num_attention_heads=video_heads[0], video_connector_attention_head_dim=video_heads[1],
        video_connector_num_layers=1, video_connector_num_learnable_registers=None, video_gated_attn=per_modality,
        audio_connector_num_attention_heads=audio_heads[0], audio_connector_attention_head_dim=audio_heads[1],
        audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None, audio_gated_attn=per_modality,
        connector_rope_base_seq_len=32, rope_theta=10000.0, rope_double_precision=False,
        causal_temporal_positioning=False, rope_type="split", per_modality_projections=per_modality,
        video_hidden_dim=VIDEO_DIM, audio_hidden_dim=AUDIO_DIM, proj_bias=per_modality,
    )
    torch.manual_seed(seed)
    vae = _video_vae(spec)
    torch.manual_seed(seed)
    audio_vae = _audio_vae()
    torch.manual_seed(seed)
    vocoder = _vocoder(spec)
    components: dict[str, Any] = {
        "scheduler": FlowMatchEulerDiscreteScheduler(**spec.scheduler), "vae": vae, "audio_vae": audio_vae,
        "text_encoder": text_encoder, "tokenizer": tokenizer, "connectors": connectors,
        "transformer": transformer, "vocoder": vocoder,
    }
    if spec.has_duration_head:
        from diffusers.pipelines.ltx2.duration_head import LTX2DurationHead

        torch.manual_seed(seed)
        components["duration_head"] = LTX2DurationHead(
            video_cross_attention_dim=VIDEO_DIM, audio_cross_attention_dim=AUDIO_DIM, pooler_hidden_dim=16,
            num_queries=1, num_pooler_heads=2, mlp_hidden_dim=16)
    if dtype is not None:
        for value in components.values():
            if isinstance(value, torch.nn.Module):
                value.to(dtype)
    return components


def build_latent_upsampler(seed: int = 0, dtype: Any = None) -> Any:
    """A tiny 2x spatial latent upsampler for the tiny VAE's latent channels (the real class and layout)."""
    import torch
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    torch.manual_seed(seed)
    model = LTX2LatentUpsamplerModel(in_channels=LATENT_CHANNELS, mid_channels=32, num_blocks_per_stage=1)
    return model.to(dtype) if dtype is not None else model


def build_temporal_upsampler(seed: int = 0, dtype: Any = None) -> Any:
    """A tiny x2 temporal latent upsampler (LTX-2.5's temporal refine rounds; the real class, temporal only)."""
    import torch
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    torch.manual_seed(seed)
    model = LTX2LatentUpsamplerModel(in_channels=LATENT_CHANNELS, mid_channels=32, num_blocks_per_stage=1,
                                     spatial_upsample=False, temporal_upsample=True)
    return model.to(dtype) if dtype is not None else model
