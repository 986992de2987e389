"""Start-up (issue 15): the window reaches its first frame without loading PyAV or OpenCV, and without
PySide building the Python classes of QStyle and its style options.

PyAV and OpenCV are only needed once media is decoded or drawn (filmstrips, waveforms, text overlays);
importing them with the window cost a large share of the launch (bench/playback.py measures it). PySide makes
a Qt class's Python class, with all its enums, when Python first touches it: a style written in Python (the
theme's proxy style, until the third pass) made it build QStyle and every style option's class while the
first frame was painted, ~14 ms. A fresh interpreter is the only honest check: this test process has loaded
all of it long ago, which is why no earlier test saw it."""

from __future__ import annotations

from pathlib import Path

from window_helpers import probe_fresh_process

PROBE = """
import json, sys
import PySide6.QtGui, PySide6.QtWidgets
from studio.app import create_main_window, make_application
from studio.library import Library
app = make_application()
window = create_main_window(Library.open(), start_engine=False)
window.show()
app.processEvents()
built = [name for module in (PySide6.QtWidgets, PySide6.QtGui) for name in module.__dict__
         if name in ("QStyle", "QCommonStyle", "QProxyStyle") or name.startswith("QStyleOption")]
print(json.dumps({"modules": {name: name in sys.modules for name in ("av", "cv2", "torch")}, "qt_classes": built}))
window.shutdown()
"""


def test_the_first_frame_loads_neither_pyav_nor_opencv_nor_the_python_style_classes(tmp_path: Path) -> None:
    seen = probe_fresh_process(PROBE, tmp_path)
    assert seen["modules"] == {"av": False, "cv2": False, "torch": False}
    assert seen["qt_classes"] == []
