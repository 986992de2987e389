"""`kinora models list` and `kinora models pull ID`: what can generate here, and fetching weights."""

from __future__ import annotations

import argparse
from pathlib import Path

from studio.cli.output import emit
from studio.errors import EngineError

# Only the diffusers layout, safetensors weights: never pickles, never the single-file checkpoints
# that some repos also carry at their root (tens of GB the pipelines do not use).
PULL_PATTERNS = ["model_index.json", "*/*.json", "*/*.safetensors", "*/*.txt", "*/*.model", "*/*.jinja"]


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("models", parents=[common], help="list generation models, download their weights",
                              description="See which models can generate on this machine and fetch weights.")
    actions = p.add_subparsers(dest="models_action", metavar="ACTION")
    lst = actions.add_parser("list", parents=[common], help="every model: installed or not, size, VRAM, modes")
    lst.set_defaults(handler=run_list)
    pull = actions.add_parser("pull", parents=[common], help="download a model's weights (resumes if interrupted)")
    pull.add_argument("model_id")
    pull.set_defaults(handler=run_pull)
    p.set_defaults(handler=run_list)


def _folder_gb(folder: Path) -> float:
    """Disk used by a folder (following the HF cache's links to its blobs)."""
    total = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return total / 1024**3


def run_list(args: argparse.Namespace) -> int:
    from studio.engine.registry import all_models, download_gb, weights_location

    rows = []
    for spec in all_models():
        location = weights_location(spec) if spec.needs_weights else None
        installed = (not spec.needs_weights) or location is not None
        rows.append({
            **spec.to_dict(), "download_gb": download_gb(spec), "installed": installed, "location": str(location) if location else None,
            "disk_gb": round(_folder_gb(location), 2) if location else (0.0 if not spec.needs_weights else None),
        })

    def text() -> str:
        lines = [f"{'MODEL':<24} {'INSTALLED':<10} {'DISK':>9} {'VRAM':>7}  MODES"]
        for row in rows:
            if row["disk_gb"] is not None:
                disk = f"{row['disk_gb']:.1f} GB"
            else:
                disk = f"~{row['download_gb']:g} GB"  # not here yet: the download size
            vram = f"{row['vram_gb']:g} GB" if row["vram_gb"] else "-"
            lines.append(f"{row['id']:<24} {'yes' if row['installed'] else 'no':<10} {disk:>9} {vram:>7}  "
                         f"{', '.join(row['modes']) or '(soundtracks)'}")
        lines.append("Install one with `kinora models pull ID`.")
        return "\n".join(lines)

    emit(args, rows, text)
    return 0


def run_pull(args: argparse.Namespace) -> int:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled

    from studio.engine.registry import get_model

    spec = get_model(args.model_id)
    if not spec.needs_weights:
        emit(args, {"model": spec.id, "downloaded": False}, f"{spec.id} needs no download.")
        return 0
    specs = [spec] + ([get_model(spec.soundtrack_model)] if spec.soundtrack_model else [])
    paths = {}
    for item in specs:
        print(f"Downloading {item.id} (about {item.download_gb:g} GB) from huggingface.co/{item.hf_repo}; "
              "interrupted downloads resume where they stopped.")
        try:
            paths[item.id] = snapshot_download(item.hf_repo, allow_patterns=PULL_PATTERNS)
        except (OfflineModeIsEnabled, LocalEntryNotFoundError) as exc:
            raise EngineError(f"Cannot download {item.id}: no network (or HF_HUB_OFFLINE is set). Connect and run "
                              f"`kinora models pull {spec.id}` again.") from exc
        except HfHubHTTPError as exc:
            raise EngineError(f"Downloading {item.id} from huggingface.co/{item.hf_repo} failed: {exc}. Some models "
                              "need you to accept their license on the model page and `hf auth login` first.") from exc
    emit(args, {"model": spec.id, "paths": paths}, "\n".join(f"{k}: {v}" for k, v in paths.items()))
    return 0
