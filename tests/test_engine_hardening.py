"""Engine hardening (issue 16): a weights file missing a tensor is named (diffusers left it on the meta
device, no test removed a key); a remix records the size of the file it made."""

from __future__ import annotations

from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from studio.errors import EngineError


def test_a_weights_file_missing_a_tensor_names_file_key_and_the_pull_command(tmp_path: Path) -> None:
    import torch
    from diffusers import LTX2Pipeline

    from studio.engine.loading import load_pipeline, save_pipeline
    from studio.engine.tiny import build_components

    folder = save_pipeline(LTX2Pipeline(**build_components(seed=0)), tmp_path / "tiny")
    (weights,) = (folder / "vae").glob("*.safetensors")
    tensors = load_file(weights)
    key = sorted(tensors)[0]
    del tensors[key]
    save_file(tensors, weights)
    with pytest.raises(EngineError) as caught:
        load_pipeline(LTX2Pipeline, folder, torch.float32)
    message = str(caught.value)
    assert str(weights) in message and f"'{key}'" in message and "run `kinora models pull" in message.lower()


def test_a_remix_records_the_size_of_the_file_it_made(lib, tmp_path: Path) -> None:
    # Video-to-video keeps the parent's size; the recipe kept the request's (32x32), so a remix of a
    # 1280x720 file said 32x32. The old remix tests used parents of the request's size.
    import numpy as np

    from studio.engine.runner import Runner
    from studio.media.encode import write_clip
    from studio.media.probe import probe
    from studio.recipe import Recipe

    parent = write_clip(np.full((12, 64, 96, 3), 120, np.uint8), None, 24, 48000, tmp_path / "wide.mp4")
    runner = Runner(lib, on_event=lambda event: None)
    take_id = runner.submit(Recipe("", model_id="tiny-random", width=32, height=32, fps=24.0, steps=2,
                                   seconds=0.5, mode="video", source_path=str(parent)))
    runner.run_until_idle()
    take = lib.take(take_id)
    assert take.status == "done", take.error
    info = probe(lib.media_path(lib.media(take.media_id)))
    assert (take.recipe.width, take.recipe.height) == (info.width, info.height) == (96, 64)
