"""Studio start-up: launching `kinora` to an interactive window, against a bare PySide6 window measured in the same run.

"Interactive" is the same milestone for both: the window is shown, its first frame has been painted
(the first expose of its native window), and the event loop has then processed an event posted after
that expose (`studio.ui.first_frame.after_first_frame`). For the studio the timed event also comes after
the window's own start-up work (`MainWindow.start`, which runs from the same expose and hands the panels'
first loads and the engine's start to worker threads): Qt calls the event filter installed last first, so
the bench installs its own when the window is shown, before `start()`. What the workers then do to the GUI
thread is bench/gui_stall.py's figure.

The studio is launched as a user launches it: `kinora` with no command (`studio.cli.main([])`: the command
line, the library, crash recovery, the engine process, the window), the bench only wrapping `show()` to time
the milestone. Both are timed from the spawn of their process (the parent's monotonic clock, which the child
shares), so the interpreter's own start counts on both sides, as it does for a user; the figure from each
script's first line is printed too (the studio's then left out the command line and the engine: it was
`create_main_window(start_engine=False)`, until issue 15's third pass). Each launch is a fresh interpreter
in a scratch library and config, from compiled bytecode (one untimed warm-up round compiles it). The rounds
alternate bare and studio, so a change in the machine's load shows in both; the median of the rounds is
the figure. Target: studio <= 2.5x bare.

    xvfb-run -a .venv/bin/python bench/startup.py [rounds] [OTHER_CHECKOUT]   (needs a display or Xvfb)

OTHER_CHECKOUT (e.g. `git worktree add --detach /tmp/before <commit>`) launches that code's `kinora` too, in
the same rounds, so a change is compared with the code before it in the same minutes.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_RATIO = 2.5

# Each prints "first SECONDS" (from its first line) and "at MONOTONIC" (the milestone, on the shared clock).
BARE = """
import sys, time
t0 = time.monotonic()
from PySide6.QtWidgets import QApplication, QMainWindow
from studio.ui.first_frame import after_first_frame
app = QApplication(sys.argv)
w = QMainWindow(); w.resize(1440, 900); w.show()
after_first_frame(w, lambda: (print("at", time.monotonic()), print("first", time.monotonic() - t0), app.quit()))
app.exec()
"""

# `kinora` as the console script runs it; the window's show() is wrapped to time the milestone.
STUDIO = """
import sys, time
t0 = time.monotonic()
import studio.app
from studio.cli import main
made = studio.app.create_main_window

def create_main_window(*args, **kwargs):
    window = made(*args, **kwargs)
    shown = window.show

    def show():
        shown()
        from studio.ui.first_frame import after_first_frame
        after_first_frame(window, lambda: (print("at", time.monotonic()), print("first", time.monotonic() - t0),
                                           window.close()))

    window.show = show
    return window

studio.app.create_main_window = create_main_window
sys.exit(main([]))
"""


def _launch(code: str, env: dict[str, str], cwd: Path = REPO) -> dict[str, float]:
    """{"spawn": seconds from the spawn to the milestone, "first": from the script's first line}."""
    spawned = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         cwd=cwd)
    if out.returncode != 0:
        raise RuntimeError(f"the launch failed:\n{out.stderr[-2000:]}")
    figures = {}
    for line in out.stdout.splitlines():
        name, _, value = line.partition(" ")
        if name in ("at", "first"):
            figures[name] = float(value)
    return {"spawn": figures["at"] - spawned, "first": figures["first"]}


def startup(rounds: int = 9, other: Path | None = None) -> float | None:
    """Print the start-up figures; returns the ratio of the medians from the spawn (None without a display).

    `other`: another checkout whose `kinora` is launched in the same rounds (its modules come first on the path:
    the script runs in its folder)."""
    if not os.environ.get("DISPLAY"):
        print("start-up: no DISPLAY (run under xvfb-run); skipped")
        return None
    env = dict(os.environ)
    # As a user launches it: from compiled bytecode. With PYTHONDONTWRITEBYTECODE set (as in CI shells) every
    # run would compile the studio's modules again; a scratch cache and one untimed warm-up round avoid that.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        env.update(KINORA_LIBRARY=str(Path(tmp) / "lib"), KINORA_CONFIG=str(Path(tmp) / "cfg"),
                   PYTHONPYCACHEPREFIX=str(Path(tmp) / "pyc"))
        bare: list[dict[str, float]] = []
        studio: list[dict[str, float]] = []
        others: list[dict[str, float]] = []
        for round_ in range(rounds + 1):
            b, s = _launch(BARE, env), _launch(STUDIO, env)
            o = _launch(STUDIO, env, other) if other is not None else None
            if round_:  # round 0 is the warm-up
                bare.append(b)
                studio.append(s)
                if o is not None:
                    others.append(o)

    def median(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    ratio = median(studio, "spawn") / median(bare, "spawn")
    verdict = "met" if ratio <= TARGET_RATIO else "not met"
    print(f"start-up, median of {rounds} rounds (load average {load_before:.2f} -> {os.getloadavg()[0]:.2f}):")
    rows = [("bare PySide6 window", bare), ("kinora", studio)] + ([(f"kinora in {other}", others)] if others else [])
    for name, runs in rows:
        rounds_text = ", ".join(f"{run['spawn']:.3f}" for run in runs)
        print(f"  {name:20} {median(runs, 'spawn'):.3f} s from the spawn ({rounds_text}); "
              f"{median(runs, 'first'):.3f} s from its first line")
    print(f"  ratio {ratio:.2f}x from the spawn (target <= {TARGET_RATIO}x: {verdict}); "
          f"{median(studio, 'first') / median(bare, 'first'):.2f}x from the first line")
    if others:
        print(f"  {other}: ratio {median(others, 'spawn') / median(bare, 'spawn'):.2f}x from the spawn")
    return ratio


if __name__ == "__main__":
    startup(int(sys.argv[1]) if len(sys.argv) > 1 else 9, Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else None)
