"""Studio start-up: launch to an interactive window, against a bare PySide6 window measured in the same run.

"Interactive" is the same milestone for both: the window is shown, its first frame has been painted
(the first expose of its native window), and the event loop has then processed an event posted after
that expose (`studio.ui.first_frame.after_first_frame`). For the studio the timed event also comes after
the window's own start-up work (`MainWindow.start`, which runs from the same expose and hands the panels'
first loads to worker threads): Qt calls the event filter installed last first, so the bench installs its
own before `start()`. (Until issue 15 it was installed after, and timed the event before that work.) What the
workers then do to the GUI thread is bench/gui_stall.py's figure. Each launch is a fresh interpreter (`python -c`), timed from its first line, in a scratch library and
config, from compiled bytecode (one untimed warm-up round compiles it). The rounds alternate bare and
studio, so a change in the machine's load shows in both; the median of the rounds is the figure.

The bare window's figure for the older milestone (a timer posted right after `show()`, which can run
before the first paint) is printed too, for comparison with earlier figures. Target: studio <= 2.5x bare.

    xvfb-run -a .venv/bin/python bench/startup.py [rounds]     (needs a display or Xvfb; skipped without)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_RATIO = 2.5

# Prints "posted SECONDS" (the older milestone) and "interactive SECONDS".
BARE = """
import sys, time
t0 = time.monotonic()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
from studio.ui.first_frame import after_first_frame
app = QApplication(sys.argv)
w = QMainWindow(); w.resize(1440, 900); w.show()
QTimer.singleShot(0, lambda: print("posted", time.monotonic() - t0))
after_first_frame(w, lambda: (print("interactive", time.monotonic() - t0), app.quit()))
app.exec()
"""

# As `kinora` opens the window (studio.app.run_gui), without the engine process (the bench times the window).
STUDIO = """
import sys, time
t0 = time.monotonic()
from studio.app import create_main_window, make_application
from studio.library import Library
from studio.ui.first_frame import after_first_frame
app = make_application()
w = create_main_window(Library.open(), start_engine=False); w.show()
after_first_frame(w, lambda: (print("interactive", time.monotonic() - t0), app.quit()))
w.start()  # after: its first-frame work runs before the timed event (see the module notes)
app.exec()
w.shutdown()
"""


def _launch(code: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         cwd=REPO)
    if out.returncode != 0:
        raise RuntimeError(f"the launch failed:\n{out.stderr[-2000:]}")
    figures = {}
    for line in out.stdout.splitlines():
        name, _, value = line.partition(" ")
        if name in ("posted", "interactive"):
            figures[name] = float(value)
    return figures


def startup(rounds: int = 3) -> float | None:
    """Print the start-up figures; returns the ratio of the medians (None without a display)."""
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
        studio: list[float] = []
        for round_ in range(rounds + 1):
            b, s = _launch(BARE, env), _launch(STUDIO, env)
            if round_:  # round 0 is the warm-up
                bare.append(b)
                studio.append(s["interactive"])
    bare_interactive = statistics.median(b["interactive"] for b in bare)
    bare_posted = statistics.median(b["posted"] for b in bare)
    studio_median = statistics.median(studio)
    ratio = studio_median / bare_interactive
    bare_rounds = ", ".join(f"{b['interactive']:.3f}" for b in bare)
    studio_rounds = ", ".join(f"{t:.3f}" for t in studio)
    verdict = "met" if ratio <= TARGET_RATIO else "not met"
    print(f"start-up, median of {rounds} rounds (load average {load_before:.2f} -> {os.getloadavg()[0]:.2f}):")
    print(f"  bare PySide6 window  {bare_interactive:.3f} s interactive ({bare_rounds}); "
          f"at the older milestone (posted after show()) {bare_posted:.3f} s")
    print(f"  studio window        {studio_median:.3f} s interactive ({studio_rounds})")
    print(f"  ratio {ratio:.2f}x (target <= {TARGET_RATIO}x: {verdict}); "
          f"against the bare window's older milestone {studio_median / bare_posted:.2f}x")
    return ratio


if __name__ == "__main__":
    startup(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
