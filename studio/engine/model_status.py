"""One model's standing on this machine: install state, download size, parameters and the plan it would get.

What `kinora models list`, the studio's Models page and its model picker show, computed in one place
from the registry (the model's declaration), the install check and the planner. Reads the disk and
imports torch: call it off the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .install import InstallState, disk_bytes
from .memory import DeviceInfo, detect_device, expect
from .memory_estimate import JobShape
from .registry import ModelSpec, all_models, download_gb, install_report, model_footprint


@dataclass(frozen=True)
class ModelStatus:
    spec: ModelSpec
    state: InstallState
    problems: tuple[str, ...]
    location: Path | None
    download_gb: float
    params_b: float | None  # billions of parameters counted from the configs
    disk_gb: float | None
    plan: str | None  # the memory policy this card gives a native-size 5 s job; None on the CPU / no weights
    peak_vram_gb: float | None
    device: str

    @property
    def usable(self) -> bool:
        return self.state in (InstallState.INSTALLED, InstallState.BUILT_IN)

    def to_dict(self) -> dict[str, Any]:
        return {**self.spec.to_dict(), "state": self.state.value, "installed": self.usable,
                "problems": list(self.problems), "location": str(self.location) if self.location else None,
                "download_gb": self.download_gb, "params_b": self.params_b, "disk_gb": self.disk_gb,
                "plan": self.plan, "peak_vram_gb": self.peak_vram_gb, "device": self.device}


def model_status(spec: ModelSpec, device: DeviceInfo) -> ModelStatus:
    report = install_report(spec)
    fp = model_footprint(spec)
    plan = peak = None
    if spec.modes and device.kind != "cpu" and (fp is not None or spec.vram_gb):
        expectation = expect(spec, JobShape.native(spec), device)
        plan, peak = expectation.plan.policy, round(expectation.estimate.peak_vram_gb, 1)
    return ModelStatus(
        spec, report.state, report.problems, report.location, download_gb(spec),
        round(fp.total_params / 1e9, 2) if fp else None,
        round(disk_bytes(report.location) / 1e9, 1) if report.location else None, plan, peak, device.name)


def model_statuses(device: DeviceInfo | None = None) -> list[ModelStatus]:
    """Every registered model's status on this machine (or on `device`)."""
    device = device or detect_device()
    return [model_status(spec, device) for spec in all_models()]
