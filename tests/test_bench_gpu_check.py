"""bench/gpu_check.py --smoke: the GPU check's own code, tiny on the CPU, so it still runs the day a GPU is lent."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "gpu_check.py"


def _load():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gpu_check", module)  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_smoke_runs_every_mode_through_the_backend_and_prints_one_table(capsys):
    gpu_check = _load()
    assert gpu_check.main(["--smoke"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| 2.3 |")]
    assert [row.split("|")[2].strip() for row in rows] == list(gpu_check.MODES)
    for row in rows:
        cells = [cell.strip() for cell in row.split("|")]
        assert cells[-2] == "", f"a mode failed in the smoke run: {cells[-2]}"  # the note column
        assert float(cells[6]) >= 1.0  # transformer calls per step were counted
        assert "transformer=float32" in cells[10]


def test_full_size_pipelines_are_built_from_the_shipped_configs_on_the_meta_device():
    # The GPU path builds every component the configs name; on meta here, to check the names resolve.
    gpu_check = _load()
    pipe = gpu_check.build_full_pipe("ltx-2.5", "meta")
    assert type(pipe.text_encoder).__name__ == "Gemma4UnifiedForConditionalGeneration"
    assert sum(p.numel() for p in pipe.transformer.parameters()) / 1e9 > 18.9
    assert next(pipe.transformer.parameters()).dtype.__repr__() == "torch.bfloat16"
