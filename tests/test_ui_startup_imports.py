"""Start-up (issue 15): the window reaches its first frame without loading PyAV or OpenCV.

Both are only needed once media is decoded or drawn (filmstrips, waveforms, text overlays); importing them
with the window cost a large share of the launch (bench/playback.py measures it). A fresh interpreter is the
only honest check: this test process has loaded both long ago, which is why no earlier test saw it."""

from __future__ import annotations

from pathlib import Path

from window_helpers import probe_fresh_process

PROBE = """
import json, sys
from studio.app import create_main_window, make_application
from studio.library import Library
app = make_application()
window = create_main_window(Library.open(), start_engine=False)
window.show()
app.processEvents()
print(json.dumps({name: name in sys.modules for name in ("av", "cv2", "torch")}))
window.shutdown()
"""


def test_the_first_frame_loads_neither_pyav_nor_opencv(tmp_path: Path) -> None:
    loaded = probe_fresh_process(PROBE, tmp_path)
    assert loaded == {"av": False, "cv2": False, "torch": False}
