"""Is a model really on disk? Checks that read only local files, and verification against the Hub's records.

A model is installed when every component named in its `model_index.json` has its config and every
weights file it needs is present whole: each file a `*.safetensors.index.json` names, and single-file
components' `*.safetensors`. "Whole" is checked without the network from the safetensors header (a
file is exactly 8 + header length + the end of its last tensor), so an interrupted download shows as
incomplete, never as installed. `verify` goes further: each file's size and sha256 against the Hub's
metadata (recorded in a manifest when the model is pulled).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from studio.errors import EngineError

MANIFEST_NAME = "kinora-manifest.json"  # written beside the snapshot's files by `kinora models pull`
_NO_WEIGHTS = ("scheduler", "tokenizer", "processor", "feature_extractor")
_CONFIG_NAMES = ("config.json", "scheduler_config.json", "tokenizer_config.json", "tokenizer.json",
                 "preprocessor_config.json", "processor_config.json")


class InstallState(StrEnum):
    INSTALLED = "installed"
    INCOMPLETE = "incomplete"
    MISSING = "missing"
    BUILT_IN = "built-in"  # needs no weights


@dataclass(frozen=True)
class InstallReport:
    state: InstallState
    location: Path | None = None
    problems: tuple[str, ...] = ()  # what is missing or cut short, relative to the model folder

    def message(self, model_id: str) -> str:
        if self.state is InstallState.INCOMPLETE:
            shown = "; ".join(self.problems[:3]) + (f"; and {len(self.problems) - 3} more" if len(self.problems) > 3
                                                    else "")
            return f"incomplete: run `kinora models pull {model_id}` again ({shown})"
        return self.state.value


@dataclass(frozen=True)
class HubFile:
    """One file of a repository as the Hub records it."""

    path: str
    size: int
    sha256: str | None = None  # LFS files carry their sha256; small git files do not


@dataclass
class VerifyResult:
    checked: int = 0
    bad: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad


def safetensors_problem(path: Path) -> str | None:
    """Why a .safetensors file is not whole (missing, cut short, unreadable header), or None when it is."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                return f"{path.name} is cut short"
            (header_len,) = struct.unpack("<Q", head)
            if header_len > size:
                return f"{path.name} is cut short"
            header = json.loads(fh.read(header_len))
    except FileNotFoundError:
        return f"{path.name} is missing"
    except (OSError, ValueError) as exc:
        return f"{path.name} cannot be read ({exc})"
    end = max((entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"), default=0)
    expected = 8 + header_len + end
    if size != expected:
        return f"{path.name} has {size} of its {expected} bytes"
    return None


def folder_problems(folder: Path) -> list[str]:
    """Everything that keeps the diffusers layout in `folder` from loading: [] when it is complete."""
    try:
        index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ["model_index.json is missing"]
    except (OSError, ValueError) as exc:
        return [f"model_index.json cannot be read ({exc})"]
    problems: list[str] = []
    for name, value in index.items():
        if name.startswith("_") or not isinstance(value, list) or value[0] is None:
            continue
        sub = folder / name
        if not sub.is_dir():
            problems.append(f"{name}/ is missing")
            continue
        if not any((sub / config).is_file() for config in _CONFIG_NAMES):
            problems.append(f"{name}/ has no config")
        if name not in _NO_WEIGHTS and not any(sub.glob("*.safetensors*")):
            problems.append(f"{name}/ has no .safetensors weights")
        problems.extend(f"{name}/{p}" for p in _weights_problems(sub))
    return problems


def _weights_problems(component: Path) -> list[str]:
    indexes = sorted(component.glob("*.safetensors.index.json"))
    problems: list[str] = []
    for index_file in indexes:
        try:
            weight_map = json.loads(index_file.read_text(encoding="utf-8"))["weight_map"]
        except (OSError, ValueError, KeyError) as exc:
            problems.append(f"{index_file.name} cannot be read ({exc})")
            continue
        for shard in sorted(set(weight_map.values())):
            if (problem := safetensors_problem(component / shard)) is not None:
                problems.append(problem)
    if not indexes:  # single-file components: every .safetensors there must be whole
        for single in sorted(component.glob("*.safetensors")):
            if (problem := safetensors_problem(single)) is not None:
                problems.append(problem)
    return problems


def check_folder(folder: Path | None) -> InstallReport:
    if folder is None or not folder.is_dir():
        return InstallReport(InstallState.MISSING)
    problems = folder_problems(folder)
    if problems == ["model_index.json is missing"]:
        return InstallReport(InstallState.MISSING)
    return InstallReport(InstallState.INCOMPLETE if problems else InstallState.INSTALLED, folder, tuple(problems))


def sha256_of(path: Path, on_bytes: Callable[[int], None] | None = None, chunk: int = 8 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
            if on_bytes is not None:
                on_bytes(len(block))
    return digest.hexdigest()


def verify_files(folder: Path, files: list[HubFile], on_bytes: Callable[[int], None] | None = None) -> VerifyResult:
    """Compare each local file's size and (where the Hub has one) sha256 with the Hub's record."""
    result = VerifyResult()
    for item in files:
        path = folder / item.path
        result.checked += 1
        if not path.is_file():
            result.bad.append(f"{item.path}: missing")
        elif path.stat().st_size != item.size:
            result.bad.append(f"{item.path}: {path.stat().st_size} bytes, the Hub has {item.size}")
        elif item.sha256 is not None and sha256_of(path, on_bytes) != item.sha256:
            result.bad.append(f"{item.path}: sha256 differs from the Hub's (the file is damaged)")
    return result


def write_manifest(folder: Path, repo: str, files: list[HubFile]) -> Path:
    """Record the Hub's sizes and hashes next to the files, so `verify` works offline later."""
    from studio.atomic import write_bytes_atomic

    path = folder / MANIFEST_NAME
    data = {"repo": repo, "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in files]}
    write_bytes_atomic(path, json.dumps(data, indent=1).encode())
    return path


def read_manifest(folder: Path) -> list[HubFile] | None:
    try:
        data: dict[str, Any] = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        return [HubFile(f["path"], int(f["size"]), f.get("sha256")) for f in data["files"]]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EngineError(f"The download record {folder / MANIFEST_NAME} cannot be read ({exc}); "
                          "pull the model again to remake it.") from exc


def disk_bytes(folder: Path) -> int:
    """Bytes a model folder uses on disk (following the Hugging Face cache's links to its blobs)."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def delete_cached_repo(repo: str) -> int:
    """Remove a repository from the Hugging Face cache (every revision, blobs included); bytes freed."""
    from huggingface_hub import constants, scan_cache_dir

    try:
        cache = scan_cache_dir(constants.HF_HUB_CACHE)
    except Exception:  # no cache folder yet: nothing to delete
        return 0
    for cached in cache.repos:
        if cached.repo_id == repo and cached.repo_type == "model":
            freed = cached.size_on_disk
            shutil.rmtree(cached.repo_path)
            return freed
    return 0
