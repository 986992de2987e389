"""Downloading a model's weights from the Hugging Face Hub: progress, speed, ETA, cancel, resume, verify.

One file at a time through `hf_hub_download`, which resumes a cut download from its `.incomplete`
blob. Before anything is fetched the free disk space is checked against what is still missing; after,
every file's size and sha256 are compared with the Hub's metadata and recorded in a manifest beside
the snapshot, so `kinora models verify` can re-check offline. The CLI and the studio's Models page
both call `pull` (the page on a worker thread, with a CancelToken).
"""

from __future__ import annotations

import fnmatch
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.cancel import CancelToken
from studio.errors import EngineError

from .install import HubFile, verify_files, write_manifest
from .registry import ModelSpec, install_report, model_footprint

# Only the diffusers layout, safetensors weights: never pickles, never the single-file checkpoints
# that some repos also carry at their root (tens of GB the pipelines do not use).
PULL_PATTERNS = ("model_index.json", "*/*.json", "*/*.safetensors", "*/*.txt", "*/*.model", "*/*.jinja")
DISK_MARGIN = 1.02  # the cache's own files and a little room to spare


@dataclass(frozen=True)
class PullProgress:
    model_id: str
    done_bytes: int
    total_bytes: int
    bytes_per_s: float
    eta_s: float | None
    file: str
    phase: str = "downloading"  # "checking" | "downloading" | "verifying" | "done"

    @property
    def fraction(self) -> float:
        return self.done_bytes / self.total_bytes if self.total_bytes else 0.0


ProgressSink = Callable[[PullProgress], None]
PullFn = Callable[[ModelSpec, ProgressSink, CancelToken], Path]


def gated_message(spec: ModelSpec) -> str:
    from huggingface_hub import constants

    return (f"huggingface.co/{spec.hf_repo} is gated: open https://huggingface.co/{spec.hf_repo} while logged in, "
            f"accept its licence, then log in here with `hf auth login` (it stores your token in "
            f"{constants.HF_TOKEN_PATH}, where huggingface_hub looks for it; or set HF_TOKEN). Then run "
            f"`kinora models pull {spec.id}` again.")


def _wanted(path: str, spec: ModelSpec) -> bool:
    return (any(fnmatch.fnmatch(path, p) for p in PULL_PATTERNS)
            and not any(fnmatch.fnmatch(path, p) for p in spec.pull_ignore))


def hub_files(spec: ModelSpec) -> list[HubFile]:
    """The files `pull` fetches, with the Hub's sizes and sha256 (one metadata request)."""
    from huggingface_hub import HfApi

    with _hub_errors(spec):
        info = HfApi().model_info(spec.hf_repo, files_metadata=True)
    files = []
    for sibling in info.siblings or []:
        if _wanted(sibling.rfilename, spec):
            lfs = getattr(sibling, "lfs", None)
            files.append(HubFile(sibling.rfilename, int(sibling.size or 0), getattr(lfs, "sha256", None)))
    return files


class _hub_errors:
    """Turn huggingface_hub's errors into one message that says what to do."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None:
            return
        from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled

        if isinstance(exc, GatedRepoError):
            raise EngineError(gated_message(self.spec)) from exc
        import httpx

        if isinstance(exc, (OfflineModeIsEnabled, LocalEntryNotFoundError, httpx.TransportError)):
            raise EngineError(f"Cannot download {self.spec.id}: no network (or HF_HUB_OFFLINE is set). Connect and "
                              f"run `kinora models pull {self.spec.id}` again; it resumes.") from exc
        if isinstance(exc, HfHubHTTPError):
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status in (401, 403):
                raise EngineError(gated_message(self.spec)) from exc
            raise EngineError(f"Downloading {self.spec.id} from huggingface.co/{self.spec.hf_repo} failed: {exc}. "
                              f"Run `kinora models pull {self.spec.id}` again; it resumes.") from exc


class _Meter:
    """Bytes so far, speed over the last seconds, ETA; calls the sink at most a few times a second."""

    def __init__(self, spec: ModelSpec, total: int, sink: ProgressSink, cancel: CancelToken) -> None:
        self.spec, self.total, self.sink, self.cancel = spec, total, sink, cancel
        self.done = 0
        self.file = ""
        self._lock = threading.Lock()
        self._window: list[tuple[float, int]] = [(time.monotonic(), 0)]
        self._last_report = 0.0

    def add(self, count: int) -> None:
        self.cancel.raise_if_cancelled()  # inside the download: it stops now, the .incomplete blob stays
        with self._lock:
            self.done += count
            now = time.monotonic()
            self._window.append((now, self.done))
            while len(self._window) > 2 and now - self._window[0][0] > 5.0:
                self._window.pop(0)
            if now - self._last_report >= 0.25:
                self._last_report = now
                self.report()

    def report(self, phase: str = "downloading") -> None:
        (t0, b0), (t1, b1) = self._window[0], self._window[-1]
        speed = (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0
        eta = (self.total - self.done) / speed if speed > 0 else None
        self.sink(PullProgress(self.spec.id, self.done, self.total, speed, eta, self.file, phase))


def _progress_class(meter: _Meter) -> type:
    from huggingface_hub.utils import tqdm as hub_tqdm

    class _Bar(hub_tqdm):  # type: ignore[misc]  # huggingface_hub's tqdm is untyped here
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True  # our sink reports; huggingface_hub's own bar would write to stderr
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            meter.add(int(n or 0))
            return super().update(n)

    return _Bar


def _already_whole(spec: ModelSpec, item: HubFile) -> bool:
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(spec.hf_repo, item.path)
    return isinstance(cached, str) and Path(cached).stat().st_size == item.size


def _cache_root() -> Path:
    from huggingface_hub import constants

    root = Path(constants.HF_HUB_CACHE)
    while not root.exists() and root != root.parent:
        root = root.parent
    return root


def pull(spec: ModelSpec, on_progress: ProgressSink, cancel: CancelToken,
         files: list[HubFile] | None = None) -> Path:
    """Download what is missing of `spec`'s weights, verify every file, record the manifest; the snapshot folder.

    Raises Cancelled (files fetched so far stay; the next pull resumes) or EngineError with what to do.
    """
    from huggingface_hub import hf_hub_download

    if spec.hf_repo is None:
        raise EngineError(f"{spec.id} needs no download.")
    files = hub_files(spec) if files is None else files
    missing = [f for f in files if not _already_whole(spec, f)]
    need = sum(f.size for f in missing)
    free = shutil.disk_usage(_cache_root()).free
    if need * DISK_MARGIN > free:
        raise EngineError(f"Not enough disk space for {spec.id}: {need / 1e9:.1f} GB still to download and "
                          f"{free / 1e9:.1f} GB free in {_cache_root()}. Free some space (`kinora models delete ID` "
                          "removes a model) or set HF_HOME to a bigger disk.")
    meter = _Meter(spec, sum(f.size for f in files), on_progress, cancel)
    meter.done = sum(f.size for f in files) - need
    bar = _progress_class(meter)
    snapshot: Path | None = None
    for item in files:
        cancel.raise_if_cancelled()
        meter.file = item.path
        with _hub_errors(spec):
            local = Path(hf_hub_download(spec.hf_repo, item.path, tqdm_class=bar))
        snapshot = local.parents[len(Path(item.path).parts) - 1]
    if snapshot is None:
        raise EngineError(f"huggingface.co/{spec.hf_repo} lists no files Kinora can use.")
    meter.report("verifying")
    result = verify_files(snapshot, files)
    if not result.ok:
        raise EngineError(f"{spec.id}: {len(result.bad)} downloaded file(s) do not match the Hub: "
                          f"{'; '.join(result.bad[:3])}. Run `kinora models pull {spec.id}` again.")
    write_manifest(snapshot, spec.hf_repo, files)
    model_footprint(spec)  # count the pulled configs' parameters now, so the planner has them cached
    report = install_report(spec)
    meter.done = meter.total
    meter.report("done")
    if report.location is None or report.problems:
        raise EngineError(f"{spec.id} was downloaded but is {report.message(spec.id)}.")
    return snapshot
