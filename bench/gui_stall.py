"""GUI responsiveness while the engine generates: the real studio window, tiny-random takes, the stall probe.

Target (issue 6): the GUI thread never blocks for more than 50 ms. The window is built offscreen over a
fresh library, started like the app starts it (the engine in its own process), and then takes are
generated through the window's own submit path (autosave + queue, as the Generate button does) while
its StallProbe ticks every 10 ms. The probe starts with the window's first frame on screen (before it
there is no window to freeze); the time from creating the window to that first frame is reported too.
Reported per phase (start-up until the panels are filled and the engine has warmed its imports; the
first take, which builds the model; the warm takes after it; a take paused mid-run, which unloads the
model, then resumed, which loads it again): the worst tick lateness and its 99th percentile, as ratios to 50 ms, and the worst
GUI-thread CPU time inside one tick interval (lateness also counts time the GUI thread waits for a core
or for the GIL; the busy figure is work done on the GUI thread itself). Also the machine's load average,
since on a shared machine lateness is mostly waiting for a CPU.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_stall.py [--takes N] [--steps N] [--engine thread]
(`--engine thread` is the baseline: the old in-process worker thread, for comparison on the same machine.)
Prints figures and ratios; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_MS = 50.0


def wait_until(predicate: Callable[[], bool], timeout_s: float = 300.0) -> None:
    """Run the Qt event loop (never sleeping on the GUI thread, which the probe would count) until predicate()."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.monotonic() + timeout_s

    def check() -> None:
        if predicate() or time.monotonic() > deadline:
            loop.quit()

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(check)
    timer.start()
    check()
    if not predicate():
        loop.exec()
    timer.stop()
    if not predicate():
        raise SystemExit(f"gave up after {timeout_s:.0f} s waiting for the window")


def report(name: str, probe, seconds: float) -> None:  # noqa: ANN001 (StallProbe)
    worst, p99, busy = probe.worst_ms, probe.percentile_ms(99), probe.worst_busy_ms
    print(f"  {name:<28} worst {worst:7.1f} ms ({worst / TARGET_MS:5.2f}x target)   "
          f"p99 {p99:6.1f} ms ({p99 / TARGET_MS:4.2f}x)   worst GUI-thread busy {busy:6.1f} ms "
          f"({busy / TARGET_MS:4.2f}x)   {probe.ticks} ticks in {seconds:.1f} s")


def pause_and_resume(window, probe, steps: int) -> None:  # noqa: ANN001 (MainWindow, StallProbe)
    """Pause a take at its first denoising step (the model is unloaded), resume it, wait until it is done."""
    from studio.recipe import Recipe

    runner, phases = window.runner, []

    def on_event(event) -> None:  # noqa: ANN001 (EngineEvent, on the GUI thread)
        phases.append(event.phase)
        if event.phase == "denoising" and "paused" not in phases and "denoising" not in phases[:-1]:
            threading.Thread(target=runner.pause, args=(event.take_id,)).start()  # library work: off the GUI thread
        elif event.phase == "paused":
            threading.Thread(target=runner.resume, args=(event.take_id,)).start()

    window.bridge.event.connect(on_event)
    probe.reset()
    t0 = time.perf_counter()
    window.submit(Recipe("a horse runs on a beach", model_id="tiny-random", width=32, height=32, seconds=1.0,
                         fps=8.0, steps=steps, guidance=1.0, seed=7))
    wait_until(lambda: "done" in phases or "failed" in phases)
    window.bridge.event.disconnect(on_event)
    report("pause (unload) + resume" if "paused" in phases else "take (the pause came too late)", probe,
           time.perf_counter() - t0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takes", type=int, default=6, help="takes to generate (the first one builds the model)")
    parser.add_argument("--steps", type=int, default=8, help="denoising steps per take")
    parser.add_argument("--engine", choices=("process", "thread"), default="process",
                        help="process: the app's engine process; thread: the baseline, a Runner on a worker "
                             "thread inside the window's process (how the studio ran before)")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["KINORA_CONFIG"] = str(Path(scratch.name) / "config")  # the bench leaves the user's settings alone

    from studio.app import create_main_window, make_application
    from studio.engine.events import FINAL_PHASES
    from studio.library import Library
    from studio.recipe import Recipe

    make_application()
    lib = Library.open(Path(scratch.name) / "library")
    started = time.perf_counter()
    window = create_main_window(lib, start_engine=args.engine == "process")
    if args.engine == "thread":
        from studio.engine.runner import Runner

        window.runner = Runner(lib, on_event=window.bridge.on_event)
        window.runner.start()
    window.show()
    window.start()
    probe = window.stall_probe
    wait_until(lambda: probe.running)  # the window starts its probe once its first frame is painted
    first_frame_ms = (time.perf_counter() - started) * 1000.0
    wait_until(lambda: window.prompt_panel.model.count() > 0 and window.project_id is not None)
    wait_until(window.runner.warmed.is_set)  # start-up includes the engine warming its imports
    print(f"gui_stall: engine in a {args.engine}; tiny-random 32x32, 1 s at 8 fps, {args.steps} steps, {args.takes} takes; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    print(f"  window created to first frame {first_frame_ms:6.1f} ms")
    report("start-up (+ engine warm-up)", probe, time.perf_counter() - started)

    finished: list[int] = []
    window.bridge.event.connect(lambda e: finished.append(e.take_id) if e.phase in FINAL_PHASES else None)

    def generate(count: int, name: str) -> None:
        probe.reset()
        t0 = time.perf_counter()
        before = len(finished)
        for i in range(count):
            window.submit(Recipe(f"a red ball bounces on a wooden floor {i}", model_id="tiny-random", width=32,
                                 height=32, seconds=1.0, fps=8.0, steps=args.steps, guidance=1.0, seed=i))
        wait_until(lambda: len(finished) >= before + count)
        report(name, probe, time.perf_counter() - t0)

    generate(1, "first take (builds model)")
    if args.takes > 1:
        generate(args.takes - 1, f"{args.takes - 1} warm takes")
    pause_and_resume(window, probe, args.steps)
    statuses = [t.status for t in lib.list_takes()]
    print(f"  takes: {', '.join(statuses)}; load average {os.getloadavg()[0]:.2f} at end")
    window.shutdown()
    window.close()
    lib.close()
    scratch.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
