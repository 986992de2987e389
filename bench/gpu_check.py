"""One GPU check for the day a GPU is lent: full-size LTX-2.0 / 2.3 / 2.5, every mode, per memory policy.

Each pipeline is built from the configs Kinora ships (studio/engine/model_configs/) with random bf16
weights: nothing is downloaded, and speed and memory do not depend on the weight values. Components are
constructed directly on the GPU in bf16 (default dtype and device set around the constructor), not on
the meta device followed by `to_empty`: modules compute buffers such as RoPE frequencies and the VAEs'
latent statistics in `__init__`, and `to_empty` would leave those as garbage. It goes through the
studio's own code: `LTX2Backend(spec, pipe, plan)` and its public `generate(Recipe)`, with the pipeline
placed by `apply_plan`, so what is measured is what the studio runs.

Per version, mode and policy it prints one table row: seconds per denoising step, transformer calls per
step (a forward pre-hook counts them), peak VRAM (torch.cuda.max_memory_allocated) next to the planner's
prediction, host RSS after the call, and the dtype of every component after the mode (a bf16 model must
stay bf16 after image, keyframes, extend, video and retake takes).

    .venv/bin/python bench/gpu_check.py                 # H100/H200: about 6-8 minutes (--budget stops early)
    .venv/bin/python bench/gpu_check.py --versions 2.3 --modes text --policies none,group_offload
    .venv/bin/python bench/gpu_check.py --smoke         # the same code, tiny components on the CPU (tests)

Without CUDA (and without --smoke) it says so and exits 0.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

VERSION_MODELS = {"2.0": "ltx-2", "2.3": "ltx-2.3", "2.5": "ltx-2.5"}
MODES = ("text", "image", "keyframes", "extend", "video", "retake")
SIZE = (768, 512, 121)
LONG_FRAMES = 481
DEFAULT_POLICIES = ("none", "model_offload", "fp8_model_offload", "group_offload")
DEFAULT_BUDGET_S = 420.0  # stop starting new runs after this; the table says what was skipped
SMOKE_SIZE = (32, 32, 17)  # 0.7 s: recipes start at 0.5 s


@dataclasses.dataclass
class Row:
    version: str
    mode: str
    policy: str
    size: str
    s_per_step: float | None = None
    calls_per_step: float | None = None
    peak_vram_gb: float | None = None
    predicted_gb: float | None = None
    rss_gb: float | None = None
    dtypes: str = ""
    note: str = ""


def _component_names(folder: Path) -> dict[str, list[Any]]:
    index = json.loads((folder / "model_index.json").read_text())
    return {k: v for k, v in index.items() if not k.startswith("_") and isinstance(v, list) and v[0] is not None}


def build_full_pipe(model_id: str, device: str) -> Any:
    """LTX2Pipeline from the shipped configs with random bf16 weights, every component built on `device`."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, LTX2Pipeline

    from studio.engine.model_configs import config_folder
    from studio.engine.registry import get_model
    from studio.engine.tiny import build_tokenizer

    spec = get_model(model_id)
    folder = config_folder(spec.config_repo)
    parts: dict[str, Any] = {}
    previous = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.bfloat16)
        for name, (library, class_name) in _component_names(folder).items():
            if name in ("scheduler", "tokenizer", "latent_upsampler"):
                continue
            parts[name] = _build_on(library, class_name, folder / name, device).eval()
    finally:
        torch.set_default_dtype(previous)
    parts["scheduler"] = FlowMatchEulerDiscreteScheduler.from_config(
        json.loads((folder / "scheduler" / "scheduler_config.json").read_text()))
    parts["tokenizer"] = build_tokenizer()  # ids stay far below Gemma's 262k rows: enough for timing
    return LTX2Pipeline(**{k: v for k, v in parts.items() if k in LTX2Pipeline._get_signature_keys(LTX2Pipeline)[0]
                            or k in ("scheduler", "tokenizer")})


def _build_on(library: str, class_name: str, folder: Path, device: str) -> Any:
    """One component constructed on `device` with its real init (buffers computed), in the default dtype."""
    import torch

    config = json.loads((folder / "config.json").read_text())
    with torch.device(device):
        if library == "transformers":
            import transformers

            return getattr(transformers, class_name)._from_config(transformers.AutoConfig.for_model(**config),
                                                                  torch_dtype=torch.bfloat16)
        import importlib

        import diffusers

        module = diffusers if library == "diffusers" else importlib.import_module(f"diffusers.pipelines.{library}")
        return getattr(module, class_name).from_config(config)


def _source_clip(width: int, height: int, frames: int, fps: float) -> Any:
    from studio.engine.backends.base import SourceClip

    rng = np.random.default_rng(0)
    video = rng.integers(0, 255, size=(frames, height, width, 3), dtype=np.uint8)
    rate = 48000
    audio = (rng.standard_normal((round(frames / fps * rate), 2)) * 0.1).astype(np.float32)
    return SourceClip(video, audio, rate, fps)


def _image_file(folder: Path, width: int, height: int, seed: int) -> str:
    from PIL import Image

    rng = np.random.default_rng(seed)
    path = folder / f"image-{seed}.png"
    Image.fromarray(rng.integers(0, 255, size=(height, width, 3), dtype=np.uint8)).save(path)
    return str(path)


def recipe_for(mode: str, model_id: str, width: int, height: int, frames: int, steps: int, folder: Path) -> Any:
    from studio.recipe import Recipe

    fps = 24.0
    seconds = frames / fps
    extra: dict[str, Any] = {}
    if mode == "image":
        extra["image"] = _image_file(folder, width, height, 1)
    if mode == "keyframes":
        extra["keyframes"] = (_image_file(folder, width, height, 2), _image_file(folder, width, height, 3))
    if mode in ("extend", "video", "retake"):
        extra["source_take_id"] = 0  # the parent is handed to the backend directly
    if mode == "video":
        extra["strength"] = 0.6
    if mode == "retake":
        extra.update(range_from=seconds * 0.25, range_to=seconds * 0.75, strength=0.8)
    if mode == "extend":
        seconds = max(0.5, seconds / 2)  # extend adds this much to the parent
    return Recipe(prompt="a red fox walks through snow at dawn", model_id=model_id, seconds=seconds, fps=fps,
                  width=width, height=height, seed=7, steps=steps, mode=mode, **extra)


def _dtypes(pipe: Any) -> str:
    import torch

    found = []
    for name in ("transformer", "text_encoder", "connectors", "vae", "audio_vae", "vocoder"):
        module = getattr(pipe, name, None)
        if isinstance(module, torch.nn.Module):
            kinds = sorted({str(p.dtype).replace("torch.", "") for p in module.parameters()})
            found.append(f"{name}={'/'.join(kinds)}")
    return " ".join(found)


def _rss_gb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 1024**3
    except ImportError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def run_one(backend: Any, pipe: Any, recipe: Any, source: Any, device: str) -> dict[str, Any]:
    """One real call through the backend: step times and transformer calls counted on the way."""
    import torch

    from studio.cancel import CancelToken

    calls = [0]
    hook = pipe.transformer.register_forward_pre_hook(lambda module, args: calls.__setitem__(0, calls[0] + 1))
    step_times: list[float] = []
    steps_seen = [0]

    def progress(phase: str, step: int, total: int, preview: Any) -> None:
        if phase == "denoising" and step:
            step_times.append(time.perf_counter())
            steps_seen[0] += 1

    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    try:
        backend.generate(recipe, source=source, progress=progress, cancel=CancelToken("generation"))
    finally:
        hook.remove()
    if device == "cuda":
        torch.cuda.synchronize()
    steps = max(1, steps_seen[0])
    span = (step_times[-1] - step_times[0]) / (len(step_times) - 1) if len(step_times) > 1 else (
        time.perf_counter() - started) / steps
    return {"s_per_step": span, "calls_per_step": calls[0] / steps,
            "peak_vram_gb": torch.cuda.max_memory_allocated() / 1024**3 if device == "cuda" else None}


def check(versions: list[str], modes: list[str], policies: list[str], *, smoke: bool, steps: int,
          budget_s: float, long_frames: int) -> list[Row]:
    import torch

    from studio.engine.backends.ltx2 import LTX2Backend
    from studio.engine.memory import JobShape, MemoryPlan, Policy, apply_plan, release_memory
    from studio.engine.memory_estimate import estimate
    from studio.engine.registry import get_model

    device = "cpu" if smoke else "cuda"
    width, height, frames = SMOKE_SIZE if smoke else SIZE
    deadline = time.monotonic() + budget_s
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for version in versions:
            model_id = "tiny-random" if smoke else VERSION_MODELS[version]
            spec = get_model(model_id)
            for policy in policies:
                if time.monotonic() > deadline:
                    rows.append(Row(version, "*", policy, "-", note="not run: over --budget"))
                    continue
                built = time.monotonic()
                plan = MemoryPlan(device, "float32" if smoke else "bfloat16", policy, vae_tiling=not smoke)
                if smoke:  # the studio's own tiny-random loading path (tiny components, its call arguments)
                    backend = LTX2Backend.load(spec, plan)
                    pipe = backend.pipe
                else:
                    pipe = build_full_pipe(model_id, "cuda")
                    if policy != "none":
                        pipe.to("cpu")  # offload policies start from host RAM, as after loading
                    apply_plan(pipe, plan)
                    backend = LTX2Backend(dataclasses.replace(spec), pipe, plan)
                print(f"[{version} {policy}] built and placed in {time.monotonic() - built:.0f} s", file=sys.stderr)
                # Every mode for the first policy; the text mode alone for the others (the policy is the variable).
                wanted = modes if policy == policies[0] else [m for m in modes if m == "text"] or modes[:1]
                jobs = [(m, frames) for m in wanted]
                if policy == policies[0] and "text" in modes and long_frames:
                    jobs.append(("text", long_frames))
                for mode, count in jobs:
                    row = Row(version, mode, policy, f"{width}x{height}x{count}")
                    if time.monotonic() > deadline:
                        row.note = "not run: over --budget"
                        rows.append(row)
                        continue
                    source = _source_clip(width, height, count, 24.0) if mode in ("extend", "video", "retake") else None
                    row.predicted_gb = (None if smoke else
                                        estimate(spec, Policy(policy), JobShape(width, height, count)).peak_vram_gb)
                    try:
                        recipe = recipe_for(mode, model_id, width, height, count, steps, folder)
                        measured = run_one(backend, pipe, recipe, source, device)
                        row.s_per_step, row.calls_per_step = measured["s_per_step"], measured["calls_per_step"]
                        row.peak_vram_gb = measured["peak_vram_gb"]
                    except Exception as exc:  # a mode that breaks is a finding: record it, go on
                        row.note = f"failed: {type(exc).__name__}: {str(exc)[:90]}"
                    row.rss_gb = _rss_gb()
                    row.dtypes = _dtypes(pipe)
                    rows.append(row)
                backend.unload()
                del backend, pipe
                release_memory(unloading=True)
                if device == "cuda":
                    torch.cuda.empty_cache()
    return rows


def table(rows: list[Row], card: str) -> str:
    def fmt(value: float | None, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    lines = [f"Card: {card}",
             "| version | mode | policy | WxHxF | s/step | calls/step | peak VRAM GB | predicted GB | RSS GB | "
             "dtypes after | note |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.version} | {r.mode} | {r.policy} | {r.size} | {fmt(r.s_per_step, '.2f')} | "
                     f"{fmt(r.calls_per_step, '.1f')} | {fmt(r.peak_vram_gb, '.1f')} | {fmt(r.predicted_gb, '.1f')} | "
                     f"{fmt(r.rss_gb, '.1f')} | {r.dtypes} | {r.note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny components on the CPU (checks the script)")
    parser.add_argument("--versions", default="2.0,2.3,2.5")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--policies", default=None, help=f"default: {','.join(DEFAULT_POLICIES)} (smoke: none)")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET_S, help="seconds before no new run starts")
    args = parser.parse_args(argv)
    import torch

    if not args.smoke and not torch.cuda.is_available():
        print("No CUDA device: bench/gpu_check.py measures a GPU. Use --smoke to check the script on the CPU.")
        return 0
    policies = (args.policies or ("none" if args.smoke else ",".join(DEFAULT_POLICIES))).split(",")
    versions = ["2.3"] if args.smoke else args.versions.split(",")
    long_frames = 0 if args.smoke else LONG_FRAMES  # smoke: the long clip only adds time
    rows = check(versions, args.modes.split(","), policies, smoke=args.smoke, steps=args.steps,
                 budget_s=args.budget, long_frames=long_frames)
    card = "CPU (smoke: tiny components, figures mean nothing)" if args.smoke else torch.cuda.get_device_name()
    print(table(rows, card))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
