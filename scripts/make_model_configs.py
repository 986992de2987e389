"""Write studio/engine/model_configs/<Repo>/... from diffusers' own LTX-2 conversion script (no weights, no network).

The Hub repositories cannot be read from the machines Kinora is built on, so their config files are
made the way the Hub's were made: diffusers' `scripts/convert_ltx2_to_diffusers.py` (pass its path;
the shipped files came from huggingface/diffusers commit 58eb52c080) declares each component's config
per version, each component is built from it on the meta device and its config written by diffusers'
own `save_config`, exactly what `save_pretrained` writes next to the weights. The text encoders'
configs are the published Gemma configs (see TEXT_ENCODERS below for their sources).

    .venv/bin/python scripts/make_model_configs.py --convert-script /path/to/convert_ltx2_to_diffusers.py
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "studio" / "engine" / "model_configs"

# Repo folder -> (converter version, distilled, pipeline class, text encoder key, latent upsampler version).
REPOS: dict[str, tuple[str, bool, str, str, str]] = {
    "LTX-2": ("2.0", False, "LTX2Pipeline", "gemma3", "2.0"),
    "LTX-2-19b-distilled": ("2.0", True, "LTX2Pipeline", "gemma3", "2.0"),
    "LTX-2.3-Diffusers": ("2.3", False, "LTX2Pipeline", "gemma3", "2.3"),
    "LTX-2.3-Distilled-Diffusers": ("2.3", True, "LTX2Pipeline", "gemma3", "2.3"),
    # The converter has no 2.5 upsampler config; the 2.5 repo ships one (diffusers docs) whose config is
    # taken to be 2.3's (same VAE latent space, byte-identical encoder): NOT confirmed from a published file.
    "LTX-2.5-Diffusers": ("2.5", True, "LTX2Pipeline", "gemma4", "2.3"),
}


def _load_converter(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("convert_ltx2", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.argv = [str(path)]
    spec.loader.exec_module(module)
    return module


def _text_encoder_config(key: str) -> dict[str, Any]:
    return json.loads((Path(__file__).with_name("model_config_sources") / f"{key}.json").read_text())


def _save(obj: Any, folder: Path) -> tuple[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    obj.save_config(str(folder))
    module = type(obj).__module__
    library = module.split(".")[2] if module.startswith("diffusers.pipelines.") else module.split(".")[0]
    return library, type(obj).__name__


def write_repo(conv: Any, name: str) -> None:
    import torch
    from accelerate import init_empty_weights
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2LatentUpsamplerModel, LTX2TextConnectors, LTX2Vocoder, LTX2VocoderWithBWE

    version, distilled, pipeline, encoder, upsampler_version = REPOS[name]
    root = OUT / name
    index: dict[str, Any] = {"_class_name": pipeline, "_diffusers_version": "0.42.1"}
    text_config = _text_encoder_config(encoder)
    with init_empty_weights(), torch.device("meta"):
        index["transformer"] = _save(LTX2VideoTransformer3DModel.from_config(
            conv.get_ltx2_transformer_config(version)[0]["diffusers_config"]), root / "transformer")
        gemma_text = None
        if version == "2.5":
            from transformers import Gemma4UnifiedConfig

            gemma_text = Gemma4UnifiedConfig(**text_config).text_config
        index["connectors"] = _save(LTX2TextConnectors.from_config(
            conv.get_ltx2_connectors_config(version, gemma_text)[0]["diffusers_config"]), root / "connectors")
        index["vae"] = _save(AutoencoderKLLTX2Video.from_config(
            conv.get_ltx2_video_vae_config(version)[0]["diffusers_config"]), root / "vae")
        index["audio_vae"] = _save(AutoencoderKLLTX2Audio.from_config(
            conv.get_ltx2_audio_vae_config(version)[0]["diffusers_config"]), root / "audio_vae")
        vocoder_cls = LTX2VocoderWithBWE if version in ("2.3", "2.5") else LTX2Vocoder
        index["vocoder"] = _save(vocoder_cls.from_config(
            conv.get_ltx2_vocoder_config(version)[0]["diffusers_config"]), root / "vocoder")
        index["latent_upsampler"] = _save(LTX2LatentUpsamplerModel(
            **conv.get_ltx2_spatial_latent_upsampler_config(upsampler_version)), root / "latent_upsampler")
    # The converter's two schedulers: distilled checkpoints use their sigmas as given.
    shift = dict(use_dynamic_shifting=False, shift_terminal=None) if distilled else dict(
        use_dynamic_shifting=True, shift_terminal=0.1)
    index["scheduler"] = _save(FlowMatchEulerDiscreteScheduler(
        base_shift=0.95, max_shift=2.05, base_image_seq_len=1024, max_image_seq_len=4096, **shift), root / "scheduler")
    (root / "text_encoder").mkdir(parents=True, exist_ok=True)
    (root / "text_encoder" / "config.json").write_text(json.dumps(text_config, indent=2, sort_keys=True) + "\n")
    arch = text_config["architectures"][0]
    index["text_encoder"] = ["transformers", arch]
    index["tokenizer"] = ["transformers", "GemmaTokenizerFast"]
    (root / "model_index.json").write_text(json.dumps(dict(sorted(index.items())), indent=2) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--convert-script", type=Path, required=True)
    args = parser.parse_args()
    conv = _load_converter(args.convert_script)
    for name in REPOS:
        write_repo(conv, name)
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
