"""Honest install state: a model is installed only when every weights file its indexes name is whole;
`verify` compares sizes and sha256 with the Hub's records (a fake snapshot here: no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.engine.install import (
    HubFile,
    InstallState,
    check_folder,
    read_manifest,
    safetensors_problem,
    sha256_of,
    verify_files,
    write_manifest,
)
from studio.engine.registry import get_model, install_report, is_installed, require_installed
from studio.errors import EngineError


def _tensor_file(path: Path, values: int = 64) -> None:
    import torch
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({"w": torch.arange(values, dtype=torch.float32)}, str(path))


def make_model(folder: Path) -> Path:
    """A diffusers layout like the real repos': a sharded transformer, a single-file VAE, a scheduler."""
    index = {"_class_name": "LTX2Pipeline", "transformer": ["diffusers", "LTX2VideoTransformer3DModel"],
             "vae": ["diffusers", "AutoencoderKLLTX2Video"], "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
             "processor": [None, None]}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model_index.json").write_text(json.dumps(index))
    for shard in ("diffusion_pytorch_model-00001-of-00002.safetensors",
                  "diffusion_pytorch_model-00002-of-00002.safetensors"):
        _tensor_file(folder / "transformer" / shard)
    (folder / "transformer" / "config.json").write_text("{}")
    weight_map = {"a": "diffusion_pytorch_model-00001-of-00002.safetensors",
                  "b": "diffusion_pytorch_model-00002-of-00002.safetensors"}
    (folder / "transformer" / "diffusion_pytorch_model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": 512}, "weight_map": weight_map}))
    _tensor_file(folder / "vae" / "diffusion_pytorch_model.safetensors")
    (folder / "vae" / "config.json").write_text("{}")
    (folder / "scheduler").mkdir()
    (folder / "scheduler" / "scheduler_config.json").write_text("{}")
    return folder


@pytest.fixture
def user_models(tmp_path, monkeypatch):
    monkeypatch.setenv("KINORA_MODELS", str(tmp_path / "models"))
    return tmp_path / "models"


def test_a_complete_model_is_installed(user_models):
    make_model(user_models / "ltx-2")
    report = install_report(get_model("ltx-2"))
    assert report.state is InstallState.INSTALLED and report.problems == ()
    assert is_installed(get_model("ltx-2"))


def test_an_interrupted_download_is_incomplete_not_installed(user_models):
    # Old code only checked that each component folder was non-empty, so a cut shard showed as installed.
    folder = make_model(user_models / "ltx-2")
    shard = folder / "transformer" / "diffusion_pytorch_model-00002-of-00002.safetensors"
    shard.write_bytes(shard.read_bytes()[:-100])
    spec = get_model("ltx-2")
    report = install_report(spec)
    assert report.state is InstallState.INCOMPLETE and not is_installed(spec)
    assert "incomplete: run `kinora models pull ltx-2` again" in report.message("ltx-2")
    assert "00002-of-00002.safetensors has" in report.message("ltx-2")
    with pytest.raises(EngineError, match="incomplete: run `kinora models pull ltx-2` again"):
        require_installed(spec)


def test_a_shard_the_index_names_but_the_disk_lacks_is_incomplete(user_models):
    folder = make_model(user_models / "ltx-2")
    (folder / "transformer" / "diffusion_pytorch_model-00001-of-00002.safetensors").unlink()
    report = check_folder(folder)
    assert report.state is InstallState.INCOMPLETE
    assert report.problems == ("transformer/diffusion_pytorch_model-00001-of-00002.safetensors is missing",)


def test_a_component_without_weights_is_incomplete(user_models):
    folder = make_model(user_models / "ltx-2")
    (folder / "vae" / "diffusion_pytorch_model.safetensors").unlink()
    assert check_folder(folder).problems == ("vae/ has no .safetensors weights",)


def test_a_partial_snapshot_in_the_hugging_face_cache_is_incomplete(tmp_path, monkeypatch):
    import huggingface_hub.constants as hub_constants

    cache = tmp_path / "hub"
    repo = cache / "models--Lightricks--LTX-2"
    snapshot = make_model(repo / "snapshots" / "abc123")
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123")
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(cache))
    spec = get_model("ltx-2")
    assert install_report(spec).state is InstallState.INSTALLED
    (snapshot / "vae" / "diffusion_pytorch_model.safetensors").write_bytes(b"\x08\x00")
    assert install_report(spec).state is InstallState.INCOMPLETE


def test_safetensors_header_gives_the_expected_size(tmp_path):
    path = tmp_path / "w.safetensors"
    _tensor_file(path)
    assert safetensors_problem(path) is None
    path.write_bytes(path.read_bytes() + b"junk")
    assert "has" in safetensors_problem(path)


def test_verify_checks_size_and_sha256_against_the_hub_record(tmp_path):
    folder = make_model(tmp_path / "snap")
    files = [HubFile(str(p.relative_to(folder)), p.stat().st_size, sha256_of(p)) for p in folder.rglob("*.safetensors")]
    files.append(HubFile("model_index.json", (folder / "model_index.json").stat().st_size, None))  # a git file
    write_manifest(folder, "Lightricks/LTX-2", files)
    assert read_manifest(folder) == files
    assert verify_files(folder, files).ok and verify_files(folder, files).checked == len(files)
    vae = folder / "vae" / "diffusion_pytorch_model.safetensors"
    data = bytearray(vae.read_bytes())
    data[-1] ^= 0xFF  # same size, one flipped byte: only the hash can tell
    vae.write_bytes(bytes(data))
    result = verify_files(folder, files)
    assert result.bad == ["vae/diffusion_pytorch_model.safetensors: sha256 differs from the Hub's (the file is damaged)"]
