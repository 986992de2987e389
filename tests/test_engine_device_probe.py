"""The device and footprint checks in a child process (issue 15): the studio's model list and job estimates
read the card without importing torch, whose initialisation held the GUI process's interpreter lock for
230-400 ms right after the window's first frame (bench/gui_stall.py). The answers must be the in-process ones."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from window_helpers import probe_fresh_process

from studio.engine import device_probe
from studio.engine.memory import detect_device
from studio.errors import EngineError
from studio.ui.model_choices import ModelChoice, load_model_choices

PROBE = """
import dataclasses, json, sys
from studio.ui.model_choices import expectation_text, load_model_choices
choices = load_model_choices()
text = expectation_text("ltx-2", 768, 512, 5.0, 24.0)
print(json.dumps({"torch": "torch" in sys.modules, "text": text,
                  "choices": [dataclasses.asdict(choice) for choice in choices]}))
"""


def test_the_model_choices_and_estimates_never_import_torch_and_match_the_in_process_ones(tmp_path: Path) -> None:
    # The old loader called detect_device() and counted parameters with torch in the GUI process; only a fresh
    # interpreter (one that has not loaded torch) shows the import. This test process has torch: in-process.
    seen = probe_fresh_process(PROBE, tmp_path)
    assert seen["torch"] is False
    assert [ModelChoice(**choice) for choice in seen["choices"]] == load_model_choices()
    assert "No GPU found: ltx-2 runs on the CPU" in seen["text"]  # this machine has no GPU: the CPU answer


def test_the_child_gives_the_same_device_as_detect_device(monkeypatch) -> None:
    monkeypatch.setattr(device_probe, "torch_loaded", lambda: False)  # as in the window's process
    monkeypatch.setattr(device_probe, "_device", None)  # ask a child now, whatever an earlier test cached
    here, child = detect_device(), device_probe.probe_device()
    # Free host memory moves between the two reads; everything else is the same answer.
    assert dataclasses.replace(child, free_host_gb=0.0) == dataclasses.replace(here, free_host_gb=0.0)
    assert device_probe.probe_device() is child  # asked once per process


def test_a_child_that_fails_or_prints_something_else_is_named() -> None:
    with pytest.raises(EngineError, match="printed something unexpected"):
        device_probe.device_from_dict({"kind": "cuda"})
    with pytest.raises(EngineError, match=r"Could not check this machine's GPU and models \(exit 1: .*Error"):
        device_probe.run_in_child("studio.no_such_module", "main")
