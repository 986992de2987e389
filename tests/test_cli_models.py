"""`kinora models plan|list|verify|delete|pull` offline: plans from the shipped configs, fake snapshots, a fake Hub."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from studio.cancel import CancelToken
from studio.cli import main
from studio.engine.install import HubFile, sha256_of, write_manifest
from studio.engine.registry import get_model
from studio.errors import Cancelled, EngineError
from tests.test_engine_install import make_model

DOC = Path(__file__).resolve().parents[1] / "docs" / "memory-plans.md"
MODELS = ["ltx-2.5", "ltx-2.3", "ltx-2.3-distilled", "ltx-2", "ltx-2-distilled"]
CARDS = ["--vram", "16", "--vram", "24", "--vram", "48", "--vram", "80", "--vram", "141"]


def test_plan_prints_the_plan_peak_vram_and_host_ram(capsys):
    assert main(["models", "plan", "ltx-2", "--vram", "24", "--ram", "128", "--json"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert result["plan"] == "fp8_model_offload"
    chosen = next(p for p in result["policies"] if p["policy"] == result["plan"])
    assert chosen["fits"] and chosen["peak_vram_gb"] < result["usable_vram_gb"] and chosen["host_ram_gb"] > 60
    assert main(["models", "plan", "ltx-2", "--vram", "24"]) == 0
    text = capsys.readouterr().out
    assert "plan fp8_model_offload, peak VRAM ~" in text and "host RAM ~" in text


def test_plan_marks_a_machine_without_enough_ram(capsys):
    assert main(["models", "plan", "ltx-2", "--vram", "80", "--ram", "32", "--json"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert not any(p["fits"] for p in result["policies"])  # 64 GiB of bf16 weights pass through host RAM


def test_the_docs_table_is_what_the_plan_command_prints(capsys):
    assert main(["models", "plan", *MODELS, *CARDS, "--size", "768x512", "--frames", "121", "--markdown"]) == 0
    table = capsys.readouterr().out.strip()
    assert table in DOC.read_text(encoding="utf-8"), "docs/memory-plans.md is stale: rerun the command it names"
    assert len(re.findall(r"^\| ltx", table, flags=re.M)) == len(MODELS) * 5


def test_list_shows_missing_incomplete_and_installed(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("KINORA_MODELS", str(tmp_path / "models"))
    folder = make_model(tmp_path / "models" / "ltx-2")
    shard = folder / "transformer" / "diffusion_pytorch_model-00001-of-00002.safetensors"
    shard.write_bytes(shard.read_bytes()[:40])
    make_model(tmp_path / "models" / "ltx-2.3")
    assert main(["models", "list", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert (rows["ltx-2"]["state"], rows["ltx-2.3"]["state"], rows["ltx-2.5"]["state"]) == (
        "incomplete", "installed", "missing")
    assert rows["tiny-random"]["state"] == "built-in"
    assert rows["ltx-2.5"]["params_b"] == pytest.approx(35.5, abs=0.1)  # counted from the shipped configs
    assert main(["models", "list"]) == 0
    assert "incomplete: run `kinora models pull ltx-2` again" in capsys.readouterr().out


def test_verify_passes_then_names_a_damaged_file(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("KINORA_MODELS", str(tmp_path / "models"))
    folder = make_model(tmp_path / "models" / "ltx-2")
    files = [HubFile(str(p.relative_to(folder)), p.stat().st_size, sha256_of(p)) for p in folder.rglob("*.safetensors")]
    write_manifest(folder, "Lightricks/LTX-2", files)
    assert main(["models", "verify", "ltx-2"]) == 0
    assert f"all {len(files)} files match" in capsys.readouterr().out
    vae = folder / "vae" / "diffusion_pytorch_model.safetensors"
    data = bytearray(vae.read_bytes())
    data[-1] ^= 1
    vae.write_bytes(bytes(data))
    assert main(["models", "verify", "ltx-2"]) == 1
    assert "vae/diffusion_pytorch_model.safetensors: sha256 differs" in capsys.readouterr().out


def _fake_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: Path) -> tuple[list[HubFile], Path]:
    """A Hub that serves `source`'s files into an HF-cache-like snapshot, reporting bytes through tqdm."""
    import huggingface_hub.constants as hub_constants

    import studio.engine.pull as pull_module

    cache = tmp_path / "hub"
    snapshot = cache / "models--Lightricks--LTX-2" / "snapshots" / "abc"
    (cache / "models--Lightricks--LTX-2" / "refs").mkdir(parents=True)
    (cache / "models--Lightricks--LTX-2" / "refs" / "main").write_text("abc")
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(cache))
    files = [HubFile(str(p.relative_to(source)), p.stat().st_size, sha256_of(p) if p.suffix == ".safetensors" else None)
             for p in sorted(source.rglob("*")) if p.is_file()]

    def download(repo, path, tqdm_class=None):
        data = (source / path).read_bytes()
        bar = tqdm_class(total=len(data))
        target = snapshot / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        bar.update(len(data))
        return str(target)

    monkeypatch.setattr(pull_module, "hf_hub_download", download, raising=False)
    monkeypatch.setattr("huggingface_hub.hf_hub_download", download)
    return files, snapshot


def test_pull_reports_progress_verifies_and_records_the_manifest(tmp_path, monkeypatch):
    from studio.engine.install import read_manifest
    from studio.engine.pull import pull

    files, snapshot = _fake_hub(tmp_path, monkeypatch, make_model(tmp_path / "source"))
    seen = []
    assert pull(get_model("ltx-2"), seen.append, CancelToken("download"), files=files) == snapshot
    assert seen[-1].phase == "done" and seen[-1].done_bytes == seen[-1].total_bytes == sum(f.size for f in files)
    assert "verifying" in {p.phase for p in seen}
    assert read_manifest(snapshot) == files


def test_pull_can_be_canceled_and_resumed(tmp_path, monkeypatch):
    from studio.engine.pull import pull

    files, snapshot = _fake_hub(tmp_path, monkeypatch, make_model(tmp_path / "source"))
    token = CancelToken("download")
    token.cancel()
    with pytest.raises(Cancelled):
        pull(get_model("ltx-2"), lambda p: None, token, files=files)
    assert pull(get_model("ltx-2"), lambda p: None, CancelToken("download"), files=files) == snapshot


def test_pull_checks_free_disk_space_first(tmp_path, monkeypatch):
    import shutil

    from studio.engine.pull import pull

    files, snapshot = _fake_hub(tmp_path, monkeypatch, make_model(tmp_path / "source"))
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(100, 90, 10))
    with pytest.raises(EngineError, match="Not enough disk space"):
        pull(get_model("ltx-2"), lambda p: None, CancelToken("download"), files=files)
    assert not snapshot.exists()  # nothing was fetched


def test_a_gated_repository_says_how_to_get_access(monkeypatch):
    import httpx
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError

    from studio.engine.pull import hub_files

    def gated(self, repo, **kwargs):
        request = httpx.Request("GET", f"https://huggingface.co/api/models/{repo}")
        raise GatedRepoError("403 Client Error: access to model Lightricks/LTX-2.5-Diffusers is restricted",
                             response=httpx.Response(403, request=request))

    monkeypatch.setattr(HfApi, "model_info", gated)
    with pytest.raises(EngineError) as info:
        hub_files(get_model("ltx-2.5"))
    message = str(info.value)
    assert "accept its licence" in message and "hf auth login" in message and "huggingface.co/Lightricks" in message


def test_delete_frees_the_cached_snapshot(tmp_path, monkeypatch, capsys):
    import huggingface_hub.constants as hub_constants

    cache = tmp_path / "hub"
    repo = cache / "models--Lightricks--LTX-2"
    make_model(repo / "snapshots" / "abc")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc")
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(cache))
    assert main(["models", "delete", "ltx-2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["freed_bytes"] > 0
    assert not repo.exists()
