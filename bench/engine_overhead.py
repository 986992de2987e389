"""Engine overhead: the tiny LTX-2 pipeline called bare versus through the Runner, and host RSS over 20 jobs.

Targets: generation through the runner (step callbacks, progress events, live previews, frame/audio
fitting) costs <= 3% over the bare pipeline call with the same steps and size; host RSS grows
<= 100 MB over 20 consecutive jobs. Run: .venv/bin/python bench/engine_overhead.py
Prints figures and ratios; it asserts nothing. Each figure is the minimum over interleaved rounds of
process CPU time (one torch thread), which a busy shared machine disturbs far less than wall time;
wall times are printed beside them.
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WIDTH = HEIGHT = 32
SECONDS = 1.0  # 24 frames -> 25 generated
STEPS = 8
ROUNDS = 7
JOBS = 20


def main() -> int:
    import psutil
    import torch

    from studio.engine.runner import Runner
    from studio.engine.timing import valid_frame_count
    from studio.library import Library
    from studio.recipe import Recipe

    torch.set_num_threads(1)
    recipe = Recipe("a red ball bounces on a wooden floor", model_id="tiny-random", width=WIDTH, height=HEIGHT,
                    seconds=SECONDS, fps=24.0, steps=STEPS, guidance=1.0, seed=1)
    with tempfile.TemporaryDirectory() as folder, Library.open(Path(folder) / "library") as lib:
        events = []
        runner = Runner(lib, on_event=events.append)
        runner.submit(recipe)
        runner.run_until_idle()  # warm: builds the model once, as the app keeps it warm
        pipe = runner._backend.pipe  # the very same pipeline object, called bare
        num_frames = valid_frame_count(recipe.frame_count, int(pipe.vae_temporal_compression_ratio))

        backend = runner._backend
        real_generate = backend.generate
        measured: dict[str, float] = {}

        def timed_generate(*args, **kwargs):  # the runner's call into the backend, timed from outside
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return real_generate(*args, **kwargs)
            finally:
                measured["cpu"], measured["wall"] = time.process_time() - cpu, time.perf_counter() - wall

        backend.generate = timed_generate

        def bare() -> tuple[float, float]:
            cpu, started = time.process_time(), time.perf_counter()
            pipe(prompt=recipe.prompt, negative_prompt="", height=HEIGHT, width=WIDTH, num_frames=num_frames,
                 frame_rate=24.0, num_inference_steps=STEPS, generator=torch.Generator().manual_seed(1),
                 output_type="np", **backend.guidance_args(recipe))
            return time.process_time() - cpu, time.perf_counter() - started

        def through_runner() -> tuple[float, float, float]:
            cpu = time.process_time()
            runner.submit(recipe)
            runner.run_until_idle()
            return measured["cpu"], measured["wall"], time.process_time() - cpu

        bare_cpu, bare_wall, gen_cpu, gen_wall, job_cpu = [], [], [], [], []
        for _ in range(ROUNDS):  # interleaved, so load changes hit both sides alike
            cpu, wall = bare()
            bare_cpu.append(cpu)
            bare_wall.append(wall)
            cpu, wall, job = through_runner()
            gen_cpu.append(cpu)
            gen_wall.append(wall)
            job_cpu.append(job)
        b, g, j = min(bare_cpu), min(gen_cpu), min(job_cpu)
        print(f"tiny-random {WIDTH}x{HEIGHT}, {num_frames} frames, {STEPS} steps, min of {ROUNDS} rounds, CPU time")
        print(f"  bare pipeline call            {b * 1000:8.1f} ms  (wall {min(bare_wall) * 1000:.1f} ms)")
        print(f"  through the runner (generate) {g * 1000:8.1f} ms  (wall {min(gen_wall) * 1000:.1f} ms)"
              f"   overhead {100 * (g / b - 1):+.1f}%  (target <= 3%)")
        print(f"  whole job (+ MP4 + library)   {j * 1000:8.1f} ms  (encode and store, for information)")

        process = psutil.Process()
        gc.collect()
        rss_start = process.memory_info().rss
        for _ in range(JOBS):
            through_runner()
        gc.collect()
        growth_mb = (process.memory_info().rss - rss_start) / 2**20
        print(f"  host RSS growth over {JOBS} jobs {growth_mb:+8.1f} MB   (target <= 100 MB)")
        runner.unload()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
