"""The `tiny-random` model: the real LTX-2 pipeline classes built from tiny configs with random weights.

It makes noise, and its name says so. It exists so the whole generation flow (tokenizer, text
encoder, joint audio/video transformer, both VAEs, vocoder, scheduler) runs offline, in tests and
on machines without weights. Weights are seeded, so two builds are identical.
"""

from __future__ import annotations

from typing import Any

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
AUDIO_SAMPLE_RATE = 16000


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


def build_components(seed: int = 0) -> dict[str, Any]:
    """Every component an LTX-2 pipeline takes, tiny and seeded (identical for the same seed)."""
    import torch
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder

    tokenizer = build_tokenizer()
    torch.manual_seed(seed)
    text_encoder = build_text_encoder(len(tokenizer))
    torch.manual_seed(seed)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4, out_channels=4, patch_size=1, patch_size_t=1,
        num_attention_heads=2, attention_head_dim=8, cross_attention_dim=16,
        audio_in_channels=4, audio_out_channels=4, audio_num_attention_heads=2, audio_attention_head_dim=4,
        audio_cross_attention_dim=8, num_layers=2, qk_norm="rms_norm_across_heads",
        caption_channels=TEXT_HIDDEN_SIZE, rope_double_precision=False, rope_type="split",
    )
    torch.manual_seed(seed)
    connectors = LTX2TextConnectors(
        caption_channels=TEXT_HIDDEN_SIZE, text_proj_in_factor=TEXT_LAYERS + 1,
        video_connector_num_attention_heads=4, video_connector_attention_head_dim=8, video_connector_num_layers=1,
        video_connector_num_learnable_registers=None,
        audio_connector_num_attention_heads=4, audio_connector_attention_head_dim=8, audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32, rope_theta=10000.0, rope_double_precision=False,
        causal_temporal_positioning=False, rope_type="split",
    )
    torch.manual_seed(seed)
    vae = AutoencoderKLLTX2Video(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8,), decoder_block_out_channels=(8,),
        layers_per_block=(1,), decoder_layers_per_block=(1, 1), spatio_temporal_scaling=(True,),
        decoder_spatio_temporal_scaling=(True,), decoder_inject_noise=(False, False), downsample_type=("spatiotemporal",),
        upsample_residual=(False,), upsample_factor=(1,), timestep_conditioning=False, patch_size=1, patch_size_t=1,
        encoder_causal=True, decoder_causal=False,
    )
    torch.manual_seed(seed)
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4, output_channels=2, ch_mult=(1,), num_res_blocks=1, attn_resolutions=None, in_channels=2,
        resolution=32, latent_channels=2, norm_type="pixel", causality_axis="height", dropout=0.0,
        mid_block_add_attention=False, sample_rate=AUDIO_SAMPLE_RATE, mel_hop_length=160, is_causal=True, mel_bins=8,
    )
    torch.manual_seed(seed)
    # Upsampling by 4*4*10 = 160 = the mel hop, so the waveform lasts as long as the clip.
    vocoder = LTX2Vocoder(
        in_channels=2 * 8, hidden_channels=32, out_channels=2, upsample_kernel_sizes=[8, 8, 20],
        upsample_factors=[4, 4, 10], resnet_kernel_sizes=[3], resnet_dilations=[[1, 3, 5]],
        leaky_relu_negative_slope=0.1, output_sampling_rate=AUDIO_SAMPLE_RATE,
    )
    return {
        "scheduler": FlowMatchEulerDiscreteScheduler(), "vae": vae, "audio_vae": audio_vae,
        "text_encoder": text_encoder, "tokenizer": tokenizer, "connectors": connectors,
        "transformer": transformer, "vocoder": vocoder,
    }


def build_latent_upsampler(seed: int = 0) -> Any:
    """A tiny 2x spatial latent upsampler for the tiny VAE's 4 latent channels."""
    import torch
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    torch.manual_seed(seed)
    return LTX2LatentUpsamplerModel(in_channels=4, mid_channels=32, num_blocks_per_stage=1)
