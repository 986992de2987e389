"""Engine facts that need torch (the device, the models' footprints), read in a short child process so that
the caller never imports torch itself.

The studio's model list and its job estimates need the card's kind and memory, and each model's parameter
count (counted once on torch's meta device, then cached on disk by engine.footprint). Importing torch on a
worker thread of the GUI process froze the window right after its first frame: its C extension holds the
interpreter lock for a few hundred milliseconds while it initialises. A child gives the same answers (it runs
the same functions). Where torch is already loaded (the engine process, the CLI after a generation, the tests)
there is nothing to avoid and the callers read in-process as before.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from studio.engine import memory
from studio.engine.memory import DeviceInfo
from studio.errors import EngineError

CHILD_TIMEOUT_S = 300.0  # the first count of every model's parameters imports torch and diffusers: ~10 s on a CPU
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding `studio`, for the child's path
_CHILD = "import sys; sys.path.insert(0, {root!r}); from {module} import {function}; {function}()"

_lock = threading.Lock()
_device: DeviceInfo | None = None  # the card does not change while the studio runs: asked once per process


def torch_loaded() -> bool:
    """Whether this process has imported torch already (then reading in-process costs nothing more)."""
    return "torch" in sys.modules


def print_device() -> None:
    """The child's side of `probe_device`: `detect_device()` as one line of JSON on stdout."""
    print(json.dumps(dataclasses.asdict(memory.detect_device())))


def device_from_dict(data: Any) -> DeviceInfo:
    """The DeviceInfo a child printed (EngineError when it is not one)."""
    try:
        return DeviceInfo(**data)
    except TypeError as exc:
        raise EngineError(f"The device check printed something unexpected ({data!r}): {exc}.") from exc


def remember_device(device: DeviceInfo) -> None:
    """Keep a device that a child reported (with other facts) for later `probe_device` calls."""
    global _device
    with _lock:
        _device = device


def probe_device() -> DeviceInfo:
    """This machine's device as `detect_device` sees it, without importing torch here: from a child process
    (once per process) unless torch is loaded already. Blocks while the child runs: call off the GUI thread."""
    global _device
    if torch_loaded():
        return memory.detect_device()
    with _lock:
        if _device is None:
            _device = device_from_dict(run_in_child(__name__, "print_device"))
        return _device


def run_in_child(module: str, function: str) -> Any:
    """Call `module.function()` in a fresh interpreter and return the JSON it prints last."""
    code = _CHILD.format(root=_PACKAGE_ROOT, module=module, function=function)
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=CHILD_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EngineError(f"Could not check this machine's GPU and models: {exc}.") from exc
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no message"])[-1]
        raise EngineError(f"Could not check this machine's GPU and models (exit {out.returncode}: {last}).")
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        raise EngineError(f"The GPU and model check printed something unexpected: {out.stdout[-200:]!r}.") from exc
